/*
 * errors.c: result code -> text, and copying text into caller buffers.
 */
#include <stdio.h>
#include <string.h>

#include "capi/client.h"
#include "capi/gregor_client.h"

static const char *own_message(int32_t code) {
    switch (code) {
    case GREGOR_OK:
        return "Success";
    case GREGOR_ERR_BAD_HANDLE:
        return "Invalid handle (zero, unknown, closed, or of the wrong kind)";
    case GREGOR_ERR_BAD_ARGUMENT:
        return "Invalid argument (a NULL pointer or a value out of range)";
    case GREGOR_ERR_BUFFER_TOO_SMALL:
        return "Buffer too small (the needed sizes were reported)";
    case GREGOR_ERR_CONFIG:
        return "Invalid configuration";
    case GREGOR_ERR_TIMED_OUT:
        return "Timed out";
    case GREGOR_ERR_NO_MEMORY:
        return "Out of memory";
    case GREGOR_ERR_TOO_MANY_HANDLES:
        return "Too many open handles";
    case GREGOR_ERR_NOT_FOUND:
        return "Not found";
    default:
        return NULL;
    }
}

int32_t gregor_error_message(int32_t code, char *buf, size_t buf_size) {
    const char *own = own_message(code);
    if (own) {
        gr_capi_copy_text(buf, buf_size, own);
    } else {
        /* librdkafka knows Kafka's codes and its own; unknown ones get a generic text from it. */
        gr_capi_copy_text(buf, buf_size, rd_kafka_err2str((rd_kafka_resp_err_t)code));
    }
    return GREGOR_OK;
}

const char *gregor_version(void) { return GREGOR_CLIENT_VERSION; }

const char *gregor_rdkafka_version(void) { return rd_kafka_version_str(); }

void gr_capi_copy_text(char *buf, size_t buf_size, const char *text) {
    if (!buf || buf_size == 0) return;
    size_t n = strlen(text);
    if (n >= buf_size) n = buf_size - 1;
    memcpy(buf, text, n);
    buf[n] = '\0';
}

int32_t gr_capi_copy_out(char *out, size_t out_size, size_t *out_len, const char *text, size_t text_len) {
    if (out_len) *out_len = text_len + 1;
    if (!out || out_size < text_len + 1) return GREGOR_ERR_BUFFER_TOO_SMALL;
    memcpy(out, text, text_len);
    out[text_len] = '\0';
    return GREGOR_OK;
}
