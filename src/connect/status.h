/*
 * status.h: what a running connector reports, for `gregor connect status` and metrics.
 *
 * Each connector owns a gr_connector_status its thread updates under a mutex; the runner
 * rewrites STATE_DIR/NAME.status.json from it every second, and `gregor connect status` reads
 * those files (a file whose process is gone reads as state "stopped").
 */
#ifndef GREGOR_CONNECT_STATUS_H
#define GREGOR_CONNECT_STATUS_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

typedef struct gr_connector_status {
    pthread_mutex_t lock;
    char name[64];
    const char *type;  /* "sink" or "pipeline" */
    const char *state; /* "starting", "running", "reconnecting", "failed", "stopped" */
    int64_t records_in, records_out, rows_inserted, dead_lettered, errors, lag;
    char last_error[512];
    int64_t started_ms;
} gr_connector_status;

void gr_status_init(gr_connector_status *st, const char *name, const char *type);
void gr_status_set_state(gr_connector_status *st, const char *state);
void gr_status_error(gr_connector_status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The status as one JSON object (no newline). */
void gr_status_write_json(gr_connector_status *st, FILE *out);
/* Rewrites DIR/NAME.status.json; returns 0 or -1. */
int gr_status_save(gr_connector_status *st, const char *dir);

int gr_tool_connect_status(int argc, char **argv);

#endif
