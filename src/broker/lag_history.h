/*
 * lag_history.h: the last GR_LAG_HISTORY_POINTS samples of each group's total lag, taken every
 * GR_LAG_HISTORY_INTERVAL_MS by the admin thread, for the console's lag chart (/api/lag-history).
 * Only the admin thread touches it, so it needs no lock; its size is fixed when it is created.
 */
#ifndef GREGOR_BROKER_LAG_HISTORY_H
#define GREGOR_BROKER_LAG_HISTORY_H

#include <stdint.h>

#include "base/buf.h"

#define GR_LAG_HISTORY_POINTS 120 /* ten minutes at the interval below */
#define GR_LAG_HISTORY_GROUPS 32
#define GR_LAG_HISTORY_INTERVAL_MS 5000

typedef struct gr_broker gr_broker;

typedef struct gr_lag_series {
    char group[256];
    int64_t lag[GR_LAG_HISTORY_POINTS]; /* -1: no sample (the group was not there) */
} gr_lag_series;

typedef struct gr_lag_history {
    int64_t at_ms[GR_LAG_HISTORY_POINTS]; /* wall clock of each sample */
    int next;                             /* slot the next sample goes to */
    int filled;                           /* samples held, up to GR_LAG_HISTORY_POINTS */
    int series_count;
    gr_lag_series series[GR_LAG_HISTORY_GROUPS];
} gr_lag_history;

/* Takes one sample of every group's lag (the first GR_LAG_HISTORY_GROUPS groups seen). */
void gr_lag_history_sample(gr_lag_history *h, gr_broker *b, int64_t now_wall_ms);
/* {"interval_ms":..,"times_ms":[...],"groups":[{"group":..,"lag":[... null ...]}]}, oldest first. */
void gr_lag_history_json(const gr_lag_history *h, gr_buf *out);

#endif
