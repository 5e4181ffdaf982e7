/*
 * timer.h: a loop's timers, a binary min-heap ordered by (deadline, arming order).
 *
 * Timers are kept in a slab so that an id (generation << 32 | slot + 1) finds its
 * node in O(1) for cancellation without a hash table; a stale id (timer already
 * fired or cancelled, slot reused) fails the generation check. Not thread-safe:
 * each loop owns one heap.
 */
#ifndef GREGOR_NET_TIMER_H
#define GREGOR_NET_TIMER_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*gr_timer_fn)(void *ud);

typedef struct gr_timer_node {
    int64_t deadline_ms;
    uint64_t order; /* arming order: equal deadlines fire first-armed first */
    gr_timer_fn cb;
    void *ud;
    uint32_t gen;
    int32_t heap_pos; /* -1 when free */
    uint32_t next_free;
} gr_timer_node;

typedef struct gr_timer_heap {
    gr_timer_node *nodes;
    uint32_t nodes_cap;
    uint32_t free_head; /* slot + 1; 0 = none */
    uint32_t *heap;     /* slots */
    uint32_t count;
    uint64_t next_order;
} gr_timer_heap;

void gr_timer_heap_init(gr_timer_heap *h);
void gr_timer_heap_free(gr_timer_heap *h);
/* Returns the id (never 0), or 0 if memory ran out. */
uint64_t gr_timer_heap_add(gr_timer_heap *h, int64_t deadline_ms, gr_timer_fn cb, void *ud);
bool gr_timer_heap_cancel(gr_timer_heap *h, uint64_t id);
/* Deadline of the earliest timer, or INT64_MAX when none. */
int64_t gr_timer_heap_next(const gr_timer_heap *h);
/* Runs timers due at now_ms that were armed before this call (a callback that arms a
   zero-delay timer does not make this loop spin). Returns how many ran. */
int gr_timer_heap_run(gr_timer_heap *h, int64_t now_ms);

#endif
