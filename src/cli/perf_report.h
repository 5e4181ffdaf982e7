/*
 * perf_report.h: progress lines for the load generators.
 *
 * On a terminal the progress line is redrawn in place; into a pipe or file each report is its own
 * line, so logs of benchmark runs stay readable. Progress goes to stderr, results to stdout.
 */
#ifndef GREGOR_CLI_PERF_REPORT_H
#define GREGOR_CLI_PERF_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#define GR_PERF_BYTES_PER_MB (1024.0 * 1024.0)
#define GR_PERF_REPORT_INTERVAL_MS_DEFAULT 5000
#define GR_PERF_TICK_MS 100

typedef struct gr_perf_progress {
    bool tty;
    bool drawn; /* a line is on screen that the next report replaces */
} gr_perf_progress;

void gr_perf_progress_init(gr_perf_progress *p);
void gr_perf_progress_line(gr_perf_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Ends a redrawn line so later output starts on a fresh one. */
void gr_perf_progress_done(gr_perf_progress *p);

static inline double gr_perf_rate(double amount, double seconds) {
    return seconds > 0 ? amount / seconds : 0.0;
}

#endif
