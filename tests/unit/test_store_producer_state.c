/* test_store_producer_state.c: idempotent producers: duplicates, gaps, epochs, and restarts. */
#include "store_test_util.h"

#include <dirent.h>

#include "base/log.h"
#include "proto/errors.h"
#include "store/partition_log.h"
#include "store/producer_state.h"

/* One idempotent batch of n records from producer pid/epoch starting at seq. */
static gr_append_result produce(gr_partition_log *l, int64_t pid, int16_t epoch, int32_t seq, int n) {
    gr_buf b;
    gr_buf_init(&b);
    test_batch_opts o = test_opts(n, 1000 + (int64_t)seq);
    o.producer_id = pid;
    o.producer_epoch = epoch;
    o.base_sequence = seq;
    test_make_batch(&b, &o);
    gr_append_result r;
    gr_plog_append(l, b.data, b.len, 0, &r);
    gr_buf_free(&b);
    return r;
}

static void remove_snapshots(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n > 9 && strcmp(de->d_name + n - 9, ".snapshot") == 0) test_remove_file(dir, de->d_name);
    }
    if (d) closedir(d);
}

static int count_snapshots(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *de;
    int count = 0;
    while (d && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n > 9 && strcmp(de->d_name + n - 9, ".snapshot") == 0) count++;
    }
    if (d) closedir(d);
    return count;
}

static void test_rules(void) {
    char *dir = test_tmpdir();
    gr_log_config c;
    gr_log_config_defaults(&c);
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    gr_append_result r;

    /* Unknown producer: any first sequence (KIP-360). */
    r = produce(l, 7, 0, 100, 2);
    CHECK_EQ_INT(r.error, GR_ERR_NONE);
    CHECK_EQ_INT(r.base_offset, 0);
    r = produce(l, 7, 0, 102, 3);
    CHECK_EQ_INT(r.base_offset, 2);
    /* Another producer in between does not disturb producer 7. */
    CHECK_EQ_INT(produce(l, 8, 0, 0, 1).base_offset, 5);

    /* A retry of either of the last batches: original offsets, nothing written. */
    r = produce(l, 7, 0, 102, 3);
    CHECK_EQ_INT(r.error, GR_ERR_NONE);
    CHECK(r.duplicate);
    CHECK_EQ_INT(r.base_offset, 2);
    CHECK_EQ_INT(r.last_offset, 4);
    r = produce(l, 7, 0, 100, 2);
    CHECK(r.duplicate);
    CHECK_EQ_INT(r.base_offset, 0);
    CHECK_EQ_INT(gr_plog_end_offset(l), 6);

    /* A gap, or a batch overlapping the last one without matching it. */
    r = produce(l, 7, 0, 106, 1);
    CHECK_EQ_INT(r.error, GR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    CHECK_EQ_INT(r.base_offset, -1);
    r = produce(l, 7, 0, 103, 2);
    CHECK_EQ_INT(r.error, GR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    CHECK_EQ_INT(gr_plog_end_offset(l), 6);

    /* In order goes on. */
    r = produce(l, 7, 0, 105, 1);
    CHECK_EQ_INT(r.error, GR_ERR_NONE);
    CHECK_EQ_INT(r.base_offset, 6);

    /* New epoch: sequence must restart at 0. */
    r = produce(l, 7, 1, 5, 1);
    CHECK_EQ_INT(r.error, GR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    r = produce(l, 7, 1, 0, 2);
    CHECK_EQ_INT(r.error, GR_ERR_NONE);
    CHECK_EQ_INT(r.base_offset, 7);
    /* The old epoch is fenced, even for what would have been a duplicate. */
    r = produce(l, 7, 0, 106, 1);
    CHECK_EQ_INT(r.error, GR_ERR_INVALID_PRODUCER_EPOCH);
    r = produce(l, 7, 0, 105, 1);
    CHECK_EQ_INT(r.error, GR_ERR_INVALID_PRODUCER_EPOCH);
    /* The new epoch's retry is a duplicate. */
    r = produce(l, 7, 1, 0, 2);
    CHECK(r.duplicate);
    CHECK_EQ_INT(r.base_offset, 7);

    /* Only the last five batches are remembered. */
    for (int i = 0; i < 6; i++) CHECK_EQ_INT(produce(l, 9, 0, i, 1).error, GR_ERR_NONE);
    r = produce(l, 9, 0, 1, 1); /* fifth from last: still known */
    CHECK(r.duplicate);
    r = produce(l, 9, 0, 0, 1); /* sixth from last: forgotten, and not in sequence */
    CHECK_EQ_INT(r.error, GR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);

    /* Sequence numbers wrap from INT32_MAX to 0. */
    CHECK_EQ_INT(produce(l, 10, 0, INT32_MAX - 1, 2).error, GR_ERR_NONE);
    CHECK_EQ_INT(produce(l, 10, 0, 0, 1).error, GR_ERR_NONE);
    /* A batch may itself wrap. */
    CHECK_EQ_INT(produce(l, 11, 0, INT32_MAX, 3).error, GR_ERR_NONE);
    CHECK_EQ_INT(produce(l, 11, 0, 2, 1).error, GR_ERR_NONE);

    /* Two batches of one producer in one request are checked against each other. */
    gr_buf b;
    gr_buf_init(&b);
    test_batch_opts o = test_opts(2, 1);
    o.producer_id = 12;
    o.producer_epoch = 0;
    o.base_sequence = 0;
    test_make_batch(&b, &o);
    o.base_sequence = 2;
    test_make_batch(&b, &o);
    gr_plog_append(l, b.data, b.len, 0, &r);
    CHECK_EQ_INT(r.error, GR_ERR_NONE);
    gr_buf_reset(&b);
    o.base_sequence = 4;
    test_make_batch(&b, &o);
    o.base_sequence = 7; /* gap inside the request: nothing of it is written */
    test_make_batch(&b, &o);
    int64_t end = gr_plog_end_offset(l);
    gr_plog_append(l, b.data, b.len, 0, &r);
    CHECK_EQ_INT(r.error, GR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    CHECK_EQ_INT(gr_plog_end_offset(l), end);
    CHECK_EQ_INT(produce(l, 12, 0, 4, 2).error, GR_ERR_NONE); /* the failed request left no trace */
    gr_buf_free(&b);

    gr_plog_close(l);
    test_rm_rf(dir);
}

/* Fills a log with a known producer history; returns the end offset. */
static int64_t write_history(gr_partition_log *l) {
    for (int i = 0; i < 20; i++) CHECK_EQ_INT(produce(l, 21, 3, i * 2, 2).error, GR_ERR_NONE);
    for (int i = 0; i < 3; i++) CHECK_EQ_INT(produce(l, 22, 0, i, 1).error, GR_ERR_NONE);
    return gr_plog_end_offset(l);
}

/* What must hold after any reopen of a log written by write_history. */
static void check_history(gr_partition_log *l, int64_t end) {
    gr_append_result r = produce(l, 21, 3, 38, 2); /* the last batch, retried */
    CHECK(r.duplicate);
    CHECK_EQ_INT(r.base_offset, 38);
    r = produce(l, 21, 3, 30, 2); /* the fifth from last */
    CHECK(r.duplicate);
    CHECK_EQ_INT(r.base_offset, 30);
    CHECK_EQ_INT(produce(l, 21, 3, 41, 1).error, GR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    CHECK_EQ_INT(produce(l, 21, 2, 0, 1).error, GR_ERR_INVALID_PRODUCER_EPOCH);
    CHECK_EQ_INT(produce(l, 22, 0, 2, 1).base_offset, 42);
    CHECK_EQ_INT(gr_plog_end_offset(l), end);
    r = produce(l, 21, 3, 40, 1);
    CHECK_EQ_INT(r.error, GR_ERR_NONE);
    CHECK_EQ_INT(r.base_offset, end);
}

static void test_survives_reopen(void) {
    gr_log_config c;
    gr_log_config_defaults(&c);
    c.segment_bytes = 700; /* several segments, snapshots at rolls */
    for (int variant = 0; variant < 3; variant++) {
        char *dir = test_tmpdir();
        gr_partition_log *l;
        CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
        int64_t end = write_history(l);
        CHECK(gr_plog_segment_count(l) > 2);
        gr_plog_close(l); /* writes a snapshot at the end offset */
        CHECK(test_file_exists(dir, "00000000000000000043.snapshot"));
        CHECK(count_snapshots(dir) <= GR_PRODUCER_SNAPSHOTS_KEPT);
        if (variant == 1) remove_snapshots(dir); /* rebuilt from the log alone */
        if (variant == 2) {
            /* A damaged newest snapshot: an older one plus the log behind it are used. */
            size_t n;
            uint8_t *p = test_read_file(dir, "00000000000000000043.snapshot", &n);
            CHECK(p != NULL && n > 20);
            if (p) {
                p[n - 3] ^= 0xFF;
                test_write_file(dir, "00000000000000000043.snapshot", p, n, "wb");
            }
            free(p);
        }
        CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
        check_history(l, end);
        gr_plog_close(l);
        test_rm_rf(dir);
    }
}

static void test_snapshot_ahead_of_log_is_ignored(void) {
    char *dir = test_tmpdir();
    gr_log_config c;
    gr_log_config_defaults(&c);
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    CHECK_EQ_INT(produce(l, 5, 0, 0, 1).error, GR_ERR_NONE);
    gr_plog_close(l);
    /* A snapshot from a future that a crash took back: it claims producer 5 is at epoch 9. */
    gr_producer_state *ps = gr_producer_state_new();
    gr_producer_entry e;
    gr_producer_entry_init(&e, 5, 9);
    gr_producer_batch pb = {0, 0, 50, 50, 1};
    gr_producer_entry_add(&e, 9, &pb);
    CHECK(gr_producer_state_put(ps, &e));
    gr_buf b;
    gr_buf_init(&b);
    gr_producer_state_encode(ps, &b);
    test_write_file(dir, "00000000000000000100.snapshot", b.data, b.len, "wb");
    gr_buf_free(&b);
    gr_producer_state_free(ps);
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    CHECK(!test_file_exists(dir, "00000000000000000100.snapshot"));
    CHECK_EQ_INT(produce(l, 5, 0, 1, 1).error, GR_ERR_NONE); /* epoch 0 is still current */
    gr_plog_close(l);
    test_rm_rf(dir);
}

static void test_snapshot_format(void) {
    gr_producer_state *ps = gr_producer_state_new();
    for (int64_t pid = 0; pid < 100; pid++) {
        for (int k = 0; k < 1 + pid % 7; k++) {
            gr_producer_batch pb = {k * 10, k * 10 + 9, pid * 1000 + k * 10, pid * 1000 + k * 10 + 9, 77 + k};
            CHECK(gr_producer_state_replay(ps, pid, (int16_t)(pid % 3), &pb));
        }
    }
    CHECK_EQ_INT(gr_producer_state_count(ps), 100);
    gr_buf b;
    gr_buf_init(&b);
    gr_producer_state_encode(ps, &b);
    /* Kafka's layout: version 1, CRC-32C over the rest, 46-byte entries, one per kept batch. */
    CHECK_EQ_INT(b.data[0] << 8 | b.data[1], 1);
    size_t entries = 0;
    for (int64_t pid = 0; pid < 100; pid++) entries += (size_t)(1 + pid % 7 > 5 ? 5 : 1 + pid % 7);
    CHECK_EQ_INT(b.len, 10 + 46 * entries);
    gr_producer_state *back = gr_producer_state_new();
    CHECK_EQ_INT(gr_producer_state_decode(back, b.data, b.len), 0);
    CHECK_EQ_INT(gr_producer_state_count(back), 100);
    const gr_producer_entry *e = gr_producer_state_find(back, 13);
    CHECK(e != NULL);
    if (e) {
        CHECK_EQ_INT(e->epoch, 1);
        CHECK_EQ_INT(e->batch_count, 5);
        CHECK_EQ_INT(e->batches[4].first_seq, 60);
        CHECK_EQ_INT(e->batches[4].last_seq, 69);
        CHECK_EQ_INT(e->batches[4].first_offset, 13060);
        CHECK_EQ_INT(e->batches[0].first_seq, 20);
    }
    b.data[b.len - 1] ^= 1;
    CHECK_EQ_INT(gr_producer_state_decode(back, b.data, b.len), -1);
    CHECK_EQ_INT(gr_producer_state_decode(back, b.data, 7), -1);
    CHECK_EQ_INT(gr_producer_state_count(back), 100); /* untouched by a failed decode */
    gr_producer_state_drop_before(back, 50000);
    CHECK_EQ_INT(gr_producer_state_count(back), 50);
    gr_producer_state_expire(back, 1000, 1000 - 78); /* keeps producers whose newest batch is >= 78 */
    CHECK_EQ_INT(gr_producer_state_count(back), 43); /* 50..99 less the 7 multiples of 7 */
    gr_buf_free(&b);
    gr_producer_state_free(ps);
    gr_producer_state_free(back);
}

static void test_retention_forgets_producers(void) {
    char *dir = test_tmpdir();
    gr_log_config c;
    gr_log_config_defaults(&c);
    c.segment_bytes = 300;
    gr_partition_log *l;
    CHECK_EQ_INT(gr_plog_open(dir, &c, &l), GR_ERR_NONE);
    CHECK_EQ_INT(produce(l, 30, 0, 0, 1).error, GR_ERR_NONE);
    for (int i = 0; i < 6; i++) CHECK_EQ_INT(produce(l, 31, 0, i, 1).error, GR_ERR_NONE);
    CHECK_EQ_INT(gr_plog_delete_records(l, gr_plog_end_offset(l) - 1), GR_ERR_NONE);
    /* Producer 30's batches are gone: it is unknown now, so any sequence goes (KIP-360). */
    CHECK_EQ_INT(produce(l, 30, 0, 17, 1).error, GR_ERR_NONE);
    CHECK_EQ_INT(produce(l, 31, 0, 9, 1).error, GR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER);
    gr_plog_close(l);
    test_rm_rf(dir);
}

int main(void) {
    gr_log_set_level(GR_LOG_ERROR);
    test_rules();
    test_survives_reopen();
    test_snapshot_ahead_of_log_is_ignored();
    test_snapshot_format();
    test_retention_forgets_producers();
    if (test_failures) fprintf(stderr, "test_store_producer_state: %d failure(s)\n", test_failures);
    return test_failures != 0;
}
