/* pipeline_output.c: encoding and producing one output record of a pipeline (pipeline_output.h). */
#include "connect/pipeline_output.h"

#include <stdio.h>
#include <string.h>

#include "cli/signals.h"
#include "connect/pipeline_codec.h"
#include "connect/record_template.h"

#define QUEUE_FULL_WAIT_MS 100

void gr_pipe_scratch_init(gr_pipe_scratch *s) {
    gr_buf_init(&s->value);
    gr_buf_init(&s->key);
    gr_buf_init(&s->header);
}

void gr_pipe_scratch_free(gr_pipe_scratch *s) {
    gr_buf_free(&s->value);
    gr_buf_free(&s->key);
    gr_buf_free(&s->header);
}

static gr_record_meta meta_of(const rd_kafka_message_t *m) {
    rd_kafka_timestamp_type_t type;
    return (gr_record_meta){m->key,       m->key_len, rd_kafka_topic_name(m->rkt),
                            m->partition, m->offset,  rd_kafka_message_timestamp(m, &type)};
}

void gr_pipe_event_error(gr_connector_status *st, const rd_kafka_message_t *m, const char *why) {
    gr_status_error(st, "%s [%d] offset %lld: %s", rd_kafka_topic_name(m->rkt), m->partition,
                    (long long)m->offset, why);
}

/* The value of output `o`: one encoded event, or the encoded events as a JSON array. Events that
   do not decode are reported and left out; returns false when nothing is left to send. */
static bool encode_output(const gr_pipeline_config *c, rd_kafka_message_t *const *events,
                          const gr_pipe_output *o, gr_pipe_scratch *s, gr_connector_status *st) {
    char why[256];
    size_t encoded = 0;
    gr_buf_reset(&s->value);
    if (c->emit_array) gr_buf_put(&s->value, "[", 1);
    for (size_t i = o->first; i < o->first + o->count; i++) {
        const rd_kafka_message_t *m = events[i];
        size_t before = s->value.len;
        if (c->emit_array && encoded) gr_buf_put(&s->value, ",", 1);
        if (gr_pipeline_encode(c->codec_in, c->codec_out, m->payload, m->len, &s->value, why, sizeof why) <
            0) {
            s->value.len = before;
            gr_pipe_event_error(st, m, why);
            continue;
        }
        encoded++;
    }
    if (c->emit_array) gr_buf_put(&s->value, "]", 1);
    return encoded > 0 && !s->value.oom;
}

/* Headers of the output: the input's (output.headers = carry), then header.NAME templates. */
static rd_kafka_headers_t *output_headers(const gr_pipeline_config *c, gr_pipe_scratch *s,
                                          const rd_kafka_message_t *m, const gr_record_meta *meta) {
    rd_kafka_headers_t *in = NULL, *out = rd_kafka_headers_new(8);
    if (c->carry_headers && rd_kafka_message_headers(m, &in) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char *name;
        const void *value;
        size_t size;
        for (size_t i = 0; rd_kafka_header_get_all(in, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
             i++)
            rd_kafka_header_add(out, name, -1, value, value ? (ssize_t)size : -1);
    }
    for (int i = 0; i < c->header_count; i++) {
        gr_buf_reset(&s->header);
        gr_template_expand(&c->header_values[i], meta, &s->header);
        rd_kafka_header_add(out, c->header_names[i], -1, s->header.data ? (const char *)s->header.data : "",
                            (ssize_t)s->header.len);
    }
    return out;
}

/* Produces output `o` with the metadata of its first event; a refusal marks it failed. */
void gr_pipe_produce(rd_kafka_t *producer, const gr_pipeline_config *c, rd_kafka_message_t *const *events,
                     gr_pipe_output *o, gr_pipe_scratch *s, gr_connector_status *st) {
    if (!encode_output(c, events, o, s, st)) {
        o->state = GR_OUT_DROPPED; /* nothing decodes: nothing to send, the offsets move past it */
        return;
    }
    const rd_kafka_message_t *m = events[o->first];
    gr_record_meta meta = meta_of(m);
    gr_buf_reset(&s->key);
    gr_template_expand(&c->key, &meta, &s->key);
    if (!s->key.len && c->default_key) gr_buf_put(&s->key, c->default_key, strlen(c->default_key));
    int32_t partition = c->partition_mode == GR_PARTITION_CARRY   ? m->partition
                        : c->partition_mode == GR_PARTITION_FIXED ? c->partition
                                                                  : RD_KAFKA_PARTITION_UA;
    int64_t timestamp = c->carry_timestamp && meta.timestamp_ms > 0 ? meta.timestamp_ms : 0;
    for (;;) {
        rd_kafka_headers_t *h = output_headers(c, s, m, &meta);
        rd_kafka_resp_err_t err =
            rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(c->output_topic), RD_KAFKA_V_PARTITION(partition),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_KEY(s->key.len ? s->key.data : NULL, s->key.len),
                              RD_KAFKA_V_VALUE(s->value.data, s->value.len), RD_KAFKA_V_HEADERS(h),
                              RD_KAFKA_V_TIMESTAMP(timestamp), RD_KAFKA_V_OPAQUE(o), RD_KAFKA_V_END);
        if (!err) {
            o->state = GR_OUT_IN_FLIGHT;
            return;
        }
        rd_kafka_headers_destroy(h);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || gr_stop_requested()) {
            o->state = GR_OUT_FAILED;
            char why[256];
            snprintf(why, sizeof why, "produce to %s: %s", c->output_topic, rd_kafka_err2str(err));
            gr_pipe_event_error(st, m, why);
            return;
        }
        rd_kafka_poll(producer, QUEUE_FULL_WAIT_MS); /* the queue drains as reports come in */
    }
}
