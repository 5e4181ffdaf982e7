/*
 * log_replica.c: what replication does to a partition log: the high watermark, a follower's
 * append of the leader's batches, truncation of a divergent tail, and starting over at an offset.
 *
 * Truncation and reset delete files from the highest offset down and only then cut the segment
 * that stays, so a crash at any point leaves a log that is a prefix of the old one (recovery
 * takes it from there). The new state is synced once the mutex is released.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "proto/errors.h"
#include "proto/record_batch.h"
#include "store/log_internal.h"
#include "store/sysio.h"

#define HW_CHECKPOINT_FILE "high-watermark-checkpoint"

static int64_t clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* ---- high watermark ---- */

int64_t gr_log_hw_load(const char *dir) { return gr_log_read_offset_file(dir, HW_CHECKPOINT_FILE); }

void gr_log_hw_prepare(gr_partition_log *l, gr_log_ckpt_write *w) {
    gr_buf_init(&w->text);
    w->pending = l->hw_ckpt.gen != l->hw_ckpt.written && !l->removed;
    w->gen = l->hw_ckpt.gen;
    if (w->pending) {
        char line[32];
        int n = snprintf(line, sizeof line, "%" PRId64 "\n", l->high_watermark);
        gr_buf_put(&w->text, line, (size_t)n);
    }
}

void gr_log_hw_store(gr_partition_log *l, gr_log_ckpt_write *w) {
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", l->dir, HW_CHECKPOINT_FILE);
    if (w->pending && !w->text.oom && n > 0 && (size_t)n < sizeof path) {
        pthread_mutex_lock(&l->ckpt_mu);
        if (w->gen > l->hw_ckpt.written && gr_log_write_file_atomically(path, w->text.data, w->text.len) == 0)
            l->hw_ckpt.written = w->gen;
        pthread_mutex_unlock(&l->ckpt_mu);
    }
    gr_buf_free(&w->text);
}

void gr_plog_set_replicated(gr_partition_log *l, bool replicated) {
    pthread_mutex_lock(&l->mu);
    if (replicated && !l->replicated) {
        l->high_watermark = clamp(l->high_watermark, l->log_start_offset, gr_log_end(l));
        l->hw_ckpt.gen++;
    }
    l->replicated = replicated;
    pthread_mutex_unlock(&l->mu);
}

void gr_plog_set_high_watermark(gr_partition_log *l, int64_t hw) {
    pthread_mutex_lock(&l->mu);
    if (l->replicated) {
        int64_t v = clamp(hw, l->log_start_offset, gr_log_end(l));
        if (v > l->high_watermark) {
            l->high_watermark = v;
            l->hw_ckpt.gen++;
        }
    }
    pthread_mutex_unlock(&l->mu);
}

int64_t gr_plog_high_watermark(gr_partition_log *l) {
    pthread_mutex_lock(&l->mu);
    int64_t v = gr_log_visible_end(l);
    pthread_mutex_unlock(&l->mu);
    return v;
}

/* ---- replica append ---- */

/* The whole batches at the start of p (a trailing partial one is left out): framed, CRC-checked
 * and numbered contiguously. Returns 0 or CORRUPT_MESSAGE; *whole = their length. */
static int16_t frame_replica_batches(const uint8_t *p, size_t len, size_t *whole, const char **msg) {
    size_t pos = 0;
    int64_t expected = -1;
    while (len - pos >= GR_BATCH_HEADER_BYTES) {
        gr_batch_header h;
        gr_batch_header_parse(p + pos, &h);
        if (h.length < GR_BATCH_HEADER_BYTES - GR_BATCH_LOG_OVERHEAD_BYTES) {
            *msg = gr_batch_status_text(GR_BATCH_BAD_SIZE);
            return GR_ERR_CORRUPT_MESSAGE;
        }
        if ((uint64_t)gr_batch_size(&h) > len - pos) break; /* cut off by the fetch size */
        gr_batch_status s = gr_batch_validate(p + pos, (size_t)gr_batch_size(&h), &h);
        if (s != GR_BATCH_OK) {
            *msg = gr_batch_status_text(s);
            return GR_ERR_CORRUPT_MESSAGE;
        }
        if (h.base_offset < 0 || (expected >= 0 && h.base_offset != expected) ||
            gr_batch_last_offset(&h) < h.base_offset) {
            *msg = "replicated batches are not numbered contiguously";
            return GR_ERR_CORRUPT_MESSAGE;
        }
        expected = gr_batch_last_offset(&h) + 1;
        pos += (size_t)gr_batch_size(&h);
    }
    *whole = pos;
    return GR_ERR_NONE;
}

/* After the bytes [from, to) of batches were written at file position start_pos of the active
 * segment: indexes, producer state and epochs as recovery would rebuild them. */
static void note_replica_batches(gr_partition_log *l, const uint8_t *p, size_t from, size_t to,
                                 int64_t start_pos) {
    gr_segment *a = gr_log_active(l);
    for (size_t pos = from; pos < to;) {
        gr_batch_header h;
        gr_batch_header_parse(p + pos, &h);
        gr_segment_note_batch(a, &h, start_pos + (int64_t)(pos - from), l->cfg.index_interval_bytes, true);
        if (gr_batch_has_producer_id(&h) && !gr_batch_is_control(&h)) {
            gr_producer_batch b = {h.base_sequence, gr_batch_last_sequence(&h), h.base_offset,
                                   gr_batch_last_offset(&h), h.max_timestamp};
            if (!gr_producer_state_replay(l->producers, h.producer_id, h.producer_epoch, &b))
                GR_WARN("store", "%s: producer state not updated (memory)", l->dir);
        }
        if (h.partition_leader_epoch > gr_epoch_cache_latest(&l->epochs) &&
            gr_epoch_cache_assign(&l->epochs, h.partition_leader_epoch, h.base_offset))
            l->epochs_ckpt.gen++;
        pos += (size_t)gr_batch_size(&h);
    }
}

/* The end of the run of batches from pos that goes into the active segment with one write. */
static size_t chunk_end(const gr_partition_log *l, const uint8_t *p, size_t pos, size_t len) {
    const gr_segment *a = l->segs[l->seg_count - 1];
    size_t end = pos;
    while (end < len) {
        gr_batch_header h;
        gr_batch_header_parse(p + end, &h);
        bool fits = a->size_bytes + (int64_t)(end - pos) + gr_batch_size(&h) <= l->cfg.segment_bytes &&
                    gr_batch_last_offset(&h) - a->base_offset <= INT32_MAX;
        if (!fits && end > pos) break;
        end += (size_t)gr_batch_size(&h);
    }
    return end;
}

void gr_plog_append_replica(gr_partition_log *l, uint8_t *batches, size_t len, gr_append_result *res) {
    memset(res, 0, sizeof *res);
    res->base_offset = res->last_offset = res->log_append_time_ms = res->log_start_offset = -1;
    size_t whole = 0;
    res->error = frame_replica_batches(batches, len, &whole, &res->error_message);
    res->log_start_offset = gr_plog_start_offset(l);
    if (res->error != GR_ERR_NONE || whole == 0) return;

    gr_buf snapshot;
    gr_buf_init(&snapshot);
    int64_t snapshot_offset = -1;
    gr_log_ckpt_write epochs = {.pending = false};
    gr_batch_header h;
    gr_batch_header_parse(batches, &h);

    pthread_mutex_lock(&l->mu);
    res->log_start_offset = l->log_start_offset;
    if (l->failed || l->removed) {
        res->error = GR_ERR_KAFKA_STORAGE_ERROR;
        res->error_message = "the log is offline after a storage error";
        goto out;
    }
    int64_t first = h.base_offset;
    if (first != gr_log_end(l)) {
        res->error = GR_ERR_OFFSET_OUT_OF_RANGE;
        res->error_message = "replicated batches do not start at the log end offset";
        goto out;
    }
    for (size_t pos = 0; pos < whole;) {
        int64_t now_ms = gr_sys.wall_ms();
        gr_batch_header_parse(batches + pos, &h);
        if (gr_log_should_roll(l, gr_log_active(l), (size_t)gr_batch_size(&h), gr_batch_last_offset(&h),
                               now_ms)) {
            gr_buf_reset(&snapshot);
            if (gr_log_roll(l, &snapshot) != 0) {
                res->error = GR_ERR_KAFKA_STORAGE_ERROR;
                res->error_message = "cannot roll the log segment";
                goto out;
            }
            snapshot_offset = h.base_offset;
        }
        size_t end = chunk_end(l, batches, pos, whole);
        gr_segment *a = gr_log_active(l);
        int64_t start_pos = a->size_bytes;
        if (gr_sys_pwrite_all(a->log->fd, batches + pos, end - pos, (off_t)start_pos) !=
            (ssize_t)(end - pos)) {
            GR_ERROR("store", "%s.log: write failed: %s", a->stem, strerror(errno));
            if (gr_sys.ftruncate(a->log->fd, (off_t)start_pos) != 0) {
                GR_ERROR("store", "%s.log: cannot truncate after a failed write; log offline", a->stem);
                l->failed = true;
            }
            res->error = GR_ERR_KAFKA_STORAGE_ERROR;
            res->error_message = "write to the log failed";
            goto out;
        }
        if (a->roll_base_ms < 0) a->roll_base_ms = now_ms;
        note_replica_batches(l, batches, pos, end, start_pos);
        if (res->base_offset < 0) res->base_offset = first;
        res->last_offset = gr_log_end(l) - 1;
        pos = end;
    }
out:
    gr_log_epochs_prepare(l, &epochs);
    pthread_mutex_unlock(&l->mu);
    gr_log_epochs_store(l, &epochs);
    if (snapshot_offset >= 0) gr_log_write_snapshot(l->dir, snapshot_offset, &snapshot);
    gr_buf_free(&snapshot);
}

/* ---- truncation ---- */

/* File position of the batch holding offset in s (or of the first batch after it; the segment
 * size if there is none). -1 on I/O error. */
static int64_t cut_position(gr_segment *s, int64_t offset) {
    gr_segment_ensure_indexes(s);
    int64_t pos = 0;
    gr_offset_entry e;
    if (gr_offset_index_lookup(&s->offset_index, gr_segment_rel(s, offset), &e) && e.position < s->size_bytes)
        pos = e.position;
    for (int attempt = 0; attempt < 2; attempt++) {
        bool sane = true;
        while (pos < s->size_bytes) {
            gr_batch_header h;
            int rc = gr_segment_read_header(s->log->fd, pos, &h);
            if (rc < 0) return -1;
            if (rc == 0 || !gr_segment_header_sane(&h, pos, s->size_bytes)) {
                sane = false;
                break;
            }
            if (gr_batch_last_offset(&h) >= offset) return h.base_offset >= s->base_offset ? pos : -1;
            pos += gr_batch_size(&h);
        }
        if (sane) return pos;
        GR_WARN("store", "%s: index does not match the log; scanning from the start", s->stem);
        pos = 0;
    }
    return -1;
}

/* Rebuilds the producer table for a log that now ends at end: newest snapshot at or below it,
 * plus the headers after that. 0 or -1 (table unchanged). */
static int rebuild_producers(gr_partition_log *l, int64_t end) {
    gr_producer_state *fresh = gr_producer_state_new();
    if (!fresh) return -1;
    gr_producer_state *old = l->producers;
    l->producers = fresh;
    int64_t snap = gr_log_load_snapshot(l, end);
    int64_t from = snap >= l->segs[0]->base_offset ? snap : l->segs[0]->base_offset;
    if (from < end && gr_log_replay_from(l, from) != 0) {
        gr_producer_state_free(fresh);
        l->producers = old;
        return -1;
    }
    gr_producer_state_drop_before(l->producers, l->log_start_offset);
    gr_producer_state_free(old);
    return 0;
}

/* What to sync once the mutex is released. */
typedef struct sync_plan {
    gr_file_ref *files[3];
    int nfiles;
    bool dir;
} sync_plan;

static void plan_segment(sync_plan *p, gr_segment *s) {
    gr_file_ref *f[3] = {s->log, s->offset_index.file, s->time_index.file};
    for (int i = 0; i < 3; i++)
        if (f[i]) {
            gr_file_ref_retain(f[i]);
            p->files[p->nfiles++] = f[i];
        }
}

static int run_plan(gr_partition_log *l, sync_plan *p) {
    int rc = 0;
    for (int i = 0; i < p->nfiles; i++) {
        if (rc == 0 && gr_sys.fdatasync(p->files[i]->fd) != 0) rc = -1;
        gr_file_ref_release(p->files[i]);
    }
    if (rc == 0 && p->dir && gr_log_sync_dir(l->dir, false) != 0) rc = -1;
    if (rc != 0) {
        GR_ERROR("store", "%s: sync after truncation failed: %s; log offline", l->dir, strerror(errno));
        pthread_mutex_lock(&l->mu);
        l->failed = true;
        pthread_mutex_unlock(&l->mu);
    }
    return rc == 0 ? GR_ERR_NONE : GR_ERR_KAFKA_STORAGE_ERROR;
}

/* Deletes the files of segments [from, count), highest first, and forgets them. */
static void delete_segments_from(gr_partition_log *l, int from) {
    while (l->seg_count > from) {
        gr_segment *s = l->segs[--l->seg_count];
        GR_INFO("store", "deleting segment %s (truncation)", s->stem);
        gr_segment_unlink_files(s);
        gr_segment_free(s);
        l->dir_changes++;
    }
}

/* Empties the log and starts it at offset. Called with mu held. 0 or -1. */
static int reset_locked(gr_partition_log *l, int64_t offset, sync_plan *plan) {
    l->log_start_offset = offset; /* first, so that a crash below reopens at offset */
    gr_log_save_start_offset(l);
    gr_epoch_cache_clear(&l->epochs);
    l->epochs_ckpt.gen++;
    /* Files go highest first; the structures stay until the new segment exists. */
    for (int k = l->seg_count - 1; k >= 0; k--) gr_segment_unlink_files(l->segs[k]);
    gr_log_remove_snapshots(l->dir);
    gr_segment *s;
    if (gr_segment_create(l->dir, offset, &s) != 0) {
        GR_ERROR("store", "%s: cannot create segment at %lld: %s; log offline", l->dir, (long long)offset,
                 strerror(errno));
        l->failed = true;
        return -1;
    }
    for (int k = 0; k < l->seg_count; k++) gr_segment_free(l->segs[k]);
    l->seg_count = 0;
    gr_log_push_segment(l, s); /* cannot fail: the array had room for at least one */
    l->dir_changes++;
    gr_producer_state *fresh = gr_producer_state_new();
    if (fresh) {
        gr_producer_state_free(l->producers);
        l->producers = fresh;
    }
    l->high_watermark = offset;
    l->hw_ckpt.gen++;
    plan_segment(plan, s);
    plan->dir = true;
    GR_INFO("store", "%s: log reset to start at %lld", l->dir, (long long)offset);
    return 0;
}

/* Cuts the log at offset (log start < offset < log end). Called with mu held. 0 or -1. */
static int truncate_locked(gr_partition_log *l, int64_t offset, sync_plan *plan) {
    int i = gr_log_find_segment(l, offset);
    gr_segment *s = l->segs[i];
    int64_t cut = cut_position(s, offset);
    if (cut < 0) return -1;
    int deleted = l->seg_count - 1 - i;
    delete_segments_from(l, i + 1);
    /* The segment that stays is reopened as the active one and recovered at its new size. */
    gr_segment *ns;
    if (gr_segment_open(l->dir, s->base_offset, &ns) != 0) {
        GR_ERROR("store", "%s: cannot reopen segment %s: %s; log offline", l->dir, s->stem, strerror(errno));
        l->failed = true;
        return -1;
    }
    if (gr_sys.ftruncate(ns->log->fd, (off_t)cut) != 0 || gr_log_recover_active(l, ns) != 0) {
        GR_ERROR("store", "%s: cannot cut %s.log at %lld: %s; log offline", l->dir, s->stem, (long long)cut,
                 strerror(errno));
        gr_segment_free(ns);
        l->failed = true;
        return -1;
    }
    gr_segment_free(s);
    l->segs[i] = ns;
    int64_t end = gr_log_end(l);
    if (rebuild_producers(l, end) != 0) GR_WARN("store", "%s: producer state not rebuilt (memory)", l->dir);
    if (gr_epoch_cache_truncate_end(&l->epochs, end)) l->epochs_ckpt.gen++;
    if (l->high_watermark > end) {
        l->high_watermark = end;
        l->hw_ckpt.gen++;
    }
    plan_segment(plan, ns);
    plan->dir = deleted > 0;
    GR_INFO("store", "%s: truncated to %lld (%d segment(s) deleted)", l->dir, (long long)end, deleted);
    return 0;
}

/* Truncation or reset, then the syncs and checkpoints, without the mutex. */
static int change_log(gr_partition_log *l, int64_t offset, bool reset) {
    sync_plan plan = {.nfiles = 0, .dir = false};
    gr_log_ckpt_write epochs, hw;
    pthread_mutex_lock(&l->mu);
    if (l->failed || l->removed) {
        pthread_mutex_unlock(&l->mu);
        return GR_ERR_KAFKA_STORAGE_ERROR;
    }
    int rc = 0;
    if (!reset && offset >= gr_log_end(l)) {
        pthread_mutex_unlock(&l->mu);
        return GR_ERR_NONE;
    }
    if (reset || offset <= l->log_start_offset)
        rc = reset_locked(l, offset, &plan);
    else
        rc = truncate_locked(l, offset, &plan);
    gr_log_epochs_prepare(l, &epochs);
    gr_log_hw_prepare(l, &hw);
    pthread_mutex_unlock(&l->mu);
    gr_log_epochs_store(l, &epochs);
    gr_log_hw_store(l, &hw);
    int synced = run_plan(l, &plan);
    return rc != 0 ? GR_ERR_KAFKA_STORAGE_ERROR : synced;
}

int gr_plog_truncate(gr_partition_log *l, int64_t offset) {
    if (offset < 0) return GR_ERR_KAFKA_STORAGE_ERROR;
    return change_log(l, offset, false);
}

int gr_plog_reset_to(gr_partition_log *l, int64_t offset) {
    if (offset < 0) return GR_ERR_KAFKA_STORAGE_ERROR;
    return change_log(l, offset, true);
}
