/* segment.c: segment files, names and per-batch index upkeep (see segment.h). */
#include "store/segment.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "store/sysio.h"

bool gr_segment_file_name(char *buf, size_t cap, const char *dir, int64_t base_offset, const char *ext) {
    int n = snprintf(buf, cap, "%s/%020lld%s", dir, (long long)base_offset, ext);
    return n > 0 && (size_t)n < cap;
}

bool gr_segment_parse_name(const char *name, const char *ext, int64_t *base_offset) {
    size_t elen = strlen(ext);
    if (strlen(name) != GR_SEGMENT_NAME_DIGITS + elen || strcmp(name + GR_SEGMENT_NAME_DIGITS, ext) != 0)
        return false;
    int64_t v = 0;
    for (int i = 0; i < GR_SEGMENT_NAME_DIGITS; i++) {
        if (name[i] < '0' || name[i] > '9') return false;
        if (v > (INT64_MAX - 9) / 10) return false;
        v = v * 10 + (name[i] - '0');
    }
    *base_offset = v;
    return true;
}

static gr_file_ref *open_ref(const char *stem, const char *ext, int flags) {
    size_t n = strlen(stem) + strlen(ext) + 1;
    char *path = malloc(n);
    if (!path) return NULL;
    snprintf(path, n, "%s%s", stem, ext);
    int fd = gr_sys.open(path, flags, 0644);
    free(path);
    if (fd < 0) return NULL;
    gr_file_ref *f = gr_file_ref_new(fd);
    if (!f) close(fd);
    return f;
}

static int open_files(const char *dir, int64_t base_offset, int flags, gr_segment **out) {
    gr_segment *s = calloc(1, sizeof *s);
    if (!s) return -1;
    size_t n = strlen(dir) + GR_SEGMENT_NAME_DIGITS + 2;
    s->stem = malloc(n);
    if (!s->stem) {
        free(s);
        return -1;
    }
    snprintf(s->stem, n, "%s/%020lld", dir, (long long)base_offset);
    s->base_offset = base_offset;
    s->next_offset = base_offset;
    s->max_timestamp = -1;
    s->offset_of_max_timestamp = -1;
    s->roll_base_ms = -1;
    s->offset_index.entry_bytes = GR_OFFSET_INDEX_ENTRY_BYTES;
    s->time_index.entry_bytes = GR_TIME_INDEX_ENTRY_BYTES;
    s->log = open_ref(s->stem, ".log", flags);
    s->offset_index.file = open_ref(s->stem, ".index", O_RDWR | O_CREAT | (flags & O_TRUNC));
    s->time_index.file = open_ref(s->stem, ".timeindex", O_RDWR | O_CREAT | (flags & O_TRUNC));
    if (!s->log || !s->offset_index.file || !s->time_index.file) {
        int saved = errno;
        gr_segment_free(s);
        errno = saved;
        return -1;
    }
    *out = s;
    return 0;
}

int gr_segment_create(const char *dir, int64_t base_offset, gr_segment **out) {
    int rc = open_files(dir, base_offset, O_RDWR | O_CREAT | O_TRUNC, out);
    if (rc == 0) (*out)->offset_index.loaded = (*out)->time_index.loaded = true; /* empty heap indexes */
    return rc;
}

int gr_segment_open(const char *dir, int64_t base_offset, gr_segment **out) {
    return open_files(dir, base_offset, O_RDWR, out);
}

void gr_segment_free(gr_segment *s) {
    if (!s) return;
    if (s->log) gr_file_ref_release(s->log);
    gr_index_close(&s->offset_index);
    gr_index_close(&s->time_index);
    free(s->stem);
    free(s);
}

void gr_segment_unlink_files(gr_segment *s) {
    /* .txnindex: the aborted-transaction index transactions will add; Kafka's tools may leave one. */
    static const char *const exts[] = {".log", ".index", ".timeindex", ".txnindex"};
    size_t n = strlen(s->stem) + 16;
    char *path = malloc(n);
    if (!path) return;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
        snprintf(path, n, "%s%s", s->stem, exts[i]);
        if (gr_sys.unlink(path) != 0 && errno != ENOENT)
            GR_WARN("store", "cannot delete %s: %s", path, strerror(errno));
    }
    free(path);
}

int gr_segment_read_header(int fd, int64_t pos, gr_batch_header *h) {
    uint8_t buf[GR_BATCH_HEADER_BYTES];
    ssize_t n = gr_sys_pread_all(fd, buf, sizeof buf, (off_t)pos);
    if (n < 0) return -1;
    if (n < (ssize_t)sizeof buf) return 0;
    gr_batch_header_parse(buf, h);
    return 1;
}

int32_t gr_segment_rel(const gr_segment *s, int64_t offset) {
    int64_t rel = offset - s->base_offset;
    if (rel < 0) return 0;
    if (rel > INT32_MAX) return INT32_MAX;
    return (int32_t)rel;
}

static void maybe_time_entry(gr_segment *s) {
    if (s->max_timestamp < 0) return;
    size_t n = gr_index_entries(&s->time_index);
    if (n > 0 && gr_time_index_at(&s->time_index, n - 1).timestamp >= s->max_timestamp) return;
    gr_time_entry e = {s->max_timestamp, gr_segment_rel(s, s->offset_of_max_timestamp)};
    if (!gr_time_index_append(&s->time_index, e))
        GR_WARN("store", "%s: time index entry dropped (memory)", s->stem);
}

bool gr_segment_header_sane(const gr_batch_header *h, int64_t pos, int64_t seg_size) {
    return h->magic == GR_BATCH_MAGIC_V2 &&
           h->length >= GR_BATCH_HEADER_BYTES - GR_BATCH_LOG_OVERHEAD_BYTES && h->last_offset_delta >= 0 &&
           h->base_offset >= 0 && pos + gr_batch_size(h) <= seg_size;
}

void gr_segment_note_batch(gr_segment *s, const gr_batch_header *h, int64_t position, int32_t interval_bytes,
                           bool build_index) {
    int64_t last = gr_batch_last_offset(h);
    GR_ASSERT(h->base_offset >= s->next_offset && last - s->base_offset <= INT32_MAX);
    if (h->max_timestamp > s->max_timestamp) {
        s->max_timestamp = h->max_timestamp;
        s->offset_of_max_timestamp = last;
    }
    /* Kafka's rule: once more than interval bytes went by since the last entry, the next batch
     * gets one (its last offset -> its position), and the time index records the max so far. */
    if (build_index && s->bytes_since_index_entry > interval_bytes) {
        gr_offset_entry e = {(int32_t)(last - s->base_offset), (int32_t)position};
        if (!gr_offset_index_append(&s->offset_index, e))
            GR_WARN("store", "%s: index entry dropped (memory)", s->stem);
        maybe_time_entry(s);
        s->bytes_since_index_entry = 0;
    }
    s->bytes_since_index_entry += gr_batch_size(h);
    s->next_offset = last + 1;
    s->size_bytes = position + gr_batch_size(h);
}

void gr_segment_seal(gr_segment *s) {
    maybe_time_entry(s);
    s->closed = true;
    /* Keep the heap copy if the file missed an entry; otherwise switch to a lazy mapping. */
    if (s->offset_index.file_len == s->offset_index.len) gr_index_unload(&s->offset_index);
    if (s->time_index.file_len == s->time_index.len) gr_index_unload(&s->time_index);
}

static void map_index(gr_segment *s, gr_index *ix, const char *ext) {
    if (ix->loaded) return;
    size_t n = strlen(s->stem) + strlen(ext) + 1;
    char *path = malloc(n);
    if (path) snprintf(path, n, "%s%s", s->stem, ext);
    if (!path || gr_index_map(ix, path) != 0)
        GR_WARN("store", "%s%s: cannot map; scanning instead", s->stem, ext);
    free(path);
}

void gr_segment_ensure_indexes(gr_segment *s) {
    map_index(s, &s->offset_index, ".index");
    map_index(s, &s->time_index, ".timeindex");
}

void gr_segment_drop_index_files(gr_segment *s) {
    GR_ASSERT(s->closed);
    gr_index_drop_file(&s->offset_index);
    gr_index_drop_file(&s->time_index);
}
