/*
 * cluster.c: cluster mode's thread and its published view (see cluster.h).
 *
 * One thread owns the ZooKeeper session. It sleeps until a watch fires, work is queued (a change
 * operation, a leader's ISR proposal) or a tick is due; then it re-reads ZooKeeper, publishes a
 * new view, makes the local replicas follow it and, when this broker is the controller, does the
 * controller's work. A lost session fences every local replica until a new session is open and
 * the state re-read.
 */
#include "cluster/cluster.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "cluster/cluster_internal.h"

/* ---- queue ---- */

static void wake(gr_cluster *c) { pthread_cond_signal(&c->cond); }

void gr_cluster_post(gr_cluster *c, gr_cluster_work *w) {
    w->next = NULL;
    pthread_mutex_lock(&c->lock);
    if (c->work_tail)
        c->work_tail->next = w;
    else
        c->work_head = w;
    c->work_tail = w;
    wake(c);
    pthread_mutex_unlock(&c->lock);
}

void gr_cluster_mark_dirty(gr_cluster *c) {
    pthread_mutex_lock(&c->lock);
    c->dirty = true;
    wake(c);
    pthread_mutex_unlock(&c->lock);
}

void gr_cluster_add_wait(gr_cluster *c, gr_cluster_wait *w) {
    w->next = c->waits;
    c->waits = w;
}

/* The client's thread: only flags. */
static void on_session_event(void *ud, gr_zks_event event) {
    gr_cluster *c = ud;
    pthread_mutex_lock(&c->lock);
    if (event == GR_ZKS_EXPIRED) c->expired = true;
    if (event == GR_ZKS_DISCONNECTED) c->session_lost = true;
    if (event == GR_ZKS_CONNECTED) c->session_lost = false;
    c->dirty = true;
    wake(c);
    pthread_mutex_unlock(&c->lock);
}

/* ---- view ---- */

gr_cluster_view *gr_cluster_view_get(gr_cluster *c) {
    pthread_mutex_lock(&c->view_lock);
    gr_cluster_view *v = c->view;
    atomic_fetch_add(&v->refs, 1);
    pthread_mutex_unlock(&c->view_lock);
    return v;
}

static void publish(gr_cluster *c, gr_cluster_view *v) {
    atomic_fetch_add(&v->refs, 1);
    pthread_mutex_lock(&c->view_lock);
    gr_cluster_view *old = c->view;
    c->view = v;
    pthread_mutex_unlock(&c->view_lock);
    gr_cluster_view_release(old);
}

const gr_cluster_topic *gr_cluster_view_topic(const gr_cluster_view *v, const char *name, size_t name_len) {
    char key[256];
    if (!v || name_len >= sizeof key) return NULL;
    memcpy(key, name, name_len);
    key[name_len] = '\0';
    int i = gr_cluster_view_topic_index(v, key);
    return i >= 0 ? &v->topics[i] : NULL;
}

const gr_cluster_broker *gr_cluster_view_broker(const gr_cluster_view *v, int32_t id) {
    int lo = 0, hi = v ? v->broker_count - 1 : -1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (v->brokers[mid].id == id) return &v->brokers[mid];
        if (v->brokers[mid].id < id)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

bool gr_cluster_broker_live(const gr_cluster_view *v, int32_t id) { return gr_cluster_view_broker(v, id) != NULL; }

bool gr_cluster_broker_endpoint(gr_cluster *c, int32_t id, gr_leader_endpoint *out) {
    gr_cluster_view *v = gr_cluster_view_get(c);
    const gr_cluster_broker *b = gr_cluster_view_broker(v, id);
    if (b) {
        snprintf(out->host, sizeof out->host, "%s", b->host);
        out->port = b->port;
    }
    gr_cluster_view_release(v);
    return b != NULL;
}

void gr_cluster_watch_leadership(gr_cluster *c, const char *topic, gr_leadership_fn fn, void *ud) {
    pthread_mutex_lock(&c->watch_lock);
    gr_leadership_watch *w = realloc(c->watches, (size_t)(c->watch_count + 1) * sizeof *w);
    if (w) {
        c->watches = w;
        snprintf(w[c->watch_count].topic, sizeof w[c->watch_count].topic, "%s", topic);
        w[c->watch_count].fn = fn;
        w[c->watch_count].ud = ud;
        c->watch_count++;
    }
    pthread_mutex_unlock(&c->watch_lock);
}

/* ---- the thread ---- */

/* Re-reads everything and acts on it. */
static void resync(gr_cluster *c) {
    gr_cluster_snapshot s;
    if (!gr_cluster_read(c, &s)) {
        c->next_resync_ms = gr_mono_ms() + GR_CLUSTER_RECONNECT_MS;
        return;
    }
    if (s.view->controller_id < 0 && !atomic_load(&c->shutting_down)) {
        gr_cluster_try_elect(c);
        if (c->controller) s.view->controller_id = c->id;
    } else if (s.view->controller_id != c->id && c->controller) {
        GR_INFO("cluster", "broker %d is the controller now", s.view->controller_id);
        c->controller = false;
    }
    if (c->snap_valid) gr_cluster_snapshot_free(&c->snap);
    c->snap = s;
    c->snap_valid = true;
    publish(c, s.view);
    gr_cluster_apply(c);
    if (c->controller) gr_controller_run(c);
    c->next_resync_ms = gr_mono_ms() + GR_CLUSTER_RESYNC_MS;
}

/* Pending operations: finished, or timed out. */
static void check_waits(gr_cluster *c, int64_t now) {
    gr_cluster_wait **pp = &c->waits;
    while (*pp) {
        gr_cluster_wait *w = *pp;
        bool timed_out = now >= w->deadline_ms;
        if (w->check(c, w, timed_out)) {
            *pp = w->next;
            free(w);
        } else {
            pp = &w->next;
        }
    }
}

/* A new session after the old one expired: register again and rejoin. */
static void rejoin(gr_cluster *c) {
    GR_WARN("cluster", "ZooKeeper session expired: fencing every local replica until a new session is open");
    gr_cluster_fence(c);
    c->controller = false;
    while (true) {
        pthread_mutex_lock(&c->lock);
        bool stop = c->stop;
        c->expired = false;
        pthread_mutex_unlock(&c->lock);
        if (stop) return;
        char err[512];
        if (gr_zks_reopen(c->zk, err, sizeof err) && gr_cluster_register(c, false, err, sizeof err)) break;
        GR_WARN("cluster", "rejoining: %s", err);
        struct timespec ts = {GR_CLUSTER_RECONNECT_MS / 1000, 0};
        nanosleep(&ts, NULL);
    }
    GR_INFO("cluster", "new ZooKeeper session open: re-reading the cluster");
    gr_cluster_mark_dirty(c);
}

static void run_all(gr_cluster *c, gr_cluster_work *work) {
    while (work) {
        gr_cluster_work *next_work = work->next;
        work->run(c, work);
        work = next_work;
    }
}

static void *cluster_thread(void *arg) {
    gr_cluster *c = arg;
    while (true) {
        pthread_mutex_lock(&c->lock);
        int64_t now = gr_mono_ms();
        int64_t next = c->next_tick_ms < c->next_resync_ms ? c->next_tick_ms : c->next_resync_ms;
        if (!c->stop && !c->dirty && !c->expired && !c->work_head && next > now) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            int64_t wait_ms = next - now;
            ts.tv_sec += wait_ms / 1000;
            ts.tv_nsec += (wait_ms % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&c->cond, &c->lock, &ts);
        }
        bool stop = c->stop, dirty = c->dirty, expired = c->expired;
        gr_cluster_work *work = c->work_head;
        c->work_head = c->work_tail = NULL;
        c->dirty = false;
        pthread_mutex_unlock(&c->lock);
        if (stop) {
            run_all(c, work); /* queued work still gets its answer */
            break;
        }
        /* After an expiry the work runs in the new session (a fenced replica's ISR proposal is
         * dropped by its own check); it is never lost. */
        if (expired) rejoin(c);
        run_all(c, work);
        if (expired) continue;
        now = gr_mono_ms();
        if (dirty || now >= c->next_resync_ms) resync(c);
        now = gr_mono_ms();
        if (now >= c->next_tick_ms) {
            gr_cluster_tick_replicas(c, now);
            check_waits(c, now);
            c->next_tick_ms = now + GR_CLUSTER_TICK_MS;
        }
    }
    return NULL;
}

/* ---- start and stop ---- */

static void progress(void *ud, gr_partition_log *log) {
    (void)log;
    gr_broker_data_arrived(ud);
}

static gr_replica_fetchers *fetchers_new(gr_broker *b) {
    const gr_broker_config *cfg = &b->cfg;
    gr_fetcher_config fc = {
        .broker_id = cfg->node_id,
        .max_bytes = cfg->replica_fetch_max_bytes,
        .response_max_bytes = cfg->replica_fetch_response_max_bytes,
        .wait_max_ms = cfg->replica_fetch_wait_max_ms,
        .min_bytes = cfg->replica_fetch_min_bytes,
        .backoff_ms = cfg->replica_fetch_backoff_ms,
        .socket_timeout_ms = cfg->replica_socket_timeout_ms,
        .progress = progress,
        .ud = b,
    };
    return gr_replica_fetchers_new(&fc);
}

/* /cluster/id: read it, or create it with this broker's id; a broker of another cluster stops. */
static bool check_cluster_id(gr_cluster *c, char *err, size_t err_size) {
    for (int attempt = 0; attempt < 3; attempt++) {
        char *data, id[64];
        int len;
        int rc = gr_zks_get(c->zk, GR_ZKL_CLUSTER_ID, false, &data, &len, NULL);
        if (rc == ZNONODE) {
            gr_buf_reset(&c->scratch);
            gr_zkl_cluster_id_encode(&c->scratch, gr_identity_cluster_id(c->b->identity));
            rc = gr_zks_create(c->zk, GR_ZKL_CLUSTER_ID, (const char *)c->scratch.data, c->scratch.len,
                               gr_zks_api(c->zk)->persistent, true, NULL, 0);
            if (rc == ZOK) {
                GR_INFO("cluster", "created cluster id %s", gr_identity_cluster_id(c->b->identity));
                return true;
            }
            if (rc == ZNODEEXISTS) continue;
        }
        if (rc != ZOK) {
            snprintf(err, err_size, "cannot read %s: %s", GR_ZKL_CLUSTER_ID, gr_zks_error(c->zk, rc));
            return false;
        }
        bool ok = gr_zkl_cluster_id_decode(data, (size_t)len, id, sizeof id);
        free(data);
        if (!ok) {
            snprintf(err, err_size, "%s is malformed", GR_ZKL_CLUSTER_ID);
            return false;
        }
        if (!strcmp(id, gr_identity_cluster_id(c->b->identity))) return true;
        if (gr_identity_is_new(c->b->identity)) return gr_identity_adopt_cluster_id(c->b->identity, id) == 0;
        /* Kafka's InconsistentClusterIdException. */
        snprintf(err, err_size,
                 "The Cluster ID %s doesn't match stored clusterId Some(%s) in meta.properties. The broker is "
                 "trying to join the wrong cluster. Configured zookeeper.connect may be wrong.",
                 id, gr_identity_cluster_id(c->b->identity));
        return false;
    }
    snprintf(err, err_size, "cannot read or create %s", GR_ZKL_CLUSTER_ID);
    return false;
}

static bool create_persistent_paths(gr_cluster *c, char *err, size_t err_size) {
    for (int i = 0; i < gr_zkl_persistent_path_count; i++) {
        int rc = gr_zks_create(c->zk, gr_zkl_persistent_paths[i], NULL, 0, gr_zks_api(c->zk)->persistent, true,
                               NULL, 0);
        if (rc != ZOK && rc != ZNODEEXISTS) {
            snprintf(err, err_size, "cannot create %s: %s", gr_zkl_persistent_paths[i], gr_zks_error(c->zk, rc));
            return false;
        }
    }
    return true;
}

static void cluster_free(gr_cluster *c) {
    gr_cluster_free_hosted(c);
    if (c->fetchers) gr_replica_fetchers_free(c->fetchers);
    if (c->snap_valid) gr_cluster_snapshot_free(&c->snap);
    gr_zks_close(c->zk);
    gr_cluster_view_release(c->view);
    for (int i = 0; i < c->seen_count; i++) free(c->seen_topics[i]);
    free(c->seen_topics);
    free(c->hosted);
    free(c->watches);
    gr_buf_free(&c->scratch);
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->view_lock);
    pthread_mutex_destroy(&c->watch_lock);
    pthread_cond_destroy(&c->cond);
    free(c);
}

static void fail_start(gr_cluster *c, const char *what) {
    fprintf(stderr, "gregor broker: %s\n", what);
    cluster_free(c);
}

gr_cluster *gr_cluster_start(gr_broker *b) {
    gr_cluster *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->b = b;
    c->cfg = &b->cfg;
    c->id = b->cfg.node_id;
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->view_lock, NULL);
    pthread_mutex_init(&c->watch_lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    gr_buf_init(&c->scratch);
    atomic_init(&c->shutting_down, false);
    c->self.id = c->id;
    if (b->advertised_count > 0) {
        snprintf(c->self.host, sizeof c->self.host, "%s", b->advertised[0].host);
        c->self.port = b->advertised[0].port;
    }
    snprintf(c->self.rack, sizeof c->self.rack, "%s", b->cfg.broker_rack);
    c->view = gr_cluster_view_new_empty(gr_identity_cluster_id(b->identity));

    char err[512], msg[2048];
    int connect_timeout =
        b->cfg.zookeeper_connection_timeout_ms > 0 ? b->cfg.zookeeper_connection_timeout_ms
                                                   : b->cfg.zookeeper_session_timeout_ms;
    c->zk = gr_zks_open(b->cfg.zookeeper_connect, b->cfg.zookeeper_session_timeout_ms, connect_timeout,
                        on_session_event, c, err, sizeof err);
    if (!c->zk) {
        snprintf(msg, sizeof msg, "configuration key 'zookeeper.connect' (%s): %s", b->cfg.zookeeper_connect, err);
        fail_start(c, msg);
        return NULL;
    }
    if (!create_persistent_paths(c, err, sizeof err) || !check_cluster_id(c, err, sizeof err) ||
        !gr_cluster_register(c, true, err, sizeof err)) {
        fail_start(c, err);
        return NULL;
    }
    c->fetchers = fetchers_new(b);
    if (!c->fetchers) {
        fail_start(c, "cannot start the replica fetchers");
        return NULL;
    }
    /* The first view before the broker serves: Metadata is right from the first request. */
    resync(c);
    c->next_tick_ms = gr_mono_ms();
    c->next_rebalance_ms = gr_mono_ms() + b->cfg.leader_imbalance_check_interval_seconds * 1000;
    if (pthread_create(&c->thread, NULL, cluster_thread, c) != 0) {
        fail_start(c, "cannot start the cluster thread");
        return NULL;
    }
    c->thread_started = true;
    gr_identity_set_block_source(b->identity, gr_cluster_take_producer_id_block, c);
    return c;
}

void gr_cluster_stop(gr_cluster *c) {
    if (!c) return;
    gr_identity_set_block_source(c->b->identity, NULL, NULL);
    pthread_mutex_lock(&c->lock);
    c->stop = true;
    wake(c);
    pthread_mutex_unlock(&c->lock);
    if (c->thread_started) pthread_join(c->thread, NULL);
    /* Work posted while the thread ran its last items (a state it applied may propose an ISR
     * change) still runs, here, so nothing queued is lost or leaked. */
    for (int round = 0; round < 100; round++) {
        pthread_mutex_lock(&c->lock);
        gr_cluster_work *work = c->work_head;
        c->work_head = c->work_tail = NULL;
        pthread_mutex_unlock(&c->lock);
        if (!work) break;
        run_all(c, work);
    }
    /* Waiting operations get their answer. */
    while (c->waits) {
        gr_cluster_wait *w = c->waits;
        c->waits = w->next;
        if (w->done) w->done(w->ud, GR_ERR_REQUEST_TIMED_OUT, "The broker is shutting down");
        free(w);
    }
    cluster_free(c);
}
