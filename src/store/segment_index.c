/* segment_index.c: .index and .timeindex entries, lookups and file upkeep (see segment_index.h). */
#include "store/segment_index.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "store/sysio.h"

static uint32_t get32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static void set32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

gr_offset_entry gr_offset_entry_decode(const uint8_t *p) {
    gr_offset_entry e = {(int32_t)get32(p), (int32_t)get32(p + 4)};
    return e;
}

gr_time_entry gr_time_entry_decode(const uint8_t *p) {
    gr_time_entry e = {(int64_t)(((uint64_t)get32(p) << 32) | get32(p + 4)), (int32_t)get32(p + 8)};
    return e;
}

void gr_offset_entry_encode(uint8_t out[GR_OFFSET_INDEX_ENTRY_BYTES], gr_offset_entry e) {
    set32(out, (uint32_t)e.rel_offset);
    set32(out + 4, (uint32_t)e.position);
}

void gr_time_entry_encode(uint8_t out[GR_TIME_INDEX_ENTRY_BYTES], gr_time_entry e) {
    set32(out, (uint32_t)((uint64_t)e.timestamp >> 32));
    set32(out + 4, (uint32_t)e.timestamp);
    set32(out + 8, (uint32_t)e.rel_offset);
}

gr_offset_entry gr_offset_index_at(const gr_index *ix, size_t i) {
    return gr_offset_entry_decode(ix->data + i * GR_OFFSET_INDEX_ENTRY_BYTES);
}

gr_time_entry gr_time_index_at(const gr_index *ix, size_t i) {
    return gr_time_entry_decode(ix->data + i * GR_TIME_INDEX_ENTRY_BYTES);
}

/* Binary search for the last entry whose key is <= target; keys come from `key_at`. */
static bool search_last_le(const gr_index *ix, int64_t target, int64_t (*key_at)(const gr_index *, size_t),
                           size_t *found) {
    size_t n = gr_index_entries(ix);
    if (n == 0 || key_at(ix, 0) > target) return false;
    size_t lo = 0, hi = n - 1; /* key(lo) <= target */
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (key_at(ix, mid) <= target)
            lo = mid;
        else
            hi = mid - 1;
    }
    *found = lo;
    return true;
}

static int64_t key_rel(const gr_index *ix, size_t i) { return gr_offset_index_at(ix, i).rel_offset; }
static int64_t key_pos(const gr_index *ix, size_t i) { return gr_offset_index_at(ix, i).position; }
static int64_t key_ts(const gr_index *ix, size_t i) { return gr_time_index_at(ix, i).timestamp; }

bool gr_offset_index_lookup(const gr_index *ix, int32_t rel, gr_offset_entry *out) {
    size_t i;
    if (!search_last_le(ix, rel, key_rel, &i)) return false;
    *out = gr_offset_index_at(ix, i);
    return true;
}

bool gr_offset_index_lookup_position(const gr_index *ix, int64_t pos, gr_offset_entry *out) {
    size_t i;
    if (!search_last_le(ix, pos, key_pos, &i)) return false;
    *out = gr_offset_index_at(ix, i);
    return true;
}

bool gr_time_index_lookup(const gr_index *ix, int64_t ts, gr_time_entry *out) {
    size_t i;
    if (!search_last_le(ix, ts, key_ts, &i)) return false;
    *out = gr_time_index_at(ix, i);
    return true;
}

static bool heap_reserve(gr_index *ix, size_t extra) {
    GR_ASSERT(ix->mapped_len == 0);
    if (ix->len + extra <= ix->cap) return true;
    size_t cap = ix->cap ? ix->cap * 2 : 64 * ix->entry_bytes;
    while (cap < ix->len + extra) cap *= 2;
    uint8_t *d = realloc(ix->data, cap);
    if (!d) return false;
    ix->data = d;
    ix->cap = cap;
    return true;
}

static bool append_raw(gr_index *ix, const uint8_t *entry) {
    if (!heap_reserve(ix, ix->entry_bytes)) return false;
    memcpy(ix->data + ix->len, entry, ix->entry_bytes);
    ix->len += ix->entry_bytes;
    /* Only write when the file holds every earlier entry, so it never gets a hole. */
    if (ix->file && ix->file_len + ix->entry_bytes == ix->len &&
        gr_sys_pwrite_all(ix->file->fd, entry, ix->entry_bytes, (off_t)ix->file_len) ==
            (ssize_t)ix->entry_bytes)
        ix->file_len = ix->len;
    return true;
}

bool gr_offset_index_append(gr_index *ix, gr_offset_entry e) {
    size_t n = gr_index_entries(ix);
    if (n > 0) {
        gr_offset_entry last = gr_offset_index_at(ix, n - 1);
        GR_ASSERT(e.rel_offset > last.rel_offset && e.position > last.position);
    }
    uint8_t raw[GR_OFFSET_INDEX_ENTRY_BYTES];
    gr_offset_entry_encode(raw, e);
    return append_raw(ix, raw);
}

bool gr_time_index_append(gr_index *ix, gr_time_entry e) {
    size_t n = gr_index_entries(ix);
    if (n > 0) {
        gr_time_entry last = gr_time_index_at(ix, n - 1);
        GR_ASSERT(e.timestamp > last.timestamp && e.rel_offset >= last.rel_offset);
    }
    uint8_t raw[GR_TIME_INDEX_ENTRY_BYTES];
    gr_time_entry_encode(raw, e);
    return append_raw(ix, raw);
}

int gr_index_rewrite_file(gr_index *ix) {
    if (!ix->file) return -1;
    ix->file_len = 0;
    if (ix->len > 0 && gr_sys_pwrite_all(ix->file->fd, ix->data, ix->len, 0) != (ssize_t)ix->len) return -1;
    if (gr_sys.ftruncate(ix->file->fd, (off_t)ix->len) != 0) return -1;
    ix->file_len = ix->len;
    return 0;
}

void gr_index_truncate_entries(gr_index *ix, size_t n) {
    GR_ASSERT(ix->mapped_len == 0);
    if (n * ix->entry_bytes < ix->len) ix->len = n * ix->entry_bytes;
}

int gr_index_load_heap(gr_index *ix) {
    gr_index_unload(ix);
    ix->loaded = true;
    if (!ix->file) return -1;
    struct stat st;
    if (fstat(ix->file->fd, &st) != 0) return -1;
    size_t len = (size_t)st.st_size / ix->entry_bytes * ix->entry_bytes;
    if (len > 0) {
        if (!heap_reserve(ix, len)) return -1;
        if (gr_sys_pread_all(ix->file->fd, ix->data, len, 0) != (ssize_t)len) return -1;
    }
    ix->len = len;
    ix->file_len = (size_t)st.st_size == len ? len : 0; /* a ragged file gets rewritten */
    return 0;
}

int gr_index_map(gr_index *ix, const char *path) {
    if (ix->loaded) return 0;
    ix->loaded = true;
    int fd = ix->file ? ix->file->fd : gr_sys.open(path, O_RDONLY, 0);
    if (fd < 0) return -1;
    int rc = -1;
    struct stat st;
    if (fstat(fd, &st) == 0) {
        size_t len = (size_t)st.st_size / ix->entry_bytes * ix->entry_bytes;
        void *m = len ? mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0) : NULL;
        if (m != MAP_FAILED) {
            ix->data = m;
            ix->len = ix->mapped_len = ix->file_len = len;
            rc = 0;
        }
    }
    if (!ix->file) close(fd);
    return rc;
}

void gr_index_drop_file(gr_index *ix) {
    if (!ix->file || ix->cap != 0) return; /* a heap copy means the file is behind: keep it */
    gr_file_ref_release(ix->file);
    ix->file = NULL;
}

void gr_index_unload(gr_index *ix) {
    if (ix->mapped_len)
        munmap(ix->data, ix->mapped_len);
    else
        free(ix->data);
    ix->data = NULL;
    ix->len = ix->cap = ix->mapped_len = 0;
    ix->loaded = false;
}

void gr_index_close(gr_index *ix) {
    gr_index_unload(ix);
    if (ix->file) gr_file_ref_release(ix->file);
    ix->file = NULL;
}
