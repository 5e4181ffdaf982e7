/*
 * buf.h: a growable output buffer that can also carry file ranges.
 *
 * Responses are encoded into a gr_buf. A Fetch response does not copy
 * record batches into it: gr_buf_add_file() records a "splice" (a file
 * range to be inserted at the current position), and the connection
 * writer sends memory with writev and splices with sendfile.
 *
 *   data: [hdr .. size ..][partition hdr][len]   [next partition ...]
 *                                          ^ splice: file fd, offset, length
 *
 * Allocation failure sets `oom` and later writes become no-ops; the owner
 * checks it once before sending.
 */
#ifndef GREGOR_BASE_BUF_H
#define GREGOR_BASE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/file_ref.h"
#include "base/reader.h"

typedef struct gr_splice {
    size_t at;         /* position in data where the file bytes belong */
    gr_file_ref *file; /* holds one reference */
    int64_t offset;
    int64_t length;
} gr_splice;

typedef struct gr_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    gr_splice *splices;
    int nsplices;
    int splice_cap;
    int64_t splice_bytes; /* total bytes of all splices */
    bool oom;
} gr_buf;

void gr_buf_init(gr_buf *b);
void gr_buf_free(gr_buf *b); /* releases file references too */
void gr_buf_reset(gr_buf *b);
bool gr_buf_reserve(gr_buf *b, size_t extra);

/* Total logical length: memory bytes plus spliced file bytes. */
static inline int64_t gr_buf_total(const gr_buf *b) { return (int64_t)b->len + b->splice_bytes; }

void gr_buf_put(gr_buf *b, const void *p, size_t n);
void gr_buf_put_i8(gr_buf *b, int8_t v);
void gr_buf_put_i16(gr_buf *b, int16_t v);
void gr_buf_put_i32(gr_buf *b, int32_t v);
void gr_buf_put_i64(gr_buf *b, int64_t v);
void gr_buf_put_u16(gr_buf *b, uint16_t v);
void gr_buf_put_u32(gr_buf *b, uint32_t v);
void gr_buf_put_f64(gr_buf *b, double v);
void gr_buf_put_bool(gr_buf *b, bool v);
void gr_buf_put_uuid(gr_buf *b, const uint8_t v[16]);
void gr_buf_put_uvarint(gr_buf *b, uint32_t v);
void gr_buf_put_uvarlong(gr_buf *b, uint64_t v);
void gr_buf_put_varint(gr_buf *b, int32_t v);
void gr_buf_put_varlong(gr_buf *b, int64_t v);

void gr_buf_put_string(gr_buf *b, gr_str s);         /* INT16 length, -1 for null */
void gr_buf_put_compact_string(gr_buf *b, gr_str s); /* UVARINT length+1, 0 for null */
void gr_buf_put_bytes(gr_buf *b, gr_bytes s);
void gr_buf_put_compact_bytes(gr_buf *b, gr_bytes s);
void gr_buf_put_array_count(gr_buf *b, int32_t n);         /* INT32, -1 null */
void gr_buf_put_compact_array_count(gr_buf *b, int32_t n); /* UVARINT n+1, 0 null */

/* Overwrites 4 bytes at `at` (used to fill in a length once it is known). */
void gr_buf_patch_i32(gr_buf *b, size_t at, int32_t v);

/* Appends a file range at the current position; takes a new reference on `file`. */
void gr_buf_add_file(gr_buf *b, gr_file_ref *file, int64_t offset, int64_t length);

/* Sizes of encodings, for computing lengths before writing. */
size_t gr_uvarint_size(uint32_t v);
size_t gr_uvarlong_size(uint64_t v);
size_t gr_varint_size(int32_t v);
size_t gr_varlong_size(int64_t v);

#endif
