/* test_record_batch.c: v2 batch validation, rewrites, record iteration and the builder. */
#include "store_test_util.h"

#include "base/crc32c.h"
#include "proto/errors.h"

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void recrc(uint8_t *p, size_t size) { put32(p + GR_BATCH_OFF_CRC, gr_batch_compute_crc(p, size)); }

static void test_valid_batch(void) {
    gr_buf b;
    gr_buf_init(&b);
    test_batch_opts o = test_opts(3, 1000);
    o.producer_id = 42;
    o.producer_epoch = 7;
    o.base_sequence = 10;
    size_t size = test_make_batch(&b, &o);
    CHECK_EQ_INT(size, b.len);
    gr_batch_header h;
    CHECK_EQ_INT(gr_batch_validate(b.data, b.len, &h), GR_BATCH_OK);
    CHECK_EQ_INT(h.base_offset, 0);
    CHECK_EQ_INT(gr_batch_size(&h), size);
    CHECK_EQ_INT(h.magic, 2);
    CHECK_EQ_INT(h.records_count, 3);
    CHECK_EQ_INT(h.last_offset_delta, 2);
    CHECK_EQ_INT(h.base_timestamp, 1000);
    CHECK_EQ_INT(h.max_timestamp, 1002);
    CHECK_EQ_INT(h.producer_id, 42);
    CHECK_EQ_INT(h.producer_epoch, 7);
    CHECK_EQ_INT(h.base_sequence, 10);
    CHECK_EQ_INT(gr_batch_last_sequence(&h), 12);
    CHECK_EQ_INT(gr_batch_compression(&h), GR_COMPRESSION_NONE);

    /* Records come back as built. */
    gr_record_iter it;
    gr_record rec;
    CHECK_EQ_INT(gr_record_iter_init(&it, b.data, size), 0);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(gr_record_iter_next(&it, &rec), 1);
        CHECK_EQ_INT(rec.offset, i);
        CHECK_EQ_INT(rec.timestamp, 1000 + i);
        char key[8];
        snprintf(key, sizeof key, "k%d", i);
        CHECK(rec.key.len == (int32_t)strlen(key) && memcmp(rec.key.ptr, key, strlen(key)) == 0);
        CHECK_EQ_INT(rec.value.len, 10);
        CHECK_EQ_INT(rec.header_count, 0);
    }
    CHECK_EQ_INT(gr_record_iter_next(&it, &rec), 0);
    gr_buf_free(&b);
}

static void test_rewrites(void) {
    gr_buf b;
    gr_buf_init(&b);
    test_batch_opts o = test_opts(2, 5000);
    size_t size = test_make_batch(&b, &o);
    gr_batch_header h;
    /* Base offset and leader epoch are outside the CRC. */
    gr_batch_set_base_offset(b.data, 123456789012LL);
    gr_batch_set_partition_leader_epoch(b.data, 9);
    CHECK_EQ_INT(gr_batch_validate(b.data, size, &h), GR_BATCH_OK);
    CHECK_EQ_INT(h.base_offset, 123456789012LL);
    CHECK_EQ_INT(gr_batch_last_offset(&h), 123456789013LL);
    CHECK_EQ_INT(h.partition_leader_epoch, 9);
    /* LogAppendTime changes covered bytes, so the CRC is recomputed. */
    gr_batch_set_log_append_time(b.data, size, 777);
    CHECK_EQ_INT(gr_batch_validate(b.data, size, &h), GR_BATCH_OK);
    CHECK_EQ_INT(h.max_timestamp, 777);
    CHECK(h.attributes & GR_BATCH_ATTR_LOG_APPEND_TIME);
    gr_record_iter it;
    gr_record rec;
    CHECK_EQ_INT(gr_record_iter_init(&it, b.data, size), 0);
    CHECK_EQ_INT(gr_record_iter_next(&it, &rec), 1);
    CHECK_EQ_INT(rec.timestamp, 777); /* every record carries the append time */
    gr_buf_free(&b);
}

static void test_bad_batches(void) {
    gr_buf b;
    gr_buf_init(&b);
    test_batch_opts o = test_opts(4, 1);
    size_t size = test_make_batch(&b, &o);
    uint8_t *p = malloc(size);
    gr_batch_header h;

    /* Torn: fewer bytes than Length says, or than a header. */
    CHECK_EQ_INT(gr_batch_validate(b.data, size - 1, &h), GR_BATCH_SHORT);
    CHECK_EQ_INT(gr_batch_validate(b.data, 30, &h), GR_BATCH_SHORT);

    /* A flipped bit in a record. */
    memcpy(p, b.data, size);
    p[size - 3] ^= 0x40;
    CHECK_EQ_INT(gr_batch_validate(p, size, &h), GR_BATCH_BAD_CRC);

    /* Magic 1 (old message format) is refused before the CRC means anything. */
    memcpy(p, b.data, size);
    p[GR_BATCH_OFF_MAGIC] = 1;
    CHECK_EQ_INT(gr_batch_validate(p, size, &h), GR_BATCH_BAD_MAGIC);

    /* Length too small to hold a header. */
    memcpy(p, b.data, size);
    put32(p + GR_BATCH_OFF_LENGTH, 20);
    CHECK_EQ_INT(gr_batch_validate(p, size, &h), GR_BATCH_BAD_SIZE);

    /* Count and LastOffsetDelta disagree (valid CRC). */
    memcpy(p, b.data, size);
    put32(p + GR_BATCH_OFF_LAST_OFFSET_DELTA, 7);
    recrc(p, size);
    CHECK_EQ_INT(gr_batch_validate(p, size, &h), GR_BATCH_BAD_COUNT);

    /* Count says 3 but 4 records are there (delta adjusted so only the records disagree). */
    memcpy(p, b.data, size);
    put32(p + GR_BATCH_OFF_RECORDS_COUNT, 3);
    put32(p + GR_BATCH_OFF_LAST_OFFSET_DELTA, 2);
    recrc(p, size);
    CHECK_EQ_INT(gr_batch_validate(p, size, &h), GR_BATCH_BAD_RECORDS);

    /* Count says 5 but 4 records are there. */
    memcpy(p, b.data, size);
    put32(p + GR_BATCH_OFF_RECORDS_COUNT, 5);
    put32(p + GR_BATCH_OFF_LAST_OFFSET_DELTA, 4);
    recrc(p, size);
    CHECK_EQ_INT(gr_batch_validate(p, size, &h), GR_BATCH_BAD_RECORDS);

    /* Negative count. */
    memcpy(p, b.data, size);
    put32(p + GR_BATCH_OFF_RECORDS_COUNT, (uint32_t)-1);
    recrc(p, size);
    CHECK_EQ_INT(gr_batch_validate(p, size, &h), GR_BATCH_BAD_COUNT);

    /* Garbage records in a batch marked compressed are not looked at (no decompression). */
    memcpy(p, b.data, size);
    p[GR_BATCH_OFF_ATTRIBUTES + 1] |= GR_COMPRESSION_LZ4;
    memset(p + GR_BATCH_HEADER_BYTES, 0xEE, size - GR_BATCH_HEADER_BYTES);
    recrc(p, size);
    CHECK_EQ_INT(gr_batch_validate(p, size, &h), GR_BATCH_OK);
    CHECK_EQ_INT(gr_record_iter_init(&(gr_record_iter){0}, p, size), -1);

    free(p);
    gr_buf_free(&b);
}

static void test_sequences(void) {
    CHECK_EQ_INT(gr_sequence_add(5, 3), 8);
    CHECK_EQ_INT(gr_sequence_add(INT32_MAX, 1), 0);
    CHECK_EQ_INT(gr_sequence_add(INT32_MAX - 1, 3), 1);
    CHECK_EQ_INT(gr_sequence_add(1, -3), INT32_MAX - 1);
    gr_batch_header h = {0};
    h.base_sequence = INT32_MAX - 1;
    h.last_offset_delta = 4;
    CHECK_EQ_INT(gr_batch_last_sequence(&h), 2);
    h.base_sequence = -1;
    CHECK_EQ_INT(gr_batch_last_sequence(&h), -1);
}

static void test_headers_and_nulls(void) {
    gr_buf b;
    gr_buf_init(&b);
    gr_batch_builder_opts bo;
    gr_batch_builder_opts_init(&bo);
    gr_batch_builder bb;
    gr_batch_builder_begin(&bb, &b, &bo);
    gr_record_header hdrs[2] = {{gr_str_c("h1"), {(const uint8_t *)"v1", 2}}, {gr_str_c("h2"), {NULL, -1}}};
    gr_bytes null_bytes = {NULL, -1};
    gr_bytes value = {(const uint8_t *)"hello", 5};
    gr_batch_builder_add(&bb, 50, null_bytes, value, hdrs, 2);
    gr_batch_builder_add(&bb, 40, null_bytes, null_bytes, NULL, 0); /* tombstone, older timestamp */
    size_t size = gr_batch_builder_finish(&bb);
    gr_batch_header h;
    CHECK_EQ_INT(gr_batch_validate(b.data, size, &h), GR_BATCH_OK);
    CHECK_EQ_INT(h.max_timestamp, 50);
    gr_record_iter it;
    gr_record rec;
    CHECK_EQ_INT(gr_record_iter_init(&it, b.data, size), 0);
    CHECK_EQ_INT(gr_record_iter_next(&it, &rec), 1);
    CHECK_EQ_INT(rec.key.len, -1);
    CHECK_EQ_INT(rec.value.len, 5);
    CHECK_EQ_INT(rec.header_count, 2);
    CHECK(rec.headers_len > 0);
    CHECK_EQ_INT(gr_record_iter_next(&it, &rec), 1);
    CHECK_EQ_INT(rec.value.len, -1);
    CHECK_EQ_INT(rec.timestamp, 40);
    CHECK_EQ_INT(gr_record_iter_next(&it, &rec), 0);
    gr_buf_free(&b);
}

static void test_crc_reference(void) {
    /* CRC-32C check value, and the CRC field covering exactly bytes 21..end. */
    CHECK_EQ_INT(gr_crc32c(0, "123456789", 9), 0xE3069283u);
    gr_buf b;
    gr_buf_init(&b);
    test_batch_opts o = test_opts(1, 0);
    size_t size = test_make_batch(&b, &o);
    gr_batch_header h;
    gr_batch_header_parse(b.data, &h);
    CHECK_EQ_INT(h.crc, gr_crc32c(0, b.data + 21, size - 21));
    gr_buf_free(&b);
}

/* Records of a compressed batch, decompressed by the caller, iterate like an uncompressed batch's. */
static void test_iterate_decompressed(void) {
    static const int codecs[] = {GR_COMPRESSION_GZIP, GR_COMPRESSION_SNAPPY, GR_COMPRESSION_LZ4,
                                 GR_COMPRESSION_ZSTD};
    const int64_t ts[] = {700, 705, 702, 709};
    for (size_t ci = 0; ci < sizeof codecs / sizeof codecs[0]; ci++) {
        gr_buf b;
        gr_buf_init(&b);
        size_t size = test_make_batch_ts(&b, ts, 4, codecs[ci]);
        CHECK(size > 0);
        gr_batch_set_base_offset(b.data, 100);
        gr_batch_header h;
        CHECK_EQ_INT(gr_batch_validate(b.data, size, &h), GR_BATCH_OK);
        CHECK_EQ_INT(gr_batch_compression(&h), codecs[ci]);
        gr_record_iter it;
        CHECK_EQ_INT(gr_record_iter_init(&it, b.data, size), -1); /* compressed: not by itself */
        gr_buf plain;
        gr_buf_init(&plain);
        CHECK_EQ_INT(gr_decompress(codecs[ci], b.data + GR_BATCH_HEADER_BYTES, size - GR_BATCH_HEADER_BYTES,
                                   &plain, 1 << 20),
                     0);
        gr_record_iter_init_records(&it, &h, plain.data, plain.len);
        gr_record rec;
        for (int i = 0; i < 4; i++) {
            CHECK_EQ_INT(gr_record_iter_next(&it, &rec), 1);
            CHECK_EQ_INT(rec.offset, 100 + i);
            CHECK_EQ_INT(rec.timestamp, ts[i]);
            char want[8];
            int n = snprintf(want, sizeof want, "v%d", i);
            CHECK(rec.value.len == n && memcmp(rec.value.ptr, want, (size_t)n) == 0);
        }
        CHECK_EQ_INT(gr_record_iter_next(&it, &rec), 0);
        /* A LogAppendTime batch: every record carries MaxTimestamp. */
        h.attributes |= GR_BATCH_ATTR_LOG_APPEND_TIME;
        h.max_timestamp = 123456;
        gr_record_iter_init_records(&it, &h, plain.data, plain.len);
        CHECK_EQ_INT(gr_record_iter_next(&it, &rec), 1);
        CHECK_EQ_INT(rec.timestamp, 123456);
        /* Cut short: malformed, never past the end. */
        gr_record_iter_init_records(&it, &h, plain.data, plain.len - 3);
        int rc, steps = 0;
        while ((rc = gr_record_iter_next(&it, &rec)) == 1 && steps < 10) steps++;
        CHECK_EQ_INT(rc, -1);
        gr_buf_free(&plain);
        gr_buf_free(&b);
    }
}

static int16_t produce_check(int16_t version, const gr_buf *b, size_t len, size_t *first) {
    const char *why;
    int16_t err = gr_produce_records_check(version, b->data, len, first, &why);
    CHECK(err == GR_ERR_NONE ? why == NULL : why != NULL);
    return err;
}

/* Produce v3+ framing, as Apache Kafka answers each case (Errors by code). */
static void test_produce_records_check(void) {
    gr_buf b;
    gr_buf_init(&b);
    test_batch_opts o = test_opts(2, 1000);
    size_t one = test_make_batch(&b, &o);
    size_t first;
    CHECK_EQ_INT(produce_check(3, &b, one, &first), GR_ERR_NONE);
    CHECK_EQ_INT(first, one);
    /* No whole batch: nothing, a torn batch, fewer bytes than a Length. */
    CHECK_EQ_INT(produce_check(3, &b, 0, &first), GR_ERR_INVALID_RECORD);
    CHECK_EQ_INT(gr_produce_records_check(3, NULL, 0, &first, &(const char *){NULL}), GR_ERR_INVALID_RECORD);
    CHECK_EQ_INT(produce_check(3, &b, one - 3, &first), GR_ERR_INVALID_RECORD);
    CHECK_EQ_INT(produce_check(3, &b, 5, &first), GR_ERR_INVALID_RECORD);
    CHECK_EQ_INT(produce_check(3, &b, 17, &first), GR_ERR_INVALID_RECORD);

    /* A second whole batch, valid or not: INVALID_RECORD, whatever the version. */
    size_t two = one + test_make_batch(&b, &o);
    for (int16_t v = 3; v <= 11; v++) CHECK_EQ_INT(produce_check(v, &b, two, &first), GR_ERR_INVALID_RECORD);
    b.data[one + GR_BATCH_OFF_CRC] ^= 1; /* the second batch's CRC is not looked at */
    CHECK_EQ_INT(produce_check(9, &b, two, &first), GR_ERR_INVALID_RECORD);
    b.data[one + GR_BATCH_OFF_MAGIC] = 1; /* an old-format second batch is still a batch */
    CHECK_EQ_INT(produce_check(9, &b, two, &first), GR_ERR_INVALID_RECORD);
    b.data[one + GR_BATCH_OFF_MAGIC] = 7; /* an unknown magic is corrupt */
    CHECK_EQ_INT(produce_check(9, &b, two, &first), GR_ERR_CORRUPT_MESSAGE);
    b.data[one + GR_BATCH_OFF_MAGIC] = 2;
    put32(b.data + one + GR_BATCH_OFF_LENGTH, 5); /* Length below any record: corrupt */
    CHECK_EQ_INT(produce_check(9, &b, two, &first), GR_ERR_CORRUPT_MESSAGE);

    /* Trailing bytes that are no whole batch are not a second batch: the first alone is taken. */
    size_t partial[] = {5, 12, 20};
    b.len = one;
    test_make_batch(&b, &o);
    for (size_t i = 0; i < sizeof partial / sizeof partial[0]; i++) {
        CHECK_EQ_INT(produce_check(9, &b, one + partial[i], &first), GR_ERR_NONE);
        CHECK_EQ_INT(first, one);
    }

    /* The first batch: magic 0/1 is an invalid record, an unknown one or a tiny Length corrupt. */
    b.data[GR_BATCH_OFF_MAGIC] = 1;
    CHECK_EQ_INT(produce_check(9, &b, one, &first), GR_ERR_INVALID_RECORD);
    b.data[GR_BATCH_OFF_MAGIC] = 7;
    CHECK_EQ_INT(produce_check(9, &b, one, &first), GR_ERR_CORRUPT_MESSAGE);
    b.data[GR_BATCH_OFF_MAGIC] = 2;
    put32(b.data + GR_BATCH_OFF_LENGTH, 13);
    CHECK_EQ_INT(produce_check(9, &b, one, &first), GR_ERR_CORRUPT_MESSAGE);
    put32(b.data + GR_BATCH_OFF_LENGTH, (uint32_t)(one - GR_BATCH_LOG_OVERHEAD_BYTES));

    /* zstd before Produce v7. */
    b.data[GR_BATCH_OFF_ATTRIBUTES + 1] |= GR_COMPRESSION_ZSTD;
    CHECK_EQ_INT(produce_check(3, &b, one, &first), GR_ERR_UNSUPPORTED_COMPRESSION_TYPE);
    CHECK_EQ_INT(produce_check(6, &b, one, &first), GR_ERR_UNSUPPORTED_COMPRESSION_TYPE);
    CHECK_EQ_INT(produce_check(7, &b, one, &first), GR_ERR_NONE);
    gr_buf_free(&b);
}

int main(void) {
    test_valid_batch();
    test_rewrites();
    test_bad_batches();
    test_sequences();
    test_headers_and_nulls();
    test_crc_reference();
    test_iterate_decompressed();
    test_produce_records_check();
    if (test_failures) fprintf(stderr, "test_record_batch: %d failure(s)\n", test_failures);
    return test_failures != 0;
}
