/* request.c: replying to a request and freeing it (see broker.h). */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "broker/broker.h"
#include "broker/metrics.h"
#include "proto/header.h"

void gr_request_discard(gr_request *req) {
    gr_metrics_request_done(req->api_key, gr_mono_ns() - req->started_ns);
    gr_arena_free(&req->arena);
    free(req->frame);
    gr_conn_unref(req->conn);
    free(req);
}

void gr_request_reply(gr_request *req, const void *response) {
    if (!gr_conn_is_closed(req->conn)) {
        gr_buf b;
        gr_buf_init(&b);
        int header_version = gr_response_header_version(req->api_key, req->api_version);
        size_t start = gr_response_begin(&b, req->correlation_id, header_version);
        req->schema->encode_response(&b, req->api_version, response);
        gr_response_finish(&b, start);
        gr_conn_reply(req->conn, req->seq, &b);
        gr_buf_free(&b);
    }
    gr_request_discard(req);
}

void gr_request_reply_none(gr_request *req) {
    if (!gr_conn_is_closed(req->conn)) gr_conn_reply_none(req->conn, req->seq);
    gr_request_discard(req);
}

void gr_request_close(gr_request *req) {
    if (!gr_conn_is_closed(req->conn)) gr_conn_close_after(req->conn, req->seq);
    gr_request_discard(req);
}

void *gr_request_alloc(gr_request *req, size_t size) {
    void *p = gr_arena_alloc(&req->arena, size);
    GR_ASSERT(p != NULL); /* response building stays far below the arena cap */
    return p;
}

void *gr_request_new_response(gr_request *req) {
    void *resp = gr_request_alloc(req, req->schema->response_struct_size);
    req->schema->init_response(resp);
    return resp;
}

gr_str gr_request_strdup(gr_request *req, const char *s) {
    size_t n = strlen(s);
    char *p = gr_arena_strndup(&req->arena, s, n);
    GR_ASSERT(p != NULL);
    return (gr_str){p, (int32_t)n};
}
