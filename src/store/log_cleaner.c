/*
 * log_cleaner.c: compaction of a partition log (cleanup.policy=compact).
 *
 * One cleaning takes the closed segments that are old enough (min.compaction.lag.ms, and below
 * the high watermark when replicated), builds a map key -> newest offset over all of them, and
 * rewrites each segment that would lose a record:
 *
 *   - a record is kept if it is the newest of its key (records without a key are kept);
 *   - a tombstone (null value) is kept until delete.retention.ms after the cleaning that first
 *     saw it (the cleaner-checkpoint file remembers when each offset range was first cleaned);
 *   - a batch keeps its header (base offset, last offset delta, base timestamp, producer id,
 *     epoch, base sequence), the kept records' bytes unchanged and its codec (the records are
 *     recompressed); only Length, RecordsCount and the CRC change;
 *   - a batch left with no records is dropped, unless it is the last batch of its producer id in
 *     the cleaned range: then its header stays, empty, so the producer state rebuilt from the
 *     log still knows the producer's last sequence and epoch (as Kafka does).
 *
 * The heavy part (reading and writing segments) runs without the partition mutex, from file
 * references taken under it, so produce and fetch carry on. Per segment, crash safety:
 *
 *   1. <base>.log.cleaned written and fsynced;
 *   2. renamed to <base>.log.swap, directory synced            <- the commit point;
 *   3. <base>.index and <base>.timeindex deleted, <base>.log.swap renamed over <base>.log,
 *      directory synced; the new segment is opened and its indexes rebuilt.
 *
 * Recovery (gr_log_finish_cleaner_swaps, run before a log opens) completes step 3 for every
 * .log.swap and deletes every .log.cleaned. Segments are swapped in offset order, so a crash
 * leaves cleaned segments followed by uncleaned ones, never a key whose newest record is gone.
 * A Fetch holding a reference to the old .log keeps reading its (now unlinked) bytes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/limits.h"
#include "base/log.h"
#include "proto/compression.h"
#include "store/log_internal.h"
#include "store/sysio.h"

#define CHECKPOINT_FILE "cleaner-checkpoint"
#define CHECKPOINT_ENTRIES_MAX 64
#define CLEANER_DECOMPRESSED_MAX_BYTES (64 * 1024 * 1024)

void gr_compaction_config_defaults(gr_compaction_config *c) {
    c->compact = false;
    c->delete_retention_ms = 86400000;
    c->min_cleanable_dirty_ratio = 0.5;
    c->min_compaction_lag_ms = 0;
    c->max_compaction_lag_ms = INT64_MAX;
}

/* ---- the cleaner checkpoint: when each offset range was first cleaned ---- */

/* Entry i: offsets below end[i] (and at or above end[i-1]) were first cleaned at time_ms[i]. */
typedef struct checkpoint {
    int n;
    int64_t end[CHECKPOINT_ENTRIES_MAX];
    int64_t time_ms[CHECKPOINT_ENTRIES_MAX];
} checkpoint;

static void checkpoint_load(const char *dir, checkpoint *c) {
    char path[4096];
    c->n = 0;
    if (snprintf(path, sizeof path, "%s/%s", dir, CHECKPOINT_FILE) >= (int)sizeof path) return;
    FILE *f = fopen(path, "r");
    if (!f) return;
    long long e, t;
    while (c->n < CHECKPOINT_ENTRIES_MAX && fscanf(f, "%lld %lld", &e, &t) == 2) {
        if (e < 0 || (c->n > 0 && e <= c->end[c->n - 1])) break; /* damaged: keep what is sane */
        c->end[c->n] = e;
        c->time_ms[c->n] = t;
        c->n++;
    }
    fclose(f);
}

static void checkpoint_store(const char *dir, const checkpoint *c) {
    char path[4096], text[CHECKPOINT_ENTRIES_MAX * 48];
    size_t len = 0;
    if (snprintf(path, sizeof path, "%s/%s", dir, CHECKPOINT_FILE) >= (int)sizeof path) return;
    for (int i = 0; i < c->n; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%" PRId64 " %" PRId64 "\n", c->end[i],
                                c->time_ms[i]);
    gr_log_write_file_atomically(path, text, len);
}

static int64_t checkpoint_dirty_from(const checkpoint *c) { return c->n > 0 ? c->end[c->n - 1] : 0; }

/* When the offset was first seen by a cleaning; -1 if never. */
static int64_t checkpoint_first_seen(const checkpoint *c, int64_t offset) {
    for (int i = 0; i < c->n; i++)
        if (offset < c->end[i]) return c->time_ms[i];
    return -1;
}

/* Records that a cleaning at now_ms covered offsets up to end. Two neighbours both older than
 * the tombstone horizon merge: every tombstone either covers is past it anyway. */
static void checkpoint_add(checkpoint *c, int64_t end, int64_t now_ms, int64_t delete_retention_ms) {
    if (c->n > 0 && end <= c->end[c->n - 1]) return;
    int64_t horizon = now_ms - delete_retention_ms;
    int k = 0;
    for (int i = 0; i < c->n; i++) {
        bool old = c->time_ms[i] < horizon;
        bool next_old = i + 1 < c->n && c->time_ms[i + 1] < horizon;
        if (old && next_old) continue;
        c->end[k] = c->end[i];
        c->time_ms[k] = c->time_ms[i];
        k++;
    }
    c->n = k;
    if (c->n == CHECKPOINT_ENTRIES_MAX) { /* drop the oldest range: its tombstones live longer */
        memmove(c->end, c->end + 1, (size_t)(c->n - 1) * sizeof c->end[0]);
        memmove(c->time_ms, c->time_ms + 1, (size_t)(c->n - 1) * sizeof c->time_ms[0]);
        c->n--;
    }
    c->end[c->n] = end;
    c->time_ms[c->n] = now_ms;
    c->n++;
}

/* ---- key -> newest offset ---- */

typedef struct key_slot {
    uint64_t hash; /* 0 = empty */
    size_t key_at; /* into the arena */
    int32_t key_len;
    int64_t offset;
} key_slot;

typedef struct key_map {
    key_slot *slots;
    size_t cap, count;
    gr_buf arena;
    bool oom;
} key_map;

static uint64_t hash_bytes(const uint8_t *p, size_t n) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h ? h : 1;
}

static key_slot *map_find(key_map *m, const uint8_t *key, size_t len, uint64_t h) {
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        key_slot *s = &m->slots[i];
        if (s->hash == 0) return s;
        if (s->hash == h && (size_t)s->key_len == len &&
            (len == 0 || !memcmp(m->arena.data + s->key_at, key, len)))
            return s;
    }
}

static bool map_grow(key_map *m) {
    size_t cap = m->cap ? m->cap * 2 : 1024;
    key_slot *old = m->slots;
    size_t old_cap = m->cap;
    m->slots = calloc(cap, sizeof *m->slots);
    if (!m->slots) {
        m->slots = old;
        return false;
    }
    m->cap = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].hash == 0) continue;
        key_slot *s = map_find(m, m->arena.data + old[i].key_at, (size_t)old[i].key_len, old[i].hash);
        *s = old[i];
    }
    free(old);
    return true;
}

static void map_put(key_map *m, gr_bytes key, int64_t offset) {
    if ((m->count + 1) * 2 > m->cap && !map_grow(m)) {
        m->oom = true;
        return;
    }
    uint64_t h = hash_bytes(key.ptr, (size_t)key.len);
    key_slot *s = map_find(m, key.ptr, (size_t)key.len, h);
    if (s->hash == 0) {
        s->hash = h;
        s->key_at = m->arena.len;
        s->key_len = key.len;
        gr_buf_put(&m->arena, key.ptr, (size_t)key.len);
        if (m->arena.oom) m->oom = true;
        m->count++;
    }
    s->offset = offset; /* records are mapped in offset order: the last one is the newest */
}

static int64_t map_get(key_map *m, gr_bytes key) {
    if (m->cap == 0) return -1;
    uint64_t h = hash_bytes(key.ptr, (size_t)key.len);
    key_slot *s = map_find(m, key.ptr, (size_t)key.len, h);
    return s->hash ? s->offset : -1;
}

static void map_free(key_map *m) {
    free(m->slots);
    gr_buf_free(&m->arena);
}

/* ---- walking a segment's batches and records ---- */

typedef struct cleaner {
    const gr_compaction_config *cc;
    int64_t now_ms;
    checkpoint ckpt;
    key_map keys;
    key_map last_batch; /* producer id (8 bytes) -> base offset of its last batch */
    uint8_t *batch;     /* one batch read from a segment */
    size_t batch_cap;
    gr_buf plain; /* decompressed records */
    gr_buf kept;  /* kept records' bytes */
    gr_buf out;   /* the rewritten segment */
    int64_t bytes_read, bytes_written;
} cleaner;

/* Reads the batch at pos; 1 = read (c->batch, *h), 0 = end or torn tail, -1 = I/O error. */
static int read_batch(cleaner *c, int fd, int64_t pos, int64_t size, gr_batch_header *h) {
    int rc = gr_segment_read_header(fd, pos, h);
    if (rc <= 0) return rc;
    if (!gr_segment_header_sane(h, pos, size)) return 0;
    size_t n = (size_t)gr_batch_size(h);
    if (n > c->batch_cap) {
        uint8_t *p = realloc(c->batch, n);
        if (!p) return -1;
        c->batch = p;
        c->batch_cap = n;
    }
    if (gr_sys_pread_all(fd, c->batch, n, (off_t)pos) != (ssize_t)n) return -1;
    c->bytes_read += (int64_t)n;
    return 1;
}

/* The records section of the batch in c->batch, decompressed if needed. NULL if malformed. */
static const uint8_t *batch_records(cleaner *c, const gr_batch_header *h, size_t *len) {
    const uint8_t *rec = c->batch + GR_BATCH_HEADER_BYTES;
    size_t n = (size_t)gr_batch_size(h) - GR_BATCH_HEADER_BYTES;
    if (gr_batch_compression(h) == GR_CODEC_NONE) {
        *len = n;
        return rec;
    }
    gr_buf_reset(&c->plain);
    if (gr_decompress(gr_batch_compression(h), rec, n, &c->plain, CLEANER_DECOMPRESSED_MAX_BYTES) != 0 ||
        c->plain.oom)
        return NULL;
    *len = c->plain.len;
    return c->plain.data;
}

static bool batch_has_records(const gr_batch_header *h) {
    return h->magic == GR_BATCH_MAGIC_V2 && !gr_batch_is_control(h) && h->records_count > 0;
}

static gr_bytes pid_key(const gr_batch_header *h, int64_t *store) {
    *store = h->producer_id;
    return (gr_bytes){.ptr = (const uint8_t *)store, .len = (int32_t)sizeof *store};
}

/* Pass 1 over one segment: newest offset of every key, last batch of every producer. */
static int map_segment(cleaner *c, gr_file_ref *f, int64_t size) {
    gr_batch_header h;
    int rc;
    for (int64_t pos = 0; (rc = read_batch(c, f->fd, pos, size, &h)) == 1; pos += gr_batch_size(&h)) {
        int64_t pid;
        if (gr_batch_has_producer_id(&h)) map_put(&c->last_batch, pid_key(&h, &pid), h.base_offset);
        if (!batch_has_records(&h)) continue;
        size_t len;
        const uint8_t *recs = batch_records(c, &h, &len);
        if (!recs) continue; /* undecodable: copied as is in pass 2 */
        gr_record_iter it;
        gr_record r;
        gr_record_iter_init_records(&it, &h, recs, len);
        while (gr_record_iter_next(&it, &r) == 1)
            if (r.key.len >= 0) map_put(&c->keys, r.key, r.offset);
        if (c->keys.oom || c->last_batch.oom) return -1;
    }
    return rc;
}

static bool keep_record(cleaner *c, const gr_record *r) {
    if (r->key.len < 0) return true;
    if (map_get(&c->keys, r->key) != r->offset) return false;
    if (r->value.len >= 0) return true;
    int64_t seen = checkpoint_first_seen(&c->ckpt, r->offset);
    return seen < 0 || c->now_ms - seen <= c->cc->delete_retention_ms;
}

/* Appends the filtered batch in c->batch to c->out. Returns whether it changed. */
static bool filter_batch(cleaner *c, const gr_batch_header *h) {
    size_t size = (size_t)gr_batch_size(h), len;
    const uint8_t *recs = batch_has_records(h) ? batch_records(c, h, &len) : NULL;
    if (!recs) {
        gr_buf_put(&c->out, c->batch, size);
        return false;
    }
    gr_buf_reset(&c->kept);
    gr_record_iter it;
    gr_record r;
    gr_record_iter_init_records(&it, h, recs, len);
    int32_t kept = 0, seen = 0;
    size_t at = it.r.pos;
    while (gr_record_iter_next(&it, &r) == 1) {
        seen++;
        if (keep_record(c, &r)) {
            gr_buf_put(&c->kept, recs + at, it.r.pos - at);
            kept++;
        }
        at = it.r.pos;
    }
    if (kept == seen || seen != h->records_count) { /* nothing to drop, or records we cannot walk */
        gr_buf_put(&c->out, c->batch, size);
        return false;
    }
    int64_t pid;
    if (kept == 0 &&
        !(gr_batch_has_producer_id(h) && map_get(&c->last_batch, pid_key(h, &pid)) == h->base_offset))
        return true;
    size_t start = c->out.len;
    gr_buf_put(&c->out, c->batch, GR_BATCH_HEADER_BYTES);
    int codec = gr_batch_compression(h);
    if (kept == 0) {
        codec = GR_CODEC_NONE;
    } else if (codec == GR_CODEC_NONE || gr_compress(codec, c->kept.data, c->kept.len, &c->out) != 0) {
        codec = GR_CODEC_NONE;
        c->out.len = start + GR_BATCH_HEADER_BYTES;
        gr_buf_put(&c->out, c->kept.data, c->kept.len);
    }
    if (c->out.oom) return true;
    uint8_t *b = c->out.data + start;
    size_t new_size = c->out.len - start;
    int16_t attrs = (int16_t)((h->attributes & ~GR_BATCH_ATTR_COMPRESSION_MASK) | codec);
    b[GR_BATCH_OFF_ATTRIBUTES] = (uint8_t)(attrs >> 8);
    b[GR_BATCH_OFF_ATTRIBUTES + 1] = (uint8_t)attrs;
    uint32_t length = (uint32_t)(new_size - GR_BATCH_LOG_OVERHEAD_BYTES);
    uint32_t count = (uint32_t)kept;
    for (int i = 0; i < 4; i++) {
        b[GR_BATCH_OFF_LENGTH + i] = (uint8_t)(length >> (24 - 8 * i));
        b[GR_BATCH_OFF_RECORDS_COUNT + i] = (uint8_t)(count >> (24 - 8 * i));
    }
    uint32_t crc = gr_batch_compute_crc(b, new_size);
    for (int i = 0; i < 4; i++) b[GR_BATCH_OFF_CRC + i] = (uint8_t)(crc >> (24 - 8 * i));
    return true;
}

/* Pass 2 over one segment: the filtered copy in c->out; *changed if anything was dropped. */
static int filter_segment(cleaner *c, gr_file_ref *f, int64_t size, bool *changed) {
    gr_batch_header h;
    int rc;
    gr_buf_reset(&c->out);
    *changed = false;
    for (int64_t pos = 0; (rc = read_batch(c, f->fd, pos, size, &h)) == 1; pos += gr_batch_size(&h))
        if (filter_batch(c, &h)) *changed = true;
    return rc < 0 || c->out.oom ? -1 : 0;
}

/* ---- swapping files ---- */

static bool stem_path(char *buf, size_t cap, const char *dir, int64_t base, const char *ext) {
    return gr_segment_file_name(buf, cap, dir, base, ext);
}

static int write_cleaned(const char *dir, int64_t base, const gr_buf *bytes) {
    char path[4096];
    if (!stem_path(path, sizeof path, dir, base, ".log.cleaned")) return -1;
    int fd = gr_sys.open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    bool ok =
        gr_sys_pwrite_all(fd, bytes->data, bytes->len, 0) == (ssize_t)bytes->len && gr_sys.fdatasync(fd) == 0;
    close(fd);
    if (!ok) gr_sys.unlink(path);
    return ok ? 0 : -1;
}

/* Step 3: the committed .log.swap replaces the segment; its stale indexes go. 0 or -1. */
static int complete_swap(const char *dir, int64_t base) {
    char swap[4096], log[4096], ix[4096], tix[4096];
    if (!stem_path(swap, sizeof swap, dir, base, ".log.swap") ||
        !stem_path(log, sizeof log, dir, base, ".log") || !stem_path(ix, sizeof ix, dir, base, ".index") ||
        !stem_path(tix, sizeof tix, dir, base, ".timeindex"))
        return -1;
    if (gr_sys.unlink(ix) != 0 && errno != ENOENT) return -1;
    if (gr_sys.unlink(tix) != 0 && errno != ENOENT) return -1;
    if (gr_sys.rename(swap, log) != 0) return -1;
    return gr_log_sync_dir(dir, false);
}

int gr_log_finish_cleaner_swaps(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int64_t base;
        char path[4096];
        if (gr_segment_parse_name(de->d_name, ".log.cleaned", &base)) {
            GR_INFO("store", "%s: removing the unfinished cleaned copy of segment %020lld", dir,
                    (long long)base);
            if (stem_path(path, sizeof path, dir, base, ".log.cleaned")) gr_sys.unlink(path);
        } else if (gr_segment_parse_name(de->d_name, ".log.swap", &base)) {
            GR_INFO("store", "%s: completing an interrupted cleaning of segment %020lld", dir,
                    (long long)base);
            if (complete_swap(dir, base) != 0) rc = -1;
        }
    }
    closedir(d);
    return rc;
}

/* Steps 2 and 3 for one segment, then the rebuilt segment takes the old one's place. */
static int swap_segment(gr_partition_log *l, gr_segment *old) {
    char cleaned[4096], swap[4096];
    int64_t base = old->base_offset;
    if (!stem_path(cleaned, sizeof cleaned, l->dir, base, ".log.cleaned") ||
        !stem_path(swap, sizeof swap, l->dir, base, ".log.swap"))
        return -1;
    pthread_mutex_lock(&l->mu);
    int i = gr_log_find_segment(l, base);
    bool present = !l->removed && l->segs[i] == old && i < l->seg_count - 1;
    int rc = -1;
    if (present && gr_sys.rename(cleaned, swap) == 0 && gr_log_sync_dir(l->dir, false) == 0)
        rc = complete_swap(l->dir, base);
    pthread_mutex_unlock(&l->mu);
    if (!present) gr_sys.unlink(cleaned);
    if (rc != 0) return -1;

    gr_segment *s;
    if (gr_segment_open(l->dir, base, &s) != 0) return -1;
    if (gr_log_recover_closed(l, s) != 0) {
        gr_segment_free(s);
        return -1;
    }
    pthread_mutex_lock(&l->mu);
    i = gr_log_find_segment(l, base);
    bool replaced = !l->removed && l->segs[i] == old;
    if (replaced) l->segs[i] = s;
    pthread_mutex_unlock(&l->mu);
    gr_segment_free(replaced ? old : s); /* retention took it meanwhile: its files are gone */
    return 0;
}

/* A segment whose every batch went: deleted instead of swapped, unless it is the first one (its
 * base offset is the log start). The directory is synced before any later segment is swapped,
 * so a crash cannot bring it back after a newer segment lost a tombstone that hid its records.
 * 1 = deleted, 0 = not (swap it instead), -1 = error. */
static int drop_emptied_segment(gr_partition_log *l, gr_segment *old) {
    pthread_mutex_lock(&l->mu);
    int i = gr_log_find_segment(l, old->base_offset);
    bool drop = !l->removed && l->segs[i] == old && i > 0 && i < l->seg_count - 1;
    if (drop) {
        memmove(&l->segs[i], &l->segs[i + 1], (size_t)(l->seg_count - i - 1) * sizeof l->segs[0]);
        l->seg_count--;
    }
    pthread_mutex_unlock(&l->mu);
    if (!drop) return 0;
    gr_log_dispose_segments(&old, 1, true);
    return gr_log_sync_dir(l->dir, false) == 0 ? 1 : -1;
}

/* ---- one cleaning ---- */

/* GREGOR_CLEANER_PAUSE_MS: a pause after each cleaned copy is written and before it is swapped
 * in, so tests can kill the broker in the middle of a cleaning (docs/storage.md). */
static void pause_for_tests(void) {
    const char *v = getenv("GREGOR_CLEANER_PAUSE_MS");
    long ms = v ? strtol(v, NULL, 10) : 0;
    if (ms > 0 && ms <= 60000) usleep((useconds_t)ms * 1000);
}

typedef struct seg_ref {
    gr_segment *seg;
    gr_file_ref *file;
    int64_t size, next_offset;
} seg_ref;

/* Under mu: the segments a cleaning may rewrite, or 0 if it should not run now. */
static int pick_segments(gr_partition_log *l, const gr_compaction_config *cc, int64_t now_ms,
                         int64_t dirty_from, seg_ref **out) {
    *out = NULL;
    if (l->removed || l->failed) return 0;
    int k = 0;
    for (; k < l->seg_count - 1; k++) { /* never the active segment */
        const gr_segment *s = l->segs[k];
        if (l->replicated && s->next_offset > l->high_watermark) break;
        if (s->max_timestamp >= 0 && now_ms - s->max_timestamp < cc->min_compaction_lag_ms) break;
    }
    int64_t clean = 0, dirty = 0;
    int first_dirty = -1;
    for (int i = 0; i < k; i++) {
        if (l->segs[i]->next_offset <= dirty_from) {
            clean += l->segs[i]->size_bytes;
        } else {
            dirty += l->segs[i]->size_bytes;
            if (first_dirty < 0) first_dirty = i;
        }
    }
    if (first_dirty < 0 || dirty == 0) return 0;
    bool ratio = (double)dirty >= cc->min_cleanable_dirty_ratio * (double)(clean + dirty);
    bool overdue = false;
    gr_batch_header h;
    if (!ratio && cc->max_compaction_lag_ms < INT64_MAX &&
        gr_segment_read_header(l->segs[first_dirty]->log->fd, 0, &h) == 1 && h.max_timestamp >= 0)
        overdue = now_ms - h.max_timestamp > cc->max_compaction_lag_ms;
    if (!ratio && !overdue) return 0;
    seg_ref *refs = malloc((size_t)k * sizeof *refs);
    if (!refs) return 0;
    for (int i = 0; i < k; i++) {
        refs[i].seg = l->segs[i];
        refs[i].file = l->segs[i]->log;
        gr_file_ref_retain(refs[i].file);
        refs[i].size = l->segs[i]->size_bytes;
        refs[i].next_offset = l->segs[i]->next_offset;
    }
    *out = refs;
    return k;
}

int gr_plog_clean(gr_partition_log *l, const gr_compaction_config *cc, int64_t now_ms,
                  gr_clean_stats *stats) {
    if (stats) memset(stats, 0, sizeof *stats);
    if (!cc->compact) return 0;
    int64_t started_ms = gr_mono_ms();
    cleaner c = {.cc = cc, .now_ms = now_ms};
    checkpoint_load(l->dir, &c.ckpt);
    gr_buf_init(&c.keys.arena);
    gr_buf_init(&c.last_batch.arena);
    gr_buf_init(&c.plain);
    gr_buf_init(&c.kept);
    gr_buf_init(&c.out);
    gr_log_retain(l);
    seg_ref *refs;
    pthread_mutex_lock(&l->mu);
    int n = pick_segments(l, cc, now_ms, checkpoint_dirty_from(&c.ckpt), &refs);
    pthread_mutex_unlock(&l->mu);
    int rc = 0, rewritten = 0, dropped = 0;
    for (int i = 0; i < n && rc == 0; i++) rc = map_segment(&c, refs[i].file, refs[i].size);
    for (int i = 0; i < n && rc == 0; i++) {
        bool changed;
        rc = filter_segment(&c, refs[i].file, refs[i].size, &changed);
        if (rc != 0 || !changed) continue;
        if (c.out.len == 0) {
            rc = drop_emptied_segment(l, refs[i].seg);
            if (rc == 1) {
                dropped++;
                rc = 0;
                continue;
            }
            if (rc < 0) continue;
        }
        rc = write_cleaned(l->dir, refs[i].seg->base_offset, &c.out);
        if (rc == 0) pause_for_tests();
        if (rc == 0) rc = swap_segment(l, refs[i].seg);
        if (rc == 0) {
            rewritten++;
            c.bytes_written += (int64_t)c.out.len;
        }
    }
    if (rc == 0 && n > 0) {
        checkpoint_add(&c.ckpt, refs[n - 1].next_offset, now_ms, cc->delete_retention_ms);
        checkpoint_store(l->dir, &c.ckpt);
        int64_t seg_bytes = 0;
        for (int i = 0; i < n; i++) seg_bytes += refs[i].size;
        GR_INFO("store",
                "%s: cleaned %d segment(s) of %lld bytes in %lld ms, rewrote %d into %lld bytes, deleted %d, "
                "%zu keys",
                l->dir, n, (long long)seg_bytes, (long long)(gr_mono_ms() - started_ms), rewritten,
                (long long)c.bytes_written, dropped, c.keys.count);
    } else if (rc != 0) {
        GR_WARN("store", "%s: cleaning stopped: %s", l->dir, c.keys.oom ? "out of memory" : strerror(errno));
    }
    if (stats) {
        stats->segments = n;
        stats->rewritten = rewritten;
        stats->deleted = dropped;
        stats->bytes_read = c.bytes_read;
        stats->bytes_written = c.bytes_written;
    }
    for (int i = 0; i < n; i++) gr_file_ref_release(refs[i].file);
    free(refs);
    map_free(&c.keys);
    map_free(&c.last_batch);
    free(c.batch);
    gr_buf_free(&c.plain);
    gr_buf_free(&c.kept);
    gr_buf_free(&c.out);
    gr_log_release(l);
    return rc == 0 ? 0 : -1;
}
