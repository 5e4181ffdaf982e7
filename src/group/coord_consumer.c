/*
 * coord_consumer.c: ConsumerGroupHeartbeat and ConsumerGroupDescribe: group
 * lookup and type checks around the KIP-848 group logic (consumer.c).
 */
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "group/coordinator_internal.h"
#include "proto/errors.h"

typedef struct persist_ctx {
    gr_offsets_batch *ob;
    gr_str group;
} persist_ctx;

static void persist_member(void *ud, gr_str member_id, const gr_consumer_group_member_metadata_value *meta,
                           const gr_consumer_group_current_member_assignment_value *assignment,
                           bool removed) {
    persist_ctx *p = ud;
    if (removed) {
        gr_offsets_batch_add_cg_member(p->ob, p->group, member_id, NULL);
        gr_offsets_batch_add_cg_assignment(p->ob, p->group, member_id, NULL);
        return;
    }
    if (meta) gr_offsets_batch_add_cg_member(p->ob, p->group, member_id, meta);
    if (assignment) gr_offsets_batch_add_cg_assignment(p->ob, p->group, member_id, assignment);
}

void gc_persist_consumer(gr_group_coordinator *c, gr_group *g, bool epoch_moved) {
    if (!epoch_moved && !gr_kg_has_changes(g->consumer)) return;
    gr_offsets_batch ob;
    gr_offsets_batch_begin(&ob, gr_wall_ms());
    gr_str id = {g->id, g->id_len};
    if (epoch_moved) gr_offsets_batch_add_consumer_group(&ob, id, false, gr_kg_epoch(g->consumer));
    gr_arena a;
    gr_arena_init(&a, 0);
    persist_ctx p = {&ob, id};
    gr_kg_drain_changes(g->consumer, &a, persist_member, &p);
    gr_partition_log *log;
    if (gc_append(c, g->partition, &ob, &log) == GR_ERR_NONE && log) gc_flush(c, &log, 1, NULL, NULL);
    gr_arena_free(&a);
    gr_offsets_batch_free(&ob);
}

static void heartbeat_fail(gr_arena *a, gr_consumer_group_heartbeat_response *out, int16_t err,
                           const char *msg) {
    out->error_code = err;
    if (msg) {
        size_t n = strlen(msg);
        char *p = gr_arena_strndup(a, msg, n);
        if (p) out->error_message = (gr_str){p, (int32_t)n};
    }
}

void gr_gc_consumer_heartbeat(gr_group_coordinator *c, const gr_consumer_group_heartbeat_request *in,
                              int16_t version, const gr_gc_client *client, gr_arena *a,
                              gr_consumer_group_heartbeat_response *out) {
    if (in->group_id.len <= 0) {
        heartbeat_fail(a, out, GR_ERR_INVALID_REQUEST, "GroupId can't be empty.");
        return;
    }
    int16_t err = gr_gc_group_ready(c, in->group_id);
    if (err == GR_ERR_NONE) err = gr_gc_ensure_offsets_topic(c);
    if (err != GR_ERR_NONE) {
        heartbeat_fail(a, out, err, NULL);
        return;
    }
    pthread_mutex_lock(&c->mu);
    gr_group *g = gc_group_find(c, in->group_id);
    if (!g) {
        if (in->member_epoch != 0) {
            pthread_mutex_unlock(&c->mu);
            heartbeat_fail(a, out, GR_ERR_UNKNOWN_MEMBER_ID, "The group does not exist.");
            return;
        }
        g = gc_group_get_or_create(c, in->group_id, GR_GROUP_CONSUMER);
        if (!g) {
            pthread_mutex_unlock(&c->mu);
            heartbeat_fail(a, out, GR_ERR_COORDINATOR_NOT_AVAILABLE, NULL);
            return;
        }
    }
    if (g->type == GR_GROUP_CLASSIC) {
        /* An empty classic group (offsets only, or everyone left) becomes a consumer group. */
        bool empty = g->classic->state == GR_CG_EMPTY && g->classic->member_count == 0;
        if (!empty || !gc_group_convert(c, g, GR_GROUP_CONSUMER)) {
            pthread_mutex_unlock(&c->mu);
            heartbeat_fail(a, out, GR_ERR_GROUP_ID_NOT_FOUND, "Group is not a consumer group.");
            return;
        }
    }
    gr_kg_client kc = {client->client_id, client->client_host};
    bool moved = gr_kg_heartbeat(g->consumer, in, version, &kc, gr_mono_ms(), a, out);
    gc_persist_consumer(c, g, moved);
    pthread_mutex_unlock(&c->mu);
}

void gr_gc_consumer_describe(gr_group_coordinator *c, const gr_consumer_group_describe_request *in,
                             gr_arena *a, gr_consumer_group_describe_response *out) {
    int32_t n = in->group_ids.count > 0 ? in->group_ids.count : 0;
    out->groups.items = gr_arena_calloc(a, (size_t)(n ? n : 1), sizeof *out->groups.items);
    out->groups.count = out->groups.items ? n : 0;
    pthread_mutex_lock(&c->mu);
    for (int32_t i = 0; i < out->groups.count; i++) {
        gr_consumer_group_describe_response_described_group *d = &out->groups.items[i];
        gr_consumer_group_describe_response_described_group_init(d);
        d->group_id = in->group_ids.items[i];
        d->members.count = 0;
        int16_t ready = gr_gc_group_ready(c, d->group_id);
        if (ready != GR_ERR_NONE) {
            d->error_code = ready;
            continue;
        }
        gr_group *g = gc_group_find(c, in->group_ids.items[i]);
        if (!g || g->type != GR_GROUP_CONSUMER) {
            d->error_code = GR_ERR_GROUP_ID_NOT_FOUND;
            const char *msg = g ? "Group is not a consumer group." : "Group does not exist.";
            char *p = gr_arena_strndup(a, msg, strlen(msg));
            if (p) d->error_message = (gr_str){p, (int32_t)strlen(msg)};
            continue;
        }
        gr_kg_describe(g->consumer, a, d);
        if (in->include_authorized_operations)
            d->authorized_operations = (1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11);
    }
    pthread_mutex_unlock(&c->mu);
}
