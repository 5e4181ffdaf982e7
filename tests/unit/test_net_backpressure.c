/*
 * test_net_backpressure.c: a client that does not read its responses is throttled.
 * The server stops taking requests once a connection's queued output passes
 * conn_output_max_bytes, or once GR_CONN_INFLIGHT_REQUESTS_MAX requests await a
 * reply; both resume when the client drains, and every reply arrives in order.
 */
#include "base/limits.h"
#include "net/conn.h" /* to watch the connection's queued bytes from inside */
#include "test_net_util.h"

#define OUT_MAX (1024 * 1024)
#define REPLY_BYTES (256 * 1024)
#define N_BIG 200
#define N_HOLD (GR_CONN_INFLIGHT_REQUESTS_MAX + 44)

static atomic_int delivered;
static size_t max_out_seen; /* loop thread only (one loop) */
static gr_conn *held_conn;
static uint64_t held[GR_CONN_INFLIGHT_REQUESTS_MAX];
static int nheld;

static void on_request(gr_conn *c, uint8_t *frame, size_t len, uint64_t seq, void *ud) {
    atomic_fetch_add(&delivered, 1);
    if (c->out_bytes > max_out_seen) max_out_seen = c->out_bytes;
    char kind = len ? (char)frame[0] : '?';
    free(frame);
    if (kind == 'H' && nheld < GR_CONN_INFLIGHT_REQUESTS_MAX) {
        if (!held_conn) {
            held_conn = c;
            gr_conn_ref(c);
        }
        held[nheld++] = seq;
        return;
    }
    gr_buf b;
    gr_buf_init(&b);
    size_t n = kind == 'B' ? REPLY_BYTES : 8;
    gr_buf_put_i32(&b, (int32_t)n);
    CHECK(gr_buf_reserve(&b, n));
    memset(b.data + b.len, (int)(seq & 0xff), n); /* content identifies the request */
    b.len += n;
    gr_conn_reply(c, seq, &b);
}

static void answer_held(void *ud) {
    for (int i = nheld - 1; i >= 0; i--) { /* newest first: order must still come out right */
        gr_buf b;
        gr_buf_init(&b);
        gr_buf_put_i32(&b, 8);
        uint8_t v[8];
        memset(v, (int)(held[i] & 0xff), 8);
        gr_buf_put(&b, v, 8);
        gr_conn_reply(held_conn, held[i], &b);
    }
    gr_conn_unref(held_conn);
}

static void read_replies(int fd, int n, uint32_t size) {
    for (int i = 0; i < n; i++) {
        uint32_t len;
        uint8_t *got = test_recv_frame(fd, &len);
        CHECK(got && len == size);
        CHECK(got[0] == (uint8_t)i && got[len - 1] == (uint8_t)i);
        free(got);
    }
}

/* Waits until `delivered` has not moved for a while (or the deadline passes). */
static int wait_stall(void) {
    int64_t end = gr_mono_ms() + TEST_DEADLINE_MS;
    int last = -1, same = 0;
    while (gr_mono_ms() < end && same < 30) {
        int now = atomic_load(&delivered);
        same = now == last ? same + 1 : 0;
        last = now;
        test_sleep_ms(10);
    }
    return last;
}

int main(void) {
    gr_server_config cfg;
    gr_server_config_defaults(&cfg);
    cfg.loops = 1;
    cfg.conn_output_max_bytes = OUT_MAX;
    gr_server_handlers h = {NULL, on_request, NULL};
    test_server t;
    test_server_start(&t, &cfg, &h, NULL, "127.0.0.1");

    /* Output bound: 200 requests for 256 KiB each (50 MiB) and the client reads nothing. */
    int fd = test_connect("127.0.0.1", t.port);
    CHECK(fd >= 0);
    gr_buf reqs;
    gr_buf_init(&reqs);
    for (int i = 0; i < N_BIG; i++) {
        gr_buf_put_i32(&reqs, 1);
        gr_buf_put(&reqs, "B", 1);
    }
    CHECK(test_write_all(fd, reqs.data, reqs.len) == 0);
    gr_buf_free(&reqs);
    int stalled = wait_stall();
    printf("output bound: %d of %d requests taken while the client did not read\n", stalled, N_BIG);
    CHECK(stalled < N_BIG);
    read_replies(fd, N_BIG, REPLY_BYTES);
    CHECK(atomic_load(&delivered) == N_BIG);
    /* Requests were only taken while queued output was within the bound. */
    CHECK(max_out_seen <= OUT_MAX);
    close(fd);

    /* In-flight bound: requests nobody answers yet stop further reads at the limit. */
    atomic_store(&delivered, 0);
    fd = test_connect("127.0.0.1", t.port);
    CHECK(fd >= 0);
    gr_buf_init(&reqs);
    for (int i = 0; i < N_HOLD; i++) {
        gr_buf_put_i32(&reqs, 1);
        gr_buf_put(&reqs, "H", 1);
    }
    CHECK(test_write_all(fd, reqs.data, reqs.len) == 0);
    gr_buf_free(&reqs);
    CHECK(wait_stall() == GR_CONN_INFLIGHT_REQUESTS_MAX);
    gr_loop_post(gr_server_loop(t.srv, 0), answer_held, NULL);
    read_replies(fd, N_HOLD, 8);
    CHECK(atomic_load(&delivered) == N_HOLD);
    close(fd);

    test_server_stop(&t);
    printf("test_net_backpressure ok\n");
    return 0;
}
