/*
 * coordinator.c: the coordinator's skeleton: group registry, life cycle,
 * __consumer_offsets (creation, appends, flushes, replay at start-up) and the
 * timers on loop 0. The protocol operations are in coord_*.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/limits.h"
#include "base/log.h"
#include "cluster/partition_replica.h"
#include "group/coordinator_internal.h"
#include "group/placement.h"
#include "proto/compression.h"
#include "proto/errors.h"

#define INITIAL_BUCKETS 64u
#define OFFSETS_TOPIC_SEGMENT_BYTES "104857600" /* Kafka's offsets.topic.segment.bytes */
#define LOAD_DECOMPRESS_MAX_BYTES (64u * 1024u * 1024u)
#define LOAD_ARENA_BYTES (64u * 1024u * 1024u)
/* Kafka's defaults, for callers that leave the settings at 0. */
#define OFFSETS_RETENTION_CHECK_INTERVAL_MS_DEFAULT 600000
#define CONSUMER_SESSION_TIMEOUT_MS_DEFAULT 45000
#define CONSUMER_HEARTBEAT_INTERVAL_MS_DEFAULT 5000

/* ---- registry ------------------------------------------------------------------------------- */

static uint32_t hash_id(gr_str id) {
    uint32_t h = 2166136261u;
    for (int32_t i = 0; i < id.len; i++) h = (h ^ (uint8_t)id.ptr[i]) * 16777619u;
    return h;
}

gr_group *gc_group_find(gr_group_coordinator *c, gr_str id) {
    if (!c->bucket_count || id.len < 0) return NULL;
    uint32_t h = hash_id(id);
    for (gr_group *g = c->buckets[h & (c->bucket_count - 1)]; g; g = g->next)
        if (g->hash == h && g->id_len == id.len && memcmp(g->id, id.ptr, (size_t)id.len) == 0) return g;
    return NULL;
}

static bool grow(gr_group_coordinator *c) {
    uint32_t n = c->bucket_count ? c->bucket_count * 2 : INITIAL_BUCKETS;
    gr_group **b = calloc(n, sizeof *b);
    if (!b) return false;
    for (uint32_t i = 0; i < c->bucket_count; i++) {
        gr_group *g = c->buckets[i];
        while (g) {
            gr_group *next = g->next;
            g->next = b[g->hash & (n - 1)];
            b[g->hash & (n - 1)] = g;
            g = next;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->bucket_count = n;
    return true;
}

static bool make_state(gr_group_coordinator *c, gr_group *g, gr_group_type type) {
    gr_str id = {g->id, g->id_len};
    g->type = type;
    if (type == GR_GROUP_CLASSIC) {
        g->classic = gr_cg_new(&c->classic_env, id);
        return g->classic != NULL;
    }
    g->consumer = gr_kg_new(&c->consumer_env, id);
    return g->consumer != NULL;
}

gr_group *gc_group_get_or_create(gr_group_coordinator *c, gr_str id, gr_group_type type) {
    if (id.len < 0) id = (gr_str){"", 0};
    gr_group *g = gc_group_find(c, id);
    if (g) return g;
    if (c->group_count >= GR_GROUPS_MAX || id.len > GR_GROUP_ID_MAX_BYTES) return NULL;
    if (c->group_count + 1 > c->bucket_count && !grow(c)) return NULL;
    g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->id = malloc((size_t)id.len + 1);
    if (!g->id) {
        free(g);
        return NULL;
    }
    memcpy(g->id, id.ptr, (size_t)id.len);
    g->id[id.len] = '\0';
    g->id_len = id.len;
    g->hash = hash_id(id);
    g->partition = gr_group_partition_for(g->id, (size_t)g->id_len, c->offsets_partitions);
    gr_offsets_init(&g->offsets);
    if (!make_state(c, g, type)) {
        free(g->id);
        free(g);
        return NULL;
    }
    g->next = c->buckets[g->hash & (c->bucket_count - 1)];
    c->buckets[g->hash & (c->bucket_count - 1)] = g;
    c->group_count++;
    return g;
}

static void free_state(gr_group *g) {
    gr_cg_free(g->classic);
    gr_kg_free(g->consumer);
    g->classic = NULL;
    g->consumer = NULL;
}

void gc_group_delete(gr_group_coordinator *c, gr_group *g) {
    gr_group **pp = &c->buckets[g->hash & (c->bucket_count - 1)];
    while (*pp && *pp != g) pp = &(*pp)->next;
    if (*pp) *pp = g->next;
    c->group_count--;
    if (g->classic) gr_cg_mark_dead(g->classic);
    free_state(g);
    gr_offsets_free(&g->offsets);
    free(g->id);
    free(g);
}

bool gc_group_convert(gr_group_coordinator *c, gr_group *g, gr_group_type type) {
    if (g->type == type) return true;
    gr_cg_group *old_classic = g->classic;
    gr_kg_group *old_consumer = g->consumer;
    g->classic = NULL;
    g->consumer = NULL;
    if (!make_state(c, g, type)) {
        g->type = type == GR_GROUP_CLASSIC ? GR_GROUP_CONSUMER : GR_GROUP_CLASSIC;
        g->classic = old_classic;
        g->consumer = old_consumer;
        return false;
    }
    gr_cg_free(old_classic);
    gr_kg_free(old_consumer);
    return true;
}

bool gc_group_is_empty(const gr_group *g) {
    if (g->offsets.count) return false;
    if (g->type == GR_GROUP_CLASSIC)
        return gr_cg_is_empty(g->classic) && g->classic->pending_count == 0 &&
               g->classic->state == GR_CG_EMPTY;
    return gr_kg_member_count(g->consumer) == 0;
}

const char *gc_group_state_name(const gr_group *g) {
    return g->type == GR_GROUP_CLASSIC ? gr_cg_state_name(g->classic->state) : gr_kg_state_name(g->consumer);
}

/* ---- __consumer_offsets ------------------------------------------------------------------- */

void gc_adopt_topic(gr_group_coordinator *c, gr_topic *t) {
    pthread_mutex_lock(&c->mu);
    c->offsets_topic = t;
    c->offsets_partitions = gr_topic_partition_count(t);
    /* Groups made before the topic existed (offset-less lookups) get their real partition. */
    for (uint32_t b = 0; b < c->bucket_count; b++)
        for (gr_group *g = c->buckets[b]; g; g = g->next)
            g->partition = gr_group_partition_for(g->id, (size_t)g->id_len, c->offsets_partitions);
    pthread_mutex_unlock(&c->mu);
    atomic_store(&c->topic_ready, true);
}

int16_t gr_gc_ensure_offsets_topic(gr_group_coordinator *c) {
    if (atomic_load(&c->topic_ready)) return GR_ERR_NONE;
    pthread_mutex_lock(&c->topic_mu);
    if (c->offsets_topic) {
        pthread_mutex_unlock(&c->topic_mu);
        return GR_ERR_NONE;
    }
    gr_str name = gr_str_c(GR_OFFSETS_TOPIC);
    gr_topic *t = gr_topics_get(c->svc.topics, name);
    if (!t && !c->svc.clustered) { /* in a cluster, the cluster creates it (FindCoordinator) */
        gr_properties configs;
        gr_properties_init(&configs);
        gr_properties_set(&configs, "cleanup.policy", "compact");
        gr_properties_set(&configs, "segment.bytes", OFFSETS_TOPIC_SEGMENT_BYTES);
        gr_properties_set(&configs, "compression.type", "producer");
        const char *why = NULL;
        int16_t err =
            gr_topics_create(c->svc.topics, name, c->cfg.offsets_topic_num_partitions, &configs, false, &why);
        gr_properties_free(&configs);
        if (err != GR_ERR_NONE && err != GR_ERR_TOPIC_ALREADY_EXISTS)
            GR_ERROR("group", "cannot create %s: %s (%s)", GR_OFFSETS_TOPIC, gr_error_name(err),
                     why ? why : "");
        t = gr_topics_get(c->svc.topics, name);
    }
    if (t) gc_adopt_topic(c, t);
    pthread_mutex_unlock(&c->topic_mu);
    return t ? GR_ERR_NONE : GR_ERR_COORDINATOR_NOT_AVAILABLE;
}

/* How Kafka reports a failed coordinator write to clients. */
static int16_t map_append_error(int16_t err) {
    switch (err) {
    case GR_ERR_NONE:
        return GR_ERR_NONE;
    case GR_ERR_UNKNOWN_TOPIC_OR_PARTITION:
    case GR_ERR_NOT_ENOUGH_REPLICAS:
    case GR_ERR_REQUEST_TIMED_OUT:
        return GR_ERR_COORDINATOR_NOT_AVAILABLE;
    case GR_ERR_NOT_LEADER_OR_FOLLOWER:
    case GR_ERR_KAFKA_STORAGE_ERROR:
        return GR_ERR_NOT_COORDINATOR;
    case GR_ERR_MESSAGE_TOO_LARGE:
    case GR_ERR_RECORD_LIST_TOO_LARGE:
    case GR_ERR_INVALID_FETCH_SIZE:
        return GR_ERR_INVALID_COMMIT_OFFSET_SIZE;
    default:
        return GR_ERR_UNKNOWN_SERVER_ERROR;
    }
}

int16_t gc_append(gr_group_coordinator *c, int32_t partition, gr_offsets_batch *ob, gr_partition_log **log) {
    *log = NULL;
    size_t size = gr_offsets_batch_finish(ob);
    if (size == 0) return ob->count ? GR_ERR_UNKNOWN_SERVER_ERROR : GR_ERR_NONE;
    if (!c->offsets_topic) return GR_ERR_COORDINATOR_NOT_AVAILABLE;
    gr_partition *p = gr_topic_partition(c->offsets_topic, partition);
    if (!p) return GR_ERR_COORDINATOR_NOT_AVAILABLE;
    int32_t epoch = p->leader_epoch;
    if (c->svc.clustered) { /* only the leader writes; with its epoch */
        gr_partition_replica *r = atomic_load(&p->replica);
        if (!r || !gr_partition_replica_is_leader(r)) return GR_ERR_NOT_COORDINATOR;
        epoch = gr_partition_replica_leader_epoch(r);
    }
    gr_append_result res;
    gr_plog_append(p->log, ob->out.data, size, epoch, &res);
    if (res.error != GR_ERR_NONE) {
        GR_WARN("group", "append to %s-%d failed: %s", GR_OFFSETS_TOPIC, partition, gr_error_name(res.error));
        return map_append_error(res.error);
    }
    *log = p->log;
    if (c->svc.clustered && partition < c->own_cap) c->append_end[partition] = res.last_offset + 1;
    if (c->svc.data_arrived) c->svc.data_arrived(c->svc.data_arrived_ud);
    return GR_ERR_NONE;
}

typedef struct flush_wait {
    atomic_int pending;
    atomic_int error;
    gr_flush_done_fn done;
    void *ud;
} flush_wait;

static void flush_one_done(void *ud, int error) {
    flush_wait *fw = ud;
    if (error) atomic_store(&fw->error, error);
    if (atomic_fetch_sub(&fw->pending, 1) == 1) {
        fw->done(fw->ud, atomic_load(&fw->error));
        free(fw);
    }
}

static void flush_ignore(void *ud, int error) {
    (void)ud;
    if (error) GR_WARN("group", "flushing %s failed", GR_OFFSETS_TOPIC);
}

void gc_flush(gr_group_coordinator *c, gr_partition_log **logs, int count, gr_flush_done_fn done, void *ud) {
    int distinct = 0;
    for (int i = 0; i < count; i++) {
        bool seen = false;
        for (int k = 0; k < distinct && !seen; k++) seen = logs[k] == logs[i];
        if (!seen && logs[i]) logs[distinct++] = logs[i];
    }
    if (done && c->svc.clustered) {
        gc_cluster_wait(c, logs, distinct, done, ud);
        return;
    }
    if (!done) {
        for (int i = 0; i < distinct; i++) gr_flusher_request(c->svc.flusher, logs[i], flush_ignore, NULL);
        return;
    }
    if (distinct == 0) {
        done(ud, 0);
        return;
    }
    flush_wait *fw = malloc(sizeof *fw);
    if (!fw) {
        done(ud, GR_ERR_KAFKA_STORAGE_ERROR);
        return;
    }
    atomic_init(&fw->pending, distinct);
    atomic_init(&fw->error, 0);
    fw->done = done;
    fw->ud = ud;
    for (int i = 0; i < distinct; i++) gr_flusher_request(c->svc.flusher, logs[i], flush_one_done, fw);
}

/* GroupMetadataValue v3 of a classic group: members with the chosen protocol's metadata. */
int16_t gc_store_classic(void *ud, gr_cg_group *cg) {
    gr_group_coordinator *c = ud;
    gr_str id = gr_str_c(cg->group_id);
    gr_group *g = gc_group_find(c, id);
    if (!g) return GR_ERR_COORDINATOR_NOT_AVAILABLE;
    gr_group_metadata_value v;
    gr_group_metadata_value_init(&v);
    v.protocol_type = cg->protocol_type ? gr_str_c(cg->protocol_type) : (gr_str){"", 0};
    v.generation = cg->generation;
    v.protocol = cg->protocol_name ? gr_str_c(cg->protocol_name) : (gr_str){NULL, -1};
    v.leader = cg->leader ? gr_str_c(cg->leader->member_id) : (gr_str){NULL, -1};
    v.current_state_timestamp = cg->state_timestamp_ms;
    gr_group_metadata_value_member_metadata *ms =
        calloc((size_t)(cg->member_count > 0 ? cg->member_count : 1), sizeof *ms);
    if (!ms) return GR_ERR_UNKNOWN_SERVER_ERROR;
    for (int32_t i = 0; i < cg->member_count; i++) {
        const gr_cg_member *m = cg->members[i];
        gr_group_metadata_value_member_metadata_init(&ms[i]);
        ms[i].member_id = gr_str_c(m->member_id);
        ms[i].group_instance_id = m->instance_id ? gr_str_c(m->instance_id) : (gr_str){NULL, -1};
        ms[i].client_id = gr_str_c(m->client_id);
        ms[i].client_host = gr_str_c(m->client_host);
        ms[i].rebalance_timeout = m->rebalance_timeout_ms;
        ms[i].session_timeout = m->session_timeout_ms;
        const gr_cg_protocol *p = gr_cg_member_protocol(m, cg->protocol_name);
        ms[i].subscription =
            p ? (gr_bytes){p->metadata, p->metadata_len} : (gr_bytes){(const uint8_t *)"", 0};
        ms[i].assignment = (gr_bytes){m->assignment ? m->assignment : (const uint8_t *)"", m->assignment_len};
    }
    v.members.items = ms;
    v.members.count = cg->member_count;
    gr_offsets_batch ob;
    gr_offsets_batch_begin(&ob, gr_wall_ms());
    gr_offsets_batch_add_group(&ob, id, &v);
    gr_partition_log *log;
    int16_t err = gc_append(c, g->partition, &ob, &log);
    gr_offsets_batch_free(&ob);
    free(ms);
    if (err == GR_ERR_INVALID_COMMIT_OFFSET_SIZE) err = GR_ERR_UNKNOWN_SERVER_ERROR;
    if (err == GR_ERR_NONE) gc_flush(c, &log, 1, NULL, NULL); /* durable soon; nobody waits for it */
    return err;
}

/* ---- timers (loop 0) ------------------------------------------------------------------------ */

static void coord_unref(gr_group_coordinator *c) {
    if (atomic_fetch_sub(&c->refs, 1) != 1) return;
    pthread_mutex_destroy(&c->mu);
    pthread_mutex_destroy(&c->topic_mu);
    free(c);
}

static void post_to_timer_loop(gr_group_coordinator *c, void (*fn)(void *ud)) {
    atomic_fetch_add(&c->refs, 1);
    gr_loop_post(c->svc.timer_loop, fn, c);
}

static void on_timer(void *ud);

/* Loop 0, lock held: arms the timer for `at` unless it already fires no later. */
static void arm_locked(gr_group_coordinator *c, int64_t at) {
    if (at == GR_DEADLINE_NONE || at >= c->armed_at_ms) return;
    if (c->timer_id) gr_loop_timer_cancel(c->svc.timer_loop, c->timer_id);
    int64_t delay = at - gr_mono_ms();
    c->timer_id = gr_loop_timer_add(c->svc.timer_loop, delay > 0 ? delay : 0, on_timer, c);
    c->armed_at_ms = at;
}

static void rearm(void *ud) {
    gr_group_coordinator *c = ud;
    if (!atomic_load(&c->stopping)) {
        pthread_mutex_lock(&c->mu);
        c->rearm_posted = false;
        int64_t want = c->wanted_ms;
        c->wanted_ms = GR_DEADLINE_NONE;
        arm_locked(c, want);
        pthread_mutex_unlock(&c->mu);
    }
    coord_unref(c);
}

void gc_want_deadline(gr_group_coordinator *c, int64_t at_ms) {
    if (at_ms == GR_DEADLINE_NONE || at_ms >= c->armed_at_ms || at_ms >= c->wanted_ms) return;
    c->wanted_ms = at_ms;
    if (c->rearm_posted || !c->svc.timer_loop) return;
    c->rearm_posted = true;
    post_to_timer_loop(c, rearm);
}

static void classic_deadline(void *ud, gr_cg_group *g, int64_t at_ms) {
    (void)g;
    gc_want_deadline(ud, at_ms);
}

static void consumer_deadline(void *ud, int64_t at_ms) { gc_want_deadline(ud, at_ms); }

static void on_timer(void *ud) {
    gr_group_coordinator *c = ud;
    if (atomic_load(&c->stopping)) return;
    pthread_mutex_lock(&c->mu);
    c->timer_id = 0;
    c->armed_at_ms = GR_DEADLINE_NONE;
    int64_t now = gr_mono_ms();
    int64_t next = GR_DEADLINE_NONE;
    for (uint32_t b = 0; b < c->bucket_count; b++) {
        for (gr_group *g = c->buckets[b]; g; g = g->next) {
            int64_t d;
            if (g->type == GR_GROUP_CLASSIC) {
                if (gr_cg_next_deadline(g->classic) <= now) gr_cg_on_time(g->classic, now);
                d = gr_cg_next_deadline(g->classic);
            } else {
                if (gr_kg_next_deadline(g->consumer) <= now)
                    gc_persist_consumer(c, g, gr_kg_on_time(g->consumer, now));
                d = gr_kg_next_deadline(g->consumer);
            }
            if (d < next) next = d;
        }
    }
    if (c->wanted_ms < next) next = c->wanted_ms;
    c->wanted_ms = GR_DEADLINE_NONE;
    arm_locked(c, next);
    pthread_mutex_unlock(&c->mu);
}

static void on_expiry_timer(void *ud) {
    gr_group_coordinator *c = ud;
    if (atomic_load(&c->stopping)) return;
    if (atomic_load(&c->loaded)) {
        pthread_mutex_lock(&c->mu);
        gc_expire_offsets(c, gr_wall_ms());
        pthread_mutex_unlock(&c->mu);
    }
    c->expiry_timer_id =
        gr_loop_timer_add(c->svc.timer_loop, c->cfg.offsets_retention_check_interval_ms, on_expiry_timer, c);
}

static void start_timers(void *ud) {
    gr_group_coordinator *c = ud;
    if (!atomic_load(&c->stopping)) {
        c->expiry_timer_id = gr_loop_timer_add(c->svc.timer_loop, c->cfg.offsets_retention_check_interval_ms,
                                               on_expiry_timer, c);
        pthread_mutex_lock(&c->mu);
        int64_t want = c->wanted_ms;
        c->wanted_ms = GR_DEADLINE_NONE;
        arm_locked(c, want);
        pthread_mutex_unlock(&c->mu);
    }
    coord_unref(c);
}

/* ---- topic lookups for KIP-848 groups ----------------------------------------------------- */

static void fill_info(gr_topic *t, gr_kg_topic_info *out) {
    memcpy(out->id, t->id, 16);
    snprintf(out->name, sizeof out->name, "%s", t->name);
    out->partitions = gr_topic_partition_count(t);
}

static bool topic_by_name(void *ud, gr_str name, gr_kg_topic_info *out) {
    gr_group_coordinator *c = ud;
    gr_topic *t = gr_topics_get(c->svc.topics, name);
    if (!t) return false;
    bool ok = !atomic_load(&t->deleted);
    if (ok) fill_info(t, out);
    gr_topic_release(t);
    return ok;
}

static bool topic_by_id(void *ud, const uint8_t id[16], gr_kg_topic_info *out) {
    gr_group_coordinator *c = ud;
    gr_topic *t = gr_topics_get_by_id(c->svc.topics, id);
    if (!t) return false;
    bool ok = !atomic_load(&t->deleted);
    if (ok) fill_info(t, out);
    gr_topic_release(t);
    return ok;
}

static void each_topic(void *ud, void (*fn)(void *arg, const gr_kg_topic_info *t), void *arg) {
    gr_group_coordinator *c = ud;
    gr_topic **list = NULL;
    int n = gr_topics_list(c->svc.topics, &list);
    for (int i = 0; i < n; i++) {
        if (list[i]->internal || atomic_load(&list[i]->deleted)) continue;
        gr_kg_topic_info info;
        fill_info(list[i], &info);
        fn(arg, &info);
    }
    gr_topics_list_free(list, n);
}

/* ---- loading ------------------------------------------------------------------------------ */

static void apply_batch(gr_group_coordinator *c, int32_t partition, const uint8_t *batch, size_t size,
                        gr_arena *arena, gr_buf *scratch) {
    gr_batch_header h;
    if (gr_batch_check_crc(batch, size, &h) != GR_BATCH_OK || gr_batch_is_control(&h)) return;
    const uint8_t *data = batch;
    size_t data_size = size;
    if (gr_batch_compression(&h) != GR_COMPRESSION_NONE) {
        /* Written by another broker (we never compress): rebuild an uncompressed copy to iterate. */
        gr_buf_reset(scratch);
        gr_buf_put(scratch, batch, GR_BATCH_HEADER_BYTES);
        if (gr_decompress(gr_batch_compression(&h), batch + GR_BATCH_HEADER_BYTES,
                          size - GR_BATCH_HEADER_BYTES, scratch, LOAD_DECOMPRESS_MAX_BYTES) != 0 ||
            scratch->oom) {
            GR_WARN("group", "skipping an unreadable compressed batch in %s-%d", GR_OFFSETS_TOPIC, partition);
            return;
        }
        scratch->data[GR_BATCH_OFF_ATTRIBUTES + 1] &= (uint8_t)~GR_BATCH_ATTR_COMPRESSION_MASK;
        gr_buf_patch_i32(scratch, GR_BATCH_OFF_LENGTH, (int32_t)(scratch->len - GR_BATCH_LOG_OVERHEAD_BYTES));
        data = scratch->data;
        data_size = scratch->len;
    }
    gr_record_iter it;
    if (gr_record_iter_init(&it, data, data_size) != 0) return;
    gr_record rec;
    pthread_mutex_lock(&c->mu);
    while (gr_record_iter_next(&it, &rec) == 1) {
        gr_offsets_record r;
        if (gr_offsets_record_decode(rec.key, rec.value, arena, &r) != 0) {
            GR_WARN("group", "skipping a malformed record at %s-%d offset %lld", GR_OFFSETS_TOPIC, partition,
                    (long long)rec.offset);
            continue;
        }
        gc_apply_record(c, partition, &r);
    }
    pthread_mutex_unlock(&c->mu);
    gr_arena_free(arena);
    gr_arena_init(arena, LOAD_ARENA_BYTES);
}

void gc_load_partition(gr_group_coordinator *c, int32_t index, gr_partition_log *log) {
    int64_t offset = gr_plog_start_offset(log), end = gr_plog_end_offset(log);
    gr_arena arena;
    gr_arena_init(&arena, LOAD_ARENA_BYTES);
    gr_buf scratch;
    gr_buf_init(&scratch);
    uint8_t *buf = NULL;
    size_t cap = 0;
    while (offset < end && !atomic_load(&c->stopping)) {
        gr_read_result rr;
        gr_plog_read(log, offset, GR_OFFSETS_LOAD_READ_BYTES, true, &rr);
        if (rr.error != GR_ERR_NONE || !rr.file || rr.length <= 0) {
            if (rr.error != GR_ERR_NONE)
                GR_WARN("group", "reading %s-%d at %lld failed: %s", GR_OFFSETS_TOPIC, index,
                        (long long)offset, gr_error_name(rr.error));
            if (rr.file) gr_file_ref_release(rr.file);
            break;
        }
        if ((size_t)rr.length > cap) {
            uint8_t *nb = realloc(buf, (size_t)rr.length);
            if (!nb) {
                gr_file_ref_release(rr.file);
                break;
            }
            buf = nb;
            cap = (size_t)rr.length;
        }
        ssize_t got = pread(rr.file->fd, buf, (size_t)rr.length, rr.file_offset);
        gr_file_ref_release(rr.file);
        if (got != rr.length) break;
        size_t pos = 0;
        int64_t next = offset;
        while (pos + GR_BATCH_HEADER_BYTES <= (size_t)got) {
            gr_batch_header h;
            gr_batch_header_parse(buf + pos, &h);
            int64_t size = gr_batch_size(&h);
            if (size < GR_BATCH_HEADER_BYTES || pos + (size_t)size > (size_t)got) break;
            if (gr_batch_last_offset(&h) >= offset)
                apply_batch(c, index, buf + pos, (size_t)size, &arena, &scratch);
            next = gr_batch_last_offset(&h) + 1;
            pos += (size_t)size;
        }
        if (next <= offset) break; /* no progress: a damaged tail */
        offset = next;
    }
    free(buf);
    gr_buf_free(&scratch);
    gr_arena_free(&arena);
}

void gc_load(gr_group_coordinator *c) {
    gr_topic *t = gr_topics_get(c->svc.topics, gr_str_c(GR_OFFSETS_TOPIC));
    if (t) {
        pthread_mutex_lock(&c->topic_mu);
        if (!c->offsets_topic)
            gc_adopt_topic(c, t);
        else
            gr_topic_release(t);
        pthread_mutex_unlock(&c->topic_mu);
        int64_t started = gr_mono_ms();
        int32_t n = c->offsets_partitions;
        for (int32_t i = 0; i < n && !atomic_load(&c->stopping); i++) {
            gr_partition *p = gr_topic_partition(c->offsets_topic, i);
            if (p) gc_load_partition(c, i, p->log);
        }
        pthread_mutex_lock(&c->mu);
        uint32_t groups = c->group_count;
        pthread_mutex_unlock(&c->mu);
        GR_INFO("group", "loaded %u group(s) from %d partition(s) of %s in %lld ms", groups, n,
                GR_OFFSETS_TOPIC, (long long)(gr_mono_ms() - started));
    }
    atomic_store(&c->loaded, true);
}

static void *loader_main(void *arg) {
    gr_group_coordinator *c = arg;
    if (c->svc.clustered)
        gc_cluster_loader(c);
    else
        gc_load(c);
    return NULL;
}

int16_t gr_gc_ready(gr_group_coordinator *c) {
    return atomic_load(&c->loaded) ? GR_ERR_NONE : GR_ERR_COORDINATOR_LOAD_IN_PROGRESS;
}

/* ---- life cycle ------------------------------------------------------------------------------ */

gr_group_coordinator *gr_gc_new(const gr_gc_config *cfg, const gr_gc_services *svc) {
    gr_group_coordinator *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->cfg = *cfg;
    c->svc = *svc;
    if (c->cfg.offsets_retention_check_interval_ms <= 0)
        c->cfg.offsets_retention_check_interval_ms = OFFSETS_RETENTION_CHECK_INTERVAL_MS_DEFAULT;
    if (c->cfg.consumer_session_timeout_ms <= 0)
        c->cfg.consumer_session_timeout_ms = CONSUMER_SESSION_TIMEOUT_MS_DEFAULT;
    if (c->cfg.consumer_heartbeat_interval_ms <= 0)
        c->cfg.consumer_heartbeat_interval_ms = CONSUMER_HEARTBEAT_INTERVAL_MS_DEFAULT;
    if (c->cfg.offsets_topic_num_partitions <= 0) c->cfg.offsets_topic_num_partitions = 1;
    c->offsets_partitions = c->cfg.offsets_topic_num_partitions;
    pthread_mutex_init(&c->mu, NULL);
    pthread_mutex_init(&c->topic_mu, NULL);
    atomic_init(&c->refs, 1);
    atomic_init(&c->loaded, false);
    atomic_init(&c->stopping, false);
    atomic_init(&c->topic_ready, false);
    c->armed_at_ms = c->wanted_ms = GR_DEADLINE_NONE;
    c->classic_env = (gr_cg_env){.ud = c,
                                 .store = gc_store_classic,
                                 .deadline = classic_deadline,
                                 .initial_rebalance_delay_ms = cfg->group_initial_rebalance_delay_ms,
                                 .max_size = cfg->group_max_size};
    c->consumer_env = (gr_kg_env){.ud = c,
                                  .deadline = consumer_deadline,
                                  .topic_by_name = topic_by_name,
                                  .topic_by_id = topic_by_id,
                                  .each_topic = each_topic,
                                  .session_timeout_ms = c->cfg.consumer_session_timeout_ms,
                                  .heartbeat_interval_ms = c->cfg.consumer_heartbeat_interval_ms,
                                  .max_size = cfg->group_max_size};
    if (!grow(c) || (c->svc.clustered && !gc_cluster_init(c))) {
        free(c->buckets);
        free(c);
        return NULL;
    }
    if (c->svc.clustered) atomic_store(&c->loaded, true); /* partitions load as leadership arrives */
    if (c->svc.timer_loop) post_to_timer_loop(c, start_timers);
    if (pthread_create(&c->loader, NULL, loader_main, c) == 0) {
        c->loader_started = true;
    } else if (!c->svc.clustered) {
        gc_load(c); /* no thread: load here */
    } else {
        GR_ERROR("group", "cannot start the loader of %s", GR_OFFSETS_TOPIC);
    }
    return c;
}

void gr_gc_free(gr_group_coordinator *c) {
    if (!c) return;
    atomic_store(&c->stopping, true);
    if (c->svc.clustered) gc_cluster_wake(c);
    if (c->loader_started) pthread_join(c->loader, NULL);
    if (c->svc.clustered) gc_cluster_free(c);
    pthread_mutex_lock(&c->mu);
    for (uint32_t b = 0; b < c->bucket_count; b++) {
        gr_group *g = c->buckets[b];
        while (g) {
            gr_group *next = g->next;
            free_state(g); /* cancels parked requests */
            gr_offsets_free(&g->offsets);
            free(g->id);
            free(g);
            g = next;
        }
    }
    free(c->buckets);
    c->buckets = NULL;
    c->bucket_count = 0;
    c->group_count = 0;
    pthread_mutex_unlock(&c->mu);
    if (c->offsets_topic) gr_topic_release(c->offsets_topic);
    c->offsets_topic = NULL;
    coord_unref(c);
}
