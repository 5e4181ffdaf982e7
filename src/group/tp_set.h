/*
 * tp_set.h: a sorted set of topic-partitions named by topic id, the currency of
 * KIP-848 assignments (targets, what a member owns, what it must give back).
 */
#ifndef GREGOR_GROUP_TP_SET_H
#define GREGOR_GROUP_TP_SET_H

#include <stdbool.h>
#include <stdint.h>

typedef struct gr_tp {
    uint8_t id[16];
    int32_t partition;
} gr_tp;

typedef struct gr_tp_set {
    gr_tp *items; /* sorted by (id, partition), no duplicates */
    int32_t count, cap;
} gr_tp_set;

void gr_tp_set_init(gr_tp_set *s);
void gr_tp_set_free(gr_tp_set *s);
void gr_tp_set_clear(gr_tp_set *s);
int gr_tp_cmp(const gr_tp *a, const gr_tp *b);
bool gr_tp_set_contains(const gr_tp_set *s, const gr_tp *tp);
/* Adds in any order; call gr_tp_set_normalize afterwards (sorts, drops duplicates). false on OOM. */
bool gr_tp_set_push(gr_tp_set *s, const uint8_t id[16], int32_t partition);
void gr_tp_set_normalize(gr_tp_set *s);
bool gr_tp_set_copy(gr_tp_set *dst, const gr_tp_set *src);
bool gr_tp_set_equal(const gr_tp_set *a, const gr_tp_set *b);
/* out = a - b, out = a & b, out = a | b (out must be distinct from the inputs). false on OOM. */
bool gr_tp_set_minus(gr_tp_set *out, const gr_tp_set *a, const gr_tp_set *b);
bool gr_tp_set_intersect(gr_tp_set *out, const gr_tp_set *a, const gr_tp_set *b);
bool gr_tp_set_union(gr_tp_set *out, const gr_tp_set *a, const gr_tp_set *b);
/* Whether every element of a is in b. */
bool gr_tp_set_subset(const gr_tp_set *a, const gr_tp_set *b);

#endif
