/*
 * segment_index.h: the .index and .timeindex files of a segment, in Kafka's format.
 *
 *   .index      entry = relative offset (int32 BE) | file position (int32 BE)        8 bytes
 *   .timeindex  entry = timestamp (int64 BE)       | relative offset (int32 BE)      12 bytes
 *
 * Both are sparse and sorted. An offset entry (rel, pos) says: the batch at
 * `pos` in the .log ends at offset base+rel. A time entry (ts, rel) says: the
 * largest timestamp in the segment up to offset base+rel is ts.
 *
 * Entries are kept exactly as they sit in the file, so one lookup routine
 * serves the active segment (entries in a heap buffer, appended to the
 * file as they are made) and closed segments (the file mapped read-only on
 * first use). Files are exact-size (no preallocation), which Kafka reads
 * as it does a trimmed index.
 */
#ifndef GREGOR_STORE_SEGMENT_INDEX_H
#define GREGOR_STORE_SEGMENT_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/file_ref.h"

#define GR_OFFSET_INDEX_ENTRY_BYTES 8
#define GR_TIME_INDEX_ENTRY_BYTES 12

typedef struct gr_index {
    gr_file_ref *file;  /* the index file; NULL if it could not be opened */
    size_t entry_bytes; /* 8 or 12 */
    uint8_t *data;      /* entries as in the file */
    size_t len;         /* bytes of entries in data */
    size_t cap;         /* heap capacity; 0 when data is a mapping or NULL */
    size_t mapped_len;  /* bytes mapped (closed segments) */
    size_t file_len;    /* bytes of entries known to be in the file */
    bool loaded;        /* data reflects the file (heap or mapping) */
} gr_index;

typedef struct gr_offset_entry {
    int32_t rel_offset;
    int32_t position;
} gr_offset_entry;

typedef struct gr_time_entry {
    int64_t timestamp;
    int32_t rel_offset;
} gr_time_entry;

static inline size_t gr_index_entries(const gr_index *ix) { return ix->len / ix->entry_bytes; }

gr_offset_entry gr_offset_index_at(const gr_index *ix, size_t i);
gr_time_entry gr_time_index_at(const gr_index *ix, size_t i);
void gr_offset_entry_encode(uint8_t out[GR_OFFSET_INDEX_ENTRY_BYTES], gr_offset_entry e);
void gr_time_entry_encode(uint8_t out[GR_TIME_INDEX_ENTRY_BYTES], gr_time_entry e);
gr_offset_entry gr_offset_entry_decode(const uint8_t *p);
gr_time_entry gr_time_entry_decode(const uint8_t *p);

/* Largest entry with rel_offset <= rel; false if none (start from position 0). */
bool gr_offset_index_lookup(const gr_index *ix, int32_t rel, gr_offset_entry *out);
/* Largest entry with position <= pos; false if none. */
bool gr_offset_index_lookup_position(const gr_index *ix, int64_t pos, gr_offset_entry *out);
/* Largest entry with timestamp <= ts; false if none. */
bool gr_time_index_lookup(const gr_index *ix, int64_t ts, gr_time_entry *out);

/* Adds an entry to the heap buffer and writes it to the file. The entry must sort after the
 * last one (asserted). A failed file write leaves the file short, never holed: later entries
 * are not written either, and recovery rebuilds what is missing. Returns false on OOM. */
bool gr_offset_index_append(gr_index *ix, gr_offset_entry e);
bool gr_time_index_append(gr_index *ix, gr_time_entry e);

/* Replaces the file's contents with the heap buffer (recovery, after a rebuild). 0 or -1. */
int gr_index_rewrite_file(gr_index *ix);
/* Drops entries past n (heap buffer only; the file follows with gr_index_rewrite_file). */
void gr_index_truncate_entries(gr_index *ix, size_t n);
/* Reads the whole file into the heap buffer (rounded down to whole entries). 0 or -1. */
int gr_index_load_heap(gr_index *ix);
/* Maps the file read-only for lookups on a closed segment; when the descriptor was already
 * given up (gr_index_drop_file), the file is opened by `path` just for the mapping. 0 or -1. */
int gr_index_map(gr_index *ix, const char *path);
/* Closes the descriptor of a complete, synced index; a mapping stays valid without it. */
void gr_index_drop_file(gr_index *ix);
/* Frees the heap buffer or mapping (the file stays open). */
void gr_index_unload(gr_index *ix);
void gr_index_close(gr_index *ix); /* unload and release the file */

#endif
