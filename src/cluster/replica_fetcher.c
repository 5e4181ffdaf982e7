/*
 * replica_fetcher.c: fetcher threads that copy leaders' logs to local follower replicas.
 *
 *   gr_replica_fetchers --mu-- threads:  [leader 1] -> [leader 3] -> ...
 *                              retired:  threads told to stop, joined once they have exited
 *   fetcher thread (one per leader broker) --its mu-- partitions sorted by (topic, partition)
 *
 * A thread loops: connect (with backoff), build one Fetch v12 from the partitions that are due,
 * send it, wait for the answer, apply it partition by partition (replica_fetch_apply.c). Its mutex
 * is held while it reads or changes a log or builds a request, never during network I/O, so
 * follow/unfollow wait at most for one response to be applied; after unfollow has removed a
 * partition under that mutex, the thread cannot touch its log again. A thread whose last
 * partition goes is told to stop (flag + eventfd, which interrupts its waits) and is joined
 * later, so no caller ever waits for the network.
 *
 * Lock order: the fetchers' mutex before a thread's. The progress callback runs with the
 * thread's mutex held (the log it names stays open meanwhile), so it must not call back in here.
 */
#include "cluster/replica_fetcher.h"

#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/clock.h"
#include "base/limits.h"
#include "base/log.h"
#include "cluster/broker_conn.h"
#include "cluster/replica_fetcher_internal.h"
#include "proto/errors.h"
#include "proto/gen/api_table.h"
#include "proto/gen/response_header.h"

#define LOG_SUB "replica"
#define FETCH_VERSION 12 /* the first with topic names, flexible encoding and DivergingEpoch */
#define HOST_MAX_BYTES 256

typedef struct fetcher_thread {
    gr_replica_fetchers *owner;
    int32_t leader_id;
    pthread_t thread;
    atomic_bool stop;
    atomic_bool exited;
    int wake_fd;
    pthread_mutex_t mu; /* everything below except the thread-private part */
    char host[HOST_MAX_BYTES];
    int port;
    bool address_changed;
    gr_followed_partition **parts; /* sorted by (topic, partition) */
    int count, cap;
    /* Thread-private. */
    gr_broker_conn conn;
    char conn_host[HOST_MAX_BYTES]; /* the address last connected to (or tried) */
    int conn_port;
    int64_t reconnect_at_ms;
    bool conn_error_logged;
    uint8_t *frame;
    size_t frame_cap;
    char client_id[32];
    struct fetcher_thread *next;
} fetcher_thread;

struct gr_replica_fetchers {
    gr_fetcher_config cfg;
    pthread_mutex_t mu;
    fetcher_thread *threads;
    fetcher_thread *retired;
};

/* ---- the partition table of one thread ---- */

static int part_cmp(const gr_followed_partition *p, const char *topic, int32_t partition) {
    int c = strcmp(p->topic, topic);
    if (c != 0) return c;
    return p->partition < partition ? -1 : p->partition > partition;
}

/* Index of (topic, partition), or of where it would go (*found = false). */
static int part_search(const fetcher_thread *t, const char *topic, int32_t partition, bool *found) {
    int lo = 0, hi = t->count;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        int c = part_cmp(t->parts[mid], topic, partition);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static gr_followed_partition *part_find(const fetcher_thread *t, const char *topic, int32_t partition) {
    bool found;
    int i = part_search(t, topic, partition, &found);
    return found ? t->parts[i] : NULL;
}

static bool part_insert(fetcher_thread *t, gr_followed_partition *p) {
    bool found;
    int i = part_search(t, p->topic, p->partition, &found);
    GR_ASSERT(!found);
    if (t->count == t->cap) {
        int cap = t->cap ? t->cap * 2 : 8;
        gr_followed_partition **n = realloc(t->parts, (size_t)cap * sizeof *n);
        if (n == NULL) return false;
        t->parts = n;
        t->cap = cap;
    }
    memmove(t->parts + i + 1, t->parts + i, (size_t)(t->count - i) * sizeof *t->parts);
    t->parts[i] = p;
    t->count++;
    return true;
}

static gr_followed_partition *part_remove(fetcher_thread *t, const char *topic, int32_t partition) {
    bool found;
    int i = part_search(t, topic, partition, &found);
    if (!found) return NULL;
    gr_followed_partition *p = t->parts[i];
    memmove(t->parts + i, t->parts + i + 1, (size_t)(t->count - i - 1) * sizeof *t->parts);
    t->count--;
    return p;
}

static void part_free(gr_followed_partition *p) {
    if (p == NULL) return;
    free(p->topic);
    free(p);
}

/* ---- one round: request, response ---- */

static void wake(fetcher_thread *t) {
    uint64_t one = 1;
    ssize_t n = write(t->wake_fd, &one, sizeof one);
    (void)n; /* a full counter still wakes */
}

/* Sleeps up to ms, less if woken. */
static void sleep_wakeable(fetcher_thread *t, int64_t ms) {
    struct pollfd p = {.fd = t->wake_fd, .events = POLLIN};
    if (poll(&p, 1, ms < 1 ? 1 : ms > 60000 ? 60000 : (int)ms) > 0) {
        uint64_t v;
        ssize_t n = read(t->wake_fd, &v, sizeof v);
        (void)n; /* only the wake-up matters */
    }
}

/* Encodes a Fetch with every partition that is due; returns how many. *next_due_ms gets the
 * earliest time a partition left out becomes due (INT64_MAX if none). Holds t->mu. */
static int build_request(fetcher_thread *t, gr_arena *a, gr_buf *b, int64_t now_ms, int64_t *next_due_ms) {
    const gr_fetcher_config *cfg = &t->owner->cfg;
    *next_due_ms = INT64_MAX;
    gr_fetch_request req;
    gr_fetch_request_init(&req);
    req.replica_id = cfg->broker_id;
    req.max_wait_ms = cfg->wait_max_ms;
    req.min_bytes = cfg->min_bytes;
    req.max_bytes = cfg->response_max_bytes;
    req.isolation_level = 0;
    req.session_id = 0;
    req.session_epoch = -1; /* full fetches, no session */
    req.topics.items = gr_arena_calloc(a, (size_t)(t->count ? t->count : 1), sizeof *req.topics.items);
    gr_fetch_request_fetch_partition *fp = gr_arena_calloc(a, (size_t)(t->count ? t->count : 1), sizeof *fp);
    if (req.topics.items == NULL || fp == NULL) return 0;
    req.topics.count = 0;
    int n = 0;
    for (int i = 0; i < t->count; i++) {
        gr_followed_partition *p = t->parts[i];
        p->in_request = false;
        if (p->retry_at_ms > now_ms) {
            if (p->retry_at_ms < *next_due_ms) *next_due_ms = p->retry_at_ms;
            continue;
        }
        gr_fetch_request_fetch_topic *topic =
            req.topics.count > 0 ? &req.topics.items[req.topics.count - 1] : NULL;
        if (topic == NULL || !gr_str_eq(topic->topic, p->topic)) {
            topic = &req.topics.items[req.topics.count++];
            gr_fetch_request_fetch_topic_init(topic);
            topic->topic = gr_str_c(p->topic);
            memcpy(topic->topic_id.b, p->topic_id, 16);
            topic->partitions.items = &fp[n];
            topic->partitions.count = 0;
        }
        gr_fetch_request_fetch_partition *q = &topic->partitions.items[topic->partitions.count++];
        gr_fetch_request_fetch_partition_init(q);
        q->partition = p->partition;
        q->current_leader_epoch = p->leader_epoch;
        q->fetch_offset = gr_plog_log_end_offset(p->log);
        q->last_fetched_epoch = gr_plog_latest_epoch(p->log);
        q->log_start_offset = gr_plog_start_offset(p->log);
        q->partition_max_bytes = cfg->max_bytes;
        p->in_request = true;
        p->sent_seq = p->follow_seq;
        p->sent_fetch_offset = q->fetch_offset;
        n++;
    }
    if (n == 0) return 0;
    size_t start = gr_broker_conn_begin_request(&t->conn, b, GR_API_FETCH, FETCH_VERSION, t->client_id);
    gr_fetch_request_encode(b, FETCH_VERSION, &req);
    gr_broker_conn_end_request(b, start);
    return b->oom ? 0 : n;
}

/* Decodes a response frame; false (with a log line) if it is not a Fetch v12 response to our
 * last request. */
static bool decode_response(fetcher_thread *t, size_t len, gr_arena *a, gr_fetch_response *resp) {
    gr_reader r = gr_reader_make(t->frame, len);
    gr_response_header h;
    if (gr_response_header_decode(&r, a, (int16_t)gr_response_header_version(GR_API_FETCH, FETCH_VERSION),
                                  &h) != 0 ||
        h.correlation_id != t->conn.correlation_id) {
        GR_WARN(LOG_SUB, "leader %d: response header malformed or for another request", t->leader_id);
        return false;
    }
    if (gr_fetch_response_decode(&r, a, FETCH_VERSION, resp) != 0) {
        GR_WARN(LOG_SUB, "leader %d: malformed Fetch response", t->leader_id);
        return false;
    }
    return true;
}

/* Applies a decoded response. Partitions unfollowed or followed anew meanwhile are skipped. */
static void apply_response(fetcher_thread *t, const gr_fetch_response *resp) {
    const gr_fetcher_config *cfg = &t->owner->cfg;
    int64_t now_ms = gr_mono_ms();
    char topic[GR_TOPIC_NAME_MAX_CHARS + 1];
    pthread_mutex_lock(&t->mu);
    if (resp->error_code != 0) {
        /* The whole request failed: treat every partition in it like a partition-level error. */
        for (int i = 0; i < t->count; i++) {
            gr_followed_partition *p = t->parts[i];
            if (!p->in_request || p->sent_seq != p->follow_seq) continue;
            gr_fetch_response_partition_data pd;
            gr_fetch_response_partition_data_init(&pd);
            pd.partition_index = p->partition;
            pd.error_code = resp->error_code;
            p->in_request = false;
            gr_replica_fetch_apply(cfg, p, &pd, NULL, now_ms);
        }
    }
    for (int32_t i = 0; i < resp->responses.count; i++) {
        const gr_fetch_response_fetchable_topic_response *tr = &resp->responses.items[i];
        if (tr->topic.len <= 0 || tr->topic.len > GR_TOPIC_NAME_MAX_CHARS) continue;
        memcpy(topic, tr->topic.ptr, (size_t)tr->topic.len);
        topic[tr->topic.len] = '\0';
        for (int32_t j = 0; j < tr->partitions.count; j++) {
            const gr_fetch_response_partition_data *pd = &tr->partitions.items[j];
            gr_followed_partition *p = part_find(t, topic, pd->partition_index);
            if (p == NULL || !p->in_request || p->sent_seq != p->follow_seq) continue;
            p->in_request = false;
            uint8_t *records = NULL;
            if (pd->records.len > 0) {
                /* The decoder points into our own frame buffer: the same bytes, writable. */
                size_t at = (size_t)(pd->records.ptr - t->frame);
                GR_ASSERT(at + (size_t)pd->records.len <= t->frame_cap);
                records = t->frame + at;
            }
            gr_replica_fetch_apply(cfg, p, pd, records, now_ms);
        }
    }
    pthread_mutex_unlock(&t->mu);
}

static void connection_failed(fetcher_thread *t, const char *what) {
    if (!t->conn_error_logged)
        GR_WARN(LOG_SUB, "leader %d at %s:%d: %s: %s; retrying every %d ms", t->leader_id, t->conn_host,
                t->conn_port, what, t->conn.error, t->owner->cfg.backoff_ms);
    t->conn_error_logged = true;
    gr_broker_conn_close(&t->conn);
    t->reconnect_at_ms = gr_mono_ms() + t->owner->cfg.backoff_ms;
}

static void connect_to_leader(fetcher_thread *t) {
    pthread_mutex_lock(&t->mu);
    memcpy(t->conn_host, t->host, sizeof t->conn_host);
    t->conn_port = t->port;
    t->address_changed = false;
    pthread_mutex_unlock(&t->mu);
    gr_bconn_status st = gr_broker_conn_open(&t->conn, t->conn_host, t->conn_port);
    if (st == GR_BCONN_ERROR) connection_failed(t, "no connection");
    if (st != GR_BCONN_OK) return;
    if (t->conn_error_logged)
        GR_INFO(LOG_SUB, "leader %d at %s:%d: connected", t->leader_id, t->conn_host, t->conn_port);
    t->conn_error_logged = false;
}

/* One request and its answer. */
static void fetch_round(fetcher_thread *t) {
    const gr_fetcher_config *cfg = &t->owner->cfg;
    gr_arena a;
    gr_arena_init(&a, 0);
    gr_buf b;
    gr_buf_init(&b);
    int64_t next_due_ms;
    pthread_mutex_lock(&t->mu);
    bool moved = t->address_changed;
    int n = moved ? 0 : build_request(t, &a, &b, gr_mono_ms(), &next_due_ms);
    pthread_mutex_unlock(&t->mu);
    gr_arena_free(&a);
    if (moved) {
        gr_broker_conn_close(&t->conn); /* the leader moved to another address */
    } else if (n == 0) {
        int64_t wait_ms = next_due_ms == INT64_MAX ? cfg->backoff_ms : next_due_ms - gr_mono_ms();
        sleep_wakeable(t, wait_ms);
    } else {
        gr_bconn_status st = gr_broker_conn_send(&t->conn, &b);
        size_t len = 0, max_bytes = (size_t)cfg->response_max_bytes + GR_REPLICA_FETCH_FRAME_SLACK_BYTES;
        if (st == GR_BCONN_OK) st = gr_broker_conn_recv(&t->conn, &t->frame, &t->frame_cap, max_bytes, &len);
        if (st == GR_BCONN_ERROR) connection_failed(t, "fetch");
        if (st == GR_BCONN_OK) {
            gr_arena_init(&a, len * GR_REPLICA_FETCH_DECODE_ARENA_FACTOR + 65536);
            gr_fetch_response resp;
            if (decode_response(t, len, &a, &resp))
                apply_response(t, &resp);
            else
                connection_failed(t, "protocol error");
            gr_arena_free(&a);
        }
    }
    gr_buf_free(&b);
}

static void *fetcher_main(void *arg) {
    fetcher_thread *t = arg;
    while (!atomic_load(&t->stop)) {
        if (t->conn.fd < 0) {
            int64_t wait_ms = t->reconnect_at_ms - gr_mono_ms();
            if (wait_ms > 0)
                sleep_wakeable(t, wait_ms);
            else
                connect_to_leader(t);
            continue;
        }
        fetch_round(t);
    }
    gr_broker_conn_close(&t->conn);
    atomic_store(&t->exited, true);
    return NULL;
}

/* ---- threads ---- */

static fetcher_thread *thread_new(gr_replica_fetchers *f, int32_t leader_id, const char *host, int port) {
    fetcher_thread *t = calloc(1, sizeof *t);
    if (t == NULL) return NULL;
    t->owner = f;
    t->leader_id = leader_id;
    snprintf(t->host, sizeof t->host, "%s", host);
    t->port = port;
    snprintf(t->client_id, sizeof t->client_id, "broker-%d-fetcher", f->cfg.broker_id);
    atomic_init(&t->stop, false);
    atomic_init(&t->exited, false);
    pthread_mutex_init(&t->mu, NULL);
    t->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    gr_broker_conn_init(&t->conn, t->wake_fd, &t->stop, f->cfg.socket_timeout_ms);
    if (t->wake_fd < 0 || pthread_create(&t->thread, NULL, fetcher_main, t) != 0) {
        GR_ERROR(LOG_SUB, "cannot start a fetcher thread for leader %d", leader_id);
        if (t->wake_fd >= 0) close(t->wake_fd);
        pthread_mutex_destroy(&t->mu);
        free(t);
        return NULL;
    }
    t->next = f->threads;
    f->threads = t;
    return t;
}

static void thread_join_free(fetcher_thread *t) {
    pthread_join(t->thread, NULL);
    for (int i = 0; i < t->count; i++) part_free(t->parts[i]);
    free(t->parts);
    free(t->frame);
    close(t->wake_fd);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* Moves a thread without partitions to the retired list and tells it to stop. Holds f->mu. */
static void thread_retire(gr_replica_fetchers *f, fetcher_thread *t) {
    for (fetcher_thread **pp = &f->threads; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    atomic_store(&t->stop, true);
    wake(t);
    t->next = f->retired;
    f->retired = t;
}

/* Joins retired threads that have exited. Holds f->mu. */
static void reap_retired(gr_replica_fetchers *f) {
    for (fetcher_thread **pp = &f->retired; *pp != NULL;) {
        fetcher_thread *t = *pp;
        if (atomic_load(&t->exited)) {
            *pp = t->next;
            thread_join_free(t);
        } else {
            pp = &t->next;
        }
    }
}

static fetcher_thread *thread_of_leader(gr_replica_fetchers *f, int32_t leader_id) {
    for (fetcher_thread *t = f->threads; t != NULL; t = t->next)
        if (t->leader_id == leader_id) return t;
    return NULL;
}

/* The thread holding (topic, partition), with its mutex locked; NULL if none. Holds f->mu. */
static fetcher_thread *thread_holding(gr_replica_fetchers *f, const char *topic, int32_t partition,
                                      gr_followed_partition **out) {
    for (fetcher_thread *t = f->threads; t != NULL; t = t->next) {
        pthread_mutex_lock(&t->mu);
        gr_followed_partition *p = part_find(t, topic, partition);
        if (p != NULL) {
            *out = p;
            return t;
        }
        pthread_mutex_unlock(&t->mu);
    }
    *out = NULL;
    return NULL;
}

/* ---- the interface ---- */

gr_replica_fetchers *gr_replica_fetchers_new(const gr_fetcher_config *cfg) {
    gr_replica_fetchers *f = calloc(1, sizeof *f);
    if (f == NULL) return NULL;
    f->cfg = *cfg;
    if (f->cfg.max_bytes <= 0) f->cfg.max_bytes = 1048576;
    if (f->cfg.response_max_bytes <= 0) f->cfg.response_max_bytes = 10485760;
    if (f->cfg.wait_max_ms < 0) f->cfg.wait_max_ms = 500;
    if (f->cfg.backoff_ms <= 0) f->cfg.backoff_ms = 1000;
    if (f->cfg.socket_timeout_ms <= 0) f->cfg.socket_timeout_ms = 30000;
    pthread_mutex_init(&f->mu, NULL);
    return f;
}

static void reset_error_state(gr_followed_partition *p) {
    p->retry_at_ms = 0;
    p->retry_backoff_ms = 0;
    p->awaiting_follow = false;
}

void gr_replica_fetchers_follow(gr_replica_fetchers *f, const char *topic, const uint8_t topic_id[16],
                                int32_t partition, gr_partition_log *log, int32_t leader_id, const char *host,
                                int port, int32_t leader_epoch) {
    if (strlen(topic) > GR_TOPIC_NAME_MAX_CHARS) return;
    pthread_mutex_lock(&f->mu);
    reap_retired(f);
    gr_followed_partition *p;
    fetcher_thread *old = thread_holding(f, topic, partition, &p);
    if (old != NULL && old->leader_id == leader_id) {
        /* Same leader: update in place. */
        if (p->leader_epoch != leader_epoch || p->log != log) p->follow_seq++;
        p->leader_epoch = leader_epoch;
        p->log = log;
        memcpy(p->topic_id, topic_id, 16);
        reset_error_state(p);
        if (strcmp(old->host, host) != 0 || old->port != port) {
            snprintf(old->host, sizeof old->host, "%s", host);
            old->port = port;
            old->address_changed = true;
        }
        pthread_mutex_unlock(&old->mu);
        wake(old);
        pthread_mutex_unlock(&f->mu);
        return;
    }
    if (old != NULL) {
        /* Another leader now: leave the old thread (stopping it if it has nothing left). */
        part_remove(old, topic, partition);
        bool empty = old->count == 0;
        pthread_mutex_unlock(&old->mu);
        if (empty) thread_retire(f, old);
    } else {
        p = calloc(1, sizeof *p);
        if (p != NULL) p->topic = strdup(topic);
        if (p == NULL || p->topic == NULL) {
            part_free(p);
            GR_ERROR(LOG_SUB, "%s-%d: out of memory; not followed", topic, partition);
            pthread_mutex_unlock(&f->mu);
            return;
        }
        p->partition = partition;
    }
    memcpy(p->topic_id, topic_id, 16);
    p->log = log;
    p->leader_epoch = leader_epoch;
    p->follow_seq++;
    p->in_request = false;
    p->logged_error = 0;
    reset_error_state(p);
    gr_plog_set_replicated(log, true);
    fetcher_thread *t = thread_of_leader(f, leader_id);
    if (t == NULL) t = thread_new(f, leader_id, host, port);
    bool added = false;
    if (t != NULL) {
        pthread_mutex_lock(&t->mu);
        if (strcmp(t->host, host) != 0 || t->port != port) {
            snprintf(t->host, sizeof t->host, "%s", host);
            t->port = port;
            t->address_changed = true;
        }
        added = part_insert(t, p);
        bool empty = t->count == 0;
        pthread_mutex_unlock(&t->mu);
        if (empty)
            thread_retire(f, t);
        else
            wake(t);
    }
    if (!added) {
        GR_ERROR(LOG_SUB, "%s-%d: cannot follow leader %d", topic, partition, leader_id);
        part_free(p);
    }
    pthread_mutex_unlock(&f->mu);
}

void gr_replica_fetchers_unfollow(gr_replica_fetchers *f, const char *topic, int32_t partition) {
    pthread_mutex_lock(&f->mu);
    gr_followed_partition *p;
    fetcher_thread *t = thread_holding(f, topic, partition, &p);
    if (t != NULL) {
        part_remove(t, topic, partition);
        bool empty = t->count == 0;
        pthread_mutex_unlock(&t->mu);
        part_free(p);
        if (empty) thread_retire(f, t);
    }
    reap_retired(f);
    pthread_mutex_unlock(&f->mu);
}

int32_t gr_replica_fetchers_leader_of(gr_replica_fetchers *f, const char *topic, int32_t partition) {
    pthread_mutex_lock(&f->mu);
    gr_followed_partition *p;
    fetcher_thread *t = thread_holding(f, topic, partition, &p);
    int32_t leader = -1;
    if (t != NULL) {
        leader = t->leader_id;
        pthread_mutex_unlock(&t->mu);
    }
    pthread_mutex_unlock(&f->mu);
    return leader;
}

void gr_replica_fetchers_free(gr_replica_fetchers *f) {
    if (f == NULL) return;
    pthread_mutex_lock(&f->mu);
    while (f->threads != NULL) thread_retire(f, f->threads);
    fetcher_thread *t = f->retired;
    f->retired = NULL;
    pthread_mutex_unlock(&f->mu);
    while (t != NULL) {
        fetcher_thread *next = t->next;
        thread_join_free(t);
        t = next;
    }
    pthread_mutex_destroy(&f->mu);
    free(f);
}
