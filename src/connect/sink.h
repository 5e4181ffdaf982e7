/*
 * sink.h: one topic -> table connector ([sink NAME] in a connector file).
 *
 * Records are consumed in a group, mapped (mapping.h) and inserted in batches. The next offset of
 * every partition in a batch is written to the table gregor_connect_offsets in the same database
 * transaction as the batch's rows, and partitions are assigned from those offsets, never from the
 * group's committed ones: a crash at any moment either keeps a batch with its offsets or loses
 * both, so after a restart each record is in the table exactly once. Records that do not map go to
 * the dead-letter topic (header gregor.error holds the reason) before the batch commits.
 */
#ifndef GREGOR_CONNECT_SINK_H
#define GREGOR_CONNECT_SINK_H

#include <stdint.h>

#include "connect/config_file.h"
#include "connect/mapping.h"
#include "connect/status.h"

#define GR_SINK_TOPICS_MAX 32
#define GR_CONNECT_KAFKA_PROPS_MAX 64

typedef struct gr_sink_config {
    const char *name;
    const char *bootstrap;
    const char *topics[GR_SINK_TOPICS_MAX];
    int topic_count;
    char *topics_text; /* owns the names above */
    const char *group;
    bool reset_earliest;
    const char *db_url;
    const char *table;
    bool create_table;
    gr_mapping mapping;
    int64_t batch_count, batch_time_ms;
    const char *dead_letter_topic;
    int64_t reconnect_interval_ms, reconnect_max_retries;
    int64_t metrics_interval_s;
    const char *metrics_topic;
    const char *kafka_keys[GR_CONNECT_KAFKA_PROPS_MAX];
    const char *kafka_values[GR_CONNECT_KAFKA_PROPS_MAX];
    int kafka_count;
} gr_sink_config;

/* Reads a [sink NAME] section; file-level `bootstrap` is the default broker. Returns 0 or -1. */
int gr_sink_config_parse(gr_sink_config *cfg, gr_conf_doc *doc, gr_conf_section *s, const char *bootstrap);
void gr_sink_config_free(gr_sink_config *cfg);

/* Runs until gr_stop_requested() or a failure that retries did not cure; returns an exit code. */
int gr_sink_run(const gr_sink_config *cfg, gr_connector_status *st);

#endif
