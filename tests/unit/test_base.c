/*
 * test_base.c: the base layer's byte-level pieces against known values:
 * varints (worked values from the protocol's zigzag rules), CRC-32C and
 * murmur2 test vectors, reader bounds checks, buffer growth and splices,
 * and the arena cap.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/crc32c.h"
#include "base/murmur2.h"
#include "base/reader.h"
#include "test_check.h"

static int bytes_are(const gr_buf *b, const char *hex) {
    unsigned char want[64];
    size_t n = test_unhex(hex, want, sizeof want);
    return b->len == n && memcmp(b->data, want, n) == 0;
}

static void test_varint_values(void) {
    static const struct {
        int32_t v;
        const char *hex;
    } cases[] = {
        {0, "00"},
        {-1, "01"},
        {1, "02"},
        {-2, "03"},
        {63, "7e"},
        {-64, "7f"},
        {64, "80 01"},
        {300, "d8 04"},
        {INT32_MAX, "fe ff ff ff 0f"},
        {INT32_MIN, "ff ff ff ff 0f"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gr_buf b;
        gr_buf_init(&b);
        gr_buf_put_varint(&b, cases[i].v);
        CHECK(bytes_are(&b, cases[i].hex));
        CHECK_EQ_INT(gr_varint_size(cases[i].v), b.len);
        gr_reader r = gr_reader_make(b.data, b.len);
        CHECK_EQ_INT(gr_read_varint(&r), cases[i].v);
        CHECK(!r.err && r.pos == b.len);
        gr_buf_free(&b);
    }
    gr_buf b;
    gr_buf_init(&b);
    gr_buf_put_uvarint(&b, 300);
    CHECK(bytes_are(&b, "ac 02"));
    gr_reader r = gr_reader_make(b.data, b.len);
    CHECK_EQ_INT(gr_read_uvarint(&r), 300);
    gr_buf_free(&b);

    static const int64_t longs[] = {0, -1, 1, INT64_MAX, INT64_MIN, 1234567890123LL, -987654321098LL};
    for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++) {
        gr_buf_init(&b);
        gr_buf_put_varlong(&b, longs[i]);
        CHECK_EQ_INT(gr_varlong_size(longs[i]), b.len);
        r = gr_reader_make(b.data, b.len);
        CHECK(gr_read_varlong(&r) == longs[i]);
        CHECK(!r.err && r.pos == b.len);
        gr_buf_free(&b);
    }
    gr_buf_init(&b);
    gr_buf_put_varlong(&b, INT64_MIN);
    CHECK(bytes_are(&b, "ff ff ff ff ff ff ff ff ff 01"));
    gr_buf_free(&b);
}

static void expect_uvarint_rejected(const char *hex) {
    unsigned char in[16];
    size_t n = test_unhex(hex, in, sizeof in);
    gr_reader r = gr_reader_make(in, n);
    CHECK_EQ_INT(gr_read_uvarint(&r), 0);
    CHECK(r.err);
}

static void test_varint_rejects(void) {
    expect_uvarint_rejected("80");                /* truncated */
    expect_uvarint_rejected("ff ff");             /* truncated */
    expect_uvarint_rejected("80 80 80 80 80 00"); /* six bytes for 32 bits */
    expect_uvarint_rejected("ff ff ff ff 1f");    /* 33 bits */
    expect_uvarint_rejected("ff ff ff ff 7f");    /* 35 bits */
    expect_uvarint_rejected("");                  /* nothing */

    unsigned char ok[] = {0xff, 0xff, 0xff, 0xff, 0x0f}; /* exactly 32 bits */
    gr_reader r = gr_reader_make(ok, sizeof ok);
    CHECK(gr_read_uvarint(&r) == UINT32_MAX);
    CHECK(!r.err);

    unsigned char eleven[11];
    memset(eleven, 0x80, sizeof eleven);
    eleven[10] = 0x00;
    r = gr_reader_make(eleven, sizeof eleven);
    gr_read_uvarlong(&r);
    CHECK(r.err);
    unsigned char over64[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}; /* 65 bits */
    r = gr_reader_make(over64, sizeof over64);
    gr_read_uvarlong(&r);
    CHECK(r.err);
    unsigned char max64[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    r = gr_reader_make(max64, sizeof max64);
    CHECK(gr_read_uvarlong(&r) == UINT64_MAX);
    CHECK(!r.err);
}

/* Bit-at-a-time CRC-32C: slow and obviously right, to hold the fast paths to. */
static uint32_t crc32c_reference(const uint8_t *p, size_t len) {
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static void test_crc32c(void) {
    CHECK(gr_crc32c(0, "123456789", 9) == 0xE3069283u);
    CHECK(gr_crc32c(0, "", 0) == 0);
    /* 32 bytes of zeros and of 0xff: the iSCSI (RFC 3720) check values. */
    uint8_t block[32];
    memset(block, 0, sizeof block);
    CHECK(gr_crc32c(0, block, sizeof block) == 0x8A9136AAu);
    memset(block, 0xff, sizeof block);
    CHECK(gr_crc32c(0, block, sizeof block) == 0x62A8AB43u);

    enum { LONG_BYTES = 4099 };
    uint8_t *buf = malloc(LONG_BYTES + 8);
    CHECK(buf != NULL);
    if (!buf) return;
    uint32_t x = 12345;
    for (size_t i = 0; i < LONG_BYTES + 8; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    /* Every alignment and a spread of lengths, whole and in two continued pieces. */
    for (size_t off = 0; off < 8; off++) {
        for (size_t len = 0; len < LONG_BYTES; len += (len < 64 ? 1 : 61)) {
            uint32_t want = crc32c_reference(buf + off, len);
            CHECK(gr_crc32c(0, buf + off, len) == want);
            size_t cut = len / 3;
            CHECK(gr_crc32c(gr_crc32c(0, buf + off, cut), buf + off + cut, len - cut) == want);
        }
    }
    free(buf);
}

static void test_murmur2(void) {
    CHECK_EQ_INT(gr_murmur2("21", 2), -973932308);
    CHECK_EQ_INT(gr_murmur2("foobar", 6), -790332482);
    CHECK_EQ_INT(gr_murmur2("a-little-bit-long-string", 24), -985981536);
    CHECK_EQ_INT(gr_murmur2("abc", 3), 479470107);
}

static void test_reader_bounds(void) {
    uint8_t three[] = {1, 2, 3};
    gr_reader r = gr_reader_make(three, sizeof three);
    CHECK_EQ_INT(gr_read_i32(&r), 0);
    CHECK(r.err);
    CHECK_EQ_INT(gr_read_i8(&r), 0); /* sticky: even a read that would fit fails now */
    CHECK_EQ_INT(gr_reader_remaining(&r), 0);

    r = gr_reader_make(three, sizeof three);
    CHECK_EQ_INT(gr_read_i16(&r), 0x0102);
    CHECK_EQ_INT(gr_read_i8(&r), 3);
    CHECK(!r.err);
    gr_read_i8(&r);
    CHECK(r.err);

    uint8_t i64[] = {0x80, 0, 0, 0, 0, 0, 0, 1};
    r = gr_reader_make(i64, sizeof i64);
    CHECK(gr_read_i64(&r) == (int64_t)(0x8000000000000001ull));
    CHECK(!r.err);
    r = gr_reader_make(i64, 7);
    gr_read_i64(&r);
    CHECK(r.err);
    uint8_t uuid[16];
    r = gr_reader_make(i64, sizeof i64);
    gr_read_uuid(&r, uuid);
    CHECK(r.err);

    /* Strings: length beyond the data, negative lengths other than -1, null. */
    uint8_t s_long[] = {0x00, 0x05, 'a', 'b'};
    r = gr_reader_make(s_long, sizeof s_long);
    gr_str s = gr_read_string(&r);
    CHECK(r.err && s.len == -1);
    uint8_t s_neg[] = {0xff, 0xfe};
    r = gr_reader_make(s_neg, sizeof s_neg);
    gr_read_string(&r);
    CHECK(r.err);
    uint8_t s_null[] = {0xff, 0xff};
    r = gr_reader_make(s_null, sizeof s_null);
    s = gr_read_string(&r);
    CHECK(!r.err && s.len == -1);
    uint8_t cs[] = {0x03, 'h', 'i', 0x00};
    r = gr_reader_make(cs, sizeof cs);
    s = gr_read_compact_string(&r);
    CHECK(!r.err && s.len == 2 && memcmp(s.ptr, "hi", 2) == 0);
    s = gr_read_compact_string(&r);
    CHECK(!r.err && s.len == -1);
    uint8_t cs_long[] = {0x7f, 'x'};
    r = gr_reader_make(cs_long, sizeof cs_long);
    gr_read_compact_string(&r);
    CHECK(r.err);
    uint8_t b_long[] = {0x7f, 0xff, 0xff, 0xff, 1};
    r = gr_reader_make(b_long, sizeof b_long);
    gr_read_bytes(&r);
    CHECK(r.err);

    /* Array counts are capped by the bytes left. */
    uint8_t count[] = {0x00, 0x00, 0x00, 0x03, 1, 2, 3, 4, 5, 6, 7, 8};
    r = gr_reader_make(count, sizeof count);
    CHECK_EQ_INT(gr_read_array_count(&r, 2), 3);
    CHECK(!r.err);
    r = gr_reader_make(count, sizeof count);
    gr_read_array_count(&r, 4);
    CHECK(r.err);
    uint8_t huge[] = {0x7f, 0xff, 0xff, 0xff};
    r = gr_reader_make(huge, sizeof huge);
    gr_read_array_count(&r, 0);
    CHECK(r.err);
    uint8_t minus2[] = {0xff, 0xff, 0xff, 0xfe};
    r = gr_reader_make(minus2, sizeof minus2);
    gr_read_array_count(&r, 1);
    CHECK(r.err);
    uint8_t cnull[] = {0x00};
    r = gr_reader_make(cnull, sizeof cnull);
    CHECK_EQ_INT(gr_read_compact_array_count(&r, 1), -1);
    CHECK(!r.err);
    uint8_t cbig[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    r = gr_reader_make(cbig, sizeof cbig);
    gr_read_compact_array_count(&r, 1);
    CHECK(r.err);
}

static bool claim_tag1(gr_reader *field, uint32_t tag, void *ctx) {
    if (tag != 1) return false;
    *(int32_t *)ctx = gr_read_i32(field);
    return true;
}

static bool claim_tag1_short(gr_reader *field, uint32_t tag, void *ctx) {
    if (tag != 1) return false;
    *(int32_t *)ctx = gr_read_i16(field); /* reads less than the field holds */
    return true;
}

static void test_tagged_fields(void) {
    /* two tags: 0 (unknown, 2 bytes) and 1 (int32), then one trailing byte */
    uint8_t in[] = {0x02, 0x00, 0x02, 0xaa, 0xbb, 0x01, 0x04, 0x00, 0x00, 0x01, 0x00, 0x77};
    int32_t got = 0;
    gr_reader r = gr_reader_make(in, sizeof in);
    gr_read_tagged_fields(&r, claim_tag1, &got);
    CHECK(!r.err);
    CHECK_EQ_INT(got, 256);
    CHECK_EQ_INT(r.pos, sizeof in - 1);

    r = gr_reader_make(in, sizeof in);
    gr_read_tagged_fields(&r, claim_tag1_short, &got);
    CHECK(r.err); /* a claimed field must be consumed exactly */

    r = gr_reader_make(in, sizeof in);
    gr_read_tagged_fields(&r, NULL, NULL);
    CHECK(!r.err && r.pos == sizeof in - 1);

    uint8_t unordered[] = {0x02, 0x01, 0x00, 0x00, 0x00};
    r = gr_reader_make(unordered, sizeof unordered);
    gr_read_tagged_fields(&r, NULL, NULL);
    CHECK(r.err);
    uint8_t oversize[] = {0x01, 0x00, 0x05, 0x00};
    r = gr_reader_make(oversize, sizeof oversize);
    gr_read_tagged_fields(&r, NULL, NULL);
    CHECK(r.err);
    uint8_t too_many[] = {0x7f, 0x00, 0x00};
    r = gr_reader_make(too_many, sizeof too_many);
    gr_read_tagged_fields(&r, NULL, NULL);
    CHECK(r.err);
}

static void test_buf(void) {
    gr_buf b;
    gr_buf_init(&b);
    enum { GROW_BYTES = 100000 };
    for (int i = 0; i < GROW_BYTES; i++) gr_buf_put_i8(&b, (int8_t)(i * 7));
    CHECK(!b.oom && b.len == GROW_BYTES && b.cap >= b.len);
    int ok = 1;
    for (int i = 0; i < GROW_BYTES; i++) ok &= b.data[i] == (uint8_t)(i * 7);
    CHECK(ok);
    gr_buf_reset(&b);
    CHECK(b.len == 0);

    gr_buf_put_i32(&b, 0);
    gr_buf_put_i16(&b, 0x0102);
    gr_buf_put_i64(&b, -2);
    gr_buf_put_string(&b, gr_str_c("ab"));
    gr_buf_put_string(&b, gr_str_c(NULL));
    gr_buf_put_compact_string(&b, gr_str_c("ab"));
    gr_buf_put_compact_array_count(&b, -1);
    gr_buf_patch_i32(&b, 0, 0x0a0b0c0d);
    CHECK(bytes_are(&b, "0a0b0c0d 0102 fffffffffffffffe 0002 6162 ffff 03 6162 00"));
    gr_buf_patch_i32(&b, b.len - 2, 1); /* would run past the end: ignored */
    CHECK(bytes_are(&b, "0a0b0c0d 0102 fffffffffffffffe 0002 6162 ffff 03 6162 00"));

    /* Splices: file bytes counted in the total, positioned where they were added. */
    gr_file_ref *f = gr_file_ref_new(-1);
    size_t at = b.len;
    gr_buf_add_file(&b, f, 100, 4096);
    gr_buf_put_i8(&b, 1);
    gr_buf_add_file(&b, f, 0, 0); /* empty: no splice */
    for (int i = 0; i < 20; i++) gr_buf_add_file(&b, f, i, 10);
    CHECK_EQ_INT(b.nsplices, 21);
    CHECK_EQ_INT(b.splices[0].at, at);
    CHECK_EQ_INT(b.splices[0].offset, 100);
    CHECK_EQ_INT(b.splices[1].at, at + 1);
    CHECK_EQ_INT(gr_buf_total(&b), (int64_t)b.len + 4096 + 200);
    CHECK_EQ_INT(atomic_load(&f->refs), 22);
    gr_buf_free(&b);
    CHECK_EQ_INT(atomic_load(&f->refs), 1);
    gr_file_ref_release(f);
}

static void test_arena(void) {
    gr_arena a;
    gr_arena_init(&a, 64 * 1024);
    size_t got = 0;
    int count = 0;
    for (; count < 1000; count++) {
        uint8_t *p = gr_arena_alloc(&a, 1000);
        if (!p) break;
        CHECK(((uintptr_t)p & 15u) == 0);
        CHECK(p[0] == 0 && p[999] == 0);
        memset(p, 0xab, 1000);
        got += 1000;
    }
    CHECK(count < 1000);
    CHECK(got <= 64 * 1024);
    CHECK(a.used_bytes <= 64 * 1024);
    CHECK(gr_arena_alloc(&a, 1u << 20) == NULL);
    CHECK(gr_arena_calloc(&a, SIZE_MAX / 2, 4) == NULL);
    gr_arena_free(&a);
    CHECK(a.used_bytes == 0);
    char *s = gr_arena_strndup(&a, "hello", 3);
    CHECK(s && strcmp(s, "hel") == 0);
    gr_arena_free(&a);
}

int main(void) {
    test_varint_values();
    test_varint_rejects();
    test_crc32c();
    test_murmur2();
    test_reader_bounds();
    test_tagged_fields();
    test_buf();
    test_arena();
    if (test_failures) fprintf(stderr, "test_base: %d failures\n", test_failures);
    return test_failures ? 1 : 0;
}
