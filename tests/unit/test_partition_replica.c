/*
 * test_partition_replica.c: a partition's replica against a real log in a temporary directory:
 * the leader's epoch and high watermark, ISR shrink and expand proposals (seen by a fake
 * cluster layer), acks=all waits completing, failing and timing out, and a leader that becomes
 * a follower (its waiters fail, the fetchers follow the new leader).
 */
#include <stdatomic.h>

#include "base/clock.h"
#include "cluster/partition_replica.h"
#include "cluster/topics.h"
#include "proto/errors.h"
#include "store/partition_log.h"
#include "store_test_util.h"

#define ME 1
#define LAG_MS 1000

/* The fake cluster layer: counts ISR proposals and keeps the last one. */
typedef struct fake_cluster {
    int proposals;
    gr_partition_state last;
    atomic_int wakeups;
} fake_cluster;

static void on_isr_change(void *ud, const char *topic, int32_t partition,
                          const gr_partition_state *proposed) {
    fake_cluster *fc = ud;
    CHECK(strcmp(topic, "orders") == 0);
    CHECK_EQ_INT(partition, 4);
    fc->proposals++;
    fc->last = *proposed;
}

static void on_data_arrived(void *ud) {
    fake_cluster *fc = ud;
    atomic_fetch_add(&fc->wakeups, 1);
}

/* One acks=all request: how it ended (-1 while waiting). */
typedef struct ack {
    int calls;
    int16_t error;
} ack;

static void on_ack(void *ud, int16_t error) {
    ack *a = ud;
    a->calls++;
    a->error = error;
}

typedef struct fixture {
    char *dir;
    gr_partition_log *log;
    gr_partition part;
    fake_cluster fc;
    gr_partition_replica *r;
} fixture;

static void setup(fixture *fx, gr_replica_fetchers *fetchers) {
    memset(fx, 0, sizeof *fx);
    fx->dir = test_tmpdir();
    gr_log_config c;
    gr_log_config_defaults(&c);
    CHECK_EQ_INT(gr_plog_open(fx->dir, &c, &fx->log), 0);
    fx->part.log = fx->log;
    fx->part.leader_epoch = 0;
    gr_partition_replica_config cfg = {
        .broker_id = ME,
        .topic = "orders",
        .topic_id = {9},
        .partition = 4,
        .log = fx->log,
        .registry_partition = &fx->part,
        .fetchers = fetchers,
        .replica_lag_time_max_ms = LAG_MS,
        .isr_change = on_isr_change,
        .isr_change_ud = &fx->fc,
        .data_arrived = on_data_arrived,
        .data_arrived_ud = &fx->fc,
    };
    fx->r = gr_partition_replica_new(&cfg);
    CHECK(fx->r != NULL);
}

static void teardown(fixture *fx) {
    gr_partition_replica_free(fx->r);
    gr_plog_close(fx->log);
    test_rm_rf(fx->dir);
}

static gr_partition_state make_state(int32_t leader, int32_t epoch, int32_t version, const int32_t *isr,
                                     int isr_count) {
    gr_partition_state s = {
        .leader = leader, .leader_epoch = epoch, .controller_epoch = 1, .zk_version = version};
    s.replica_count = 3;
    for (int i = 0; i < 3; i++) s.replicas[i] = i + 1;
    s.isr_count = isr_count;
    for (int i = 0; i < isr_count; i++) s.isr[i] = isr[i];
    return s;
}

/* Appends n records as the leader; returns the log end offset after them. */
static int64_t append_n(fixture *fx, int n) {
    gr_buf b;
    gr_buf_init(&b);
    test_batch_opts o = test_opts(n, 1000);
    test_make_batch(&b, &o);
    gr_append_result res;
    gr_plog_append(fx->log, b.data, b.len, fx->part.leader_epoch, &res);
    gr_buf_free(&b);
    CHECK_EQ_INT(res.error, 0);
    gr_partition_replica_appended(fx->r);
    return res.last_offset + 1;
}

static bool isr_is(const gr_partition_state *s, const int32_t *ids, int n) {
    if (s->isr_count != n) return false;
    for (int i = 0; i < n; i++) {
        bool found = false;
        for (int j = 0; j < s->isr_count; j++) found = found || s->isr[j] == ids[i];
        if (!found) return false;
    }
    return true;
}

/* A leader alone in its ISR: the epoch is recorded and the high watermark follows the log end. */
static void test_leader_alone(void) {
    fixture fx;
    setup(&fx, NULL);
    CHECK(!gr_partition_replica_is_leader(fx.r));
    CHECK_EQ_INT(gr_partition_replica_leader(fx.r), -1);
    int32_t isr[] = {ME};
    gr_partition_state s = make_state(ME, 5, 10, isr, 1);
    gr_partition_replica_apply(fx.r, &s, NULL);
    CHECK(gr_partition_replica_is_leader(fx.r));
    CHECK_EQ_INT(gr_partition_replica_leader(fx.r), ME);
    CHECK_EQ_INT(gr_partition_replica_leader_epoch(fx.r), 5);
    CHECK_EQ_INT(fx.part.leader_epoch, 5);
    CHECK_EQ_INT(gr_plog_latest_epoch(fx.log), 5);
    int wake_before = atomic_load(&fx.fc.wakeups);
    CHECK_EQ_INT(append_n(&fx, 3), 3);
    CHECK_EQ_INT(gr_plog_high_watermark(fx.log), 3);
    CHECK_EQ_INT(gr_plog_end_offset(fx.log), 3);
    CHECK(atomic_load(&fx.fc.wakeups) > wake_before);
    /* acks=all that is already replicated completes at once; min.insync=2 refuses before. */
    ack a = {0, -1};
    gr_partition_replica_wait(fx.r, 3, 1, gr_mono_ms() + 10000, on_ack, &a);
    CHECK_EQ_INT(a.calls, 1);
    CHECK_EQ_INT(a.error, 0);
    CHECK_EQ_INT(gr_partition_replica_check_insync(fx.r, 1), 0);
    CHECK_EQ_INT(gr_partition_replica_check_insync(fx.r, 2), GR_ERR_NOT_ENOUGH_REPLICAS);
    CHECK_EQ_INT(fx.fc.proposals, 0);
    teardown(&fx);
}

/* Three in the ISR: the high watermark is the smallest position, waits for every follower's
 * first fetch, and never goes back. */
static void test_high_watermark(void) {
    fixture fx;
    setup(&fx, NULL);
    int32_t isr[] = {ME, 2, 3};
    gr_partition_state s = make_state(ME, 1, 3, isr, 3);
    gr_partition_replica_apply(fx.r, &s, NULL);
    int64_t now = gr_mono_ms();
    CHECK_EQ_INT(append_n(&fx, 4), 4);
    CHECK_EQ_INT(gr_plog_high_watermark(fx.log), 0);
    CHECK_EQ_INT(gr_plog_end_offset(fx.log), 0); /* consumers see nothing yet */
    ack a = {0, -1}, b = {0, -1};
    gr_partition_replica_wait(fx.r, 4, 2, now + 10000, on_ack, &a);
    gr_partition_replica_wait(fx.r, 2, 2, now + 10000, on_ack, &b);
    CHECK_EQ_INT(gr_partition_replica_follower_fetched(fx.r, 2, 4, now), 0);
    CHECK_EQ_INT(gr_plog_high_watermark(fx.log), 0); /* 3's position is not known yet */
    CHECK_EQ_INT(gr_partition_replica_follower_fetched(fx.r, 3, 2, now), 0);
    CHECK_EQ_INT(gr_plog_high_watermark(fx.log), 2);
    CHECK_EQ_INT(b.calls, 1);
    CHECK_EQ_INT(b.error, 0);
    CHECK_EQ_INT(a.calls, 0);
    CHECK_EQ_INT(gr_partition_replica_follower_fetched(fx.r, 3, 4, now), 0);
    CHECK_EQ_INT(gr_plog_high_watermark(fx.log), 4);
    CHECK_EQ_INT(a.calls, 1);
    CHECK_EQ_INT(a.error, 0);
    /* A stale position (say after a reconnect) does not move it back. */
    CHECK_EQ_INT(gr_partition_replica_follower_fetched(fx.r, 3, 1, now), 0);
    CHECK_EQ_INT(gr_plog_high_watermark(fx.log), 4);
    /* A broker that is no replica of the partition is refused; positions past the end ignored. */
    CHECK_EQ_INT(gr_partition_replica_follower_fetched(fx.r, 9, 4, now), GR_ERR_NOT_LEADER_OR_FOLLOWER);
    CHECK_EQ_INT(gr_partition_replica_follower_fetched(fx.r, 2, 99, now), 0);
    append_n(&fx, 1);
    CHECK_EQ_INT(gr_plog_high_watermark(fx.log), 4);
    CHECK_EQ_INT(fx.fc.proposals, 0);
    teardown(&fx);
}

/* A follower that stops catching up leaves the ISR after replica.lag.time.max.ms, one that
 * keeps up stays; the shrunk ISR makes acks=all with min.insync 3 fail after the append. */
static void test_isr_shrink(void) {
    fixture fx;
    setup(&fx, NULL);
    int32_t isr[] = {ME, 2, 3};
    gr_partition_state s = make_state(ME, 2, 7, isr, 3);
    gr_partition_replica_apply(fx.r, &s, NULL);
    int64_t t0 = gr_mono_ms();
    int64_t end = append_n(&fx, 2);
    gr_partition_replica_follower_fetched(fx.r, 2, end, t0);
    gr_partition_replica_follower_fetched(fx.r, 3, end, t0);
    CHECK_EQ_INT(gr_plog_high_watermark(fx.log), end);
    end = append_n(&fx, 2);
    ack a = {0, -1};
    gr_partition_replica_wait(fx.r, end, 3, t0 + 100000, on_ack, &a);
    /* 2 keeps fetching up to the end; 3 stays behind. */
    gr_partition_replica_follower_fetched(fx.r, 2, end, t0 + LAG_MS / 2);
    gr_partition_replica_tick(fx.r, t0 + LAG_MS / 2);
    CHECK_EQ_INT(fx.fc.proposals, 0);
    gr_partition_replica_follower_fetched(fx.r, 2, end, t0 + LAG_MS + 10);
    gr_partition_replica_tick(fx.r, t0 + LAG_MS + 10);
    CHECK_EQ_INT(fx.fc.proposals, 1);
    int32_t shrunk[] = {ME, 2};
    CHECK(isr_is(&fx.fc.last, shrunk, 2));
    CHECK_EQ_INT(fx.fc.last.zk_version, 7);
    CHECK_EQ_INT(fx.fc.last.leader, ME);
    CHECK_EQ_INT(fx.fc.last.leader_epoch, 2);
    /* Not proposed again while the first is in flight; again once it seems lost. */
    gr_partition_replica_tick(fx.r, t0 + LAG_MS + 20);
    CHECK_EQ_INT(fx.fc.proposals, 1);
    gr_partition_replica_tick(fx.r, t0 + LAG_MS + 20 + 2500);
    CHECK_EQ_INT(fx.fc.proposals, 2);
    /* The cluster layer recorded it: the high watermark moves without 3; the waiter's ISR is
     * now below its min.insync. */
    CHECK_EQ_INT(a.calls, 0);
    s = make_state(ME, 2, 8, shrunk, 2);
    gr_partition_replica_apply(fx.r, &s, NULL);
    CHECK_EQ_INT(gr_plog_high_watermark(fx.log), end);
    CHECK_EQ_INT(a.calls, 1);
    CHECK_EQ_INT(a.error, GR_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND);
    CHECK_EQ_INT(gr_partition_replica_check_insync(fx.r, 3), GR_ERR_NOT_ENOUGH_REPLICAS);
    CHECK_EQ_INT(gr_partition_replica_check_insync(fx.r, 2), 0);
    /* Both followers stalled: the ISR never loses the leader itself. */
    int64_t t1 = t0 + 10 * LAG_MS;
    append_n(&fx, 1);
    gr_partition_replica_tick(fx.r, t1);
    CHECK_EQ_INT(fx.fc.proposals, 3);
    int32_t alone[] = {ME};
    CHECK(isr_is(&fx.fc.last, alone, 1));
    teardown(&fx);
}

/* A follower outside the ISR joins once it reaches the high watermark from the current epoch. */
static void test_isr_expand(void) {
    fixture fx;
    setup(&fx, NULL);
    gr_plog_set_replicated(fx.log, true);
    append_n(&fx, 5); /* before any leadership: the high watermark stays at 0 */
    gr_plog_set_high_watermark(fx.log, 2);
    int32_t isr[] = {ME, 2};
    gr_partition_state s = make_state(ME, 3, 20, isr, 2);
    gr_partition_replica_apply(fx.r, &s, NULL);
    CHECK_EQ_INT(gr_plog_high_watermark(fx.log), 2); /* 2's position is not known */
    int64_t now = gr_mono_ms();
    /* 3 reached the high watermark but is not into this epoch yet (it starts at 5). */
    gr_partition_replica_follower_fetched(fx.r, 3, 2, now);
    CHECK_EQ_INT(fx.fc.proposals, 0);
    gr_partition_replica_follower_fetched(fx.r, 2, 5, now);
    CHECK_EQ_INT(gr_plog_high_watermark(fx.log), 5);
    gr_partition_replica_follower_fetched(fx.r, 3, 4, now);
    CHECK_EQ_INT(fx.fc.proposals, 0);
    gr_partition_replica_follower_fetched(fx.r, 3, 5, now);
    CHECK_EQ_INT(fx.fc.proposals, 1);
    int32_t full[] = {ME, 2, 3};
    CHECK(isr_is(&fx.fc.last, full, 3));
    CHECK_EQ_INT(fx.fc.last.zk_version, 20);
    /* Recorded: 3 now counts for the high watermark and is not shrunk at once. */
    s = make_state(ME, 3, 21, full, 3);
    gr_partition_replica_apply(fx.r, &s, NULL);
    int64_t end = append_n(&fx, 1);
    gr_partition_replica_follower_fetched(fx.r, 2, end, now);
    CHECK_EQ_INT(gr_plog_high_watermark(fx.log), 5);
    gr_partition_replica_tick(fx.r, gr_mono_ms());
    CHECK_EQ_INT(fx.fc.proposals, 1);
    gr_partition_replica_follower_fetched(fx.r, 3, end, now);
    CHECK_EQ_INT(gr_plog_high_watermark(fx.log), end);
    teardown(&fx);
}

/* acks=all waits: the deadline gives REQUEST_TIMED_OUT; losing leadership NOT_LEADER_OR_FOLLOWER;
 * freeing the replica fails what is left. */
static void test_waiters_fail(void) {
    fixture fx;
    setup(&fx, NULL);
    int32_t isr[] = {ME, 2};
    gr_partition_state s = make_state(ME, 1, 1, isr, 2);
    gr_partition_replica_apply(fx.r, &s, NULL);
    int64_t now = gr_mono_ms();
    int64_t end = append_n(&fx, 1);
    ack soon = {0, -1}, later = {0, -1}, last = {0, -1};
    gr_partition_replica_wait(fx.r, end, 1, now + 100, on_ack, &soon);
    gr_partition_replica_wait(fx.r, end, 1, now + 100000, on_ack, &later);
    gr_partition_replica_tick(fx.r, now + 50);
    CHECK_EQ_INT(soon.calls, 0);
    gr_partition_replica_tick(fx.r, now + 101);
    CHECK_EQ_INT(soon.calls, 1);
    CHECK_EQ_INT(soon.error, GR_ERR_REQUEST_TIMED_OUT);
    CHECK_EQ_INT(later.calls, 0);
    /* Broker 2 leads now (epoch 2): the waiter fails, nothing new is accepted. */
    s = make_state(2, 2, 2, isr, 2);
    gr_partition_replica_apply(fx.r, &s, NULL);
    CHECK_EQ_INT(later.calls, 1);
    CHECK_EQ_INT(later.error, GR_ERR_NOT_LEADER_OR_FOLLOWER);
    CHECK(!gr_partition_replica_is_leader(fx.r));
    CHECK_EQ_INT(gr_partition_replica_leader(fx.r), 2);
    CHECK_EQ_INT(fx.part.leader_epoch, 2);
    gr_partition_replica_wait(fx.r, end, 1, now + 100000, on_ack, &last);
    CHECK_EQ_INT(last.calls, 1);
    CHECK_EQ_INT(last.error, GR_ERR_NOT_LEADER_OR_FOLLOWER);
    CHECK_EQ_INT(gr_partition_replica_check_insync(fx.r, 1), GR_ERR_NOT_LEADER_OR_FOLLOWER);
    CHECK_EQ_INT(gr_partition_replica_follower_fetched(fx.r, 2, end, now), GR_ERR_NOT_LEADER_OR_FOLLOWER);
    /* Leader again (epoch 3), then freed with a wait pending. */
    s = make_state(ME, 3, 3, isr, 2);
    gr_partition_replica_apply(fx.r, &s, NULL);
    CHECK_EQ_INT(gr_plog_latest_epoch(fx.log), 3);
    ack freed = {0, -1};
    gr_partition_replica_wait(fx.r, end + 1, 1, now + 100000, on_ack, &freed);
    gr_partition_replica_free(fx.r);
    fx.r = NULL;
    CHECK_EQ_INT(freed.calls, 1);
    CHECK_EQ_INT(freed.error, GR_ERR_NOT_LEADER_OR_FOLLOWER);
    gr_plog_close(fx.log);
    test_rm_rf(fx.dir);
}

/* A follower is followed through the fetchers from its leader and epoch; becoming leader, or
 * a partition without a leader, stops the fetcher. */
static void test_follow(void) {
    gr_fetcher_config fcfg = {
        .broker_id = ME, .backoff_ms = 50, .socket_timeout_ms = 1000, .wait_max_ms = 50};
    gr_replica_fetchers *fetchers = gr_replica_fetchers_new(&fcfg);
    CHECK(fetchers != NULL);
    fixture fx;
    setup(&fx, fetchers);
    int32_t isr[] = {ME, 2, 3};
    gr_leader_endpoint ep = {"127.0.0.1", 1}; /* nothing listens: the fetcher just retries */
    gr_partition_state s = make_state(2, 4, 1, isr, 3);
    gr_partition_replica_apply(fx.r, &s, &ep);
    CHECK_EQ_INT(gr_replica_fetchers_leader_of(fetchers, "orders", 4), 2);
    CHECK_EQ_INT(fx.part.leader_epoch, 4);
    s = make_state(3, 5, 2, isr, 3);
    gr_partition_replica_apply(fx.r, &s, &ep);
    CHECK_EQ_INT(gr_replica_fetchers_leader_of(fetchers, "orders", 4), 3);
    /* A new leader whose endpoint is not known yet: the old one is no longer followed. */
    s = make_state(2, 5, 3, isr, 3);
    gr_partition_replica_apply(fx.r, &s, NULL);
    CHECK_EQ_INT(gr_replica_fetchers_leader_of(fetchers, "orders", 4), -1);
    s = make_state(3, 5, 3, isr, 3);
    gr_partition_replica_apply(fx.r, &s, &ep);
    CHECK_EQ_INT(gr_replica_fetchers_leader_of(fetchers, "orders", 4), 3);
    s = make_state(-1, 5, 3, isr, 3);
    gr_partition_replica_apply(fx.r, &s, NULL);
    CHECK_EQ_INT(gr_replica_fetchers_leader_of(fetchers, "orders", 4), -1);
    CHECK_EQ_INT(gr_partition_replica_leader(fx.r), -1);
    s = make_state(3, 6, 4, isr, 3);
    gr_partition_replica_apply(fx.r, &s, &ep);
    CHECK_EQ_INT(gr_replica_fetchers_leader_of(fetchers, "orders", 4), 3);
    s = make_state(ME, 7, 5, isr, 3);
    gr_partition_replica_apply(fx.r, &s, NULL);
    CHECK_EQ_INT(gr_replica_fetchers_leader_of(fetchers, "orders", 4), -1);
    CHECK(gr_partition_replica_is_leader(fx.r));
    CHECK_EQ_INT(gr_plog_latest_epoch(fx.log), 7);
    s = make_state(2, 8, 6, isr, 3);
    gr_partition_replica_apply(fx.r, &s, &ep);
    CHECK_EQ_INT(gr_replica_fetchers_leader_of(fetchers, "orders", 4), 2);
    teardown(&fx); /* unfollows before the log closes */
    CHECK_EQ_INT(gr_replica_fetchers_leader_of(fetchers, "orders", 4), -1);
    gr_replica_fetchers_free(fetchers);
}

int main(void) {
    test_leader_alone();
    test_high_watermark();
    test_isr_shrink();
    test_isr_expand();
    test_waiters_fail();
    test_follow();
    if (test_failures == 0) printf("test_partition_replica: ok\n");
    return test_failures != 0;
}
