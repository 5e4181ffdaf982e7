/*
 * test_group_classic.c: the classic group state machine driven with synthetic time:
 * joins (with MEMBER_ID_REQUIRED), the initial rebalance delay, leader assignment through
 * SyncGroup, rebalances on join/leave/session expiry, generation and member checks,
 * static membership, protocol checks and commit validation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "group/classic.h"
#include "proto/errors.h"

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                         \
            exit(1);                                                                                         \
        }                                                                                                    \
    } while (0)

#define SESSION_MS 10000
#define REBALANCE_MS 30000
#define INITIAL_DELAY_MS 3000

/* A parked request that remembers what it got. */
typedef struct waiter {
    gr_cg_waiter w;
    int done; /* how many times completed: must end at most 1 */
    int16_t error;
    char member_id[128];
    char leader[128];
    char protocol[64];
    int32_t generation;
    int32_t member_count; /* members listed (leader only), -1 if none */
    bool skip;
    char assignment[64];
} waiter;

static int store_calls;
static int16_t store_error;
static int64_t last_deadline;

static void copy(char *dst, size_t cap, gr_str s) {
    int n = s.len > 0 ? s.len : 0;
    if ((size_t)n >= cap) n = (int)cap - 1;
    memcpy(dst, n ? s.ptr : "", (size_t)n);
    dst[n] = '\0';
}

static void on_join(gr_cg_waiter *gw, const gr_cg_join_result *r) {
    waiter *w = (waiter *)gw;
    w->done++;
    w->error = r->error;
    copy(w->member_id, sizeof w->member_id, r->member_id);
    copy(w->leader, sizeof w->leader, r->leader);
    copy(w->protocol, sizeof w->protocol, r->protocol_name);
    w->generation = r->generation;
    w->member_count = r->members_of ? r->members_of->member_count : -1;
    w->skip = r->skip_assignment;
}

static void on_sync(gr_cg_waiter *gw, const gr_cg_sync_result *r) {
    waiter *w = (waiter *)gw;
    w->done++;
    w->error = r->error;
    int n = r->assignment.len > 0 ? r->assignment.len : 0;
    if (n > 63) n = 63;
    memcpy(w->assignment, n ? (const char *)r->assignment.ptr : "", (size_t)n);
    w->assignment[n] = '\0';
    copy(w->protocol, sizeof w->protocol, r->protocol_name);
}

static void on_cancel(gr_cg_waiter *gw) { ((waiter *)gw)->done++; }

static void waiter_init(waiter *w) {
    memset(w, 0, sizeof *w);
    w->w.join_done = on_join;
    w->w.sync_done = on_sync;
    w->w.cancel = on_cancel;
    w->member_count = -1;
}

static int16_t env_store(void *ud, gr_cg_group *g) {
    (void)ud;
    (void)g;
    store_calls++;
    return store_error;
}

static void env_deadline(void *ud, gr_cg_group *g, int64_t at) {
    (void)ud;
    (void)g;
    last_deadline = at;
}

static gr_cg_env env = {.store = env_store,
                        .deadline = env_deadline,
                        .initial_rebalance_delay_ms = INITIAL_DELAY_MS,
                        .max_size = 100};

static gr_str S(const char *c) { return c ? gr_str_c(c) : (gr_str){NULL, -1}; }

/* Joins with protocol "range" (and optionally a second), metadata = meta. */
static void join(gr_cg_group *g, waiter *w, const char *member_id, const char *instance, const char *meta,
                 bool v4, int64_t now) {
    waiter_init(w);
    static gr_str names[2];
    static gr_bytes md[2];
    names[0] = S("range");
    md[0] = (gr_bytes){(const uint8_t *)meta, (int32_t)strlen(meta)};
    gr_cg_join_params p = {.member_id = S(member_id),
                           .instance_id = S(instance),
                           .client_id = S("client"),
                           .client_host = S("/127.0.0.1"),
                           .protocol_type = S("consumer"),
                           .reason = S(NULL),
                           .session_timeout_ms = SESSION_MS,
                           .rebalance_timeout_ms = REBALANCE_MS,
                           .protocol_count = 1,
                           .protocol_names = names,
                           .protocol_metadata = md,
                           .require_known_member_id = v4,
                           .supports_skip_assignment = false};
    gr_cg_join(g, &p, &w->w, now);
}

static void sync_group(gr_cg_group *g, waiter *w, const char *member_id, int32_t gen, int n, const char **ids,
                       const char **assignments, int64_t now) {
    waiter_init(w);
    gr_cg_assignment a[8];
    for (int i = 0; i < n; i++)
        a[i] =
            (gr_cg_assignment){S(ids[i]), {(const uint8_t *)assignments[i], (int32_t)strlen(assignments[i])}};
    gr_cg_sync_params p = {.member_id = S(member_id),
                           .instance_id = S(NULL),
                           .protocol_type = S(NULL),
                           .protocol_name = S(NULL),
                           .generation = gen,
                           .assignment_count = n,
                           .assignments = a};
    gr_cg_sync(g, &p, &w->w, now);
}

/* Two dynamic members form a group: v4 handshake, initial delay, leader assigns. */
static void test_two_members(void) {
    gr_cg_group *g = gr_cg_new(&env, S("g1"));
    CHECK(g && g->state == GR_CG_EMPTY);
    int64_t now = 1000;
    waiter a, b;
    join(g, &a, "", NULL, "A", true, now);
    CHECK(a.done == 1 && a.error == GR_ERR_MEMBER_ID_REQUIRED && strlen(a.member_id) > 7);
    CHECK(!strncmp(a.member_id, "client-", 7));
    char ida[128], idb[128];
    strcpy(ida, a.member_id);
    CHECK(g->pending_count == 1);
    join(g, &a, ida, NULL, "A", true, now);
    CHECK(a.done == 0 && g->state == GR_CG_PREPARING_REBALANCE);
    CHECK(last_deadline == now + INITIAL_DELAY_MS);

    join(g, &b, "", NULL, "B", true, now + 100);
    CHECK(b.error == GR_ERR_MEMBER_ID_REQUIRED);
    strcpy(idb, b.member_id);
    join(g, &b, idb, NULL, "B", true, now + 200);
    CHECK(b.done == 0);
    /* Everyone is in, yet the first rebalance waits for the initial delay ... */
    gr_cg_on_time(g, now + INITIAL_DELAY_MS - 1);
    CHECK(a.done == 0);
    /* ... which a new arrival extends once. */
    gr_cg_on_time(g, now + INITIAL_DELAY_MS);
    CHECK(a.done == 0 && g->join_deadline_ms == now + 2 * INITIAL_DELAY_MS);
    gr_cg_on_time(g, now + 2 * INITIAL_DELAY_MS);
    CHECK(a.done == 1 && b.done == 1 && a.error == 0 && b.error == 0);
    CHECK(a.generation == 1 && b.generation == 1);
    CHECK(!strcmp(a.leader, ida) && !strcmp(b.leader, ida));
    CHECK(a.member_count == 2 && b.member_count == -1);
    CHECK(!strcmp(a.protocol, "range"));
    CHECK(g->state == GR_CG_COMPLETING_REBALANCE);

    /* Heartbeats during CompletingRebalance are fine; commits are not yet. */
    now += 2 * INITIAL_DELAY_MS;
    CHECK(gr_cg_heartbeat(g, S(idb), S(NULL), 1, now) == GR_ERR_NONE);
    CHECK(gr_cg_validate_commit(g, S(idb), S(NULL), 1, false, now) == GR_ERR_REBALANCE_IN_PROGRESS);

    /* The follower's SyncGroup waits for the leader's. */
    waiter sb, sa;
    sync_group(g, &sb, idb, 1, 0, NULL, NULL, now);
    CHECK(sb.done == 0);
    const char *ids[] = {ida, idb};
    const char *asg[] = {"p0,p1", "p2,p3"};
    int stores = store_calls;
    sync_group(g, &sa, ida, 1, 2, ids, asg, now);
    CHECK(store_calls == stores + 1);
    CHECK(sa.done == 1 && sb.done == 1 && !strcmp(sa.assignment, "p0,p1") && !strcmp(sb.assignment, "p2,p3"));
    CHECK(g->state == GR_CG_STABLE);

    /* Checks on generation and member id. */
    CHECK(gr_cg_heartbeat(g, S(ida), S(NULL), 1, now) == GR_ERR_NONE);
    CHECK(gr_cg_heartbeat(g, S(ida), S(NULL), 0, now) == GR_ERR_ILLEGAL_GENERATION);
    CHECK(gr_cg_heartbeat(g, S("nobody"), S(NULL), 1, now) == GR_ERR_UNKNOWN_MEMBER_ID);
    CHECK(gr_cg_validate_commit(g, S(ida), S(NULL), 1, false, now) == GR_ERR_NONE);
    CHECK(gr_cg_validate_commit(g, S(ida), S(NULL), 7, false, now) == GR_ERR_ILLEGAL_GENERATION);
    CHECK(gr_cg_validate_commit(g, S("nobody"), S(NULL), 1, false, now) == GR_ERR_UNKNOWN_MEMBER_ID);
    CHECK(gr_cg_validate_commit(g, S(""), S(NULL), -1, false, now) == GR_ERR_UNKNOWN_MEMBER_ID);
    waiter bad;
    sync_group(g, &bad, ida, 5, 0, NULL, NULL, now);
    CHECK(bad.done == 1 && bad.error == GR_ERR_ILLEGAL_GENERATION);
    /* A follower re-sending SyncGroup in Stable gets its assignment again. */
    sync_group(g, &sb, idb, 1, 0, NULL, NULL, now);
    CHECK(sb.done == 1 && sb.error == 0 && !strcmp(sb.assignment, "p2,p3"));

    /* A third member: the others learn of the rebalance through heartbeats and rejoin. */
    waiter c;
    join(g, &c, "", NULL, "C", false, now); /* v3: no MEMBER_ID_REQUIRED round */
    CHECK(c.done == 0 && g->state == GR_CG_PREPARING_REBALANCE);
    CHECK(gr_cg_heartbeat(g, S(ida), S(NULL), 1, now) == GR_ERR_REBALANCE_IN_PROGRESS);
    waiter sync_late;
    sync_group(g, &sync_late, idb, 1, 0, NULL, NULL, now);
    CHECK(sync_late.error == GR_ERR_REBALANCE_IN_PROGRESS);
    join(g, &a, ida, NULL, "A", true, now + 10);
    CHECK(a.done == 0);
    join(g, &b, idb, NULL, "B", true, now + 20);
    /* All three joined: no delay this time. */
    CHECK(a.done == 1 && b.done == 1 && c.done == 1);
    CHECK(a.generation == 2 && c.generation == 2 && a.member_count == 3);
    char idc[128];
    strcpy(idc, c.member_id);

    /* The leader assigns; member c stops heartbeating and is removed after its session. */
    const char *ids3[] = {ida, idb, idc};
    const char *asg3[] = {"p0", "p1", "p2,p3"};
    sync_group(g, &sb, idb, 2, 0, NULL, NULL, now + 30);
    sync_group(g, &c, idc, 2, 0, NULL, NULL, now + 30);
    sync_group(g, &sa, ida, 2, 3, ids3, asg3, now + 30);
    CHECK(g->state == GR_CG_STABLE && c.done == 1 && !strcmp(c.assignment, "p2,p3"));
    now += 30;
    for (int i = 1; i <= 4; i++) {
        int64_t t = now + i * (SESSION_MS / 3);
        CHECK(gr_cg_heartbeat(g, S(ida), S(NULL), 2, t) == GR_ERR_NONE);
        CHECK(gr_cg_heartbeat(g, S(idb), S(NULL), 2, t) == GR_ERR_NONE);
        gr_cg_on_time(g, t);
    }
    CHECK(g->member_count == 2 && gr_cg_find_member(g, S(idc)) == NULL);
    CHECK(g->state == GR_CG_PREPARING_REBALANCE);
    now += 4 * (SESSION_MS / 3);
    join(g, &a, ida, NULL, "A", true, now);
    join(g, &b, idb, NULL, "B", true, now);
    CHECK(a.done == 1 && a.generation == 3 && a.member_count == 2);

    /* Leaving: the group rebalances without the member; when all leave it is Empty. */
    sync_group(g, &sa, ida, 3, 2, ids, asg, now);
    sync_group(g, &sb, idb, 3, 0, NULL, NULL, now);
    CHECK(g->state == GR_CG_STABLE);
    CHECK(gr_cg_leave(g, S(idb), S(NULL), now) == GR_ERR_NONE);
    CHECK(gr_cg_leave(g, S(idb), S(NULL), now) == GR_ERR_UNKNOWN_MEMBER_ID);
    gr_cg_leave_finish(g, now);
    CHECK(g->state == GR_CG_PREPARING_REBALANCE);
    join(g, &a, ida, NULL, "A", true, now);
    CHECK(a.done == 1 && a.generation == 4 && a.member_count == 1);
    CHECK(gr_cg_leave(g, S(ida), S(NULL), now) == GR_ERR_NONE);
    gr_cg_leave_finish(g, now);
    CHECK(g->state == GR_CG_EMPTY && g->generation == 5 && g->member_count == 0);
    /* Commits without a generation are accepted by an empty group. */
    CHECK(gr_cg_validate_commit(g, S(""), S(NULL), -1, false, now) == GR_ERR_NONE);
    CHECK(gr_cg_validate_commit(g, S(ida), S(NULL), 4, false, now) == GR_ERR_UNKNOWN_MEMBER_ID);
    gr_cg_free(g);
}

static void test_protocol_checks(void) {
    gr_cg_group *g = gr_cg_new(&env, S("g2"));
    waiter a, x;
    /* Empty protocol type or list: INCONSISTENT_GROUP_PROTOCOL. */
    waiter_init(&x);
    gr_cg_join_params p = {.member_id = S(""),
                           .instance_id = S(NULL),
                           .client_id = S("c"),
                           .client_host = S("/h"),
                           .protocol_type = S("consumer"),
                           .session_timeout_ms = SESSION_MS,
                           .rebalance_timeout_ms = REBALANCE_MS,
                           .protocol_count = 0};
    gr_cg_join(g, &p, &x.w, 0);
    CHECK(x.done == 1 && x.error == GR_ERR_INCONSISTENT_GROUP_PROTOCOL);
    join(g, &a, "", NULL, "A", false, 0);
    CHECK(a.done == 0);
    /* Another protocol type, or no common protocol name. */
    waiter_init(&x);
    gr_str names[1] = {S("roundrobin")};
    gr_bytes md[1] = {{(const uint8_t *)"x", 1}};
    p.protocol_count = 1;
    p.protocol_names = names;
    p.protocol_metadata = md;
    gr_cg_join(g, &p, &x.w, 0);
    CHECK(x.done == 1 && x.error == GR_ERR_INCONSISTENT_GROUP_PROTOCOL);
    waiter_init(&x);
    names[0] = S("range");
    p.protocol_type = S("connect");
    gr_cg_join(g, &p, &x.w, 0);
    CHECK(x.done == 1 && x.error == GR_ERR_INCONSISTENT_GROUP_PROTOCOL);
    /* Join with an unknown member id. */
    join(g, &x, "ghost", NULL, "A", true, 0);
    CHECK(x.done == 1 && x.error == GR_ERR_UNKNOWN_MEMBER_ID);
    gr_cg_on_time(g, INITIAL_DELAY_MS);
    CHECK(a.done == 1 && a.error == 0 && a.generation == 1);
    /* SyncGroup v5 protocol checks. */
    waiter_init(&x);
    gr_cg_sync_params sp = {.member_id = S(a.member_id),
                            .instance_id = S(NULL),
                            .protocol_type = S("consumer"),
                            .protocol_name = S("roundrobin"),
                            .generation = 1};
    gr_cg_sync(g, &sp, &x.w, INITIAL_DELAY_MS);
    CHECK(x.done == 1 && x.error == GR_ERR_INCONSISTENT_GROUP_PROTOCOL);
    gr_cg_free(g);
}

static void test_static_members(void) {
    gr_cg_group *g = gr_cg_new(&env, S("g3"));
    waiter a, b;
    join(g, &a, "", "inst-a", "A", true, 0); /* static members need no MEMBER_ID_REQUIRED round */
    CHECK(a.done == 0);
    join(g, &b, "", "inst-b", "B", true, 0);
    gr_cg_on_time(g, INITIAL_DELAY_MS);
    CHECK(a.done == 0); /* b arrived during the delay: it is extended once */
    gr_cg_on_time(g, 2 * INITIAL_DELAY_MS);
    CHECK(a.done == 1 && b.done == 1 && a.generation == 1);
    CHECK(!strncmp(a.member_id, "inst-a-", 7));
    char ida[128], idb[128];
    strcpy(ida, a.member_id);
    strcpy(idb, b.member_id);
    bool a_leads = !strcmp(a.leader, ida);
    const char *ids[] = {ida, idb};
    const char *asg[] = {"x", "y"};
    waiter sa, sb;
    sync_group(g, &sb, a_leads ? idb : ida, 1, 0, NULL, NULL, INITIAL_DELAY_MS);
    sync_group(g, &sa, a_leads ? ida : idb, 1, 2, ids, asg, INITIAL_DELAY_MS);
    CHECK(g->state == GR_CG_STABLE);

    /* b restarts: same instance id, empty member id -> new id, no rebalance. */
    waiter b2;
    join(g, &b2, "", "inst-b", "B", true, 5000);
    CHECK(b2.done == 1 && b2.error == 0 && g->state == GR_CG_STABLE && b2.generation == 1);
    CHECK(strcmp(b2.member_id, idb) != 0);
    /* The old instance is fenced. */
    CHECK(gr_cg_heartbeat(g, S(idb), S("inst-b"), 1, 5000) == GR_ERR_FENCED_INSTANCE_ID);
    CHECK(gr_cg_heartbeat(g, S(b2.member_id), S("inst-b"), 1, 5000) == GR_ERR_NONE);
    CHECK(gr_cg_heartbeat(g, S(b2.member_id), S("inst-zz"), 1, 5000) == GR_ERR_UNKNOWN_MEMBER_ID);
    waiter sync2;
    sync_group(g, &sync2, b2.member_id, 1, 0, NULL, NULL, 5000);
    CHECK(sync2.done == 1 && sync2.error == 0 && !strcmp(sync2.assignment, "y")); /* assignment kept */
    /* Removal by instance id alone (admin LeaveGroup). */
    CHECK(gr_cg_leave(g, S(""), S("inst-a"), 6000) == GR_ERR_NONE);
    gr_cg_leave_finish(g, 6000);
    CHECK(g->state == GR_CG_PREPARING_REBALANCE && g->member_count == 1);
    gr_cg_free(g);
}

static void test_max_size_and_pending_expiry(void) {
    gr_cg_env small = env;
    small.max_size = 1;
    gr_cg_group *g = gr_cg_new(&small, S("g4"));
    waiter a, b;
    join(g, &a, "", NULL, "A", false, 0);
    gr_cg_on_time(g, INITIAL_DELAY_MS);
    CHECK(a.done == 1 && a.error == 0);
    join(g, &b, "", NULL, "B", false, INITIAL_DELAY_MS);
    CHECK(b.done == 1 && b.error == GR_ERR_GROUP_MAX_SIZE_REACHED);
    gr_cg_free(g);

    /* A member told MEMBER_ID_REQUIRED that never returns stops blocking the rebalance. */
    g = gr_cg_new(&env, S("g5"));
    join(g, &a, "", NULL, "A", false, 0);
    join(g, &b, "", NULL, "B", true, 0);
    CHECK(b.error == GR_ERR_MEMBER_ID_REQUIRED && g->pending_count == 1);
    gr_cg_on_time(g, INITIAL_DELAY_MS);
    CHECK(a.done == 1 &&
          g->state == GR_CG_COMPLETING_REBALANCE); /* the initial join does not wait for pending */
    gr_cg_on_time(g, SESSION_MS + 1);
    CHECK(g->pending_count == 0);
    gr_cg_free(g);
}

static void test_dead_members_and_cancel(void) {
    gr_cg_group *g = gr_cg_new(&env, S("g6"));
    waiter a, b;
    join(g, &a, "", NULL, "A", false, 0);
    gr_cg_on_time(g, INITIAL_DELAY_MS);
    char ida[128];
    strcpy(ida, a.member_id);
    const char *ids[] = {ida};
    const char *asg[] = {"all"};
    waiter sa;
    sync_group(g, &sa, ida, 1, 1, ids, asg, INITIAL_DELAY_MS);
    /* A second member joins; the first never rejoins and is dropped at the rebalance timeout. */
    join(g, &b, "", NULL, "B", false, INITIAL_DELAY_MS);
    CHECK(g->state == GR_CG_PREPARING_REBALANCE && b.done == 0);
    gr_cg_on_time(g, INITIAL_DELAY_MS + REBALANCE_MS);
    CHECK(b.done == 1 && b.error == 0 && b.generation == 2 && b.member_count == 1);
    CHECK(gr_cg_find_member(g, S(ida)) == NULL);
    /* The new leader never syncs: removed at the sync deadline; the group goes empty. */
    gr_cg_on_time(g, INITIAL_DELAY_MS + 2 * REBALANCE_MS);
    CHECK(g->member_count == 0 && g->state == GR_CG_EMPTY);
    /* Parked requests are cancelled, not leaked, at shutdown. */
    join(g, &a, "", NULL, "A", false, 0);
    CHECK(a.done == 0);
    gr_cg_free(g);
    CHECK(a.done == 1);
}

int main(void) {
    gr_log_set_level(GR_LOG_WARN);
    test_two_members();
    test_protocol_checks();
    test_static_members();
    test_max_size_and_pending_expiry();
    test_dead_members_and_cancel();
    printf("test_group_classic: ok\n");
    return 0;
}
