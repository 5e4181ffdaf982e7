/*
 * server.c: creating, running and stopping the set of loops.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "net/loop.h"

void gr_server_config_defaults(gr_server_config *c) {
    memset(c, 0, sizeof *c);
    c->loops = 0;
    c->idle_timeout_ms = GR_CONNECTIONS_MAX_IDLE_MS_DEFAULT;
    c->max_request_bytes = GR_SOCKET_REQUEST_MAX_BYTES_DEFAULT;
    c->conn_output_max_bytes = GR_CONN_OUTPUT_MAX_BYTES;
    c->conn_unanswered_max_bytes = GR_CONN_UNANSWERED_REQUEST_MAX_BYTES;
}

static int online_cores(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > GR_NET_LOOPS_MAX ? GR_NET_LOOPS_MAX : (int)n;
}

gr_server *gr_server_new(const gr_server_config *cfg, const gr_server_handlers *h, void *ud) {
    if (!h || !h->on_request) return NULL;
    gr_server *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    gr_server_config_defaults(&s->cfg);
    if (cfg) {
        s->cfg.loops = cfg->loops;
        if (cfg->idle_timeout_ms) s->cfg.idle_timeout_ms = cfg->idle_timeout_ms;
        if (cfg->max_request_bytes > 0) s->cfg.max_request_bytes = cfg->max_request_bytes;
        if (cfg->conn_output_max_bytes) s->cfg.conn_output_max_bytes = cfg->conn_output_max_bytes;
        if (cfg->conn_unanswered_max_bytes) s->cfg.conn_unanswered_max_bytes = cfg->conn_unanswered_max_bytes;
    }
    if (s->cfg.loops <= 0) s->cfg.loops = online_cores();
    if (s->cfg.loops > GR_NET_LOOPS_MAX) s->cfg.loops = GR_NET_LOOPS_MAX;
    s->h = *h;
    s->ud = ud;
    atomic_init(&s->stop_requested, false);
    atomic_init(&s->next_loop, 0);
    pthread_mutex_init(&s->listen_mu, NULL); /* cannot fail with default attributes */

    /* A write to a socket the peer closed must fail with EPIPE, not kill the process.
       sendmsg passes MSG_NOSIGNAL, but sendfile has no such flag. */
    struct sigaction old;
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL) signal(SIGPIPE, SIG_IGN);

    s->loops = calloc((size_t)s->cfg.loops, sizeof *s->loops);
    if (!s->loops) goto fail;
    for (int i = 0; i < s->cfg.loops; i++) {
        /* Separate allocations: loops touch their own state from different cores. */
        gr_loop *l = calloc(1, sizeof *l);
        if (!l) goto fail;
        s->loops[i] = l;
        s->nloops = i + 1;
        if (gr_loop_init(l, s, i) < 0) {
            GR_ERROR("net", "cannot create event loop: %s", strerror(errno));
            goto fail;
        }
    }
    return s;
fail:
    gr_server_free(s);
    return NULL;
}

static void *loop_thread(void *arg) {
    gr_loop_run(arg);
    return NULL;
}

int gr_server_run(gr_server *s) {
    /* Loop threads other than the caller's take no asynchronous signals: a handler (such
       as one calling gr_server_stop) runs on the thread that called gr_server_run. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = 0;
    for (int i = 1; i < s->nloops; i++) {
        if (pthread_create(&s->loops[i]->thread, NULL, loop_thread, s->loops[i]) != 0) {
            GR_ERROR("net", "cannot start event-loop thread %d", i);
            rc = -1;
            gr_server_stop(s);
            break;
        }
        s->loops[i]->thread_started = true;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    gr_loop_run(s->loops[0]);
    for (int i = 1; i < s->nloops; i++) {
        if (s->loops[i]->thread_started) pthread_join(s->loops[i]->thread, NULL);
        s->loops[i]->thread_started = false;
    }
    return rc;
}

void gr_server_stop(gr_server *s) {
    atomic_store(&s->stop_requested, true);
    for (int i = 0; i < s->nloops; i++) gr_loop_wake(s->loops[i]);
}

void gr_server_post_all(gr_server *s, void (*fn)(void *ud), void *ud) {
    for (int i = 0; i < s->nloops; i++) {
        if (!gr_loop_post_item(s->loops[i], fn, ud, true)) GR_ERROR("net", "out of memory: post lost");
    }
}

int gr_server_loop_count(gr_server *s) { return s->nloops; }
gr_loop *gr_server_loop(gr_server *s, int i) { return i >= 0 && i < s->nloops ? s->loops[i] : NULL; }

void gr_server_free(gr_server *s) {
    if (!s) return;
    for (int i = 0; i < s->nloops; i++) {
        gr_loop *l = s->loops[i];
        if (l->wakefd < 0) continue; /* creation failed half-way */
        /* Functions posted after the loop exited still run, so they can release what they hold. */
        gr_loop *prev = gr_tl_loop;
        gr_tl_loop = l;
        l->stopping = true;
        gr_loop_drain_posts(l);
        gr_loop_close_all(l);
        gr_loop_service_dirty(l);
        gr_tl_loop = prev;
    }
    for (int i = 0; i < s->nlisteners; i++) {
        close(s->listeners[i]->fd);
        free(s->listeners[i]);
    }
    for (int i = 0; i < s->nloops; i++) {
        if (s->loops[i]) gr_loop_destroy(s->loops[i]);
        free(s->loops[i]);
    }
    free(s->loops);
    pthread_mutex_destroy(&s->listen_mu);
    free(s);
}
