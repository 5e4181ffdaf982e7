/*
 * cluster_shutdown.c: controlled shutdown (controlled.shutdown.enable). Before the broker stops,
 * the leadership of every partition it leads moves to another live ISR member and it leaves the
 * ISR of every partition it follows, each by compare-and-set with leader_epoch + 1, so clients
 * move on at once instead of waiting for the session to expire. Bounded by the caller's deadline.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "cluster/cluster_internal.h"

static bool in(const int32_t *ids, int n, int32_t id) {
    for (int i = 0; i < n; i++)
        if (ids[i] == id) return true;
    return false;
}

/* One round over the current picture; returns how many partitions still need this broker out. */
static int shutdown_round(gr_cluster *c) {
    int left = 0;
    const gr_cluster_view *v = c->snap.view;
    for (int ti = 0; ti < v->topic_count; ti++) {
        const gr_cluster_topic *t = &v->topics[ti];
        for (int32_t p = 0; p < t->partition_count; p++) {
            const gr_partition_state *cur = &t->partitions[p].state;
            if (cur->zk_version < 0 || !in(cur->isr, cur->isr_count, c->id) || cur->isr_count <= 1) continue;
            gr_partition_state s = *cur;
            s.isr_count = 0;
            for (int i = 0; i < cur->isr_count; i++)
                if (cur->isr[i] != c->id) s.isr[s.isr_count++] = cur->isr[i];
            if (cur->leader == c->id) {
                s.leader = -1;
                for (int i = 0; i < cur->replica_count && s.leader < 0; i++)
                    if (cur->replicas[i] != c->id && in(s.isr, s.isr_count, cur->replicas[i]) &&
                        gr_cluster_broker_live(v, cur->replicas[i]))
                        s.leader = cur->replicas[i];
                if (s.leader < 0) continue; /* nobody to take over: keep leading to the end */
            }
            s.leader_epoch++;
            if (gr_controller_write_state(c, t->name, p, &s) != ZOK) left++;
            else GR_INFO("cluster", "controlled shutdown: %s-%d now led by %d", t->name, p, s.leader);
        }
    }
    return left;
}

void gr_cluster_shutdown_run(gr_cluster *c, int64_t deadline_ms) {
    for (int round = 0; round <= c->cfg->controlled_shutdown_max_retries; round++) {
        gr_cluster_snapshot s;
        if (gr_cluster_read(c, &s)) {
            if (c->snap_valid) gr_cluster_snapshot_free(&c->snap);
            c->snap = s;
            c->snap_valid = true;
            if (shutdown_round(c) == 0) {
                GR_INFO("cluster", "controlled shutdown done");
                return;
            }
        }
        if (gr_mono_ms() + c->cfg->controlled_shutdown_retry_backoff_ms > deadline_ms) break;
        struct timespec ts = {c->cfg->controlled_shutdown_retry_backoff_ms / 1000,
                              (long)(c->cfg->controlled_shutdown_retry_backoff_ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    GR_WARN("cluster", "controlled shutdown did not move every leadership in time; stopping anyway");
}

typedef struct shutdown_work {
    gr_cluster_work w;
    int64_t deadline_ms;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;
} shutdown_work;

static void run_shutdown(gr_cluster *c, gr_cluster_work *base) {
    shutdown_work *w = (shutdown_work *)base;
    /* Give up the controller role first, so another broker elects for the partitions moving. */
    if (c->controller) {
        gr_zks_delete(c->zk, GR_ZKL_CONTROLLER, -1);
        c->controller = false;
    }
    gr_cluster_shutdown_run(c, w->deadline_ms);
    pthread_mutex_lock(&w->lock);
    w->done = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

void gr_cluster_shutdown_gracefully(gr_cluster *c, int64_t timeout_ms) {
    if (!c) return;
    atomic_store(&c->shutting_down, true);
    shutdown_work w = {.w.run = run_shutdown, .deadline_ms = gr_mono_ms() + timeout_ms};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    gr_cluster_post(c, &w.w);
    pthread_mutex_lock(&w.lock);
    while (!w.done) pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    pthread_mutex_destroy(&w.lock);
    pthread_cond_destroy(&w.cond);
}
