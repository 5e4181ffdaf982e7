/*
 * producer_state.c: the idempotent-producer table and its snapshots (see producer_state.h).
 *
 * An open-addressing hash table keyed by producer id, at most half full.
 * Removals happen in sweeps (retention, expiry), which rebuild the table,
 * so single-slot deletion is never needed.
 */
#include "store/producer_state.h"

#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "base/log.h"
#include "base/reader.h"
#include "proto/record_batch.h"

#define SNAPSHOT_VERSION 1
#define SNAPSHOT_HEADER_BYTES 10 /* version int16, crc uint32, entry count int32 */
#define SNAPSHOT_ENTRY_BYTES 46
#define SNAPSHOT_CRC_FROM 6 /* the CRC covers everything after itself */

struct gr_producer_state {
    gr_producer_entry *slots;
    size_t cap; /* power of two, or 0 */
    size_t count;
};

gr_producer_state *gr_producer_state_new(void) { return calloc(1, sizeof(gr_producer_state)); }

void gr_producer_state_free(gr_producer_state *ps) {
    if (!ps) return;
    free(ps->slots);
    free(ps);
}

size_t gr_producer_state_count(const gr_producer_state *ps) { return ps->count; }

static size_t slot_of(int64_t producer_id, size_t cap) {
    uint64_t h = (uint64_t)producer_id * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 17) & (cap - 1);
}

static gr_producer_entry *lookup(const gr_producer_state *ps, int64_t producer_id) {
    if (ps->cap == 0) return NULL;
    for (size_t i = slot_of(producer_id, ps->cap), n = 0; n < ps->cap; i = (i + 1) & (ps->cap - 1), n++) {
        if (ps->slots[i].producer_id == producer_id) return &ps->slots[i];
        if (ps->slots[i].producer_id < 0) return NULL;
    }
    return NULL;
}

const gr_producer_entry *gr_producer_state_find(const gr_producer_state *ps, int64_t producer_id) {
    return lookup(ps, producer_id);
}

static gr_producer_entry *alloc_slots(size_t cap) {
    gr_producer_entry *s = malloc(cap * sizeof *s);
    if (!s) return NULL;
    for (size_t i = 0; i < cap; i++) s[i].producer_id = -1;
    return s;
}

static void insert_fresh(gr_producer_entry *slots, size_t cap, const gr_producer_entry *e) {
    size_t i = slot_of(e->producer_id, cap);
    while (slots[i].producer_id >= 0) i = (i + 1) & (cap - 1);
    slots[i] = *e;
}

/* Rebuilds the table keeping entries for which keep() is true, into `cap` slots. */
static bool rebuild(gr_producer_state *ps, size_t cap, bool (*keep)(const gr_producer_entry *, const void *),
                    const void *ctx) {
    gr_producer_entry *slots = alloc_slots(cap);
    if (!slots) return false;
    size_t count = 0;
    for (size_t i = 0; i < ps->cap; i++) {
        const gr_producer_entry *e = &ps->slots[i];
        if (e->producer_id < 0 || (keep && !keep(e, ctx))) continue;
        insert_fresh(slots, cap, e);
        count++;
    }
    free(ps->slots);
    ps->slots = slots;
    ps->cap = cap;
    ps->count = count;
    return true;
}

static int64_t newest_timestamp(const gr_producer_entry *e) {
    return e->batch_count > 0 ? e->batches[e->batch_count - 1].timestamp : INT64_MIN;
}

static bool not_this(const gr_producer_entry *e, const void *victim) { return e != victim; }

/* Makes room for one more producer: grows the table, or at the cap forgets the producer that
 * was idle longest (it will be treated as unknown, which Kafka allows). */
static bool make_room(gr_producer_state *ps) {
    if (ps->count >= GR_PRODUCERS_PER_PARTITION_MAX) {
        const gr_producer_entry *victim = NULL;
        for (size_t i = 0; i < ps->cap; i++)
            if (ps->slots[i].producer_id >= 0 &&
                (!victim || newest_timestamp(&ps->slots[i]) < newest_timestamp(victim)))
                victim = &ps->slots[i];
        GR_WARN("store", "more than %d idempotent producers on one partition; forgetting producer %lld",
                GR_PRODUCERS_PER_PARTITION_MAX, (long long)victim->producer_id);
        return rebuild(ps, ps->cap, not_this, victim);
    }
    if ((ps->count + 1) * 2 <= ps->cap) return true;
    return rebuild(ps, ps->cap ? ps->cap * 2 : 16, NULL, NULL);
}

bool gr_producer_state_put(gr_producer_state *ps, const gr_producer_entry *e) {
    GR_ASSERT(e->producer_id >= 0);
    gr_producer_entry *cur = lookup(ps, e->producer_id);
    if (cur) {
        *cur = *e;
        return true;
    }
    if (!make_room(ps)) return false;
    insert_fresh(ps->slots, ps->cap, e);
    ps->count++;
    return true;
}

static bool in_sequence(int32_t last_seq, int32_t next_seq) {
    return (int64_t)next_seq == (int64_t)last_seq + 1 || (next_seq == 0 && last_seq == INT32_MAX);
}

gr_producer_check gr_producer_entry_check(const gr_producer_entry *e, int16_t epoch, int32_t first_seq,
                                          int32_t last_seq, const gr_producer_batch **dup) {
    if (!e) return GR_PRODUCER_OK; /* unknown producer: any sequence (KIP-360) */
    if (epoch == e->epoch) {
        for (int32_t i = 0; i < e->batch_count; i++) {
            if (e->batches[i].first_seq == first_seq && e->batches[i].last_seq == last_seq) {
                *dup = &e->batches[i];
                return GR_PRODUCER_DUPLICATE;
            }
        }
    }
    if (epoch < e->epoch) return GR_PRODUCER_STALE_EPOCH;
    if (epoch != e->epoch)
        return (first_seq == 0 || e->epoch < 0) ? GR_PRODUCER_OK : GR_PRODUCER_OUT_OF_ORDER;
    int32_t current_last = e->batch_count > 0 ? e->batches[e->batch_count - 1].last_seq : -1;
    return in_sequence(current_last, first_seq) ? GR_PRODUCER_OK : GR_PRODUCER_OUT_OF_ORDER;
}

void gr_producer_entry_add(gr_producer_entry *e, int16_t epoch, const gr_producer_batch *b) {
    if (epoch != e->epoch) {
        e->epoch = epoch;
        e->batch_count = 0;
    }
    if (e->batch_count == GR_PRODUCER_BATCHES_KEPT) {
        memmove(&e->batches[0], &e->batches[1], (GR_PRODUCER_BATCHES_KEPT - 1) * sizeof e->batches[0]);
        e->batch_count--;
    }
    e->batches[e->batch_count++] = *b;
}

void gr_producer_entry_init(gr_producer_entry *e, int64_t producer_id, int16_t epoch) {
    memset(e, 0, sizeof *e);
    e->producer_id = producer_id;
    e->epoch = epoch;
    e->coordinator_epoch = -1;
    e->current_txn_first_offset = -1;
}

bool gr_producer_state_replay(gr_producer_state *ps, int64_t producer_id, int16_t epoch,
                              const gr_producer_batch *b) {
    gr_producer_entry *cur = lookup(ps, producer_id);
    if (cur) {
        gr_producer_entry_add(cur, epoch, b);
        return true;
    }
    gr_producer_entry e;
    gr_producer_entry_init(&e, producer_id, epoch);
    gr_producer_entry_add(&e, epoch, b);
    return gr_producer_state_put(ps, &e);
}

static bool ends_at_or_after(const gr_producer_entry *e, const void *start) {
    return e->batch_count > 0 && e->batches[e->batch_count - 1].last_offset >= *(const int64_t *)start;
}

void gr_producer_state_drop_before(gr_producer_state *ps, int64_t log_start_offset) {
    if (ps->count == 0) return;
    if (!rebuild(ps, ps->cap, ends_at_or_after, &log_start_offset))
        GR_WARN("store", "producer state sweep skipped (memory)");
}

static bool newer_than(const gr_producer_entry *e, const void *cutoff) {
    return newest_timestamp(e) >= *(const int64_t *)cutoff;
}

void gr_producer_state_expire(gr_producer_state *ps, int64_t now_ms, int64_t expiration_ms) {
    if (ps->count == 0) return;
    int64_t cutoff = now_ms - expiration_ms;
    if (!rebuild(ps, ps->cap, newer_than, &cutoff)) GR_WARN("store", "producer state sweep skipped (memory)");
}

static void put_entry(gr_buf *out, const gr_producer_entry *e, const gr_producer_batch *b) {
    gr_buf_put_i64(out, e->producer_id);
    gr_buf_put_i16(out, e->epoch);
    gr_buf_put_i32(out, b ? b->last_seq : -1);
    gr_buf_put_i64(out, b ? b->last_offset : -1);
    gr_buf_put_i32(out, b ? (int32_t)(b->last_offset - b->first_offset) : 0);
    gr_buf_put_i64(out, b ? b->timestamp : -1);
    gr_buf_put_i32(out, e->coordinator_epoch);
    gr_buf_put_i64(out, e->current_txn_first_offset);
}

void gr_producer_state_encode(const gr_producer_state *ps, gr_buf *out) {
    size_t start = out->len;
    int32_t n = 0;
    gr_buf_put_i16(out, SNAPSHOT_VERSION);
    gr_buf_put_u32(out, 0); /* CRC, below */
    gr_buf_put_i32(out, 0); /* count, below */
    for (size_t i = 0; i < ps->cap; i++) {
        const gr_producer_entry *e = &ps->slots[i];
        if (e->producer_id < 0) continue;
        if (e->batch_count == 0) {
            put_entry(out, e, NULL);
            n++;
        }
        for (int32_t k = 0; k < e->batch_count; k++, n++) put_entry(out, e, &e->batches[k]);
    }
    if (out->oom) return;
    gr_buf_patch_i32(out, start + SNAPSHOT_CRC_FROM, n);
    uint32_t crc = gr_crc32c(0, out->data + start + SNAPSHOT_CRC_FROM, out->len - start - SNAPSHOT_CRC_FROM);
    gr_buf_patch_i32(out, start + 2, (int32_t)crc);
}

int gr_producer_state_decode(gr_producer_state *ps, const uint8_t *p, size_t len) {
    gr_reader r = gr_reader_make(p, len);
    int16_t version = gr_read_i16(&r);
    uint32_t crc = gr_read_u32(&r);
    if (r.err || version != SNAPSHOT_VERSION) return -1;
    if (gr_crc32c(0, p + SNAPSHOT_CRC_FROM, len - SNAPSHOT_CRC_FROM) != crc) return -1;
    int32_t n = gr_read_array_count(&r, SNAPSHOT_ENTRY_BYTES);
    if (r.err || n < 0 || gr_reader_remaining(&r) != (size_t)n * SNAPSHOT_ENTRY_BYTES) return -1;
    gr_producer_state fresh = {0};
    for (int32_t i = 0; i < n; i++) {
        int64_t pid = gr_read_i64(&r);
        int16_t epoch = gr_read_i16(&r);
        int32_t last_seq = gr_read_i32(&r);
        int64_t last_offset = gr_read_i64(&r);
        int32_t offset_delta = gr_read_i32(&r);
        int64_t timestamp = gr_read_i64(&r);
        int32_t coordinator_epoch = gr_read_i32(&r);
        int64_t txn_first = gr_read_i64(&r);
        if (r.err || pid < 0 || offset_delta < 0) goto bad;
        gr_producer_entry *e = lookup(&fresh, pid);
        if (!e) {
            gr_producer_entry init;
            gr_producer_entry_init(&init, pid, epoch);
            if (!gr_producer_state_put(&fresh, &init)) goto bad;
            e = lookup(&fresh, pid);
        }
        e->coordinator_epoch = coordinator_epoch;
        e->current_txn_first_offset = txn_first;
        if (last_offset >= 0) {
            gr_producer_batch b = {gr_sequence_add(last_seq, -offset_delta), last_seq,
                                   last_offset - offset_delta, last_offset, timestamp};
            gr_producer_entry_add(e, epoch, &b);
        } else {
            e->epoch = epoch;
        }
    }
    free(ps->slots);
    *ps = fresh;
    return 0;
bad:
    free(fresh.slots);
    return -1;
}
