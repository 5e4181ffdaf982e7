/*
 * latency_histogram.c: the log-linear histogram behind latency_histogram.h.
 */
#include "cli/latency_histogram.h"

#include <math.h>
#include <string.h>

void gr_hist_init(gr_hist *h) {
    memset(h, 0, sizeof *h);
    h->min = INT64_MAX;
    h->max = 0;
}

int gr_hist_bucket(int64_t value) {
    uint64_t v = value < 0 ? 0 : (uint64_t)value;
    if (v < GR_HIST_SUB_BUCKETS) return (int)v;
    int msb = 63 - __builtin_clzll(v); /* >= GR_HIST_SUB_BITS */
    int shift = msb - GR_HIST_SUB_BITS;
    int top = (int)(v >> shift); /* in [SUB_BUCKETS, 2 * SUB_BUCKETS) */
    return GR_HIST_SUB_BUCKETS + shift * GR_HIST_SUB_BUCKETS + (top - GR_HIST_SUB_BUCKETS);
}

int64_t gr_hist_bucket_width(int bucket) {
    if (bucket < GR_HIST_SUB_BUCKETS) return 1;
    int shift = (bucket - GR_HIST_SUB_BUCKETS) / GR_HIST_SUB_BUCKETS;
    return (int64_t)1 << shift;
}

int64_t gr_hist_bucket_low(int bucket) {
    if (bucket < GR_HIST_SUB_BUCKETS) return bucket;
    int shift = (bucket - GR_HIST_SUB_BUCKETS) / GR_HIST_SUB_BUCKETS;
    int top = GR_HIST_SUB_BUCKETS + (bucket - GR_HIST_SUB_BUCKETS) % GR_HIST_SUB_BUCKETS;
    return (int64_t)((uint64_t)top << shift);
}

void gr_hist_record(gr_hist *h, int64_t value) {
    if (value < 0) value = 0;
    h->counts[gr_hist_bucket(value)]++;
    h->total++;
    h->sum += (double)value;
    if (value < h->min) h->min = value;
    if (value > h->max) h->max = value;
}

void gr_hist_merge(gr_hist *into, const gr_hist *from) {
    for (int i = 0; i < GR_HIST_BUCKETS; i++) into->counts[i] += from->counts[i];
    into->total += from->total;
    into->sum += from->sum;
    if (from->total && from->min < into->min) into->min = from->min;
    if (from->total && from->max > into->max) into->max = from->max;
}

int64_t gr_hist_percentile(const gr_hist *h, double p) {
    if (h->total == 0) return 0;
    if (p < 0) p = 0;
    if (p > 100) p = 100;
    uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->total);
    if (rank < 1) rank = 1;
    if (rank >= h->total) return h->max;
    uint64_t seen = 0;
    for (int i = 0; i < GR_HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen < rank) continue;
        int64_t v = gr_hist_bucket_low(i) + (gr_hist_bucket_width(i) - 1) / 2;
        if (v < h->min) v = h->min;
        if (v > h->max) v = h->max;
        return v;
    }
    return h->max;
}

double gr_hist_mean(const gr_hist *h) { return h->total ? h->sum / (double)h->total : 0.0; }
