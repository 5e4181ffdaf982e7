/* test_store_flusher.c: group commit with several threads appending and asking for flushes. */
#include "store_test_util.h"

#include <pthread.h>
#include <stdatomic.h>

#include "base/log.h"
#include "proto/errors.h"
#include "store/flusher.h"
#include "store/partition_log.h"
#include "store/sysio.h"

#define THREADS 4
#define APPENDS_PER_THREAD 200
#define PARTITIONS 2

static atomic_int done_count;
static atomic_int done_errors;
static atomic_int sync_calls;

static int counting_fdatasync(int fd) {
    atomic_fetch_add(&sync_calls, 1);
    return fdatasync(fd);
}

typedef struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    int error;
} waiter;

static void on_done(void *ud, int error) {
    waiter *w = ud;
    atomic_fetch_add(&done_count, 1);
    if (error) atomic_fetch_add(&done_errors, 1);
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    w->error = error;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

typedef struct worker {
    gr_flusher *f;
    gr_partition_log **logs;
    int id;
    int failures;
} worker;

static void *work(void *arg) {
    worker *wk = arg;
    gr_buf b;
    gr_buf_init(&b);
    for (int i = 0; i < APPENDS_PER_THREAD; i++) {
        gr_partition_log *l = wk->logs[(wk->id + i) % PARTITIONS];
        gr_buf_reset(&b);
        test_batch_opts o = test_opts(2, i);
        test_make_batch(&b, &o);
        gr_append_result r;
        gr_plog_append(l, b.data, b.len, 0, &r);
        if (r.error) wk->failures++;
        /* acks=all: wait until the flusher says the batch is on disk. */
        waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
        gr_flusher_request(wk->f, l, on_done, &w);
        pthread_mutex_lock(&w.mu);
        while (!w.done) pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
        if (w.error) wk->failures++;
    }
    gr_buf_free(&b);
    return NULL;
}

static void test_group_commit(void) {
    char *dir = test_tmpdir();
    gr_log_config c;
    gr_log_config_defaults(&c);
    c.segment_bytes = 8192; /* rolls happen while flushes run */
    gr_partition_log *logs[PARTITIONS];
    for (int p = 0; p < PARTITIONS; p++) {
        char sub[512];
        snprintf(sub, sizeof sub, "%s/t-%d", dir, p);
        CHECK_EQ_INT(gr_plog_open(sub, &c, &logs[p]), GR_ERR_NONE);
    }
    gr_sys.fdatasync = counting_fdatasync;
    gr_flusher *f = gr_flusher_start();
    CHECK(f != NULL);
    pthread_t th[THREADS];
    worker wk[THREADS];
    for (int i = 0; i < THREADS; i++) {
        wk[i] = (worker){f, logs, i, 0};
        pthread_create(&th[i], NULL, work, &wk[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(wk[i].failures, 0);
    }
    gr_flusher_stats st;
    gr_flusher_get_stats(f, &st);
    CHECK_EQ_INT(st.requests, THREADS * APPENDS_PER_THREAD);
    CHECK(st.log_syncs >= 1 && st.log_syncs <= st.requests);
    CHECK(st.rounds >= 1 && st.rounds <= st.log_syncs);
    gr_flusher_stop(f);
    gr_sysio_reset();
    CHECK_EQ_INT(atomic_load(&done_count), THREADS * APPENDS_PER_THREAD);
    CHECK_EQ_INT(atomic_load(&done_errors), 0);
    int64_t total = 0;
    for (int p = 0; p < PARTITIONS; p++) total += gr_plog_end_offset(logs[p]);
    CHECK_EQ_INT(total, 2 * THREADS * APPENDS_PER_THREAD);
    /* Every request was answered by some sync; how many were shared depends on timing, so only
     * the upper bound is asserted (the benchmark measures the sharing). */
    CHECK(atomic_load(&sync_calls) > 0);
    fprintf(stderr, "group commit: %d requests, %d fdatasync calls\n", THREADS * APPENDS_PER_THREAD,
            atomic_load(&sync_calls));
    for (int p = 0; p < PARTITIONS; p++) gr_plog_close(logs[p]);
    test_rm_rf(dir);
}

/* A round takes everything queued: requests made while the flusher is stuck are served together. */
static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static int gated_fdatasync(int fd) {
    atomic_fetch_add(&sync_calls, 1);
    pthread_mutex_lock(&gate);
    pthread_mutex_unlock(&gate);
    return fdatasync(fd);
}

static void test_stop_drains_and_shares(void) {
    char *dir = test_tmpdir();
    gr_log_config c;
    gr_log_config_defaults(&c);
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    gr_buf b;
    gr_buf_init(&b);
    test_batch_opts o = test_opts(1, 1);
    test_make_batch(&b, &o);
    gr_append_result r;
    gr_plog_append(l, b.data, b.len, 0, &r);
    CHECK_EQ_INT(r.error, GR_ERR_NONE);
    CHECK_EQ_INT(gr_plog_flush(l), GR_ERR_NONE); /* the directory's sync out of the way */
    gr_batch_set_base_offset(b.data, 0);
    gr_plog_append(l, b.data, b.len, 0, &r);

    atomic_store(&done_count, 0);
    atomic_store(&sync_calls, 0);
    gr_sys.fdatasync = gated_fdatasync;
    pthread_mutex_lock(&gate);
    gr_flusher *f = gr_flusher_start();
    waiter first = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    gr_flusher_request(f, l, on_done, &first);
    /* Wait (bounded) until the flusher is inside the first sync. */
    for (int i = 0; i < 5000 && atomic_load(&sync_calls) == 0; i++) usleep(1000);
    CHECK(atomic_load(&sync_calls) > 0);
    int before = atomic_load(&sync_calls);
    waiter more[10];
    for (int i = 0; i < 10; i++) {
        gr_batch_set_base_offset(b.data, 0);     /* a fresh batch, as a client would send it */
        gr_plog_append(l, b.data, b.len, 0, &r); /* appends go on while a flush runs */
        CHECK_EQ_INT(r.error, GR_ERR_NONE);
        more[i] = (waiter){PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
        gr_flusher_request(f, l, on_done, &more[i]);
    }
    pthread_mutex_unlock(&gate);
    gr_flusher_stop(f); /* drains: every callback has run when it returns */
    gr_sysio_reset();
    CHECK_EQ_INT(atomic_load(&done_count), 11);
    /* The ten queued requests shared one round: one .log sync. */
    CHECK_EQ_INT(atomic_load(&sync_calls) - before, 1);
    CHECK_EQ_INT(gr_plog_end_offset(l), 12);
    gr_buf_free(&b);
    gr_plog_close(l);
    test_rm_rf(dir);
}

/* A log closed while a flush request is pending stays usable until the callback ran. */
static void test_close_with_pending_flush(void) {
    char *dir = test_tmpdir();
    gr_log_config c;
    gr_log_config_defaults(&c);
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    atomic_store(&done_count, 0);
    pthread_mutex_lock(&gate);
    gr_sys.fdatasync = gated_fdatasync;
    gr_flusher *f = gr_flusher_start();
    waiter w1 = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    waiter w2 = w1;
    gr_flusher_request(f, l, on_done, &w1);
    gr_flusher_request(f, l, on_done, &w2);
    gr_plog_close(l);
    pthread_mutex_unlock(&gate);
    gr_flusher_stop(f);
    gr_sysio_reset();
    CHECK_EQ_INT(atomic_load(&done_count), 2);
    CHECK_EQ_INT(w1.error, 0);
    test_rm_rf(dir);
}

/* acks=all from many connections at once: while one sync runs, every waiter that arrives queues,
 * and the next round serves them all with one sync of the partition. The first sync is held at a
 * gate until all waiters have queued, so the grouping does not depend on timing. */
#define WAITERS 32

typedef struct waiter_thread {
    gr_flusher *f;
    gr_partition_log *l;
    int error;
} waiter_thread;

static atomic_int queued;
static atomic_int inside_sync;
static pthread_mutex_t first_gate = PTHREAD_MUTEX_INITIALIZER;

static int first_gated_fdatasync(int fd) {
    atomic_fetch_add(&sync_calls, 1);
    atomic_store(&inside_sync, 1);
    pthread_mutex_lock(&first_gate);
    pthread_mutex_unlock(&first_gate);
    return fdatasync(fd);
}

static void *append_and_wait(void *arg) {
    waiter_thread *wt = arg;
    gr_buf b;
    gr_buf_init(&b);
    test_batch_opts o = test_opts(1, 5);
    test_make_batch(&b, &o);
    gr_append_result r;
    gr_plog_append(wt->l, b.data, b.len, 0, &r);
    wt->error = r.error;
    waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0};
    gr_flusher_request(wt->f, wt->l, on_done, &w);
    atomic_fetch_add(&queued, 1);
    pthread_mutex_lock(&w.mu);
    while (!w.done) pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    if (w.error) wt->error = w.error;
    gr_buf_free(&b);
    return NULL;
}

static void test_concurrent_waiters_share_a_sync(void) {
    char *dir = test_tmpdir();
    gr_log_config c;
    gr_log_config_defaults(&c);
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    atomic_store(&sync_calls, 0);
    atomic_store(&queued, 0);
    atomic_store(&inside_sync, 0);
    atomic_store(&done_count, 0);
    gr_sys.fdatasync = first_gated_fdatasync;
    pthread_mutex_lock(&first_gate);
    gr_flusher *f = gr_flusher_start();
    CHECK(f != NULL);

    /* The first waiter starts a round, which stops at the gate inside its sync. */
    pthread_t th[WAITERS];
    waiter_thread wt[WAITERS];
    wt[0] = (waiter_thread){f, l, 0};
    pthread_create(&th[0], NULL, append_and_wait, &wt[0]);
    for (int i = 0; i < 5000 && !atomic_load(&inside_sync); i++) usleep(1000);
    CHECK(atomic_load(&inside_sync));
    /* The others append and queue concurrently meanwhile. */
    for (int i = 1; i < WAITERS; i++) {
        wt[i] = (waiter_thread){f, l, 0};
        pthread_create(&th[i], NULL, append_and_wait, &wt[i]);
    }
    for (int i = 0; i < 5000 && atomic_load(&queued) < WAITERS; i++) usleep(1000);
    CHECK_EQ_INT(atomic_load(&queued), WAITERS);
    pthread_mutex_unlock(&first_gate);
    for (int i = 0; i < WAITERS; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(wt[i].error, 0);
    }
    gr_flusher_stats st;
    gr_flusher_get_stats(f, &st);
    CHECK_EQ_INT(st.requests, WAITERS);
    /* The first waiter's round, then one for all the others: two syncs of the partition. */
    CHECK_EQ_INT(st.rounds, 2);
    CHECK_EQ_INT(st.log_syncs, 2);
    /* Real fdatasync calls: per sync the .log, maybe index files and the directory. */
    CHECK(atomic_load(&sync_calls) < WAITERS / 4);
    gr_flusher_stop(f);
    gr_sysio_reset();
    CHECK_EQ_INT(atomic_load(&done_count), WAITERS);
    CHECK_EQ_INT(gr_plog_end_offset(l), WAITERS);
    gr_plog_close(l);
    test_rm_rf(dir);
}

int main(void) {
    gr_log_set_level(GR_LOG_WARN);
    test_group_commit();
    test_stop_drains_and_shares();
    test_close_with_pending_flush();
    test_concurrent_waiters_share_a_sync();
    if (test_failures) fprintf(stderr, "test_store_flusher: %d failure(s)\n", test_failures);
    return test_failures != 0;
}
