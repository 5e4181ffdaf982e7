/*
 * replica_fetch_apply.c: what a follower does with its leader's answer for one partition.
 *
 *   NONE, DivergingEpoch set  -> truncate the divergent tail; fetch again from the new end
 *   NONE                      -> append the batches as they are; high watermark = min(leader's, LEO)
 *   OFFSET_OUT_OF_RANGE       -> behind the leader's log start: start over there;
 *                                ahead of the leader: truncate to the leader's high watermark
 *   leadership errors         -> wait for a new follow(), retrying with a growing backoff
 *   anything else             -> log once, retry after replica.fetch.backoff.ms
 */
#include <inttypes.h>

#include "base/limits.h"
#include "base/log.h"
#include "cluster/replica_fetcher_internal.h"
#include "proto/errors.h"
#include "proto/record_batch.h"

#define LOG_SUB "replica"

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

static void log_error_once(gr_followed_partition *p, int16_t error, const char *what) {
    if (p->logged_error == error) return;
    p->logged_error = error;
    GR_WARN(LOG_SUB, "%s-%d: %s: %s; retrying", p->topic, p->partition, what, gr_error_name(error));
}

static void back_off(const gr_fetcher_config *cfg, gr_followed_partition *p, int16_t error, const char *what,
                     int64_t now_ms) {
    log_error_once(p, error, what);
    p->retry_at_ms = now_ms + cfg->backoff_ms;
}

/* Leadership moved or is not settled yet: the controller's news reaches this broker and the
 * leader at different times, so retry soon, then less often, until follow() says more. */
static void await_follow(const gr_fetcher_config *cfg, gr_followed_partition *p, int16_t error,
                         int64_t now_ms) {
    if (p->logged_error != error) {
        p->logged_error = error;
        GR_INFO(LOG_SUB, "%s-%d: leader answered %s; waiting for new leadership", p->topic, p->partition,
                gr_error_name(error));
    }
    int32_t next = p->retry_backoff_ms > 0 ? p->retry_backoff_ms * 2 : GR_REPLICA_FETCH_RETRY_MIN_MS;
    if (next > cfg->backoff_ms) next = cfg->backoff_ms;
    p->retry_backoff_ms = next;
    p->awaiting_follow = true;
    p->retry_at_ms = now_ms + next;
}

static void truncate_to(const gr_fetcher_config *cfg, gr_followed_partition *p, int64_t offset,
                        const char *why, int64_t now_ms) {
    int64_t leo = gr_plog_log_end_offset(p->log);
    int rc = gr_plog_truncate(p->log, offset);
    if (rc != 0) {
        back_off(cfg, p, (int16_t)rc, "truncation", now_ms);
        return;
    }
    GR_INFO(LOG_SUB, "%s-%d: truncated from %" PRId64 " to %" PRId64 " (%s)", p->topic, p->partition, leo,
            gr_plog_log_end_offset(p->log), why);
    if (cfg->progress != NULL) cfg->progress(cfg->ud, p->log);
}

/* The leader's log and ours part at the end of epoch d->epoch on the leader's side. Ours parts no
 * later than where our own copy of that epoch (or the latest one before it) ends. */
static void truncate_diverging(const gr_fetcher_config *cfg, gr_followed_partition *p,
                               const gr_fetch_response_epoch_end_offset *d, int64_t now_ms) {
    int64_t leo = gr_plog_log_end_offset(p->log);
    int32_t local_epoch;
    int64_t local_end;
    gr_plog_epoch_end_offset(p->log, d->epoch, &local_epoch, &local_end);
    int64_t target = min64(d->end_offset, local_epoch >= 0 ? local_end : leo);
    if (target >= leo) {
        /* Nothing of ours lies beyond the divergence point, yet the leader says we diverge: do not
         * spin on it. */
        back_off(cfg, p, GR_ERR_UNKNOWN_SERVER_ERROR, "diverging epoch without anything to truncate", now_ms);
        return;
    }
    truncate_to(cfg, p, target, "diverging epoch", now_ms);
}

static void out_of_range(const gr_fetcher_config *cfg, gr_followed_partition *p,
                         const gr_fetch_response_partition_data *pd, int64_t now_ms) {
    int64_t leo = gr_plog_log_end_offset(p->log);
    if (pd->log_start_offset >= 0 && p->sent_fetch_offset < pd->log_start_offset) {
        /* The leader deleted what we still miss (retention, DeleteRecords): start over at its log start. */
        int rc = gr_plog_reset_to(p->log, pd->log_start_offset);
        if (rc != 0) {
            back_off(cfg, p, (int16_t)rc, "reset to the leader's log start", now_ms);
            return;
        }
        GR_INFO(LOG_SUB, "%s-%d: behind the leader's log start, restarted at %" PRId64, p->topic,
                p->partition, pd->log_start_offset);
        if (cfg->progress != NULL) cfg->progress(cfg->ud, p->log);
    } else if (pd->high_watermark >= 0 && pd->high_watermark < leo) {
        /* Ahead of the leader (its log is shorter than ours, e.g. after an unclean election). The
         * answer carries the leader's high watermark, not its end offset; truncating to the high
         * watermark keeps nothing the leader lacks, and what it drops the leader has is fetched again. */
        truncate_to(cfg, p, pd->high_watermark, "ahead of the leader", now_ms);
    } else {
        back_off(cfg, p, GR_ERR_OFFSET_OUT_OF_RANGE, "fetch", now_ms);
    }
}

/* An empty log restarted at the leader's log start can sit in the middle of the leader's first
 * batch (DeleteRecords cuts at any offset): it then starts over at that batch's base offset. */
static bool restart_at_first_batch(gr_partition_log *log, const uint8_t *records, int32_t len) {
    if (len < GR_BATCH_HEADER_BYTES) return false;
    gr_batch_header h;
    gr_batch_header_parse(records, &h);
    int64_t leo = gr_plog_log_end_offset(log);
    if (leo != gr_plog_start_offset(log) || h.base_offset >= leo || gr_batch_last_offset(&h) < leo)
        return false;
    return h.base_offset >= 0 && gr_plog_reset_to(log, h.base_offset) == 0;
}

static void append_fetched(const gr_fetcher_config *cfg, gr_followed_partition *p,
                           const gr_fetch_response_partition_data *pd, uint8_t *records, int64_t now_ms) {
    gr_partition_log *log = p->log;
    bool progressed = false;
    if (records != NULL && pd->records.len > 0) {
        gr_append_result res;
        gr_plog_append_replica(log, records, (size_t)pd->records.len, &res);
        if (res.error == GR_ERR_OFFSET_OUT_OF_RANGE && restart_at_first_batch(log, records, pd->records.len))
            gr_plog_append_replica(log, records, (size_t)pd->records.len, &res);
        if (res.error != 0) {
            back_off(cfg, p, res.error, "append", now_ms);
            return;
        }
        progressed = res.last_offset >= 0;
    }
    int64_t leo = gr_plog_log_end_offset(log);
    int64_t hw = min64(pd->high_watermark, leo);
    if (hw > gr_plog_high_watermark(log)) {
        gr_plog_set_high_watermark(log, hw);
        progressed = true;
    }
    /* What the leader deleted (retention, DeleteRecords) goes here too, below our high watermark. */
    if (pd->log_start_offset > gr_plog_start_offset(log) &&
        pd->log_start_offset <= gr_plog_high_watermark(log))
        (void)gr_plog_delete_records(log, pd->log_start_offset);
    if (p->logged_error != 0) {
        GR_INFO(LOG_SUB, "%s-%d: fetching again at %" PRId64, p->topic, p->partition, leo);
        p->logged_error = 0;
    }
    if (progressed && cfg->progress != NULL) cfg->progress(cfg->ud, log);
}

void gr_replica_fetch_apply(const gr_fetcher_config *cfg, gr_followed_partition *p,
                            const gr_fetch_response_partition_data *pd, uint8_t *records, int64_t now_ms) {
    switch (pd->error_code) {
    case GR_ERR_NONE:
        p->awaiting_follow = false;
        p->retry_backoff_ms = 0;
        if (pd->has_diverging_epoch && pd->diverging_epoch.epoch >= 0 && pd->diverging_epoch.end_offset >= 0)
            truncate_diverging(cfg, p, &pd->diverging_epoch, now_ms);
        else
            append_fetched(cfg, p, pd, records, now_ms);
        break;
    case GR_ERR_OFFSET_OUT_OF_RANGE:
        out_of_range(cfg, p, pd, now_ms);
        break;
    case GR_ERR_NOT_LEADER_OR_FOLLOWER:
    case GR_ERR_FENCED_LEADER_EPOCH:
    case GR_ERR_UNKNOWN_LEADER_EPOCH:
    case GR_ERR_UNKNOWN_TOPIC_OR_PARTITION:
    case GR_ERR_UNKNOWN_TOPIC_ID:
        await_follow(cfg, p, pd->error_code, now_ms);
        break;
    default:
        back_off(cfg, p, pd->error_code, "fetch", now_ms);
        break;
    }
}
