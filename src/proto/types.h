/*
 * types.h: the value types generated protocol structs are made of.
 *
 * Strings and byte fields (gr_str, gr_bytes from base/reader.h) point into
 * the request buffer or into memory the encoder's caller owns; nothing here
 * owns memory. RECORDS fields can also name a file range, so a Fetch
 * response carries log segment bytes without copying them (see base/buf.h).
 */
#ifndef GREGOR_PROTO_TYPES_H
#define GREGOR_PROTO_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/file_ref.h"
#include "base/reader.h"

/* A UUID as sent on the wire (most significant byte first); all zero means "none". */
typedef struct gr_uuid {
    uint8_t b[16];
} gr_uuid;

static inline bool gr_uuid_is_zero(gr_uuid u) {
    for (int i = 0; i < 16; i++)
        if (u.b[i]) return false;
    return true;
}

static inline bool gr_uuid_eq(gr_uuid a, gr_uuid b) { return memcmp(a.b, b.b, 16) == 0; }

/* RECORDS fields: record batches, framed like (compact) nullable bytes. */
typedef struct gr_records {
    const uint8_t *ptr; /* memory bytes when file == NULL */
    int32_t len;        /* -1 = null */
    gr_file_ref *file;  /* encode only: the bytes are file[file_offset, file_offset + len) */
    int64_t file_offset;
} gr_records;

#endif
