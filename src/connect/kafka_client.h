/*
 * kafka_client.h: the librdkafka side every connector shares.
 *
 * Handles are configured the same way for sinks and pipelines (bootstrap, reconnect backoff from
 * reconnect.interval_ms, manual offsets for consumers, idempotent acks=all producers, then the
 * kafka.* settings on top); lag, metrics and "all brokers down for too long" are computed the same
 * way too, so `gregor connect status` means one thing for every kind.
 */
#ifndef GREGOR_CONNECT_KAFKA_CLIENT_H
#define GREGOR_CONNECT_KAFKA_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "connect/connector_config.h"
#include "connect/status.h"

#include <librdkafka/rdkafka.h>

/* What a connector hooks into its handles (the callbacks get `opaque`), and its own defaults. */
typedef struct gr_connect_callbacks {
    void *opaque;
    void (*error)(rd_kafka_t *rk, int err, const char *reason, void *opaque);
    void (*rebalance)(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                      void *opaque);                                             /* consumers */
    void (*delivery)(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque); /* producers */
    const char *const *consumer_defaults; /* key, value, ..., NULL: before kafka.* (NULL: none) */
} gr_connect_callbacks;

/* A consumer (group, no auto commit, no auto offset store, reset policy) or an idempotent acks=all
   producer, with kafka.* applied last; NULL after reporting a bad setting to stderr and `st`. */
rd_kafka_t *gr_connect_handle(const gr_connect_common *c, rd_kafka_type_t type,
                              const gr_connect_callbacks *cb, gr_connector_status *st);
/* Subscribes `consumer` to the configured topics; 0 or -1 (reported to `st`). */
int gr_connect_subscribe(rd_kafka_t *consumer, const gr_connect_common *c, gr_connector_status *st);

/* Whether every broker is unreachable, as told by the error callback and cleared by traffic. */
typedef struct gr_connect_health {
    volatile bool brokers_down;
    int64_t down_since_ms;
} gr_connect_health;

/* For error callbacks: records the error in `st`; all brokers down turns state "reconnecting". */
void gr_connect_note_kafka_error(gr_connect_health *h, gr_connector_status *st, int err, const char *reason);
/* A record arrived or was acknowledged: the brokers are back. */
void gr_connect_note_traffic(gr_connect_health *h, gr_connector_status *st);
/* True when the brokers have been down longer than the reconnect policy allows. */
bool gr_connect_down_too_long(gr_connect_health *h, const gr_connect_common *c, int64_t now_ms);

/* Sets st->lag: records between the position and the high watermark of the assigned partitions. */
void gr_connect_update_lag(rd_kafka_t *consumer, gr_connector_status *st);
/* The status as JSON to metrics_topic through `producer`, or to stderr without one. */
void gr_connect_publish_metrics(const gr_connect_common *c, rd_kafka_t *producer, gr_connector_status *st);
/* Sleeps, waking early when a stop was requested. */
void gr_connect_sleep_ms(int64_t ms);

#endif
