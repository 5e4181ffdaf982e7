/* test_store_recovery.c: reopening logs after clean closes, crashes, torn tails and damaged indexes. */
#include "store_test_util.h"

#include <sys/wait.h>

#include "base/log.h"
#include "proto/errors.h"
#include "store/partition_log.h"

#define SEG0 "00000000000000000000"

static gr_log_config test_config(void) {
    gr_log_config c;
    gr_log_config_defaults(&c);
    c.index_interval_bytes = 300;
    return c;
}

/* Appends `count` batches of 3 records (timestamps rising by 10 per batch); returns the end. */
static int64_t fill(gr_partition_log *l, int count, int64_t ts) {
    gr_buf b;
    gr_buf_init(&b);
    for (int i = 0; i < count; i++) {
        gr_buf_reset(&b);
        test_batch_opts o = test_opts(3, ts + 10 * i);
        test_make_batch(&b, &o);
        gr_append_result r;
        gr_plog_append(l, b.data, b.len, 0, &r);
        CHECK_EQ_INT(r.error, GR_ERR_NONE);
    }
    gr_buf_free(&b);
    return gr_plog_end_offset(l);
}

/* Every offset below end reads back from a batch holding it; offset_for_time agrees with fill. */
static void check_readable(gr_partition_log *l, int64_t end, int64_t ts) {
    CHECK_EQ_INT(gr_plog_end_offset(l), end);
    for (int64_t off = 0; off < end; off++) {
        gr_read_result rr;
        gr_plog_read(l, off, 100, true, &rr);
        CHECK_EQ_INT(rr.error, GR_ERR_NONE);
        CHECK(rr.file != NULL);
        if (!rr.file) continue;
        uint8_t hdr[GR_BATCH_HEADER_BYTES];
        gr_batch_header h;
        CHECK_EQ_INT(pread(rr.file->fd, hdr, sizeof hdr, rr.file_offset), sizeof hdr);
        gr_batch_header_parse(hdr, &h);
        CHECK(h.base_offset <= off && off <= gr_batch_last_offset(&h));
        gr_file_ref_release(rr.file);
    }
    int64_t o, t;
    for (int64_t i = 0; i < end / 3; i += 7) {
        CHECK_EQ_INT(gr_plog_offset_for_time(l, ts + 10 * i + 1, &o, &t), 0);
        CHECK_EQ_INT(o, 3 * i + 1);
    }
    CHECK_EQ_INT(gr_plog_max_timestamp(l, &o, &t), 0);
    if (end > 0) CHECK_EQ_INT(t, ts + 10 * (end / 3 - 1) + 2);
}

static uint8_t *slurp(const char *dir, const char *name, size_t *n) {
    uint8_t *p = test_read_file(dir, name, n);
    CHECK(p != NULL);
    return p;
}

static void test_clean_reopen(void) {
    char *dir = test_tmpdir();
    gr_log_config c = test_config();
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    int64_t end = fill(l, 60, 5000);
    gr_plog_close(l);
    size_t n1, n2;
    uint8_t *idx = slurp(dir, SEG0 ".index", &n1);
    uint8_t *tidx = slurp(dir, SEG0 ".timeindex", &n2);
    CHECK(n1 > 8 && n2 > 12);
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    check_readable(l, end, 5000);
    gr_plog_close(l);
    /* A clean reopen leaves the index files as they were. */
    size_t m1, m2;
    uint8_t *idx2 = slurp(dir, SEG0 ".index", &m1);
    uint8_t *tidx2 = slurp(dir, SEG0 ".timeindex", &m2);
    CHECK(m1 == n1 && memcmp(idx, idx2, n1) == 0);
    CHECK(m2 == n2 && memcmp(tidx, tidx2, n2) == 0);
    free(idx);
    free(tidx);
    free(idx2);
    free(tidx2);
    /* Appending after a reopen continues the offsets and the index. */
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    int64_t end2 = fill(l, 20, 5000 + 600);
    CHECK_EQ_INT(end2, end + 60);
    check_readable(l, end2, 5000);
    gr_plog_close(l);
    test_rm_rf(dir);
}

/* Garbage after the last whole batch is cut off at open, whatever it looks like. */
static void test_torn_tail(void) {
    for (int variant = 0; variant < 4; variant++) {
        char *dir = test_tmpdir();
        gr_log_config c = test_config();
        gr_partition_log *l;
        CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
        int64_t end = fill(l, 40, 100);
        gr_plog_close(l);
        long long good = test_file_size(dir, SEG0 ".log");

        gr_buf b;
        gr_buf_init(&b);
        test_batch_opts o = test_opts(3, 999);
        size_t size = test_make_batch(&b, &o);
        gr_batch_set_base_offset(b.data, end);
        uint8_t junk[512];
        switch (variant) {
        case 0:
            test_write_file(dir, SEG0 ".log", b.data, size / 2, "ab");
            break; /* half a batch */
        case 1:
            b.data[size - 1] ^= 0x5A; /* a whole batch with a bad CRC */
            test_write_file(dir, SEG0 ".log", b.data, size, "ab");
            break;
        case 2:
            memset(junk, 0, sizeof junk); /* zeros, as after a crash with preallocated blocks */
            test_write_file(dir, SEG0 ".log", junk, sizeof junk, "ab");
            break;
        case 3:
            for (size_t i = 0; i < sizeof junk; i++) junk[i] = (uint8_t)(i * 37 + 11);
            test_write_file(dir, SEG0 ".log", junk, sizeof junk, "ab");
            break;
        }
        gr_buf_free(&b);
        CHECK(test_file_size(dir, SEG0 ".log") > good);
        CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
        CHECK_EQ_INT(test_file_size(dir, SEG0 ".log"), good);
        check_readable(l, end, 100);
        CHECK_EQ_INT(fill(l, 1, 100 + 400), end + 3); /* and it takes appends again */
        gr_plog_close(l);
        test_rm_rf(dir);
    }
}

/* Data lost from the middle of the tail (the index got to disk, the log did not). */
static void test_index_past_data(void) {
    char *dir = test_tmpdir();
    gr_log_config c = test_config();
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    fill(l, 60, 100);
    gr_plog_close(l);
    long long full = test_file_size(dir, SEG0 ".log");
    /* Keep the first 25 batches and half of the 26th. */
    size_t n;
    uint8_t *log = slurp(dir, SEG0 ".log", &n);
    size_t pos = 0;
    for (int i = 0; i < 25; i++) {
        gr_batch_header h;
        gr_batch_header_parse(log + pos, &h);
        pos += (size_t)gr_batch_size(&h);
    }
    test_write_file(dir, SEG0 ".log", log, pos + 40, "wb");
    free(log);
    CHECK(test_file_size(dir, SEG0 ".log") < full);
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    CHECK_EQ_INT(test_file_size(dir, SEG0 ".log"), (long long)pos);
    check_readable(l, 75, 100);
    gr_plog_close(l);
    /* The rebuilt index matches one made by appending the same batches. */
    char *dir2 = test_tmpdir();
    CHECK_EQ_INT(gr_plog_open(dir2, &c, &l), GR_ERR_NONE);
    fill(l, 25, 100);
    gr_plog_close(l);
    size_t a, b;
    uint8_t *i1 = slurp(dir, SEG0 ".index", &a);
    uint8_t *i2 = slurp(dir2, SEG0 ".index", &b);
    CHECK(a == b && memcmp(i1, i2, a) == 0);
    free(i1);
    free(i2);
    i1 = slurp(dir, SEG0 ".timeindex", &a);
    i2 = slurp(dir2, SEG0 ".timeindex", &b);
    CHECK(a == b && memcmp(i1, i2, a) == 0);
    free(i1);
    free(i2);
    test_rm_rf(dir);
    test_rm_rf(dir2);
}

/* Index files missing or damaged, on closed segments and on the active one, are rebuilt to what
 * appending had made. */
static void test_index_rebuild(void) {
    for (int variant = 0; variant < 4; variant++) {
        char *dir = test_tmpdir();
        gr_log_config c = test_config();
        c.segment_bytes = 4000;
        gr_partition_log *l;
        CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
        int64_t end = fill(l, 80, 100);
        CHECK(gr_plog_segment_count(l) >= 3);
        gr_plog_close(l);
        const char *names[] = {SEG0 ".index", SEG0 ".timeindex"};
        size_t len[2];
        uint8_t *orig[2];
        for (int k = 0; k < 2; k++) orig[k] = slurp(dir, names[k], &len[k]);
        switch (variant) {
        case 0: /* deleted */
            test_remove_file(dir, names[0]);
            test_remove_file(dir, names[1]);
            break;
        case 1: /* not a whole number of entries */
            test_write_file(dir, names[0], "xyz", 3, "ab");
            test_write_file(dir, names[1], "xyz", 3, "ab");
            break;
        case 2: { /* last entry points past the end of the log */
            uint8_t bad[8] = {0, 0, 0x7f, 0, 0x10, 0, 0, 0};
            test_write_file(dir, names[0], bad, sizeof bad, "ab");
            break;
        }
        case 3: /* entries out of order */
            test_write_file(dir, names[0], orig[0] + 8, len[0] - 8, "wb");
            test_write_file(dir, names[0], orig[0], 8, "ab");
            break;
        }
        CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
        check_readable(l, end, 100);
        gr_plog_close(l);
        for (int k = 0; k < 2; k++) {
            size_t n;
            uint8_t *now = slurp(dir, names[k], &n);
            CHECK_EQ_INT(n, len[k]);
            CHECK(now && n == len[k] && memcmp(now, orig[k], n) == 0);
            free(now);
            free(orig[k]);
        }
        test_rm_rf(dir);
    }
}

/* A closed segment with a torn tail: what follows it cannot be trusted and is dropped. */
static void test_closed_segment_torn(void) {
    char *dir = test_tmpdir();
    gr_log_config c = test_config();
    c.segment_bytes = 4000;
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    fill(l, 80, 100);
    int segs = gr_plog_segment_count(l);
    CHECK(segs >= 3);
    gr_plog_close(l);
    size_t n;
    uint8_t *log = slurp(dir, SEG0 ".log", &n);
    int batches = 0;
    size_t pos = 0, last_start = 0;
    while (pos < n) {
        gr_batch_header h;
        gr_batch_header_parse(log + pos, &h);
        last_start = pos;
        pos += (size_t)gr_batch_size(&h);
        batches++;
    }
    test_write_file(dir, SEG0 ".log", log, last_start + 10, "wb"); /* last batch torn */
    free(log);
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    CHECK_EQ_INT(gr_plog_segment_count(l), 1);
    int64_t end = 3 * (batches - 1);
    check_readable(l, end, 100);
    CHECK_EQ_INT(fill(l, 2, 100 + 10 * (batches - 1)), end + 6);
    gr_plog_close(l);
    char name[64];
    snprintf(name, sizeof name, "%020d.log", batches * 3);
    CHECK(!test_file_exists(dir, name));
    test_rm_rf(dir);
}

/* kill -9 after a flush: the child appends, flushes and dies without closing. */
static void test_crash_after_flush(void) {
    char *dir = test_tmpdir();
    gr_log_config c = test_config();
    c.segment_bytes = 5000;
    pid_t pid = fork();
    if (pid == 0) {
        gr_partition_log *l;
        if (gr_plog_open(dir, &c, &l) != GR_ERR_NONE) _exit(3);
        fill(l, 100, 100);
        gr_buf b;
        gr_buf_init(&b);
        test_batch_opts o = test_opts(2, 7000);
        o.producer_id = 77;
        o.producer_epoch = 1;
        o.base_sequence = 0;
        test_make_batch(&b, &o);
        gr_append_result r;
        gr_plog_append(l, b.data, b.len, 0, &r);
        if (r.error || gr_plog_flush(l) != GR_ERR_NONE) _exit(4);
        _exit(0); /* no close, no snapshot */
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    CHECK_EQ_INT(gr_plog_end_offset(l), 302);
    /* The producer state came back from the log: a retry is a duplicate. */
    gr_buf b;
    gr_buf_init(&b);
    test_batch_opts o = test_opts(2, 7000);
    o.producer_id = 77;
    o.producer_epoch = 1;
    o.base_sequence = 0;
    test_make_batch(&b, &o);
    gr_append_result r;
    gr_plog_append(l, b.data, b.len, 0, &r);
    CHECK(r.duplicate);
    CHECK_EQ_INT(r.base_offset, 300);
    gr_buf_free(&b);
    gr_plog_close(l);
    test_rm_rf(dir);
}

int main(void) {
    gr_log_set_level(GR_LOG_ERROR);
    test_clean_reopen();
    test_torn_tail();
    test_index_past_data();
    test_index_rebuild();
    test_closed_segment_torn();
    test_crash_after_flush();
    if (test_failures) fprintf(stderr, "test_store_recovery: %d failure(s)\n", test_failures);
    return test_failures != 0;
}
