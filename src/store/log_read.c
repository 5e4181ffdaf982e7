/*
 * log_read.c: Fetch reads and ListOffsets lookups on a partition log.
 *
 *   offset -> segment (binary search over base offsets)
 *          -> .index entry (largest <= offset)  -> position to start scanning
 *          -> batch headers read forward (pread of 61 bytes each) to the batch holding offset
 *          -> file range of whole batches, handed to the socket with sendfile
 *
 * The mutex covers only the in-memory part (segment choice, index lookups,
 * the segment's size at that moment); the header reads happen after it is
 * released, through a reference to the .log file, so a slow disk never
 * blocks appends and retention may delete the segment meanwhile.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "proto/compression.h"
#include "proto/errors.h"
#include "proto/record_batch.h"
#include "store/log_internal.h"
#include "store/sysio.h"

/* What the scan needs from one segment, copied under the mutex. */
typedef struct seg_view {
    gr_file_ref *log; /* retained */
    int64_t base_offset;
    int64_t size_bytes;
    int64_t next_offset;
    int64_t start_pos; /* index hint: scan from here */
    int64_t hint_last; /* last offset of the batch at start_pos per the index, -1 if no hint */
    int64_t jump_pos;  /* a batch boundary at most max_bytes past start_pos, or -1 */
} seg_view;

static void view_of(gr_segment *s, int64_t offset, seg_view *v) {
    gr_segment_ensure_indexes(s);
    v->log = s->log;
    gr_file_ref_retain(s->log);
    v->base_offset = s->base_offset;
    v->size_bytes = s->size_bytes;
    v->next_offset = s->next_offset;
    v->start_pos = 0;
    v->hint_last = -1;
    v->jump_pos = -1;
    gr_offset_entry e;
    if (gr_offset_index_lookup(&s->offset_index, gr_segment_rel(s, offset), &e) &&
        e.position < s->size_bytes) {
        v->start_pos = e.position;
        v->hint_last = s->base_offset + e.rel_offset;
    }
}

/* Finds the first batch whose last offset is >= offset, scanning from the index hint (or
 * from the start of the segment when the hint does not hold up). 1 found, 0 none, -1 I/O. */
static int find_batch(seg_view *v, int64_t offset, int64_t *pos_out, gr_batch_header *h) {
    for (int attempt = 0; attempt < 2; attempt++) {
        int64_t pos = attempt == 0 ? v->start_pos : 0;
        bool first = true;
        bool bad = false;
        while (pos < v->size_bytes) {
            int rc = gr_segment_read_header(v->log->fd, pos, h);
            if (rc < 0) return -1;
            if (rc == 0 || !gr_segment_header_sane(h, pos, v->size_bytes) ||
                (first && attempt == 0 && v->hint_last >= 0 && gr_batch_last_offset(h) != v->hint_last)) {
                bad = true;
                break;
            }
            first = false;
            if (gr_batch_last_offset(h) >= offset) {
                *pos_out = pos;
                return 1;
            }
            pos += gr_batch_size(h);
        }
        if (!bad) return 0;
        GR_WARN("store",
                "segment %020lld: index or batch header does not match the log; scanning from the start",
                (long long)v->base_offset);
        v->hint_last = -1;
        if (v->start_pos == 0) break;
    }
    return -1;
}

/* A read for a consumer (up to the high watermark) or for a follower (up to the log end); the
 * range check is against the log end either way. */
static void read_log(gr_partition_log *l, int64_t offset, int32_t max_bytes, bool min_one, bool replica,
                     gr_read_result *res) {
    memset(res, 0, sizeof *res);
    pthread_mutex_lock(&l->mu);
    int64_t end = gr_log_end(l);
    int64_t visible = gr_log_visible_end(l);
    int64_t cap = replica ? end : visible; /* no batch holding an offset at or past cap is sent */
    res->high_watermark = visible;
    res->last_stable_offset = visible;
    res->log_start_offset = l->log_start_offset;
    if (offset < l->log_start_offset || offset > end) {
        res->error = GR_ERR_OFFSET_OUT_OF_RANGE;
        pthread_mutex_unlock(&l->mu);
        return;
    }
    if (offset >= cap) {
        pthread_mutex_unlock(&l->mu);
        return;
    }
    int i = gr_log_find_segment(l, offset);
    /* A gap after compaction: segments left empty or whose batches all end before offset. */
    while (i < l->seg_count - 1 && (offset >= l->segs[i]->next_offset || l->segs[i]->size_bytes == 0)) i++;
    gr_segment *s = l->segs[i];
    seg_view v;
    view_of(s, offset, &v);
    /* A batch boundary no further than max_bytes past the hint lets the scan below skip the
     * headers of batches that certainly fit. */
    gr_offset_entry jump;
    if (max_bytes > 0 && gr_offset_index_lookup_position(&s->offset_index, v.start_pos + max_bytes, &jump) &&
        jump.position <= v.size_bytes && s->base_offset + jump.rel_offset < cap)
        v.jump_pos = jump.position;
    pthread_mutex_unlock(&l->mu);

    int64_t pos;
    gr_batch_header h;
    int rc = find_batch(&v, offset, &pos, &h);
    if (rc <= 0 || gr_batch_last_offset(&h) >= cap) {
        if (rc < 0) res->error = GR_ERR_KAFKA_STORAGE_ERROR;
        gr_file_ref_release(v.log);
        return;
    }
    int64_t limit = pos + (max_bytes > 0 ? max_bytes : 0);
    int64_t stop = pos + gr_batch_size(&h);
    if (stop > limit) {
        if (!min_one) stop = pos; /* nothing fits */
    } else {
        if (v.jump_pos > stop && v.jump_pos <= limit) stop = v.jump_pos;
        while (stop < v.size_bytes) {
            int hr = gr_segment_read_header(v.log->fd, stop, &h);
            if (hr < 0) {
                res->error = GR_ERR_KAFKA_STORAGE_ERROR;
                gr_file_ref_release(v.log);
                return;
            }
            if (hr == 0 || !gr_segment_header_sane(&h, stop, v.size_bytes) ||
                stop + gr_batch_size(&h) > limit || gr_batch_last_offset(&h) >= cap)
                break;
            stop += gr_batch_size(&h);
        }
    }
    if (stop == pos) {
        gr_file_ref_release(v.log);
        return;
    }
    GR_ASSERT(stop - pos <= INT32_MAX);
    res->file = v.log;
    res->file_offset = pos;
    res->length = (int32_t)(stop - pos);
}

void gr_plog_read(gr_partition_log *l, int64_t offset, int32_t max_bytes, bool min_one, gr_read_result *res) {
    read_log(l, offset, max_bytes, min_one, false, res);
}

void gr_plog_read_replica(gr_partition_log *l, int64_t offset, int32_t max_bytes, bool min_one,
                          gr_read_result *res) {
    read_log(l, offset, max_bytes, min_one, true, res);
}

/* Kafka answers a timestamp lookup only with an offset a consumer may fetch (below the high
 * watermark); past it, there is no answer. */
static void hide_unreadable(gr_partition_log *l, int64_t *offset, int64_t *timestamp) {
    if (*offset < 0) return;
    pthread_mutex_lock(&l->mu);
    bool hidden = *offset >= gr_log_visible_end(l);
    pthread_mutex_unlock(&l->mu);
    if (hidden) *offset = *timestamp = -1;
}

static int lookup_time(gr_partition_log *l, int64_t ts, int64_t *offset, int64_t *timestamp);
static int max_timestamp(gr_partition_log *l, int64_t *offset, int64_t *timestamp);

/* Reads a whole batch into memory (for record-level timestamp answers); NULL if too big. */
static uint8_t *read_batch(int fd, int64_t pos, const gr_batch_header *h) {
    int64_t size = gr_batch_size(h);
    if (size > GR_LOOKUP_BATCH_MAX_BYTES) return NULL;
    uint8_t *p = malloc((size_t)size);
    if (p && gr_sys_pread_all(fd, p, (size_t)size, (off_t)pos) != size) {
        free(p);
        p = NULL;
    }
    return p;
}

/* What a lookup wants from the records of one batch. */
typedef enum record_want {
    WANT_AT_OR_AFTER, /* the first record with timestamp >= ts and offset >= min_offset */
    WANT_EXACTLY,     /* the first record with timestamp == ts (the max-timestamp answer) */
} record_want;

/* Looks inside the batch at pos for the record `want` asks for, decompressing a compressed batch
 * (Kafka answers with the exact record, so clients such as the Java consumer expect it).
 * 1 = found (*offset, *timestamp), 0 = no such record in this batch, -1 = the records could not
 * be read (too large, corrupt data, or no memory). */
static int find_record(int fd, int64_t pos, const gr_batch_header *h, record_want want, int64_t ts,
                       int64_t min_offset, int64_t *offset, int64_t *timestamp) {
    uint8_t *p = read_batch(fd, pos, h);
    if (!p) return -1;
    gr_record_iter it;
    gr_buf plain;
    gr_buf_init(&plain);
    const uint8_t *records = p + GR_BATCH_HEADER_BYTES;
    size_t records_len = (size_t)gr_batch_size(h) - GR_BATCH_HEADER_BYTES;
    int rc = -1;
    if (gr_batch_compression(h) != GR_COMPRESSION_NONE) {
        if (gr_decompress(gr_batch_compression(h), records, records_len, &plain,
                          GR_LOOKUP_DECOMPRESSED_MAX_BYTES) != 0)
            goto out;
        records = plain.data;
        records_len = plain.len;
    }
    gr_record_iter_init_records(&it, h, records, records_len);
    gr_record rec;
    int step;
    while ((step = gr_record_iter_next(&it, &rec)) == 1) {
        bool hit =
            want == WANT_EXACTLY ? rec.timestamp == ts : rec.timestamp >= ts && rec.offset >= min_offset;
        if (hit) {
            *offset = rec.offset;
            *timestamp = rec.timestamp;
            rc = 1;
            goto out;
        }
    }
    rc = step == 0 ? 0 : -1;
out:
    gr_buf_free(&plain);
    free(p);
    return rc;
}

/* The record-level answer for the batch at pos, or, when its records cannot be read, the answer
 * the header allows: its base offset (or min_offset inside it) and its MaxTimestamp. */
static int batch_answer(int fd, int64_t pos, const gr_batch_header *h, record_want want, int64_t ts,
                        int64_t min_offset, int64_t *offset, int64_t *timestamp) {
    int rc = find_record(fd, pos, h, want, ts, min_offset, offset, timestamp);
    if (rc >= 0) return rc;
    GR_WARN("store",
            "batch at offset %lld: records unreadable for a timestamp lookup; answering with the batch",
            (long long)h->base_offset);
    *offset = h->base_offset > min_offset ? h->base_offset : min_offset;
    *timestamp = h->max_timestamp;
    return 1;
}

int gr_plog_offset_for_time(gr_partition_log *l, int64_t ts, int64_t *offset, int64_t *timestamp) {
    *offset = -1;
    *timestamp = -1;
    if (ts == GR_LIST_OFFSETS_EARLIEST) {
        *offset = gr_plog_start_offset(l);
        return GR_ERR_NONE;
    }
    if (ts == GR_LIST_OFFSETS_LATEST) {
        *offset = gr_plog_end_offset(l);
        return GR_ERR_NONE;
    }
    if (ts == GR_LIST_OFFSETS_MAX_TIMESTAMP) return gr_plog_max_timestamp(l, offset, timestamp);
    int rc = lookup_time(l, ts, offset, timestamp);
    if (rc == GR_ERR_NONE) hide_unreadable(l, offset, timestamp);
    return rc;
}

/* The first record at or after the log start with timestamp >= ts, over the whole log. */
static int lookup_time(gr_partition_log *l, int64_t ts, int64_t *offset, int64_t *timestamp) {
    int64_t from_base = -1; /* the segment after the last one searched */
    for (;;) {
        pthread_mutex_lock(&l->mu);
        int64_t start = l->log_start_offset;
        int i = from_base < 0 ? 0 : gr_log_find_segment(l, from_base);
        if (from_base >= 0 && l->segs[i]->base_offset < from_base) i++;
        while (i < l->seg_count && (l->segs[i]->max_timestamp < ts || l->segs[i]->next_offset <= start)) i++;
        if (i >= l->seg_count) {
            pthread_mutex_unlock(&l->mu);
            return GR_ERR_NONE;
        }
        gr_segment *s = l->segs[i];
        gr_segment_ensure_indexes(s);
        int64_t target = s->base_offset > start ? s->base_offset : start;
        gr_time_entry te;
        if (gr_time_index_lookup(&s->time_index, ts, &te) && s->base_offset + te.rel_offset > target)
            target = s->base_offset + te.rel_offset;
        seg_view v;
        view_of(s, target, &v);
        from_base = s->base_offset + 1;
        pthread_mutex_unlock(&l->mu);

        /* Kafka's rule: the first batch whose MaxTimestamp >= ts that holds a record with
         * timestamp >= ts at or after the log start (a batch cut by DeleteRecords may not). */
        int64_t pos;
        gr_batch_header h;
        int rc = find_batch(&v, target, &pos, &h);
        while (rc == 1) {
            if (h.max_timestamp >= ts &&
                batch_answer(v.log->fd, pos, &h, WANT_AT_OR_AFTER, ts, start, offset, timestamp))
                break;
            pos += gr_batch_size(&h);
            rc = pos < v.size_bytes ? gr_segment_read_header(v.log->fd, pos, &h) : 0;
            if (rc == 1 && !gr_segment_header_sane(&h, pos, v.size_bytes)) rc = 0;
        }
        gr_file_ref_release(v.log);
        if (rc < 0) return GR_ERR_KAFKA_STORAGE_ERROR;
        if (rc == 1) return GR_ERR_NONE;
    }
}

int gr_plog_max_timestamp(gr_partition_log *l, int64_t *offset, int64_t *timestamp) {
    int rc = max_timestamp(l, offset, timestamp);
    if (rc == GR_ERR_NONE) hide_unreadable(l, offset, timestamp);
    return rc;
}

/* The record with the largest timestamp in the whole log. */
static int max_timestamp(gr_partition_log *l, int64_t *offset, int64_t *timestamp) {
    *offset = -1;
    *timestamp = -1;
    pthread_mutex_lock(&l->mu);
    gr_segment *best = NULL;
    for (int i = 0; i < l->seg_count; i++)
        if (l->segs[i]->max_timestamp >= 0 && (!best || l->segs[i]->max_timestamp > best->max_timestamp))
            best = l->segs[i];
    if (!best) {
        pthread_mutex_unlock(&l->mu);
        return GR_ERR_NONE;
    }
    int64_t ts = best->max_timestamp;
    int64_t target = best->offset_of_max_timestamp;
    seg_view v;
    view_of(best, target, &v);
    pthread_mutex_unlock(&l->mu);

    /* As Kafka answers: the first batch from there whose MaxTimestamp is the segment's largest
     * timestamp, and in it the first record carrying that timestamp. */
    int64_t pos;
    gr_batch_header h;
    int rc = find_batch(&v, target, &pos, &h);
    while (rc == 1 && h.max_timestamp != ts) {
        pos += gr_batch_size(&h);
        rc = pos < v.size_bytes ? gr_segment_read_header(v.log->fd, pos, &h) : 0;
        if (rc == 1 && !gr_segment_header_sane(&h, pos, v.size_bytes)) rc = 0;
    }
    if (rc == 1) {
        if (batch_answer(v.log->fd, pos, &h, WANT_EXACTLY, ts, 0, offset, timestamp) == 0) {
            /* No record has the MaxTimestamp the producer wrote in the header (Kafka would have
             * corrected it on append); the batch is still where the largest timestamp is. */
            *offset = h.base_offset;
            *timestamp = ts;
        }
    } else if (rc == 0) {
        *offset = target;
        *timestamp = ts;
    }
    gr_file_ref_release(v.log);
    return rc < 0 ? GR_ERR_KAFKA_STORAGE_ERROR : GR_ERR_NONE;
}
