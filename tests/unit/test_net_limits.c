/*
 * test_net_limits.c: what the server does with hostile or quiet clients.
 * A size above max_request_bytes or below zero closes the connection at once
 * (Kafka's socket.request.max.bytes); a frame of exactly the maximum is fine;
 * a connection with no traffic for idle_timeout_ms is closed, one waiting for
 * a reply is not; a client that announces a big frame and stops, or one that
 * stops reading its replies, is idle too. A reply with a wrong size prefix closes.
 */
#include "test_net_util.h"

#define MAX_REQ 100000
#define BIG_REPLY_BYTES (48 * 1024 * 1024)

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
    if (len == 3 && memcmp(frame, "BIG", 3) == 0) {
        /* More than socket buffers hold, so most of it stays queued while the client sleeps. */
        free(frame);
        gr_buf_init(&b);
        gr_buf_put_i32(&b, BIG_REPLY_BYTES);
        CHECK(gr_buf_reserve(&b, BIG_REPLY_BYTES));
        memset(b.data + b.len, 'b', BIG_REPLY_BYTES);
        b.len += BIG_REPLY_BYTES;
        gr_conn_reply(c, seq, &b);
        return;
    }
    if (len == 7 && memcmp(frame, "BADSIZE", 7) == 0) {
        free(frame);
        gr_buf_init(&b);
        gr_buf_put_i32(&b, 10); /* claims 10 bytes, carries 3: must never reach the client */
        gr_buf_put(&b, "abc", 3);
        gr_conn_reply(c, seq, &b);
        return;
    }
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
    uint8_t *big = calloc(1, MAX_REQ + 1);
    CHECK(big);
    CHECK(test_send_frame(fd, big, MAX_REQ) == 0);
    CHECK(roundtrip_size(fd) == MAX_REQ);
    CHECK(test_send_frame(fd, big, 0) == 0);
    CHECK(roundtrip_size(fd) == 0);

    /* One byte over: closed without a reply. */
    (void)test_send_frame(fd, big, MAX_REQ + 1); /* may fail part-way: the server closes early */
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
    gr_loop_post(gr_conn_loop(held_conn), release_held, NULL); /* the conn is touched on its own loop only */
    /* ...and once answered, it idles out like any other. */
    CHECK(test_wait_closed(fd));
    close(fd);
    CHECK(test_wait_flag(&closes, ++expect_closes));

    /* A reply whose size prefix lies is not sent; the connection is closed instead. */
    fd = test_connect("127.0.0.1", t.port);
    CHECK(fd >= 0);
    CHECK(test_send_frame(fd, "BADSIZE", 7) == 0);
    CHECK(test_wait_closed(fd));
    close(fd);
    CHECK(test_wait_flag(&closes, ++expect_closes));

    /* A client that stops reading its replies moves no bytes: it idles out too, freeing the queue. */
    fd = test_connect("127.0.0.1", t.port);
    CHECK(fd >= 0);
    CHECK(test_send_frame(fd, "BIG", 3) == 0);
    CHECK(test_wait_flag(&closes, ++expect_closes));
    close(fd);

    free(big);
    test_server_stop(&t);
    printf("test_net_limits ok\n");
    return 0;
}
