/*
 * pipeline.h: one topic -> topic connector ([pipeline NAME] in a connector file).
 *
 * Records are consumed in a group, decoded by the input codec, gathered into batches (by count or
 * age) and produced to the output topic, one record per event or one JSON array per batch, with
 * the input's key, headers, partition and timestamp carried or set. At least once: the group's
 * offsets are committed only after every output record of the batch was acknowledged by the
 * broker (delivery reports), never before, so a crash repeats records but never loses one.
 * Exactly once would need transactions, which the broker does not serve yet: it is refused.
 */
#ifndef GREGOR_CONNECT_PIPELINE_H
#define GREGOR_CONNECT_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "connect/config_file.h"
#include "connect/connector_config.h"
#include "connect/record_template.h"
#include "connect/status.h"

#define GR_PIPELINE_HEADERS_MAX 32

typedef enum gr_codec { GR_CODEC_JSON, GR_CODEC_RAW } gr_codec;
typedef enum gr_partition_mode {
    GR_PARTITION_CARRY,
    GR_PARTITION_AUTO,
    GR_PARTITION_FIXED
} gr_partition_mode;

typedef struct gr_pipeline_config {
    gr_connect_common common; /* topics, group, reset, reconnect.*, metrics, kafka.* */
    const char *output_topic;
    gr_codec codec_in, codec_out;
    int64_t batch_count, batch_time_ms;
    bool emit_array;         /* batch.emit = array: one JSON array record per batch */
    const char *default_key; /* key: when the output key comes out empty */
    gr_template key;         /* output.key */
    bool carry_headers;      /* output.headers = carry | none */
    gr_partition_mode partition_mode;
    int32_t partition;    /* GR_PARTITION_FIXED */
    bool carry_timestamp; /* output.timestamp = carry | now */
    const char *header_names[GR_PIPELINE_HEADERS_MAX];
    gr_template header_values[GR_PIPELINE_HEADERS_MAX];
    int header_count;
    bool retry_failed_events;
} gr_pipeline_config;

/* Reads a [pipeline NAME] section; returns 0 or -1 with doc->error ("FILE:LINE: key 'K': why"). */
int gr_pipeline_config_parse(gr_pipeline_config *cfg, gr_conf_doc *doc, gr_conf_section *s,
                             const char *bootstrap);
void gr_pipeline_config_free(gr_pipeline_config *cfg);

/* Runs until gr_stop_requested() or a failure that retries did not cure; returns an exit code. */
int gr_pipeline_run(const gr_pipeline_config *cfg, gr_connector_status *st);

#endif
