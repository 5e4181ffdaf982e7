/*
 * test_group_consumer.c: KIP-848 groups with synthetic time and topics: the assignors
 * (balanced, sticky, range), a second member joining (revoke first, then hand over, never a
 * partition in two hands), session expiry, epoch fencing, request validation and the commit
 * checks for members of this protocol.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "group/assignor.h"
#include "group/consumer.h"
#include "proto/errors.h"

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                         \
            exit(1);                                                                                         \
        }                                                                                                    \
    } while (0)

#define SESSION_MS 45000

static gr_kg_topic_info topics[2];

static bool by_name(void *ud, gr_str name, gr_kg_topic_info *out) {
    (void)ud;
    for (int i = 0; i < 2; i++)
        if (gr_str_eq(name, topics[i].name)) {
            *out = topics[i];
            return true;
        }
    return false;
}

static bool by_id(void *ud, const uint8_t id[16], gr_kg_topic_info *out) {
    (void)ud;
    for (int i = 0; i < 2; i++)
        if (!memcmp(id, topics[i].id, 16)) {
            *out = topics[i];
            return true;
        }
    return false;
}

static void each(void *ud, void (*fn)(void *, const gr_kg_topic_info *), void *arg) {
    (void)ud;
    for (int i = 0; i < 2; i++) fn(arg, &topics[i]);
}

static gr_kg_env env = {.topic_by_name = by_name,
                        .topic_by_id = by_id,
                        .each_topic = each,
                        .session_timeout_ms = SESSION_MS,
                        .heartbeat_interval_ms = 5000,
                        .max_size = 100};

/* One member's view: what the last response said. */
typedef struct member {
    const char *id;
    int32_t epoch;
    int32_t owned[8]; /* partitions of topic "a" it holds */
    int owned_count;
    int16_t error;
} member;

static gr_str topic_names[1];

/* Sends a heartbeat for m (owned partitions of topic a) and applies the answer like a client:
   a new assignment replaces what it owns. */
static bool heartbeat(gr_kg_group *g, member *m, int64_t now, bool join) {
    gr_arena a;
    gr_arena_init(&a, 1 << 20);
    gr_consumer_group_heartbeat_request in;
    gr_consumer_group_heartbeat_request_init(&in);
    in.group_id = gr_str_c("g");
    in.member_id = gr_str_c(m->id);
    in.member_epoch = join ? 0 : m->epoch;
    in.rebalance_timeout_ms = join ? 30000 : -1;
    topic_names[0] = gr_str_c("a");
    if (join) {
        in.subscribed_topic_names.items = topic_names;
        in.subscribed_topic_names.count = 1;
    }
    gr_consumer_group_heartbeat_request_topic_partitions tp;
    memset(&tp, 0, sizeof tp);
    memcpy(tp.topic_id.b, topics[0].id, 16);
    tp.partitions.items = m->owned;
    tp.partitions.count = m->owned_count;
    in.topic_partitions.items = &tp;
    in.topic_partitions.count = join ? 0 : 1;
    gr_consumer_group_heartbeat_response out;
    gr_consumer_group_heartbeat_response_init(&out);
    gr_kg_client client = {gr_str_c("client"), gr_str_c("/127.0.0.1")};
    bool moved = gr_kg_heartbeat(g, &in, 1, &client, now, &a, &out);
    m->error = out.error_code;
    if (out.error_code == GR_ERR_NONE) {
        m->epoch = out.member_epoch;
        if (out.has_assignment) {
            m->owned_count = 0;
            for (int32_t t = 0; t < out.assignment.topic_partitions.count; t++) {
                CHECK(!memcmp(out.assignment.topic_partitions.items[t].topic_id.b, topics[0].id, 16));
                for (int32_t p = 0; p < out.assignment.topic_partitions.items[t].partitions.count; p++)
                    m->owned[m->owned_count++] = out.assignment.topic_partitions.items[t].partitions.items[p];
            }
        }
    }
    gr_arena_free(&a);
    return moved;
}

static bool owns(const member *m, int32_t p) {
    for (int i = 0; i < m->owned_count; i++)
        if (m->owned[i] == p) return true;
    return false;
}

/* No partition in two hands, ever. */
static void check_disjoint(const member *ms, int n) {
    for (int32_t p = 0; p < 8; p++) {
        int holders = 0;
        for (int i = 0; i < n; i++) holders += owns(&ms[i], p);
        CHECK(holders <= 1);
    }
}

static void test_join_handover_expiry(void) {
    gr_kg_group *g = gr_kg_new(&env, gr_str_c("g"));
    member ms[2] = {{.id = "member-one"}, {.id = "member-two"}};
    int64_t now = 1000;
    CHECK(heartbeat(g, &ms[0], now, true));
    CHECK(ms[0].error == 0 && ms[0].epoch > 0 && ms[0].owned_count == 4);
    CHECK(!strcmp(gr_kg_state_name(g), "Stable"));

    CHECK(heartbeat(g, &ms[1], now, true));
    CHECK(ms[1].error == 0 && ms[1].owned_count == 0); /* its partitions are still member-one's */
    check_disjoint(ms, 2);
    CHECK(!strcmp(gr_kg_state_name(g), "Reconciling"));
    int32_t before = ms[0].epoch;
    heartbeat(g, &ms[0], now + 1, false); /* told to give two back, same epoch */
    CHECK(ms[0].error == 0 && ms[0].owned_count == 2 && ms[0].epoch == before);
    check_disjoint(ms, 2);
    heartbeat(g, &ms[1], now + 2, false); /* still not released (member-one has not confirmed) */
    CHECK(ms[1].owned_count == 0);
    heartbeat(g, &ms[0], now + 3, false); /* confirms: moves to the new epoch */
    CHECK(ms[0].epoch == ms[1].epoch);
    heartbeat(g, &ms[1], now + 4, false);
    CHECK(ms[1].owned_count == 2);
    check_disjoint(ms, 2);
    CHECK(!strcmp(gr_kg_state_name(g), "Stable"));

    /* Commits: current epoch only, v9+, known members. */
    CHECK(gr_kg_validate_commit(g, gr_str_c("member-one"), (gr_str){NULL, -1}, ms[0].epoch, 9) == 0);
    CHECK(gr_kg_validate_commit(g, gr_str_c("member-one"), (gr_str){NULL, -1}, ms[0].epoch - 1, 9) ==
          GR_ERR_STALE_MEMBER_EPOCH);
    CHECK(gr_kg_validate_commit(g, gr_str_c("member-one"), (gr_str){NULL, -1}, ms[0].epoch, 8) ==
          GR_ERR_UNSUPPORTED_VERSION);
    CHECK(gr_kg_validate_commit(g, gr_str_c("nobody"), (gr_str){NULL, -1}, 1, 9) == GR_ERR_UNKNOWN_MEMBER_ID);
    CHECK(gr_kg_validate_fetch(g, gr_str_c("member-two"), ms[1].epoch) == 0);
    CHECK(gr_kg_is_subscribed(g, gr_str_c("a")) && !gr_kg_is_subscribed(g, gr_str_c("b")));

    /* A wrong epoch is fenced; an unknown member with an epoch is unknown. */
    member bad = ms[0];
    bad.epoch += 5;
    heartbeat(g, &bad, now + 5, false);
    CHECK(bad.error == GR_ERR_FENCED_MEMBER_EPOCH);
    member ghost = {.id = "ghost", .epoch = 3};
    heartbeat(g, &ghost, now + 5, false);
    CHECK(ghost.error == GR_ERR_UNKNOWN_MEMBER_ID);

    /* member-two stops heartbeating: fenced after the session timeout, member-one takes all. */
    heartbeat(g, &ms[0], now + SESSION_MS - 10, false);
    CHECK(gr_kg_next_deadline(g) == now + 4 + SESSION_MS);
    CHECK(gr_kg_on_time(g, now + 4 + SESSION_MS));
    CHECK(gr_kg_member_count(g) == 1);
    heartbeat(g, &ms[0], now + SESSION_MS, false);
    CHECK(ms[0].owned_count == 4);
    gr_kg_free(g);
}

static void test_validation(void) {
    gr_kg_group *g = gr_kg_new(&env, gr_str_c("g"));
    gr_arena a;
    gr_arena_init(&a, 1 << 20);
    gr_kg_client client = {gr_str_c("c"), gr_str_c("/h")};
    gr_consumer_group_heartbeat_request in;
    gr_consumer_group_heartbeat_response out;

    gr_consumer_group_heartbeat_request_init(&in);
    in.member_id = gr_str_c("m");
    in.member_epoch = 0; /* no rebalance timeout, no subscription */
    gr_consumer_group_heartbeat_response_init(&out);
    gr_kg_heartbeat(g, &in, 1, &client, 0, &a, &out);
    CHECK(out.error_code == GR_ERR_INVALID_REQUEST && out.error_message.len > 0);

    in.rebalance_timeout_ms = 1000;
    topic_names[0] = gr_str_c("a");
    in.subscribed_topic_names.items = topic_names;
    in.subscribed_topic_names.count = 1;
    in.server_assignor = gr_str_c("fancy");
    gr_consumer_group_heartbeat_response_init(&out);
    gr_kg_heartbeat(g, &in, 1, &client, 0, &a, &out);
    CHECK(out.error_code == GR_ERR_UNSUPPORTED_ASSIGNOR);

    in.server_assignor = gr_str_c("range");
    in.member_id = gr_str_c(""); /* v1 requires the client's own member id */
    gr_consumer_group_heartbeat_response_init(&out);
    gr_kg_heartbeat(g, &in, 1, &client, 0, &a, &out);
    CHECK(out.error_code == GR_ERR_INVALID_REQUEST);
    gr_consumer_group_heartbeat_response_init(&out); /* v0: the broker names it */
    gr_kg_heartbeat(g, &in, 0, &client, 0, &a, &out);
    CHECK(out.error_code == GR_ERR_NONE && out.member_id.len > 0 && out.has_assignment);

    in.member_id = gr_str_c("rx");
    in.subscribed_topic_names.count = -1;
    in.subscribed_topic_regex = gr_str_c("a|(b");
    gr_consumer_group_heartbeat_response_init(&out);
    gr_kg_heartbeat(g, &in, 1, &client, 0, &a, &out);
    CHECK(out.error_code == GR_ERR_INVALID_REGULAR_EXPRESSION);
    in.subscribed_topic_regex = gr_str_c("a|b");
    gr_consumer_group_heartbeat_response_init(&out);
    gr_kg_heartbeat(g, &in, 1, &client, 0, &a, &out);
    CHECK(out.error_code == GR_ERR_NONE && gr_kg_is_subscribed(g, gr_str_c("b")));

    in.member_epoch = -1; /* leave */
    gr_consumer_group_heartbeat_response_init(&out);
    gr_kg_heartbeat(g, &in, 1, &client, 0, &a, &out);
    CHECK(out.error_code == GR_ERR_NONE && out.member_epoch == -1 && gr_kg_member_count(g) == 1);

    gr_consumer_group_describe_response_described_group d;
    gr_consumer_group_describe_response_described_group_init(&d);
    gr_kg_describe(g, &a, &d);
    CHECK(d.members.count == 1 && gr_str_eq(d.assignor_name, "range"));
    gr_arena_free(&a);
    gr_kg_free(g);
}

/* A static member leaving with epoch -2 keeps its partitions; its next incarnation gets them. */
static void test_static_member(void) {
    gr_kg_group *g = gr_kg_new(&env, gr_str_c("g"));
    gr_arena a;
    gr_arena_init(&a, 1 << 20);
    gr_kg_client client = {gr_str_c("c"), gr_str_c("/h")};
    gr_consumer_group_heartbeat_request in;
    gr_consumer_group_heartbeat_response out;
    topic_names[0] = gr_str_c("a");
    const char *ids[] = {"first", "second", "third"};
    int32_t epochs[3] = {0};
    for (int i = 0; i < 2; i++) {
        gr_consumer_group_heartbeat_request_init(&in);
        in.member_id = gr_str_c(ids[i]);
        in.instance_id = gr_str_c(i == 0 ? "static-a" : "static-b");
        in.member_epoch = 0;
        in.rebalance_timeout_ms = 1000;
        in.subscribed_topic_names.items = topic_names;
        in.subscribed_topic_names.count = 1;
        in.topic_partitions.count = 0;
        gr_consumer_group_heartbeat_response_init(&out);
        gr_kg_heartbeat(g, &in, 1, &client, 0, &a, &out);
        CHECK(out.error_code == GR_ERR_NONE);
        epochs[i] = out.member_epoch;
    }
    /* static-a goes away for a restart. */
    gr_consumer_group_heartbeat_request_init(&in);
    in.member_id = gr_str_c("first");
    in.instance_id = gr_str_c("static-a");
    in.member_epoch = -2;
    gr_consumer_group_heartbeat_response_init(&out);
    CHECK(!gr_kg_heartbeat(g, &in, 1, &client, 10, &a, &out)); /* no epoch change: nothing moves */
    CHECK(out.error_code == GR_ERR_NONE && out.member_epoch == -2 && gr_kg_member_count(g) == 2);
    /* A second live member with the same instance id is refused... */
    gr_consumer_group_heartbeat_request_init(&in);
    in.member_id = gr_str_c("intruder");
    in.instance_id = gr_str_c("static-b");
    in.member_epoch = 0;
    in.rebalance_timeout_ms = 1000;
    in.subscribed_topic_names.items = topic_names;
    in.subscribed_topic_names.count = 1;
    in.topic_partitions.count = 0;
    gr_consumer_group_heartbeat_response_init(&out);
    gr_kg_heartbeat(g, &in, 1, &client, 20, &a, &out);
    CHECK(out.error_code == GR_ERR_UNRELEASED_INSTANCE_ID);
    /* ...the restarted static-a takes its predecessor's place. */
    in.member_id = gr_str_c(ids[2]);
    in.instance_id = gr_str_c("static-a");
    gr_consumer_group_heartbeat_response_init(&out);
    gr_kg_heartbeat(g, &in, 1, &client, 30, &a, &out);
    CHECK(out.error_code == GR_ERR_NONE && gr_kg_member_count(g) == 2 && out.has_assignment);
    (void)epochs;
    gr_arena_free(&a);
    gr_kg_free(g);
}

static int32_t count_of(const gr_assign_member *m) { return m->result.count; }

static void test_assignors(void) {
    gr_assign_topic t[2] = {{{1}, 7}, {{2}, 3}};
    int32_t both[] = {0, 1}, only0[] = {0};
    gr_assign_member m[3];
    for (int i = 0; i < 3; i++) {
        memset(&m[i], 0, sizeof m[i]);
        m[i].topics = both;
        m[i].topic_count = 2;
        gr_tp_set_init(&m[i].result);
    }
    /* Uniform, homogeneous: 10 partitions over 3 members -> 4/3/3 in some order. */
    CHECK(gr_assign(GR_ASSIGNOR_UNIFORM, t, 2, m, 3) == 0);
    int32_t total = 0, lo = 100, hi = 0;
    for (int i = 0; i < 3; i++) {
        total += count_of(&m[i]);
        if (count_of(&m[i]) < lo) lo = count_of(&m[i]);
        if (count_of(&m[i]) > hi) hi = count_of(&m[i]);
    }
    CHECK(total == 10 && hi - lo <= 1);
    /* Sticky: a fourth member takes a share; the others keep what they can. */
    gr_tp_set prev[3];
    for (int i = 0; i < 3; i++) {
        gr_tp_set_init(&prev[i]);
        gr_tp_set_copy(&prev[i], &m[i].result);
    }
    gr_assign_member m4[4];
    for (int i = 0; i < 4; i++) {
        memset(&m4[i], 0, sizeof m4[i]);
        m4[i].topics = both;
        m4[i].topic_count = 2;
        m4[i].current = i < 3 ? &prev[i] : NULL;
        gr_tp_set_init(&m4[i].result);
    }
    CHECK(gr_assign(GR_ASSIGNOR_UNIFORM, t, 2, m4, 4) == 0);
    int32_t kept = 0;
    for (int i = 0; i < 3; i++) {
        gr_tp_set both_sets;
        gr_tp_set_init(&both_sets);
        gr_tp_set_intersect(&both_sets, &prev[i], &m4[i].result);
        kept += both_sets.count;
        gr_tp_set_free(&both_sets);
        CHECK(count_of(&m4[i]) >= 2 && count_of(&m4[i]) <= 3);
    }
    CHECK(count_of(&m4[3]) >= 2 && kept >= 7); /* only what the newcomer needs moved */
    /* Heterogeneous: member 2 subscribes to topic 0 only. */
    m[2].topics = only0;
    m[2].topic_count = 1;
    CHECK(gr_assign(GR_ASSIGNOR_UNIFORM, t, 2, m, 3) == 0);
    for (int32_t i = 0; i < m[2].result.count; i++) CHECK(!memcmp(m[2].result.items[i].id, t[0].id, 16));
    CHECK(count_of(&m[0]) + count_of(&m[1]) + count_of(&m[2]) == 10);
    /* Range: topic 0's 7 partitions -> 3/2/2 contiguous to members in order. */
    m[2].topics = both;
    m[2].topic_count = 2;
    CHECK(gr_assign(GR_ASSIGNOR_RANGE, t, 1, m, 3) == 0);
    CHECK(count_of(&m[0]) == 3 && count_of(&m[1]) == 2 && count_of(&m[2]) == 2);
    CHECK(m[0].result.items[0].partition == 0 && m[1].result.items[0].partition == 3 &&
          m[2].result.items[1].partition == 6);
    for (int i = 0; i < 3; i++) {
        gr_tp_set_free(&m[i].result);
        gr_tp_set_free(&prev[i]);
    }
    for (int i = 0; i < 4; i++) gr_tp_set_free(&m4[i].result);
}

int main(void) {
    gr_log_set_level(GR_LOG_WARN);
    memset(topics, 0, sizeof topics);
    topics[0].id[15] = 1;
    snprintf(topics[0].name, sizeof topics[0].name, "a");
    topics[0].partitions = 4;
    topics[1].id[15] = 2;
    snprintf(topics[1].name, sizeof topics[1].name, "b");
    topics[1].partitions = 2;
    test_join_handover_expiry();
    test_validation();
    test_static_member();
    test_assignors();
    printf("test_group_consumer: ok\n");
    return 0;
}
