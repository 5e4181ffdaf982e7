/*
 * test_group_coordinator.c: the coordinator over a real topic registry and store, without the
 * network: commits are acknowledged only after their flush, read back by OffsetFetch (one
 * group, all offsets, unknown groups), replayed by a new coordinator from __consumer_offsets
 * (the restart path), deleted with their group, dropped with a deleted topic, and expired
 * after offsets.retention.minutes; KIP-848 members survive a restart.
 */
#include <ftw.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "broker/config.h"
#include "cluster/topics.h"
#include "group/coordinator_internal.h"
#include "group/tp_set.h"
#include "proto/errors.h"
#include "store/flusher.h"

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                         \
            exit(1);                                                                                         \
        }                                                                                                    \
    } while (0)

#define WAIT_MS 20000
#define RETENTION_MS 60000

static gr_topics *topics;
static gr_flusher *flusher;

static gr_str S(const char *s) { return gr_str_c(s); }

static gr_group_coordinator *start(void) {
    gr_gc_config cfg = {.offsets_topic_num_partitions = 3,
                        .offsets_retention_ms = RETENTION_MS,
                        .offsets_retention_check_interval_ms = 600000,
                        .group_min_session_timeout_ms = 6000,
                        .group_max_session_timeout_ms = 300000,
                        .group_initial_rebalance_delay_ms = 0,
                        .group_max_size = 100,
                        .consumer_session_timeout_ms = 45000,
                        .consumer_heartbeat_interval_ms = 5000};
    gr_gc_services svc = {.topics = topics, .flusher = flusher};
    gr_group_coordinator *c = gr_gc_new(&cfg, &svc);
    CHECK(c != NULL);
    int64_t deadline = gr_mono_ms() + WAIT_MS;
    while (gr_gc_ready(c) != GR_ERR_NONE && gr_mono_ms() < deadline) usleep(1000);
    CHECK(gr_gc_ready(c) == GR_ERR_NONE);
    return c;
}

static atomic_int flushed;
static atomic_int flush_error;

static void on_flushed(void *ud, int error) {
    (void)ud;
    atomic_store(&flush_error, error);
    atomic_store(&flushed, 1);
}

/* OffsetCommit of offsets[i] for partitions 0..n-1 of "orders"; returns the first error. */
static int16_t commit(gr_group_coordinator *c, const char *group, int32_t generation, const int64_t *offsets,
                      int n) {
    gr_offset_commit_request in;
    gr_offset_commit_request_init(&in);
    in.group_id = S(group);
    in.generation_id_or_member_epoch = generation;
    in.member_id = S("");
    gr_offset_commit_request_offset_commit_request_partition parts[8];
    gr_offset_commit_response_offset_commit_response_partition rparts[8];
    for (int i = 0; i < n; i++) {
        gr_offset_commit_request_offset_commit_request_partition_init(&parts[i]);
        parts[i].partition_index = i;
        parts[i].committed_offset = offsets[i];
        parts[i].committed_leader_epoch = 3;
        parts[i].committed_metadata = S("m");
        memset(&rparts[i], 0, sizeof rparts[i]);
        rparts[i].partition_index = i;
    }
    gr_offset_commit_request_offset_commit_request_topic t;
    gr_offset_commit_request_offset_commit_request_topic_init(&t);
    t.name = S("orders");
    t.partitions.items = parts;
    t.partitions.count = n;
    in.topics.items = &t;
    in.topics.count = 1;
    gr_offset_commit_response out;
    gr_offset_commit_response_init(&out);
    gr_offset_commit_response_offset_commit_response_topic rt;
    memset(&rt, 0, sizeof rt);
    rt.name = t.name;
    rt.partitions.items = rparts;
    rt.partitions.count = n;
    out.topics.items = &rt;
    out.topics.count = 1;
    atomic_store(&flushed, 0);
    if (gr_gc_commit_offsets(c, &in, 8, &out, on_flushed, NULL)) {
        int64_t deadline = gr_mono_ms() + WAIT_MS;
        while (!atomic_load(&flushed) && gr_mono_ms() < deadline) usleep(1000);
        CHECK(atomic_load(&flushed) && atomic_load(&flush_error) == 0);
    }
    for (int i = 0; i < n; i++)
        if (rparts[i].error_code) return rparts[i].error_code;
    return GR_ERR_NONE;
}

/* Committed offset of orders/partition for the group (-1 if none). */
static int64_t fetch(gr_group_coordinator *c, const char *group, int32_t partition) {
    gr_arena a;
    gr_arena_init(&a, 1 << 20);
    gr_gc_offset_query q = {S("orders"), &partition, 1};
    gr_gc_fetched *f;
    int32_t n;
    CHECK(gr_gc_fetch_offsets(c, S(group), (gr_str){NULL, -1}, -1, &q, 1, &a, &f, &n) == GR_ERR_NONE &&
          n == 1);
    CHECK(f[0].offset < 0 || (f[0].leader_epoch == 3 && gr_str_eq(f[0].metadata, "m")));
    int64_t v = f[0].offset;
    gr_arena_free(&a);
    return v;
}

static int32_t fetch_all_count(gr_group_coordinator *c, const char *group) {
    gr_arena a;
    gr_arena_init(&a, 1 << 20);
    gr_gc_fetched *f;
    int32_t n;
    CHECK(gr_gc_fetch_offsets(c, S(group), (gr_str){NULL, -1}, -1, NULL, -1, &a, &f, &n) == GR_ERR_NONE);
    gr_arena_free(&a);
    return n;
}

/* One ConsumerGroupHeartbeat (v1) of member "m1" subscribed to "orders"; join = epoch 0. */
static int16_t consumer_heartbeat(gr_group_coordinator *c, int32_t epoch, gr_tp_set *owned,
                                  int32_t *epoch_out) {
    gr_arena a;
    gr_arena_init(&a, 1 << 20);
    gr_consumer_group_heartbeat_request in;
    gr_consumer_group_heartbeat_request_init(&in);
    in.group_id = S("kip848");
    in.member_id = S("m1");
    in.member_epoch = epoch;
    gr_str names[1] = {S("orders")};
    gr_consumer_group_heartbeat_request_topic_partitions tp;
    memset(&tp, 0, sizeof tp);
    int32_t parts[8];
    if (epoch == 0) {
        in.rebalance_timeout_ms = 30000;
        in.subscribed_topic_names.items = names;
        in.subscribed_topic_names.count = 1;
        in.topic_partitions.count = 0;
    } else {
        for (int32_t i = 0; i < owned->count && i < 8; i++) {
            memcpy(tp.topic_id.b, owned->items[i].id, 16);
            parts[i] = owned->items[i].partition;
        }
        tp.partitions.items = parts;
        tp.partitions.count = owned->count;
        in.topic_partitions.items = &tp;
        in.topic_partitions.count = owned->count ? 1 : 0;
    }
    gr_consumer_group_heartbeat_response out;
    gr_consumer_group_heartbeat_response_init(&out);
    gr_gc_client client = {S("client"), S("/127.0.0.1")};
    gr_gc_consumer_heartbeat(c, &in, 1, &client, &a, &out);
    *epoch_out = out.member_epoch;
    if (out.error_code == GR_ERR_NONE && out.has_assignment) {
        gr_tp_set_clear(owned);
        for (int32_t t = 0; t < out.assignment.topic_partitions.count; t++)
            for (int32_t p = 0; p < out.assignment.topic_partitions.items[t].partitions.count; p++)
                gr_tp_set_push(owned, out.assignment.topic_partitions.items[t].topic_id.b,
                               out.assignment.topic_partitions.items[t].partitions.items[p]);
        gr_tp_set_normalize(owned);
    }
    int16_t err = out.error_code;
    gr_arena_free(&a);
    return err;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(void) {
    gr_log_set_level(GR_LOG_WARN);
    char dir[] = "test_group_coordinator.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    gr_broker_config bc;
    gr_broker_config_defaults(&bc);
    snprintf(bc.log_dir, sizeof bc.log_dir, "%s", dir);
    topics = gr_topics_open(&bc);
    flusher = gr_flusher_start();
    CHECK(topics && flusher);
    const char *why;
    CHECK(gr_topics_create(topics, S("orders"), 3, NULL, false, &why) == GR_ERR_NONE);

    gr_group_coordinator *c = start();
    CHECK(gr_gc_ensure_offsets_topic(c) == GR_ERR_NONE);
    int64_t first[] = {10, 20, 30};
    CHECK(commit(c, "alpha", -1, first, 3) == GR_ERR_NONE);
    CHECK(commit(c, "beta", -1, first, 2) == GR_ERR_NONE);
    CHECK(commit(c, "nobody-home", 4, first, 1) == GR_ERR_ILLEGAL_GENERATION); /* no such generation */
    int64_t second[] = {11};
    CHECK(commit(c, "alpha", -1, second, 1) == GR_ERR_NONE);
    CHECK(fetch(c, "alpha", 0) == 11 && fetch(c, "alpha", 2) == 30 && fetch(c, "unknown", 0) == -1);
    CHECK(fetch_all_count(c, "alpha") == 3 && fetch_all_count(c, "unknown") == 0);

    /* A new coordinator replays __consumer_offsets: the restart path. */
    gr_gc_free(c);
    c = start();
    CHECK(fetch(c, "alpha", 0) == 11 && fetch(c, "alpha", 1) == 20 && fetch(c, "beta", 1) == 20);

    /* Deleting a group writes tombstones, which the next replay honours too. */
    int16_t err;
    gr_str beta = S("beta");
    (void)gr_gc_delete_groups(c, &beta, 1, &err, NULL, NULL); /* no callback: nobody waits for the flush */
    CHECK(err == GR_ERR_NONE && fetch_all_count(c, "beta") == 0);
    CHECK(gr_gc_delete_groups(c, &beta, 1, &err, on_flushed, NULL) == false &&
          err == GR_ERR_GROUP_ID_NOT_FOUND);
    gr_gc_topic_deleted(c, S("orders"));
    CHECK(fetch_all_count(c, "alpha") == 0);
    CHECK(commit(c, "alpha", -1, first, 3) == GR_ERR_NONE);
    gr_gc_free(c);
    c = start();
    CHECK(fetch_all_count(c, "beta") == 0 && fetch(c, "alpha", 2) == 30);

    /* Offsets of a group nobody uses expire after the retention, and the group goes with them. */
    pthread_mutex_lock(&c->mu);
    gc_expire_offsets(c, gr_wall_ms() + RETENTION_MS / 2);
    CHECK(gc_group_find(c, S("alpha")) != NULL);
    gc_expire_offsets(c, gr_wall_ms() + RETENTION_MS + 1000);
    CHECK(gc_group_find(c, S("alpha")) == NULL);
    pthread_mutex_unlock(&c->mu);
    CHECK(fetch(c, "alpha", 2) == -1);
    gr_gc_free(c);
    c = start();
    CHECK(fetch_all_count(c, "alpha") == 0);

    /* A KIP-848 member is still known after a restart: it carries on with its partitions. */
    gr_tp_set owned;
    gr_tp_set_init(&owned);
    int32_t epoch;
    CHECK(consumer_heartbeat(c, 0, &owned, &epoch) == GR_ERR_NONE && epoch > 0 && owned.count == 3);
    gr_gc_free(c);
    c = start();
    int32_t epoch2;
    CHECK(consumer_heartbeat(c, epoch, &owned, &epoch2) == GR_ERR_NONE && epoch2 >= epoch &&
          owned.count == 3);
    gr_tp_set_free(&owned);
    gr_gc_free(c);

    gr_flusher_stop(flusher);
    gr_topics_close(topics);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    printf("test_group_coordinator: ok\n");
    return 0;
}
