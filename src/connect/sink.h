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
#include "connect/connector_config.h"
#include "connect/mapping.h"
#include "connect/status.h"

typedef struct gr_sink_config {
    gr_connect_common common; /* topics, group, reset, reconnect.*, metrics, kafka.* */
    const char *db_url;
    const char *table;
    bool create_table;
    gr_mapping mapping;
    int64_t batch_count, batch_time_ms;
    const char *dead_letter_topic;
} gr_sink_config;

/* Reads a [sink NAME] section; file-level `bootstrap` is the default broker. Returns 0 or -1. */
int gr_sink_config_parse(gr_sink_config *cfg, gr_conf_doc *doc, gr_conf_section *s, const char *bootstrap);
void gr_sink_config_free(gr_sink_config *cfg);

/* Runs until gr_stop_requested() or a failure that retries did not cure; returns an exit code. */
int gr_sink_run(const gr_sink_config *cfg, gr_connector_status *st);

#endif
