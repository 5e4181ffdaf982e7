/*
 * partition_log.c: opening, appending to and flushing a partition log (see partition_log.h).
 *
 * An append does the expensive, stateless work first, without the lock:
 * framing, CRC32C and count checks on every batch, the LogAppendTime
 * rewrite. Under the partition mutex it then checks idempotent producers,
 * assigns offsets by rewriting the headers, rolls the segment if needed and
 * writes all batches with one pwrite. A flush copies what it needs under the
 * mutex and syncs without it, so appends go on while the disk works.
 */
#include "store/partition_log.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/limits.h"
#include "base/log.h"
#include "proto/compression.h"
#include "proto/errors.h"
#include "proto/record_batch.h"
#include "store/log_internal.h"
#include "store/sysio.h"

#define SEGMENT_BYTES_MAX INT32_MAX /* .index positions are int32 */
#define PRODUCERS_ON_STACK 4

void gr_log_config_defaults(gr_log_config *c) {
    c->segment_bytes = 1073741824;       /* log.segment.bytes */
    c->roll_ms = 7LL * 24 * 3600 * 1000; /* log.roll.hours = 168 */
    c->retention_ms = 7LL * 24 * 3600 * 1000;
    c->retention_bytes = -1;
    c->index_interval_bytes = 4096;
    c->max_message_bytes = GR_MESSAGE_MAX_BYTES_DEFAULT;
    c->log_append_time = false;
    c->timestamp_after_max_ms = 3600000;
    c->timestamp_before_max_ms = INT64_MAX;
}

static void sanitize_config(gr_log_config *c) {
    if (c->segment_bytes <= 0 || c->segment_bytes > SEGMENT_BYTES_MAX) c->segment_bytes = SEGMENT_BYTES_MAX;
    if (c->index_interval_bytes < 0) c->index_interval_bytes = 0;
    if (c->max_message_bytes < 0) c->max_message_bytes = 0;
    if (c->timestamp_after_max_ms < 0) c->timestamp_after_max_ms = 0;
    if (c->timestamp_before_max_ms < 0) c->timestamp_before_max_ms = 0;
}

/* ---- segment array ---- */

int gr_log_find_segment(gr_partition_log *l, int64_t offset) {
    int lo = 0, hi = l->seg_count - 1;
    while (lo < hi) {
        int mid = lo + (hi - lo + 1) / 2;
        if (l->segs[mid]->base_offset <= offset)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

bool gr_log_push_segment(gr_partition_log *l, gr_segment *s) {
    if (l->seg_count > 0) GR_ASSERT(s->base_offset >= gr_log_active(l)->next_offset);
    if (l->seg_count == l->seg_cap) {
        int cap = l->seg_cap ? l->seg_cap * 2 : 8;
        gr_segment **n = realloc(l->segs, (size_t)cap * sizeof *n);
        if (!n) return false;
        l->segs = n;
        l->seg_cap = cap;
    }
    l->segs[l->seg_count++] = s;
    return true;
}

void gr_log_take_front(gr_partition_log *l, int n, gr_segment **out) {
    GR_ASSERT(n < l->seg_count); /* the active segment stays */
    memcpy(out, l->segs, (size_t)n * sizeof *out);
    memmove(l->segs, l->segs + n, (size_t)(l->seg_count - n) * sizeof *l->segs);
    l->seg_count -= n;
}

void gr_log_dispose_segments(gr_segment **segs, int n, bool unlink) {
    for (int i = 0; i < n; i++) {
        if (unlink) {
            GR_INFO("store", "deleting segment %s", segs[i]->stem);
            gr_segment_unlink_files(segs[i]);
        }
        gr_segment_free(segs[i]);
    }
}

/* ---- lifetime ---- */

/* mkdir -p; 1 if the last component was created, 0 if it existed, -1 on error. */
static int make_dirs(const char *dir) {
    char *p = strdup(dir);
    if (!p) return -1;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(p, 0755) == 0 ? 1 : errno == EEXIST ? 0 : -1;
    free(p);
    return rc;
}

static void log_free(gr_partition_log *l) {
    gr_log_dispose_segments(l->segs, l->seg_count, false);
    free(l->segs);
    gr_producer_state_free(l->producers);
    gr_epoch_cache_free(&l->epochs);
    pthread_mutex_destroy(&l->ckpt_mu);
    pthread_mutex_destroy(&l->mu);
    free(l->dir);
    free(l);
}

void gr_log_retain(gr_partition_log *l) { atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed); }

void gr_log_release(gr_partition_log *l) {
    int before = atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel);
    GR_ASSERT(before > 0);
    if (before == 1) log_free(l);
}

int gr_plog_open(const char *dir, const gr_log_config *cfg, gr_partition_log **out) {
    *out = NULL;
    int created = make_dirs(dir);
    if (created < 0) {
        GR_ERROR("store", "cannot create %s: %s", dir, strerror(errno));
        return GR_ERR_KAFKA_STORAGE_ERROR;
    }
    gr_partition_log *l = calloc(1, sizeof *l);
    if (!l) return GR_ERR_KAFKA_STORAGE_ERROR;
    pthread_mutex_init(&l->mu, NULL);
    pthread_mutex_init(&l->ckpt_mu, NULL);
    gr_epoch_cache_init(&l->epochs);
    atomic_init(&l->refs, 1);
    l->dir = strdup(dir);
    l->cfg = *cfg;
    sanitize_config(&l->cfg);
    l->producers = gr_producer_state_new();
    l->parent_unsynced = created == 1;
    if (!l->dir || !l->producers || gr_log_recover(l) != 0) {
        GR_ERROR("store", "cannot open partition log %s", dir);
        log_free(l);
        return GR_ERR_KAFKA_STORAGE_ERROR;
    }
    *out = l;
    return GR_ERR_NONE;
}

void gr_plog_close(gr_partition_log *l) {
    if (!l) return;
    gr_buf snap;
    gr_buf_init(&snap);
    gr_log_ckpt_write hw, epochs;
    pthread_mutex_lock(&l->mu);
    int64_t end = gr_log_end(l);
    bool write = !l->removed && !l->failed;
    if (write) gr_producer_state_encode(l->producers, &snap);
    gr_log_hw_prepare(l, &hw);
    gr_log_epochs_prepare(l, &epochs);
    pthread_mutex_unlock(&l->mu);
    /* A snapshot at the end offset lets the next open skip the producer-state scan. */
    if (write) gr_log_write_snapshot(l->dir, end, &snap);
    gr_buf_free(&snap);
    gr_log_hw_store(l, &hw);
    gr_log_epochs_store(l, &epochs);
    gr_log_release(l);
}

int gr_plog_remove(gr_partition_log *l) {
    pthread_mutex_lock(&l->mu);
    l->removed = true;
    for (int i = 0; i < l->seg_count; i++) gr_segment_unlink_files(l->segs[i]);
    pthread_mutex_unlock(&l->mu);
    int rc = GR_ERR_NONE;
    DIR *d = opendir(l->dir);
    if (d) {
        struct dirent *de;
        size_t cap = strlen(l->dir) + 300;
        char *path = malloc(cap);
        while (path && (de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
            snprintf(path, cap, "%s/%s", l->dir, de->d_name);
            if (gr_sys.unlink(path) != 0) rc = GR_ERR_KAFKA_STORAGE_ERROR;
        }
        free(path);
        closedir(d);
    }
    if (rmdir(l->dir) != 0 && errno != ENOENT) {
        GR_ERROR("store", "cannot remove %s: %s", l->dir, strerror(errno));
        rc = GR_ERR_KAFKA_STORAGE_ERROR;
    }
    gr_log_release(l);
    return rc;
}

void gr_plog_set_config(gr_partition_log *l, const gr_log_config *cfg) {
    pthread_mutex_lock(&l->mu);
    l->cfg = *cfg;
    sanitize_config(&l->cfg);
    pthread_mutex_unlock(&l->mu);
}

/* ---- append ---- */

/* The checks Kafka makes on a client's batches before any state is consulted
 * (ProduceRequest.validateRecords, UnifiedLog.analyzeAndValidateRecords,
 * LogValidator.validateBatch), with the error codes Kafka answers. */
static int16_t validate_batches(const uint8_t *p, size_t len, const gr_log_config *cfg, int *count,
                                const char **msg) {
    size_t pos = 0;
    int n = 0;
    if (len == 0) {
        *msg = "produce request has no record batch for the partition";
        return GR_ERR_INVALID_RECORD;
    }
    if ((int64_t)len > cfg->segment_bytes) {
        *msg = "record batches are larger than the segment size";
        return GR_ERR_RECORD_LIST_TOO_LARGE;
    }
    while (pos < len) {
        size_t avail = len - pos;
        gr_batch_header h;
        if (avail < GR_BATCH_HEADER_BYTES) {
            *msg = gr_batch_status_text(GR_BATCH_SHORT);
            return GR_ERR_CORRUPT_MESSAGE;
        }
        gr_batch_header_parse(p + pos, &h);
        if (h.magic != GR_BATCH_MAGIC_V2) {
            *msg = "produce requests v3+ may only carry record batches with magic 2";
            return GR_ERR_INVALID_RECORD;
        }
        if (h.length < GR_BATCH_HEADER_BYTES - GR_BATCH_LOG_OVERHEAD_BYTES ||
            (uint64_t)gr_batch_size(&h) > avail) {
            *msg = gr_batch_status_text(
                h.length < 0 || (uint64_t)gr_batch_size(&h) > avail ? GR_BATCH_SHORT : GR_BATCH_BAD_SIZE);
            return GR_ERR_CORRUPT_MESSAGE;
        }
        if (gr_batch_size(&h) > cfg->max_message_bytes) {
            *msg = "record batch is larger than max.message.bytes";
            return GR_ERR_MESSAGE_TOO_LARGE;
        }
        gr_batch_status s = gr_batch_validate(p + pos, (size_t)gr_batch_size(&h), &h);
        if (s != GR_BATCH_OK) {
            *msg = gr_batch_status_text(s);
            return (s == GR_BATCH_BAD_CRC || s == GR_BATCH_SHORT || s == GR_BATCH_BAD_SIZE)
                       ? GR_ERR_CORRUPT_MESSAGE
                       : GR_ERR_INVALID_RECORD;
        }
        if (h.base_offset != 0) {
            *msg = "the base offset of a produced record batch must be 0";
            return GR_ERR_INVALID_RECORD;
        }
        if (h.records_count <= 0) {
            *msg = "record batch has no records";
            return GR_ERR_INVALID_RECORD;
        }
        if (gr_batch_is_control(&h)) {
            *msg = "clients may not write control records";
            return GR_ERR_INVALID_RECORD;
        }
        if (gr_batch_has_producer_id(&h) && h.base_sequence < 0) {
            *msg = "idempotent record batch without a sequence number";
            return GR_ERR_INVALID_RECORD;
        }
        if (h.attributes & GR_BATCH_ATTR_LOG_APPEND_TIME) {
            *msg = "producers may not set the LogAppendTime timestamp type";
            return GR_ERR_INVALID_TIMESTAMP;
        }
        pos += (size_t)gr_batch_size(&h);
        n++;
    }
    *count = n;
    return GR_ERR_NONE;
}

/* Kafka's rule for producer timestamps on CreateTime topics (LogValidator.validateTimestamp): at
 * most timestamp_after_max_ms ahead of the broker's clock and timestamp_before_max_ms behind it;
 * a record without a timestamp (-1) always passes. Differences are taken unsigned: no overflow. */
static bool timestamp_ok(int64_t ts, int64_t now_ms, const gr_log_config *cfg) {
    if (ts == -1) return true;
    if (ts > now_ms) return (uint64_t)ts - (uint64_t)now_ms <= (uint64_t)cfg->timestamp_after_max_ms;
    return (uint64_t)now_ms - (uint64_t)ts <= (uint64_t)cfg->timestamp_before_max_ms;
}

static void note_bad_record(gr_append_result *res, int32_t index, int64_t offset, int64_t ts) {
    if (res->record_error_count < GR_APPEND_RECORD_ERRORS_MAX)
        res->record_errors[res->record_error_count++] = (gr_append_record_error){index, offset, ts};
}

/* Notes the records of one batch that are out of the window, decompressing a compressed one.
 * Returns how many there are, or -1 (nothing noted) if the records cannot be read. */
static int refused_records(const uint8_t *batch, const gr_batch_header *h, int64_t now_ms,
                           const gr_log_config *cfg, gr_append_result *res) {
    const uint8_t *records = batch + GR_BATCH_HEADER_BYTES;
    size_t len = (size_t)gr_batch_size(h) - GR_BATCH_HEADER_BYTES;
    gr_buf plain;
    gr_buf_init(&plain);
    int bad = -1;
    if (gr_batch_compression(h) != GR_COMPRESSION_NONE) {
        if (gr_decompress(gr_batch_compression(h), records, len, &plain,
                          GR_TIMESTAMP_CHECK_DECOMPRESSED_MAX_BYTES) != 0)
            goto out;
        records = plain.data;
        len = plain.len;
    }
    gr_record_iter it;
    gr_record_iter_init_records(&it, h, records, len);
    gr_record rec;
    int32_t noted = res->record_error_count;
    int step;
    bad = 0;
    for (int32_t i = 0; (step = gr_record_iter_next(&it, &rec)) == 1; i++) {
        if (timestamp_ok(rec.timestamp, now_ms, cfg)) continue;
        note_bad_record(res, i, rec.offset, rec.timestamp);
        bad++;
    }
    if (step < 0) {
        res->record_error_count = noted;
        bad = -1;
    }
out:
    gr_buf_free(&plain);
    return bad;
}

/* Checks record timestamps (docs/storage.md). The header decides when it can: MaxTimestamp
 * bounds every record from above, and while message.timestamp.before.max.ms is unlimited nothing
 * is too old. Otherwise an uncompressed batch is walked record by record, as Kafka does. A
 * compressed batch is judged by its MaxTimestamp and BaseTimestamp (the first record's) and only
 * decompressed when they fail, to name the refused records (or find that none is). */
static int16_t check_timestamps(const uint8_t *p, size_t len, const gr_log_config *cfg, int64_t now_ms,
                                gr_append_result *res) {
    if (cfg->log_append_time) return GR_ERR_NONE; /* the broker stamps these itself */
    bool check_old = cfg->timestamp_before_max_ms != INT64_MAX;
    bool bad = false;
    for (size_t pos = 0; pos < len;) {
        gr_batch_header h;
        gr_batch_header_parse(p + pos, &h);
        bool header_ok = timestamp_ok(h.max_timestamp, now_ms, cfg) &&
                         (!check_old || timestamp_ok(h.base_timestamp, now_ms, cfg));
        bool walk = !header_ok || (check_old && gr_batch_compression(&h) == GR_COMPRESSION_NONE);
        int n = walk ? refused_records(p + pos, &h, now_ms, cfg, res) : 0;
        if (n > 0) {
            bad = true;
        } else if (n < 0 && !header_ok) { /* unreadable records: the header's verdict stands */
            bad = true;
            bool max_ok = timestamp_ok(h.max_timestamp, now_ms, cfg);
            if (h.records_count == 1)
                note_bad_record(res, 0, h.base_offset, max_ok ? h.base_timestamp : h.max_timestamp);
        }
        pos += (size_t)gr_batch_size(&h);
    }
    if (!bad) return GR_ERR_NONE;
    /* The window, saturated at the ends of int64 (the limits and the clock are not negative). */
    res->timestamp_min_ms = now_ms < 0 ? INT64_MIN : now_ms - cfg->timestamp_before_max_ms;
    res->timestamp_max_ms =
        cfg->timestamp_after_max_ms > INT64_MAX - now_ms ? INT64_MAX : now_ms + cfg->timestamp_after_max_ms;
    res->error_message = "One or more records have been rejected due to invalid timestamp";
    return GR_ERR_INVALID_TIMESTAMP;
}

static gr_producer_entry *scratch_find(gr_producer_entry *scratch, int n, int64_t producer_id) {
    for (int i = 0; i < n; i++)
        if (scratch[i].producer_id == producer_id) return &scratch[i];
    return NULL;
}

/* Idempotence checks for every batch, against the table plus the earlier batches of this
 * request (kept in `scratch` until the write succeeds). Returns an error code, or 0; on a
 * duplicate sets res->duplicate with the original offsets. */
static int16_t check_producers(gr_partition_log *l, const uint8_t *p, size_t len, int64_t first_offset,
                               gr_producer_entry *scratch, int *nscratch, gr_append_result *res) {
    size_t pos = 0;
    int64_t off = first_offset;
    while (pos < len) {
        gr_batch_header h;
        gr_batch_header_parse(p + pos, &h);
        if (gr_batch_has_producer_id(&h)) {
            gr_producer_entry *e = scratch_find(scratch, *nscratch, h.producer_id);
            bool known = e != NULL;
            if (!e) {
                const gr_producer_entry *cur = gr_producer_state_find(l->producers, h.producer_id);
                e = &scratch[(*nscratch)++];
                if (cur) {
                    *e = *cur;
                    known = true;
                } else {
                    gr_producer_entry_init(e, h.producer_id, h.producer_epoch);
                }
            }
            const gr_producer_batch *dup = NULL;
            int32_t last_seq = gr_batch_last_sequence(&h);
            switch (gr_producer_entry_check(known ? e : NULL, h.producer_epoch, h.base_sequence, last_seq,
                                            &dup)) {
            case GR_PRODUCER_DUPLICATE:
                res->duplicate = true;
                res->base_offset = dup->first_offset;
                res->last_offset = dup->last_offset;
                if (l->cfg.log_append_time) res->log_append_time_ms = dup->timestamp;
                return GR_ERR_NONE;
            case GR_PRODUCER_STALE_EPOCH:
                res->error_message = "producer epoch is older than the current one";
                return GR_ERR_INVALID_PRODUCER_EPOCH;
            case GR_PRODUCER_OUT_OF_ORDER:
                res->error_message = "out of order sequence number";
                return GR_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
            case GR_PRODUCER_OK:
                break;
            }
            gr_producer_batch b = {h.base_sequence, last_seq, off, off + h.last_offset_delta,
                                   h.max_timestamp};
            gr_producer_entry_add(e, h.producer_epoch, &b);
            /* Transactions will note the first offset of a transaction here (LSO). */
        }
        off += (int64_t)h.last_offset_delta + 1;
        pos += (size_t)gr_batch_size(&h);
    }
    return GR_ERR_NONE;
}

bool gr_log_should_roll(const gr_partition_log *l, const gr_segment *a, size_t len, int64_t last_offset,
                        int64_t now_ms) {
    if (a->size_bytes == 0) return false;
    if (a->size_bytes + (int64_t)len > l->cfg.segment_bytes) return true;
    if (l->cfg.roll_ms >= 0 && a->roll_base_ms >= 0 && now_ms - a->roll_base_ms > l->cfg.roll_ms) return true;
    return last_offset - a->base_offset > INT32_MAX; /* relative offsets are int32 */
}

/* Starts a new segment at the end offset. The producer state as of that offset goes into
 * `snapshot` for the caller to write once the mutex is released. */
int gr_log_roll(gr_partition_log *l, gr_buf *snapshot) {
    gr_segment *old = gr_log_active(l);
    gr_segment *s;
    if (gr_segment_create(l->dir, old->next_offset, &s) != 0) {
        GR_ERROR("store", "%s: cannot create segment at %lld: %s", l->dir, (long long)old->next_offset,
                 strerror(errno));
        return -1;
    }
    if (!gr_log_push_segment(l, s)) {
        gr_segment_unlink_files(s);
        gr_segment_free(s);
        return -1;
    }
    gr_segment_seal(old);
    l->dir_changes++;
    gr_producer_state_encode(l->producers, snapshot);
    GR_INFO("store", "rolled segment %s", s->stem);
    return 0;
}

void gr_plog_append(gr_partition_log *l, uint8_t *batches, size_t len, int32_t leader_epoch,
                    gr_append_result *res) {
    memset(res, 0, sizeof *res);
    res->base_offset = res->last_offset = res->log_append_time_ms = res->log_start_offset = -1;

    pthread_mutex_lock(&l->mu);
    gr_log_config cfg = l->cfg;
    pthread_mutex_unlock(&l->mu);

    int nbatches = 0;
    res->error = validate_batches(batches, len, &cfg, &nbatches, &res->error_message);
    if (res->error != GR_ERR_NONE) {
        res->log_start_offset = gr_plog_start_offset(l);
        return;
    }
    int64_t append_time_ms = gr_sys.wall_ms();
    res->error = check_timestamps(batches, len, &cfg, append_time_ms, res);
    if (res->error != GR_ERR_NONE) {
        res->log_start_offset = gr_plog_start_offset(l);
        return;
    }
    for (size_t pos = 0; pos < len;) {
        gr_batch_header h;
        gr_batch_header_parse(batches + pos, &h);
        gr_batch_set_partition_leader_epoch(batches + pos, leader_epoch);
        if (cfg.log_append_time)
            gr_batch_set_log_append_time(batches + pos, (size_t)gr_batch_size(&h), append_time_ms);
        pos += (size_t)gr_batch_size(&h);
    }

    gr_producer_entry on_stack[PRODUCERS_ON_STACK];
    gr_producer_entry *scratch = on_stack;
    if (nbatches > PRODUCERS_ON_STACK && !(scratch = malloc((size_t)nbatches * sizeof *scratch))) {
        res->error = GR_ERR_KAFKA_STORAGE_ERROR;
        res->error_message = "out of memory";
        return;
    }
    int nscratch = 0;
    gr_buf snapshot;
    gr_buf_init(&snapshot);
    int64_t snapshot_offset = -1;
    gr_log_ckpt_write epochs = {.pending = false};

    pthread_mutex_lock(&l->mu);
    res->log_start_offset = l->log_start_offset;
    if (l->failed || l->removed) {
        res->error = GR_ERR_KAFKA_STORAGE_ERROR;
        res->error_message = "the log is offline after a storage error";
        goto out;
    }
    int64_t first = gr_log_end(l);
    res->error = check_producers(l, batches, len, first, scratch, &nscratch, res);
    if (res->error != GR_ERR_NONE || res->duplicate) goto out;

    int64_t off = first;
    size_t pos = 0;
    while (pos < len) {
        gr_batch_header h;
        gr_batch_header_parse(batches + pos, &h);
        GR_ASSERT(h.magic == GR_BATCH_MAGIC_V2 && h.base_offset == 0); /* validated above */
        gr_batch_set_base_offset(batches + pos, off);
        off += (int64_t)h.last_offset_delta + 1;
        pos += (size_t)gr_batch_size(&h);
    }
    GR_ASSERT(pos == len && off > first);
    int64_t now_ms = gr_sys.wall_ms();
    if (gr_log_should_roll(l, gr_log_active(l), len, off - 1, now_ms)) {
        if (gr_log_roll(l, &snapshot) != 0) {
            res->error = GR_ERR_KAFKA_STORAGE_ERROR;
            res->error_message = "cannot roll the log segment";
            goto out;
        }
        snapshot_offset = first;
    }
    gr_segment *a = gr_log_active(l);
    int64_t start_pos = a->size_bytes;
    if (gr_sys_pwrite_all(a->log->fd, batches, len, (off_t)start_pos) != (ssize_t)len) {
        GR_ERROR("store", "%s.log: write failed: %s", a->stem, strerror(errno));
        /* Cut off whatever part of the write landed, so the file ends on a batch boundary. */
        if (gr_sys.ftruncate(a->log->fd, (off_t)start_pos) != 0) {
            GR_ERROR("store", "%s.log: cannot truncate after a failed write; log offline", a->stem);
            l->failed = true;
        }
        res->error = GR_ERR_KAFKA_STORAGE_ERROR;
        res->error_message = "write to the log failed";
        goto out;
    }
    if (a->roll_base_ms < 0) a->roll_base_ms = now_ms;
    for (pos = 0; pos < len;) {
        gr_batch_header h;
        gr_batch_header_parse(batches + pos, &h);
        gr_segment_note_batch(a, &h, start_pos + (int64_t)pos, cfg.index_interval_bytes, true);
        pos += (size_t)gr_batch_size(&h);
    }
    GR_ASSERT(a->next_offset == off && a->size_bytes == start_pos + (int64_t)len);
    for (int i = 0; i < nscratch; i++)
        if (!gr_producer_state_put(l->producers, &scratch[i]))
            GR_WARN("store", "%s: producer state not updated (memory)", l->dir);
    res->base_offset = first;
    res->last_offset = off - 1;
    if (cfg.log_append_time) res->log_append_time_ms = append_time_ms;
    /* A leader's first batch in a new epoch starts that epoch (the only checkpoint write). */
    if (leader_epoch > gr_epoch_cache_latest(&l->epochs) &&
        gr_epoch_cache_assign(&l->epochs, leader_epoch, first)) {
        l->epochs_ckpt.gen++;
        gr_log_epochs_prepare(l, &epochs);
    }
out:
    pthread_mutex_unlock(&l->mu);
    if (epochs.pending) gr_log_epochs_store(l, &epochs);
    if (snapshot_offset >= 0) gr_log_write_snapshot(l->dir, snapshot_offset, &snapshot);
    gr_buf_free(&snapshot);
    if (scratch != on_stack) free(scratch);
}

/* ---- flush ---- */

typedef struct flush_item {
    int64_t base_offset;
    int64_t target_bytes;
    gr_file_ref *log;
    gr_file_ref *index; /* set when a closed segment's indexes need their one sync */
    gr_file_ref *time_index;
} flush_item;

static int sync_item(const flush_item *it) {
    if (gr_sys.fdatasync(it->log->fd) != 0) return -1;
    if (it->index && gr_sys.fdatasync(it->index->fd) != 0) return -1;
    if (it->time_index && gr_sys.fdatasync(it->time_index->fd) != 0) return -1;
    return 0;
}

static void release_item(flush_item *it) {
    gr_file_ref_release(it->log);
    if (it->index) gr_file_ref_release(it->index);
    if (it->time_index) gr_file_ref_release(it->time_index);
}

/* A new segment file survives a crash only once its directory entry is on disk (and a new
 * partition directory only once the log directory's entry for it is). */
int gr_log_sync_dir(const char *dir, bool parent_too) {
    int fd = gr_sys.open(dir, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0) return -1;
    int rc = gr_sys.fdatasync(fd);
    close(fd);
    if (rc == 0 && parent_too) {
        char *parent = strdup(dir);
        if (!parent) return -1;
        char *slash = strrchr(parent, '/');
        if (slash == parent)
            slash[1] = '\0'; /* "/x" -> "/" */
        else if (slash)
            *slash = '\0';
        rc = gr_log_sync_dir(slash ? parent : ".", false);
        free(parent);
    }
    return rc;
}

static bool segment_clean(const gr_segment *s) {
    return s->flushed_bytes >= s->size_bytes && (!s->closed || s->indexes_synced);
}

int gr_plog_flush(gr_partition_log *l) {
    pthread_mutex_lock(&l->mu);
    if (l->failed) {
        pthread_mutex_unlock(&l->mu);
        return GR_ERR_KAFKA_STORAGE_ERROR;
    }
    /* Dirty segments are at the end: everything before a clean one was flushed earlier. */
    int first = l->seg_count;
    while (first > 0 && !segment_clean(l->segs[first - 1])) first--;
    int n = l->seg_count - first;
    flush_item *items = n > 0 ? calloc((size_t)n, sizeof *items) : NULL;
    if (n > 0 && !items) {
        pthread_mutex_unlock(&l->mu);
        return GR_ERR_KAFKA_STORAGE_ERROR;
    }
    for (int i = 0; i < n; i++) {
        gr_segment *s = l->segs[first + i];
        items[i].base_offset = s->base_offset;
        items[i].target_bytes = s->size_bytes;
        items[i].log = s->log;
        gr_file_ref_retain(s->log);
        if (s->closed && !s->indexes_synced && s->offset_index.file && s->time_index.file) {
            items[i].index = s->offset_index.file;
            items[i].time_index = s->time_index.file;
            gr_file_ref_retain(items[i].index);
            gr_file_ref_retain(items[i].time_index);
        }
    }
    uint64_t dir_changes = l->dir_changes;
    bool dir_dirty = dir_changes != l->dir_synced;
    bool parent_unsynced = l->parent_unsynced;
    gr_log_ckpt_write hw;
    gr_log_hw_prepare(l, &hw);
    pthread_mutex_unlock(&l->mu);
    gr_log_hw_store(l, &hw);

    int rc = GR_ERR_NONE;
    if (dir_dirty && gr_log_sync_dir(l->dir, parent_unsynced) != 0) {
        GR_ERROR("store", "%s: directory sync failed: %s; log offline", l->dir, strerror(errno));
        rc = GR_ERR_KAFKA_STORAGE_ERROR;
    }
    for (int i = 0; i < n && rc == GR_ERR_NONE; i++) {
        if (sync_item(&items[i]) != 0) {
            GR_ERROR("store", "%s: fdatasync failed: %s; log offline", l->dir, strerror(errno));
            rc = GR_ERR_KAFKA_STORAGE_ERROR;
        }
    }

    pthread_mutex_lock(&l->mu);
    if (rc != GR_ERR_NONE) {
        /* After a failed sync the page cache no longer says what is on disk. */
        l->failed = true;
    } else {
        if (dir_changes > l->dir_synced) l->dir_synced = dir_changes;
        if (dir_dirty) l->parent_unsynced = false;
        for (int i = 0; i < n; i++) {
            gr_segment *s = l->segs[gr_log_find_segment(l, items[i].base_offset)];
            if (s->base_offset != items[i].base_offset || s->log != items[i].log) continue; /* deleted */
            if (items[i].target_bytes > s->flushed_bytes) s->flushed_bytes = items[i].target_bytes;
            if (items[i].index) {
                s->indexes_synced = true;
                gr_segment_drop_index_files(s);
            }
        }
    }
    pthread_mutex_unlock(&l->mu);
    for (int i = 0; i < n; i++) release_item(&items[i]);
    free(items);
    return rc;
}

/* ---- small queries ---- */

int64_t gr_plog_end_offset(gr_partition_log *l) {
    pthread_mutex_lock(&l->mu);
    int64_t v = gr_log_visible_end(l);
    pthread_mutex_unlock(&l->mu);
    return v;
}

int64_t gr_plog_log_end_offset(gr_partition_log *l) {
    pthread_mutex_lock(&l->mu);
    int64_t v = gr_log_end(l);
    pthread_mutex_unlock(&l->mu);
    return v;
}

/* Until transactions exist, everything a consumer may read is stable. */
int64_t gr_plog_last_stable_offset(gr_partition_log *l) { return gr_plog_end_offset(l); }

int64_t gr_plog_start_offset(gr_partition_log *l) {
    pthread_mutex_lock(&l->mu);
    int64_t v = l->log_start_offset;
    pthread_mutex_unlock(&l->mu);
    return v;
}

int64_t gr_plog_size_bytes(gr_partition_log *l) {
    pthread_mutex_lock(&l->mu);
    int64_t total = 0;
    for (int i = 0; i < l->seg_count; i++) total += l->segs[i]->size_bytes;
    pthread_mutex_unlock(&l->mu);
    return total;
}

int gr_plog_segment_count(gr_partition_log *l) {
    pthread_mutex_lock(&l->mu);
    int n = l->seg_count;
    pthread_mutex_unlock(&l->mu);
    return n;
}

const char *gr_plog_dir(const gr_partition_log *l) { return l->dir; }
