/*
 * latency_histogram.h: latency percentiles in fixed memory.
 *
 * Log-linear buckets: values below 2^GR_HIST_SUB_BITS nanoseconds each have their own bucket;
 * above that, every power of two is split into 2^GR_HIST_SUB_BITS equal buckets, so a value is
 * known to within 1/32 (about 3 %) of itself. 1920 counters cover every int64 value, so recording
 * is a few instructions and never allocates, and histograms of several threads merge by adding.
 *
 *   value:   0 1 ... 31 | 32 33 ... 63 | 64 66 ... 126 | 128 132 ... 252 | ...
 *   bucket:  one each   | width 1      | width 2       | width 4         | ...
 */
#ifndef GREGOR_CLI_LATENCY_HISTOGRAM_H
#define GREGOR_CLI_LATENCY_HISTOGRAM_H

#include <stdint.h>

#define GR_HIST_SUB_BITS 5
#define GR_HIST_SUB_BUCKETS (1 << GR_HIST_SUB_BITS)
#define GR_HIST_BUCKETS (GR_HIST_SUB_BUCKETS * (64 - GR_HIST_SUB_BITS + 1))

typedef struct gr_hist {
    uint64_t counts[GR_HIST_BUCKETS];
    uint64_t total;
    int64_t min, max;
    double sum;
} gr_hist;

void gr_hist_init(gr_hist *h);
/* Negative values count as 0. */
void gr_hist_record(gr_hist *h, int64_t value);
void gr_hist_merge(gr_hist *into, const gr_hist *from);
/* The value at percentile p (0..100): the middle of its bucket, kept within [min, max]; 0 if empty. */
int64_t gr_hist_percentile(const gr_hist *h, double p);
double gr_hist_mean(const gr_hist *h);

/* Bucket arithmetic, exposed for tests. */
int gr_hist_bucket(int64_t value);
int64_t gr_hist_bucket_low(int bucket);
int64_t gr_hist_bucket_width(int bucket);

#endif
