/*
 * pipeline_output.h: one output record of a pipeline, from its events to a produce call.
 *
 * An output is one event (batch.emit = each) or a whole batch as a JSON array (array). Its value
 * comes from the codecs (pipeline_codec.h); its key, headers, partition and timestamp from the
 * first event it carries, per output.* and header.* (record_template.h). The delivery report
 * finds the output again through the message's opaque pointer.
 */
#ifndef GREGOR_CONNECT_PIPELINE_OUTPUT_H
#define GREGOR_CONNECT_PIPELINE_OUTPUT_H

#include <stddef.h>

#include "base/buf.h"
#include "connect/pipeline.h"
#include "connect/status.h"

#include <librdkafka/rdkafka.h>

typedef enum gr_out_state {
    GR_OUT_PENDING,
    GR_OUT_IN_FLIGHT,
    GR_OUT_ACKED,
    GR_OUT_FAILED,
    GR_OUT_DROPPED
} gr_out_state;

typedef struct gr_pipe_output {
    size_t first, count; /* the events it carries, in its batch */
    gr_out_state state;
    void *batch; /* the batch it belongs to, for the delivery report */
} gr_pipe_output;

/* Buffers reused from one output to the next. */
typedef struct gr_pipe_scratch {
    gr_buf value, key, header;
} gr_pipe_scratch;

void gr_pipe_scratch_init(gr_pipe_scratch *s);
void gr_pipe_scratch_free(gr_pipe_scratch *s);

/* Reports an event's failure in `st`, with its topic, partition and offset. */
void gr_pipe_event_error(gr_connector_status *st, const rd_kafka_message_t *m, const char *why);

/* Produces `o` (its events are events[o->first ..]). Afterwards o->state is IN_FLIGHT (a report
   will come), FAILED (the producer refused it) or DROPPED (no event of it decodes). */
void gr_pipe_produce(rd_kafka_t *producer, const gr_pipeline_config *c, rd_kafka_message_t *const *events,
                     gr_pipe_output *o, gr_pipe_scratch *s, gr_connector_status *st);

#endif
