/*
 * client.h: librdkafka handles set up the same way for every tool.
 *
 * Settings are applied in this order, later ones winning: the tool's defaults, the bootstrap server,
 * then the user's -X properties. librdkafka's own log lines are hidden unless --verbose, but the
 * last error it reports is kept so "cannot reach the cluster" can say why (connection refused,
 * name not resolved...). Every wait on the cluster is bounded by --request-timeout-ms.
 */
#ifndef GREGOR_CLI_CLIENT_H
#define GREGOR_CLI_CLIENT_H

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stdint.h>

#include "cli/options.h"

/* After librdkafka reports every broker down, how long to keep trying before giving up early: long
   enough for its reconnect backoff to try every address of a name (::1 and 127.0.0.1 for localhost). */
#define GR_CLIENT_ALL_DOWN_GRACE_MS 2000
#define GR_CLIENT_METADATA_SLICE_MS 500
#define GR_CLIENT_PROPAGATION_POLL_MS 100

typedef struct gr_client {
    rd_kafka_t *rk;
    const gr_cli_common *common;
    const char *command;
    const char *bootstrap; /* the brokers contacted first: -b's, or those found with --zookeeper */
    char *zk_bootstrap;    /* owned: the list read from ZooKeeper */
    char last_error[512];
    int64_t all_down_since_ms; /* monotonic; 0 while no "all brokers down" was reported */
    bool fatal;
    void *user; /* the tool's state, for its callbacks */
} gr_client;

/* NULL-terminated list of key, value pairs a tool sets before the user's -X. */
typedef const char *const gr_conf_defaults[];

/*
 * Creates the handle. With --zookeeper, the brokers are first read from ZooKeeper (an unreachable
 * ZooKeeper gives GR_EXIT_UNREACHABLE within --request-timeout-ms). `defaults` may be NULL. `prepare` (may be
 * NULL) is called on the conf before the handle is created, to install callbacks. On failure prints the
 * reason and returns the exit code (usage error for a bad -X property); 0 on success.
 */
int gr_client_open(gr_client *c, const gr_cli_common *common, rd_kafka_type_t type,
                   const char *const *defaults, void (*prepare)(rd_kafka_conf_t *conf, void *ud), void *ud);
void gr_client_close(gr_client *c);

/* Opens an admin-style handle and checks the cluster answers; returns an exit code. */
int gr_client_connect(gr_client *c, const gr_cli_common *common);

/*
 * Fetches metadata for all topics (never auto-creates), retrying until --request-timeout-ms.
 * On failure prints "cannot reach the cluster ..." and returns GR_EXIT_UNREACHABLE.
 */
int gr_client_metadata(gr_client *c, const rd_kafka_metadata_t **out);

const rd_kafka_metadata_topic_t *gr_metadata_topic(const rd_kafka_metadata_t *md, const char *name);
const rd_kafka_metadata_broker_t *gr_metadata_broker(const rd_kafka_metadata_t *md, int32_t id);

/*
 * Waits for an admin result on `queue`; returns the event (caller destroys) or NULL after printing
 * a timeout error. The wait allows a little more than the request timeout set in the options.
 */
rd_kafka_event_t *gr_client_admin_wait(gr_client *c, rd_kafka_queue_t *queue);
/* Admin options with the request and operation timeouts from --request-timeout-ms. */
rd_kafka_AdminOptions_t *gr_client_admin_options(gr_client *c, rd_kafka_admin_op_t op);

/*
 * Fills each element's offset with the partition's earliest (`latest` false) or latest offset, by
 * one ListOffsets round per leader. Per-partition failures land in the element's err. Returns an
 * error for the whole call (timeout, no connection).
 */
rd_kafka_resp_err_t gr_client_list_offsets(gr_client *c, rd_kafka_topic_partition_list_t *parts, bool latest);
/* ListOffsets by timestamp (ms): first offset with timestamp >= ts, or -1 when there is none. */
rd_kafka_resp_err_t gr_client_offsets_for_times(gr_client *c, rd_kafka_topic_partition_list_t *parts);

/* Waits until every named topic is present with a leader for each partition (or, with `present`
   false, absent); false when --request-timeout-ms passes first. */
bool gr_client_wait_topics(gr_client *c, const char *const *names, int count, bool present);

/* Creates `topic` (partitions/replication -1 = broker default) unless it exists, then waits for it.
 *created tells which happened. Prints errors; returns an exit code. */
int gr_client_ensure_topic(gr_client *c, const char *topic, int32_t partitions, int32_t replication,
                           bool *created);

/* Maps a librdkafka error to an exit code: unknown topic/group -> 3, timeouts/transport -> 4, else 1. */
int gr_exit_for_error(rd_kafka_resp_err_t err);

#endif
