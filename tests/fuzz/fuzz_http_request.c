/* fuzz_http_request.c: the admin listener's HTTP request-head parser on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "broker/http_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    gr_http_request req;
    if (gr_http_parse((const char *)data, size, &req) == GR_HTTP_OK) {
        /* What a route reads must be terminated strings within their buffers. */
        if (strnlen(req.method, sizeof req.method) == sizeof req.method) __builtin_trap();
        if (strnlen(req.path, sizeof req.path) == sizeof req.path) __builtin_trap();
        if (strnlen(req.query, sizeof req.query) == sizeof req.query) __builtin_trap();
        if (req.path[0] != '/') __builtin_trap();
    }
    return 0;
}
