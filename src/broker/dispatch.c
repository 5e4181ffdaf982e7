/*
 * dispatch.c: from a frame to a handler.
 *
 * Reads the api key and version, answers the cases Kafka answers before
 * parsing (unknown key: close; ApiVersions at an unknown version: a v0 error
 * body listing our ApiVersions range), decodes the header and body into the
 * request's arena, and calls the handler from the table in api_support.c.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "broker/api_support.h"
#include "broker/broker.h"
#include "proto/errors.h"
#include "proto/header.h"

#define REQUEST_ARENA_LIMIT_BYTES (64u * 1024u * 1024u)

/* ApiVersions at a version we do not know: v0 header, v0 body, error 35 and our own range. */
static void reply_api_versions_unsupported(gr_conn *c, uint64_t seq, int32_t correlation_id) {
    const gr_api_support *av = gr_api_support_find(GR_API_API_VERSIONS);
    gr_buf b;
    gr_buf_init(&b);
    size_t start = gr_response_begin(&b, correlation_id, 0);
    gr_buf_put_i16(&b, GR_ERR_UNSUPPORTED_VERSION);
    gr_buf_put_i32(&b, 1);
    gr_buf_put_i16(&b, GR_API_API_VERSIONS);
    gr_buf_put_i16(&b, av->min_version);
    gr_buf_put_i16(&b, av->max_version);
    gr_response_finish(&b, start);
    gr_conn_reply(c, seq, &b);
    gr_buf_free(&b);
}

void gr_broker_on_request(gr_conn *c, uint8_t *frame, size_t len, uint64_t seq, void *ud) {
    gr_broker *broker = ud;
    gr_reader r = gr_reader_make(frame, len);
    int16_t key = gr_read_i16(&r);
    int16_t version = gr_read_i16(&r);
    int32_t correlation_id = gr_read_i32(&r);
    const gr_api_support *api = r.err ? NULL : gr_api_support_find(key);
    const gr_api_schema *schema = api ? gr_api_schema_find(key) : NULL;
    if (!api || !schema) {
        GR_DEBUG("dispatch", "closing %s: unknown api key %d", gr_conn_peer(c), key);
        free(frame);
        gr_conn_close_after(c, seq);
        return;
    }
    if (version < api->min_accepted || version > api->max_version) {
        free(frame);
        if (key == GR_API_API_VERSIONS && version > api->max_version) {
            reply_api_versions_unsupported(c, seq, correlation_id);
            return;
        }
        GR_DEBUG("dispatch", "closing %s: %s v%d is not supported", gr_conn_peer(c), schema->name, version);
        gr_conn_close_after(c, seq);
        return;
    }
    gr_request *req = calloc(1, sizeof *req);
    if (!req) {
        free(frame);
        gr_conn_close_after(c, seq);
        return;
    }
    req->broker = broker;
    req->started_ns = gr_mono_ns();
    req->conn = c;
    gr_conn_ref(c);
    req->seq = seq;
    req->api_key = key;
    req->api_version = version;
    req->correlation_id = correlation_id;
    req->frame = frame;
    req->frame_len = len;
    req->schema = schema;
    gr_arena_init(&req->arena, REQUEST_ARENA_LIMIT_BYTES);

    r = gr_reader_make(frame, len);
    gr_request_header_info hdr;
    if (gr_request_header_parse(&r, &hdr) != 0) goto malformed;
    req->client_id = hdr.client_id;
    req->body = gr_arena_alloc(&req->arena, schema->request_struct_size);
    if (!req->body) goto malformed;
    schema->init_request(req->body);
    if (schema->decode_request(&r, &req->arena, version, req->body) != 0) {
        /* ApiVersions v3+ from an unknown client version: Kafka answers with v0 and error 35 too. */
        if (key == GR_API_API_VERSIONS) {
            reply_api_versions_unsupported(c, seq, correlation_id);
            gr_request_discard(req); /* its slot is answered */
            return;
        }
        goto malformed;
    }
    api->handler(req);
    return;
malformed:
    GR_DEBUG("dispatch", "closing %s: malformed %s v%d request", gr_conn_peer(c), schema->name, version);
    gr_request_close(req);
}
