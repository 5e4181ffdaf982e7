/*
 * log_recovery.c: what gr_plog_open does to a directory that already holds a log.
 *
 * After a crash the tail of a .log may be torn (half a batch, or zeros),
 * and index files may be short, long or stale, since nothing orders their
 * writes against the .log's. So, per segment:
 *
 *   closed segments  cheap plausibility checks on both indexes (whole
 *                    entries, first <= last, last entry inside the file),
 *                    then the batches after the last .index entry are read
 *                    and CRC-checked up to the end of the file;
 *   the active one   both indexes loaded and checked entry by entry, then
 *                    the same tail scan from the last entry that still
 *                    points at a good batch (or from 0).
 *
 * A torn or corrupt tail is cut off (ftruncate) and its index entries
 * rebuilt; when that happens to a closed segment, the segments after it
 * are deleted, since their offsets would follow a hole. Then the log start
 * offset is restored and the idempotent-producer table rebuilt from the
 * newest usable snapshot plus the batch headers after it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "proto/record_batch.h"
#include "store/log_internal.h"
#include "store/sysio.h"

typedef struct scan_buf {
    uint8_t *p;
    size_t cap;
} scan_buf;

static bool fits(scan_buf *b, size_t n) {
    if (n <= b->cap) return true;
    uint8_t *p = realloc(b->p, n);
    if (!p) return false;
    b->p = p;
    b->cap = n;
    return true;
}

/* Reads the batch at pos and checks it fully (framing, magic, CRC) against the file size.
 * 1 good, 0 bad or torn, -1 I/O error. */
static int read_good_batch(int fd, int64_t pos, int64_t file_size, scan_buf *buf, gr_batch_header *h) {
    int rc = gr_segment_read_header(fd, pos, h);
    if (rc <= 0) return rc;
    if (!gr_segment_header_sane(h, pos, file_size)) return 0;
    size_t size = (size_t)gr_batch_size(h);
    if (!fits(buf, size)) return -1;
    if (gr_sys_pread_all(fd, buf->p, size, (off_t)pos) != (ssize_t)size) return -1;
    gr_batch_header check;
    return gr_batch_check_crc(buf->p, size, &check) == GR_BATCH_OK ? 1 : 0;
}

/* Scans good batches from pos, feeding them to the segment; returns the end of the last good one
 * (or -1 on I/O error). Stops at a bad batch, an offset going backwards or the end of file.
 * Without build_index, a point where appending would have made an index entry leaves
 * bytes_since_index_entry negative, for the caller to see that entries are missing. */
static int64_t scan_tail(gr_segment *s, int64_t pos, int64_t file_size, int32_t interval, bool build_index,
                         scan_buf *buf) {
    gr_batch_header h;
    while (pos < file_size) {
        int rc = read_good_batch(s->log->fd, pos, file_size, buf, &h);
        if (rc < 0) return -1;
        if (rc == 0 || h.base_offset < s->next_offset ||
            gr_batch_last_offset(&h) - s->base_offset > INT32_MAX)
            break;
        if (!build_index && s->bytes_since_index_entry > interval) s->bytes_since_index_entry = INT64_MIN / 2;
        gr_segment_note_batch(s, &h, pos, interval, build_index);
        pos += gr_batch_size(&h);
    }
    return pos;
}

/* Checks the heap-loaded indexes entry by entry. Entries pointing past the end of the .log are
 * the normal trace of a crash (the index reached the disk, the data did not) and are dropped;
 * entries out of order mean the files are damaged, and both are then dropped entirely so the
 * scan rebuilds them from the start. */
static void trim_bad_entries(gr_segment *s, int64_t file_size) {
    gr_index *oi = &s->offset_index, *ti = &s->time_index;
    bool damaged = false;
    size_t n = gr_index_entries(oi), k;
    for (k = 0; k < n; k++) {
        gr_offset_entry e = gr_offset_index_at(oi, k);
        if (e.rel_offset < 0 || e.position < 0) damaged = true;
        if (k > 0) {
            gr_offset_entry prev = gr_offset_index_at(oi, k - 1);
            if (e.rel_offset <= prev.rel_offset || e.position <= prev.position) damaged = true;
        }
        if (damaged || e.position + GR_BATCH_HEADER_BYTES > file_size) break;
    }
    gr_index_truncate_entries(oi, k);
    n = gr_index_entries(ti);
    for (k = 0; k < n && !damaged; k++) {
        gr_time_entry e = gr_time_index_at(ti, k);
        if (e.rel_offset < 0) damaged = true;
        if (k > 0) {
            gr_time_entry prev = gr_time_index_at(ti, k - 1);
            if (e.timestamp <= prev.timestamp || e.rel_offset < prev.rel_offset) damaged = true;
        }
    }
    if (damaged) {
        GR_WARN("store", "%s: index entries out of order; rebuilding the indexes", s->stem);
        gr_index_truncate_entries(oi, 0);
        gr_index_truncate_entries(ti, 0);
    }
}

static bool same_bytes(const gr_index *ix, const uint8_t *orig, size_t orig_len) {
    return ix->len == orig_len && (orig_len == 0 || memcmp(ix->data, orig, orig_len) == 0);
}

static uint8_t *copy_bytes(const gr_index *ix) {
    uint8_t *p = malloc(ix->len ? ix->len : 1);
    if (p && ix->len) memcpy(p, ix->data, ix->len);
    return p;
}

/* Full recovery of one segment: indexes loaded and trimmed, tail rescanned from the last index
 * entry that points at a good batch, torn bytes cut off, index files rewritten if they changed.
 * *truncated tells whether bytes were cut. 0 or -1. */
static int recover_full(gr_partition_log *l, gr_segment *s, int64_t file_size, scan_buf *buf,
                        bool *truncated) {
    gr_index *oi = &s->offset_index, *ti = &s->time_index;
    if (gr_index_load_heap(oi) != 0 || gr_index_load_heap(ti) != 0) return -1;
    bool files_whole = oi->file_len == oi->len && ti->file_len == ti->len;
    size_t oi_orig_len = oi->len, ti_orig_len = ti->len;
    uint8_t *oi_orig = copy_bytes(oi), *ti_orig = copy_bytes(ti);
    if (!oi_orig || !ti_orig) {
        free(oi_orig);
        free(ti_orig);
        return -1;
    }
    trim_bad_entries(s, file_size);

    /* The last entry whose batch is whole and matches it is where scanning resumes. */
    int64_t start = 0;
    gr_batch_header h;
    size_t n = gr_index_entries(oi);
    int rc = 0;
    for (int tries = 0; n > 0 && tries < GR_RECOVERY_INDEX_STEPS_BACK_MAX; tries++, n--) {
        gr_offset_entry e = gr_offset_index_at(oi, n - 1);
        rc = read_good_batch(s->log->fd, e.position, file_size, buf, &h);
        if (rc < 0) goto out;
        if (rc == 1 && gr_batch_last_offset(&h) == s->base_offset + e.rel_offset &&
            h.base_offset >= s->base_offset && e.position > 0) {
            start = e.position;
            break;
        }
    }
    rc = 0;
    /* The resumed batch is processed as it was when appended: as an index point, so its own
     * entries are made again. */
    gr_index_truncate_entries(oi, start > 0 ? n - 1 : 0);
    int64_t resume_offset = start > 0 ? h.base_offset : s->base_offset;
    size_t tn = gr_index_entries(ti);
    while (tn > 0 && s->base_offset + gr_time_index_at(ti, tn - 1).rel_offset >= resume_offset) tn--;
    gr_index_truncate_entries(ti, tn);
    s->max_timestamp = -1;
    s->offset_of_max_timestamp = -1;
    if (tn > 0) {
        gr_time_entry last = gr_time_index_at(ti, tn - 1);
        s->max_timestamp = last.timestamp;
        s->offset_of_max_timestamp = s->base_offset + last.rel_offset;
    }
    s->next_offset = resume_offset;
    s->size_bytes = start;
    s->bytes_since_index_entry = start > 0 ? (int64_t)l->cfg.index_interval_bytes + 1 : 0;
    oi->file_len = ti->file_len = 0; /* the scan adds to memory only; the files are rewritten below */

    int64_t end = scan_tail(s, start, file_size, l->cfg.index_interval_bytes, true, buf);
    if (end < 0) {
        rc = -1;
        goto out;
    }
    *truncated = end < file_size;
    if (*truncated) {
        GR_WARN("store", "%s.log: cutting %lld bytes of torn or corrupt data at position %lld", s->stem,
                (long long)(file_size - end), (long long)end);
        if (gr_sys.ftruncate(s->log->fd, (off_t)end) != 0) {
            rc = -1;
            goto out;
        }
    }
    if (!files_whole || !same_bytes(oi, oi_orig, oi_orig_len) || !same_bytes(ti, ti_orig, ti_orig_len)) {
        GR_INFO("store", "%s: rebuilt index files", s->stem);
        if (gr_index_rewrite_file(oi) != 0 || gr_index_rewrite_file(ti) != 0) rc = -1;
    } else {
        oi->file_len = oi->len;
        ti->file_len = ti->len;
    }
out:
    free(oi_orig);
    free(ti_orig);
    return rc;
}

static bool read_entry(gr_index *ix, size_t i, uint8_t *raw) {
    return gr_sys_pread_all(ix->file->fd, raw, ix->entry_bytes, (off_t)(i * ix->entry_bytes)) ==
           (ssize_t)ix->entry_bytes;
}

/* Closed segment, cheap path: plausible indexes and a whole tail after the last .index entry.
 * 1 = fine (segment state filled in), 0 = needs full recovery, -1 = I/O error. */
static int recover_closed_cheap(gr_partition_log *l, gr_segment *s, int64_t file_size, scan_buf *buf) {
    gr_index *oi = &s->offset_index, *ti = &s->time_index;
    struct stat ost, tst;
    if (fstat(oi->file->fd, &ost) != 0 || fstat(ti->file->fd, &tst) != 0) return -1;
    if (ost.st_size % GR_OFFSET_INDEX_ENTRY_BYTES != 0 || tst.st_size % GR_TIME_INDEX_ENTRY_BYTES != 0)
        return 0;
    size_t on = (size_t)ost.st_size / GR_OFFSET_INDEX_ENTRY_BYTES,
           tn = (size_t)tst.st_size / GR_TIME_INDEX_ENTRY_BYTES;
    uint8_t raw[GR_TIME_INDEX_ENTRY_BYTES];
    int64_t start = 0, hint_last = -1;
    if (on > 0) {
        if (!read_entry(oi, 0, raw)) return -1;
        gr_offset_entry first = gr_offset_entry_decode(raw);
        if (!read_entry(oi, on - 1, raw)) return -1;
        gr_offset_entry last = gr_offset_entry_decode(raw);
        if (first.rel_offset < 0 || first.position < 0 || last.rel_offset < first.rel_offset ||
            last.position < first.position || last.position + GR_BATCH_HEADER_BYTES > file_size)
            return 0;
        start = last.position;
        hint_last = s->base_offset + last.rel_offset;
    }
    s->max_timestamp = -1;
    s->offset_of_max_timestamp = -1;
    if (tn > 0) {
        if (!read_entry(ti, 0, raw)) return -1;
        gr_time_entry first = gr_time_entry_decode(raw);
        if (!read_entry(ti, tn - 1, raw)) return -1;
        gr_time_entry last = gr_time_entry_decode(raw);
        if (first.rel_offset < 0 || last.timestamp < first.timestamp || last.rel_offset < first.rel_offset)
            return 0;
        s->max_timestamp = last.timestamp;
        s->offset_of_max_timestamp = s->base_offset + last.rel_offset;
    }
    gr_batch_header h;
    if (start > 0) {
        int rc = read_good_batch(s->log->fd, start, file_size, buf, &h);
        if (rc <= 0) return rc;
        if (gr_batch_last_offset(&h) != hint_last) return 0;
        s->next_offset = h.base_offset;
    }
    s->size_bytes = start;
    int64_t time_index_max = s->max_timestamp;
    s->bytes_since_index_entry = 0;
    int64_t end = scan_tail(s, start, file_size, l->cfg.index_interval_bytes, false, buf);
    if (end < 0) return -1;
    if (end != file_size) return 0;
    /* Appending would have made an index entry in the part just scanned: entries are missing. */
    if (s->bytes_since_index_entry < 0) return 0;
    /* Sealing leaves the segment's max timestamp as the last time entry. */
    if (time_index_max != s->max_timestamp || s->offset_of_max_timestamp >= s->next_offset) return 0;
    return 1;
}

/* Recovers one segment. A closed segment that had to be cut is left unsealed (*truncated): the
 * caller makes it the active one. 0 or -1. */
static int seal_recovered(gr_segment *s);

static int recover_segment(gr_partition_log *l, gr_segment *s, bool active, scan_buf *buf, bool *truncated) {
    struct stat st;
    *truncated = false;
    if (fstat(s->log->fd, &st) != 0) return -1;
    int64_t file_size = st.st_size;
    if (file_size > INT32_MAX) file_size = INT32_MAX; /* positions are int32; anything past is not ours */
    if (!active) {
        int rc = recover_closed_cheap(l, s, file_size, buf);
        if (rc < 0) return -1;
        if (rc == 1 && file_size == st.st_size) {
            s->closed = true;
            s->flushed_bytes = s->size_bytes;
            s->indexes_synced = true;
            gr_segment_drop_index_files(s);
            return 0;
        }
        s->next_offset = s->base_offset;
        GR_WARN("store", "%s: indexes or tail damaged; recovering the segment", s->stem);
    }
    if (recover_full(l, s, file_size, buf, truncated) != 0) return -1;
    if (file_size != st.st_size) *truncated = true;
    if (!active && !*truncated) return seal_recovered(s);
    return 0;
}

/* A closed segment whose indexes were just rebuilt: sealed and synced. 0 or -1. */
static int seal_recovered(gr_segment *s) {
    gr_segment_seal(s);
    /* Synced now, while nothing else runs, so the rebuilt files need no later flush. */
    if (gr_sys.fdatasync(s->log->fd) != 0 ||
        (s->offset_index.file && gr_sys.fdatasync(s->offset_index.file->fd)) ||
        (s->time_index.file && gr_sys.fdatasync(s->time_index.file->fd)))
        return -1;
    s->flushed_bytes = s->size_bytes;
    s->indexes_synced = true;
    gr_segment_drop_index_files(s);
    return 0;
}

/* The active segment after recovery: nothing known to be synced, roll time from its first batch. */
static void settle_active(gr_segment *a) {
    a->flushed_bytes = 0;
    a->roll_base_ms = -1;
    if (a->size_bytes > 0) {
        gr_batch_header h;
        int64_t now = gr_sys.wall_ms();
        a->roll_base_ms = now;
        if (gr_segment_read_header(a->log->fd, 0, &h) == 1 && h.max_timestamp >= 0 && h.max_timestamp <= now)
            a->roll_base_ms = h.max_timestamp;
    }
}

int gr_log_recover_active(gr_partition_log *l, gr_segment *s) {
    scan_buf buf = {NULL, 0};
    bool truncated;
    int rc = recover_segment(l, s, true, &buf, &truncated);
    free(buf.p);
    if (rc == 0) settle_active(s);
    return rc;
}

int gr_log_recover_closed(gr_partition_log *l, gr_segment *s) {
    scan_buf buf = {NULL, 0};
    bool truncated = false;
    struct stat st;
    int rc = fstat(s->log->fd, &st) == 0 && st.st_size <= INT32_MAX ? 0 : -1;
    if (rc == 0) rc = recover_full(l, s, st.st_size, &buf, &truncated);
    free(buf.p);
    if (rc != 0 || truncated) return -1;
    return seal_recovered(s);
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Base offsets of the .log files in dir, sorted; removes leftovers of interrupted writes. */
static int list_segments(const char *dir, int64_t **out, int *count) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int64_t *bases = NULL;
    int n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int64_t base;
        size_t len = strlen(de->d_name);
        if (len > 4 && strcmp(de->d_name + len - 4, ".tmp") == 0) {
            char *path = malloc(strlen(dir) + len + 2);
            if (path) {
                sprintf(path, "%s/%s", dir, de->d_name);
                gr_sys.unlink(path);
                free(path);
            }
            continue;
        }
        if (!gr_segment_parse_name(de->d_name, ".log", &base)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            int64_t *nb = realloc(bases, (size_t)cap * sizeof *nb);
            if (!nb) {
                free(bases);
                closedir(d);
                return -1;
            }
            bases = nb;
        }
        bases[n++] = base;
    }
    closedir(d);
    if (n > 1) qsort(bases, (size_t)n, sizeof *bases, cmp_i64);
    *out = bases;
    *count = n;
    return 0;
}

/* Replays batch headers from `from` to the end into the epoch cache and, if producers, the
 * producer table (no CRC: the tails were just checked). 0 or -1. */
static int replay(gr_partition_log *l, int64_t from, bool producers) {
    int i = gr_log_find_segment(l, from);
    for (; i < l->seg_count; i++) {
        gr_segment *s = l->segs[i];
        if (s->next_offset <= from) continue;
        gr_segment_ensure_indexes(s);
        int64_t pos = 0;
        gr_offset_entry e;
        if (from > s->base_offset && gr_offset_index_lookup(&s->offset_index, gr_segment_rel(s, from), &e))
            pos = e.position;
        gr_batch_header h;
        while (pos < s->size_bytes) {
            int rc = gr_segment_read_header(s->log->fd, pos, &h);
            if (rc < 0) return -1;
            if (rc == 0 || !gr_segment_header_sane(&h, pos, s->size_bytes)) break;
            if (h.base_offset >= from &&
                gr_epoch_cache_assign(&l->epochs, h.partition_leader_epoch, h.base_offset))
                l->epochs_ckpt.gen++;
            if (producers && h.base_offset >= from && gr_batch_has_producer_id(&h)) {
                if (gr_batch_is_control(&h)) {
                    /* Transaction markers will end the producer's ongoing transaction here. */
                } else {
                    gr_producer_batch b = {h.base_sequence, gr_batch_last_sequence(&h), h.base_offset,
                                           gr_batch_last_offset(&h), h.max_timestamp};
                    if (!gr_producer_state_replay(l->producers, h.producer_id, h.producer_epoch, &b))
                        return -1;
                }
            }
            pos += gr_batch_size(&h);
        }
    }
    return 0;
}

int gr_log_replay_from(gr_partition_log *l, int64_t from) { return replay(l, from, true); }

/* Drops segments [from, count) after a hole or an overlap: their data cannot follow. */
static void drop_tail_segments(gr_partition_log *l, int from) {
    for (int k = from; k < l->seg_count; k++) {
        GR_WARN("store", "%s: deleting segment after damaged data", l->segs[k]->stem);
        gr_segment_unlink_files(l->segs[k]);
        gr_segment_free(l->segs[k]);
    }
    l->seg_count = from;
}

int gr_log_recover(gr_partition_log *l) {
    int64_t *bases = NULL;
    int n = 0;
    if (gr_log_finish_cleaner_swaps(l->dir) != 0) return -1;
    if (list_segments(l->dir, &bases, &n) != 0) return -1;
    int64_t saved_start = gr_log_read_start_offset(l->dir);
    if (n == 0) {
        gr_segment *s;
        int64_t base = saved_start > 0 ? saved_start : 0;
        free(bases);
        if (gr_segment_create(l->dir, base, &s) != 0 || !gr_log_push_segment(l, s)) return -1;
        l->dir_changes++;
        l->log_start_offset = l->high_watermark = base;
        if (gr_log_epochs_load(l) && gr_epoch_cache_truncate_end(&l->epochs, base)) l->epochs_ckpt.gen++;
        return 0;
    }
    for (int i = 0; i < n; i++) {
        gr_segment *s;
        if (gr_segment_open(l->dir, bases[i], &s) != 0) {
            GR_ERROR("store", "%s: cannot open segment %020lld: %s", l->dir, (long long)bases[i],
                     strerror(errno));
            free(bases);
            return -1;
        }
        if (!gr_log_push_segment(l, s)) {
            gr_segment_free(s);
            free(bases);
            return -1;
        }
    }
    free(bases);

    scan_buf buf = {NULL, 0};
    int rc = 0;
    for (int i = 0; i < l->seg_count; i++) {
        gr_segment *s = l->segs[i];
        if (i > 0 && s->base_offset < l->segs[i - 1]->next_offset) {
            drop_tail_segments(l, i); /* overlaps its predecessor */
            break;
        }
        bool truncated;
        if (recover_segment(l, s, i == l->seg_count - 1, &buf, &truncated) != 0) {
            rc = -1;
            break;
        }
        if (truncated && i < l->seg_count - 1) {
            drop_tail_segments(l, i + 1); /* the cut segment is the active one now */
            break;
        }
    }
    free(buf.p);
    if (rc != 0) return -1;

    settle_active(gr_log_active(l));

    int64_t end = gr_log_end(l);
    l->log_start_offset = l->segs[0]->base_offset;
    if (saved_start > l->log_start_offset) l->log_start_offset = saved_start < end ? saved_start : end;

    /* Epochs: the checkpoint cut to the log, or, without one, every batch header. */
    bool epochs_loaded = gr_log_epochs_load(l);
    if (!epochs_loaded) {
        l->epochs_ckpt.gen++;
        if (replay(l, l->segs[0]->base_offset, false) != 0) return -1;
    }
    if (gr_epoch_cache_truncate_end(&l->epochs, end)) l->epochs_ckpt.gen++;
    if (gr_epoch_cache_truncate_start(&l->epochs, l->log_start_offset)) l->epochs_ckpt.gen++;

    int64_t snap = gr_log_load_snapshot(l, end);
    int64_t from = snap >= 0 ? snap : l->segs[0]->base_offset;
    if (from < l->segs[0]->base_offset) from = l->segs[0]->base_offset;
    if (from < end) {
        if (replay(l, from, true) != 0) return -1;
        gr_buf bytes;
        gr_buf_init(&bytes);
        gr_producer_state_encode(l->producers, &bytes);
        gr_log_write_snapshot(l->dir, end, &bytes);
        gr_buf_free(&bytes);
    }
    gr_producer_state_drop_before(l->producers, l->log_start_offset);
    gr_log_ckpt_write w;
    gr_log_epochs_prepare(l, &w);
    gr_log_epochs_store(l, &w);

    int64_t hw = gr_log_hw_load(l->dir);
    l->high_watermark = hw < l->log_start_offset ? l->log_start_offset : hw > end ? end : hw;
    GR_DEBUG("store", "%s: opened, offsets %lld..%lld, %d segments, %zu producers", l->dir,
             (long long)l->log_start_offset, (long long)end, l->seg_count,
             gr_producer_state_count(l->producers));
    return 0;
}
