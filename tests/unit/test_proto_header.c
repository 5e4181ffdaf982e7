/*
 * test_proto_header.c: request header parsing, response framing, the API table's lookups and
 * header-version rules, and error names.
 */
#include <string.h>

#include "proto/errors.h"
#include "proto/gen/api_table.h"
#include "proto/gen/produce.h"
#include "proto/header.h"
#include "test_check.h"

static int parse_hex(const char *hex, gr_request_header_info *h, size_t *body_at, size_t *len) {
    static unsigned char buf[256];
    *len = test_unhex(hex, buf, sizeof buf);
    gr_reader r = gr_reader_make(buf, *len);
    int rc = gr_request_header_parse(&r, h);
    *body_at = r.pos;
    return rc;
}

static void test_request_headers(void) {
    gr_request_header_info h;
    size_t at, len;

    /* Metadata v1, header v1, client id "abc", one body byte. */
    CHECK_EQ_INT(parse_hex("0003 0001 00000005 0003 616263 ff", &h, &at, &len), GR_HEADER_OK);
    CHECK_EQ_INT(h.api_key, 3);
    CHECK_EQ_INT(h.api_version, 1);
    CHECK_EQ_INT(h.correlation_id, 5);
    CHECK_EQ_INT(h.header_version, 1);
    CHECK(gr_str_eq(h.client_id, "abc"));
    CHECK_EQ_INT(at, len - 1);

    /* Null client id reads as empty. */
    CHECK_EQ_INT(parse_hex("0003 0001 00000005 ffff", &h, &at, &len), GR_HEADER_OK);
    CHECK(h.client_id.len == 0 && h.client_id.ptr != NULL);

    /* Metadata v9: header v2; client id keeps INT16 length; unknown tagged field skipped. */
    CHECK_EQ_INT(parse_hex("0003 0009 7fffffff 0002 6869 01 05 02 aaaa 42", &h, &at, &len), GR_HEADER_OK);
    CHECK_EQ_INT(h.header_version, 2);
    CHECK_EQ_INT(h.correlation_id, INT32_MAX);
    CHECK(gr_str_eq(h.client_id, "hi"));
    CHECK_EQ_INT(at, len - 1);

    /* ApiVersions newer than we know: still parsed (flexible, header v2) so it can be answered. */
    CHECK_EQ_INT(parse_hex("0012 0063 00000001 0000 00", &h, &at, &len), GR_HEADER_OK);
    CHECK_EQ_INT(h.header_version, 2);
    CHECK_EQ_INT(h.api_version, 99);

    /* Unknown keys: reported with what was read, for the log line. */
    CHECK_EQ_INT(parse_hex("03e7 0000 0000002a 0000", &h, &at, &len), GR_HEADER_UNKNOWN_KEY);
    CHECK_EQ_INT(h.api_key, 999);
    CHECK_EQ_INT(h.correlation_id, 42);
    CHECK_EQ_INT(parse_hex("ffff 0000 00000001 0000", &h, &at, &len), GR_HEADER_UNKNOWN_KEY);

    /* Truncated anywhere: malformed. */
    CHECK_EQ_INT(parse_hex("0003 0001 0000", &h, &at, &len), GR_HEADER_MALFORMED);
    CHECK_EQ_INT(parse_hex("0003 0001 00000005 00", &h, &at, &len), GR_HEADER_MALFORMED);
    CHECK_EQ_INT(parse_hex("0003 0001 00000005 0005 6162", &h, &at, &len), GR_HEADER_MALFORMED);
    CHECK_EQ_INT(parse_hex("0003 0009 00000005 0000", &h, &at, &len),
                 GR_HEADER_MALFORMED); /* no tag section */
    CHECK_EQ_INT(parse_hex("0003 0009 00000005 0000 01 05 09 00", &h, &at, &len), GR_HEADER_MALFORMED);
    CHECK_EQ_INT(parse_hex("0003 0001 00000005 fffe", &h, &at, &len), GR_HEADER_MALFORMED);
}

static void test_response_framing(void) {
    gr_buf b;
    gr_buf_init(&b);
    size_t start = gr_response_begin(&b, 0x01020304, 0);
    gr_buf_put_i16(&b, 0);
    gr_response_finish(&b, start);
    unsigned char want0[] = {0, 0, 0, 6, 1, 2, 3, 4, 0, 0};
    CHECK(b.len == sizeof want0 && memcmp(b.data, want0, sizeof want0) == 0);

    /* A second frame in the same buffer, header v1, with a spliced file range in its body. */
    gr_file_ref *f = gr_file_ref_new(-1);
    gr_buf_add_file(&b, f, 0, 1000); /* belongs to the first frame's tail, not to the next */
    start = gr_response_begin(&b, 7, 1);
    CHECK_EQ_INT(start, sizeof want0);
    gr_buf_put_i32(&b, 500);
    gr_buf_add_file(&b, f, 4096, 500);
    gr_buf_put_i8(&b, 0);
    gr_response_finish(&b, start);
    gr_reader r = gr_reader_make(b.data + start, b.len - start);
    CHECK_EQ_INT(gr_read_i32(&r), 4 + 1 + 4 + 500 + 1);
    CHECK_EQ_INT(gr_read_i32(&r), 7);
    CHECK_EQ_INT(gr_read_i8(&r), 0); /* empty tag section */
    gr_buf_free(&b);
    gr_file_ref_release(f);
}

static void test_api_table(void) {
    const gr_api_schema *s = gr_api_schema_find(GR_API_PRODUCE);
    CHECK(s && s->key == 0 && strcmp(s->name, "Produce") == 0);
    if (s) {
        CHECK_EQ_INT(s->min_version, 0);
        CHECK_EQ_INT(s->max_version, 11);
        CHECK_EQ_INT(s->flexible_min, 9);
        CHECK(s->request_struct_size == sizeof(gr_produce_request));
    }
    s = gr_api_schema_find(GR_API_SASL_HANDSHAKE);
    CHECK(s && s->flexible_min == -1);
    s = gr_api_schema_find(GR_API_END_TXN);
    CHECK(s && s->latest_version_unstable);
    CHECK(gr_api_schema_find(-1) == NULL);
    CHECK(gr_api_schema_find(7) == NULL); /* ControlledShutdown: not client-facing */
    CHECK(gr_api_schema_find(4) == NULL); /* LeaderAndIsr */
    CHECK(gr_api_schema_find(1000) == NULL);
    CHECK(gr_api_schema_find(INT16_MAX) == NULL);
    CHECK_EQ_INT(GR_API_API_VERSIONS, 18);
    CHECK_EQ_INT(GR_API_DESCRIBE_TOPIC_PARTITIONS, 75);

    /* Keys ascending and unique; every entry findable; codecs all present. */
    for (size_t i = 0; i < gr_api_schema_count; i++) {
        const gr_api_schema *e = &gr_api_schemas[i];
        if (i) CHECK(gr_api_schemas[i - 1].key < e->key);
        CHECK(gr_api_schema_find(e->key) == e);
        CHECK(e->init_request && e->decode_request && e->encode_request && e->size_request);
        CHECK(e->init_response && e->decode_response && e->encode_response && e->size_response);
        CHECK(e->min_version <= e->max_version);
    }

    CHECK_EQ_INT(gr_request_header_version(GR_API_PRODUCE, 8), 1);
    CHECK_EQ_INT(gr_request_header_version(GR_API_PRODUCE, 9), 2);
    CHECK_EQ_INT(gr_response_header_version(GR_API_PRODUCE, 8), 0);
    CHECK_EQ_INT(gr_response_header_version(GR_API_PRODUCE, 9), 1);
    CHECK_EQ_INT(gr_request_header_version(GR_API_API_VERSIONS, 3), 2);
    CHECK_EQ_INT(gr_request_header_version(GR_API_API_VERSIONS, 0), 1);
    CHECK_EQ_INT(gr_response_header_version(GR_API_API_VERSIONS, 3), 0);
    CHECK_EQ_INT(gr_response_header_version(GR_API_API_VERSIONS, 4), 0);
    CHECK_EQ_INT(gr_request_header_version(GR_API_SASL_HANDSHAKE, 1), 1);
    CHECK_EQ_INT(gr_response_header_version(GR_API_DESCRIBE_TOPIC_PARTITIONS, 0), 1);
    CHECK_EQ_INT(gr_request_header_version(999, 0), -1);
    CHECK_EQ_INT(gr_response_header_version(-5, 0), -1);
}

static void test_error_names(void) {
    CHECK(strcmp(gr_error_name(GR_ERR_NONE), "NONE") == 0);
    CHECK(strcmp(gr_error_name(-1), "UNKNOWN_SERVER_ERROR") == 0);
    CHECK(strcmp(gr_error_name(2), "CORRUPT_MESSAGE") == 0);
    CHECK(strcmp(gr_error_name(35), "UNSUPPORTED_VERSION") == 0);
    CHECK(strcmp(gr_error_name(79), "MEMBER_ID_REQUIRED") == 0);
    CHECK(strcmp(gr_error_name(120), "TRANSACTION_ABORTABLE") == 0);
    CHECK(strcmp(gr_error_name(GR_ERR_MAX_KNOWN), "SHARE_SESSION_LIMIT_REACHED") == 0);
    CHECK(strcmp(gr_error_name(GR_ERR_MAX_KNOWN + 1), "UNKNOWN_ERROR_CODE") == 0);
    CHECK(strcmp(gr_error_name(-2), "UNKNOWN_ERROR_CODE") == 0);
    CHECK(strcmp(gr_error_name(INT16_MIN), "UNKNOWN_ERROR_CODE") == 0);
    CHECK_EQ_INT(GR_ERR_NOT_LEADER_OR_FOLLOWER, 6);
    CHECK_EQ_INT(GR_ERR_UNKNOWN_TOPIC_ID, 100);
    for (int c = -1; c <= GR_ERR_MAX_KNOWN; c++)
        CHECK(strcmp(gr_error_name((int16_t)c), "UNKNOWN_ERROR_CODE") != 0);
}

int main(void) {
    test_request_headers();
    test_response_framing();
    test_api_table();
    test_error_names();
    if (test_failures) fprintf(stderr, "test_proto_header: %d failures\n", test_failures);
    return test_failures ? 1 : 0;
}
