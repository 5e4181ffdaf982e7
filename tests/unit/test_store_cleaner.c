/* test_store_cleaner.c: compaction of a real log directory: the newest record per key survives in
 * offset order, tombstones last delete.retention.ms after their first cleaning, compressed batches
 * keep their codec, producer state survives, the active segment and young segments are left
 * alone, a fetch holding the old file still reads it, and a crash mid-swap recovers. */
#include "store_test_util.h"

#include <dirent.h>

#include "proto/errors.h"
#include "proto/record_keys.h"
#include "store/partition_log.h"
#include "store/sysio.h"

#define NOW_MS 1700000000000LL
#define HOUR_MS 3600000LL
#define OLD_TS (NOW_MS - 10 * HOUR_MS)

static int64_t fake_clock(void) { return NOW_MS; }

typedef struct kv {
    const char *key;   /* NULL: no key */
    const char *value; /* NULL: tombstone */
} kv;

typedef struct seen {
    int64_t offset;
    char key[16];
    char value[16]; /* "" with tombstone set */
    bool tombstone;
} seen;

/* One batch of these records, compressed with codec, optionally idempotent. */
static gr_append_result append(gr_partition_log *l, const kv *recs, int n, int codec, int64_t pid,
                               int32_t seq) {
    gr_batch_builder_opts bo;
    gr_batch_builder_opts_init(&bo);
    bo.producer_id = pid;
    bo.producer_epoch = pid >= 0 ? 0 : -1;
    bo.base_sequence = pid >= 0 ? seq : -1;
    gr_buf plain, z;
    gr_buf_init(&plain);
    gr_buf_init(&z);
    gr_batch_builder b;
    gr_batch_builder_begin(&b, &plain, &bo);
    for (int i = 0; i < n; i++) {
        gr_bytes k = {(const uint8_t *)recs[i].key, recs[i].key ? (int32_t)strlen(recs[i].key) : -1};
        gr_bytes v = {(const uint8_t *)recs[i].value, recs[i].value ? (int32_t)strlen(recs[i].value) : -1};
        gr_batch_builder_add(&b, OLD_TS + i, k, v, NULL, 0);
    }
    size_t size = gr_batch_builder_finish(&b);
    gr_buf *out = &plain;
    if (codec != GR_CODEC_NONE) {
        gr_buf_put(&z, plain.data, GR_BATCH_HEADER_BYTES);
        CHECK(gr_compress(codec, plain.data + GR_BATCH_HEADER_BYTES, size - GR_BATCH_HEADER_BYTES, &z) == 0);
        uint8_t *p = z.data;
        uint32_t length = (uint32_t)(z.len - GR_BATCH_LOG_OVERHEAD_BYTES);
        for (int i = 0; i < 4; i++) p[GR_BATCH_OFF_LENGTH + i] = (uint8_t)(length >> (24 - 8 * i));
        p[GR_BATCH_OFF_ATTRIBUTES + 1] = (uint8_t)((p[GR_BATCH_OFF_ATTRIBUTES + 1] & ~7) | codec);
        uint32_t crc = gr_batch_compute_crc(p, z.len);
        for (int i = 0; i < 4; i++) p[GR_BATCH_OFF_CRC + i] = (uint8_t)(crc >> (24 - 8 * i));
        out = &z;
    }
    gr_append_result r;
    gr_plog_append(l, out->data, out->len, 0, &r);
    gr_buf_free(&plain);
    gr_buf_free(&z);
    return r;
}

/* Every record from the log start to the end, checking each batch's CRC; codecs[] gets the codec
 * of each batch read (at most 64). Returns the record count. */
static int read_all(gr_partition_log *l, seen *out, int cap, int *codecs, int *nbatches) {
    int n = 0, nb = 0;
    int64_t off = gr_plog_start_offset(l), end = gr_plog_end_offset(l);
    for (int rounds = 0; off < end && rounds < 1000; rounds++) {
        gr_read_result res;
        gr_plog_read(l, off, 1 << 20, true, &res);
        CHECK_EQ_INT(res.error, 0);
        if (!res.file) break;
        uint8_t *buf = malloc((size_t)res.length);
        CHECK(gr_sys_pread_all(res.file->fd, buf, (size_t)res.length, res.file_offset) == res.length);
        gr_file_ref_release(res.file);
        for (size_t pos = 0; pos + GR_BATCH_HEADER_BYTES <= (size_t)res.length;) {
            gr_batch_header h;
            CHECK(gr_batch_check_crc(buf + pos, (size_t)res.length - pos, &h) == GR_BATCH_OK);
            if (codecs && nb < 64) codecs[nb] = gr_batch_compression(&h);
            nb++;
            gr_buf plain;
            gr_buf_init(&plain);
            const uint8_t *recs = buf + pos + GR_BATCH_HEADER_BYTES;
            size_t len = (size_t)gr_batch_size(&h) - GR_BATCH_HEADER_BYTES;
            if (gr_batch_compression(&h) != GR_CODEC_NONE && h.records_count > 0) {
                CHECK(gr_decompress(gr_batch_compression(&h), recs, len, &plain, 1 << 24) == 0);
                recs = plain.data;
                len = plain.len;
            }
            gr_record_iter it;
            gr_record r;
            gr_record_iter_init_records(&it, &h, recs, len);
            while (gr_record_iter_next(&it, &r) == 1 && n < cap) {
                seen *s = &out[n++];
                s->offset = r.offset;
                snprintf(s->key, sizeof s->key, "%.*s", r.key.len > 0 ? r.key.len : 0,
                         (const char *)r.key.ptr);
                s->tombstone = r.value.len < 0;
                snprintf(s->value, sizeof s->value, "%.*s", r.value.len > 0 ? r.value.len : 0,
                         (const char *)r.value.ptr);
            }
            gr_buf_free(&plain);
            off = gr_batch_last_offset(&h) + 1;
            pos += (size_t)gr_batch_size(&h);
        }
        free(buf);
    }
    if (nbatches) *nbatches = nb;
    return n;
}

/* Without snapshots, opening rebuilds producer state from the batches themselves. */
static void remove_snapshots(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n > 9 && !strcmp(de->d_name + n - 9, ".snapshot")) test_remove_file(dir, de->d_name);
    }
    if (d) closedir(d);
}

static gr_log_config small_segments(void) {
    gr_log_config c;
    gr_log_config_defaults(&c);
    c.segment_bytes = 200; /* about one batch per segment */
    return c;
}

static gr_compaction_config eager(void) {
    gr_compaction_config cc;
    gr_compaction_config_defaults(&cc);
    cc.compact = true;
    cc.min_cleanable_dirty_ratio = 0.0;
    cc.delete_retention_ms = HOUR_MS;
    return cc;
}

/* Updates to three keys, a tombstone, then the checks of what one and two cleanings leave. */
static void test_newest_per_key_and_tombstones(void) {
    char *dir = test_tmpdir();
    gr_log_config c = small_segments();
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), 0);
    for (int round = 0; round < 5; round++) {
        char v[3][16];
        for (int k = 0; k < 3; k++) snprintf(v[k], sizeof v[k], "r%d", round);
        kv recs[] = {{"a", v[0]}, {"b", v[1]}, {"c", v[2]}};
        CHECK_EQ_INT(append(l, recs, 3, GR_CODEC_NONE, -1, 0).error, 0);
    }
    kv del[] = {{"b", NULL}};
    CHECK_EQ_INT(append(l, del, 1, GR_CODEC_NONE, -1, 0).error, 0); /* offset 15 */
    kv tail[] = {{"z", "active"}};
    CHECK_EQ_INT(append(l, tail, 1, GR_CODEC_NONE, -1, 0).error, 0); /* 16: rolls; stays in the active one? */
    CHECK(gr_plog_segment_count(l) >= 3);
    int64_t end_before = gr_plog_end_offset(l);

    gr_compaction_config cc = eager();
    gr_clean_stats st;
    CHECK_EQ_INT(gr_plog_clean(l, &cc, NOW_MS, &st), 0);
    CHECK(st.rewritten > 0);
    CHECK_EQ_INT(gr_plog_end_offset(l), end_before); /* offsets never reused */
    /* Segment 6 lost every batch and is gone; segment 0 too, but it stays (the log start). */
    CHECK_EQ_INT(st.deleted, 1);
    CHECK(!test_file_exists(dir, "00000000000000000006.log"));
    CHECK_EQ_INT(test_file_size(dir, "00000000000000000000.log"), 0);
    CHECK_EQ_INT(gr_plog_start_offset(l), 0);

    seen s[64];
    int n = read_all(l, s, 64, NULL, NULL);
    /* a=r4 (12), c=r4 (14), the tombstone of b (15), z (16) */
    CHECK_EQ_INT(n, 4);
    CHECK(!strcmp(s[0].key, "a") && !strcmp(s[0].value, "r4") && s[0].offset == 12);
    CHECK(!strcmp(s[1].key, "c") && !strcmp(s[1].value, "r4") && s[1].offset == 14);
    CHECK(!strcmp(s[2].key, "b") && s[2].tombstone && s[2].offset == 15);
    CHECK(!strcmp(s[3].key, "z") && s[3].offset == 16);

    /* Nothing new: no cleaning (nothing dirty), the tombstone stays. */
    CHECK_EQ_INT(gr_plog_clean(l, &cc, NOW_MS + 2 * HOUR_MS, &st), 0);
    CHECK_EQ_INT(st.segments, 0);

    /* New data rolls the segment with z; past delete.retention.ms the tombstone goes. */
    kv more[] = {{"a", "r5"}};
    CHECK_EQ_INT(append(l, more, 1, GR_CODEC_NONE, -1, 0).error, 0);
    CHECK_EQ_INT(append(l, tail, 1, GR_CODEC_NONE, -1, 0).error, 0);
    CHECK_EQ_INT(gr_plog_clean(l, &cc, NOW_MS + 2 * HOUR_MS, &st), 0);
    n = read_all(l, s, 64, NULL, NULL);
    for (int i = 0; i < n; i++) CHECK(!s[i].tombstone);
    for (int i = 1; i < n; i++) CHECK(s[i].offset > s[i - 1].offset);
    CHECK(n >= 2 && !strcmp(s[n - 1].key, "z"));

    /* Reopening gives the same records (indexes rebuilt by the cleaner are right). */
    gr_plog_close(l);
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), 0);
    seen s2[64];
    CHECK_EQ_INT(read_all(l, s2, 64, NULL, NULL), n);
    for (int i = 0; i < n; i++) CHECK(s2[i].offset == s[i].offset && !strcmp(s2[i].value, s[i].value));
    gr_plog_close(l);
    test_rm_rf(dir);
}

static void test_compressed_keeps_codec(void) {
    char *dir = test_tmpdir();
    gr_log_config c = small_segments();
    c.segment_bytes = 150;
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), 0);
    kv recs[] = {{"a", "1"}, {"b", "1"}, {"a", "2"}, {"c", "1"}};
    CHECK_EQ_INT(append(l, recs, 4, GR_CODEC_GZIP, -1, 0).error, 0);
    kv recs2[] = {{"b", "2"}, {"d", "1"}};
    CHECK_EQ_INT(append(l, recs2, 2, GR_CODEC_LZ4, -1, 0).error, 0);
    kv tail[] = {{"z", "x"}};
    CHECK_EQ_INT(append(l, tail, 1, GR_CODEC_NONE, -1, 0).error, 0);
    gr_compaction_config cc = eager();
    CHECK_EQ_INT(gr_plog_clean(l, &cc, NOW_MS, NULL), 0);
    seen s[16];
    int codecs[64], nb;
    int n = read_all(l, s, 16, codecs, &nb);
    CHECK_EQ_INT(n, 5); /* a=2 (2), c (3), b=2 (4), d (5), z (6) */
    CHECK(s[0].offset == 2 && !strcmp(s[0].value, "2"));
    CHECK(s[1].offset == 3 && s[2].offset == 4 && s[3].offset == 5 && s[4].offset == 6);
    CHECK_EQ_INT(nb, 3);
    CHECK_EQ_INT(codecs[0], GR_CODEC_GZIP);
    CHECK_EQ_INT(codecs[1], GR_CODEC_LZ4);
    gr_plog_close(l);
    test_rm_rf(dir);
}

/* An idempotent producer's superseded batch stays as an empty batch, so its sequence is known
 * after a reopen, and the next batch in sequence is accepted. */
static void test_producer_state_survives(void) {
    char *dir = test_tmpdir();
    gr_log_config c = small_segments();
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), 0);
    kv one[] = {{"a", "1"}}, two[] = {{"a", "2"}}, other[] = {{"b", "x"}};
    CHECK_EQ_INT(append(l, one, 1, GR_CODEC_NONE, 7, 0).error, 0);  /* pid 7 seq 0, superseded */
    CHECK_EQ_INT(append(l, two, 1, GR_CODEC_NONE, -1, 0).error, 0); /* not idempotent */
    CHECK_EQ_INT(append(l, other, 1, GR_CODEC_NONE, -1, 0).error, 0);
    gr_compaction_config cc = eager();
    CHECK_EQ_INT(gr_plog_clean(l, &cc, NOW_MS, NULL), 0);
    seen s[8];
    int nb;
    CHECK_EQ_INT(read_all(l, s, 8, NULL, &nb), 2);
    CHECK_EQ_INT(nb, 3); /* the empty batch of pid 7 is still there */
    gr_plog_close(l);
    remove_snapshots(dir);
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), 0);
    gr_append_result r = append(l, one, 1, GR_CODEC_NONE, 7, 0); /* a retry of seq 0 */
    CHECK_EQ_INT(r.error, 0);
    CHECK(r.duplicate);
    CHECK_EQ_INT(append(l, one, 1, GR_CODEC_NONE, 7, 1).error, 0);
    gr_plog_close(l);
    test_rm_rf(dir);
}

/* Young segments (min.compaction.lag.ms) and a high dirty ratio leave the log alone. */
static void test_lag_and_ratio(void) {
    char *dir = test_tmpdir();
    gr_log_config c = small_segments();
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), 0);
    kv a1[] = {{"a", "1"}}, a2[] = {{"a", "2"}};
    for (int i = 0; i < 3; i++) CHECK_EQ_INT(append(l, i % 2 ? a2 : a1, 1, GR_CODEC_NONE, -1, 0).error, 0);
    gr_compaction_config cc = eager();
    cc.min_compaction_lag_ms = 20 * HOUR_MS;
    gr_clean_stats st;
    CHECK_EQ_INT(gr_plog_clean(l, &cc, NOW_MS, &st), 0);
    CHECK_EQ_INT(st.segments, 0);
    cc.min_compaction_lag_ms = 0;
    cc.compact = false;
    CHECK_EQ_INT(gr_plog_clean(l, &cc, NOW_MS, &st), 0);
    CHECK_EQ_INT(st.segments, 0);
    cc.compact = true;
    cc.min_cleanable_dirty_ratio = 1.0;
    cc.max_compaction_lag_ms = 20 * HOUR_MS;
    CHECK_EQ_INT(gr_plog_clean(l, &cc, NOW_MS, &st), 0); /* dirty ratio 1.0 is reached: all dirty */
    CHECK(st.segments > 0);
    /* Cleaned once: new dirty data is a small part; the ratio waits, max lag forces it. */
    CHECK_EQ_INT(append(l, a1, 1, GR_CODEC_NONE, -1, 0).error, 0);
    CHECK_EQ_INT(append(l, a2, 1, GR_CODEC_NONE, -1, 0).error, 0);
    cc.min_cleanable_dirty_ratio = 0.99;
    CHECK_EQ_INT(gr_plog_clean(l, &cc, NOW_MS, &st), 0);
    CHECK_EQ_INT(st.segments, 0);
    cc.max_compaction_lag_ms = HOUR_MS;
    CHECK_EQ_INT(gr_plog_clean(l, &cc, NOW_MS, &st), 0);
    CHECK(st.segments > 0);
    gr_plog_close(l);
    test_rm_rf(dir);
}

/* Keys a and b, then newer values of both, twice: segment 0 holds the first two batches. */
static gr_partition_log *two_keys_twice(const char *dir, const gr_log_config *c) {
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, c, &l), 0);
    kv a1[] = {{"a", "1"}, {"b", "1"}}, a2[] = {{"a", "2"}, {"b", "2"}};
    CHECK_EQ_INT(append(l, a1, 2, GR_CODEC_NONE, -1, 0).error, 0);
    CHECK_EQ_INT(append(l, a2, 2, GR_CODEC_NONE, -1, 0).error, 0);
    CHECK_EQ_INT(append(l, a2, 2, GR_CODEC_NONE, -1, 0).error, 0);
    return l;
}

/* A fetch that took the file before the cleaning still reads the old bytes. */
static void test_fetch_keeps_old_file(void) {
    char *dir = test_tmpdir();
    gr_log_config c = small_segments();
    gr_partition_log *l = two_keys_twice(dir, &c);
    gr_read_result res;
    gr_plog_read(l, 0, 1 << 20, true, &res);
    CHECK(res.file != NULL);
    gr_compaction_config cc = eager();
    CHECK_EQ_INT(gr_plog_clean(l, &cc, NOW_MS, NULL), 0);
    uint8_t buf[512];
    CHECK(res.length <= (int32_t)sizeof buf);
    CHECK(gr_sys_pread_all(res.file->fd, buf, (size_t)res.length, res.file_offset) == res.length);
    gr_batch_header h;
    CHECK(gr_batch_check_crc(buf, (size_t)res.length, &h) == GR_BATCH_OK);
    CHECK_EQ_INT(h.records_count, 2);
    gr_file_ref_release(res.file);
    gr_plog_close(l);
    test_rm_rf(dir);
}

/* A crash after the commit rename (.log.swap present, old .log still there) and a leftover
 * .log.cleaned: opening completes the swap and removes the leftover. */
static void test_crash_mid_swap(void) {
    char *dir = test_tmpdir();
    gr_log_config c = small_segments();
    gr_partition_log *l = two_keys_twice(dir, &c);
    gr_plog_close(l);
    const char *seg0 = "00000000000000000000.log";
    size_t old_len, new_len;
    uint8_t *old = test_read_file(dir, seg0, &old_len);
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), 0);
    gr_compaction_config cc = eager();
    CHECK_EQ_INT(gr_plog_clean(l, &cc, NOW_MS, NULL), 0);
    seen want[16];
    int n = read_all(l, want, 16, NULL, NULL);
    CHECK_EQ_INT(n, 4); /* the active segment's a=2, b=2 are not in the map: the older copies stay */
    gr_plog_close(l);
    uint8_t *cleaned = test_read_file(dir, seg0, &new_len);
    CHECK(new_len < old_len);
    /* Put the directory back to "committed, not yet swapped". */
    test_write_file(dir, "00000000000000000000.log.swap", cleaned, new_len, "wb");
    test_write_file(dir, seg0, old, old_len, "wb");
    test_write_file(dir, "00000000000000000002.log.cleaned", "junk", 4, "wb");
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), 0);
    CHECK(!test_file_exists(dir, "00000000000000000000.log.swap"));
    CHECK(!test_file_exists(dir, "00000000000000000002.log.cleaned"));
    CHECK_EQ_INT(test_file_size(dir, seg0), (long long)new_len);
    seen got[16];
    CHECK_EQ_INT(read_all(l, got, 16, NULL, NULL), n);
    for (int i = 0; i < n; i++) CHECK(got[i].offset == want[i].offset);
    gr_plog_close(l);
    /* A crash before the commit: only a .log.cleaned, which goes; the old segment stays. */
    test_write_file(dir, "00000000000000000000.log.cleaned", "junk", 4, "wb");
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), 0);
    CHECK(!test_file_exists(dir, "00000000000000000000.log.cleaned"));
    CHECK_EQ_INT(read_all(l, got, 16, NULL, NULL), n);
    gr_plog_close(l);
    free(old);
    free(cleaned);
    test_rm_rf(dir);
}

static void test_keyless_finder(void) {
    gr_buf b;
    gr_buf_init(&b);
    int64_t ts[3] = {1, 2, 3};
    size_t size = test_make_batch_ts(&b, ts, 3, GR_CODEC_NONE);
    CHECK_EQ_INT(gr_batch_first_keyless_record(b.data, size), -1);
    gr_buf_reset(&b);
    gr_batch_builder_opts bo;
    gr_batch_builder_opts_init(&bo);
    gr_batch_builder bb;
    gr_batch_builder_begin(&bb, &b, &bo);
    gr_bytes k = {(const uint8_t *)"k", 1}, nokey = {NULL, -1}, v = {(const uint8_t *)"v", 1};
    gr_batch_builder_add(&bb, 1, k, v, NULL, 0);
    gr_batch_builder_add(&bb, 1, nokey, v, NULL, 0);
    size = gr_batch_builder_finish(&bb);
    CHECK_EQ_INT(gr_batch_first_keyless_record(b.data, size), 1);
    CHECK_EQ_INT(gr_batch_first_keyless_record(b.data, 10), -2);
    gr_buf_free(&b);
}

int main(void) {
    gr_sys.wall_ms = fake_clock;
    test_newest_per_key_and_tombstones();
    test_compressed_keeps_codec();
    test_producer_state_survives();
    test_lag_and_ratio();
    test_fetch_keeps_old_file();
    test_crash_mid_swap();
    test_keyless_finder();
    gr_sysio_reset();
    return test_failures != 0;
}
