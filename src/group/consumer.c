/*
 * consumer.c: KIP-848 consumer groups (see consumer.h).
 *
 * Epochs: the group epoch moves when membership, subscriptions or the
 * subscribed topics' partitions change; the target assignment is recomputed
 * for that epoch (assignment epoch); a member's epoch reaches the assignment
 * epoch once it has let go of everything it must revoke. Ownership is what
 * members were told they have plus what they are still revoking, so a
 * partition is handed to its new owner only once the old one is done with it.
 */
#include "group/consumer.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/log.h"
#include "group/assignor.h"
#include "group/classic.h"
#include "group/member_id.h"
#include "group/tp_set.h"
#include "proto/errors.h"

#define METADATA_REFRESH_MS 1000 /* how often subscribed topics are looked up again */
#define EPOCH_JOIN 0
#define EPOCH_LEAVE (-1)
#define EPOCH_LEAVE_STATIC (-2)
#define REGEX_MAX_BYTES 1024

typedef enum member_state { MS_STABLE, MS_UNREVOKED, MS_UNRELEASED } member_state;

typedef struct kg_member {
    char *member_id;
    char *instance_id;
    char *rack_id;
    char *client_id;
    char *client_host;
    char *assignor;
    char **topics;
    int32_t topic_count;
    char *regex_text;
    regex_t regex;
    bool has_regex;
    int32_t epoch;
    int32_t previous_epoch;
    member_state state;
    int32_t rebalance_timeout_ms;
    gr_tp_set assigned; /* what it was told it owns */
    gr_tp_set revoking; /* what it still owns but must give back */
    gr_tp_set target;
    int64_t session_deadline_ms;
    int64_t revocation_deadline_ms;
    bool left_static;      /* epoch -2: keeps its place for a restart of the same instance */
    bool dirty_meta;       /* subscription or client changed since last persisted */
    bool dirty_assignment; /* epochs or partitions changed since last persisted */
} kg_member;

struct gr_kg_group {
    const gr_kg_env *env;
    char *group_id;
    int32_t epoch;
    int32_t assignment_epoch;
    kg_member **members;
    int32_t member_count, member_cap;
    uint64_t metadata_hash;
    int64_t metadata_checked_ms;
    gr_assignor assignor;
    /* Subscribed topics as of the last lookup: names, ids, partition counts. */
    gr_kg_topic_info *topics;
    int32_t topic_count;
    /* Members gone since the last drain (their records get tombstones). */
    char **removed;
    int32_t removed_count, removed_cap;
};

/* ---- small helpers ------------------------------------------------------------------------ */

static char *dup_str(gr_str s) {
    if (s.len < 0 || !s.ptr) return NULL;
    char *p = malloc((size_t)s.len + 1);
    if (!p) return NULL;
    memcpy(p, s.ptr, (size_t)s.len);
    p[s.len] = '\0';
    return p;
}

static bool eq(const char *a, gr_str b) {
    return a && b.len >= 0 && strlen(a) == (size_t)b.len && memcmp(a, b.ptr, (size_t)b.len) == 0;
}

static gr_str arena_str(gr_arena *a, const char *s) {
    if (!s) return (gr_str){NULL, -1};
    size_t n = strlen(s);
    char *p = gr_arena_strndup(a, s, n);
    return p ? (gr_str){p, (int32_t)n} : (gr_str){"", 0};
}

static void set_error(gr_arena *a, gr_consumer_group_heartbeat_response *out, int16_t err, const char *msg) {
    out->error_code = err;
    out->error_message = msg ? arena_str(a, msg) : (gr_str){NULL, -1};
}

static void notify(gr_kg_group *g, int64_t at) {
    if (g->env->deadline && at != GR_DEADLINE_NONE) g->env->deadline(g->env->ud, at);
}

static void clear_subscription(kg_member *m) {
    for (int32_t i = 0; i < m->topic_count; i++) free(m->topics[i]);
    free(m->topics);
    m->topics = NULL;
    m->topic_count = 0;
    if (m->has_regex) regfree(&m->regex);
    m->has_regex = false;
    free(m->regex_text);
    m->regex_text = NULL;
}

static void member_free(kg_member *m) {
    clear_subscription(m);
    free(m->member_id);
    free(m->instance_id);
    free(m->rack_id);
    free(m->client_id);
    free(m->client_host);
    free(m->assignor);
    gr_tp_set_free(&m->assigned);
    gr_tp_set_free(&m->revoking);
    gr_tp_set_free(&m->target);
    free(m);
}

static kg_member *find_member(const gr_kg_group *g, gr_str id) {
    for (int32_t i = 0; i < g->member_count; i++)
        if (eq(g->members[i]->member_id, id)) return g->members[i];
    return NULL;
}

static kg_member *find_instance(const gr_kg_group *g, gr_str instance) {
    if (instance.len < 0) return NULL;
    for (int32_t i = 0; i < g->member_count; i++)
        if (g->members[i]->instance_id && eq(g->members[i]->instance_id, instance)) return g->members[i];
    return NULL;
}

/* Takes m out and frees it; `record` notes it for a tombstone. */
static void remove_member_ex(gr_kg_group *g, kg_member *m, bool record) {
    if (record && g->removed_count < GR_GROUP_MEMBERS_MAX) {
        if (g->removed_count == g->removed_cap) {
            int32_t cap = g->removed_cap ? g->removed_cap * 2 : 4;
            char **n = realloc(g->removed, (size_t)cap * sizeof *n);
            if (n) {
                g->removed = n;
                g->removed_cap = cap;
            }
        }
        if (g->removed_count < g->removed_cap) {
            g->removed[g->removed_count] = m->member_id;
            m->member_id = NULL; /* the id lives on in the list */
            g->removed_count++;
        }
    }
    for (int32_t i = 0; i < g->member_count; i++) {
        if (g->members[i] != m) continue;
        memmove(&g->members[i], &g->members[i + 1], (size_t)(g->member_count - i - 1) * sizeof *g->members);
        g->member_count--;
        break;
    }
    member_free(m);
}

static void remove_member(gr_kg_group *g, kg_member *m) { remove_member_ex(g, m, true); }

static bool topic_matches(const kg_member *m, const char *name) {
    for (int32_t i = 0; i < m->topic_count; i++)
        if (!strcmp(m->topics[i], name)) return true;
    return m->has_regex && regexec(&m->regex, name, 0, NULL, 0) == 0;
}

/* ---- subscribed topic metadata ------------------------------------------------------------ */

typedef struct topic_list {
    gr_kg_topic_info *items;
    int32_t count, cap;
    bool oom;
} topic_list;

static void list_add(topic_list *l, const gr_kg_topic_info *t) {
    for (int32_t i = 0; i < l->count; i++)
        if (!memcmp(l->items[i].id, t->id, 16)) return;
    if (l->count == l->cap) {
        int32_t cap = l->cap ? l->cap * 2 : 8;
        gr_kg_topic_info *n = realloc(l->items, (size_t)cap * sizeof *n);
        if (!n) {
            l->oom = true;
            return;
        }
        l->items = n;
        l->cap = cap;
    }
    l->items[l->count++] = *t;
}

typedef struct regex_scan {
    const gr_kg_group *g;
    topic_list *out;
} regex_scan;

static void regex_visit(void *arg, const gr_kg_topic_info *t) {
    regex_scan *s = arg;
    for (int32_t i = 0; i < s->g->member_count; i++) {
        const kg_member *m = s->g->members[i];
        if (m->has_regex && regexec(&m->regex, t->name, 0, NULL, 0) == 0) {
            list_add(s->out, t);
            return;
        }
    }
}

static int cmp_topic(const void *a, const void *b) {
    return memcmp(((const gr_kg_topic_info *)a)->id, ((const gr_kg_topic_info *)b)->id, 16);
}

/* Looks the subscribed topics up again; bumps the group epoch if they changed. */
static void refresh_metadata(gr_kg_group *g, int64_t now_ms, bool force) {
    if (!force && now_ms - g->metadata_checked_ms < METADATA_REFRESH_MS) return;
    g->metadata_checked_ms = now_ms;
    topic_list l = {0};
    bool any_regex = false;
    for (int32_t i = 0; i < g->member_count; i++) {
        const kg_member *m = g->members[i];
        any_regex |= m->has_regex;
        for (int32_t k = 0; k < m->topic_count; k++) {
            gr_kg_topic_info info;
            if (g->env->topic_by_name && g->env->topic_by_name(g->env->ud, gr_str_c(m->topics[k]), &info))
                list_add(&l, &info);
        }
    }
    if (any_regex && g->env->each_topic) {
        regex_scan s = {g, &l};
        g->env->each_topic(g->env->ud, regex_visit, &s);
    }
    if (l.oom) {
        free(l.items);
        return;
    }
    if (l.count > 1) qsort(l.items, (size_t)l.count, sizeof *l.items, cmp_topic);
    uint64_t h = 1469598103934665603ull;
    for (int32_t i = 0; i < l.count; i++) {
        for (int k = 0; k < 16; k++) h = (h ^ l.items[i].id[k]) * 1099511628211ull;
        for (int k = 0; k < 4; k++)
            h = (h ^ (uint8_t)((uint32_t)l.items[i].partitions >> (8 * k))) * 1099511628211ull;
    }
    free(g->topics);
    g->topics = l.items;
    g->topic_count = l.count;
    if (h != g->metadata_hash) {
        g->metadata_hash = h;
        g->epoch++;
    }
}

/* ---- target assignment --------------------------------------------------------------------- */

static int cmp_member(const void *a, const void *b) {
    return strcmp((*(kg_member *const *)a)->member_id, (*(kg_member *const *)b)->member_id);
}

static void compute_target(gr_kg_group *g) {
    int32_t n = g->member_count;
    if (n > 1) qsort(g->members, (size_t)n, sizeof *g->members, cmp_member);
    gr_assign_topic *topics = calloc((size_t)(g->topic_count ? g->topic_count : 1), sizeof *topics);
    gr_assign_member *ms = calloc((size_t)(n ? n : 1), sizeof *ms);
    int32_t *subs = calloc((size_t)(n ? n : 1) * (size_t)(g->topic_count ? g->topic_count : 1), sizeof *subs);
    if (!topics || !ms || !subs) {
        free(topics);
        free(ms);
        free(subs);
        return; /* keep the old target; the next heartbeat tries again */
    }
    for (int32_t t = 0; t < g->topic_count; t++) {
        memcpy(topics[t].id, g->topics[t].id, 16);
        topics[t].partitions = g->topics[t].partitions;
    }
    for (int32_t i = 0; i < n; i++) {
        const kg_member *m = g->members[i];
        int32_t *mine = subs + (size_t)i * (size_t)(g->topic_count ? g->topic_count : 1);
        int32_t k = 0;
        for (int32_t t = 0; t < g->topic_count; t++)
            if (topic_matches(m, g->topics[t].name)) mine[k++] = t;
        ms[i].topics = mine;
        ms[i].topic_count = k;
        ms[i].current = &m->target;
        gr_tp_set_init(&ms[i].result);
    }
    if (gr_assign(g->assignor, topics, g->topic_count, ms, n) == 0) {
        for (int32_t i = 0; i < n; i++) {
            gr_tp_set_free(&g->members[i]->target);
            g->members[i]->target = ms[i].result; /* takes the result over */
            gr_tp_set_init(&ms[i].result);
        }
        g->assignment_epoch = g->epoch;
    }
    for (int32_t i = 0; i < n; i++) gr_tp_set_free(&ms[i].result);
    free(topics);
    free(ms);
    free(subs);
}

/* ---- reconciliation ------------------------------------------------------------------------ */

/* Whether a member other than `self` still holds tp. */
static bool held_by_other(const gr_kg_group *g, const kg_member *self, const gr_tp *tp) {
    for (int32_t i = 0; i < g->member_count; i++) {
        const kg_member *m = g->members[i];
        if (m == self) continue;
        if (gr_tp_set_contains(&m->assigned, tp) || gr_tp_set_contains(&m->revoking, tp)) return true;
    }
    return false;
}

/* Moves the member one step towards its target. `owned` is what it reports holding (NULL: as before).
 *   - while it still holds partitions it was asked to revoke, nothing changes;
 *   - if it holds partitions outside its target, it is asked to revoke them (same epoch);
 *   - otherwise it moves to the assignment epoch with its target, minus partitions another
 *     member has not released yet (those follow on a later heartbeat). */
static void reconcile(gr_kg_group *g, kg_member *m, const gr_tp_set *owned, int64_t now_ms) {
    if (m->state == MS_UNREVOKED) {
        bool holding = true;
        if (owned) {
            gr_tp_set still;
            gr_tp_set_init(&still);
            gr_tp_set_intersect(&still, &m->revoking, owned);
            holding = still.count > 0;
            gr_tp_set_free(&still);
        }
        if (holding) return;
        gr_tp_set_clear(&m->revoking);
        m->revocation_deadline_ms = GR_DEADLINE_NONE;
        m->state = MS_UNRELEASED; /* not stable yet: look at the target again below */
    }
    if (m->state == MS_STABLE && m->epoch == g->assignment_epoch) return;

    gr_tp_set keep, revoke, fresh;
    gr_tp_set_init(&keep);
    gr_tp_set_init(&revoke);
    gr_tp_set_init(&fresh);
    gr_tp_set_intersect(&keep, &m->assigned, &m->target);
    gr_tp_set_minus(&revoke, &m->assigned, &m->target);
    if (revoke.count > 0) {
        gr_tp_set_free(&m->revoking);
        m->revoking = revoke;
        gr_tp_set_init(&revoke);
        gr_tp_set_copy(&m->assigned, &keep);
        m->state = MS_UNREVOKED;
        m->revocation_deadline_ms = now_ms + (m->rebalance_timeout_ms > 0 ? m->rebalance_timeout_ms : 0);
        notify(g, m->revocation_deadline_ms);
    } else {
        if (m->epoch != g->assignment_epoch) {
            m->previous_epoch = m->epoch;
            m->epoch = g->assignment_epoch;
        }
        gr_tp_set_minus(&fresh, &m->target, &keep);
        bool unreleased = false;
        for (int32_t i = 0; i < fresh.count; i++) {
            if (held_by_other(g, m, &fresh.items[i]))
                unreleased = true;
            else
                gr_tp_set_push(&keep, fresh.items[i].id, fresh.items[i].partition);
        }
        gr_tp_set_normalize(&keep);
        gr_tp_set_free(&m->assigned);
        m->assigned = keep;
        gr_tp_set_init(&keep);
        m->state = unreleased ? MS_UNRELEASED : MS_STABLE;
    }
    gr_tp_set_free(&keep);
    gr_tp_set_free(&revoke);
    gr_tp_set_free(&fresh);
}

/* ---- heartbeat ----------------------------------------------------------------------------- */

static bool parse_owned(gr_kg_group *g, const gr_consumer_group_heartbeat_request *in, gr_tp_set *out) {
    (void)g;
    if (in->topic_partitions.count < 0) return false;
    for (int32_t t = 0; t < in->topic_partitions.count; t++) {
        const gr_consumer_group_heartbeat_request_topic_partitions *tp = &in->topic_partitions.items[t];
        for (int32_t p = 0; p < tp->partitions.count; p++)
            gr_tp_set_push(out, tp->topic_id.b, tp->partitions.items[p]);
    }
    gr_tp_set_normalize(out);
    return true;
}

static bool assignor_known(gr_str name, gr_assignor *out) {
    if (eq("uniform", name)) {
        *out = GR_ASSIGNOR_UNIFORM;
        return true;
    }
    if (eq("range", name)) {
        *out = GR_ASSIGNOR_RANGE;
        return true;
    }
    return false;
}

/* The assignor most members ask for (uniform when none does). */
static void choose_assignor(gr_kg_group *g) {
    int32_t uniform = 0, range = 0;
    for (int32_t i = 0; i < g->member_count; i++) {
        const char *a = g->members[i]->assignor;
        if (a && !strcmp(a, "range")) range++;
        if (a && !strcmp(a, "uniform")) uniform++;
    }
    g->assignor = range > uniform ? GR_ASSIGNOR_RANGE : GR_ASSIGNOR_UNIFORM;
}

/* Updates the member's subscription; true if it changed. Sets *err on a bad regex. */
static bool update_subscription(kg_member *m, const gr_consumer_group_heartbeat_request *in, int16_t version,
                                int16_t *err) {
    bool changed = false;
    if (in->subscribed_topic_names.count >= 0) {
        int32_t n = in->subscribed_topic_names.count;
        bool same = n == m->topic_count;
        for (int32_t i = 0; same && i < n; i++) same = eq(m->topics[i], in->subscribed_topic_names.items[i]);
        if (!same) {
            char **names = calloc((size_t)(n ? n : 1), sizeof *names);
            if (!names) return false;
            for (int32_t i = 0; i < n; i++) names[i] = dup_str(in->subscribed_topic_names.items[i]);
            for (int32_t i = 0; i < m->topic_count; i++) free(m->topics[i]);
            free(m->topics);
            m->topics = names;
            m->topic_count = n;
            changed = true;
        }
    }
    if (version >= 1 && in->subscribed_topic_regex.len >= 0) {
        gr_str rx = in->subscribed_topic_regex;
        bool same = m->regex_text ? eq(m->regex_text, rx) : rx.len == 0;
        if (!same) {
            if (m->has_regex) regfree(&m->regex);
            m->has_regex = false;
            free(m->regex_text);
            m->regex_text = NULL;
            if (rx.len > 0) {
                /* Java's Pattern.matches: the whole name must match. */
                char pattern[REGEX_MAX_BYTES + 8];
                snprintf(pattern, sizeof pattern, "^(%.*s)$", rx.len, rx.ptr);
                if (regcomp(&m->regex, pattern, REG_EXTENDED | REG_NOSUB) != 0) {
                    *err = GR_ERR_INVALID_REGULAR_EXPRESSION;
                    return false;
                }
                m->has_regex = true;
                m->regex_text = dup_str(rx);
            }
            changed = true;
        }
    }
    return changed;
}

static int16_t validate(const gr_consumer_group_heartbeat_request *in, int16_t version, const char **msg) {
    *msg = NULL;
    if (version >= 1 && in->member_id.len <= 0) {
        *msg = "MemberId can't be empty.";
        return GR_ERR_INVALID_REQUEST;
    }
    if (in->instance_id.len == 0) {
        *msg = "InstanceId can't be empty.";
        return GR_ERR_INVALID_REQUEST;
    }
    if (in->member_epoch < EPOCH_LEAVE_STATIC) {
        *msg = "MemberEpoch is invalid.";
        return GR_ERR_INVALID_REQUEST;
    }
    if (in->member_epoch == EPOCH_JOIN) {
        if (in->rebalance_timeout_ms == -1) {
            *msg = "RebalanceTimeoutMs must be provided in first request.";
            return GR_ERR_INVALID_REQUEST;
        }
        if (in->topic_partitions.count > 0) {
            *msg = "TopicPartitions must be empty when (re-)joining.";
            return GR_ERR_INVALID_REQUEST;
        }
        bool has_regex = version >= 1 && in->subscribed_topic_regex.len >= 0;
        if (in->subscribed_topic_names.count < 0 && !has_regex) {
            *msg = "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.";
            return GR_ERR_INVALID_REQUEST;
        }
    }
    if (in->subscribed_topic_names.count > GR_CONSUMER_GROUP_SUBSCRIBED_TOPICS_MAX ||
        in->subscribed_topic_regex.len > REGEX_MAX_BYTES) {
        *msg = "Subscription too large.";
        return GR_ERR_INVALID_REQUEST;
    }
    gr_assignor a;
    if (in->server_assignor.len >= 0 && !assignor_known(in->server_assignor, &a)) {
        *msg = "ServerAssignor is not supported.";
        return GR_ERR_UNSUPPORTED_ASSIGNOR;
    }
    return GR_ERR_NONE;
}

static void fill_assignment(gr_arena *a, const gr_tp_set *s, gr_consumer_group_heartbeat_response *out) {
    out->has_assignment = true;
    int32_t topics = 0;
    for (int32_t i = 0; i < s->count; i++)
        if (i == 0 || memcmp(s->items[i].id, s->items[i - 1].id, 16)) topics++;
    out->assignment.topic_partitions.items =
        gr_arena_calloc(a, (size_t)(topics ? topics : 1), sizeof *out->assignment.topic_partitions.items);
    out->assignment.topic_partitions.count = out->assignment.topic_partitions.items ? topics : 0;
    int32_t t = -1;
    for (int32_t i = 0; i < s->count && out->assignment.topic_partitions.items; i++) {
        if (i == 0 || memcmp(s->items[i].id, s->items[i - 1].id, 16)) {
            t++;
            gr_consumer_group_heartbeat_response_topic_partitions *tp =
                &out->assignment.topic_partitions.items[t];
            memcpy(tp->topic_id.b, s->items[i].id, 16);
            int32_t n = 0;
            while (i + n < s->count && !memcmp(s->items[i + n].id, s->items[i].id, 16)) n++;
            tp->partitions.items = gr_arena_calloc(a, (size_t)n, sizeof *tp->partitions.items);
            tp->partitions.count = 0;
        }
        gr_consumer_group_heartbeat_response_topic_partitions *tp =
            &out->assignment.topic_partitions.items[t];
        if (tp->partitions.items) tp->partitions.items[tp->partitions.count++] = s->items[i].partition;
    }
}

static bool leave(gr_kg_group *g, const gr_consumer_group_heartbeat_request *in, gr_arena *a,
                  gr_consumer_group_heartbeat_response *out) {
    kg_member *m = find_member(g, in->member_id);
    if (!m && in->instance_id.len > 0) m = find_instance(g, in->instance_id);
    out->member_id = in->member_id.len >= 0 ? in->member_id : (gr_str){"", 0};
    out->member_epoch = in->member_epoch;
    if (!m) {
        set_error(a, out, GR_ERR_UNKNOWN_MEMBER_ID, "The member is not in the group.");
        return false;
    }
    if (in->member_epoch == EPOCH_LEAVE_STATIC && m->instance_id) {
        /* A static member going away for a restart: it keeps its partitions for its session. */
        m->left_static = true;
        m->epoch = EPOCH_LEAVE_STATIC;
        m->dirty_assignment = true;
        return false;
    }
    GR_INFO("group", "member %s left consumer group %s", m->member_id, g->group_id);
    remove_member(g, m);
    g->epoch++;
    return true;
}

bool gr_kg_heartbeat(gr_kg_group *g, const gr_consumer_group_heartbeat_request *in, int16_t version,
                     const gr_kg_client *client, int64_t now_ms, gr_arena *a,
                     gr_consumer_group_heartbeat_response *out) {
    const char *msg;
    int32_t start_epoch = g->epoch;
    int16_t err = validate(in, version, &msg);
    out->heartbeat_interval_ms = g->env->heartbeat_interval_ms;
    if (err != GR_ERR_NONE) {
        set_error(a, out, err, msg);
        return false;
    }
    if (in->member_epoch == EPOCH_LEAVE || in->member_epoch == EPOCH_LEAVE_STATIC)
        return leave(g, in, a, out);

    kg_member *m = in->member_id.len > 0 ? find_member(g, in->member_id) : NULL;
    bool joining = in->member_epoch == EPOCH_JOIN;
    if (!m && !joining) {
        set_error(a, out, GR_ERR_UNKNOWN_MEMBER_ID, "The member is not in the group.");
        return false;
    }
    if (m && !joining) {
        gr_tp_set owned;
        gr_tp_set_init(&owned);
        bool have = parse_owned(g, in, &owned);
        bool ok = in->member_epoch == m->epoch || (in->member_epoch == m->previous_epoch &&
                                                   (!have || gr_tp_set_subset(&owned, &m->assigned)));
        gr_tp_set_free(&owned);
        if (!ok) {
            set_error(
                a, out, GR_ERR_FENCED_MEMBER_EPOCH,
                "The consumer group member has an epoch the coordinator does not expect; it must rejoin.");
            out->member_id = arena_str(a, m->member_id);
            out->member_epoch = m->epoch;
            return false;
        }
    }
    bool created = false;
    if (!m) {
        kg_member *old = find_instance(g, in->instance_id);
        if (old && !old->left_static) {
            set_error(a, out, GR_ERR_UNRELEASED_INSTANCE_ID,
                      "The static member's instance id is still in use.");
            return false;
        }
        if (!old && g->member_count >= (g->env->max_size > 0 && g->env->max_size < GR_GROUP_MEMBERS_MAX
                                            ? g->env->max_size
                                            : GR_GROUP_MEMBERS_MAX)) {
            set_error(a, out, GR_ERR_GROUP_MAX_SIZE_REACHED,
                      "The consumer group has reached its maximum size.");
            return false;
        }
        if (g->member_count == g->member_cap) {
            int32_t cap = g->member_cap ? g->member_cap * 2 : 4;
            kg_member **n = realloc(g->members, (size_t)cap * sizeof *n);
            if (!n) {
                set_error(a, out, GR_ERR_UNKNOWN_SERVER_ERROR, NULL);
                return false;
            }
            g->members = n;
            g->member_cap = cap;
        }
        m = calloc(1, sizeof *m);
        char generated[64];
        if (in->member_id.len > 0) {
            if (m) m->member_id = dup_str(in->member_id);
        } else {
            gr_uuid_string_new(generated, sizeof generated); /* v0: the coordinator names the member */
            if (m) m->member_id = strdup(generated);
        }
        if (!m || !m->member_id) {
            free(m);
            set_error(a, out, GR_ERR_UNKNOWN_SERVER_ERROR, NULL);
            return false;
        }
        gr_tp_set_init(&m->assigned);
        gr_tp_set_init(&m->revoking);
        gr_tp_set_init(&m->target);
        m->revocation_deadline_ms = GR_DEADLINE_NONE;
        m->instance_id = dup_str(in->instance_id);
        g->members[g->member_count++] = m;
        created = true;
        m->dirty_meta = m->dirty_assignment = true;
        if (old) {
            /* The same instance restarted: the new member takes the old one's place and partitions. */
            gr_tp_set_copy(&m->target, &old->target);
            remove_member(g, old);
        }
        GR_INFO("group", "member %s joined consumer group %s", m->member_id, g->group_id);
    } else if (joining) {
        /* Rejoining with epoch 0: it holds nothing now. */
        m->dirty_assignment = true;
        gr_tp_set_clear(&m->assigned);
        gr_tp_set_clear(&m->revoking);
        m->state = MS_STABLE;
        m->epoch = 0;
        m->previous_epoch = 0;
        m->revocation_deadline_ms = GR_DEADLINE_NONE;
    }
    if (in->rebalance_timeout_ms >= 0 && in->rebalance_timeout_ms != m->rebalance_timeout_ms) {
        m->rebalance_timeout_ms = in->rebalance_timeout_ms;
        m->dirty_meta = true;
    }
    if (in->rack_id.len >= 0 && !eq(m->rack_id, in->rack_id)) {
        free(m->rack_id);
        m->rack_id = dup_str(in->rack_id);
        m->dirty_meta = true;
    }
    if (in->server_assignor.len >= 0 && !eq(m->assignor, in->server_assignor)) {
        free(m->assignor);
        m->assignor = dup_str(in->server_assignor);
        m->dirty_meta = true;
    }
    gr_str client_id = client->client_id.len >= 0 ? client->client_id : (gr_str){"", 0};
    if (!eq(m->client_id, client_id) || !eq(m->client_host, client->client_host)) {
        free(m->client_id);
        free(m->client_host);
        m->client_id = dup_str(client_id);
        m->client_host = dup_str(client->client_host);
        m->dirty_meta = true;
    }
    err = GR_ERR_NONE;
    bool subscription_changed = update_subscription(m, in, version, &err);
    if (err != GR_ERR_NONE) {
        if (created) remove_member(g, m);
        set_error(a, out, err, "SubscribedTopicRegex is not a valid regular expression.");
        return g->epoch != start_epoch;
    }
    if (subscription_changed) m->dirty_meta = true;
    if (created || subscription_changed) g->epoch++;
    refresh_metadata(g, now_ms, created || subscription_changed);
    if (g->epoch > g->assignment_epoch) {
        choose_assignor(g);
        compute_target(g);
    }
    m->session_deadline_ms = now_ms + g->env->session_timeout_ms;
    notify(g, m->session_deadline_ms);

    gr_tp_set before;
    gr_tp_set_init(&before);
    gr_tp_set_copy(&before, &m->assigned);
    int32_t epoch_before = m->epoch, revoking_before = m->revoking.count;
    member_state state_before = m->state;
    gr_tp_set owned;
    gr_tp_set_init(&owned);
    bool have_owned = parse_owned(g, in, &owned);
    reconcile(g, m, have_owned ? &owned : NULL, now_ms);
    gr_tp_set_free(&owned);

    if (epoch_before != m->epoch || state_before != m->state || revoking_before != m->revoking.count ||
        !gr_tp_set_equal(&before, &m->assigned))
        m->dirty_assignment = true;
    out->error_code = GR_ERR_NONE;
    out->member_id = arena_str(a, m->member_id);
    out->member_epoch = m->epoch;
    bool full =
        in->rebalance_timeout_ms != -1 && in->topic_partitions.count >= 0 &&
        (in->subscribed_topic_names.count >= 0 || (version >= 1 && in->subscribed_topic_regex.len >= 0));
    if (joining || full || !gr_tp_set_equal(&before, &m->assigned) || epoch_before != m->epoch)
        fill_assignment(a, &m->assigned, out);
    gr_tp_set_free(&before);
    return g->epoch != start_epoch;
}

/* ---- time ------------------------------------------------------------------------------------ */

int64_t gr_kg_next_deadline(const gr_kg_group *g) {
    int64_t d = GR_DEADLINE_NONE;
    for (int32_t i = 0; i < g->member_count; i++) {
        const kg_member *m = g->members[i];
        if (m->session_deadline_ms < d) d = m->session_deadline_ms;
        if (m->state == MS_UNREVOKED && m->revocation_deadline_ms < d) d = m->revocation_deadline_ms;
    }
    return d;
}

bool gr_kg_on_time(gr_kg_group *g, int64_t now_ms) {
    bool moved = false;
    for (int32_t i = 0; i < g->member_count;) {
        kg_member *m = g->members[i];
        bool session = m->session_deadline_ms <= now_ms;
        bool revocation = m->state == MS_UNREVOKED && m->revocation_deadline_ms <= now_ms;
        if (!session && !revocation) {
            i++;
            continue;
        }
        GR_INFO("group", "member %s of consumer group %s is fenced (%s)", m->member_id, g->group_id,
                session ? "session timeout" : "did not revoke in time");
        remove_member(g, m);
        moved = true;
    }
    if (moved) g->epoch++;
    return moved;
}

/* ---- the rest ------------------------------------------------------------------------------ */

gr_kg_group *gr_kg_new(const gr_kg_env *env, gr_str group_id) {
    gr_kg_group *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->env = env;
    g->group_id = dup_str(group_id.len >= 0 ? group_id : (gr_str){"", 0});
    if (!g->group_id) {
        free(g);
        return NULL;
    }
    return g;
}

void gr_kg_free(gr_kg_group *g) {
    if (!g) return;
    for (int32_t i = 0; i < g->member_count; i++) member_free(g->members[i]);
    for (int32_t i = 0; i < g->removed_count; i++) free(g->removed[i]);
    free(g->removed);
    free(g->members);
    free(g->topics);
    free(g->group_id);
    free(g);
}

int32_t gr_kg_member_count(const gr_kg_group *g) { return g->member_count; }
int32_t gr_kg_epoch(const gr_kg_group *g) { return g->epoch; }

void gr_kg_set_epoch(gr_kg_group *g, int32_t epoch) {
    g->epoch = epoch;
    g->assignment_epoch = epoch;
}

const char *gr_kg_state_name(const gr_kg_group *g) {
    if (g->member_count == 0) return "Empty";
    if (g->assignment_epoch < g->epoch) return "Assigning";
    for (int32_t i = 0; i < g->member_count; i++)
        if (g->members[i]->state != MS_STABLE || g->members[i]->epoch != g->assignment_epoch)
            return "Reconciling";
    return "Stable";
}

int16_t gr_kg_validate_commit(const gr_kg_group *g, gr_str member_id, gr_str instance_id, int32_t epoch,
                              int16_t version) {
    (void)instance_id;
    if (epoch < 0 && g->member_count == 0) return GR_ERR_NONE;
    kg_member *m = find_member(g, member_id);
    if (!m) return GR_ERR_UNKNOWN_MEMBER_ID;
    if (version < 9) return GR_ERR_UNSUPPORTED_VERSION; /* members of this protocol commit with v9+ */
    return epoch == m->epoch ? GR_ERR_NONE : GR_ERR_STALE_MEMBER_EPOCH;
}

int16_t gr_kg_validate_fetch(const gr_kg_group *g, gr_str member_id, int32_t epoch) {
    if (member_id.len < 0) return GR_ERR_NONE;
    kg_member *m = find_member(g, member_id);
    if (!m) return GR_ERR_UNKNOWN_MEMBER_ID;
    return epoch == m->epoch ? GR_ERR_NONE : GR_ERR_STALE_MEMBER_EPOCH;
}

bool gr_kg_is_subscribed(const gr_kg_group *g, gr_str topic) {
    char name[256];
    if (topic.len < 0 || topic.len >= (int32_t)sizeof name) return false;
    memcpy(name, topic.ptr, (size_t)topic.len);
    name[topic.len] = '\0';
    for (int32_t i = 0; i < g->member_count; i++)
        if (topic_matches(g->members[i], name)) return true;
    return false;
}

static void describe_set(gr_kg_group *g, gr_arena *a, const gr_tp_set *s,
                         gr_consumer_group_describe_response_assignment *out) {
    int32_t topics = 0;
    for (int32_t i = 0; i < s->count; i++)
        if (i == 0 || memcmp(s->items[i].id, s->items[i - 1].id, 16)) topics++;
    out->topic_partitions.items =
        gr_arena_calloc(a, (size_t)(topics ? topics : 1), sizeof *out->topic_partitions.items);
    out->topic_partitions.count = 0;
    for (int32_t i = 0; i < s->count && out->topic_partitions.items; i++) {
        if (i == 0 || memcmp(s->items[i].id, s->items[i - 1].id, 16)) {
            gr_consumer_group_describe_response_topic_partitions *tp =
                &out->topic_partitions.items[out->topic_partitions.count++];
            gr_consumer_group_describe_response_topic_partitions_init(tp);
            memcpy(tp->topic_id.b, s->items[i].id, 16);
            gr_kg_topic_info info;
            tp->topic_name = g->env->topic_by_id && g->env->topic_by_id(g->env->ud, s->items[i].id, &info)
                                 ? arena_str(a, info.name)
                                 : (gr_str){"", 0};
            int32_t n = 0;
            while (i + n < s->count && !memcmp(s->items[i + n].id, s->items[i].id, 16)) n++;
            tp->partitions.items = gr_arena_calloc(a, (size_t)n, sizeof *tp->partitions.items);
            tp->partitions.count = 0;
        }
        gr_consumer_group_describe_response_topic_partitions *tp =
            &out->topic_partitions.items[out->topic_partitions.count - 1];
        if (tp->partitions.items) tp->partitions.items[tp->partitions.count++] = s->items[i].partition;
    }
}

void gr_kg_describe(gr_kg_group *g, gr_arena *a, gr_consumer_group_describe_response_described_group *out) {
    out->error_code = GR_ERR_NONE;
    out->group_state = arena_str(a, gr_kg_state_name(g));
    out->group_epoch = g->epoch;
    out->assignment_epoch = g->assignment_epoch;
    out->assignor_name = arena_str(a, g->assignor == GR_ASSIGNOR_RANGE ? "range" : "uniform");
    out->members.items =
        gr_arena_calloc(a, (size_t)(g->member_count ? g->member_count : 1), sizeof *out->members.items);
    out->members.count = out->members.items ? g->member_count : 0;
    for (int32_t i = 0; i < out->members.count; i++) {
        const kg_member *m = g->members[i];
        gr_consumer_group_describe_response_member *dm = &out->members.items[i];
        gr_consumer_group_describe_response_member_init(dm);
        dm->member_id = arena_str(a, m->member_id);
        dm->instance_id = arena_str(a, m->instance_id);
        dm->rack_id = arena_str(a, m->rack_id);
        dm->member_epoch = m->epoch;
        dm->client_id = arena_str(a, m->client_id ? m->client_id : "");
        dm->client_host = arena_str(a, m->client_host ? m->client_host : "");
        dm->subscribed_topic_names.items = gr_arena_calloc(a, (size_t)(m->topic_count ? m->topic_count : 1),
                                                           sizeof *dm->subscribed_topic_names.items);
        dm->subscribed_topic_names.count = dm->subscribed_topic_names.items ? m->topic_count : 0;
        for (int32_t k = 0; k < dm->subscribed_topic_names.count; k++)
            dm->subscribed_topic_names.items[k] = arena_str(a, m->topics[k]);
        dm->subscribed_topic_regex = arena_str(a, m->regex_text);
        describe_set(g, a, &m->assigned, &dm->assignment);
        describe_set(g, a, &m->target, &dm->target_assignment);
    }
}

/* ---- persistence ------------------------------------------------------------------------- */

/* Kafka's MemberState codes in ConsumerGroupCurrentMemberAssignmentValue. */
#define STATE_CODE_STABLE 1
#define STATE_CODE_UNREVOKED 2
#define STATE_CODE_UNRELEASED 3

bool gr_kg_has_changes(const gr_kg_group *g) {
    if (g->removed_count) return true;
    for (int32_t i = 0; i < g->member_count; i++)
        if (g->members[i]->dirty_meta || g->members[i]->dirty_assignment) return true;
    return false;
}

static void set_to_records(gr_arena *a, const gr_tp_set *s,
                           gr_consumer_group_current_member_assignment_value_topic_partitions **items,
                           int32_t *count) {
    int32_t topics = 0;
    for (int32_t i = 0; i < s->count; i++)
        if (i == 0 || memcmp(s->items[i].id, s->items[i - 1].id, 16)) topics++;
    *items = gr_arena_calloc(a, (size_t)(topics ? topics : 1), sizeof **items);
    *count = 0;
    for (int32_t i = 0; i < s->count && *items; i++) {
        if (i == 0 || memcmp(s->items[i].id, s->items[i - 1].id, 16)) {
            gr_consumer_group_current_member_assignment_value_topic_partitions *tp = &(*items)[(*count)++];
            memcpy(tp->topic_id.b, s->items[i].id, 16);
            int32_t n = 0;
            while (i + n < s->count && !memcmp(s->items[i + n].id, s->items[i].id, 16)) n++;
            tp->partitions.items = gr_arena_calloc(a, (size_t)n, sizeof *tp->partitions.items);
            tp->partitions.count = 0;
        }
        gr_consumer_group_current_member_assignment_value_topic_partitions *tp = &(*items)[*count - 1];
        if (tp->partitions.items) tp->partitions.items[tp->partitions.count++] = s->items[i].partition;
    }
}

void gr_kg_drain_changes(gr_kg_group *g, gr_arena *a, gr_kg_persist_fn fn, void *ud) {
    for (int32_t i = 0; i < g->removed_count; i++) {
        fn(ud, gr_str_c(g->removed[i]), NULL, NULL, true);
        free(g->removed[i]);
    }
    g->removed_count = 0;
    for (int32_t i = 0; i < g->member_count; i++) {
        kg_member *m = g->members[i];
        if (!m->dirty_meta && !m->dirty_assignment) continue;
        gr_consumer_group_member_metadata_value meta;
        gr_consumer_group_current_member_assignment_value asg;
        if (m->dirty_meta) {
            gr_consumer_group_member_metadata_value_init(&meta);
            meta.instance_id = arena_str(a, m->instance_id);
            meta.rack_id = arena_str(a, m->rack_id);
            meta.client_id = arena_str(a, m->client_id ? m->client_id : "");
            meta.client_host = arena_str(a, m->client_host ? m->client_host : "");
            meta.subscribed_topic_names.items =
                gr_arena_calloc(a, (size_t)(m->topic_count ? m->topic_count : 1), sizeof(gr_str));
            meta.subscribed_topic_names.count = meta.subscribed_topic_names.items ? m->topic_count : 0;
            for (int32_t k = 0; k < meta.subscribed_topic_names.count; k++)
                meta.subscribed_topic_names.items[k] = arena_str(a, m->topics[k]);
            meta.subscribed_topic_regex = arena_str(a, m->regex_text);
            meta.rebalance_timeout_ms = m->rebalance_timeout_ms;
            meta.server_assignor = arena_str(a, m->assignor);
        }
        if (m->dirty_assignment) {
            gr_consumer_group_current_member_assignment_value_init(&asg);
            asg.member_epoch = m->epoch;
            asg.previous_member_epoch = m->previous_epoch;
            asg.state = m->state == MS_UNREVOKED    ? STATE_CODE_UNREVOKED
                        : m->state == MS_UNRELEASED ? STATE_CODE_UNRELEASED
                                                    : STATE_CODE_STABLE;
            set_to_records(a, &m->assigned, &asg.assigned_partitions.items, &asg.assigned_partitions.count);
            set_to_records(a, &m->revoking, &asg.partitions_pending_revocation.items,
                           &asg.partitions_pending_revocation.count);
        }
        fn(ud, gr_str_c(m->member_id), m->dirty_meta ? &meta : NULL, m->dirty_assignment ? &asg : NULL,
           false);
        m->dirty_meta = m->dirty_assignment = false;
    }
}

/* The member with this id, created empty when missing (restore only). */
static kg_member *restore_get(gr_kg_group *g, gr_str member_id) {
    kg_member *m = find_member(g, member_id);
    if (m) return m;
    if (g->member_count >= GR_GROUP_MEMBERS_MAX) return NULL;
    if (g->member_count == g->member_cap) {
        int32_t cap = g->member_cap ? g->member_cap * 2 : 4;
        kg_member **n = realloc(g->members, (size_t)cap * sizeof *n);
        if (!n) return NULL;
        g->members = n;
        g->member_cap = cap;
    }
    m = calloc(1, sizeof *m);
    if (!m || !(m->member_id = dup_str(member_id))) {
        free(m);
        return NULL;
    }
    gr_tp_set_init(&m->assigned);
    gr_tp_set_init(&m->revoking);
    gr_tp_set_init(&m->target);
    m->revocation_deadline_ms = GR_DEADLINE_NONE;
    m->session_deadline_ms = GR_DEADLINE_NONE;
    g->members[g->member_count++] = m;
    return m;
}

void gr_kg_restore_member(gr_kg_group *g, gr_str member_id, const gr_consumer_group_member_metadata_value *v,
                          int64_t now_ms) {
    kg_member *m = restore_get(g, member_id);
    if (!m) return;
    clear_subscription(m);
    free(m->instance_id);
    free(m->rack_id);
    free(m->client_id);
    free(m->client_host);
    free(m->assignor);
    m->instance_id = dup_str(v->instance_id);
    m->rack_id = dup_str(v->rack_id);
    m->client_id = dup_str(v->client_id);
    m->client_host = dup_str(v->client_host);
    m->assignor = dup_str(v->server_assignor);
    m->rebalance_timeout_ms = v->rebalance_timeout_ms;
    int32_t n = v->subscribed_topic_names.count > 0 ? v->subscribed_topic_names.count : 0;
    if (n > GR_CONSUMER_GROUP_SUBSCRIBED_TOPICS_MAX) n = GR_CONSUMER_GROUP_SUBSCRIBED_TOPICS_MAX;
    m->topics = calloc((size_t)(n ? n : 1), sizeof *m->topics);
    for (int32_t i = 0; m->topics && i < n; i++) m->topics[i] = dup_str(v->subscribed_topic_names.items[i]);
    m->topic_count = m->topics ? n : 0;
    if (v->subscribed_topic_regex.len > 0 && v->subscribed_topic_regex.len <= REGEX_MAX_BYTES) {
        char pattern[REGEX_MAX_BYTES + 8];
        snprintf(pattern, sizeof pattern, "^(%.*s)$", v->subscribed_topic_regex.len,
                 v->subscribed_topic_regex.ptr);
        if (regcomp(&m->regex, pattern, REG_EXTENDED | REG_NOSUB) == 0) {
            m->has_regex = true;
            m->regex_text = dup_str(v->subscribed_topic_regex);
        }
    }
    /* A fresh session: the member has that long to come back after the restart. */
    m->session_deadline_ms = now_ms + g->env->session_timeout_ms;
    notify(g, m->session_deadline_ms);
    choose_assignor(g);
}

static void records_to_set(const gr_consumer_group_current_member_assignment_value_topic_partitions *items,
                           int32_t count, gr_tp_set *out) {
    gr_tp_set_clear(out);
    for (int32_t t = 0; t < count; t++)
        for (int32_t p = 0; p < items[t].partitions.count; p++)
            gr_tp_set_push(out, items[t].topic_id.b, items[t].partitions.items[p]);
    gr_tp_set_normalize(out);
}

void gr_kg_restore_assignment(gr_kg_group *g, gr_str member_id,
                              const gr_consumer_group_current_member_assignment_value *v, int64_t now_ms) {
    kg_member *m = restore_get(g, member_id);
    if (!m) return;
    m->epoch = v->member_epoch;
    m->previous_epoch = v->previous_member_epoch;
    m->left_static = v->member_epoch == EPOCH_LEAVE_STATIC;
    m->state = v->state == STATE_CODE_UNREVOKED    ? MS_UNREVOKED
               : v->state == STATE_CODE_UNRELEASED ? MS_UNRELEASED
                                                   : MS_STABLE;
    records_to_set(v->assigned_partitions.items,
                   v->assigned_partitions.count > 0 ? v->assigned_partitions.count : 0, &m->assigned);
    records_to_set(v->partitions_pending_revocation.items,
                   v->partitions_pending_revocation.count > 0 ? v->partitions_pending_revocation.count : 0,
                   &m->revoking);
    /* The target is recomputed at the first heartbeat; starting from what it holds keeps it sticky. */
    gr_tp_set_union(&m->target, &m->assigned, &m->revoking);
    m->revocation_deadline_ms = m->state == MS_UNREVOKED
                                    ? now_ms + (m->rebalance_timeout_ms > 0 ? m->rebalance_timeout_ms : 0)
                                    : GR_DEADLINE_NONE;
    if (m->session_deadline_ms == GR_DEADLINE_NONE)
        m->session_deadline_ms = now_ms + g->env->session_timeout_ms;
    notify(g, m->session_deadline_ms);
}

void gr_kg_restore_remove(gr_kg_group *g, gr_str member_id) {
    kg_member *m = find_member(g, member_id);
    if (m) remove_member_ex(g, m, false);
}
