/*
 * test_store_flusher_rounds.c: one flush round with many partitions.
 *
 * The round's partitions are synced concurrently: a gated fdatasync lets
 * no sync finish until GR_FLUSH_SYNCS_CONCURRENT_MAX of them are inside at
 * once (bounded by a deadline, so a flusher that syncs one after another
 * fails instead of hanging). Callbacks must see every sync of their round
 * finished, and a failed sync must reach exactly the requests of its own
 * partition. A round with one partition must start no extra thread.
 */
#include "store_test_util.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "base/limits.h"
#include "base/log.h"
#include "proto/errors.h"
#include "store/flusher.h"
#include "store/partition_log.h"
#include "store/sysio.h"

#define PARTITIONS 16
#define REQUESTS_PER_PARTITION 2
#define GATE_WAIT_MS 10000 /* a backstop only: the gates open as soon as their condition holds */
#define POLL_STEPS 5000    /* x 1 ms */
#define BAD_DIR_MARK "/bad-"

/* ---- the gated fdatasync ---- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool first_gate_open;  /* the first sync waits for this: the test queues the next round meanwhile */
static int barrier_target;    /* later syncs wait until this many are inside at once ... */
static bool barrier_released; /* ... or this is set (target reached, or the deadline passed) */
static int inside, max_inside;
static atomic_int calls;    /* fdatasync calls started */
static atomic_int finished; /* fdatasync calls returned */

static struct timespec deadline_in(int ms) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static bool fd_is_bad(int fd) {
    char link[64], path[512];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n < 0) return false;
    path[n] = '\0';
    return strstr(path, BAD_DIR_MARK) != NULL;
}

static int gated_fdatasync(int fd) {
    int index = atomic_fetch_add(&calls, 1);
    struct timespec deadline = deadline_in(GATE_WAIT_MS);
    pthread_mutex_lock(&mu);
    if (index == 0) {
        while (!first_gate_open)
            if (pthread_cond_timedwait(&cv, &mu, &deadline) == ETIMEDOUT) break;
    } else {
        inside++;
        if (inside > max_inside) max_inside = inside;
        if (inside >= barrier_target) barrier_released = true;
        pthread_cond_broadcast(&cv);
        while (!barrier_released)
            if (pthread_cond_timedwait(&cv, &mu, &deadline) == ETIMEDOUT) barrier_released = true;
        inside--;
    }
    pthread_mutex_unlock(&mu);
    int rc;
    if (fd_is_bad(fd)) {
        errno = EIO;
        rc = -1;
    } else {
        rc = fdatasync(fd);
    }
    atomic_fetch_add(&finished, 1);
    return rc;
}

static void reset_gates(int target) {
    pthread_mutex_lock(&mu);
    first_gate_open = false;
    barrier_target = target;
    barrier_released = false;
    inside = max_inside = 0;
    pthread_mutex_unlock(&mu);
    atomic_store(&calls, 0);
    atomic_store(&finished, 0);
}

static void open_first_gate(void) {
    pthread_mutex_lock(&mu);
    first_gate_open = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

/* ---- requests ---- */

typedef struct answer {
    atomic_int done;
    int error;
    int finished_at_callback; /* fdatasync calls returned when the callback ran */
} answer;

static void on_done(void *ud, int error) {
    answer *a = ud;
    a->error = error;
    a->finished_at_callback = atomic_load(&finished);
    atomic_store(&a->done, 1);
}

static bool wait_all(answer *a, int n) {
    for (int step = 0; step < POLL_STEPS; step++) {
        int done = 0;
        for (int i = 0; i < n; i++) done += atomic_load(&a[i].done);
        if (done == n) return true;
        usleep(1000);
    }
    return false;
}

/* Opens a log and leaves it with one unsynced batch, its directory already synced: a flush of it is
 * exactly one fdatasync (of its .log file). */
static gr_partition_log *open_dirty_log(const char *dir, const char *name) {
    char sub[512];
    snprintf(sub, sizeof sub, "%s/%s", dir, name);
    gr_log_config c;
    gr_log_config_defaults(&c);
    gr_partition_log *l = NULL;
    CHECK_EQ_INT(gr_plog_open(sub, &c, &l), GR_ERR_NONE);
    if (!l) return NULL;
    for (int i = 0; i < 2; i++) {
        gr_buf b;
        gr_buf_init(&b);
        test_batch_opts o = test_opts(2, 1000 + i);
        test_make_batch(&b, &o);
        gr_append_result r;
        gr_plog_append(l, b.data, b.len, 0, &r);
        CHECK_EQ_INT(r.error, GR_ERR_NONE);
        gr_buf_free(&b);
        if (i == 0) CHECK_EQ_INT(gr_plog_flush(l), GR_ERR_NONE);
    }
    return l;
}

/* Holds the flusher in a one-partition round (the first sync waits at its gate) so that everything
 * queued meanwhile forms the next round, whatever the timing. */
static void hold_first_round(gr_flusher *f, gr_partition_log *blocker, answer *a) {
    gr_flusher_request(f, blocker, on_done, a);
    for (int i = 0; i < POLL_STEPS && atomic_load(&calls) == 0; i++) usleep(1000);
    CHECK_EQ_INT(atomic_load(&calls), 1);
}

static void test_round_syncs_partitions_concurrently(void) {
    char *dir = test_tmpdir();
    gr_partition_log *blocker = open_dirty_log(dir, "blocker-0");
    gr_partition_log *logs[PARTITIONS];
    for (int p = 0; p < PARTITIONS; p++) {
        char name[32];
        snprintf(name, sizeof name, "t-%d", p);
        logs[p] = open_dirty_log(dir, name);
    }
    if (!blocker) return;
    for (int p = 0; p < PARTITIONS; p++)
        if (!logs[p]) return;

    int concurrent = PARTITIONS < GR_FLUSH_SYNCS_CONCURRENT_MAX ? PARTITIONS : GR_FLUSH_SYNCS_CONCURRENT_MAX;
    reset_gates(concurrent);
    gr_sys.fdatasync = gated_fdatasync;
    gr_flusher *f = gr_flusher_start();
    CHECK(f != NULL);
    if (!f) return;

    answer first = {0};
    hold_first_round(f, blocker, &first);
    gr_flusher_stats st;
    gr_flusher_get_stats(f, &st);
    CHECK_EQ_INT(st.sync_threads, 0); /* a one-partition round needs no other thread */

    static answer answers[PARTITIONS * REQUESTS_PER_PARTITION];
    memset(answers, 0, sizeof answers);
    for (int k = 0; k < REQUESTS_PER_PARTITION; k++)
        for (int p = 0; p < PARTITIONS; p++)
            gr_flusher_request(f, logs[p], on_done, &answers[k * PARTITIONS + p]);
    open_first_gate();

    CHECK(wait_all(&first, 1));
    CHECK(wait_all(answers, PARTITIONS * REQUESTS_PER_PARTITION));
    CHECK_EQ_INT(first.error, GR_ERR_NONE);
    CHECK_EQ_INT(first.finished_at_callback, 1);
    for (int i = 0; i < PARTITIONS * REQUESTS_PER_PARTITION; i++) {
        CHECK_EQ_INT(answers[i].error, GR_ERR_NONE);
        /* Answered only once every partition of its round was synced. */
        CHECK_EQ_INT(answers[i].finished_at_callback, 1 + PARTITIONS);
    }
    pthread_mutex_lock(&mu);
    int seen = max_inside;
    pthread_mutex_unlock(&mu);
    /* One after another, this would be 1 (and the barrier would have waited out its deadline). */
    CHECK_EQ_INT(seen, concurrent);

    gr_flusher_get_stats(f, &st);
    CHECK_EQ_INT(st.rounds, 2);
    CHECK_EQ_INT(st.log_syncs, 1 + PARTITIONS); /* each partition once, however many requests it had */
    CHECK_EQ_INT(st.requests, 1 + PARTITIONS * REQUESTS_PER_PARTITION);
    CHECK_EQ_INT(st.sync_threads, concurrent - 1);
    CHECK_EQ_INT(atomic_load(&calls), 1 + PARTITIONS);
    gr_flusher_stop(f);
    gr_sysio_reset();

    gr_plog_close(blocker);
    for (int p = 0; p < PARTITIONS; p++) gr_plog_close(logs[p]);
    test_rm_rf(dir);
}

/* A sync that fails answers its own partition's requests with KAFKA_STORAGE_ERROR, and only them. */
#define ERROR_PARTITIONS 5
#define BAD_PARTITION 2

static void test_error_reaches_only_its_partition(void) {
    char *dir = test_tmpdir();
    gr_partition_log *blocker = open_dirty_log(dir, "blocker-0");
    gr_partition_log *logs[ERROR_PARTITIONS];
    for (int p = 0; p < ERROR_PARTITIONS; p++) {
        char name[32];
        snprintf(name, sizeof name, "%s%d", p == BAD_PARTITION ? "bad-" : "t-", p);
        logs[p] = open_dirty_log(dir, name);
    }
    if (!blocker) return;
    for (int p = 0; p < ERROR_PARTITIONS; p++)
        if (!logs[p]) return;

    reset_gates(ERROR_PARTITIONS); /* all of them inside at once (below the concurrency limit) */
    gr_sys.fdatasync = gated_fdatasync;
    gr_flusher *f = gr_flusher_start();
    CHECK(f != NULL);
    if (!f) return;
    answer first = {0};
    hold_first_round(f, blocker, &first);
    static answer answers[ERROR_PARTITIONS * REQUESTS_PER_PARTITION];
    memset(answers, 0, sizeof answers);
    for (int k = 0; k < REQUESTS_PER_PARTITION; k++)
        for (int p = 0; p < ERROR_PARTITIONS; p++)
            gr_flusher_request(f, logs[p], on_done, &answers[k * ERROR_PARTITIONS + p]);
    open_first_gate();
    CHECK(wait_all(&first, 1));
    CHECK(wait_all(answers, ERROR_PARTITIONS * REQUESTS_PER_PARTITION));
    for (int k = 0; k < REQUESTS_PER_PARTITION; k++) {
        for (int p = 0; p < ERROR_PARTITIONS; p++) {
            answer *a = &answers[k * ERROR_PARTITIONS + p];
            CHECK_EQ_INT(a->error, p == BAD_PARTITION ? GR_ERR_KAFKA_STORAGE_ERROR : GR_ERR_NONE);
            CHECK_EQ_INT(a->finished_at_callback, 1 + ERROR_PARTITIONS);
        }
    }
    pthread_mutex_lock(&mu);
    CHECK_EQ_INT(max_inside, ERROR_PARTITIONS);
    pthread_mutex_unlock(&mu);
    gr_flusher_stats st;
    gr_flusher_get_stats(f, &st);
    CHECK_EQ_INT(st.rounds, 2);
    CHECK_EQ_INT(st.log_syncs, 1 + ERROR_PARTITIONS);
    CHECK_EQ_INT(st.sync_threads, ERROR_PARTITIONS - 1);
    gr_flusher_stop(f);
    gr_sysio_reset();

    /* The failed partition is offline; the others took appends and flush as before. */
    CHECK_EQ_INT(gr_plog_flush(logs[BAD_PARTITION]), GR_ERR_KAFKA_STORAGE_ERROR);
    CHECK_EQ_INT(gr_plog_flush(logs[0]), GR_ERR_NONE);
    gr_plog_close(blocker);
    for (int p = 0; p < ERROR_PARTITIONS; p++) gr_plog_close(logs[p]);
    test_rm_rf(dir);
}

int main(void) {
    gr_log_set_level(GR_LOG_WARN); /* the injected EIO logs one expected error */
    test_round_syncs_partitions_concurrently();
    test_error_reaches_only_its_partition();
    if (test_failures) fprintf(stderr, "test_store_flusher_rounds: %d failure(s)\n", test_failures);
    return test_failures != 0;
}
