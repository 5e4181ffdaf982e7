/*
 * log_replica.c: what a follower does to its log: append the leader's batches unchanged,
 * truncate a divergent tail, start over at an offset; and the high watermark of replicated mode.
 */
#include "proto/errors.h"
#include "store/log_internal.h"

#include <string.h>

void gr_plog_read_replica(gr_partition_log *l, int64_t offset, int32_t max_bytes, bool min_one,
                          gr_read_result *res) {
    gr_plog_read(l, offset, max_bytes, min_one, res);
}

int64_t gr_plog_log_end_offset(gr_partition_log *l) { return gr_plog_end_offset(l); }

void gr_plog_set_replicated(gr_partition_log *l, bool replicated) { (void)l, (void)replicated; }
void gr_plog_set_high_watermark(gr_partition_log *l, int64_t hw) { (void)l, (void)hw; }
int64_t gr_plog_high_watermark(gr_partition_log *l) { return gr_plog_end_offset(l); }

void gr_plog_append_replica(gr_partition_log *l, uint8_t *batches, size_t len, gr_append_result *res) {
    (void)l, (void)batches, (void)len;
    memset(res, 0, sizeof *res);
    res->base_offset = res->last_offset = res->log_append_time_ms = res->log_start_offset = -1;
    res->error = GR_ERR_KAFKA_STORAGE_ERROR;
}

int gr_plog_truncate(gr_partition_log *l, int64_t offset) {
    (void)l, (void)offset;
    return GR_ERR_KAFKA_STORAGE_ERROR;
}

int gr_plog_reset_to(gr_partition_log *l, int64_t offset) {
    (void)l, (void)offset;
    return GR_ERR_KAFKA_STORAGE_ERROR;
}

void gr_plog_assign_epoch(gr_partition_log *l, int32_t epoch, int64_t start_offset) {
    (void)l, (void)epoch, (void)start_offset;
}
int32_t gr_plog_latest_epoch(gr_partition_log *l) {
    (void)l;
    return -1;
}
void gr_plog_epoch_end_offset(gr_partition_log *l, int32_t epoch, int32_t *out_epoch,
                              int64_t *out_end_offset) {
    (void)l, (void)epoch;
    *out_epoch = -1;
    *out_end_offset = -1;
}
