/*
 * test_net_echo.c: frames in, replies out. An echo server over IPv4 and IPv6,
 * pipelined requests, the peer address format, zero-length frames, posting to
 * loops from other threads (with post_all coalescing) and loop timers.
 */
#include "test_net_util.h"

static atomic_int opened, closed_count, requests;
static char last_peer[64];
static pthread_mutex_t peer_mu = PTHREAD_MUTEX_INITIALIZER;

static void on_open(gr_conn *c, void *ud) {
    CHECK(gr_loop_current() == gr_conn_loop(c));
    pthread_mutex_lock(&peer_mu);
    snprintf(last_peer, sizeof last_peer, "%s", gr_conn_peer(c));
    pthread_mutex_unlock(&peer_mu);
    atomic_fetch_add(&opened, 1);
}

static void on_request(gr_conn *c, uint8_t *frame, size_t len, uint64_t seq, void *ud) {
    CHECK(gr_loop_current() == gr_conn_loop(c));
    atomic_fetch_add(&requests, 1);
    gr_buf b;
    test_make_reply(&b, frame, len);
    free(frame);
    gr_conn_reply(c, seq, &b);
    CHECK(b.data == NULL && b.len == 0); /* contents taken over */
}

static void on_close(gr_conn *c, void *ud) {
    CHECK(gr_conn_is_closed(c));
    atomic_fetch_add(&closed_count, 1);
}

static void echo_roundtrips(const char *host, int port, const char *want_peer) {
    int fd = test_connect(host, port);
    CHECK(fd >= 0);
    for (int i = 0; i < 50; i++) {
        char msg[64];
        int n = snprintf(msg, sizeof msg, "hello %d from %s", i, host);
        CHECK(test_send_frame(fd, msg, (uint32_t)n) == 0);
        uint32_t len;
        uint8_t *got = test_recv_frame(fd, &len);
        CHECK(got && len == (uint32_t)n && memcmp(got, msg, len) == 0);
        free(got);
    }
    pthread_mutex_lock(&peer_mu);
    CHECK(strcmp(last_peer, want_peer) == 0);
    pthread_mutex_unlock(&peer_mu);
    close(fd);
}

/* 200 requests in one write, with a zero-length frame among them; answers in order. */
static void pipelined(int port) {
    int fd = test_connect("127.0.0.1", port);
    CHECK(fd >= 0);
    enum { N = 200 };
    gr_buf out;
    gr_buf_init(&out);
    for (int i = 0; i < N; i++) {
        char msg[32];
        int n = i == 7 ? 0 : snprintf(msg, sizeof msg, "req-%d", i);
        gr_buf_put_i32(&out, n);
        gr_buf_put(&out, msg, (size_t)n);
    }
    CHECK(test_write_all(fd, out.data, out.len) == 0);
    gr_buf_free(&out);
    for (int i = 0; i < N; i++) {
        char msg[32];
        int n = i == 7 ? 0 : snprintf(msg, sizeof msg, "req-%d", i);
        uint32_t len;
        uint8_t *got = test_recv_frame(fd, &len);
        CHECK(got && len == (uint32_t)n && memcmp(got, msg, len) == 0);
        free(got);
    }
    close(fd);
}

/* A frame written one byte at a time still arrives whole. */
static void trickle(int port) {
    int fd = test_connect("127.0.0.1", port);
    CHECK(fd >= 0);
    uint8_t frame[4 + 5] = {0, 0, 0, 5, 'a', 'b', 'c', 'd', 'e'};
    for (size_t i = 0; i < sizeof frame; i++) CHECK(test_write_all(fd, frame + i, 1) == 0);
    uint32_t len;
    uint8_t *got = test_recv_frame(fd, &len);
    CHECK(got && len == 5 && memcmp(got, "abcde", 5) == 0);
    free(got);
    close(fd);
}

/* ---- posting and timers ---- */

typedef struct post_state {
    gr_server *srv;
    atomic_int ran;
    atomic_int wrong_thread;
    gr_loop *loop;
    atomic_int order_ok;
    atomic_int next_expected;
} post_state;

static post_state ps;

static void posted(void *ud) {
    int v = (int)(intptr_t)ud;
    if (gr_loop_current() != ps.loop) atomic_fetch_add(&ps.wrong_thread, 1);
    if (atomic_load(&ps.next_expected) != v) atomic_store(&ps.order_ok, 0);
    atomic_fetch_add(&ps.next_expected, 1);
    atomic_fetch_add(&ps.ran, 1);
}

static void *poster(void *arg) {
    for (int i = 0; i < 1000; i++) gr_loop_post(ps.loop, posted, (void *)(intptr_t)i);
    return NULL;
}

static atomic_int all_ran;
static atomic_int all_loops_seen[8];
static void on_all(void *ud) {
    atomic_fetch_add(&all_ran, 1);
    atomic_fetch_add(&all_loops_seen[gr_loop_index(gr_loop_current())], 1);
}

/* Timers: fire in deadline order, cancelled ones never fire, cancel of a fired id fails. */
static int timer_log[16];
static atomic_int timer_n;
static uint64_t cancel_me, fired_id;
static atomic_int timers_done;

static void timer_cb(void *ud) {
    int n = atomic_fetch_add(&timer_n, 1);
    if (n < 16) timer_log[n] = (int)(intptr_t)ud;
}

static void timer_last(void *ud) {
    gr_loop *l = gr_loop_current();
    CHECK(!gr_loop_timer_cancel(l, fired_id)); /* already ran */
    CHECK(!gr_loop_timer_cancel(l, 0));
    atomic_store(&timers_done, 1);
}

static void arm_timers(void *ud) {
    gr_loop *l = gr_loop_current();
    CHECK(l != NULL);
    gr_loop_timer_add(l, 30, timer_cb, (void *)3);
    gr_loop_timer_add(l, 10, timer_cb, (void *)1);
    cancel_me = gr_loop_timer_add(l, 15, timer_cb, (void *)99);
    gr_loop_timer_add(l, 20, timer_cb, (void *)2);
    fired_id = gr_loop_timer_add(l, 0, timer_cb, (void *)0);
    gr_loop_timer_add(l, 0, timer_cb, (void *)100); /* same deadline as the one before: fires after it */
    CHECK(cancel_me != 0 && fired_id != 0);
    CHECK(gr_loop_timer_cancel(l, cancel_me));
    CHECK(!gr_loop_timer_cancel(l, cancel_me));
    gr_loop_timer_add(l, 60, timer_last, NULL);
}

static void posts_and_timers(gr_server *srv) {
    ps.srv = srv;
    ps.loop = gr_server_loop(srv, 1);
    atomic_store(&ps.order_ok, 1);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, poster, NULL) == 0);
    CHECK(pthread_join(th, NULL) == 0);
    CHECK(test_wait_flag(&ps.ran, 1000));
    CHECK(atomic_load(&ps.wrong_thread) == 0);
    CHECK(atomic_load(&ps.order_ok) == 1);

    int nloops = gr_server_loop_count(srv);
    for (int i = 0; i < 10000; i++) gr_server_post_all(srv, on_all, NULL);
    /* Coalescing means at most 10000 runs per loop and at least one; never lost. */
    int64_t end = gr_mono_ms() + TEST_DEADLINE_MS;
    for (int i = 0; i < nloops; i++)
        while (atomic_load(&all_loops_seen[i]) == 0 && gr_mono_ms() < end) test_sleep_ms(1);
    for (int i = 0; i < nloops; i++) CHECK(atomic_load(&all_loops_seen[i]) >= 1);
    CHECK(atomic_load(&all_ran) <= 10000 * nloops);
    printf("post_all: 10000 calls x %d loops ran %d times\n", nloops, atomic_load(&all_ran));

    gr_loop_post(gr_server_loop(srv, 0), arm_timers, NULL);
    CHECK(test_wait_flag(&timers_done, 1));
    CHECK(atomic_load(&timer_n) == 5);
    int want[5] = {0, 100, 1, 2, 3};
    for (int i = 0; i < 5; i++) CHECK(timer_log[i] == want[i]);
}

static bool have_ipv6(void) {
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    if (fd < 0) return false;
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

int main(void) {
    gr_server_config cfg;
    gr_server_config_defaults(&cfg);
    cfg.loops = 3;
    gr_server_handlers h = {on_open, on_request, on_close};
    test_server t;
    test_server_start(&t, &cfg, &h, NULL, "127.0.0.1");
    CHECK(gr_server_loop_count(t.srv) == 3);
    bool v6 = have_ipv6();
    int port6 = v6 ? gr_server_listen(t.srv, "::1", 0) : -1;
    CHECK(!v6 || port6 > 0);

    echo_roundtrips("127.0.0.1", t.port, "/127.0.0.1");
    if (v6)
        echo_roundtrips("::1", port6, "/0:0:0:0:0:0:0:1");
    else
        printf("no IPv6 loopback: skipping ::1\n");
    pipelined(t.port);
    trickle(t.port);
    posts_and_timers(t.srv);

    int conns = v6 ? 4 : 3;
    CHECK(test_wait_flag(&closed_count, conns));
    test_server_stop(&t);
    CHECK(atomic_load(&opened) == conns);
    CHECK(atomic_load(&closed_count) == conns);

    /* A server that never ran can be freed; a listen on a taken port fails. */
    gr_server *s2 = gr_server_new(&cfg, &h, NULL);
    CHECK(s2 != NULL);
    int p = gr_server_listen(s2, "127.0.0.1", 0);
    CHECK(p > 0);
    gr_server *s3 = gr_server_new(&cfg, &h, NULL);
    CHECK(gr_server_listen(s3, "127.0.0.1", p) < 0);
    gr_server_free(s3);
    gr_server_free(s2);
    printf("test_net_echo ok (%d requests)\n", atomic_load(&requests));
    return 0;
}
