/*
 * coord_offsets.c: committed offsets: OffsetCommit (answered once the records
 * are on disk), OffsetFetch, OffsetDelete, and the periodic expiry of offsets
 * of groups nobody uses any more (offsets.retention.minutes).
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/limits.h"
#include "base/log.h"
#include "group/coordinator_internal.h"
#include "proto/errors.h"

#define CONSUMER_PROTOCOL_TYPE "consumer"

/* Sets err on every partition not already refused by the caller. */
static void set_all_errors(gr_offset_commit_response *out, int16_t err) {
    for (int32_t t = 0; t < out->topics.count; t++)
        for (int32_t p = 0; p < out->topics.items[t].partitions.count; p++)
            if (out->topics.items[t].partitions.items[p].error_code == GR_ERR_NONE)
                out->topics.items[t].partitions.items[p].error_code = err;
}

static int16_t validate_commit(gr_group *g, const gr_offset_commit_request *in, int16_t version,
                               int64_t now_ms) {
    if (g->type == GR_GROUP_CLASSIC)
        return gr_cg_validate_commit(g->classic, in->member_id, in->group_instance_id,
                                     in->generation_id_or_member_epoch, false, now_ms);
    return gr_kg_validate_commit(g->consumer, in->member_id, in->group_instance_id,
                                 in->generation_id_or_member_epoch, version);
}

bool gr_gc_commit_offsets(gr_group_coordinator *c, const gr_offset_commit_request *in, int16_t version,
                          gr_offset_commit_response *out, gr_flush_done_fn done, void *ud) {
    int16_t err = gr_gc_group_ready(c, in->group_id);
    if (err == GR_ERR_NONE && (in->group_id.len < 0 || in->group_id.len > GR_GROUP_ID_MAX_BYTES))
        err = GR_ERR_INVALID_GROUP_ID;
    if (err == GR_ERR_NONE) err = gr_gc_ensure_offsets_topic(c);
    if (err != GR_ERR_NONE) {
        set_all_errors(out, err);
        return false;
    }
    pthread_mutex_lock(&c->mu);
    gr_group *g = gc_group_find(c, in->group_id);
    if (!g) {
        if (in->generation_id_or_member_epoch < 0) {
            /* A consumer without group management (or an admin tool) commits for a new group. */
            g = gc_group_get_or_create(c, in->group_id, GR_GROUP_CLASSIC);
            if (!g) err = GR_ERR_COORDINATOR_NOT_AVAILABLE;
        } else {
            err = GR_ERR_ILLEGAL_GENERATION; /* a generation of a group that does not exist */
        }
    }
    if (err == GR_ERR_NONE) err = validate_commit(g, in, version, gr_mono_ms());
    if (err != GR_ERR_NONE) {
        pthread_mutex_unlock(&c->mu);
        set_all_errors(out, err);
        return false;
    }
    int64_t now = gr_wall_ms();
    int64_t expire =
        version >= 2 && version <= 4 && in->retention_time_ms >= 0 ? now + in->retention_time_ms : -1;
    gr_offsets_batch ob;
    gr_offsets_batch_begin(&ob, now);
    for (int32_t t = 0; t < in->topics.count; t++) {
        const gr_offset_commit_request_offset_commit_request_topic *it = &in->topics.items[t];
        for (int32_t p = 0; p < it->partitions.count; p++) {
            const gr_offset_commit_request_offset_commit_request_partition *ip = &it->partitions.items[p];
            gr_offset_commit_response_offset_commit_response_partition *op =
                &out->topics.items[t].partitions.items[p];
            if (op->error_code != GR_ERR_NONE) continue; /* refused by the caller (unknown partition) */
            if (ip->committed_metadata.len > GR_OFFSET_METADATA_MAX_BYTES) {
                op->error_code = GR_ERR_OFFSET_METADATA_TOO_LARGE;
                continue;
            }
            gr_offset_value v = {.offset = ip->committed_offset,
                                 .leader_epoch = version >= 6 ? ip->committed_leader_epoch : -1,
                                 .metadata = ip->committed_metadata,
                                 .commit_timestamp_ms = now,
                                 .expire_timestamp_ms = expire};
            gr_offsets_batch_add_offset(&ob, in->group_id, it->name, ip->partition_index, &v);
            op->error_code = GR_ERR_NONE;
        }
    }
    gr_partition_log *log = NULL;
    err = gc_append(c, g->partition, &ob, &log);
    gr_offsets_batch_free(&ob);
    for (int32_t t = 0; t < in->topics.count; t++) {
        const gr_offset_commit_request_offset_commit_request_topic *it = &in->topics.items[t];
        for (int32_t p = 0; p < it->partitions.count; p++) {
            const gr_offset_commit_request_offset_commit_request_partition *ip = &it->partitions.items[p];
            gr_offset_commit_response_offset_commit_response_partition *op =
                &out->topics.items[t].partitions.items[p];
            if (op->error_code != GR_ERR_NONE) continue;
            if (err != GR_ERR_NONE) {
                op->error_code = err;
                continue;
            }
            gr_offset_value v = {.offset = ip->committed_offset,
                                 .leader_epoch = version >= 6 ? ip->committed_leader_epoch : -1,
                                 .metadata = ip->committed_metadata,
                                 .commit_timestamp_ms = now,
                                 .expire_timestamp_ms = expire};
            if (gr_offsets_put(&g->offsets, it->name, ip->partition_index, &v) != 0)
                op->error_code = GR_ERR_UNKNOWN_SERVER_ERROR; /* on disk, but over our in-memory cap */
        }
    }
    pthread_mutex_unlock(&c->mu);
    if (err != GR_ERR_NONE || !log) return false;
    gc_flush(c, &log, 1, done, ud);
    return true;
}

static gr_str arena_str(gr_arena *a, const char *s, size_t n) {
    char *p = gr_arena_strndup(a, s, n);
    return p ? (gr_str){p, (int32_t)n} : (gr_str){"", 0};
}

static void fill_fetched(gr_arena *a, gr_gc_fetched *f, const gr_committed *e) {
    if (!e) {
        f->offset = -1;
        f->leader_epoch = -1;
        f->metadata = (gr_str){"", 0};
        return;
    }
    f->offset = e->offset;
    f->leader_epoch = e->leader_epoch;
    f->metadata = arena_str(a, e->metadata, strlen(e->metadata));
}

int16_t gr_gc_fetch_offsets(gr_group_coordinator *c, gr_str group_id, gr_str member_id, int32_t member_epoch,
                            const gr_gc_offset_query *topics, int32_t topic_count, gr_arena *a,
                            gr_gc_fetched **out, int32_t *count) {
    *out = NULL;
    *count = 0;
    int16_t err = gr_gc_group_ready(c, group_id);
    if (err != GR_ERR_NONE) return err;
    pthread_mutex_lock(&c->mu);
    gr_group *g = gc_group_find(c, group_id);
    if (g && g->type == GR_GROUP_CONSUMER && (member_id.len >= 0 || member_epoch >= 0)) {
        err = gr_kg_validate_fetch(g->consumer, member_id, member_epoch);
        if (err != GR_ERR_NONE) {
            pthread_mutex_unlock(&c->mu);
            return err;
        }
    }
    if (topic_count < 0) {
        uint32_t n = 0;
        gr_committed **all = g ? gr_offsets_sorted(&g->offsets, &n) : NULL;
        gr_gc_fetched *f = gr_arena_calloc(a, n ? n : 1, sizeof *f);
        if (!f || (g && !all)) {
            free(all);
            pthread_mutex_unlock(&c->mu);
            return GR_ERR_UNKNOWN_SERVER_ERROR;
        }
        for (uint32_t i = 0; i < n; i++) {
            f[i].topic = arena_str(a, all[i]->topic, (size_t)all[i]->topic_len);
            f[i].partition = all[i]->partition;
            fill_fetched(a, &f[i], all[i]);
        }
        free(all);
        *out = f;
        *count = (int32_t)n;
    } else {
        int64_t total = 0;
        for (int32_t t = 0; t < topic_count; t++)
            total += topics[t].partition_count > 0 ? topics[t].partition_count : 0;
        gr_gc_fetched *f = gr_arena_calloc(a, (size_t)(total ? total : 1), sizeof *f);
        if (!f) {
            pthread_mutex_unlock(&c->mu);
            return GR_ERR_UNKNOWN_SERVER_ERROR;
        }
        int32_t k = 0;
        for (int32_t t = 0; t < topic_count; t++) {
            for (int32_t p = 0; p < topics[t].partition_count; p++, k++) {
                f[k].topic = topics[t].topic;
                f[k].partition = topics[t].partitions[p];
                fill_fetched(a, &f[k],
                             g ? gr_offsets_get(&g->offsets, topics[t].topic, f[k].partition) : NULL);
            }
        }
        *out = f;
        *count = k;
    }
    pthread_mutex_unlock(&c->mu);
    return GR_ERR_NONE;
}

/* Whether OffsetDelete may drop the topic's offsets while members are around. */
static bool subscribed(const gr_group *g, gr_str topic) {
    return g->type == GR_GROUP_CLASSIC ? gr_cg_is_subscribed(g->classic, topic)
                                       : gr_kg_is_subscribed(g->consumer, topic);
}

/* OffsetDelete's group-level answer: 0 = check each partition, else the error. */
static int16_t delete_offsets_scope(const gr_group *g, bool *all_eligible) {
    *all_eligible = false;
    if (g->type == GR_GROUP_CONSUMER) {
        *all_eligible = gr_kg_member_count(g->consumer) == 0;
        return GR_ERR_NONE;
    }
    const gr_cg_group *cg = g->classic;
    switch (cg->state) {
    case GR_CG_DEAD:
        return GR_ERR_GROUP_ID_NOT_FOUND;
    case GR_CG_EMPTY:
        *all_eligible = true;
        return GR_ERR_NONE;
    default:
        if (cg->protocol_type && !strcmp(cg->protocol_type, CONSUMER_PROTOCOL_TYPE)) return GR_ERR_NONE;
        return GR_ERR_NON_EMPTY_GROUP;
    }
}

bool gr_gc_delete_offsets(gr_group_coordinator *c, const gr_offset_delete_request *in, gr_arena *a,
                          gr_offset_delete_response *out, gr_flush_done_fn done, void *ud) {
    out->topics.count = 0;
    int16_t err = gr_gc_group_ready(c, in->group_id);
    if (err == GR_ERR_NONE && in->group_id.len < 0) err = GR_ERR_INVALID_GROUP_ID;
    if (err != GR_ERR_NONE) {
        out->error_code = err;
        return false;
    }
    pthread_mutex_lock(&c->mu);
    gr_group *g = gc_group_find(c, in->group_id);
    bool all_eligible = false;
    err = g ? delete_offsets_scope(g, &all_eligible) : GR_ERR_GROUP_ID_NOT_FOUND;
    if (err != GR_ERR_NONE) {
        pthread_mutex_unlock(&c->mu);
        out->error_code = err;
        return false;
    }
    int32_t nt = in->topics.count > 0 ? in->topics.count : 0;
    out->topics.items = gr_arena_calloc(a, (size_t)(nt ? nt : 1), sizeof *out->topics.items);
    if (!out->topics.items) {
        pthread_mutex_unlock(&c->mu);
        out->error_code = GR_ERR_UNKNOWN_SERVER_ERROR;
        return false;
    }
    out->topics.count = nt;
    gr_offsets_batch ob;
    gr_offsets_batch_begin(&ob, gr_wall_ms());
    for (int32_t t = 0; t < nt; t++) {
        const gr_offset_delete_request_offset_delete_request_topic *it = &in->topics.items[t];
        gr_offset_delete_response_offset_delete_response_topic *ot = &out->topics.items[t];
        gr_offset_delete_response_offset_delete_response_topic_init(ot);
        ot->name = it->name;
        int32_t np = it->partitions.count > 0 ? it->partitions.count : 0;
        ot->partitions.items = gr_arena_calloc(a, (size_t)(np ? np : 1), sizeof *ot->partitions.items);
        ot->partitions.count = ot->partitions.items ? np : 0;
        bool in_use = !all_eligible && subscribed(g, it->name);
        for (int32_t p = 0; p < ot->partitions.count; p++) {
            int32_t idx = it->partitions.items[p].partition_index;
            ot->partitions.items[p].partition_index = idx;
            if (in_use) {
                ot->partitions.items[p].error_code = GR_ERR_GROUP_SUBSCRIBED_TO_TOPIC;
                continue;
            }
            if (gr_offsets_get(&g->offsets, it->name, idx))
                gr_offsets_batch_add_offset(&ob, in->group_id, it->name, idx, NULL);
        }
    }
    gr_partition_log *log = NULL;
    err = gc_append(c, g->partition, &ob, &log);
    gr_offsets_batch_free(&ob);
    for (int32_t t = 0; t < nt; t++) {
        gr_offset_delete_response_offset_delete_response_topic *ot = &out->topics.items[t];
        for (int32_t p = 0; p < ot->partitions.count; p++) {
            if (ot->partitions.items[p].error_code != GR_ERR_NONE) continue;
            if (err != GR_ERR_NONE)
                ot->partitions.items[p].error_code = err;
            else
                gr_offsets_remove(&g->offsets, ot->name, ot->partitions.items[p].partition_index);
        }
    }
    pthread_mutex_unlock(&c->mu);
    if (err != GR_ERR_NONE || !log) return false;
    gc_flush(c, &log, 1, done, ud);
    return true;
}

void gr_gc_topic_deleted(gr_group_coordinator *c, gr_str topic) {
    if (!c || topic.len <= 0 || gr_gc_ready(c) != GR_ERR_NONE) return;
    pthread_mutex_lock(&c->mu);
    int64_t now = gr_wall_ms();
    for (uint32_t b = 0; b < c->bucket_count; b++) {
        for (gr_group *g = c->buckets[b]; g; g = g->next) {
            if (!gr_offsets_has_topic(&g->offsets, topic)) continue;
            uint32_t n = 0;
            gr_committed **all = gr_offsets_sorted(&g->offsets, &n);
            if (!all) continue;
            gr_offsets_batch ob;
            gr_offsets_batch_begin(&ob, now);
            gr_str id = {g->id, g->id_len};
            uint32_t k = 0;
            for (uint32_t i = 0; i < n; i++) {
                if (all[i]->topic_len != topic.len ||
                    memcmp(all[i]->topic, topic.ptr, (size_t)topic.len) != 0)
                    continue;
                gr_offsets_batch_add_offset(&ob, id, topic, all[i]->partition, NULL);
                all[k++] = all[i];
            }
            gr_partition_log *log;
            if (gc_append(c, g->partition, &ob, &log) == GR_ERR_NONE) {
                if (log) gc_flush(c, &log, 1, NULL, NULL);
                for (uint32_t i = 0; i < k; i++) gr_offsets_remove(&g->offsets, topic, all[i]->partition);
            }
            gr_offsets_batch_free(&ob);
            free(all);
        }
    }
    pthread_mutex_unlock(&c->mu);
}

/* ---- expiry ------------------------------------------------------------------------------- */

static bool offset_expired(const gr_committed *e, int64_t base_ms, int64_t now_ms, int64_t retention_ms) {
    if (e->expire_timestamp_ms >= 0) return now_ms >= e->expire_timestamp_ms; /* explicit retention (v2-4) */
    return now_ms - base_ms >= retention_ms;
}

/* The group's offsets that are due for expiry (pointers into its table; caller frees the array). */
static gr_committed **collect_expired(gr_group_coordinator *c, gr_group *g, int64_t now_ms, uint32_t *count) {
    *count = 0;
    bool all_unused = false, use_state_time = false;
    int64_t state_ms = 0;
    if (g->type == GR_GROUP_CLASSIC) {
        const gr_cg_group *cg = g->classic;
        if (!cg->protocol_type || !cg->protocol_type[0]) {
            all_unused = true; /* offsets only: each expires by its own commit time */
        } else if (cg->state == GR_CG_EMPTY) {
            all_unused = use_state_time = true; /* counted from when the group became empty */
            state_ms = cg->state_timestamp_ms;
        } else if (!(cg->state == GR_CG_STABLE && cg->subscribed_known &&
                     !strcmp(cg->protocol_type, CONSUMER_PROTOCOL_TYPE))) {
            return NULL; /* members are using the offsets */
        }
    } else {
        all_unused = gr_kg_member_count(g->consumer) == 0;
    }
    uint32_t n = 0;
    gr_committed **all = gr_offsets_sorted(&g->offsets, &n);
    if (!all) return NULL;
    for (uint32_t i = 0; i < n; i++) {
        gr_committed *e = all[i];
        gr_str topic = {e->topic, e->topic_len};
        if (!all_unused && subscribed(g, topic)) continue; /* topics in use never expire */
        int64_t base =
            use_state_time && state_ms > e->commit_timestamp_ms ? state_ms : e->commit_timestamp_ms;
        if (offset_expired(e, base, now_ms, c->cfg.offsets_retention_ms)) all[(*count)++] = e;
    }
    return all;
}

/* Forgets a group with neither members nor offsets (tombstone for its metadata). */
static bool drop_if_unused(gr_group_coordinator *c, gr_group *g, int64_t now_ms) {
    if (!gc_group_is_empty(g)) return false;
    gr_offsets_batch tomb;
    gr_offsets_batch_begin(&tomb, now_ms);
    gr_str id = {g->id, g->id_len};
    if (g->type == GR_GROUP_CLASSIC)
        gr_offsets_batch_add_group(&tomb, id, NULL);
    else
        gr_offsets_batch_add_consumer_group(&tomb, id, true, 0);
    gr_partition_log *log;
    bool ok = gc_append(c, g->partition, &tomb, &log) == GR_ERR_NONE;
    gr_offsets_batch_free(&tomb);
    if (!ok) return false;
    if (log) gc_flush(c, &log, 1, NULL, NULL);
    gc_group_delete(c, g);
    return true;
}

void gc_expire_offsets(gr_group_coordinator *c, int64_t now_ms) {
    uint32_t total = 0, groups_gone = 0;
    for (uint32_t b = 0; b < c->bucket_count; b++) {
        gr_group *g = c->buckets[b];
        while (g) {
            gr_group *next = g->next;
            uint32_t n = 0;
            gr_committed **expired = g->offsets.count ? collect_expired(c, g, now_ms, &n) : NULL;
            if (n) {
                gr_offsets_batch ob;
                gr_offsets_batch_begin(&ob, now_ms);
                gr_str id = {g->id, g->id_len};
                for (uint32_t i = 0; i < n; i++)
                    gr_offsets_batch_add_offset(&ob, id, (gr_str){expired[i]->topic, expired[i]->topic_len},
                                                expired[i]->partition, NULL);
                gr_partition_log *log;
                if (gc_append(c, g->partition, &ob, &log) == GR_ERR_NONE) {
                    if (log) gc_flush(c, &log, 1, NULL, NULL);
                    for (uint32_t i = 0; i < n; i++)
                        gr_offsets_remove(&g->offsets, (gr_str){expired[i]->topic, expired[i]->topic_len},
                                          expired[i]->partition);
                    total += n;
                }
                gr_offsets_batch_free(&ob);
            }
            free(expired);
            if (drop_if_unused(c, g, now_ms)) groups_gone++;
            g = next;
        }
    }
    if (total || groups_gone)
        GR_INFO("group", "expired %u offset(s); removed %u unused group(s)", total, groups_gone);
}
