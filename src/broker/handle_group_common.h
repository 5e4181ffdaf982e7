/*
 * handle_group_common.h: small helpers the group handlers share: copying
 * strings into a request's arena (replies built on another thread must not
 * point into group state), and who the client is.
 */
#ifndef GREGOR_BROKER_HANDLE_GROUP_COMMON_H
#define GREGOR_BROKER_HANDLE_GROUP_COMMON_H

#include <string.h>

#include "broker/broker.h"
#include "group/coordinator.h"

/* Copy of s in the request's arena; null stays null. */
static inline gr_str gr_group_copy_str(gr_request *req, gr_str s) {
    if (s.len < 0 || !s.ptr) return (gr_str){NULL, -1};
    char *p = gr_arena_strndup(&req->arena, s.ptr, (size_t)s.len);
    GR_ASSERT(p != NULL);
    return (gr_str){p, s.len};
}

static inline gr_bytes gr_group_copy_bytes(gr_request *req, gr_bytes b) {
    if (b.len <= 0 || !b.ptr) return (gr_bytes){(const uint8_t *)"", 0};
    uint8_t *p = gr_request_alloc(req, (size_t)b.len);
    memcpy(p, b.ptr, (size_t)b.len);
    return (gr_bytes){p, b.len};
}

static inline gr_gc_client gr_group_client(gr_request *req) {
    gr_gc_client c = {req->client_id.len >= 0 ? req->client_id : (gr_str){"", 0},
                      gr_str_c(gr_conn_peer(req->conn))};
    return c;
}

#endif
