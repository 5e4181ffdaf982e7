/* header.c: request header parsing and response framing (see header.h). */
#include "proto/header.h"

#include "proto/gen/api_table.h"
#include "proto/gen/request_header.h"

int gr_request_header_parse(gr_reader *r, gr_request_header_info *out) {
    out->api_key = -1;
    out->api_version = -1;
    out->correlation_id = 0;
    out->client_id = (gr_str){"", 0};
    out->header_version = -1;

    /* Peek at key and version to pick the header version, then parse from the start. */
    size_t start = r->pos;
    out->api_key = gr_read_i16(r);
    out->api_version = gr_read_i16(r);
    out->correlation_id = gr_read_i32(r);
    if (r->err) return GR_HEADER_MALFORMED;
    int header_version = gr_request_header_version(out->api_key, out->api_version);
    if (header_version < 0) return GR_HEADER_UNKNOWN_KEY;
    r->pos = start;

    /* The header borrows the frame's bytes and never allocates: an empty arena suffices. */
    gr_arena none;
    gr_arena_init(&none, 1);
    gr_request_header h;
    int rc = gr_request_header_decode(r, &none, (int16_t)header_version, &h);
    gr_arena_free(&none);
    if (rc != 0) return GR_HEADER_MALFORMED;
    out->header_version = header_version;
    if (h.client_id.len >= 0) out->client_id = h.client_id;
    return GR_HEADER_OK;
}

size_t gr_response_begin(gr_buf *b, int32_t correlation_id, int header_version) {
    size_t start = b->len;
    gr_buf_put_i32(b, 0); /* size, patched by gr_response_finish */
    gr_buf_put_i32(b, correlation_id);
    if (header_version >= 1) gr_buf_put_uvarint(b, 0); /* no tagged fields */
    return start;
}

void gr_response_finish(gr_buf *b, size_t start) {
    /* Splices added before the frame began sit at positions <= start; they are not ours. */
    int64_t spliced_before = 0;
    for (int i = 0; i < b->nsplices; i++)
        if (b->splices[i].at <= start) spliced_before += b->splices[i].length;
    int64_t size = gr_buf_total(b) - (int64_t)start - spliced_before - 4;
    gr_buf_patch_i32(b, start, (int32_t)size);
}
