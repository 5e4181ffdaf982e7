/*
 * test_net_limits.c: what the server does with hostile or quiet clients.
 * A size above max_request_bytes or below zero closes the connection at once
 * (Kafka's socket.request.max.bytes); a frame of exactly the maximum is fine;
 * a connection with no traffic for idle_timeout_ms is closed, one waiting for
 * a reply is not; a client that announces a big frame and stops is idle too.
 */
#include "test_net_util.h"

#define MAX_REQ 100000

static atomic_int delivered, closes, held_seq_valid;
static gr_conn *held_conn;
static uint64_t held_seq;

static void on_request(gr_conn *c, uint8_t *frame, size_t len, uint64_t seq, void *ud) {
    atomic_fetch_add(&delivered, 1);
    if (len == 4 && memcmp(frame, "HOLD", 4) == 0) {
        /* Never answered while the test watches: the connection has an outstanding request. */
        gr_conn_ref(c);
        held_conn = c;
        held_seq = seq;
        atomic_store(&held_seq_valid, 1);
        free(frame);
        return;
    }
    gr_buf b;
    uint8_t lenbuf[4];
    test_put_be32(lenbuf, (uint32_t)len);
    test_make_reply(&b, lenbuf, 4); /* reply: the size we received */
    free(frame);
    gr_conn_reply(c, seq, &b);
}

static void on_close(gr_conn *c, void *ud) { atomic_fetch_add(&closes, 1); }

static void release_held(void *ud) {
    if (held_conn) {
        gr_conn_reply_none(held_conn, held_seq);
        gr_conn_unref(held_conn);
        held_conn = NULL;
    }
}

static uint32_t roundtrip_size(int fd) {
    uint32_t len;
    uint8_t *got = test_recv_frame(fd, &len);
    CHECK(got && len == 4);
    uint32_t v = test_get_be32(got);
    free(got);
    return v;
}

int main(void) {
    gr_server_config cfg;
    gr_server_config_defaults(&cfg);
    cfg.loops = 2;
    cfg.max_request_bytes = MAX_REQ;
    cfg.idle_timeout_ms = 300;
    gr_server_handlers h = {NULL, on_request, on_close};
    test_server t;
    test_server_start(&t, &cfg, &h, NULL, "127.0.0.1");
    int expect_closes = 0;

    /* Exactly the maximum and zero bytes are accepted. */
    int fd = test_connect("127.0.0.1", t.port);
    CHECK(fd >= 0);
    uint8_t *big = calloc(1, MAX_REQ);
    CHECK(big);
    CHECK(test_send_frame(fd, big, MAX_REQ) == 0);
    CHECK(roundtrip_size(fd) == MAX_REQ);
    CHECK(test_send_frame(fd, big, 0) == 0);
    CHECK(roundtrip_size(fd) == 0);

    /* One byte over: closed without a reply. */
    CHECK(test_send_frame(fd, big, MAX_REQ + 1) == 0 || 1);
    CHECK(test_wait_closed(fd));
    close(fd);
    CHECK(test_wait_flag(&closes, ++expect_closes));

    /* Negative size. */
    fd = test_connect("127.0.0.1", t.port);
    CHECK(fd >= 0);
    uint8_t neg[4] = {0xff, 0xff, 0xff, 0xfe};
    CHECK(test_write_all(fd, neg, 4) == 0);
    CHECK(test_wait_closed(fd));
    close(fd);
    CHECK(test_wait_flag(&closes, ++expect_closes));

    /* Huge announced size: closed before any allocation of that size. */
    fd = test_connect("127.0.0.1", t.port);
    CHECK(fd >= 0);
    uint8_t huge[4] = {0x7f, 0xff, 0xff, 0xff};
    CHECK(test_write_all(fd, huge, 4) == 0);
    CHECK(test_wait_closed(fd));
    close(fd);
    CHECK(test_wait_flag(&closes, ++expect_closes));

    /* Idle: a quiet connection is closed by the server. */
    fd = test_connect("127.0.0.1", t.port);
    CHECK(fd >= 0);
    CHECK(test_send_frame(fd, "x", 1) == 0);
    CHECK(roundtrip_size(fd) == 1);
    CHECK(test_wait_closed(fd));
    close(fd);
    CHECK(test_wait_flag(&closes, ++expect_closes));

    /* A half-sent frame does not keep a connection alive. */
    fd = test_connect("127.0.0.1", t.port);
    CHECK(fd >= 0);
    uint8_t partial[4 + 10] = {0, 0, 0x10, 0};
    CHECK(test_write_all(fd, partial, sizeof partial) == 0);
    CHECK(test_wait_closed(fd));
    close(fd);
    CHECK(test_wait_flag(&closes, ++expect_closes));

    /* A connection waiting for a reply is not idle, however long the wait. */
    fd = test_connect("127.0.0.1", t.port);
    CHECK(fd >= 0);
    CHECK(test_send_frame(fd, "HOLD", 4) == 0);
    CHECK(test_wait_flag(&held_seq_valid, 1));
    test_set_timeouts(fd, 1200); /* four idle timeouts */
    uint8_t tmp[1];
    ssize_t r = recv(fd, tmp, 1, 0);
    CHECK(r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)); /* still open, nothing sent */
    CHECK(atomic_load(&closes) == expect_closes);
    test_set_timeouts(fd, TEST_DEADLINE_MS);
    gr_loop_post(gr_server_loop(t.srv, 0), release_held, NULL);
    gr_loop_post(gr_server_loop(t.srv, 1), release_held, NULL);
    /* ...and once answered, it idles out like any other. */
    CHECK(test_wait_closed(fd));
    close(fd);
    CHECK(test_wait_flag(&closes, ++expect_closes));

    free(big);
    test_server_stop(&t);
    printf("test_net_limits ok\n");
    return 0;
}
