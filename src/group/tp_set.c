/* tp_set.c: sorted topic-partition sets (see tp_set.h). */
#include "group/tp_set.h"

#include <stdlib.h>
#include <string.h>

void gr_tp_set_init(gr_tp_set *s) { memset(s, 0, sizeof *s); }

void gr_tp_set_free(gr_tp_set *s) {
    free(s->items);
    memset(s, 0, sizeof *s);
}

void gr_tp_set_clear(gr_tp_set *s) { s->count = 0; }

int gr_tp_cmp(const gr_tp *a, const gr_tp *b) {
    int c = memcmp(a->id, b->id, 16);
    if (c) return c;
    return (a->partition > b->partition) - (a->partition < b->partition);
}

static int cmp_void(const void *a, const void *b) { return gr_tp_cmp(a, b); }

bool gr_tp_set_contains(const gr_tp_set *s, const gr_tp *tp) {
    int32_t lo = 0, hi = s->count - 1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int c = gr_tp_cmp(&s->items[mid], tp);
        if (c == 0) return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return false;
}

bool gr_tp_set_push(gr_tp_set *s, const uint8_t id[16], int32_t partition) {
    if (s->count == s->cap) {
        int32_t cap = s->cap ? s->cap * 2 : 8;
        gr_tp *n = realloc(s->items, (size_t)cap * sizeof *n);
        if (!n) return false;
        s->items = n;
        s->cap = cap;
    }
    memcpy(s->items[s->count].id, id, 16);
    s->items[s->count].partition = partition;
    s->count++;
    return true;
}

void gr_tp_set_normalize(gr_tp_set *s) {
    if (s->count < 2) return;
    qsort(s->items, (size_t)s->count, sizeof *s->items, cmp_void);
    int32_t w = 1;
    for (int32_t r = 1; r < s->count; r++)
        if (gr_tp_cmp(&s->items[r], &s->items[w - 1]) != 0) s->items[w++] = s->items[r];
    s->count = w;
}

bool gr_tp_set_copy(gr_tp_set *dst, const gr_tp_set *src) {
    gr_tp_set_clear(dst);
    for (int32_t i = 0; i < src->count; i++)
        if (!gr_tp_set_push(dst, src->items[i].id, src->items[i].partition)) return false;
    return true;
}

bool gr_tp_set_equal(const gr_tp_set *a, const gr_tp_set *b) {
    if (a->count != b->count) return false;
    for (int32_t i = 0; i < a->count; i++)
        if (gr_tp_cmp(&a->items[i], &b->items[i]) != 0) return false;
    return true;
}

bool gr_tp_set_minus(gr_tp_set *out, const gr_tp_set *a, const gr_tp_set *b) {
    gr_tp_set_clear(out);
    for (int32_t i = 0; i < a->count; i++)
        if (!gr_tp_set_contains(b, &a->items[i]) &&
            !gr_tp_set_push(out, a->items[i].id, a->items[i].partition))
            return false;
    return true;
}

bool gr_tp_set_intersect(gr_tp_set *out, const gr_tp_set *a, const gr_tp_set *b) {
    gr_tp_set_clear(out);
    for (int32_t i = 0; i < a->count; i++)
        if (gr_tp_set_contains(b, &a->items[i]) &&
            !gr_tp_set_push(out, a->items[i].id, a->items[i].partition))
            return false;
    return true;
}

bool gr_tp_set_union(gr_tp_set *out, const gr_tp_set *a, const gr_tp_set *b) {
    gr_tp_set_clear(out);
    for (int32_t i = 0; i < a->count; i++)
        if (!gr_tp_set_push(out, a->items[i].id, a->items[i].partition)) return false;
    for (int32_t i = 0; i < b->count; i++)
        if (!gr_tp_set_push(out, b->items[i].id, b->items[i].partition)) return false;
    gr_tp_set_normalize(out);
    return true;
}

bool gr_tp_set_subset(const gr_tp_set *a, const gr_tp_set *b) {
    for (int32_t i = 0; i < a->count; i++)
        if (!gr_tp_set_contains(b, &a->items[i])) return false;
    return true;
}
