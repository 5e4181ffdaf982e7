/*
 * headers.c: the header block, libgregor's flat encoding of record headers. Each entry is
 * uint32 name length, uint32 value length (host order; GREGOR_HEADER_NULL_VALUE for a null
 * value), then the name and value bytes. Flat bytes, so any FFI can build and read it.
 */
#include <string.h>

#include "capi/client.h"
#include "capi/gregor_client.h"

#define ENTRY_PREFIX_BYTES (2 * sizeof(uint32_t))
#define HEADER_NAME_BYTES_MAX 65535

int32_t gregor_header_append(void *buf, size_t buf_size, size_t *used, const char *name, const void *value,
                             size_t value_len) {
    if (!buf || !used || !name || *used > buf_size || (!value && value_len)) return GREGOR_ERR_BAD_ARGUMENT;
    size_t name_len = strlen(name);
    if (name_len > HEADER_NAME_BYTES_MAX || value_len >= GREGOR_HEADER_NULL_VALUE)
        return GREGOR_ERR_BAD_ARGUMENT;
    size_t need = ENTRY_PREFIX_BYTES + name_len + value_len;
    if (buf_size - *used < need) return GREGOR_ERR_BUFFER_TOO_SMALL;
    unsigned char *at = (unsigned char *)buf + *used;
    uint32_t lens[2] = {(uint32_t)name_len, value ? (uint32_t)value_len : GREGOR_HEADER_NULL_VALUE};
    memcpy(at, lens, sizeof lens);
    memcpy(at + ENTRY_PREFIX_BYTES, name, name_len);
    if (value_len) memcpy(at + ENTRY_PREFIX_BYTES + name_len, value, value_len);
    *used += need;
    return GREGOR_OK;
}

int32_t gr_capi_headers_parse(const void *block, size_t block_len, rd_kafka_headers_t **headers_out) {
    *headers_out = NULL;
    const unsigned char *at = block, *end = at + block_len;
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(8);
    while (at < end) {
        uint32_t lens[2];
        if ((size_t)(end - at) < ENTRY_PREFIX_BYTES) goto malformed;
        memcpy(lens, at, sizeof lens);
        at += ENTRY_PREFIX_BYTES;
        size_t value_bytes = lens[1] == GREGOR_HEADER_NULL_VALUE ? 0 : lens[1];
        if (lens[0] > HEADER_NAME_BYTES_MAX || (size_t)(end - at) < (size_t)lens[0] + value_bytes)
            goto malformed;
        const unsigned char *value = lens[1] == GREGOR_HEADER_NULL_VALUE ? NULL : at + lens[0];
        rd_kafka_header_add(hdrs, (const char *)at, (ssize_t)lens[0], value, (ssize_t)value_bytes);
        at += lens[0] + value_bytes;
    }
    *headers_out = hdrs;
    return GREGOR_OK;
malformed:
    rd_kafka_headers_destroy(hdrs);
    return GREGOR_ERR_BAD_ARGUMENT;
}

size_t gr_capi_headers_size(rd_kafka_headers_t *headers) {
    size_t total = 0;
    const char *name;
    const void *value;
    size_t value_len;
    for (size_t i = 0; headers && !rd_kafka_header_get_all(headers, i, &name, &value, &value_len); i++)
        total += ENTRY_PREFIX_BYTES + strlen(name) + (value ? value_len : 0);
    return total;
}

void gr_capi_headers_write(rd_kafka_headers_t *headers, unsigned char *out) {
    const char *name;
    const void *value;
    size_t value_len;
    for (size_t i = 0; headers && !rd_kafka_header_get_all(headers, i, &name, &value, &value_len); i++) {
        size_t name_len = strlen(name), value_bytes = value ? value_len : 0;
        uint32_t lens[2] = {(uint32_t)name_len, value ? (uint32_t)value_len : GREGOR_HEADER_NULL_VALUE};
        memcpy(out, lens, sizeof lens);
        memcpy(out + ENTRY_PREFIX_BYTES, name, name_len);
        if (value_bytes) memcpy(out + ENTRY_PREFIX_BYTES + name_len, value, value_bytes);
        out += ENTRY_PREFIX_BYTES + name_len + value_bytes;
    }
}
