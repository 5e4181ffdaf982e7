/*
 * test_net_many.c: many connections over several loops, then a stop while
 * connections are open. Connections are spread evenly over the loops; each
 * loop only ever sees its own connections; a stop (here from a signal handler)
 * lets a reply that is due shortly go out, closes every connection exactly
 * once and makes gr_server_run return.
 */
#include <signal.h>

#include "test_net_util.h"

#define LOOPS 4
#define CLIENT_THREADS 4
#define CONNS_PER_THREAD 16
#define REQS_PER_CONN 40

static atomic_int per_loop[LOOPS];
static atomic_int opened, closed_count, wrong_loop;
static atomic_int held_refs;
static gr_server *the_server;

typedef struct conn_state {
    gr_loop *loop;
    bool holding;
} conn_state;

static void on_open(gr_conn *c, void *ud) {
    conn_state *st = calloc(1, sizeof *st);
    CHECK(st);
    st->loop = gr_loop_current();
    gr_conn_set_user(c, st);
    atomic_fetch_add(&per_loop[gr_loop_index(gr_conn_loop(c))], 1);
    atomic_fetch_add(&opened, 1);
}

typedef struct later {
    gr_conn *c;
    uint64_t seq;
} later;

static void reply_later(void *ud) {
    later *l = ud;
    gr_buf b;
    test_make_reply(&b, "late", 4);
    gr_conn_reply(l->c, l->seq, &b);
    gr_conn_unref(l->c);
    free(l);
}

static void on_request(gr_conn *c, uint8_t *frame, size_t len, uint64_t seq, void *ud) {
    conn_state *st = gr_conn_user(c);
    if (st->loop != gr_loop_current()) atomic_fetch_add(&wrong_loop, 1);
    if (len == 4 && memcmp(frame, "HOLD", 4) == 0) {
        /* never answered: the stop has to give up on it */
        if (!st->holding) {
            st->holding = true;
            gr_conn_ref(c);
            atomic_fetch_add(&held_refs, 1);
        }
    } else if (len == 5 && memcmp(frame, "LATER", 5) == 0) {
        later *l = malloc(sizeof *l);
        CHECK(l);
        l->c = c;
        l->seq = seq;
        gr_conn_ref(c);
        gr_loop_timer_add(gr_conn_loop(c), 200, reply_later, l);
    } else {
        gr_buf b;
        test_make_reply(&b, frame, len);
        gr_conn_reply(c, seq, &b);
    }
    free(frame);
}

static void on_close(gr_conn *c, void *ud) {
    conn_state *st = gr_conn_user(c);
    if (st->holding) {
        gr_conn_unref(c);
        atomic_fetch_sub(&held_refs, 1);
    }
    free(st);
    gr_conn_set_user(c, NULL);
    atomic_fetch_add(&closed_count, 1);
}

static int g_port;

static void *client(void *arg) {
    int id = (int)(intptr_t)arg;
    int fds[CONNS_PER_THREAD];
    for (int i = 0; i < CONNS_PER_THREAD; i++) {
        fds[i] = test_connect("127.0.0.1", g_port);
        CHECK(fds[i] >= 0);
    }
    for (int r = 0; r < REQS_PER_CONN; r++) {
        for (int i = 0; i < CONNS_PER_THREAD; i++) {
            char msg[64];
            int n = snprintf(msg, sizeof msg, "t%d c%d r%d", id, i, r);
            CHECK(test_send_frame(fds[i], msg, (uint32_t)n) == 0);
        }
        for (int i = 0; i < CONNS_PER_THREAD; i++) {
            char msg[64];
            int n = snprintf(msg, sizeof msg, "t%d c%d r%d", id, i, r);
            uint32_t len;
            uint8_t *got = test_recv_frame(fds[i], &len);
            CHECK(got && len == (uint32_t)n && memcmp(got, msg, len) == 0);
            free(got);
        }
    }
    for (int i = 0; i < CONNS_PER_THREAD; i++) close(fds[i]);
    return NULL;
}

static void on_signal(int sig) { gr_server_stop(the_server); }

int main(void) {
    gr_server_config cfg;
    gr_server_config_defaults(&cfg);
    cfg.loops = LOOPS;
    gr_server_handlers h = {on_open, on_request, on_close};
    test_server t;
    test_server_start(&t, &cfg, &h, NULL, "127.0.0.1");
    the_server = t.srv;
    g_port = t.port;

    pthread_t th[CLIENT_THREADS];
    for (int i = 0; i < CLIENT_THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, client, (void *)(intptr_t)i) == 0);
    for (int i = 0; i < CLIENT_THREADS; i++) CHECK(pthread_join(th[i], NULL) == 0);
    int total = CLIENT_THREADS * CONNS_PER_THREAD;
    CHECK(test_wait_flag(&closed_count, total));
    for (int i = 0; i < LOOPS; i++) {
        printf("loop %d: %d connections\n", i, atomic_load(&per_loop[i]));
        CHECK(atomic_load(&per_loop[i]) == total / LOOPS); /* round-robin placement */
    }
    CHECK(atomic_load(&wrong_loop) == 0);

    /* Stop with connections open: idle ones, ones waiting forever, one whose reply is due soon. */
    enum { IDLE = 10, HOLDING = 5 };
    int idle[IDLE], holding[HOLDING];
    for (int i = 0; i < IDLE; i++) CHECK((idle[i] = test_connect("127.0.0.1", g_port)) >= 0);
    for (int i = 0; i < HOLDING; i++) {
        CHECK((holding[i] = test_connect("127.0.0.1", g_port)) >= 0);
        CHECK(test_send_frame(holding[i], "HOLD", 4) == 0);
    }
    int late = test_connect("127.0.0.1", g_port);
    CHECK(late >= 0);
    CHECK(test_send_frame(late, "LATER", 5) == 0);
    int before = total;
    CHECK(test_wait_flag(&opened, before + IDLE + HOLDING + 1));
    CHECK(test_wait_flag(&held_refs, HOLDING));

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1); /* gr_server_stop from a signal handler */
    CHECK(pthread_join(t.thread, NULL) == 0);
    CHECK(t.rc == 0);

    uint32_t len;
    uint8_t *got = test_recv_frame(late, &len); /* flushed before the close */
    CHECK(got && len == 4 && memcmp(got, "late", 4) == 0);
    free(got);
    CHECK(test_wait_closed(late));
    for (int i = 0; i < IDLE; i++) CHECK(test_wait_closed(idle[i]));
    for (int i = 0; i < HOLDING; i++) CHECK(test_wait_closed(holding[i]));
    CHECK(atomic_load(&closed_count) == atomic_load(&opened));
    CHECK(atomic_load(&held_refs) == 0);

    /* Connecting after the stop: refused (listener closed at free) or closed at once. */
    gr_server_free(t.srv);
    int fd = test_connect("127.0.0.1", g_port);
    if (fd >= 0) {
        CHECK(test_wait_closed(fd));
        close(fd);
    }
    close(late);
    for (int i = 0; i < IDLE; i++) close(idle[i]);
    for (int i = 0; i < HOLDING; i++) close(holding[i]);
    printf("test_net_many ok\n");
    return 0;
}
