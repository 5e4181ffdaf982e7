/*
 * test_net_request_bytes.c: the per-connection bound on unanswered request bytes.
 *
 * The server holds every request without answering. The client pipelines 40
 * frames of 32 KiB against a bound of 256 KiB: exactly 8 are delivered, then
 * the connection is not read until some are answered; answering lets the
 * next 8 in, and so on, every reply in order. A single frame larger than the
 * bound is still taken when nothing is outstanding.
 */
#include "base/limits.h"
#include "test_net_util.h"

#define LIMIT_BYTES (256 * 1024)
#define FRAME_BYTES (32 * 1024)
#define PER_ROUND (LIMIT_BYTES / FRAME_BYTES)
#define FRAMES 40
#define BIG_FRAME_BYTES (3 * LIMIT_BYTES)
#define STALL_POLLS 30 /* x 10 ms without a new delivery */

/* Loop thread only, except the atomics. */
static atomic_int delivered;
static atomic_int violations; /* a frame delivered while the held ones already reached the bound */
static gr_conn *conn;
static uint64_t held_seq[FRAMES + 2];
static size_t held_len[FRAMES + 2];
static int nheld;
static size_t held_bytes;

static void on_request(gr_conn *c, uint8_t *frame, size_t len, uint64_t seq, void *ud) {
    (void)ud;
    free(frame);
    if (held_bytes >= LIMIT_BYTES) atomic_fetch_add(&violations, 1);
    if (!conn) {
        conn = c;
        gr_conn_ref(c);
    }
    if (nheld < FRAMES + 2) {
        held_seq[nheld] = seq;
        held_len[nheld] = len;
        nheld++;
        held_bytes += len;
    }
    atomic_fetch_add(&delivered, 1);
}

/* Answers everything held, newest first (the replies still leave in order). */
static void answer_held(void *ud) {
    (void)ud;
    for (int i = nheld - 1; i >= 0; i--) {
        uint8_t v[8];
        memset(v, (int)(held_seq[i] & 0xff), sizeof v);
        gr_buf b;
        test_make_reply(&b, v, sizeof v);
        held_bytes -= held_len[i];
        gr_conn_reply(conn, held_seq[i], &b);
    }
    nheld = 0;
}

static atomic_int released;

static void release_conn(void *ud) {
    (void)ud;
    if (conn) gr_conn_unref(conn);
    conn = NULL;
    atomic_store(&released, 1);
}

/* Waits until `delivered` has not moved for STALL_POLLS polls (or the deadline passes). */
static int wait_stall(void) {
    int64_t end = gr_mono_ms() + TEST_DEADLINE_MS;
    int last = -1, same = 0;
    while (gr_mono_ms() < end && same < STALL_POLLS) {
        int now = atomic_load(&delivered);
        same = now == last ? same + 1 : 0;
        last = now;
        test_sleep_ms(10);
    }
    return last;
}

typedef struct writer {
    int fd;
    int rc;
} writer;

static void *write_frames(void *arg) {
    writer *w = arg;
    uint8_t *payload = malloc(FRAME_BYTES);
    w->rc = payload ? 0 : -1;
    for (int i = 0; i < FRAMES && w->rc == 0; i++) {
        memset(payload, 'a' + i % 26, FRAME_BYTES);
        w->rc = test_send_frame(w->fd, payload, FRAME_BYTES);
    }
    free(payload);
    return NULL;
}

static void read_replies(int fd, int from, int n) {
    for (int i = from; i < from + n; i++) {
        uint32_t len = 0;
        uint8_t *got = test_recv_frame(fd, &len);
        CHECK(got && len == 8);
        CHECK(got[0] == (uint8_t)i && got[7] == (uint8_t)i);
        free(got);
    }
}

int main(void) {
    gr_server_config cfg;
    gr_server_config_defaults(&cfg);
    CHECK(cfg.conn_unanswered_max_bytes == GR_CONN_UNANSWERED_REQUEST_MAX_BYTES);
    cfg.loops = 1;
    cfg.conn_unanswered_max_bytes = LIMIT_BYTES;
    gr_server_handlers h = {NULL, on_request, NULL};
    test_server t;
    test_server_start(&t, &cfg, &h, NULL, "127.0.0.1");
    gr_loop *loop = gr_server_loop(t.srv, 0);

    int fd = test_connect("127.0.0.1", t.port);
    CHECK(fd >= 0);
    writer w = {fd, 0};
    pthread_t wt;
    CHECK(pthread_create(&wt, NULL, write_frames, &w) == 0);
    int answered = 0;
    for (int round = 0; answered < FRAMES; round++) {
        CHECK(round < FRAMES); /* bounded */
        int now = wait_stall();
        int expect = answered + PER_ROUND < FRAMES ? answered + PER_ROUND : FRAMES;
        printf("round %d: %d of %d frames delivered\n", round, now, FRAMES);
        CHECK(now == expect); /* the bound, not the in-flight count (256), stopped the reads */
        gr_loop_post(loop, answer_held, NULL);
        read_replies(fd, answered, now - answered);
        answered = now;
    }
    CHECK(pthread_join(wt, NULL) == 0);
    CHECK(w.rc == 0);
    CHECK(atomic_load(&violations) == 0);

    /* A frame above the bound on its own: taken, since nothing else is outstanding. */
    uint8_t *big = calloc(1, BIG_FRAME_BYTES);
    CHECK(big != NULL);
    CHECK(test_send_frame(fd, big, BIG_FRAME_BYTES) == 0);
    free(big);
    int64_t end = gr_mono_ms() + TEST_DEADLINE_MS;
    while (atomic_load(&delivered) < FRAMES + 1 && gr_mono_ms() < end) test_sleep_ms(1);
    CHECK(atomic_load(&delivered) == FRAMES + 1);
    uint8_t small[16] = {0};
    CHECK(test_send_frame(fd, small, sizeof small) == 0);
    CHECK(wait_stall() == FRAMES + 1); /* held behind the big one until it is answered */
    gr_loop_post(loop, answer_held, NULL);
    read_replies(fd, FRAMES, 1);
    end = gr_mono_ms() + TEST_DEADLINE_MS;
    while (atomic_load(&delivered) < FRAMES + 2 && gr_mono_ms() < end) test_sleep_ms(1);
    CHECK(atomic_load(&delivered) == FRAMES + 2);
    gr_loop_post(loop, answer_held, NULL);
    read_replies(fd, FRAMES + 1, 1);
    CHECK(atomic_load(&violations) == 0);

    close(fd);
    gr_loop_post(loop, release_conn, NULL);
    CHECK(test_wait_flag(&released, 1));
    test_server_stop(&t);
    printf("test_net_request_bytes ok\n");
    return 0;
}
