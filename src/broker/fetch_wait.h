/*
 * fetch_wait.h: Fetch requests waiting for data (min_bytes / max_wait_ms long-poll).
 *
 * Each event loop keeps its own list, so a waiter is only touched on the thread
 * that owns its connection. An append anywhere wakes every loop that has
 * waiters (coalesced by the net layer); each rechecks its waiters, and a timer
 * completes a waiter at its deadline with whatever is there.
 */
#ifndef GREGOR_BROKER_FETCH_WAIT_H
#define GREGOR_BROKER_FETCH_WAIT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct gr_broker gr_broker;
typedef struct gr_fetch_waiters gr_fetch_waiters;

typedef struct gr_waiter {
    struct gr_waiter *prev, *next;
    /* True when the wait is over (enough data, or the connection went away). */
    bool (*ready)(struct gr_waiter *w);
    /* Replies and frees; called once, on the loop thread. */
    void (*complete)(struct gr_waiter *w);
    uint64_t timer_id;
    gr_fetch_waiters *owner;
} gr_waiter;

gr_fetch_waiters *gr_fetch_waiters_new(gr_broker *b);
void gr_fetch_waiters_free(gr_fetch_waiters *ws); /* completes what is left */
/* Loop thread: parks w until ready() or delay_ms passes. */
void gr_fetch_waiters_add(gr_fetch_waiters *ws, gr_waiter *w, int64_t delay_ms);
/* Loop thread: completes every waiter that is ready. */
void gr_fetch_waiters_recheck(gr_fetch_waiters *ws);
/* Any thread: whether any loop has waiters (cheap test before waking loops). */
bool gr_fetch_waiters_any(gr_broker *b);

#endif
