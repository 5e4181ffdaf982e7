/* timer.c: min-heap of timers with O(1) lookup by id (see timer.h). */
#include "net/timer.h"

#include <stdlib.h>
#include <string.h>

#define TIMER_SLOTS_INITIAL 16

void gr_timer_heap_init(gr_timer_heap *h) { memset(h, 0, sizeof *h); }

void gr_timer_heap_free(gr_timer_heap *h) {
    free(h->nodes);
    free(h->heap);
    memset(h, 0, sizeof *h);
}

static bool earlier(const gr_timer_heap *h, uint32_t a, uint32_t b) {
    const gr_timer_node *x = &h->nodes[a], *y = &h->nodes[b];
    if (x->deadline_ms != y->deadline_ms) return x->deadline_ms < y->deadline_ms;
    return x->order < y->order;
}

static void place(gr_timer_heap *h, uint32_t pos, uint32_t slot) {
    h->heap[pos] = slot;
    h->nodes[slot].heap_pos = (int32_t)pos;
}

static void sift_up(gr_timer_heap *h, uint32_t pos) {
    uint32_t slot = h->heap[pos];
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (!earlier(h, slot, h->heap[parent])) break;
        place(h, pos, h->heap[parent]);
        pos = parent;
    }
    place(h, pos, slot);
}

static void sift_down(gr_timer_heap *h, uint32_t pos) {
    uint32_t slot = h->heap[pos];
    for (;;) {
        uint32_t child = 2 * pos + 1;
        if (child >= h->count) break;
        if (child + 1 < h->count && earlier(h, h->heap[child + 1], h->heap[child])) child++;
        if (!earlier(h, h->heap[child], slot)) break;
        place(h, pos, h->heap[child]);
        pos = child;
    }
    place(h, pos, slot);
}

static bool grow(gr_timer_heap *h) {
    uint32_t cap = h->nodes_cap ? h->nodes_cap * 2 : TIMER_SLOTS_INITIAL;
    if (cap > (1u << 30)) return false;
    gr_timer_node *nodes = realloc(h->nodes, (size_t)cap * sizeof *nodes);
    if (!nodes) return false;
    h->nodes = nodes;
    uint32_t *heap = realloc(h->heap, (size_t)cap * sizeof *heap);
    if (!heap) return false; /* nodes grew but nodes_cap did not: harmless */
    h->heap = heap;
    for (uint32_t i = h->nodes_cap; i < cap; i++) {
        nodes[i].gen = 0;
        nodes[i].heap_pos = -1;
        nodes[i].next_free = (i + 1 < cap) ? i + 2 : h->free_head;
    }
    h->free_head = h->nodes_cap + 1;
    h->nodes_cap = cap;
    return true;
}

uint64_t gr_timer_heap_add(gr_timer_heap *h, int64_t deadline_ms, gr_timer_fn cb, void *ud) {
    if (!h->free_head && !grow(h)) return 0;
    uint32_t slot = h->free_head - 1;
    gr_timer_node *n = &h->nodes[slot];
    h->free_head = n->next_free;
    n->gen++;
    if (n->gen == 0) n->gen = 1;
    n->deadline_ms = deadline_ms;
    n->order = h->next_order++;
    n->cb = cb;
    n->ud = ud;
    h->heap[h->count] = slot;
    n->heap_pos = (int32_t)h->count;
    h->count++;
    sift_up(h, h->count - 1);
    return ((uint64_t)n->gen << 32) | (uint64_t)(slot + 1);
}

static void remove_at(gr_timer_heap *h, uint32_t pos) {
    uint32_t slot = h->heap[pos];
    h->count--;
    if (pos != h->count) {
        place(h, pos, h->heap[h->count]);
        if (pos > 0 && earlier(h, h->heap[pos], h->heap[(pos - 1) / 2]))
            sift_up(h, pos);
        else
            sift_down(h, pos);
    }
    gr_timer_node *n = &h->nodes[slot];
    n->heap_pos = -1;
    n->next_free = h->free_head;
    h->free_head = slot + 1;
}

bool gr_timer_heap_cancel(gr_timer_heap *h, uint64_t id) {
    uint32_t slot_plus = (uint32_t)id;
    uint32_t gen = (uint32_t)(id >> 32);
    if (slot_plus == 0 || slot_plus > h->nodes_cap) return false;
    gr_timer_node *n = &h->nodes[slot_plus - 1];
    if (n->gen != gen || n->heap_pos < 0) return false;
    remove_at(h, (uint32_t)n->heap_pos);
    return true;
}

int64_t gr_timer_heap_next(const gr_timer_heap *h) {
    return h->count ? h->nodes[h->heap[0]].deadline_ms : INT64_MAX;
}

int gr_timer_heap_run(gr_timer_heap *h, int64_t now_ms) {
    uint64_t armed_before = h->next_order;
    int ran = 0;
    while (h->count) {
        gr_timer_node *n = &h->nodes[h->heap[0]];
        if (n->deadline_ms > now_ms || n->order >= armed_before) break;
        gr_timer_fn cb = n->cb;
        void *ud = n->ud;
        remove_at(h, 0);
        cb(ud); /* may add or cancel timers: `n` is not used after this */
        ran++;
    }
    return ran;
}
