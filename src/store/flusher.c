/*
 * flusher.c: one thread doing group commits (see flusher.h).
 *
 * Requests go on a list under a small mutex. The thread takes the whole
 * list at once, syncs every distinct partition on it once (gr_plog_flush
 * syncs everything appended up to that moment, so one sync answers all
 * requests for that partition taken in the round), then calls back. The
 * requests that arrive during a round wait for the next one, which is the
 * batching that makes acks=all cheap.
 *
 * A round with several partitions syncs them concurrently: the flusher
 * thread and up to GR_FLUSH_SYNCS_CONCURRENT_MAX - 1 sync threads take
 * partitions from the round's list until it is empty. Concurrent
 * fdatasyncs on one file system share journal commits, so a round of 16
 * partitions costs about what one or two sequential syncs do. The sync
 * threads start only when a round first needs them (an idle broker, or
 * one with a single busy partition, has none) and have small stacks.
 */
#include "store/flusher.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/limits.h"
#include "base/log.h"
#include "proto/errors.h"
#include "store/log_internal.h"

#define SYNC_THREADS_MAX (GR_FLUSH_SYNCS_CONCURRENT_MAX - 1) /* the flusher thread syncs too */

typedef struct flush_request {
    struct flush_request *next;
    gr_partition_log *log; /* referenced until the callback ran */
    gr_flush_done_fn done;
    void *ud;
} flush_request;

typedef struct sync_job {
    gr_partition_log *log;
    int error;
} sync_job;

struct gr_flusher {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    flush_request *head; /* pending, in arrival order */
    flush_request *tail;
    bool stopping;
    uint64_t round;         /* flusher thread only */
    gr_flusher_stats stats; /* under mu */

    /* The distinct partitions of the running round. The array is resized by the flusher thread
     * only between rounds (job_count == 0, so no sync thread looks at it). */
    sync_job *jobs;
    size_t job_cap;
    pthread_mutex_t pool_mu;
    pthread_cond_t work_cv;                   /* sync threads: jobs to take, or stop */
    pthread_cond_t done_cv;                   /* flusher thread: the round's last sync returned */
    size_t job_count, job_next, job_finished; /* under pool_mu */
    bool pool_stopping;                       /* under pool_mu */
    pthread_t sync_threads[SYNC_THREADS_MAX];
    int sync_thread_count; /* flusher thread only, until it has been joined */
};

gr_mhist gr_flusher_sync_latency;

static int timed_flush(gr_partition_log *l) {
    int64_t t0 = gr_mono_ns();
    int err = gr_plog_flush(l);
    gr_mhist_observe_ns(&gr_flusher_sync_latency, gr_mono_ns() - t0);
    return err;
}

/* Syncs jobs until none is left to take; called and returns with pool_mu held. */
static void take_jobs(gr_flusher *f) {
    while (f->job_next < f->job_count) {
        sync_job *j = &f->jobs[f->job_next++];
        pthread_mutex_unlock(&f->pool_mu);
        j->error = timed_flush(j->log);
        pthread_mutex_lock(&f->pool_mu);
        if (++f->job_finished == f->job_count) pthread_cond_signal(&f->done_cv);
    }
}

static void *sync_thread_main(void *arg) {
    gr_flusher *f = arg;
    pthread_mutex_lock(&f->pool_mu);
    for (;;) {
        while (f->job_next >= f->job_count && !f->pool_stopping) pthread_cond_wait(&f->work_cv, &f->pool_mu);
        if (f->job_next >= f->job_count) break; /* stopping */
        take_jobs(f);
    }
    pthread_mutex_unlock(&f->pool_mu);
    return NULL;
}

/* Starts sync threads until there are `want`; with fewer (no memory, thread limit) the round
 * still completes, the flusher thread taking more of the partitions itself. */
static void start_sync_threads(gr_flusher *f, int want) {
    if (want > SYNC_THREADS_MAX) want = SYNC_THREADS_MAX;
    if (f->sync_thread_count >= want) return;
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) return;
    size_t stack_bytes = GR_FLUSH_SYNC_THREAD_STACK_BYTES;
    if (stack_bytes < (size_t)PTHREAD_STACK_MIN) stack_bytes = (size_t)PTHREAD_STACK_MIN;
    pthread_attr_setstacksize(&attr, stack_bytes);
    while (f->sync_thread_count < want) {
        int rc = pthread_create(&f->sync_threads[f->sync_thread_count], &attr, sync_thread_main, f);
        if (rc != 0) {
            GR_WARN("store", "flusher: cannot start a sync thread (%s); syncing with %d", strerror(rc),
                    f->sync_thread_count + 1);
            break;
        }
        f->sync_thread_count++;
    }
    pthread_attr_destroy(&attr);
    pthread_mutex_lock(&f->mu);
    f->stats.sync_threads = (uint64_t)f->sync_thread_count;
    pthread_mutex_unlock(&f->mu);
}

/* Syncs jobs[0..n) concurrently; returns when every one of them has returned. */
static void sync_jobs(gr_flusher *f, size_t n) {
    if (n == 0) return;
    if (n > 1)
        start_sync_threads(f,
                           (int)(n < GR_FLUSH_SYNCS_CONCURRENT_MAX ? n : GR_FLUSH_SYNCS_CONCURRENT_MAX) - 1);
    pthread_mutex_lock(&f->pool_mu);
    f->job_count = n;
    f->job_next = 0;
    f->job_finished = 0;
    if (n > 1 && f->sync_thread_count > 0) pthread_cond_broadcast(&f->work_cv);
    take_jobs(f);
    while (f->job_finished < f->job_count) pthread_cond_wait(&f->done_cv, &f->pool_mu);
    f->job_count = f->job_next = f->job_finished = 0;
    pthread_mutex_unlock(&f->pool_mu);
}

static bool grow_jobs(gr_flusher *f) {
    size_t cap = f->job_cap ? 2 * f->job_cap : 16;
    sync_job *j = realloc(f->jobs, cap * sizeof *j);
    if (!j) return false;
    f->jobs = j;
    f->job_cap = cap;
    return true;
}

static void run_round(gr_flusher *f, flush_request *batch) {
    /* List each partition once: the first request for a log adds it, later ones share its result. */
    f->round++;
    uint64_t syncs = 0, requests = 0;
    size_t n = 0;
    for (flush_request *r = batch; r; r = r->next) {
        gr_partition_log *l = r->log;
        requests++;
        if (l->flush_round == f->round) continue;
        l->flush_round = f->round;
        syncs++;
        if (n == f->job_cap && !grow_jobs(f)) {
            l->flush_round_error = timed_flush(l); /* no room to list it: sync it here */
            continue;
        }
        f->jobs[n++] = (sync_job){l, GR_ERR_NONE};
    }
    sync_jobs(f, n);
    for (size_t i = 0; i < n; i++) f->jobs[i].log->flush_round_error = f->jobs[i].error;

    pthread_mutex_lock(&f->mu); /* counted before any callback, so a caller woken by one sees them */
    f->stats.rounds++;
    f->stats.log_syncs += syncs;
    f->stats.requests += requests;
    pthread_mutex_unlock(&f->mu);
    /* Every partition of the round is durable (or failed) now: answer. */
    while (batch) {
        flush_request *r = batch;
        batch = r->next;
        if (r->done) r->done(r->ud, r->log->flush_round_error);
        gr_log_release(r->log);
        free(r);
    }
}

static void *flusher_main(void *arg) {
    gr_flusher *f = arg;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (!f->head && !f->stopping) pthread_cond_wait(&f->cv, &f->mu);
        if (!f->head) break; /* stopping, and nothing left */
        flush_request *batch = f->head;
        f->head = f->tail = NULL;
        pthread_mutex_unlock(&f->mu);
        run_round(f, batch);
        pthread_mutex_lock(&f->mu);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

gr_flusher *gr_flusher_start(void) {
    gr_flusher *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    pthread_mutex_init(&f->pool_mu, NULL);
    pthread_cond_init(&f->work_cv, NULL);
    pthread_cond_init(&f->done_cv, NULL);
    if (pthread_create(&f->thread, NULL, flusher_main, f) != 0) {
        pthread_cond_destroy(&f->done_cv);
        pthread_cond_destroy(&f->work_cv);
        pthread_mutex_destroy(&f->pool_mu);
        pthread_cond_destroy(&f->cv);
        pthread_mutex_destroy(&f->mu);
        free(f);
        return NULL;
    }
    return f;
}

void gr_flusher_stop(gr_flusher *f) {
    if (!f) return;
    pthread_mutex_lock(&f->mu);
    f->stopping = true;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL); /* the thread drains the list before it exits */
    pthread_mutex_lock(&f->pool_mu);
    f->pool_stopping = true;
    pthread_cond_broadcast(&f->work_cv);
    pthread_mutex_unlock(&f->pool_mu);
    for (int i = 0; i < f->sync_thread_count; i++) pthread_join(f->sync_threads[i], NULL);
    GR_INFO("store",
            "flusher: %llu request(s) answered by %llu log sync(s) in %llu round(s), %d sync thread(s)",
            (unsigned long long)f->stats.requests, (unsigned long long)f->stats.log_syncs,
            (unsigned long long)f->stats.rounds, f->sync_thread_count);
    free(f->jobs);
    pthread_cond_destroy(&f->done_cv);
    pthread_cond_destroy(&f->work_cv);
    pthread_mutex_destroy(&f->pool_mu);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f);
}

void gr_flusher_get_stats(gr_flusher *f, gr_flusher_stats *out) {
    pthread_mutex_lock(&f->mu);
    *out = f->stats;
    pthread_mutex_unlock(&f->mu);
}

void gr_flusher_request(gr_flusher *f, gr_partition_log *l, gr_flush_done_fn done, void *ud) {
    flush_request *r = malloc(sizeof *r);
    if (!r) {
        /* No memory to queue: flush here rather than acknowledge unsynced data. */
        int err = gr_plog_flush(l);
        pthread_mutex_lock(&f->mu);
        f->stats.log_syncs++;
        f->stats.requests++;
        pthread_mutex_unlock(&f->mu);
        if (done) done(ud, err);
        return;
    }
    r->next = NULL;
    r->log = l;
    r->done = done;
    r->ud = ud;
    gr_log_retain(l);
    pthread_mutex_lock(&f->mu);
    if (f->tail)
        f->tail->next = r;
    else
        f->head = r;
    f->tail = r;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
}
