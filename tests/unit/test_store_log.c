/* test_store_log.c: appends, reads, segment rolls, validation errors, lookups, retention. */
#include "store_test_util.h"

#include <dirent.h>
#include <errno.h>

#include "proto/errors.h"
#include "store/partition_log.h"
#include "base/limits.h"
#include "store/sysio.h"

static gr_log_config small_config(void) {
    gr_log_config c;
    gr_log_config_defaults(&c);
    c.index_interval_bytes = 256;
    return c;
}

/* Appends one batch of n records; returns the append result. */
static gr_append_result append_n(gr_partition_log *l, int n, int64_t ts) {
    gr_buf b;
    gr_buf_init(&b);
    test_batch_opts o = test_opts(n, ts);
    test_make_batch(&b, &o);
    gr_append_result r;
    gr_plog_append(l, b.data, b.len, 3, &r);
    gr_buf_free(&b);
    return r;
}

/* Reads the file range of a read result into memory (caller frees). */
static uint8_t *range_bytes(const gr_read_result *rr) {
    uint8_t *p = malloc(rr->length > 0 ? (size_t)rr->length : 1);
    if (rr->length > 0 && pread(rr->file->fd, p, (size_t)rr->length, rr->file_offset) != rr->length) {
        free(p);
        return NULL;
    }
    return p;
}

/* Walks the batches of a read result: count, first base and last offset; all must validate. */
static int range_batches(const gr_read_result *rr, int64_t *first_base, int64_t *last_offset) {
    uint8_t *p = range_bytes(rr);
    int n = 0;
    size_t pos = 0;
    while (p && pos < (size_t)rr->length) {
        gr_batch_header h;
        if (gr_batch_validate(p + pos, (size_t)rr->length - pos, &h) != GR_BATCH_OK) {
            n = -1;
            break;
        }
        if (n == 0) *first_base = h.base_offset;
        *last_offset = gr_batch_last_offset(&h);
        pos += (size_t)gr_batch_size(&h);
        n++;
    }
    free(p);
    return n;
}

static void test_append_and_read(void) {
    char *dir = test_tmpdir();
    gr_log_config c = small_config();
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    CHECK_EQ_INT(gr_plog_end_offset(l), 0);
    CHECK(test_file_exists(dir, "00000000000000000000.log"));
    CHECK(test_file_exists(dir, "00000000000000000000.index"));
    CHECK(test_file_exists(dir, "00000000000000000000.timeindex"));

    int64_t expect = 0;
    for (int i = 0; i < 50; i++) {
        gr_append_result r = append_n(l, 1 + i % 4, 1000 + i * 10);
        CHECK_EQ_INT(r.error, GR_ERR_NONE);
        CHECK_EQ_INT(r.base_offset, expect);
        CHECK_EQ_INT(r.last_offset, expect + i % 4);
        CHECK_EQ_INT(r.log_append_time_ms, -1);
        CHECK_EQ_INT(r.log_start_offset, 0);
        CHECK(!r.duplicate);
        expect += 1 + i % 4;
    }
    CHECK_EQ_INT(gr_plog_end_offset(l), expect);
    CHECK(test_file_size(dir, "00000000000000000000.index") > 0); /* sparse entries were made */
    CHECK_EQ_INT(test_file_size(dir, "00000000000000000000.index") % 8, 0);
    CHECK_EQ_INT(test_file_size(dir, "00000000000000000000.timeindex") % 12, 0);

    /* Every offset reads back from the batch that holds it. */
    for (int64_t off = 0; off < expect; off++) {
        gr_read_result rr;
        gr_plog_read(l, off, 1 << 20, true, &rr);
        CHECK_EQ_INT(rr.error, GR_ERR_NONE);
        CHECK_EQ_INT(rr.high_watermark, expect);
        CHECK(rr.file != NULL);
        int64_t first = -1, last = -1;
        int n = range_batches(&rr, &first, &last);
        CHECK(n >= 1);
        CHECK(first <= off && off <= first + 3);
        CHECK_EQ_INT(last, expect - 1); /* everything to the end fits in 1 MiB */
        gr_file_ref_release(rr.file);
    }

    /* At the end: nothing, no error. Past it or below the start: out of range. */
    gr_read_result rr;
    gr_plog_read(l, expect, 1000, true, &rr);
    CHECK_EQ_INT(rr.error, GR_ERR_NONE);
    CHECK(rr.file == NULL);
    CHECK_EQ_INT(rr.length, 0);
    gr_plog_read(l, expect + 1, 1000, true, &rr);
    CHECK_EQ_INT(rr.error, GR_ERR_OFFSET_OUT_OF_RANGE);
    gr_plog_read(l, -1, 1000, true, &rr);
    CHECK_EQ_INT(rr.error, GR_ERR_OFFSET_OUT_OF_RANGE);
    CHECK(rr.file == NULL);

    gr_plog_close(l);
    test_rm_rf(dir);
}

static void test_max_bytes_and_min_one(void) {
    char *dir = test_tmpdir();
    gr_log_config c = small_config();
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    gr_buf b;
    gr_buf_init(&b);
    test_batch_opts o = test_opts(5, 1);
    size_t one = test_make_batch(&b, &o);
    gr_buf_free(&b);
    for (int i = 0; i < 10; i++) CHECK_EQ_INT(append_n(l, 5, 1).error, GR_ERR_NONE);

    gr_read_result rr;
    int64_t first, last;
    /* Exactly three batches fit. */
    gr_plog_read(l, 0, (int32_t)(3 * one + one / 2), false, &rr);
    CHECK_EQ_INT(rr.length, 3 * one);
    CHECK_EQ_INT(range_batches(&rr, &first, &last), 3);
    CHECK_EQ_INT(last, 14);
    gr_file_ref_release(rr.file);
    /* Offset in the middle of a batch: the batch starts before it (whole batches only). */
    gr_plog_read(l, 12, (int32_t)one, false, &rr);
    CHECK_EQ_INT(range_batches(&rr, &first, &last), 1);
    CHECK_EQ_INT(first, 10);
    gr_file_ref_release(rr.file);
    /* First batch larger than max_bytes: nothing, unless min_one (KIP-74). */
    gr_plog_read(l, 0, 10, false, &rr);
    CHECK(rr.file == NULL);
    CHECK_EQ_INT(rr.error, GR_ERR_NONE);
    gr_plog_read(l, 0, 10, true, &rr);
    CHECK_EQ_INT(rr.length, one);
    gr_file_ref_release(rr.file);
    gr_plog_read(l, 0, 0, true, &rr);
    CHECK_EQ_INT(rr.length, one);
    gr_file_ref_release(rr.file);

    gr_plog_close(l);
    test_rm_rf(dir);
}

static int open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    while (d && readdir(d)) n++;
    if (d) closedir(d);
    return n;
}

static void test_roll_by_size(void) {
    char *dir = test_tmpdir();
    int fds_before = open_fds();
    gr_log_config c = small_config();
    gr_buf b;
    gr_buf_init(&b);
    test_batch_opts o = test_opts(2, 1);
    size_t one = test_make_batch(&b, &o);
    gr_buf_free(&b);
    c.segment_bytes = (int64_t)(3 * one); /* three batches per segment */
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    for (int i = 0; i < 10; i++) CHECK_EQ_INT(append_n(l, 2, 100 + i).error, GR_ERR_NONE);
    CHECK_EQ_INT(gr_plog_segment_count(l), 4);
    CHECK(test_file_exists(dir, "00000000000000000006.log"));
    CHECK(test_file_exists(dir, "00000000000000000012.log"));
    CHECK(test_file_exists(dir, "00000000000000000018.index"));
    CHECK(test_file_exists(dir, "00000000000000000018.timeindex"));
    CHECK_EQ_INT(test_file_size(dir, "00000000000000000000.log"), 3 * one);
    CHECK_EQ_INT(gr_plog_size_bytes(l), 10 * one);
    /* A snapshot was taken at each roll. */
    CHECK(test_file_exists(dir, "00000000000000000018.snapshot"));
    /* Once synced, a closed segment keeps only its .log open; the active one has three files. */
    CHECK_EQ_INT(gr_plog_flush(l), GR_ERR_NONE);
    CHECK_EQ_INT(open_fds() - fds_before, 3 * 1 + 3);

    /* A read stops at the end of its segment. */
    gr_read_result rr;
    int64_t first, last;
    gr_plog_read(l, 2, 1 << 20, true, &rr);
    CHECK_EQ_INT(range_batches(&rr, &first, &last), 2);
    CHECK_EQ_INT(first, 2);
    CHECK_EQ_INT(last, 5);
    gr_file_ref_release(rr.file);
    gr_plog_read(l, 6, 1 << 20, true, &rr);
    CHECK_EQ_INT(range_batches(&rr, &first, &last), 3);
    CHECK_EQ_INT(first, 6);
    gr_file_ref_release(rr.file);

    /* A request larger than a whole segment is refused. */
    gr_buf_init(&b);
    for (int i = 0; i < 4; i++) test_make_batch(&b, &o);
    gr_append_result r;
    gr_plog_append(l, b.data, b.len, 0, &r);
    CHECK_EQ_INT(r.error, GR_ERR_RECORD_LIST_TOO_LARGE);
    gr_buf_free(&b);

    gr_plog_close(l);
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    CHECK_EQ_INT(open_fds() - fds_before, 3 * 1 + 3);
    gr_plog_read(l, 2, 1 << 20, true, &rr); /* closed-segment index mapped through its path */
    CHECK_EQ_INT(range_batches(&rr, &first, &last), 2);
    CHECK_EQ_INT(first, 2);
    gr_file_ref_release(rr.file);
    CHECK_EQ_INT(open_fds() - fds_before, 3 * 1 + 3);
    gr_plog_close(l);
    CHECK_EQ_INT(open_fds(), fds_before);
    test_rm_rf(dir);
}

static int64_t fake_now_ms;
static int64_t fake_clock(void) { return fake_now_ms; }

static void test_roll_by_time(void) {
    char *dir = test_tmpdir();
    gr_log_config c = small_config();
    c.roll_ms = 1000;
    fake_now_ms = 1700000000000LL;
    gr_sys.wall_ms = fake_clock;
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    CHECK_EQ_INT(append_n(l, 1, 5).error, GR_ERR_NONE);
    fake_now_ms += 500;
    CHECK_EQ_INT(append_n(l, 1, 5).error, GR_ERR_NONE);
    CHECK_EQ_INT(gr_plog_segment_count(l), 1);
    fake_now_ms += 600; /* 1100 ms after the first batch */
    CHECK_EQ_INT(append_n(l, 1, 5).error, GR_ERR_NONE);
    CHECK_EQ_INT(gr_plog_segment_count(l), 2);
    CHECK(test_file_exists(dir, "00000000000000000002.log"));
    gr_plog_close(l);
    gr_sysio_reset();
    test_rm_rf(dir);
}

static gr_append_result append_raw(gr_partition_log *l, uint8_t *p, size_t n) {
    gr_append_result r;
    gr_plog_append(l, p, n, 0, &r);
    return r;
}

static void put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void recrc(uint8_t *p, size_t size) { put32(p + GR_BATCH_OFF_CRC, gr_batch_compute_crc(p, size)); }

static void test_bad_input(void) {
    char *dir = test_tmpdir();
    gr_log_config c = small_config();
    c.max_message_bytes = 2000;
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    CHECK_EQ_INT(append_n(l, 2, 1).error, GR_ERR_NONE);
    long long size_before = test_file_size(dir, "00000000000000000000.log");

    gr_buf b;
    gr_buf_init(&b);
    test_batch_opts o = test_opts(3, 1);
    size_t size = test_make_batch(&b, &o);
    uint8_t *p = malloc(4096);
    gr_append_result r;

    memcpy(p, b.data, size);
    p[size - 2] ^= 1; /* CRC mismatch */
    r = append_raw(l, p, size);
    CHECK_EQ_INT(r.error, GR_ERR_CORRUPT_MESSAGE);
    CHECK(r.error_message != NULL);
    CHECK_EQ_INT(r.base_offset, -1);
    CHECK_EQ_INT(r.log_start_offset, 0);

    memcpy(p, b.data, size);
    r = append_raw(l, p, size - 5); /* torn */
    CHECK_EQ_INT(r.error, GR_ERR_CORRUPT_MESSAGE);
    r = append_raw(l, p, 20); /* shorter than a header */
    CHECK_EQ_INT(r.error, GR_ERR_CORRUPT_MESSAGE);
    memset(p, 0xAB, 300); /* garbage */
    r = append_raw(l, p, 300);
    CHECK(r.error == GR_ERR_CORRUPT_MESSAGE || r.error == GR_ERR_INVALID_RECORD);
    memset(p, 0, 300); /* zeros: magic 0 */
    r = append_raw(l, p, 300);
    CHECK_EQ_INT(r.error, GR_ERR_INVALID_RECORD);
    r = append_raw(l, p, 0); /* no batch at all */
    CHECK_EQ_INT(r.error, GR_ERR_INVALID_RECORD);

    memcpy(p, b.data, size);
    p[GR_BATCH_OFF_MAGIC] = 1; /* old message format */
    r = append_raw(l, p, size);
    CHECK_EQ_INT(r.error, GR_ERR_INVALID_RECORD);

    /* A valid batch followed by a torn one: nothing of it is written. */
    memcpy(p, b.data, size);
    memcpy(p + size, b.data, size);
    r = append_raw(l, p, 2 * size - 1);
    CHECK_EQ_INT(r.error, GR_ERR_CORRUPT_MESSAGE);

    memcpy(p, b.data, size);
    p[GR_BATCH_OFF_ATTRIBUTES + 1] |= GR_BATCH_ATTR_CONTROL; /* clients may not write control batches */
    recrc(p, size);
    r = append_raw(l, p, size);
    CHECK_EQ_INT(r.error, GR_ERR_INVALID_RECORD);

    memcpy(p, b.data, size);
    p[GR_BATCH_OFF_ATTRIBUTES + 1] |= GR_BATCH_ATTR_LOG_APPEND_TIME;
    recrc(p, size);
    r = append_raw(l, p, size);
    CHECK_EQ_INT(r.error, GR_ERR_INVALID_TIMESTAMP);

    memcpy(p, b.data, size);
    gr_batch_set_base_offset(p, 5); /* clients send base offset 0 */
    r = append_raw(l, p, size);
    CHECK_EQ_INT(r.error, GR_ERR_INVALID_RECORD);

    memcpy(p, b.data, size);
    put32(p + GR_BATCH_OFF_LAST_OFFSET_DELTA, 9); /* count vs offsets */
    recrc(p, size);
    r = append_raw(l, p, size);
    CHECK_EQ_INT(r.error, GR_ERR_INVALID_RECORD);

    /* An idempotent batch needs a sequence. */
    gr_buf_reset(&b);
    o.producer_id = 5;
    o.producer_epoch = 0;
    o.base_sequence = -1;
    size = test_make_batch(&b, &o);
    r = append_raw(l, b.data, size);
    CHECK_EQ_INT(r.error, GR_ERR_INVALID_RECORD);

    /* Bigger than max.message.bytes. */
    gr_buf_reset(&b);
    o = test_opts(20, 1);
    o.value_bytes = 200;
    size = test_make_batch(&b, &o);
    CHECK(size > 2000);
    r = append_raw(l, b.data, size);
    CHECK_EQ_INT(r.error, GR_ERR_MESSAGE_TOO_LARGE);

    CHECK_EQ_INT(test_file_size(dir, "00000000000000000000.log"), size_before);
    CHECK_EQ_INT(gr_plog_end_offset(l), 2);
    CHECK_EQ_INT(append_n(l, 1, 1).base_offset, 2);

    /* Several batches in one call are all taken, each validated. */
    gr_buf_reset(&b);
    o = test_opts(2, 1);
    test_make_batch(&b, &o);
    test_make_batch(&b, &o);
    r = append_raw(l, b.data, b.len);
    CHECK_EQ_INT(r.error, GR_ERR_NONE);
    CHECK_EQ_INT(r.base_offset, 3);
    CHECK_EQ_INT(r.last_offset, 6);

    free(p);
    gr_buf_free(&b);
    gr_plog_close(l);
    test_rm_rf(dir);
}

static void test_log_append_time(void) {
    char *dir = test_tmpdir();
    gr_log_config c = small_config();
    c.log_append_time = true;
    fake_now_ms = 1700000000123LL;
    gr_sys.wall_ms = fake_clock;
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    gr_append_result r = append_n(l, 3, 5);
    CHECK_EQ_INT(r.error, GR_ERR_NONE);
    CHECK_EQ_INT(r.log_append_time_ms, fake_now_ms);
    gr_read_result rr;
    gr_plog_read(l, 0, 1 << 20, true, &rr);
    uint8_t *p = range_bytes(&rr);
    gr_batch_header h;
    CHECK_EQ_INT(gr_batch_validate(p, (size_t)rr.length, &h), GR_BATCH_OK); /* CRC redone */
    CHECK(h.attributes & GR_BATCH_ATTR_LOG_APPEND_TIME);
    CHECK_EQ_INT(h.max_timestamp, fake_now_ms);
    CHECK_EQ_INT(h.partition_leader_epoch, 3);
    free(p);
    gr_file_ref_release(rr.file);
    int64_t off, ts;
    CHECK_EQ_INT(gr_plog_offset_for_time(l, fake_now_ms, &off, &ts), 0);
    CHECK_EQ_INT(off, 0);
    CHECK_EQ_INT(ts, fake_now_ms);
    gr_plog_close(l);
    gr_sysio_reset();
    test_rm_rf(dir);
}

static void test_timestamp_lookups(void) {
    char *dir = test_tmpdir();
    gr_log_config c = small_config();
    c.segment_bytes = 1000; /* several segments */
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    int64_t off, ts;
    CHECK_EQ_INT(gr_plog_offset_for_time(l, 0, &off, &ts), 0);
    CHECK_EQ_INT(off, -1); /* empty log */
    CHECK_EQ_INT(gr_plog_max_timestamp(l, &off, &ts), 0);
    CHECK_EQ_INT(off, -1);
    /* Batch i holds offsets 3i..3i+2 with timestamps 1000+100i .. +2; batch 25 jumps to 9000. */
    for (int i = 0; i < 30; i++)
        CHECK_EQ_INT(append_n(l, 3, i == 25 ? 9000 : 1000 + 100 * i).error, GR_ERR_NONE);
    CHECK(gr_plog_segment_count(l) > 2);

    CHECK_EQ_INT(gr_plog_offset_for_time(l, 1000, &off, &ts), 0);
    CHECK_EQ_INT(off, 0);
    CHECK_EQ_INT(ts, 1000);
    CHECK_EQ_INT(gr_plog_offset_for_time(l, 1501, &off, &ts), 0); /* inside batch 5: its second record */
    CHECK_EQ_INT(off, 16);
    CHECK_EQ_INT(ts, 1501);
    CHECK_EQ_INT(gr_plog_offset_for_time(l, 2350, &off, &ts), 0); /* between batches 13 and 14 */
    CHECK_EQ_INT(off, 42);
    CHECK_EQ_INT(ts, 2400);
    CHECK_EQ_INT(gr_plog_offset_for_time(l, 3403, &off, &ts), 0); /* the first record at or after it */
    CHECK_EQ_INT(off, 75);
    CHECK_EQ_INT(ts, 9000);
    CHECK_EQ_INT(gr_plog_offset_for_time(l, 9001, &off, &ts), 0);
    CHECK_EQ_INT(off, 76);
    CHECK_EQ_INT(ts, 9001);
    CHECK_EQ_INT(gr_plog_offset_for_time(l, 9003, &off, &ts), 0); /* later than everything */
    CHECK_EQ_INT(off, -1);
    CHECK_EQ_INT(ts, -1);

    CHECK_EQ_INT(gr_plog_offset_for_time(l, GR_LIST_OFFSETS_EARLIEST, &off, &ts), 0);
    CHECK_EQ_INT(off, 0);
    CHECK_EQ_INT(gr_plog_offset_for_time(l, GR_LIST_OFFSETS_LATEST, &off, &ts), 0);
    CHECK_EQ_INT(off, 90);
    CHECK_EQ_INT(gr_plog_offset_for_time(l, GR_LIST_OFFSETS_MAX_TIMESTAMP, &off, &ts), 0);
    CHECK_EQ_INT(off, 77);
    CHECK_EQ_INT(ts, 9002);

    /* A batch marked compressed whose records do not decompress answers with the batch. */
    gr_buf b;
    gr_buf_init(&b);
    test_batch_opts o = test_opts(3, 20000);
    o.codec = GR_COMPRESSION_GZIP;
    test_make_batch(&b, &o);
    gr_append_result r = append_raw(l, b.data, b.len);
    CHECK_EQ_INT(r.error, GR_ERR_NONE);
    CHECK_EQ_INT(gr_plog_offset_for_time(l, 20001, &off, &ts), 0);
    CHECK_EQ_INT(off, 90);
    CHECK_EQ_INT(ts, 20002);
    CHECK_EQ_INT(gr_plog_max_timestamp(l, &off, &ts), 0);
    CHECK_EQ_INT(off, 90);
    CHECK_EQ_INT(ts, 20002);
    gr_buf_free(&b);

    /* The same answers after a reopen (time index and max timestamp come from the files). */
    gr_plog_close(l);
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    CHECK_EQ_INT(gr_plog_offset_for_time(l, 1501, &off, &ts), 0);
    CHECK_EQ_INT(off, 16);
    CHECK_EQ_INT(gr_plog_offset_for_time(l, 2350, &off, &ts), 0);
    CHECK_EQ_INT(off, 42);
    CHECK_EQ_INT(gr_plog_offset_for_time(l, 3403, &off, &ts), 0);
    CHECK_EQ_INT(off, 75);
    CHECK_EQ_INT(gr_plog_max_timestamp(l, &off, &ts), 0);
    CHECK_EQ_INT(off, 90);
    gr_plog_close(l);
    test_rm_rf(dir);
}

/* Appends one batch with these record timestamps (really compressed when codec is set). */
static gr_append_result append_ts(gr_partition_log *l, const int64_t *ts, int n, int codec) {
    gr_buf b;
    gr_buf_init(&b);
    CHECK(test_make_batch_ts(&b, ts, n, codec) > 0);
    gr_append_result r = append_raw(l, b.data, b.len);
    gr_buf_free(&b);
    return r;
}

static void check_lookup(gr_partition_log *l, int64_t query, int64_t want_offset, int64_t want_ts,
                         int codec) {
    int64_t off, ts;
    int rc = query == GR_LIST_OFFSETS_MAX_TIMESTAMP ? gr_plog_max_timestamp(l, &off, &ts)
                                                    : gr_plog_offset_for_time(l, query, &off, &ts);
    CHECK_EQ_INT(rc, 0);
    if (off != want_offset || ts != want_ts) {
        test_failures++;
        fprintf(stderr, "codec %d, lookup %lld: got offset %lld ts %lld, expected offset %lld ts %lld\n",
                codec, (long long)query, (long long)off, (long long)ts, (long long)want_offset,
                (long long)want_ts);
    }
}

/* Timestamp lookups see the single records of compressed batches, as Kafka's do. */
static void test_compressed_timestamp_lookups(void) {
    static const int codecs[] = {GR_COMPRESSION_GZIP, GR_COMPRESSION_SNAPPY, GR_COMPRESSION_LZ4,
                                 GR_COMPRESSION_ZSTD};
    for (size_t ci = 0; ci < sizeof codecs / sizeof codecs[0]; ci++) {
        int codec = codecs[ci];
        char *dir = test_tmpdir();
        gr_log_config c = small_config();
        gr_partition_log *l;
        CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
        const int64_t plain[] = {1000, 1001, 1002};                   /* offsets 0..2 */
        const int64_t mixed[] = {2000, 2005, 2003, 2010, 2010, 2007}; /* offsets 3..8, out of order */
        const int64_t peak[] = {3000, 3009, 3001, 3009, 3002};        /* offsets 9..13, the max twice */
        CHECK_EQ_INT(append_ts(l, plain, 3, GR_COMPRESSION_NONE).error, GR_ERR_NONE);
        CHECK_EQ_INT(append_ts(l, mixed, 6, codec).error, GR_ERR_NONE);
        CHECK_EQ_INT(append_ts(l, peak, 5, codec).error, GR_ERR_NONE);
        for (int round = 0; round < 2; round++) { /* the same after a reopen */
            check_lookup(l, 1001, 1, 1001, codec);
            check_lookup(l, 1003, 3, 2000, codec);
            check_lookup(l, 2004, 4, 2005, codec); /* inside a compressed batch */
            check_lookup(l, 2006, 6, 2010, codec); /* the first record at or after, not the next in time */
            check_lookup(l, 2010, 6, 2010, codec);
            check_lookup(l, 3002, 10, 3009, codec);
            check_lookup(l, 3009, 10, 3009, codec);
            check_lookup(l, 3010, -1, -1, codec);
            /* -3: the first record with the largest timestamp. */
            check_lookup(l, GR_LIST_OFFSETS_MAX_TIMESTAMP, 10, 3009, codec);
            gr_plog_close(l);
            CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
        }
        /* The log start inside a compressed batch: records before it do not count, and a batch
         * with nothing left at or after the timestamp passes the question to the next one. */
        CHECK_EQ_INT(gr_plog_delete_records(l, 5), GR_ERR_NONE);
        check_lookup(l, 2001, 5, 2003, codec);
        check_lookup(l, 2004, 6, 2010, codec);
        CHECK_EQ_INT(gr_plog_delete_records(l, 8), GR_ERR_NONE);
        check_lookup(l, 2008, 9, 3000, codec);
        check_lookup(l, 2001, 8, 2007, codec);
        gr_plog_close(l);
        test_rm_rf(dir);
    }
}

/* A compressed batch that would decompress beyond the lookup limit is answered from its header. */
static void test_lookup_decompression_limit(void) {
    char *dir = test_tmpdir();
    gr_log_config c = small_config();
    c.max_message_bytes = 8 * 1024 * 1024;
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    const int64_t before[] = {100, 101};
    CHECK_EQ_INT(append_ts(l, before, 2, GR_COMPRESSION_NONE).error, GR_ERR_NONE);
    /* Header of a one-record batch, then zeros far beyond the limit, compressed. */
    gr_buf b;
    gr_buf_init(&b);
    const int64_t one[] = {500};
    CHECK(test_make_batch_ts(&b, one, 1, GR_COMPRESSION_NONE) > 0);
    size_t zeros_len = (size_t)GR_LOOKUP_DECOMPRESSED_MAX_BYTES + 1024;
    uint8_t *zeros = calloc(1, zeros_len);
    CHECK(zeros != NULL);
    b.len = GR_BATCH_HEADER_BYTES;
    CHECK_EQ_INT(gr_compress(GR_COMPRESSION_ZSTD, zeros, zeros_len, &b), 0);
    free(zeros);
    put32(b.data + GR_BATCH_OFF_LENGTH, (uint32_t)(b.len - GR_BATCH_LOG_OVERHEAD_BYTES));
    b.data[GR_BATCH_OFF_ATTRIBUTES + 1] |= GR_COMPRESSION_ZSTD;
    recrc(b.data, b.len);
    CHECK(b.len < (size_t)c.max_message_bytes);
    CHECK_EQ_INT(append_raw(l, b.data, b.len).error, GR_ERR_NONE);
    gr_buf_free(&b);
    check_lookup(l, 400, 2, 500, GR_COMPRESSION_ZSTD);
    check_lookup(l, GR_LIST_OFFSETS_MAX_TIMESTAMP, 2, 500, GR_COMPRESSION_ZSTD);
    gr_plog_close(l);
    test_rm_rf(dir);
}

static ssize_t failing_pwrite(int fd, const void *buf, size_t n, off_t offset) {
    /* Half of the bytes land, then the disk is full. */
    if (n > 8) {
        ssize_t w = pwrite(fd, buf, n / 2, offset);
        (void)w;
    }
    errno = ENOSPC;
    return -1;
}

static void test_write_failure(void) {
    char *dir = test_tmpdir();
    gr_log_config c = small_config();
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    CHECK_EQ_INT(append_n(l, 2, 1).error, GR_ERR_NONE);
    long long size_before = test_file_size(dir, "00000000000000000000.log");

    gr_sys.pwrite = failing_pwrite;
    gr_append_result r = append_n(l, 3, 1);
    gr_sysio_reset();
    CHECK_EQ_INT(r.error, GR_ERR_KAFKA_STORAGE_ERROR);
    CHECK_EQ_INT(r.base_offset, -1);
    /* The half-written batch was cut off; offsets did not move; the log goes on. */
    CHECK_EQ_INT(test_file_size(dir, "00000000000000000000.log"), size_before);
    CHECK_EQ_INT(gr_plog_end_offset(l), 2);
    r = append_n(l, 3, 1);
    CHECK_EQ_INT(r.error, GR_ERR_NONE);
    CHECK_EQ_INT(r.base_offset, 2);
    gr_read_result rr;
    int64_t first, last;
    gr_plog_read(l, 0, 1 << 20, true, &rr);
    CHECK_EQ_INT(range_batches(&rr, &first, &last), 2);
    CHECK_EQ_INT(last, 4);
    gr_file_ref_release(rr.file);
    CHECK_EQ_INT(gr_plog_flush(l), GR_ERR_NONE);
    gr_plog_close(l);
    /* And it reopens to the same state. */
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    CHECK_EQ_INT(gr_plog_end_offset(l), 5);
    gr_plog_close(l);
    test_rm_rf(dir);
}

static int failing_fdatasync(int fd) {
    (void)fd;
    errno = EIO;
    return -1;
}

static void test_sync_failure(void) {
    char *dir = test_tmpdir();
    gr_log_config c = small_config();
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    CHECK_EQ_INT(append_n(l, 2, 1).error, GR_ERR_NONE);
    gr_sys.fdatasync = failing_fdatasync;
    CHECK_EQ_INT(gr_plog_flush(l), GR_ERR_KAFKA_STORAGE_ERROR);
    gr_sysio_reset();
    /* After a failed sync nothing more is acknowledged: the page cache cannot be trusted. */
    CHECK_EQ_INT(append_n(l, 1, 1).error, GR_ERR_KAFKA_STORAGE_ERROR);
    CHECK_EQ_INT(gr_plog_flush(l), GR_ERR_KAFKA_STORAGE_ERROR);
    gr_read_result rr;
    gr_plog_read(l, 0, 1000, true, &rr); /* reads still work */
    CHECK_EQ_INT(rr.error, GR_ERR_NONE);
    CHECK(rr.file != NULL);
    gr_file_ref_release(rr.file);
    gr_plog_close(l);
    test_rm_rf(dir);
}

static void test_retention(void) {
    char *dir = test_tmpdir();
    gr_log_config c = small_config();
    gr_buf b;
    gr_buf_init(&b);
    test_batch_opts o = test_opts(1, 1);
    size_t one = test_make_batch(&b, &o);
    gr_buf_free(&b);
    c.segment_bytes = (int64_t)(2 * one); /* two batches per segment */
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    /* Segments: [0,1] ts 1000,1001 | [2,3] 2000,2001 | [4,5] 3000,3001 | [6,7] | [8] active */
    for (int i = 0; i < 9; i++) CHECK_EQ_INT(append_n(l, 1, 1000 * (1 + i / 2) + i % 2).error, GR_ERR_NONE);
    CHECK_EQ_INT(gr_plog_segment_count(l), 5);

    /* A reader holding a range of the first segment keeps it through its deletion. */
    gr_read_result held;
    gr_plog_read(l, 0, 1 << 20, true, &held);
    CHECK(held.file != NULL);

    /* By time: segments whose newest record is older than retention_ms. */
    c.retention_ms = 1500;
    gr_plog_set_config(l, &c);
    gr_plog_enforce_retention(l, 3600); /* 3600 - 2001 > 1500, 3600 - 3001 < 1500 */
    CHECK_EQ_INT(gr_plog_segment_count(l), 3);
    CHECK_EQ_INT(gr_plog_start_offset(l), 4);
    CHECK(!test_file_exists(dir, "00000000000000000000.log"));
    CHECK(!test_file_exists(dir, "00000000000000000002.index"));
    gr_read_result rr;
    gr_plog_read(l, 1, 1000, true, &rr);
    CHECK_EQ_INT(rr.error, GR_ERR_OFFSET_OUT_OF_RANGE);
    CHECK_EQ_INT(rr.log_start_offset, 4);
    uint8_t *p = range_bytes(&held);
    gr_batch_header h;
    CHECK(p && gr_batch_validate(p, (size_t)held.length, &h) == GR_BATCH_OK);
    free(p);
    gr_file_ref_release(held.file);

    /* The active segment is never deleted, however old. */
    gr_plog_enforce_retention(l, 1000000000);
    CHECK_EQ_INT(gr_plog_segment_count(l), 1);
    CHECK_EQ_INT(gr_plog_start_offset(l), 8);
    CHECK_EQ_INT(gr_plog_end_offset(l), 9);

    /* By size. */
    c.retention_ms = -1;
    c.retention_bytes = (int64_t)(3 * one);
    gr_plog_set_config(l, &c);
    for (int i = 0; i < 6; i++) CHECK_EQ_INT(append_n(l, 1, 1).error, GR_ERR_NONE);
    CHECK_EQ_INT(gr_plog_size_bytes(l), 7 * one);
    gr_plog_enforce_retention(l, 0);
    CHECK(gr_plog_size_bytes(l) <= (int64_t)(3 * one));
    CHECK(gr_plog_size_bytes(l) + (int64_t)(2 * one) > (int64_t)(3 * one));
    CHECK_EQ_INT(gr_plog_end_offset(l), 15);

    /* DeleteRecords: start moves inside a segment, wholly-covered segments go. */
    int64_t start = gr_plog_start_offset(l);
    CHECK_EQ_INT(gr_plog_delete_records(l, 16), GR_ERR_OFFSET_OUT_OF_RANGE);
    CHECK_EQ_INT(start, 12);
    int segs = gr_plog_segment_count(l);
    CHECK_EQ_INT(gr_plog_delete_records(l, 13), GR_ERR_NONE); /* inside segment [12,13] */
    CHECK_EQ_INT(gr_plog_start_offset(l), 13);
    CHECK_EQ_INT(gr_plog_segment_count(l), segs);
    gr_plog_read(l, 12, 1000, true, &rr);
    CHECK_EQ_INT(rr.error, GR_ERR_OFFSET_OUT_OF_RANGE);
    gr_plog_read(l, 13, 1000, true, &rr);
    CHECK_EQ_INT(rr.error, GR_ERR_NONE);
    CHECK(rr.file != NULL);
    gr_file_ref_release(rr.file);
    CHECK_EQ_INT(gr_plog_delete_records(l, 2), GR_ERR_NONE); /* never moves back */
    CHECK_EQ_INT(gr_plog_start_offset(l), 13);
    CHECK_EQ_INT(gr_plog_delete_records(l, 14), GR_ERR_NONE); /* [12,13] now wholly below */
    CHECK_EQ_INT(gr_plog_segment_count(l), segs - 1);
    gr_plog_close(l);
    /* The start offset survives a reopen. */
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    CHECK_EQ_INT(gr_plog_start_offset(l), 14);
    CHECK_EQ_INT(gr_plog_delete_records(l, -1), GR_ERR_NONE); /* -1 = high watermark */
    CHECK_EQ_INT(gr_plog_start_offset(l), 15);
    gr_plog_read(l, 15, 1000, true, &rr);
    CHECK_EQ_INT(rr.error, GR_ERR_NONE);
    CHECK(rr.file == NULL);
    gr_plog_close(l);
    test_rm_rf(dir);
}

static void test_remove(void) {
    char *dir = test_tmpdir();
    char sub[512];
    snprintf(sub, sizeof sub, "%s/topic-0", dir);
    gr_log_config c = small_config();
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(sub, &c, &l), GR_ERR_NONE);
    CHECK_EQ_INT(append_n(l, 2, 1).error, GR_ERR_NONE);
    gr_read_result rr;
    gr_plog_read(l, 0, 1000, true, &rr);
    CHECK_EQ_INT(gr_plog_remove(l), GR_ERR_NONE);
    CHECK(!test_file_exists(dir, "topic-0"));
    uint8_t *p = range_bytes(&rr); /* still readable */
    CHECK(p != NULL);
    free(p);
    gr_file_ref_release(rr.file);
    test_rm_rf(dir);
}

int main(void) {
    test_append_and_read();
    test_max_bytes_and_min_one();
    test_roll_by_size();
    test_roll_by_time();
    test_bad_input();
    test_log_append_time();
    test_timestamp_lookups();
    test_compressed_timestamp_lookups();
    test_lookup_decompression_limit();
    test_write_failure();
    test_sync_failure();
    test_retention();
    test_remove();
    if (test_failures) fprintf(stderr, "test_store_log: %d failure(s)\n", test_failures);
    return test_failures != 0;
}
