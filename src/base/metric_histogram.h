/*
 * metric_histogram.h: a latency histogram for the broker's /metrics page, cheap enough for the
 * request path: fixed bucket bounds, relaxed atomic adds, no locks.
 *
 * Readers (the admin listener) load each field on its own, so a scrape taken while requests run
 * may see a count one ahead of a bucket; Prometheus tolerates that.
 */
#ifndef GREGOR_BASE_METRIC_HISTOGRAM_H
#define GREGOR_BASE_METRIC_HISTOGRAM_H

#include <stdatomic.h>
#include <stdint.h>

/* Upper bounds in microseconds: 100 us .. 10 s, then +Inf. */
#define GR_MHIST_BUCKETS 11
static const int64_t gr_mhist_bounds_us[GR_MHIST_BUCKETS] = {100,   250,   500,    1000,    2500,    5000,
                                                             10000, 25000, 100000, 1000000, 10000000};

typedef struct gr_mhist {
    atomic_uint_fast64_t buckets[GR_MHIST_BUCKETS + 1]; /* not cumulative; the last is +Inf */
    atomic_uint_fast64_t sum_us;
    atomic_uint_fast64_t count;
} gr_mhist;

static inline void gr_mhist_observe_ns(gr_mhist *h, int64_t ns) {
    int64_t us = ns > 0 ? ns / 1000 : 0;
    int i = 0;
    while (i < GR_MHIST_BUCKETS && us > gr_mhist_bounds_us[i]) i++;
    atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, (uint_fast64_t)us, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
}

#endif
