/*
 * loop.c: one event-loop thread: epoll, its timers, and the queue of functions
 * other threads post to it (woken through an eventfd).
 *
 * An iteration waits for events (no longer than the next timer), handles them,
 * runs due timers, then services the connections that were marked dirty
 * (flushing replies, closing, resuming reads) before waiting again.
 */
#include "net/loop.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"

_Thread_local gr_loop *gr_tl_loop;

int gr_loop_init(gr_loop *l, gr_server *s, int index) {
    memset(l, 0, sizeof *l);
    l->kind = GR_EV_WAKE;
    l->srv = s;
    l->index = index;
    l->epfd = -1;
    l->wakefd = -1;
    atomic_init(&l->running, false);
    gr_timer_heap_init(&l->timers);
    pthread_mutex_init(&l->post_mu, NULL); /* cannot fail with default attributes */
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (l->epfd < 0) return -1;
    l->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (l->wakefd < 0) return -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = l};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wakefd, &ev) < 0) return -1;
    return 0;
}

static void free_items(gr_post_item *p) {
    while (p) {
        gr_post_item *n = p->next;
        free(p);
        p = n;
    }
}

void gr_loop_destroy(gr_loop *l) {
    if (l->epfd >= 0) close(l->epfd);
    if (l->wakefd >= 0) close(l->wakefd);
    free_items(l->post_head);
    free_items(l->all_head);
    gr_timer_heap_free(&l->timers);
    free(l->staging);
    pthread_mutex_destroy(&l->post_mu);
}

void gr_loop_wake(gr_loop *l) {
    uint64_t one = 1;
    ssize_t r = write(l->wakefd, &one, sizeof one); /* EAGAIN: counter saturated, already awake */
    (void)r;
}

bool gr_loop_post_item(gr_loop *l, void (*fn)(void *ud), void *ud, bool coalesce) {
    pthread_mutex_lock(&l->post_mu);
    if (coalesce) {
        for (gr_post_item *it = l->all_head; it; it = it->next) {
            if (it->fn == fn && it->ud == ud) {
                pthread_mutex_unlock(&l->post_mu);
                return true;
            }
        }
    }
    gr_post_item *it = malloc(sizeof *it);
    if (!it) {
        pthread_mutex_unlock(&l->post_mu);
        return false;
    }
    it->next = NULL;
    it->fn = fn;
    it->ud = ud;
    bool was_empty = !l->post_head && !l->all_head;
    gr_post_item **head = coalesce ? &l->all_head : &l->post_head;
    gr_post_item **tail = coalesce ? &l->all_tail : &l->post_tail;
    if (*tail)
        (*tail)->next = it;
    else
        *head = it;
    *tail = it;
    pthread_mutex_unlock(&l->post_mu);
    /* Only the first item of a batch wakes the loop; it takes the whole batch at once. */
    if (was_empty) gr_loop_wake(l);
    return true;
}

void gr_loop_post(gr_loop *l, void (*fn)(void *ud), void *ud) {
    if (!gr_loop_post_item(l, fn, ud, false)) GR_ERROR("net", "out of memory: posted function lost");
}

static void run_items(gr_post_item *p) {
    while (p) {
        gr_post_item *n = p->next;
        p->fn(p->ud);
        free(p);
        p = n;
    }
}

/* Runs what was posted so far; returns false if nothing was queued. */
static bool run_posts(gr_loop *l) {
    uint64_t v;
    ssize_t r = read(l->wakefd, &v, sizeof v); /* reset before taking the batch: no lost wake-up */
    (void)r;
    pthread_mutex_lock(&l->post_mu);
    gr_post_item *p = l->post_head, *a = l->all_head;
    l->post_head = l->post_tail = l->all_head = l->all_tail = NULL;
    pthread_mutex_unlock(&l->post_mu);
    run_items(p);
    run_items(a);
    return p || a;
}

void gr_loop_drain_posts(gr_loop *l) {
    for (int i = 0; i < GR_NET_POST_DRAIN_ROUNDS_MAX && run_posts(l); i++) gr_loop_service_dirty(l);
}

uint64_t gr_loop_timer_add(gr_loop *l, int64_t delay_ms, void (*cb)(void *ud), void *ud) {
    GR_ASSERT(gr_tl_loop == l || !atomic_load(&l->running));
    if (delay_ms < 0) delay_ms = 0;
    uint64_t id = gr_timer_heap_add(&l->timers, gr_mono_ms() + delay_ms, cb, ud);
    if (!id) GR_ERROR("net", "out of memory: timer not armed");
    return id;
}

bool gr_loop_timer_cancel(gr_loop *l, uint64_t timer_id) {
    GR_ASSERT(gr_tl_loop == l || !atomic_load(&l->running));
    return gr_timer_heap_cancel(&l->timers, timer_id);
}

gr_loop *gr_loop_current(void) { return gr_tl_loop; }
int gr_loop_index(gr_loop *l) { return l->index; }

static int64_t sweep_interval_ms(const gr_loop *l) {
    int64_t t = l->srv->cfg.idle_timeout_ms / 2;
    if (t > GR_NET_IDLE_SWEEP_MAX_MS) t = GR_NET_IDLE_SWEEP_MAX_MS;
    return t < 10 ? 10 : t;
}

static void sweep_fire(void *ud) {
    gr_loop *l = ud;
    l->sweep_timer = 0;
    gr_loop_sweep_idle(l, gr_mono_ms());
    if (l->nconns > 0 && !l->stopping)
        l->sweep_timer = gr_loop_timer_add(l, sweep_interval_ms(l), sweep_fire, l);
}

/* The idle sweep runs only while the loop has connections, so an idle broker sleeps. */
void gr_loop_conn_added(gr_loop *l) {
    if (l->srv->cfg.idle_timeout_ms > 0 && !l->sweep_timer)
        l->sweep_timer = gr_loop_timer_add(l, sweep_interval_ms(l), sweep_fire, l);
}

static void dispatch(gr_loop *l, struct epoll_event *ev) {
    gr_ev_kind kind = *(gr_ev_kind *)ev->data.ptr;
    switch (kind) {
    case GR_EV_WAKE:
        run_posts(l);
        break;
    case GR_EV_LISTENER:
        gr_listener_on_ready(l, ev->data.ptr);
        break;
    case GR_EV_CONN:
        gr_conn_on_event(ev->data.ptr, ev->events);
        break;
    }
}

static int wait_timeout_ms(gr_loop *l, int64_t now) {
    if (l->dirty) return 0;
    int64_t next = gr_timer_heap_next(&l->timers);
    if (l->stopping && l->stop_deadline_ms < next) next = l->stop_deadline_ms;
    if (next == INT64_MAX) return -1;
    int64_t d = next - now;
    if (d <= 0) return 0;
    return d > INT_MAX ? INT_MAX : (int)d;
}

void gr_loop_run(gr_loop *l) {
    gr_tl_loop = l;
    atomic_store(&l->running, true);
    struct epoll_event evs[GR_NET_EVENTS_PER_WAIT];
    for (;;) {
        int64_t now = gr_mono_ms();
        if (!l->stopping && atomic_load(&l->srv->stop_requested)) {
            l->stopping = true;
            l->stop_deadline_ms = now + GR_NET_STOP_DRAIN_MS;
            gr_loop_pause_listeners(l, true);
            gr_loop_begin_stop(l);
            gr_loop_service_dirty(l);
        }
        if (l->stopping && gr_loop_stop_done(l, now)) break;
        int n = epoll_wait(l->epfd, evs, GR_NET_EVENTS_PER_WAIT, wait_timeout_ms(l, now));
        if (n < 0) {
            if (errno != EINTR) {
                GR_ERROR("net", "epoll_wait: %s", strerror(errno));
                gr_server_stop(l->srv);
            }
            n = 0;
        }
        for (int i = 0; i < n; i++) dispatch(l, &evs[i]);
        gr_timer_heap_run(&l->timers, gr_mono_ms());
        gr_loop_service_dirty(l);
    }
    gr_loop_close_all(l);
    gr_loop_drain_posts(l);
    gr_loop_service_dirty(l);
    atomic_store(&l->running, false);
    gr_tl_loop = NULL;
}
