/* offsets.c: chained hash table of committed offsets (see offsets.h). */
#include "group/offsets.h"

#include <stdlib.h>
#include <string.h>

#include "base/limits.h"

#define INITIAL_BUCKETS 16u

static uint32_t hash_key(gr_str topic, int32_t partition) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (int32_t i = 0; i < topic.len; i++) h = (h ^ (uint8_t)topic.ptr[i]) * 16777619u;
    for (int i = 0; i < 4; i++) h = (h ^ (uint8_t)((uint32_t)partition >> (8 * i))) * 16777619u;
    return h;
}

static bool key_eq(const gr_committed *e, gr_str topic, int32_t partition) {
    return e->partition == partition && e->topic_len == topic.len &&
           memcmp(e->topic, topic.ptr, (size_t)topic.len) == 0;
}

void gr_offsets_init(gr_offsets *o) { memset(o, 0, sizeof *o); }

static void entry_free(gr_committed *e) {
    free(e->metadata);
    free(e);
}

void gr_offsets_free(gr_offsets *o) {
    for (uint32_t b = 0; b < o->bucket_count; b++) {
        gr_committed *e = o->buckets[b];
        while (e) {
            gr_committed *next = e->next;
            entry_free(e);
            e = next;
        }
    }
    free(o->buckets);
    memset(o, 0, sizeof *o);
}

gr_committed *gr_offsets_get(const gr_offsets *o, gr_str topic, int32_t partition) {
    if (!o->bucket_count || topic.len < 0) return NULL;
    uint32_t h = hash_key(topic, partition);
    for (gr_committed *e = o->buckets[h & (o->bucket_count - 1)]; e; e = e->next)
        if (e->hash == h && key_eq(e, topic, partition)) return e;
    return NULL;
}

static bool grow(gr_offsets *o) {
    uint32_t n = o->bucket_count ? o->bucket_count * 2 : INITIAL_BUCKETS;
    gr_committed **b = calloc(n, sizeof *b);
    if (!b) return false;
    for (uint32_t i = 0; i < o->bucket_count; i++) {
        gr_committed *e = o->buckets[i];
        while (e) {
            gr_committed *next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(o->buckets);
    o->buckets = b;
    o->bucket_count = n;
    return true;
}

static char *dup_metadata(gr_str m) {
    size_t n = m.len > 0 && m.ptr ? (size_t)m.len : 0;
    char *p = malloc(n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, m.ptr, n);
    p[n] = '\0';
    return p;
}

static void set_value(gr_committed *e, const gr_offset_value *v, char *metadata) {
    free(e->metadata);
    e->metadata = metadata;
    e->offset = v->offset;
    e->leader_epoch = v->leader_epoch;
    e->commit_timestamp_ms = v->commit_timestamp_ms;
    e->expire_timestamp_ms = v->expire_timestamp_ms;
}

int gr_offsets_put(gr_offsets *o, gr_str topic, int32_t partition, const gr_offset_value *v) {
    if (topic.len < 0) topic = (gr_str){"", 0};
    char *metadata = dup_metadata(v->metadata);
    if (!metadata) return -1;
    gr_committed *e = gr_offsets_get(o, topic, partition);
    if (e) {
        set_value(e, v, metadata);
        return 0;
    }
    if (o->count >= GR_GROUP_OFFSETS_MAX || (o->count + 1 > o->bucket_count && !grow(o))) {
        free(metadata);
        return -1;
    }
    e = calloc(1, sizeof *e + (size_t)topic.len + 1);
    if (!e) {
        free(metadata);
        return -1;
    }
    e->hash = hash_key(topic, partition);
    e->partition = partition;
    e->topic_len = topic.len;
    if (topic.len) memcpy(e->topic, topic.ptr, (size_t)topic.len);
    set_value(e, v, metadata);
    e->next = o->buckets[e->hash & (o->bucket_count - 1)];
    o->buckets[e->hash & (o->bucket_count - 1)] = e;
    o->count++;
    return 0;
}

bool gr_offsets_remove(gr_offsets *o, gr_str topic, int32_t partition) {
    if (!o->bucket_count || topic.len < 0) return false;
    uint32_t h = hash_key(topic, partition);
    gr_committed **pp = &o->buckets[h & (o->bucket_count - 1)];
    for (; *pp; pp = &(*pp)->next) {
        gr_committed *e = *pp;
        if (e->hash == h && key_eq(e, topic, partition)) {
            *pp = e->next;
            entry_free(e);
            o->count--;
            return true;
        }
    }
    return false;
}

static int cmp_entries(const void *a, const void *b) {
    const gr_committed *x = *(gr_committed *const *)a, *y = *(gr_committed *const *)b;
    int c = strcmp(x->topic, y->topic);
    if (c) return c;
    return (x->partition > y->partition) - (x->partition < y->partition);
}

gr_committed **gr_offsets_sorted(const gr_offsets *o, uint32_t *n) {
    *n = 0;
    gr_committed **out = malloc((size_t)(o->count ? o->count : 1) * sizeof *out);
    if (!out) return NULL;
    for (uint32_t b = 0; b < o->bucket_count; b++)
        for (gr_committed *e = o->buckets[b]; e; e = e->next) out[(*n)++] = e;
    qsort(out, *n, sizeof *out, cmp_entries);
    return out;
}

bool gr_offsets_has_topic(const gr_offsets *o, gr_str topic) {
    for (uint32_t b = 0; b < o->bucket_count; b++)
        for (gr_committed *e = o->buckets[b]; e; e = e->next)
            if (e->topic_len == topic.len && memcmp(e->topic, topic.ptr, (size_t)topic.len) == 0) return true;
    return false;
}
