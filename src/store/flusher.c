/*
 * flusher.c: one thread doing group commits (see flusher.h).
 *
 * Requests go on a list under a small mutex. The thread takes the whole
 * list at once, syncs every distinct partition on it once (gr_plog_flush
 * syncs everything appended up to that moment, so one sync answers all
 * requests for that partition taken in the round), then calls back. The
 * requests that arrive during a round wait for the next one, which is the
 * batching that makes acks=all cheap.
 */
#include "store/flusher.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "base/log.h"
#include "proto/errors.h"
#include "store/log_internal.h"

typedef struct flush_request {
    struct flush_request *next;
    gr_partition_log *log; /* referenced until the callback ran */
    gr_flush_done_fn done;
    void *ud;
    int error;
} flush_request;

struct gr_flusher {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    flush_request *head; /* pending, in arrival order */
    flush_request *tail;
    bool stopping;
    uint64_t round;         /* flusher thread only */
    gr_flusher_stats stats; /* under mu */
};

static void run_round(gr_flusher *f, flush_request *batch) {
    /* Sync each partition once: the first request for a log does it, later ones reuse its result. */
    f->round++;
    uint64_t syncs = 0, requests = 0;
    for (flush_request *r = batch; r; r = r->next) {
        gr_partition_log *l = r->log;
        if (l->flush_round != f->round) {
            l->flush_round = f->round;
            l->flush_round_error = gr_plog_flush(l);
            syncs++;
        }
        r->error = l->flush_round_error;
        requests++;
    }
    pthread_mutex_lock(&f->mu); /* counted before any callback, so a caller woken by one sees them */
    f->stats.rounds++;
    f->stats.log_syncs += syncs;
    f->stats.requests += requests;
    pthread_mutex_unlock(&f->mu);
    while (batch) {
        flush_request *r = batch;
        batch = r->next;
        if (r->done) r->done(r->ud, r->error);
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
    if (pthread_create(&f->thread, NULL, flusher_main, f) != 0) {
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
    GR_INFO("store", "flusher: %llu request(s) answered by %llu log sync(s) in %llu round(s)",
            (unsigned long long)f->stats.requests, (unsigned long long)f->stats.log_syncs,
            (unsigned long long)f->stats.rounds);
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
    r->error = GR_ERR_NONE;
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
