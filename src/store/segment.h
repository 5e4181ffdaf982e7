/*
 * segment.h: one segment of a partition log: a .log file and its two indexes.
 *
 *   00000000000000001000.log        [batch 1000..1009][batch 1010..1010][batch 1011..1050] ...
 *   00000000000000001000.index      (9, 0)        every index_interval_bytes: last offset -> position
 *   00000000000000001000.timeindex  (ts, 9)       when the max timestamp grows at those points
 *
 * A segment is mutated only under its partition's mutex. Readers outside
 * the mutex hold a reference to the .log file (gr_file_ref), never to the
 * segment, so retention can delete a segment while a Fetch response still
 * sends from it.
 */
#ifndef GREGOR_STORE_SEGMENT_H
#define GREGOR_STORE_SEGMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "base/file_ref.h"
#include "proto/record_batch.h"
#include "store/segment_index.h"

#define GR_SEGMENT_NAME_DIGITS 20

typedef struct gr_segment {
    int64_t base_offset;
    int64_t next_offset;             /* one past the last offset in the segment */
    int64_t size_bytes;              /* bytes of whole batches in .log */
    int64_t flushed_bytes;           /* prefix of .log known to be synced */
    bool indexes_synced;             /* closed segment: its index files were synced once */
    bool closed;                     /* rolled: no more appends */
    int64_t max_timestamp;           /* -1 while none */
    int64_t offset_of_max_timestamp; /* last offset of the batch that holds it */
    int64_t roll_base_ms;            /* when the first batch arrived (roll_ms), -1 while empty */
    int64_t bytes_since_index_entry;
    gr_file_ref *log;
    gr_index offset_index;
    gr_index time_index;
    char *stem; /* "<dir>/<20-digit base offset>", extensions appended */
} gr_segment;

/* Creates a new, empty segment (files truncated if present). 0 or -1 (errno). */
int gr_segment_create(const char *dir, int64_t base_offset, gr_segment **out);
/* Opens an existing segment's files (missing index files are created empty); sizes and
 * offsets are left for recovery to fill in. 0 or -1. */
int gr_segment_open(const char *dir, int64_t base_offset, gr_segment **out);
void gr_segment_free(gr_segment *s);         /* closes, keeps the files */
void gr_segment_unlink_files(gr_segment *s); /* removes .log, .index, .timeindex */

/* "<dir>/<20 digits><ext>" into buf; false if it does not fit. */
bool gr_segment_file_name(char *buf, size_t cap, const char *dir, int64_t base_offset, const char *ext);
/* Parses "<20 digits><ext>"; false if name is not exactly that. */
bool gr_segment_parse_name(const char *name, const char *ext, int64_t *base_offset);

/* Reads the batch header at pos of a .log file. 1 = read, 0 = fewer bytes than a header left,
 * -1 = I/O error. */
int gr_segment_read_header(int fd, int64_t pos, gr_batch_header *h);

/* Accounts for a batch written at `position`: next offset, size, max timestamp and, when
 * build_index, index entries every interval bytes. Appends and recovery scans both call it, so
 * both build the same index. */
void gr_segment_note_batch(gr_segment *s, const gr_batch_header *h, int64_t position, int32_t interval_bytes,
                           bool build_index);
/* A header read back from disk that can be trusted to frame a batch ending within seg_size. */
bool gr_segment_header_sane(const gr_batch_header *h, int64_t pos, int64_t seg_size);

/* Active -> closed: final time-index entry, heap index swapped for a lazy mapping. */
void gr_segment_seal(gr_segment *s);
/* Makes index lookups possible (maps a closed segment's files on first use). */
void gr_segment_ensure_indexes(gr_segment *s);
/* A closed segment whose index files are complete and synced keeps no descriptors for them
 * (Kafka does the same): one open file per closed segment, its .log. */
void gr_segment_drop_index_files(gr_segment *s);

/* Relative offset of `offset` in the segment, clamped to int32. */
int32_t gr_segment_rel(const gr_segment *s, int64_t offset);

#endif
