/*
 * classic.c: the classic group protocol's state machine (see classic.h).
 *
 * The rules follow Apache Kafka's group coordinator: which JoinGroup is
 * accepted in which state, when the join phase completes, who becomes
 * leader, how static members are replaced, when members expire. Where Kafka
 * would leave a parked request unanswered (a member replaced or removed while
 * its request waits), we answer it with an error instead: our connections
 * answer in order, and a request left hanging would block its connection.
 */
#include "group/classic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/clock.h"
#include "base/limits.h"
#include "base/log.h"
#include "group/member_id.h"
#include "proto/errors.h"
#include "proto/gen/consumer_protocol_subscription.h"

#define CONSUMER_PROTOCOL_TYPE "consumer"
#define SUBSCRIPTION_DECODE_ARENA_BYTES (8u * 1024u * 1024u)
#define SUBSCRIPTION_VERSION_MAX 3

static const gr_str NULL_STR = {NULL, -1};
static const gr_str EMPTY_STR = {"", 0};

const char *gr_cg_state_name(gr_cg_state s) {
    switch (s) {
    case GR_CG_EMPTY:
        return "Empty";
    case GR_CG_PREPARING_REBALANCE:
        return "PreparingRebalance";
    case GR_CG_COMPLETING_REBALANCE:
        return "CompletingRebalance";
    case GR_CG_STABLE:
        return "Stable";
    case GR_CG_DEAD:
        return "Dead";
    }
    return "Unknown";
}

/* ---- small helpers -------------------------------------------------------------------------- */

static char *dup_str(gr_str s) {
    if (s.len < 0 || !s.ptr) return NULL;
    char *p = malloc((size_t)s.len + 1);
    if (!p) return NULL;
    memcpy(p, s.ptr, (size_t)s.len);
    p[s.len] = '\0';
    return p;
}

static bool eq(const char *a, gr_str b) {
    if (!a) return b.len < 0 || !b.ptr;
    if (b.len < 0 || !b.ptr) return false;
    return strlen(a) == (size_t)b.len && memcmp(a, b.ptr, (size_t)b.len) == 0;
}

static gr_str as_str(const char *c) { return c ? gr_str_c(c) : NULL_STR; }

static void notify_deadline(gr_cg_group *g, int64_t at_ms) {
    if (at_ms != GR_DEADLINE_NONE && g->env->deadline) g->env->deadline(g->env->ud, g, at_ms);
}

static int32_t rebalance_timeout(const gr_cg_group *g) {
    int32_t t = 0;
    for (int32_t i = 0; i < g->member_count; i++)
        if (g->members[i]->rebalance_timeout_ms > t) t = g->members[i]->rebalance_timeout_ms;
    return t;
}

static int32_t max_size(const gr_cg_group *g) {
    int32_t m = g->env->max_size > 0 ? g->env->max_size : GR_GROUP_MEMBERS_MAX;
    return m < GR_GROUP_MEMBERS_MAX ? m : GR_GROUP_MEMBERS_MAX;
}

static void transition(gr_cg_group *g, gr_cg_state to) {
    g->previous_state = g->state;
    g->state = to;
    g->state_timestamp_ms = gr_wall_ms();
}

/* ---- members -------------------------------------------------------------------------------- */

static void free_protocols(gr_cg_protocol *p, int32_t n) {
    for (int32_t i = 0; i < n; i++) {
        free(p[i].name);
        free(p[i].metadata);
    }
    free(p);
}

/* Copies the offered protocols; false on allocation failure (nothing changed then). */
static bool set_protocols(gr_cg_member *m, int32_t n, const gr_str *names, const gr_bytes *metadata) {
    gr_cg_protocol *p = calloc((size_t)(n > 0 ? n : 1), sizeof *p);
    if (!p) return false;
    for (int32_t i = 0; i < n; i++) {
        p[i].name = dup_str(names[i].len >= 0 ? names[i] : EMPTY_STR);
        int32_t len = metadata[i].len > 0 ? metadata[i].len : 0;
        p[i].metadata = malloc((size_t)len + 1);
        if (!p[i].name || !p[i].metadata) {
            free_protocols(p, i + 1);
            return false;
        }
        if (len) memcpy(p[i].metadata, metadata[i].ptr, (size_t)len);
        p[i].metadata_len = len;
    }
    free_protocols(m->protocols, m->protocol_count);
    m->protocols = p;
    m->protocol_count = n;
    return true;
}

static void set_assignment(gr_cg_member *m, const uint8_t *data, int32_t len) {
    free(m->assignment);
    m->assignment = NULL;
    m->assignment_len = 0;
    if (len <= 0) return;
    m->assignment = malloc((size_t)len);
    if (!m->assignment) return; /* an empty assignment: the member rejoins and asks again */
    memcpy(m->assignment, data, (size_t)len);
    m->assignment_len = len;
}

static gr_cg_member *member_new(const gr_cg_join_params *p, gr_str member_id) {
    gr_cg_member *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->member_id = dup_str(member_id);
    m->instance_id = dup_str(p->instance_id);
    m->client_id = dup_str(p->client_id.len >= 0 ? p->client_id : EMPTY_STR);
    m->client_host = dup_str(p->client_host.len >= 0 ? p->client_host : EMPTY_STR);
    m->session_timeout_ms = p->session_timeout_ms;
    m->rebalance_timeout_ms = p->rebalance_timeout_ms;
    m->heartbeat_deadline_ms = GR_DEADLINE_NONE;
    if (!m->member_id || !m->client_id || !m->client_host || (p->instance_id.len >= 0 && !m->instance_id) ||
        !set_protocols(m, p->protocol_count, p->protocol_names, p->protocol_metadata)) {
        free_protocols(m->protocols, m->protocol_count);
        free(m->member_id);
        free(m->instance_id);
        free(m->client_id);
        free(m->client_host);
        free(m);
        return NULL;
    }
    return m;
}

static bool member_matches(const gr_cg_member *m, const gr_cg_join_params *p) {
    if (m->protocol_count != p->protocol_count) return false;
    for (int32_t i = 0; i < p->protocol_count; i++) {
        int32_t len = p->protocol_metadata[i].len > 0 ? p->protocol_metadata[i].len : 0;
        if (!eq(m->protocols[i].name, p->protocol_names[i]) || m->protocols[i].metadata_len != len ||
            (len && memcmp(m->protocols[i].metadata, p->protocol_metadata[i].ptr, (size_t)len) != 0))
            return false;
    }
    return true;
}

const gr_cg_protocol *gr_cg_member_protocol(const gr_cg_member *m, const char *name) {
    if (!name) return NULL;
    for (int32_t i = 0; i < m->protocol_count; i++)
        if (!strcmp(m->protocols[i].name, name)) return &m->protocols[i];
    return NULL;
}

gr_cg_member *gr_cg_find_member(const gr_cg_group *g, gr_str member_id) {
    for (int32_t i = 0; i < g->member_count; i++)
        if (eq(g->members[i]->member_id, member_id)) return g->members[i];
    return NULL;
}

static gr_cg_member *find_static(const gr_cg_group *g, gr_str instance_id) {
    if (instance_id.len < 0) return NULL;
    for (int32_t i = 0; i < g->member_count; i++)
        if (g->members[i]->instance_id && eq(g->members[i]->instance_id, instance_id)) return g->members[i];
    return NULL;
}

static int32_t find_pending(const gr_cg_group *g, gr_str member_id) {
    for (int32_t i = 0; i < g->pending_count; i++)
        if (eq(g->pending[i].member_id, member_id)) return i;
    return -1;
}

static void remove_pending_at(gr_cg_group *g, int32_t i) {
    free(g->pending[i].member_id);
    g->pending[i] = g->pending[--g->pending_count];
}

/* ---- completing parked requests ------------------------------------------------------------- */

static void reply_join(gr_cg_waiter *w, const gr_cg_join_result *r) {
    if (w) w->join_done(w, r);
}

static void reply_join_error(gr_cg_waiter *w, int16_t error, gr_str member_id) {
    gr_cg_join_result r = {.error = error,
                           .member_id = member_id.len >= 0 ? member_id : EMPTY_STR,
                           .generation = -1,
                           .protocol_type = NULL_STR,
                           .protocol_name = EMPTY_STR,
                           .leader = EMPTY_STR};
    reply_join(w, &r);
}

static void reply_sync_error(gr_cg_waiter *w, int16_t error) {
    gr_cg_sync_result r = {.error = error, .protocol_type = NULL_STR, .protocol_name = NULL_STR};
    if (w) w->sync_done(w, &r);
}

/* Completes the member's parked JoinGroup, if any. */
static void complete_join(gr_cg_group *g, gr_cg_member *m, const gr_cg_join_result *r) {
    gr_cg_waiter *w = m->join_waiter;
    if (!w) return;
    m->join_waiter = NULL;
    g->awaiting_join_count--;
    reply_join(w, r);
}

static void complete_join_error(gr_cg_group *g, gr_cg_member *m, int16_t error, gr_str member_id) {
    gr_cg_waiter *w = m->join_waiter;
    if (!w) return;
    m->join_waiter = NULL;
    g->awaiting_join_count--;
    reply_join_error(w, error, member_id);
}

static void complete_sync_error(gr_cg_member *m, int16_t error) {
    gr_cg_waiter *w = m->sync_waiter;
    m->sync_waiter = NULL;
    reply_sync_error(w, error);
}

/* The join answer for the current generation; the leader also gets everyone's metadata. */
static void current_generation_result(const gr_cg_group *g, const gr_cg_member *m, gr_cg_join_result *r) {
    memset(r, 0, sizeof *r);
    r->error = GR_ERR_NONE;
    r->member_id = as_str(m->member_id);
    r->generation = g->generation;
    r->protocol_type = as_str(g->protocol_type);
    r->protocol_name = as_str(g->protocol_name);
    r->leader = g->leader ? as_str(g->leader->member_id) : EMPTY_STR;
    r->members_of = g->leader == m ? g : NULL;
}

/* ---- membership ----------------------------------------------------------------------------- */

static bool group_add(gr_cg_group *g, gr_cg_member *m, gr_cg_waiter *w) {
    if (g->member_count == g->member_cap) {
        int32_t cap = g->member_cap ? g->member_cap * 2 : 4;
        gr_cg_member **n = realloc(g->members, (size_t)cap * sizeof *n);
        if (!n) return false;
        g->members = n;
        g->member_cap = cap;
    }
    g->members[g->member_count++] = m;
    if (!g->leader) g->leader = m;
    m->join_waiter = w;
    if (w) g->awaiting_join_count++;
    int32_t pi = find_pending(g, as_str(m->member_id));
    if (pi >= 0) remove_pending_at(g, pi);
    return true;
}

/* Takes m out of the group (not freed). */
static void group_remove(gr_cg_group *g, gr_cg_member *m) {
    int32_t i = 0;
    while (i < g->member_count && g->members[i] != m) i++;
    if (i == g->member_count) return;
    memmove(&g->members[i], &g->members[i + 1], (size_t)(g->member_count - i - 1) * sizeof *g->members);
    g->member_count--;
    if (m->join_waiter) g->awaiting_join_count--;
    if (g->leader == m) g->leader = g->member_count ? g->members[0] : NULL;
}

/* Frees a member taken out of the group, answering whatever it still has parked. */
static void member_discard(gr_cg_member *m, int16_t error) {
    if (m->join_waiter) {
        gr_cg_waiter *w = m->join_waiter;
        m->join_waiter = NULL;
        reply_join_error(w, error, EMPTY_STR);
    }
    complete_sync_error(m, error);
    free_protocols(m->protocols, m->protocol_count);
    free(m->member_id);
    free(m->instance_id);
    free(m->client_id);
    free(m->client_host);
    free(m->assignment);
    free(m);
}

static void reschedule_heartbeat(gr_cg_group *g, gr_cg_member *m, int64_t now_ms, int64_t timeout_ms) {
    if (timeout_ms < 0) timeout_ms = 0;
    m->heartbeat_deadline_ms = now_ms + timeout_ms;
    notify_deadline(g, m->heartbeat_deadline_ms);
}

static bool all_members_joined(const gr_cg_group *g) {
    return g->member_count == g->awaiting_join_count && g->pending_count == 0;
}

static bool all_synced(const gr_cg_group *g) {
    for (int32_t i = 0; i < g->member_count; i++)
        if (g->members[i]->pending_sync) return false;
    return true;
}

static void remove_pending_sync(gr_cg_group *g, gr_cg_member *m) {
    m->pending_sync = false;
    if (g->state != GR_CG_COMPLETING_REBALANCE && g->state != GR_CG_STABLE)
        g->sync_deadline_ms = GR_DEADLINE_NONE;
    else if (all_synced(g))
        g->sync_deadline_ms = GR_DEADLINE_NONE;
}

/* The group's protocol must be one every member offers; an empty group takes any non-empty set. */
static bool supports_protocols(const gr_cg_group *g, gr_str type, int32_t n, const gr_str *names) {
    if (g->member_count == 0) return type.len > 0 && n > 0;
    if (!eq(g->protocol_type, type)) return false;
    for (int32_t i = 0; i < n; i++) {
        int32_t supporting = 0;
        for (int32_t k = 0; k < g->member_count; k++) {
            const gr_cg_member *m = g->members[k];
            for (int32_t j = 0; j < m->protocol_count; j++)
                if (eq(m->protocols[j].name, names[i])) {
                    supporting++;
                    break;
                }
        }
        if (supporting == g->member_count) return true;
    }
    return false;
}

static bool supported_by_all(const gr_cg_group *g, const char *name) {
    for (int32_t k = 0; k < g->member_count; k++)
        if (!gr_cg_member_protocol(g->members[k], name)) return false;
    return true;
}

/* Each member votes for its most preferred protocol that all members support; most votes wins
   (ties go to the earlier choice in the first member's preference order). */
static const char *select_protocol(const gr_cg_group *g) {
    if (g->member_count == 0) return NULL;
    const gr_cg_member *first = g->members[0];
    const char *best = NULL;
    int32_t best_votes = -1;
    for (int32_t c = 0; c < first->protocol_count; c++) {
        const char *cand = first->protocols[c].name;
        if (!supported_by_all(g, cand)) continue;
        int32_t votes = 0;
        for (int32_t k = 0; k < g->member_count; k++) {
            const gr_cg_member *m = g->members[k];
            for (int32_t j = 0; j < m->protocol_count; j++) {
                if (!supported_by_all(g, m->protocols[j].name)) continue;
                if (!strcmp(m->protocols[j].name, cand)) votes++;
                break;
            }
        }
        if (votes > best_votes) {
            best = cand;
            best_votes = votes;
        }
    }
    return best;
}

static gr_cg_member *awaiting_member(const gr_cg_group *g) {
    for (int32_t i = 0; i < g->member_count; i++)
        if (g->members[i]->join_waiter) return g->members[i];
    return NULL;
}

static bool maybe_elect_new_joined_leader(gr_cg_group *g) {
    if (!g->leader) return false;
    if (g->leader->join_waiter) return true;
    gr_cg_member *m = awaiting_member(g);
    if (!m) return false;
    g->leader = m;
    return true;
}

static void free_subscribed(gr_cg_group *g) {
    for (int32_t i = 0; i < g->subscribed_topic_count; i++) free(g->subscribed_topics[i]);
    free(g->subscribed_topics);
    g->subscribed_topics = NULL;
    g->subscribed_topic_count = 0;
    g->subscribed_known = false;
}

static bool add_subscribed(gr_cg_group *g, gr_str topic, int32_t *cap) {
    for (int32_t i = 0; i < g->subscribed_topic_count; i++)
        if (eq(g->subscribed_topics[i], topic)) return true;
    if (g->subscribed_topic_count == *cap) {
        int32_t n = *cap ? *cap * 2 : 8;
        char **t = realloc(g->subscribed_topics, (size_t)n * sizeof *t);
        if (!t) return false;
        g->subscribed_topics = t;
        *cap = n;
    }
    char *s = dup_str(topic);
    if (!s) return false;
    g->subscribed_topics[g->subscribed_topic_count++] = s;
    return true;
}

/* Topics of the consumer protocol's subscriptions, for OffsetDelete. Unknown if any does not parse. */
static void compute_subscribed_topics(gr_cg_group *g) {
    free_subscribed(g);
    if (!g->protocol_type || strcmp(g->protocol_type, CONSUMER_PROTOCOL_TYPE) != 0 || !g->protocol_name)
        return;
    int32_t cap = 0;
    gr_arena arena;
    gr_arena_init(&arena, SUBSCRIPTION_DECODE_ARENA_BYTES);
    bool ok = true;
    for (int32_t k = 0; k < g->member_count && ok; k++) {
        const gr_cg_protocol *p = gr_cg_member_protocol(g->members[k], g->protocol_name);
        if (!p) {
            ok = false;
            break;
        }
        gr_reader r = gr_reader_make(p->metadata, (size_t)p->metadata_len);
        int16_t version = gr_read_i16(&r);
        if (r.err || version < 0) {
            ok = false;
            break;
        }
        /* Newer versions only add fields at the end: read what we know. */
        if (version > SUBSCRIPTION_VERSION_MAX) version = SUBSCRIPTION_VERSION_MAX;
        gr_consumer_protocol_subscription sub;
        if (gr_consumer_protocol_subscription_decode(&r, &arena, version, &sub) != 0 && !r.err) {
            ok = false;
            break;
        }
        if (sub.topics.count < 0) {
            ok = false;
            break;
        }
        for (int32_t i = 0; i < sub.topics.count && ok; i++)
            ok = add_subscribed(g, sub.topics.items[i], &cap);
    }
    gr_arena_free(&arena);
    if (!ok) {
        free_subscribed(g);
        return;
    }
    g->subscribed_known = true;
}

bool gr_cg_is_subscribed(const gr_cg_group *g, gr_str topic) {
    if (!g->subscribed_known) return true;
    for (int32_t i = 0; i < g->subscribed_topic_count; i++)
        if (eq(g->subscribed_topics[i], topic)) return true;
    return false;
}

/* ---- the rebalance ------------------------------------------------------------------------- */

static void complete_group_join(gr_cg_group *g, int64_t now_ms);

static void reset_and_propagate_assignment_error(gr_cg_group *g, int16_t error) {
    for (int32_t i = 0; i < g->member_count; i++) {
        gr_cg_member *m = g->members[i];
        set_assignment(m, NULL, 0);
        complete_sync_error(m, error);
    }
}

static void set_and_propagate_assignment(gr_cg_group *g, int64_t now_ms) {
    for (int32_t i = 0; i < g->member_count; i++) {
        gr_cg_member *m = g->members[i];
        if (!m->sync_waiter) continue;
        gr_cg_waiter *w = m->sync_waiter;
        m->sync_waiter = NULL;
        gr_cg_sync_result r = {.error = GR_ERR_NONE,
                               .protocol_type = as_str(g->protocol_type),
                               .protocol_name = as_str(g->protocol_name),
                               .assignment = {m->assignment, m->assignment_len}};
        w->sync_done(w, &r);
        reschedule_heartbeat(g, m, now_ms, m->session_timeout_ms);
    }
}

static void init_next_generation(gr_cg_group *g) {
    g->generation++;
    free(g->protocol_name);
    g->protocol_name = NULL;
    if (g->member_count > 0) {
        const char *p = select_protocol(g);
        g->protocol_name = p ? strdup(p) : NULL;
        compute_subscribed_topics(g);
        transition(g, GR_CG_COMPLETING_REBALANCE);
    } else {
        free_subscribed(g);
        transition(g, GR_CG_EMPTY);
    }
    for (int32_t i = 0; i < g->member_count; i++) g->members[i]->pending_sync = false;
}

static void prepare_rebalance(gr_cg_group *g, int64_t now_ms, const char *reason) {
    if (g->state == GR_CG_COMPLETING_REBALANCE)
        reset_and_propagate_assignment_error(g, GR_ERR_REBALANCE_IN_PROGRESS);
    g->sync_deadline_ms = GR_DEADLINE_NONE;
    bool initial = g->state == GR_CG_EMPTY;
    GR_INFO("group", "preparing to rebalance group %s in state %s with old generation %d (%s)", g->group_id,
            gr_cg_state_name(g->state), g->generation, reason);
    if (initial) {
        int32_t delay = g->env->initial_rebalance_delay_ms > 0 ? g->env->initial_rebalance_delay_ms : 0;
        int32_t remaining = rebalance_timeout(g) - delay;
        g->initial_join = true;
        g->new_member_added = false;
        g->initial_delay_ms = delay;
        g->initial_remaining_ms = remaining > 0 ? remaining : 0;
        g->join_deadline_ms = now_ms + delay;
    }
    transition(g, GR_CG_PREPARING_REBALANCE);
    if (initial) {
        notify_deadline(g, g->join_deadline_ms);
        return;
    }
    g->initial_join = false;
    if (all_members_joined(g)) {
        complete_group_join(g, now_ms);
        return;
    }
    g->join_deadline_ms = now_ms + rebalance_timeout(g);
    notify_deadline(g, g->join_deadline_ms);
}

static bool can_rebalance(const gr_cg_group *g) {
    return g->state == GR_CG_STABLE || g->state == GR_CG_COMPLETING_REBALANCE || g->state == GR_CG_EMPTY;
}

static void maybe_complete_join_phase(gr_cg_group *g, int64_t now_ms) {
    if (g->state == GR_CG_PREPARING_REBALANCE && all_members_joined(g) && !g->initial_join)
        complete_group_join(g, now_ms);
}

static void maybe_prepare_rebalance_or_complete_join(gr_cg_group *g, int64_t now_ms, const char *reason) {
    if (can_rebalance(g))
        prepare_rebalance(g, now_ms, reason);
    else
        maybe_complete_join_phase(g, now_ms);
}

static void complete_group_join(gr_cg_group *g, int64_t now_ms) {
    g->join_deadline_ms = GR_DEADLINE_NONE;
    g->initial_join = false;
    /* Dynamic members that did not rejoin in time are out; static ones keep their place. */
    for (int32_t i = 0; i < g->member_count;) {
        gr_cg_member *m = g->members[i];
        if (!m->join_waiter && !m->instance_id) {
            GR_INFO("group", "group %s removes member %s which did not rejoin", g->group_id, m->member_id);
            group_remove(g, m);
            member_discard(m, GR_ERR_UNKNOWN_MEMBER_ID);
            continue;
        }
        i++;
    }
    if (g->state == GR_CG_DEAD) return;
    if (!maybe_elect_new_joined_leader(g) && g->member_count > 0) {
        /* Only static members that have not rejoined are left: wait for them (or their expiry). */
        g->join_deadline_ms = now_ms + rebalance_timeout(g);
        notify_deadline(g, g->join_deadline_ms);
        return;
    }
    init_next_generation(g);
    if (g->state == GR_CG_EMPTY) {
        GR_INFO("group", "group %s with generation %d is now empty", g->group_id, g->generation);
        int16_t err = g->env->store ? g->env->store(g->env->ud, g) : GR_ERR_NONE;
        if (err != GR_ERR_NONE)
            GR_WARN("group", "could not write the empty metadata of group %s: %s", g->group_id,
                    gr_error_name(err));
        return;
    }
    GR_INFO("group", "stabilized group %s generation %d with %d members (protocol %s)", g->group_id,
            g->generation, g->member_count, g->protocol_name ? g->protocol_name : "?");
    for (int32_t i = 0; i < g->member_count; i++) {
        gr_cg_member *m = g->members[i];
        gr_cg_join_result r;
        current_generation_result(g, m, &r);
        complete_join(g, m, &r);
        reschedule_heartbeat(g, m, now_ms, m->session_timeout_ms);
        m->is_new = false;
        m->pending_sync = true;
    }
    g->sync_deadline_ms = now_ms + rebalance_timeout(g);
    notify_deadline(g, g->sync_deadline_ms);
}

/* ---- JoinGroup ------------------------------------------------------------------------------ */

static int16_t validate_member(const gr_cg_group *g, gr_str member_id, gr_str instance_id) {
    if (instance_id.len >= 0 && instance_id.ptr) {
        gr_cg_member *s = find_static(g, instance_id);
        if (!s) return GR_ERR_UNKNOWN_MEMBER_ID;
        if (!eq(s->member_id, member_id)) return GR_ERR_FENCED_INSTANCE_ID;
    }
    return gr_cg_find_member(g, member_id) ? GR_ERR_NONE : GR_ERR_UNKNOWN_MEMBER_ID;
}

static bool accept_joining_member(const gr_cg_group *g, const gr_cg_member *existing) {
    switch (g->state) {
    case GR_CG_EMPTY:
    case GR_CG_DEAD:
        return true;
    case GR_CG_PREPARING_REBALANCE:
        return (existing && existing->join_waiter) || g->awaiting_join_count < max_size(g);
    case GR_CG_COMPLETING_REBALANCE:
    case GR_CG_STABLE:
        return existing || g->member_count < max_size(g);
    }
    return false;
}

/* Replaces the member's protocols and timeouts and parks its JoinGroup. */
static bool update_member(gr_cg_group *g, gr_cg_member *m, const gr_cg_join_params *p, gr_cg_waiter *w) {
    if (!set_protocols(m, p->protocol_count, p->protocol_names, p->protocol_metadata)) return false;
    m->rebalance_timeout_ms = p->rebalance_timeout_ms;
    m->session_timeout_ms = p->session_timeout_ms;
    if (m->join_waiter) {
        /* The same member joined again while its previous JoinGroup waits: answer the old one. */
        gr_cg_waiter *old = m->join_waiter;
        m->join_waiter = w;
        reply_join_error(old, GR_ERR_REBALANCE_IN_PROGRESS, as_str(m->member_id));
    } else {
        m->join_waiter = w;
        if (w) g->awaiting_join_count++;
    }
    return true;
}

static void add_member_then_rebalance(gr_cg_group *g, const gr_cg_join_params *p, gr_str member_id,
                                      gr_cg_waiter *w, int64_t now_ms) {
    gr_cg_member *m = member_new(p, member_id);
    if (!m) {
        reply_join_error(w, GR_ERR_UNKNOWN_SERVER_ERROR, member_id);
        return;
    }
    bool first = g->member_count == 0;
    m->is_new = true;
    if (g->state == GR_CG_PREPARING_REBALANCE && g->previous_state == GR_CG_EMPTY) g->new_member_added = true;
    if (!group_add(g, m, w)) {
        m->join_waiter = NULL;
        member_discard(m, GR_ERR_UNKNOWN_SERVER_ERROR);
        reply_join_error(w, GR_ERR_UNKNOWN_SERVER_ERROR, member_id);
        return;
    }
    if (first) {
        free(g->protocol_type);
        g->protocol_type = dup_str(p->protocol_type);
    }
    reschedule_heartbeat(g, m, now_ms, GR_GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS);
    char reason[160];
    snprintf(reason, sizeof reason, "adding new member %.100s", m->member_id);
    maybe_prepare_rebalance_or_complete_join(g, now_ms, reason);
}

static void update_member_then_rebalance(gr_cg_group *g, gr_cg_member *m, const gr_cg_join_params *p,
                                         gr_cg_waiter *w, int64_t now_ms, const char *why) {
    if (!update_member(g, m, p, w)) {
        reply_join_error(w, GR_ERR_UNKNOWN_SERVER_ERROR, as_str(m->member_id));
        return;
    }
    char reason[200];
    snprintf(reason, sizeof reason, "%s %.100s", why, m->member_id);
    maybe_prepare_rebalance_or_complete_join(g, now_ms, reason);
}

/* A static member came back with an empty member id: it takes over its old place under a new id. */
static void update_static_member(gr_cg_group *g, gr_cg_member *m, const gr_cg_join_params *p, gr_str new_id,
                                 gr_cg_waiter *w, int64_t now_ms) {
    char *old_id = m->member_id;
    char *new_id_copy = dup_str(new_id);
    char *old_leader = g->leader ? strdup(g->leader->member_id) : NULL;
    if (!new_id_copy || (g->leader && !old_leader)) {
        free(new_id_copy);
        free(old_leader);
        reply_join_error(w, GR_ERR_UNKNOWN_SERVER_ERROR, EMPTY_STR);
        return;
    }
    /* Whoever still waits under the old id is a duplicate instance: fence it. */
    complete_join_error(g, m, GR_ERR_FENCED_INSTANCE_ID, as_str(old_id));
    complete_sync_error(m, GR_ERR_FENCED_INSTANCE_ID);
    m->member_id = new_id_copy;
    reschedule_heartbeat(g, m, now_ms, m->session_timeout_ms);

    /* Kept to undo the change if the group cannot be stored. */
    gr_cg_protocol *old_protocols = m->protocols;
    int32_t old_count = m->protocol_count;
    int32_t old_rebalance = m->rebalance_timeout_ms, old_session = m->session_timeout_ms;
    m->protocols = NULL;
    m->protocol_count = 0;
    if (!update_member(g, m, p, w)) {
        m->protocols = old_protocols;
        m->protocol_count = old_count;
        free(m->member_id);
        m->member_id = old_id;
        free(old_leader);
        reply_join_error(w, GR_ERR_UNKNOWN_SERVER_ERROR, EMPTY_STR);
        return;
    }
    GR_INFO("group", "static member %s of group %s rejoined as %s (was %s)", m->instance_id, g->group_id,
            m->member_id, old_id);

    switch (g->state) {
    case GR_CG_STABLE: {
        const char *next = select_protocol(g);
        if (next && g->protocol_name && !strcmp(next, g->protocol_name)) {
            int16_t err = g->env->store ? g->env->store(g->env->ud, g) : GR_ERR_NONE;
            if (err != GR_ERR_NONE) {
                /* Undo: the old id stays valid, the new member is told to start over. */
                free_protocols(m->protocols, m->protocol_count);
                m->protocols = old_protocols;
                m->protocol_count = old_count;
                m->rebalance_timeout_ms = old_rebalance;
                m->session_timeout_ms = old_session;
                free(m->member_id);
                m->member_id = old_id;
                old_id = NULL;
                old_protocols = NULL;
                old_count = 0;
                reschedule_heartbeat(g, m, now_ms, m->session_timeout_ms);
                gr_cg_waiter *mine = m->join_waiter;
                m->join_waiter = NULL;
                g->awaiting_join_count--;
                gr_cg_join_result r = {.error = err,
                                       .member_id = EMPTY_STR,
                                       .generation = g->generation,
                                       .protocol_type = as_str(g->protocol_type),
                                       .protocol_name = as_str(g->protocol_name),
                                       .leader = as_str(old_leader)};
                reply_join(mine, &r);
                break;
            }
            gr_cg_join_result r;
            current_generation_result(g, m, &r);
            if (p->supports_skip_assignment) {
                /* The leader gets the members but need not assign: the group stays as it is. */
                r.skip_assignment = g->leader == m;
            } else {
                /* Older clients: name the previous leader id so this member does not assign. */
                r.members_of = NULL;
                r.leader = old_leader ? as_str(old_leader) : EMPTY_STR;
            }
            complete_join(g, m, &r);
        } else {
            maybe_prepare_rebalance_or_complete_join(g, now_ms,
                                                     "static member rejoined with another protocol");
        }
        break;
    }
    case GR_CG_COMPLETING_REBALANCE:
        prepare_rebalance(g, now_ms, "static member rejoined during sync");
        break;
    case GR_CG_PREPARING_REBALANCE:
        maybe_complete_join_phase(g, now_ms);
        break;
    case GR_CG_EMPTY:
    case GR_CG_DEAD:
        complete_join_error(g, m, GR_ERR_UNKNOWN_SERVER_ERROR, new_id);
        break;
    }
    free_protocols(old_protocols, old_count);
    free(old_id);
    free(old_leader);
}

static void join_new_member(gr_cg_group *g, const gr_cg_join_params *p, gr_cg_waiter *w, int64_t now_ms) {
    if (g->state == GR_CG_DEAD) {
        reply_join_error(w, GR_ERR_COORDINATOR_NOT_AVAILABLE, EMPTY_STR);
        return;
    }
    if (!supports_protocols(g, p->protocol_type, p->protocol_count, p->protocol_names)) {
        reply_join_error(w, GR_ERR_INCONSISTENT_GROUP_PROTOCOL, EMPTY_STR);
        return;
    }
    char id[GR_MEMBER_ID_MAX_BYTES];
    gr_member_id_new(p->instance_id.len >= 0 ? p->instance_id : p->client_id, id, sizeof id);
    gr_str new_id = gr_str_c(id);
    if (p->instance_id.len >= 0 && p->instance_id.ptr) {
        gr_cg_member *existing = find_static(g, p->instance_id);
        if (existing)
            update_static_member(g, existing, p, new_id, w, now_ms);
        else
            add_member_then_rebalance(g, p, new_id, w, now_ms);
        return;
    }
    if (p->require_known_member_id) {
        /* Hand out an id; the member is counted once it comes back with it. */
        if (g->pending_count >= GR_GROUP_PENDING_MEMBERS_MAX) {
            reply_join_error(w, GR_ERR_GROUP_MAX_SIZE_REACHED, EMPTY_STR);
            return;
        }
        if (g->pending_count == g->pending_cap) {
            int32_t cap = g->pending_cap ? g->pending_cap * 2 : 4;
            gr_cg_pending *n = realloc(g->pending, (size_t)cap * sizeof *n);
            if (!n) {
                reply_join_error(w, GR_ERR_UNKNOWN_SERVER_ERROR, EMPTY_STR);
                return;
            }
            g->pending = n;
            g->pending_cap = cap;
        }
        char *copy = strdup(id);
        if (!copy) {
            reply_join_error(w, GR_ERR_UNKNOWN_SERVER_ERROR, EMPTY_STR);
            return;
        }
        int64_t timeout = p->session_timeout_ms > 0 ? p->session_timeout_ms : 0;
        g->pending[g->pending_count++] = (gr_cg_pending){copy, now_ms + timeout};
        notify_deadline(g, now_ms + timeout);
        reply_join_error(w, GR_ERR_MEMBER_ID_REQUIRED, new_id);
        return;
    }
    add_member_then_rebalance(g, p, new_id, w, now_ms);
}

static void join_existing_member(gr_cg_group *g, const gr_cg_join_params *p, gr_cg_waiter *w,
                                 int64_t now_ms) {
    if (g->state == GR_CG_DEAD) {
        reply_join_error(w, GR_ERR_COORDINATOR_NOT_AVAILABLE, p->member_id);
        return;
    }
    if (!supports_protocols(g, p->protocol_type, p->protocol_count, p->protocol_names)) {
        reply_join_error(w, GR_ERR_INCONSISTENT_GROUP_PROTOCOL, p->member_id);
        return;
    }
    if (find_pending(g, p->member_id) >= 0) {
        if (p->instance_id.len >= 0 && p->instance_id.ptr) {
            reply_join_error(w, GR_ERR_UNKNOWN_SERVER_ERROR,
                             p->member_id); /* pending members are never static */
            return;
        }
        add_member_then_rebalance(g, p, p->member_id, w, now_ms);
        return;
    }
    int16_t err = validate_member(g, p->member_id, p->instance_id);
    if (err != GR_ERR_NONE) {
        gr_cg_join_result r = {.error = err,
                               .member_id = p->member_id,
                               .generation = -1,
                               .protocol_type = NULL_STR,
                               .protocol_name = NULL_STR,
                               .leader = EMPTY_STR};
        reply_join(w, &r);
        return;
    }
    gr_cg_member *m = gr_cg_find_member(g, p->member_id);
    switch (g->state) {
    case GR_CG_PREPARING_REBALANCE:
        update_member_then_rebalance(g, m, p, w, now_ms, "member joining");
        break;
    case GR_CG_COMPLETING_REBALANCE:
        if (member_matches(m, p)) {
            /* Same metadata (its JoinGroup answer was probably lost): the current generation again. */
            gr_cg_join_result r;
            current_generation_result(g, m, &r);
            reply_join(w, &r);
        } else {
            update_member_then_rebalance(g, m, p, w, now_ms, "updating metadata of member");
        }
        break;
    case GR_CG_STABLE:
        if (g->leader == m) {
            /* A leader's JoinGroup forces a rebalance: that is how it reacts to topic changes. */
            update_member_then_rebalance(g, m, p, w, now_ms, "leader rejoining:");
        } else if (!member_matches(m, p)) {
            update_member_then_rebalance(g, m, p, w, now_ms, "updating metadata of member");
        } else {
            gr_cg_join_result r;
            current_generation_result(g, m, &r);
            r.members_of = NULL;
            reply_join(w, &r);
        }
        break;
    case GR_CG_EMPTY:
    case GR_CG_DEAD:
        reply_join_error(w, GR_ERR_UNKNOWN_MEMBER_ID, p->member_id);
        break;
    }
}

void gr_cg_join(gr_cg_group *g, const gr_cg_join_params *p, gr_cg_waiter *w, int64_t now_ms) {
    bool unknown = p->member_id.len <= 0;
    gr_cg_member *existing = unknown ? NULL : gr_cg_find_member(g, p->member_id);
    if (!accept_joining_member(g, existing)) {
        if (existing) {
            group_remove(g, existing);
            member_discard(existing, GR_ERR_GROUP_MAX_SIZE_REACHED);
        }
        reply_join_error(w, GR_ERR_GROUP_MAX_SIZE_REACHED, EMPTY_STR);
        return;
    }
    if (unknown)
        join_new_member(g, p, w, now_ms);
    else
        join_existing_member(g, p, w, now_ms);
}

/* ---- SyncGroup ----------------------------------------------------------------------------- */

static bool protocol_inconsistent(gr_str given, const char *group_value) {
    return given.len >= 0 && given.ptr && group_value && !eq(group_value, given);
}

void gr_cg_sync(gr_cg_group *g, const gr_cg_sync_params *p, gr_cg_waiter *w, int64_t now_ms) {
    int16_t err = GR_ERR_NONE;
    if (g->state == GR_CG_DEAD)
        err = GR_ERR_COORDINATOR_NOT_AVAILABLE;
    else if ((err = validate_member(g, p->member_id, p->instance_id)) != GR_ERR_NONE)
        ;
    else if (p->generation != g->generation)
        err = GR_ERR_ILLEGAL_GENERATION;
    else if (protocol_inconsistent(p->protocol_type, g->protocol_type) ||
             protocol_inconsistent(p->protocol_name, g->protocol_name))
        err = GR_ERR_INCONSISTENT_GROUP_PROTOCOL;
    if (err != GR_ERR_NONE) {
        reply_sync_error(w, err);
        return;
    }
    gr_cg_member *m = gr_cg_find_member(g, p->member_id);
    switch (g->state) {
    case GR_CG_EMPTY:
        reply_sync_error(w, GR_ERR_UNKNOWN_MEMBER_ID);
        return;
    case GR_CG_PREPARING_REBALANCE:
        reply_sync_error(w, GR_ERR_REBALANCE_IN_PROGRESS);
        return;
    case GR_CG_DEAD:
        reply_sync_error(w, GR_ERR_COORDINATOR_NOT_AVAILABLE);
        return;
    case GR_CG_STABLE: {
        remove_pending_sync(g, m);
        gr_cg_sync_result r = {.error = GR_ERR_NONE,
                               .protocol_type = as_str(g->protocol_type),
                               .protocol_name = as_str(g->protocol_name),
                               .assignment = {m->assignment, m->assignment_len}};
        w->sync_done(w, &r);
        return;
    }
    case GR_CG_COMPLETING_REBALANCE:
        break;
    }
    if (m->sync_waiter)
        complete_sync_error(m, GR_ERR_REBALANCE_IN_PROGRESS); /* a duplicate: answer the old one */
    m->sync_waiter = w;
    remove_pending_sync(g, m);
    if (g->leader != m) return;

    GR_INFO("group", "assignment received from leader %s of group %s for generation %d (%d members)",
            m->member_id, g->group_id, g->generation, g->member_count);
    for (int32_t i = 0; i < g->member_count; i++) {
        gr_cg_member *x = g->members[i];
        const gr_cg_assignment *found = NULL;
        for (int32_t k = 0; k < p->assignment_count; k++)
            if (eq(x->member_id, p->assignments[k].member_id))
                found = &p->assignments[k]; /* the last one wins */
        if (found && found->assignment.len > 0)
            set_assignment(x, found->assignment.ptr, found->assignment.len);
        else
            set_assignment(x, NULL, 0);
    }
    err = g->env->store ? g->env->store(g->env->ud, g) : GR_ERR_NONE;
    if (err != GR_ERR_NONE) {
        reset_and_propagate_assignment_error(g, err);
        maybe_prepare_rebalance_or_complete_join(g, now_ms, "could not store the group assignment");
        return;
    }
    transition(g, GR_CG_STABLE);
    set_and_propagate_assignment(g, now_ms);
}

/* ---- Heartbeat, LeaveGroup, OffsetCommit checks ------------------------------------------- */

int16_t gr_cg_heartbeat(gr_cg_group *g, gr_str member_id, gr_str instance_id, int32_t generation,
                        int64_t now_ms) {
    if (g->state == GR_CG_DEAD) return GR_ERR_COORDINATOR_NOT_AVAILABLE;
    int16_t err = validate_member(g, member_id, instance_id);
    if (err != GR_ERR_NONE) return err;
    if (generation != g->generation) return GR_ERR_ILLEGAL_GENERATION;
    gr_cg_member *m = gr_cg_find_member(g, member_id);
    switch (g->state) {
    case GR_CG_EMPTY:
        return GR_ERR_UNKNOWN_MEMBER_ID;
    case GR_CG_PREPARING_REBALANCE:
        reschedule_heartbeat(g, m, now_ms, m->session_timeout_ms);
        return GR_ERR_REBALANCE_IN_PROGRESS;
    case GR_CG_COMPLETING_REBALANCE:
    case GR_CG_STABLE:
        reschedule_heartbeat(g, m, now_ms, m->session_timeout_ms);
        return GR_ERR_NONE;
    case GR_CG_DEAD:
        break;
    }
    return GR_ERR_COORDINATOR_NOT_AVAILABLE;
}

static void remove_current_member(gr_cg_group *g, gr_cg_member *m) {
    GR_INFO("group", "member %s has left group %s", m->member_id, g->group_id);
    complete_join_error(g, m, GR_ERR_UNKNOWN_MEMBER_ID, EMPTY_STR);
    group_remove(g, m);
    member_discard(m, GR_ERR_UNKNOWN_MEMBER_ID);
}

int16_t gr_cg_leave(gr_cg_group *g, gr_str member_id, gr_str instance_id, int64_t now_ms) {
    (void)now_ms;
    if (g->state == GR_CG_DEAD) return GR_ERR_COORDINATOR_NOT_AVAILABLE;
    if (member_id.len <= 0) {
        /* Administrative removal of a static member by its instance id. */
        gr_cg_member *s = find_static(g, instance_id);
        if (!s) return GR_ERR_UNKNOWN_MEMBER_ID;
        remove_current_member(g, s);
        return GR_ERR_NONE;
    }
    int32_t pi = find_pending(g, member_id);
    if (pi >= 0) {
        remove_pending_at(g, pi);
        return GR_ERR_NONE;
    }
    int16_t err = validate_member(g, member_id, instance_id);
    if (err != GR_ERR_NONE) return err;
    remove_current_member(g, gr_cg_find_member(g, member_id));
    return GR_ERR_NONE;
}

void gr_cg_leave_finish(gr_cg_group *g, int64_t now_ms) {
    switch (g->state) {
    case GR_CG_STABLE:
    case GR_CG_COMPLETING_REBALANCE:
        maybe_prepare_rebalance_or_complete_join(g, now_ms, "members left");
        break;
    case GR_CG_PREPARING_REBALANCE:
        maybe_complete_join_phase(g, now_ms);
        break;
    default:
        break;
    }
}

int16_t gr_cg_validate_commit(gr_cg_group *g, gr_str member_id, gr_str instance_id, int32_t generation,
                              bool transactional, int64_t now_ms) {
    if (g->state == GR_CG_DEAD) return GR_ERR_COORDINATOR_NOT_AVAILABLE;
    /* Generation -1: an admin client or a consumer without group management; fine while empty. */
    if (generation < 0 && g->state == GR_CG_EMPTY) return GR_ERR_NONE;
    bool has_instance = instance_id.len >= 0 && instance_id.ptr;
    if (generation >= 0 || member_id.len > 0 || has_instance) {
        int16_t err = validate_member(g, member_id, instance_id);
        if (err != GR_ERR_NONE) return err;
        if (generation != g->generation) return GR_ERR_ILLEGAL_GENERATION;
    } else if (!transactional && g->state != GR_CG_EMPTY) {
        return GR_ERR_UNKNOWN_MEMBER_ID;
    }
    if (!transactional && g->state == GR_CG_COMPLETING_REBALANCE) return GR_ERR_REBALANCE_IN_PROGRESS;
    if (g->state == GR_CG_STABLE || g->state == GR_CG_PREPARING_REBALANCE) {
        gr_cg_member *m = gr_cg_find_member(g, member_id);
        if (m) reschedule_heartbeat(g, m, now_ms, m->session_timeout_ms);
    }
    return GR_ERR_NONE;
}

/* ---- deadlines ------------------------------------------------------------------------------ */

int64_t gr_cg_next_deadline(const gr_cg_group *g) {
    int64_t d = GR_DEADLINE_NONE;
    if (g->state == GR_CG_PREPARING_REBALANCE && g->join_deadline_ms < d) d = g->join_deadline_ms;
    if ((g->state == GR_CG_COMPLETING_REBALANCE || g->state == GR_CG_STABLE) && g->sync_deadline_ms < d)
        d = g->sync_deadline_ms;
    for (int32_t i = 0; i < g->pending_count; i++)
        if (g->pending[i].deadline_ms < d) d = g->pending[i].deadline_ms;
    for (int32_t i = 0; i < g->member_count; i++)
        if (g->members[i]->heartbeat_deadline_ms < d) d = g->members[i]->heartbeat_deadline_ms;
    return d;
}

/* A member's session ran out: members waiting in a rebalance are excused, except new ones. */
static bool expire_one_member(gr_cg_group *g, int64_t now_ms) {
    for (int32_t i = 0; i < g->member_count; i++) {
        gr_cg_member *m = g->members[i];
        if (m->heartbeat_deadline_ms > now_ms) continue;
        m->heartbeat_deadline_ms = GR_DEADLINE_NONE;
        bool satisfied = !m->is_new && (m->join_waiter || m->sync_waiter);
        if (satisfied) continue;
        GR_INFO("group", "member %s in group %s has failed (session timeout), removing it", m->member_id,
                g->group_id);
        complete_join_error(g, m, GR_ERR_UNKNOWN_MEMBER_ID, EMPTY_STR);
        group_remove(g, m);
        member_discard(m, GR_ERR_UNKNOWN_MEMBER_ID);
        if (g->state == GR_CG_STABLE || g->state == GR_CG_COMPLETING_REBALANCE)
            maybe_prepare_rebalance_or_complete_join(g, now_ms, "member session expired");
        else if (g->state == GR_CG_PREPARING_REBALANCE && all_members_joined(g))
            complete_group_join(g, now_ms);
        return true;
    }
    return false;
}

static bool expire_one_pending(gr_cg_group *g, int64_t now_ms) {
    for (int32_t i = 0; i < g->pending_count; i++) {
        if (g->pending[i].deadline_ms > now_ms) continue;
        remove_pending_at(g, i);
        if (g->state == GR_CG_PREPARING_REBALANCE && all_members_joined(g)) complete_group_join(g, now_ms);
        return true;
    }
    return false;
}

static void expire_join(gr_cg_group *g, int64_t now_ms) {
    g->join_deadline_ms = GR_DEADLINE_NONE;
    if (g->initial_join && g->new_member_added && g->initial_remaining_ms != 0) {
        /* New members keep arriving: give the first rebalance a little longer. */
        int32_t delay = g->env->initial_rebalance_delay_ms;
        if (delay > g->initial_remaining_ms) delay = g->initial_remaining_ms;
        int32_t remaining = g->initial_remaining_ms - g->initial_delay_ms;
        g->new_member_added = false;
        g->initial_delay_ms = delay;
        g->initial_remaining_ms = remaining > 0 ? remaining : 0;
        g->join_deadline_ms = now_ms + delay;
        notify_deadline(g, g->join_deadline_ms);
        return;
    }
    complete_group_join(g, now_ms);
}

static void expire_sync(gr_cg_group *g, int64_t now_ms) {
    g->sync_deadline_ms = GR_DEADLINE_NONE;
    if (all_synced(g)) return;
    for (int32_t i = 0; i < g->member_count;) {
        gr_cg_member *m = g->members[i];
        if (!m->pending_sync) {
            i++;
            continue;
        }
        GR_INFO("group", "member %s of group %s sent no SyncGroup in time, removing it", m->member_id,
                g->group_id);
        group_remove(g, m);
        member_discard(m, GR_ERR_UNKNOWN_MEMBER_ID);
    }
    prepare_rebalance(g, now_ms, "members did not sync in time");
}

void gr_cg_on_time(gr_cg_group *g, int64_t now_ms) {
    /* Each step may change the state; loop until nothing is due (bounded: every step removes a
       member or clears a deadline that is in the past). */
    for (int guard = 0; guard < 4 * (GR_GROUP_MEMBERS_MAX + GR_GROUP_PENDING_MEMBERS_MAX) + 8; guard++) {
        if (g->state == GR_CG_DEAD) return;
        if (expire_one_pending(g, now_ms)) continue;
        if (expire_one_member(g, now_ms)) continue;
        if (g->state == GR_CG_PREPARING_REBALANCE && g->join_deadline_ms <= now_ms) {
            expire_join(g, now_ms);
            continue;
        }
        if ((g->state == GR_CG_COMPLETING_REBALANCE || g->state == GR_CG_STABLE) &&
            g->sync_deadline_ms <= now_ms) {
            expire_sync(g, now_ms);
            continue;
        }
        return;
    }
}

/* ---- life cycle ----------------------------------------------------------------------------- */

gr_cg_group *gr_cg_new(const gr_cg_env *env, gr_str group_id) {
    gr_cg_group *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->env = env;
    g->group_id = dup_str(group_id.len >= 0 ? group_id : EMPTY_STR);
    if (!g->group_id) {
        free(g);
        return NULL;
    }
    g->state = g->previous_state = GR_CG_EMPTY;
    g->state_timestamp_ms = gr_wall_ms();
    g->join_deadline_ms = g->sync_deadline_ms = GR_DEADLINE_NONE;
    return g;
}

void gr_cg_mark_dead(gr_cg_group *g) {
    transition(g, GR_CG_DEAD);
    for (int32_t i = 0; i < g->member_count; i++) {
        complete_join_error(g, g->members[i], GR_ERR_COORDINATOR_NOT_AVAILABLE,
                            as_str(g->members[i]->member_id));
        complete_sync_error(g->members[i], GR_ERR_COORDINATOR_NOT_AVAILABLE);
    }
}

void gr_cg_free(gr_cg_group *g) {
    if (!g) return;
    for (int32_t i = 0; i < g->member_count; i++) {
        gr_cg_member *m = g->members[i];
        if (m->join_waiter) m->join_waiter->cancel(m->join_waiter);
        if (m->sync_waiter) m->sync_waiter->cancel(m->sync_waiter);
        m->join_waiter = m->sync_waiter = NULL;
        member_discard(m, GR_ERR_COORDINATOR_NOT_AVAILABLE);
    }
    for (int32_t i = 0; i < g->pending_count; i++) free(g->pending[i].member_id);
    free(g->pending);
    free(g->members);
    free_subscribed(g);
    free(g->protocol_type);
    free(g->protocol_name);
    free(g->group_id);
    free(g);
}

int gr_cg_restore(gr_cg_group *g, gr_str protocol_type, int32_t generation, gr_str protocol, gr_str leader,
                  int64_t state_timestamp_ms, const gr_cg_restored_member *members, int32_t count,
                  int64_t now_ms) {
    /* Forget what an earlier record said; the newest record describes the group. */
    for (int32_t i = 0; i < g->member_count; i++)
        member_discard(g->members[i], GR_ERR_COORDINATOR_NOT_AVAILABLE);
    g->member_count = 0;
    g->awaiting_join_count = 0;
    g->leader = NULL;
    free(g->protocol_type);
    free(g->protocol_name);
    g->protocol_type = protocol_type.len > 0 ? dup_str(protocol_type) : NULL;
    g->protocol_name = protocol.len > 0 ? dup_str(protocol) : NULL;
    g->generation = generation;
    for (int32_t i = 0; i < count; i++) {
        const gr_cg_restored_member *r = &members[i];
        gr_str name = g->protocol_name ? gr_str_c(g->protocol_name) : EMPTY_STR;
        gr_cg_join_params p = {.member_id = r->member_id,
                               .instance_id = r->instance_id,
                               .client_id = r->client_id,
                               .client_host = r->client_host,
                               .session_timeout_ms = r->session_timeout_ms,
                               .rebalance_timeout_ms = r->rebalance_timeout_ms,
                               .protocol_count = 1,
                               .protocol_names = &name,
                               .protocol_metadata = &r->subscription};
        gr_cg_member *m = member_new(&p, r->member_id);
        if (!m || !group_add(g, m, NULL)) {
            if (m) member_discard(m, GR_ERR_NONE);
            return -1;
        }
        set_assignment(m, r->assignment.ptr, r->assignment.len);
        if (eq(m->member_id, leader)) g->leader = m;
        reschedule_heartbeat(g, m, now_ms, m->session_timeout_ms);
    }
    g->state = g->previous_state = count > 0 ? GR_CG_STABLE : GR_CG_EMPTY;
    if (count == 0) {
        free(g->protocol_name);
        g->protocol_name = NULL;
    }
    g->state_timestamp_ms = state_timestamp_ms > 0 ? state_timestamp_ms : gr_wall_ms();
    compute_subscribed_topics(g);
    return 0;
}
