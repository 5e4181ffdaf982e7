/*
 * http_request.h: the request head of the admin listener's HTTP/1.1, parsed from untrusted bytes.
 *
 * Only what the admin pages need: method, path, query. Headers are checked for shape and skipped
 * (a body is not read: every page is GET). The head must fit GR_HTTP_HEAD_MAX_BYTES.
 */
#ifndef GREGOR_BROKER_HTTP_REQUEST_H
#define GREGOR_BROKER_HTTP_REQUEST_H

#include <stddef.h>

#define GR_HTTP_HEAD_MAX_BYTES 8192
#define GR_HTTP_PATH_MAX_BYTES 512

typedef enum {
    GR_HTTP_INCOMPLETE = 0, /* no blank line yet: read more */
    GR_HTTP_OK,
    GR_HTTP_BAD,       /* 400 */
    GR_HTTP_TOO_LARGE, /* 431: the head does not fit */
} gr_http_parse_result;

typedef struct gr_http_request {
    char method[16];
    char path[GR_HTTP_PATH_MAX_BYTES];  /* percent-decoded, without the query */
    char query[GR_HTTP_PATH_MAX_BYTES]; /* after '?', as sent ("" if none) */
    int minor_version;                  /* HTTP/1.x */
} gr_http_request;

gr_http_parse_result gr_http_parse(const char *data, size_t len, gr_http_request *out);

#endif
