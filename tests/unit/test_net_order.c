/*
 * test_net_order.c: replies leave in request order whatever order they are given in.
 * Each request is answered from a timer with a random delay (so later requests are
 * often answered first); some get no reply at all (gr_conn_reply_none); then
 * gr_conn_close_after closes the connection once earlier replies are out.
 */
#include "test_net_util.h"

typedef struct pending {
    gr_conn *c;
    uint64_t seq;
    uint8_t *frame;
    size_t len;
} pending;

static atomic_int delivered, closes;
static atomic_int seq_errors;
static uint64_t expect_seq; /* one connection at a time; only its loop thread touches it */

static void answer(void *ud) {
    pending *p = ud;
    if (!gr_conn_is_closed(p->c)) {
        if (p->len >= 4 && memcmp(p->frame, "NONE", 4) == 0) {
            gr_conn_reply_none(p->c, p->seq);
        } else if (p->len >= 5 && memcmp(p->frame, "CLOSE", 5) == 0) {
            gr_conn_close_after(p->c, p->seq);
        } else {
            gr_buf b;
            test_make_reply(&b, p->frame, p->len);
            gr_conn_reply(p->c, p->seq, &b);
        }
    }
    gr_conn_unref(p->c);
    free(p->frame);
    free(p);
}

static void on_request(gr_conn *c, uint8_t *frame, size_t len, uint64_t seq, void *ud) {
    if (seq != expect_seq) atomic_fetch_add(&seq_errors, 1);
    expect_seq = seq + 1;
    atomic_fetch_add(&delivered, 1);
    pending *p = malloc(sizeof *p);
    CHECK(p);
    *p = (pending){c, seq, frame, len};
    gr_conn_ref(c); /* the timer holds the connection */
    if (len >= 4 && memcmp(frame, "SYNC", 4) == 0)
        answer(p); /* some answered synchronously, mixed with delayed ones */
    else
        gr_loop_timer_add(gr_conn_loop(c), rand() % 40, answer, p);
}

static void on_open(gr_conn *c, void *ud) { expect_seq = 0; }
static void on_close(gr_conn *c, void *ud) { atomic_fetch_add(&closes, 1); }

static int make_msg(char *buf, size_t size, int i) {
    if (i % 7 == 3) return snprintf(buf, size, "NONE-%d", i);
    if (i % 5 == 1) return snprintf(buf, size, "SYNC-%d", i);
    return snprintf(buf, size, "msg-%d-%.*s", i, i % 50,
                    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
}

int main(void) {
    srand(12345);
    gr_server_config cfg;
    gr_server_config_defaults(&cfg);
    cfg.loops = 1;
    gr_server_handlers h = {on_open, on_request, on_close};
    test_server t;
    test_server_start(&t, &cfg, &h, NULL, "127.0.0.1");

    /* 1. Pipeline 300 requests (more than GR_CONN_INFLIGHT_REQUESTS_MAX) in one write. */
    int fd = test_connect("127.0.0.1", t.port);
    CHECK(fd >= 0);
    enum { N = 300 };
    gr_buf out;
    gr_buf_init(&out);
    for (int i = 0; i < N; i++) {
        char msg[128];
        int n = make_msg(msg, sizeof msg, i);
        gr_buf_put_i32(&out, n);
        gr_buf_put(&out, msg, (size_t)n);
    }
    CHECK(test_write_all(fd, out.data, out.len) == 0);
    gr_buf_free(&out);
    for (int i = 0; i < N; i++) {
        char msg[128];
        int n = make_msg(msg, sizeof msg, i);
        if (memcmp(msg, "NONE", 4) == 0) continue;
        uint32_t len;
        uint8_t *got = test_recv_frame(fd, &len);
        CHECK(got);
        if (len != (uint32_t)n || memcmp(got, msg, len) != 0) {
            fprintf(stderr, "reply %d out of order: got '%.*s' want '%s'\n", i, (int)len, got, msg);
            return 1;
        }
        free(got);
    }
    CHECK(atomic_load(&delivered) == N);

    /* 2. close_after: replies before the CLOSE request arrive, then EOF; later requests are dropped. */
    atomic_store(&delivered, 0);
    gr_buf_init(&out);
    const char *msgs[] = {"a-1", "b-2", "CLOSE", "c-3", "d-4"};
    for (int i = 0; i < 5; i++) {
        gr_buf_put_i32(&out, (int32_t)strlen(msgs[i]));
        gr_buf_put(&out, msgs[i], strlen(msgs[i]));
    }
    CHECK(test_write_all(fd, out.data, out.len) == 0);
    gr_buf_free(&out);
    for (int i = 0; i < 2; i++) {
        uint32_t len;
        uint8_t *got = test_recv_frame(fd, &len);
        CHECK(got && len == strlen(msgs[i]) && memcmp(got, msgs[i], len) == 0);
        free(got);
    }
    CHECK(test_wait_closed(fd));
    close(fd);
    CHECK(test_wait_flag(&closes, 1));
    CHECK(atomic_load(&seq_errors) == 0);

    test_server_stop(&t);
    printf("test_net_order ok\n");
    return 0;
}
