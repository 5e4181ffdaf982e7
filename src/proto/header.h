/*
 * header.h: request headers in, response headers out.
 *
 * A request frame (size prefix already removed) starts with api_key,
 * api_version and correlation_id; which header version follows depends on
 * the API and its version (v0 only for ControlledShutdown v0, v1 adds the
 * client id, v2 adds a tagged-field section). The client id keeps its INT16
 * length even in v2, so the header of any ApiVersions request can be read
 * before the broker knows what the client speaks.
 *
 * A response frame is a 4-byte size, the correlation id and, for response
 * header v1, an empty tagged-field section; the size is patched in once the
 * body (including any spliced file bytes) has been written.
 */
#ifndef GREGOR_PROTO_HEADER_H
#define GREGOR_PROTO_HEADER_H

#include "proto/types.h"

typedef struct gr_request_header_info {
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    gr_str client_id;   /* never null: a null client id reads as "" */
    int header_version; /* 0, 1 or 2 */
} gr_request_header_info;

enum gr_header_status {
    GR_HEADER_OK = 0,
    GR_HEADER_MALFORMED = -1,   /* truncated or invalid: close the connection */
    GR_HEADER_UNKNOWN_KEY = -2, /* api_key not in the schema table: close the connection */
};

/* Parses the header and leaves r at the body. api_key, api_version and correlation_id are set
 * whenever the first 8 bytes were there, also for GR_HEADER_UNKNOWN_KEY. The version is not
 * checked against the API's range: an ApiVersions request of a newer version must still be
 * answered (with UNSUPPORTED_VERSION). */
int gr_request_header_parse(gr_reader *r, gr_request_header_info *out);

/* Starts a response frame at the end of b; returns the frame's start for gr_response_finish. */
size_t gr_response_begin(gr_buf *b, int32_t correlation_id, int header_version);

/* Writes the frame size (everything after the 4-byte prefix, spliced file bytes included). */
void gr_response_finish(gr_buf *b, size_t start);

#endif
