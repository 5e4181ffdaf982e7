/* fetch_wait.c: per-loop lists of waiting Fetch requests (see fetch_wait.h). */
#include "broker/fetch_wait.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "broker/broker.h"

struct gr_fetch_waiters {
    gr_broker *broker;
    gr_waiter head; /* circular list sentinel */
};

static atomic_int waiting_total;

gr_fetch_waiters *gr_fetch_waiters_new(gr_broker *b) {
    gr_fetch_waiters *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    ws->broker = b;
    ws->head.next = ws->head.prev = &ws->head;
    return ws;
}

static void unlink_waiter(gr_waiter *w) {
    w->prev->next = w->next;
    w->next->prev = w->prev;
    w->next = w->prev = w;
    atomic_fetch_sub(&waiting_total, 1);
}

static void on_deadline(void *ud) {
    gr_waiter *w = ud;
    w->timer_id = 0;
    unlink_waiter(w);
    w->complete(w);
}

void gr_fetch_waiters_add(gr_fetch_waiters *ws, gr_waiter *w, int64_t delay_ms) {
    w->owner = ws;
    w->next = &ws->head;
    w->prev = ws->head.prev;
    ws->head.prev->next = w;
    ws->head.prev = w;
    atomic_fetch_add(&waiting_total, 1);
    w->timer_id = gr_loop_timer_add(gr_loop_current(), delay_ms, on_deadline, w);
}

void gr_fetch_waiters_recheck(gr_fetch_waiters *ws) {
    /* Completing may add new waiters at the tail; stop at the current tail. */
    gr_waiter *last = ws->head.prev;
    gr_waiter *w = ws->head.next;
    while (w != &ws->head) {
        gr_waiter *next = w->next;
        bool was_last = w == last;
        if (w->ready(w)) {
            if (w->timer_id) gr_loop_timer_cancel(gr_loop_current(), w->timer_id);
            w->timer_id = 0;
            unlink_waiter(w);
            w->complete(w);
        }
        if (was_last) break;
        w = next;
    }
}

void gr_fetch_waiters_free(gr_fetch_waiters *ws) {
    if (!ws) return;
    while (ws->head.next != &ws->head) {
        gr_waiter *w = ws->head.next;
        unlink_waiter(w);
        w->timer_id = 0;
        w->complete(w);
    }
    free(ws);
}

bool gr_fetch_waiters_any(gr_broker *b) {
    (void)b;
    return atomic_load_explicit(&waiting_total, memory_order_relaxed) > 0;
}
