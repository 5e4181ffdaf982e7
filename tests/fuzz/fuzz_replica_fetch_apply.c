/*
 * fuzz_replica_fetch_apply.c: a leader's Fetch v12 response, as arbitrary bytes, applied by a
 * follower to a real log on disk.
 *
 * Input: the response body. Before each input the log is reset to two batches (offsets 0-2 in
 * epoch 0, 3-4 in epoch 1); every partition of the decoded response is then applied to it as if
 * it were the followed one, whatever its name says. Afterwards the log's offsets must still be in
 * order: log start <= high watermark <= log end.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"
#include "base/log.h"
#include "cluster/replica_fetcher_internal.h"
#include "proto/record_batch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gr_partition_log *fuzz_log;
static char fuzz_dir[256];
static gr_buf base_batches;

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void cleanup(void) {
    if (fuzz_log != NULL) gr_plog_close(fuzz_log);
    nftw(fuzz_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    gr_buf_free(&base_batches);
}

static void add_batch(int64_t base_offset, int records, int32_t epoch) {
    gr_batch_builder_opts o;
    gr_batch_builder_opts_init(&o);
    gr_batch_builder b;
    size_t at = base_batches.len;
    gr_batch_builder_begin(&b, &base_batches, &o);
    for (int i = 0; i < records; i++) {
        gr_bytes k = {(const uint8_t *)"k", 1}, v = {(const uint8_t *)"value", 5};
        gr_batch_builder_add(&b, 1700000000000LL + i, k, v, NULL, 0);
    }
    gr_batch_builder_finish(&b);
    gr_batch_set_base_offset(base_batches.data + at, base_offset);
    gr_batch_set_partition_leader_epoch(base_batches.data + at, epoch);
}

static void setup(void) {
    gr_log_set_level(GR_LOG_ERROR);
    snprintf(fuzz_dir, sizeof fuzz_dir, "%s/gregor-fuzz-fetch-XXXXXX", P_tmpdir);
    if (mkdtemp(fuzz_dir) == NULL) abort();
    char dir[300];
    snprintf(dir, sizeof dir, "%s/f-0", fuzz_dir);
    gr_log_config c;
    gr_log_config_defaults(&c);
    if (gr_plog_open(dir, &c, &fuzz_log) != 0) abort();
    gr_plog_set_replicated(fuzz_log, true);
    gr_buf_init(&base_batches);
    add_batch(0, 3, 0);
    add_batch(3, 2, 1);
    atexit(cleanup);
}

static void quiet_progress(void *ud, gr_partition_log *log) { (void)ud, (void)log; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (fuzz_log == NULL) setup();
    if (gr_plog_reset_to(fuzz_log, 0) != 0) return 0;
    gr_append_result res;
    gr_plog_append_replica(fuzz_log, base_batches.data, base_batches.len, &res);

    uint8_t *frame = malloc(size ? size : 1); /* writable, like the fetcher's receive buffer */
    if (frame == NULL) return 0;
    memcpy(frame, data, size);
    gr_arena a;
    gr_arena_init(&a, size * GR_REPLICA_FETCH_DECODE_ARENA_FACTOR + 65536);
    gr_reader r = gr_reader_make(frame, size);
    gr_fetch_response resp;
    gr_fetcher_config cfg = {.broker_id = 1, .backoff_ms = 1000, .progress = quiet_progress};
    gr_followed_partition p = {.topic = "f", .log = fuzz_log, .leader_epoch = 1};
    if (gr_fetch_response_decode(&r, &a, 12, &resp) == 0) {
        for (int32_t i = 0; i < resp.responses.count; i++) {
            for (int32_t j = 0; j < resp.responses.items[i].partitions.count; j++) {
                const gr_fetch_response_partition_data *pd = &resp.responses.items[i].partitions.items[j];
                uint8_t *records = pd->records.len > 0 ? frame + (pd->records.ptr - frame) : NULL;
                p.sent_fetch_offset = gr_plog_log_end_offset(fuzz_log);
                p.retry_at_ms = 0;
                gr_replica_fetch_apply(&cfg, &p, pd, records, 0);
                int64_t start = gr_plog_start_offset(fuzz_log), hw = gr_plog_high_watermark(fuzz_log),
                        end = gr_plog_log_end_offset(fuzz_log);
                if (start > hw || hw > end) abort();
            }
        }
    }
    gr_arena_free(&a);
    free(frame);
    return 0;
}
