/*
 * coord_cluster.c: the group coordinator in cluster mode.
 *
 * A group lives on the leader of its __consumer_offsets partition. The cluster layer reports
 * leadership changes (gr_gc_leadership, on its own thread); the loader thread compares what it
 * was told with what it serves and, per partition, replays the partition's records when
 * leadership arrives (a new leader epoch also means a fresh replay: another broker may have
 * written meanwhile) and forgets the partition's groups when it leaves. Requests for a group on
 * a partition being replayed get COORDINATOR_LOAD_IN_PROGRESS, on one not served here
 * NOT_COORDINATOR, so clients look the coordinator up again.
 *
 * Commits are answered once the partition's high watermark passes them (acks=all for the
 * coordinator's own writes, as in Kafka), not after a local flush.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "cluster/partition_replica.h"
#include "group/coordinator_internal.h"
#include "group/placement.h"
#include "proto/errors.h"

#define OWN_PARTITIONS_MIN 1024 /* __consumer_offsets partitions followed; Kafka's default is 50 */
#define OWN_POLL_MS 1000        /* the loader re-checks this often without news */

bool gc_cluster_init(gr_group_coordinator *c) {
    c->own_cap = c->cfg.offsets_topic_num_partitions > OWN_PARTITIONS_MIN
                     ? c->cfg.offsets_topic_num_partitions
                     : OWN_PARTITIONS_MIN;
    c->desired_epoch = malloc((size_t)c->own_cap * sizeof *c->desired_epoch);
    c->owned_epoch = malloc((size_t)c->own_cap * sizeof *c->owned_epoch);
    c->own_state = calloc((size_t)c->own_cap, sizeof *c->own_state);
    c->append_end = calloc((size_t)c->own_cap, sizeof *c->append_end);
    if (!c->desired_epoch || !c->owned_epoch || !c->own_state || !c->append_end) {
        gc_cluster_free(c);
        return false;
    }
    for (int32_t i = 0; i < c->own_cap; i++) c->desired_epoch[i] = c->owned_epoch[i] = -1;
    pthread_mutex_init(&c->own_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->own_cond, &ca);
    pthread_condattr_destroy(&ca);
    return true;
}

void gc_cluster_free(gr_group_coordinator *c) {
    free(c->desired_epoch);
    free(c->owned_epoch);
    free((void *)c->own_state);
    free(c->append_end);
    c->desired_epoch = c->owned_epoch = NULL;
    c->own_state = NULL;
    c->append_end = NULL;
}

void gc_cluster_wake(gr_group_coordinator *c) {
    pthread_mutex_lock(&c->own_mu);
    c->own_poked = true;
    pthread_cond_signal(&c->own_cond);
    pthread_mutex_unlock(&c->own_mu);
}

void gr_gc_leadership(gr_group_coordinator *c, int32_t partition, bool leader, int32_t leader_epoch) {
    if (!c || !c->svc.clustered || partition < 0) return;
    if (partition >= c->own_cap) {
        GR_WARN("group", "%s has more than %d partitions: partition %d is not served", GR_OFFSETS_TOPIC,
                c->own_cap, partition);
        return;
    }
    pthread_mutex_lock(&c->own_mu);
    c->desired_epoch[partition] = leader ? (leader_epoch >= 0 ? leader_epoch : 0) : -1;
    c->own_poked = true;
    pthread_cond_signal(&c->own_cond);
    pthread_mutex_unlock(&c->own_mu);
}

int16_t gr_gc_group_ready(gr_group_coordinator *c, gr_str group_id) {
    if (!c->svc.clustered) return gr_gc_ready(c);
    if (!atomic_load(&c->topic_ready)) return GR_ERR_NOT_COORDINATOR;
    int32_t p = gr_group_partition_for(group_id.ptr ? group_id.ptr : "",
                                       (size_t)(group_id.len > 0 ? group_id.len : 0), c->offsets_partitions);
    if (p >= c->own_cap) return GR_ERR_NOT_COORDINATOR;
    switch (atomic_load(&c->own_state[p])) {
    case GC_PART_OWNED:
        return GR_ERR_NONE;
    case GC_PART_LOADING:
        return GR_ERR_COORDINATOR_LOAD_IN_PROGRESS;
    default:
        return GR_ERR_NOT_COORDINATOR;
    }
}

/* Forgets every group of the partition (their members will find the new coordinator). */
static void unload(gr_group_coordinator *c, int32_t partition) {
    atomic_store(&c->own_state[partition], GC_PART_NONE);
    c->owned_epoch[partition] = -1;
    pthread_mutex_lock(&c->mu);
    uint32_t dropped = 0;
    for (uint32_t b = 0; b < c->bucket_count; b++) {
        gr_group *g = c->buckets[b];
        while (g) {
            gr_group *next = g->next;
            if (g->partition == partition) {
                gc_group_delete(c, g);
                dropped++;
            }
            g = next;
        }
    }
    pthread_mutex_unlock(&c->mu);
    GR_INFO("group", "no longer coordinating %s-%d (%u group(s) unloaded)", GR_OFFSETS_TOPIC, partition,
            dropped);
}

static bool adopt_local_topic(gr_group_coordinator *c) {
    if (atomic_load(&c->topic_ready)) return true;
    gr_topic *t = gr_topics_get(c->svc.topics, gr_str_c(GR_OFFSETS_TOPIC));
    if (!t) return false; /* the cluster has not made it here yet */
    pthread_mutex_lock(&c->topic_mu);
    if (!c->offsets_topic)
        gc_adopt_topic(c, t);
    else
        gr_topic_release(t);
    pthread_mutex_unlock(&c->topic_mu);
    return true;
}

/* Makes the served partitions match `want` (epochs, -1 = not leading). */
static void reconcile(gr_group_coordinator *c, const int32_t *want) {
    if (!adopt_local_topic(c)) return;
    int32_t n = c->offsets_partitions < c->own_cap ? c->offsets_partitions : c->own_cap;
    for (int32_t i = 0; i < n && !atomic_load(&c->stopping); i++) {
        if (want[i] == c->owned_epoch[i]) continue;
        if (c->owned_epoch[i] >= 0 || atomic_load(&c->own_state[i]) != GC_PART_NONE) unload(c, i);
        if (want[i] < 0) continue;
        gr_partition *p = gr_topic_partition(c->offsets_topic, i);
        if (!p) continue; /* no local log yet: the next pass retries */
        atomic_store(&c->own_state[i], GC_PART_LOADING);
        int64_t started = gr_mono_ms();
        gc_load_partition(c, i, p->log);
        c->owned_epoch[i] = want[i];
        atomic_store(&c->own_state[i], GC_PART_OWNED);
        GR_INFO("group", "coordinating %s-%d (leader epoch %d), loaded in %lld ms", GR_OFFSETS_TOPIC, i,
                want[i], (long long)(gr_mono_ms() - started));
    }
}

void gc_cluster_loader(gr_group_coordinator *c) {
    int32_t *want = malloc((size_t)c->own_cap * sizeof *want);
    if (!want) {
        GR_ERROR("group", "out of memory: groups are not served");
        return;
    }
    pthread_mutex_lock(&c->own_mu);
    while (!atomic_load(&c->stopping)) {
        for (int32_t i = 0; i < c->own_cap; i++) want[i] = c->desired_epoch[i];
        c->own_poked = false;
        pthread_mutex_unlock(&c->own_mu);
        reconcile(c, want);
        pthread_mutex_lock(&c->own_mu);
        if (!c->own_poked && !atomic_load(&c->stopping)) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += OWN_POLL_MS / 1000;
            pthread_cond_timedwait(&c->own_cond, &c->own_mu, &ts);
        }
    }
    pthread_mutex_unlock(&c->own_mu);
    free(want);
}

/* ---- commits wait for the in-sync replicas ---- */

typedef struct replica_wait {
    atomic_int pending;
    atomic_int error;
    gr_flush_done_fn done;
    void *ud;
} replica_wait;

static void replicated(void *ud, int16_t error) {
    replica_wait *w = ud;
    if (error) atomic_store(&w->error, error);
    if (atomic_fetch_sub(&w->pending, 1) == 1) {
        w->done(w->ud, atomic_load(&w->error));
        free(w);
    }
}

void gc_cluster_wait(gr_group_coordinator *c, gr_partition_log **logs, int count, gr_flush_done_fn done,
                     void *ud) {
    if (count == 0) {
        done(ud, 0);
        return;
    }
    replica_wait *w = malloc(sizeof *w);
    if (!w) {
        done(ud, GR_ERR_KAFKA_STORAGE_ERROR);
        return;
    }
    atomic_init(&w->pending, count + 1); /* + this function's own hold */
    atomic_init(&w->error, 0);
    w->done = done;
    w->ud = ud;
    int64_t deadline = gr_mono_ms() + (c->svc.commit_timeout_ms > 0 ? c->svc.commit_timeout_ms : 5000);
    int32_t n = c->offsets_partitions < c->own_cap ? c->offsets_partitions : c->own_cap;
    for (int k = 0; k < count; k++) {
        gr_partition_replica *r = NULL;
        int32_t index = -1;
        for (int32_t i = 0; i < n && index < 0; i++) {
            gr_partition *p = gr_topic_partition(c->offsets_topic, i);
            if (p && p->log == logs[k]) {
                index = i;
                r = atomic_load(&p->replica);
            }
        }
        if (!r) {
            replicated(w, GR_ERR_NOT_LEADER_OR_FOLLOWER);
            continue;
        }
        gr_partition_replica_wait(r, c->append_end[index], c->svc.min_insync_replicas, deadline, replicated,
                                  w);
    }
    replicated(w, 0);
}
