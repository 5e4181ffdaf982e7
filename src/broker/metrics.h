/*
 * metrics.h: the broker's counters for the admin listener's /metrics page.
 *
 * Everything here is updated on the request path, so updates are relaxed atomic adds into
 * fixed memory: no locks, no allocation. Per-topic counters live in a fixed table keyed by
 * topic id; when it is full, further topics count under the label topic="_other", so the
 * page's size stays bounded whatever clients do (docs/metrics.md).
 */
#ifndef GREGOR_BROKER_METRICS_H
#define GREGOR_BROKER_METRICS_H

#include <stdint.h>

#include "base/buf.h"
#include "cluster/topics.h"

#define GR_METRICS_TOPICS_MAX 256 /* topic label values; the rest count as "_other" */
#define GR_METRICS_GROUPS_MAX 256 /* group label values on the lag series */

typedef struct gr_broker gr_broker;

/* Produce appended `records` records in `bytes` bytes of batches to a partition of topic. */
void gr_metrics_produced(const gr_topic *topic, int64_t records, int64_t bytes);
/* Fetch answered with `bytes` bytes of batches from a partition of topic. */
void gr_metrics_fetched(const gr_topic *topic, int64_t bytes);
/* A request of api_key finished (replied, closed or dropped) after elapsed_ns. */
void gr_metrics_request_done(int16_t api_key, int64_t elapsed_ns);
/* A Kafka connection opened (+1) or closed (-1). */
void gr_metrics_connections(int delta);
int64_t gr_metrics_open_connections(void);

/* Appends the Prometheus text exposition (format 0.0.4) of everything the broker counts. */
void gr_metrics_render(gr_broker *b, gr_buf *out);

#endif
