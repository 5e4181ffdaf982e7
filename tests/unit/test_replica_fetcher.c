/*
 * test_replica_fetcher.c: a follower against a scripted leader on a loopback socket.
 *
 * The fake leader decodes each Fetch with the generated decoder, checks what the follower asks
 * for (replica id, fetch offset, last fetched epoch, leader epoch), and answers from a script:
 * record batches, a diverging epoch, OFFSET_OUT_OF_RANGE both ways, errors, a dropped connection,
 * an oversized frame. It holds each scripted request until the test has looked at the follower's
 * log, so every check sees a log at rest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/clock.h"
#include "cluster/replica_fetcher.h"
#include "proto/errors.h"
#include "proto/gen/api_table.h"
#include "proto/gen/fetch.h"
#include "proto/header.h"
#include "store/partition_log.h"
#include "store_test_util.h"

#define DEADLINE_MS 20000 /* no single wait lasts longer */
#define BROKER_ID 7
#define LEADER_ID 1
#define ANY (-100) /* no expectation */

typedef enum { ANSWER_DATA, ANSWER_DIVERGING, ANSWER_ERROR, ANSWER_CLOSE, ANSWER_HUGE_FRAME } answer_kind;

typedef struct script_batch {
    int64_t base_offset;
    int records;
    int32_t epoch;
} script_batch;

/* One request for partition alpha-0 and its answer. */
typedef struct script_step {
    int64_t fetch_offset; /* expected */
    int32_t last_fetched_epoch;
    int32_t leader_epoch;
    answer_kind kind;
    int16_t error;
    int64_t high_watermark;
    int64_t log_start_offset;
    int32_t diverging_epoch;
    int64_t diverging_end_offset;
    script_batch batches[3];
    int batch_count;
    bool partial_tail; /* a cut-off batch after the whole ones */
} script_step;

static const script_step script[] = {
    /* 0: empty follower; two batches of epoch 0 and a partial one; HW 3 */
    {0, -1, 1, ANSWER_DATA, 0, 3, 0, -1, -1, {{0, 3, 0}, {3, 2, 0}}, 2, true},
    /* 1, 2: the connection drops; the next answer is a frame over the limit */
    {5, 0, 1, ANSWER_CLOSE, 0, 0, 0, -1, -1, {{0}}, 0, false},
    {5, 0, 1, ANSWER_HUGE_FRAME, 0, 0, 0, -1, -1, {{0}}, 0, false},
    /* 3: the leader's epoch 0 ended at 3: offsets 3-4 diverge */
    {5, 0, 1, ANSWER_DIVERGING, 0, 3, 0, 0, 3, {{0}}, 0, false},
    /* 4: epoch 2 from 3 on, one record per batch */
    {3, 0, 1, ANSWER_DATA, 0, 6, 0, -1, -1, {{3, 1, 2}, {4, 1, 2}, {5, 1, 2}}, 3, false},
    /* 5: out of range, ahead of the leader whose high watermark is 4 */
    {6, 2, 1, ANSWER_ERROR, GR_ERR_OFFSET_OUT_OF_RANGE, 4, 0, -1, -1, {{0}}, 0, false},
    /* 6: out of range, behind the leader's log start 11 */
    {4, 2, 1, ANSWER_ERROR, GR_ERR_OFFSET_OUT_OF_RANGE, 12, 11, -1, -1, {{0}}, 0, false},
    /* 7: some other error: retried after the backoff */
    {11, ANY, 1, ANSWER_ERROR, GR_ERR_KAFKA_STORAGE_ERROR, -1, -1, -1, -1, {{0}}, 0, false},
    /* 8, 9: not the leader (retried); during 9 the test follows epoch 3, so 9's answer is stale */
    {11, ANY, 1, ANSWER_ERROR, GR_ERR_NOT_LEADER_OR_FOLLOWER, -1, -1, -1, -1, {{0}}, 0, false},
    {11, ANY, 1, ANSWER_ERROR, GR_ERR_NOT_LEADER_OR_FOLLOWER, -1, -1, -1, -1, {{0}}, 0, false},
    /* 10: epoch 3 is led here; the leader's log start 11 is inside its first batch (10-11) */
    {11, ANY, 3, ANSWER_DATA, 0, 12, 11, -1, -1, {{10, 2, 3}}, 1, false},
    /* 11: held while the test unfollows everything */
    {12, 3, 3, ANSWER_DATA, 0, 12, 11, -1, -1, {{0}}, 0, false},
};
#define SCRIPT_STEPS ((int)(sizeof script / sizeof script[0]))

typedef struct fake_leader {
    int listen_fd;
    int port;
    pthread_t thread;
    atomic_bool stop;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int received; /* scripted requests received */
    int released; /* scripted requests the test let the leader answer */
    int connections;
    int connections_ended;
    int hung_up_while_held; /* the follower closed while a request was held */
} fake_leader;

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool read_full(fake_leader *f, int fd, uint8_t *p, size_t n) {
    size_t done = 0;
    int64_t deadline = gr_mono_ms() + DEADLINE_MS;
    while (done < n && !atomic_load(&f->stop) && gr_mono_ms() < deadline) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, 50) <= 0) continue;
        ssize_t got = recv(fd, p + done, n - done, 0);
        if (got <= 0) return false;
        done += (size_t)got;
    }
    return done == n;
}

static void send_all(int fd, const gr_buf *b) {
    size_t done = 0;
    while (done < b->len) {
        ssize_t n = send(fd, b->data + done, b->len - done, MSG_NOSIGNAL);
        if (n <= 0) return;
        done += (size_t)n;
    }
}

static void put_batches(gr_buf *out, const script_step *s) {
    for (int i = 0; i < s->batch_count; i++) {
        size_t at = out->len;
        test_batch_opts o = test_opts(s->batches[i].records, 1700000000000LL + s->batches[i].base_offset);
        test_make_batch(out, &o);
        gr_batch_set_base_offset(out->data + at, s->batches[i].base_offset);
        gr_batch_set_partition_leader_epoch(out->data + at, s->batches[i].epoch);
    }
    if (s->partial_tail) {
        gr_buf whole;
        gr_buf_init(&whole);
        test_batch_opts o = test_opts(2, 1700000000000LL);
        size_t n = test_make_batch(&whole, &o);
        gr_buf_put(out, whole.data, n / 2);
        gr_buf_free(&whole);
    }
}

static const gr_fetch_request_fetch_partition *find_partition(const gr_fetch_request *req, const char *topic,
                                                              int32_t partition) {
    for (int32_t i = 0; i < req->topics.count; i++) {
        if (!gr_str_eq(req->topics.items[i].topic, topic)) continue;
        for (int32_t j = 0; j < req->topics.items[i].partitions.count; j++)
            if (req->topics.items[i].partitions.items[j].partition == partition)
                return &req->topics.items[i].partitions.items[j];
    }
    return NULL;
}

/* Blocks a scripted request until the test releases it; returns its step, or -1 on stop or when
 * the follower hangs up meanwhile. */
static int hold_step(fake_leader *f, int fd) {
    pthread_mutex_lock(&f->mu);
    int step = f->received++;
    pthread_cond_broadcast(&f->cond);
    int64_t deadline = gr_mono_ms() + DEADLINE_MS;
    bool hung_up = false;
    while (f->released <= step && !atomic_load(&f->stop) && !hung_up && gr_mono_ms() < deadline) {
        pthread_mutex_unlock(&f->mu);
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        uint8_t byte;
        if (poll(&pfd, 1, 1) > 0 && recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) hung_up = true;
        pthread_mutex_lock(&f->mu);
    }
    if (hung_up) f->hung_up_while_held++;
    bool ok = f->released > step && !hung_up;
    pthread_mutex_unlock(&f->mu);
    return ok ? step : -1;
}

/* Adds a one-partition topic to a response under construction. */
static gr_fetch_response_partition_data *add_topic(gr_fetch_response_fetchable_topic_response *topics,
                                                   gr_fetch_response_partition_data *parts, int *nt,
                                                   const char *name, int32_t partition) {
    gr_fetch_response_fetchable_topic_response_init(&topics[*nt]);
    gr_fetch_response_partition_data_init(&parts[*nt]);
    topics[*nt].topic = gr_str_c(name);
    topics[*nt].partitions.items = &parts[*nt];
    topics[*nt].partitions.count = 1;
    parts[*nt].partition_index = partition;
    return &parts[(*nt)++];
}

/* Answers one request; false to drop the connection. */
static bool answer(fake_leader *f, int fd, const uint8_t *frame, size_t len) {
    gr_reader r = gr_reader_make(frame, len);
    gr_request_header_info h;
    CHECK(gr_request_header_parse(&r, &h) == GR_HEADER_OK);
    CHECK_EQ_INT(h.api_key, GR_API_FETCH);
    CHECK_EQ_INT(h.api_version, 12);
    gr_arena a;
    gr_arena_init(&a, 0);
    gr_fetch_request req;
    bool decoded = gr_fetch_request_decode(&r, &a, 12, &req) == 0;
    CHECK(decoded);
    if (!decoded) {
        gr_arena_free(&a);
        return false;
    }
    CHECK_EQ_INT(req.replica_id, BROKER_ID);
    CHECK_EQ_INT(req.max_wait_ms, 50);
    CHECK_EQ_INT(req.min_bytes, 1);
    CHECK_EQ_INT(req.max_bytes, 1 << 20);
    CHECK_EQ_INT(req.isolation_level, 0);
    CHECK_EQ_INT(req.session_id, 0);
    CHECK_EQ_INT(req.session_epoch, -1);
    const gr_fetch_request_fetch_partition *pa = find_partition(&req, "alpha", 0);
    const gr_fetch_request_fetch_partition *pb = find_partition(&req, "beta", 1);
    int step = -1;
    if (pa != NULL && f->received < SCRIPT_STEPS) {
        step = hold_step(f, fd);
        if (step < 0) {
            gr_arena_free(&a);
            return false;
        }
    } else {
        sleep_ms(20); /* like a leader waiting max_wait_ms for data that does not come */
    }
    const script_step *s = step >= 0 ? &script[step] : NULL;
    if (s != NULL) {
        if (s->fetch_offset != ANY) CHECK_EQ_INT(pa->fetch_offset, s->fetch_offset);
        if (s->last_fetched_epoch != ANY) CHECK_EQ_INT(pa->last_fetched_epoch, s->last_fetched_epoch);
        CHECK_EQ_INT(pa->current_leader_epoch, s->leader_epoch);
        CHECK_EQ_INT(pa->partition_max_bytes, 65536);
        if (s->kind == ANSWER_CLOSE) {
            gr_arena_free(&a);
            return false;
        }
        if (s->kind == ANSWER_HUGE_FRAME) {
            uint8_t huge[8] = {0x7f, 0xff, 0xff, 0xf0, 0, 0, 0, 1};
            CHECK(send(fd, huge, sizeof huge, MSG_NOSIGNAL) == (ssize_t)sizeof huge);
            gr_arena_free(&a);
            return true; /* the follower must hang up */
        }
    }
    gr_buf records;
    gr_buf_init(&records);
    if (s != NULL && s->kind == ANSWER_DATA) put_batches(&records, s);
    gr_fetch_response resp;
    gr_fetch_response_init(&resp);
    gr_fetch_response_fetchable_topic_response topics[2];
    gr_fetch_response_partition_data parts[2];
    int nt = 0;
    if (pa != NULL) {
        gr_fetch_response_partition_data *pd = add_topic(topics, parts, &nt, "alpha", 0);
        pd->high_watermark = s != NULL ? s->high_watermark : 12;
        pd->log_start_offset = s != NULL ? s->log_start_offset : 11;
        pd->error_code = s != NULL ? s->error : 0;
        if (s != NULL && s->kind == ANSWER_DIVERGING) {
            pd->has_diverging_epoch = true;
            pd->diverging_epoch.epoch = s->diverging_epoch;
            pd->diverging_epoch.end_offset = s->diverging_end_offset;
        }
        pd->records.ptr = records.data;
        pd->records.len = (int32_t)records.len;
    }
    if (pb != NULL) {
        CHECK_EQ_INT(pb->fetch_offset, 0);
        gr_fetch_response_partition_data *pd = add_topic(topics, parts, &nt, "beta", 1);
        pd->high_watermark = 0;
        pd->log_start_offset = 0;
        pd->records.len = 0;
    }
    resp.responses.items = topics;
    resp.responses.count = nt;
    gr_buf out;
    gr_buf_init(&out);
    size_t start = gr_response_begin(&out, h.correlation_id, gr_response_header_version(GR_API_FETCH, 12));
    gr_fetch_response_encode(&out, 12, &resp);
    gr_response_finish(&out, start);
    send_all(fd, &out);
    gr_buf_free(&out);
    gr_buf_free(&records);
    gr_arena_free(&a);
    return true;
}

static void serve_connection(fake_leader *f, int fd) {
    uint8_t *frame = NULL;
    for (;;) {
        uint8_t prefix[4];
        if (!read_full(f, fd, prefix, 4)) break;
        size_t len = (size_t)prefix[0] << 24 | (size_t)prefix[1] << 16 | (size_t)prefix[2] << 8 | prefix[3];
        CHECK(len < (1u << 20));
        if (len >= (1u << 20)) break;
        free(frame);
        frame = malloc(len ? len : 1);
        if (!read_full(f, fd, frame, len)) break;
        if (!answer(f, fd, frame, len)) break;
    }
    free(frame);
    pthread_mutex_lock(&f->mu);
    if (!atomic_load(&f->stop)) f->connections_ended++;
    pthread_mutex_unlock(&f->mu);
    close(fd);
}

static void *fake_leader_main(void *arg) {
    fake_leader *f = arg;
    int64_t deadline = gr_mono_ms() + 4 * DEADLINE_MS;
    while (!atomic_load(&f->stop) && gr_mono_ms() < deadline) {
        struct pollfd pfd = {.fd = f->listen_fd, .events = POLLIN};
        if (poll(&pfd, 1, 50) <= 0) continue;
        int fd = accept(f->listen_fd, NULL, NULL);
        if (fd < 0) continue;
        pthread_mutex_lock(&f->mu);
        f->connections++;
        pthread_mutex_unlock(&f->mu);
        serve_connection(f, fd);
    }
    return NULL;
}

static void fake_start(fake_leader *f) {
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cond, NULL);
    f->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    if (bind(f->listen_fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(f->listen_fd, 8) != 0 ||
        getsockname(f->listen_fd, (struct sockaddr *)&sa, &sl) != 0) {
        perror("fake leader");
        exit(2);
    }
    f->port = ntohs(sa.sin_port);
    CHECK(pthread_create(&f->thread, NULL, fake_leader_main, f) == 0);
}

static void fake_stop(fake_leader *f) {
    atomic_store(&f->stop, true);
    pthread_join(f->thread, NULL);
    close(f->listen_fd);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cond);
}

/* Waits until scripted request `step` has arrived (and is held); false on timeout. */
static bool wait_step(fake_leader *f, int step) {
    int64_t deadline = gr_mono_ms() + DEADLINE_MS;
    pthread_mutex_lock(&f->mu);
    while (f->received <= step && gr_mono_ms() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 10 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&f->cond, &f->mu, &ts);
    }
    bool ok = f->received > step;
    pthread_mutex_unlock(&f->mu);
    if (!ok) fprintf(stderr, "step %d never came\n", step);
    return ok;
}

static void release_step(fake_leader *f, int step) {
    pthread_mutex_lock(&f->mu);
    f->released = step + 1;
    pthread_mutex_unlock(&f->mu);
}

typedef struct progress_count {
    atomic_int alpha;
    atomic_int other;
    gr_partition_log *alpha_log;
} progress_count;

static void on_progress(void *ud, gr_partition_log *log) {
    progress_count *pc = ud;
    if (log == pc->alpha_log)
        atomic_fetch_add(&pc->alpha, 1);
    else
        atomic_fetch_add(&pc->other, 1);
}

/* Base offsets and epochs of the batches in [from, end). */
static int read_batches(gr_partition_log *log, int64_t from, int64_t *bases, int32_t *epochs, int max) {
    int n = 0;
    int64_t offset = from;
    for (int round = 0; round < 64 && offset < gr_plog_log_end_offset(log) && n < max; round++) {
        gr_read_result rr;
        gr_plog_read_replica(log, offset, 1 << 20, true, &rr);
        if (rr.error != 0 || rr.file == NULL || rr.length <= 0) break;
        uint8_t *buf = malloc((size_t)rr.length);
        ssize_t got = pread(rr.file->fd, buf, (size_t)rr.length, rr.file_offset);
        for (size_t at = 0; got == rr.length && at + GR_BATCH_HEADER_BYTES <= (size_t)got && n < max;) {
            gr_batch_header h;
            gr_batch_header_parse(buf + at, &h);
            bases[n] = h.base_offset;
            epochs[n] = h.partition_leader_epoch;
            n++;
            at += (size_t)gr_batch_size(&h);
            offset = gr_batch_last_offset(&h) + 1;
        }
        free(buf);
        gr_file_ref_release(rr.file);
    }
    return n;
}

/* Opens (creating) the partition log `name` under dir, with default settings; NULL on failure. */
static gr_partition_log *open_log(const char *dir, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    gr_log_config lc;
    gr_log_config_defaults(&lc);
    gr_partition_log *log = NULL;
    return gr_plog_open(path, &lc, &log) == 0 ? log : NULL;
}

static void test_follow_script(void) {
    char *dir = test_tmpdir();
    gr_partition_log *alpha = open_log(dir, "alpha-0"), *beta = open_log(dir, "beta-1");
    CHECK(alpha != NULL && beta != NULL);
    if (alpha == NULL || beta == NULL) return;

    fake_leader leader;
    fake_start(&leader);
    progress_count pc = {.alpha_log = alpha};
    gr_fetcher_config cfg = {
        .broker_id = BROKER_ID,
        .max_bytes = 65536,
        .response_max_bytes = 1 << 20,
        .wait_max_ms = 50,
        .min_bytes = 1,
        .backoff_ms = 100,
        .socket_timeout_ms = 5000,
        .progress = on_progress,
        .ud = &pc,
    };
    gr_replica_fetchers *f = gr_replica_fetchers_new(&cfg);
    CHECK(f != NULL);
    uint8_t id_a[16] = {1}, id_b[16] = {2};
    gr_replica_fetchers_follow(f, "alpha", id_a, 0, alpha, LEADER_ID, "127.0.0.1", leader.port, 1);
    gr_replica_fetchers_follow(f, "beta", id_b, 1, beta, LEADER_ID, "127.0.0.1", leader.port, 1);
    CHECK_EQ_INT(gr_replica_fetchers_leader_of(f, "alpha", 0), LEADER_ID);
    CHECK_EQ_INT(gr_replica_fetchers_leader_of(f, "alpha", 1), -1);

    int64_t bases[8];
    int32_t epochs[8];

    /* 0 answered: both whole batches appended as they were, the partial one ignored, HW 3. */
    CHECK(wait_step(&leader, 0));
    release_step(&leader, 0);
    CHECK(wait_step(&leader, 1));
    CHECK_EQ_INT(gr_plog_log_end_offset(alpha), 5);
    CHECK_EQ_INT(gr_plog_high_watermark(alpha), 3);
    CHECK(atomic_load(&pc.alpha) >= 1);
    int n = read_batches(alpha, 0, bases, epochs, 8);
    CHECK_EQ_INT(n, 2);
    if (n == 2) {
        CHECK_EQ_INT(bases[0], 0);
        CHECK_EQ_INT(bases[1], 3);
        CHECK_EQ_INT(epochs[0], 0);
        CHECK_EQ_INT(epochs[1], 0);
    }

    /* 1: dropped connection; 2: oversized frame. The follower reconnects each time. */
    release_step(&leader, 1);
    CHECK(wait_step(&leader, 2));
    release_step(&leader, 2);
    CHECK(wait_step(&leader, 3));
    pthread_mutex_lock(&leader.mu);
    CHECK_EQ_INT(leader.connections, 3);
    pthread_mutex_unlock(&leader.mu);
    CHECK_EQ_INT(gr_plog_log_end_offset(alpha), 5);

    /* 3: diverging at 3 (the leader's epoch 0 ended there): truncated, nothing appended. */
    int before = atomic_load(&pc.alpha);
    release_step(&leader, 3);
    CHECK(wait_step(&leader, 4));
    CHECK_EQ_INT(gr_plog_log_end_offset(alpha), 3);
    CHECK(atomic_load(&pc.alpha) > before);

    /* 4: epoch 2 appended from 3; HW 6. */
    release_step(&leader, 4);
    CHECK(wait_step(&leader, 5));
    CHECK_EQ_INT(gr_plog_log_end_offset(alpha), 6);
    CHECK_EQ_INT(gr_plog_high_watermark(alpha), 6);
    CHECK_EQ_INT(gr_plog_latest_epoch(alpha), 2);
    n = read_batches(alpha, 0, bases, epochs, 8);
    CHECK_EQ_INT(n, 4);
    if (n == 4) {
        CHECK_EQ_INT(bases[1], 3);
        CHECK_EQ_INT(epochs[1], 2);
        CHECK_EQ_INT(bases[3], 5);
    }

    /* 5: ahead of the leader: truncated to its high watermark 4. */
    release_step(&leader, 5);
    CHECK(wait_step(&leader, 6));
    CHECK_EQ_INT(gr_plog_log_end_offset(alpha), 4);

    /* 6: behind the leader's log start: the log starts over at 11. */
    release_step(&leader, 6);
    CHECK(wait_step(&leader, 7));
    CHECK_EQ_INT(gr_plog_start_offset(alpha), 11);
    CHECK_EQ_INT(gr_plog_log_end_offset(alpha), 11);

    /* 7: a storage error on the leader: asked again later (step 8 comes). */
    release_step(&leader, 7);
    CHECK(wait_step(&leader, 8));
    /* 8: not the leader: asked again, still with epoch 1 (step 9 checks it). */
    release_step(&leader, 8);
    CHECK(wait_step(&leader, 9));
    CHECK_EQ_INT(gr_replica_fetchers_leader_of(f, "alpha", 0), LEADER_ID);
    /* Epoch 3 while 9 is in flight: its NOT_LEADER answer is stale and the next fetch says 3. */
    gr_replica_fetchers_follow(f, "alpha", id_a, 0, alpha, LEADER_ID, "127.0.0.1", leader.port, 3);
    release_step(&leader, 9);
    CHECK(wait_step(&leader, 10));
    release_step(&leader, 10);
    CHECK(wait_step(&leader, 11));
    /* The batch holding 11 was taken whole, and the log start is the leader's again. */
    CHECK_EQ_INT(gr_plog_log_end_offset(alpha), 12);
    CHECK_EQ_INT(gr_plog_high_watermark(alpha), 12);
    CHECK_EQ_INT(gr_plog_latest_epoch(alpha), 3);
    CHECK_EQ_INT(gr_plog_start_offset(alpha), 11);
    CHECK_EQ_INT(atomic_load(&pc.other), 0); /* beta never moved */

    /* 11 is held by the leader: unfollowing must not wait for its answer. */
    gr_replica_fetchers_unfollow(f, "alpha", 0);
    CHECK_EQ_INT(gr_replica_fetchers_leader_of(f, "alpha", 0), -1);
    CHECK_EQ_INT(gr_replica_fetchers_leader_of(f, "beta", 1), LEADER_ID);
    gr_replica_fetchers_unfollow(f, "beta", 1);
    CHECK_EQ_INT(gr_replica_fetchers_leader_of(f, "beta", 1), -1);
    /* With nothing left to follow the thread stops and hangs up while its request is still held. */
    int64_t deadline = gr_mono_ms() + DEADLINE_MS;
    int hung_up = 0;
    while (hung_up == 0 && gr_mono_ms() < deadline) {
        pthread_mutex_lock(&leader.mu);
        hung_up = leader.hung_up_while_held;
        pthread_mutex_unlock(&leader.mu);
        sleep_ms(5);
    }
    CHECK_EQ_INT(hung_up, 1);
    gr_replica_fetchers_free(f);
    fake_stop(&leader);
    gr_plog_close(alpha);
    gr_plog_close(beta);
    test_rm_rf(dir);
}

/* A leader that is not there: follow and free return, nothing hangs. */
static void test_unreachable_leader(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof sa;
    CHECK(bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
          getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
    int port = ntohs(sa.sin_port); /* bound, not listening: connections are refused */
    char *dir = test_tmpdir();
    gr_partition_log *log = open_log(dir, "gamma-0");
    CHECK(log != NULL);
    if (log == NULL) return;
    gr_fetcher_config cfg = {.broker_id = BROKER_ID, .backoff_ms = 10, .socket_timeout_ms = 1000};
    gr_replica_fetchers *f = gr_replica_fetchers_new(&cfg);
    uint8_t id[16] = {3};
    gr_replica_fetchers_follow(f, "gamma", id, 0, log, 2, "127.0.0.1", port, 0);
    sleep_ms(50);
    CHECK_EQ_INT(gr_replica_fetchers_leader_of(f, "gamma", 0), 2);
    /* Another leader: the partition moves to a new thread. */
    gr_replica_fetchers_follow(f, "gamma", id, 0, log, 3, "127.0.0.1", port, 1);
    CHECK_EQ_INT(gr_replica_fetchers_leader_of(f, "gamma", 0), 3);
    gr_replica_fetchers_free(f);
    CHECK_EQ_INT(gr_plog_log_end_offset(log), 0);
    gr_plog_close(log);
    close(fd);
    test_rm_rf(dir);
}

int main(void) {
    test_follow_script();
    test_unreachable_leader();
    if (test_failures == 0) printf("test_replica_fetcher: ok\n");
    return test_failures != 0;
}
