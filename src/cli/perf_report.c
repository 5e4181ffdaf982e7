/* perf_report.c: progress lines (see perf_report.h). */
#include "cli/perf_report.h"

#include <stdarg.h>
#include <stdio.h>

#include "cli/output.h"

void gr_perf_progress_init(gr_perf_progress *p) {
    p->tty = gr_out_is_tty(stderr);
    p->drawn = false;
}

void gr_perf_progress_line(gr_perf_progress *p, const char *fmt, ...) {
    va_list ap;
    if (p->tty) fputs("\r\033[K", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (p->tty) {
        p->drawn = true;
    } else {
        fputc('\n', stderr);
    }
    fflush(stderr);
}

void gr_perf_progress_done(gr_perf_progress *p) {
    if (p->tty && p->drawn) fputc('\n', stderr);
    p->drawn = false;
}
