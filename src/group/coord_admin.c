/*
 * coord_admin.c: ListGroups, DescribeGroups and DeleteGroups: what
 * kafka-consumer-groups and admin clients use to look at and clean up groups.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "group/coordinator_internal.h"
#include "proto/errors.h"

/* Without an authorizer every group operation is allowed: READ(3), DELETE(6), DESCRIBE(8),
   DESCRIBE_CONFIGS(10), ALTER_CONFIGS(11), as Kafka 4 lists them. */
#define GROUP_AUTHORIZED_OPERATIONS ((1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11))
#define AUTHORIZED_OPERATIONS_OMITTED INT32_MIN

static gr_str arena_copy(gr_arena *a, const char *s) {
    if (!s) return (gr_str){"", 0};
    size_t n = strlen(s);
    char *p = gr_arena_strndup(a, s, n);
    return p ? (gr_str){p, (int32_t)n} : (gr_str){"", 0};
}

static gr_bytes arena_bytes(gr_arena *a, const uint8_t *data, int32_t len) {
    if (len <= 0) return (gr_bytes){(const uint8_t *)"", 0};
    uint8_t *p = gr_arena_alloc(a, (size_t)len);
    if (!p) return (gr_bytes){(const uint8_t *)"", 0};
    memcpy(p, data, (size_t)len);
    return (gr_bytes){p, len};
}

static bool str_ieq(gr_str a, const char *b) {
    size_t n = strlen(b);
    if (a.len < 0 || (size_t)a.len != n) return false;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)a.ptr[i]) != tolower((unsigned char)b[i])) return false;
    return true;
}

static bool matches_filter(const gr_str *items, int32_t count, const char *value) {
    if (count <= 0) return true; /* no filter */
    for (int32_t i = 0; i < count; i++)
        if (str_ieq(items[i], value)) return true;
    return false;
}

int16_t gr_gc_list_groups(gr_group_coordinator *c, const gr_list_groups_request *in, int16_t version,
                          gr_arena *a, gr_list_groups_response *out) {
    out->groups.count = 0;
    int16_t err = gr_gc_ready(c);
    if (err != GR_ERR_NONE) return err;
    pthread_mutex_lock(&c->mu);
    out->groups.items = gr_arena_calloc(a, c->group_count ? c->group_count : 1, sizeof *out->groups.items);
    if (!out->groups.items) {
        pthread_mutex_unlock(&c->mu);
        return GR_ERR_UNKNOWN_SERVER_ERROR;
    }
    int32_t n = 0;
    for (uint32_t b = 0; b < c->bucket_count; b++) {
        for (gr_group *g = c->buckets[b]; g; g = g->next) {
            const char *state = gc_group_state_name(g);
            const char *type = g->type == GR_GROUP_CLASSIC ? "classic" : "consumer";
            if (g->type == GR_GROUP_CLASSIC && g->classic->state == GR_CG_DEAD) continue;
            if (version >= 4 && !matches_filter(in->states_filter.items, in->states_filter.count, state))
                continue;
            if (version >= 5 && !matches_filter(in->types_filter.items, in->types_filter.count, type))
                continue;
            gr_list_groups_response_listed_group *lg = &out->groups.items[n++];
            gr_list_groups_response_listed_group_init(lg);
            lg->group_id = arena_copy(a, g->id);
            lg->protocol_type =
                arena_copy(a, g->type == GR_GROUP_CLASSIC ? g->classic->protocol_type : "consumer");
            lg->group_state = arena_copy(a, state);
            lg->group_type = arena_copy(a, type);
        }
    }
    out->groups.count = n;
    pthread_mutex_unlock(&c->mu);
    return GR_ERR_NONE;
}

static void describe_classic(gr_arena *a, const gr_cg_group *cg,
                             gr_describe_groups_response_described_group *d) {
    bool stable = cg->state == GR_CG_STABLE && cg->protocol_name;
    d->group_state = arena_copy(a, gr_cg_state_name(cg->state));
    d->protocol_type = arena_copy(a, cg->protocol_type);
    d->protocol_data = stable ? arena_copy(a, cg->protocol_name) : (gr_str){"", 0};
    int32_t n = cg->member_count;
    d->members.items = gr_arena_calloc(a, (size_t)(n ? n : 1), sizeof *d->members.items);
    d->members.count = d->members.items ? n : 0;
    for (int32_t i = 0; i < d->members.count; i++) {
        const gr_cg_member *m = cg->members[i];
        gr_describe_groups_response_described_group_member *dm = &d->members.items[i];
        gr_describe_groups_response_described_group_member_init(dm);
        dm->member_id = arena_copy(a, m->member_id);
        dm->group_instance_id = m->instance_id ? arena_copy(a, m->instance_id) : (gr_str){NULL, -1};
        dm->client_id = arena_copy(a, m->client_id);
        dm->client_host = arena_copy(a, m->client_host);
        dm->member_metadata = (gr_bytes){(const uint8_t *)"", 0};
        dm->member_assignment = (gr_bytes){(const uint8_t *)"", 0};
        if (stable) {
            /* Only a stable group shows what each member subscribed and got. */
            const gr_cg_protocol *p = gr_cg_member_protocol(m, cg->protocol_name);
            if (p) dm->member_metadata = arena_bytes(a, p->metadata, p->metadata_len);
            dm->member_assignment = arena_bytes(a, m->assignment, m->assignment_len);
        }
    }
}

void gr_gc_describe_groups(gr_group_coordinator *c, const gr_describe_groups_request *in, gr_arena *a,
                           gr_describe_groups_response *out) {
    int32_t n = in->groups.count > 0 ? in->groups.count : 0;
    out->groups.items = gr_arena_calloc(a, (size_t)(n ? n : 1), sizeof *out->groups.items);
    out->groups.count = out->groups.items ? n : 0;
    pthread_mutex_lock(&c->mu);
    for (int32_t i = 0; i < out->groups.count; i++) {
        gr_describe_groups_response_described_group *d = &out->groups.items[i];
        gr_describe_groups_response_described_group_init(d);
        d->group_id = in->groups.items[i];
        d->group_state = (gr_str){"Dead", 4};
        d->protocol_type = d->protocol_data = (gr_str){"", 0};
        d->members.count = 0;
        d->authorized_operations =
            in->include_authorized_operations ? GROUP_AUTHORIZED_OPERATIONS : AUTHORIZED_OPERATIONS_OMITTED;
        int16_t ready = gr_gc_group_ready(c, d->group_id);
        if (ready != GR_ERR_NONE) {
            d->error_code = ready;
            continue;
        }
        gr_group *g = gc_group_find(c, in->groups.items[i]);
        /* Unknown groups and KIP-848 groups (ConsumerGroupDescribe's business) read as Dead. */
        if (g && g->type == GR_GROUP_CLASSIC) describe_classic(a, g->classic, d);
    }
    pthread_mutex_unlock(&c->mu);
}

/* Writes tombstones for everything the group has and forgets it. Returns the error code. */
static int16_t delete_one(gr_group_coordinator *c, gr_group *g, gr_partition_log **log) {
    gr_offsets_batch ob;
    gr_offsets_batch_begin(&ob, gr_wall_ms());
    gr_str id = {g->id, g->id_len};
    uint32_t n = 0;
    gr_committed **all = gr_offsets_sorted(&g->offsets, &n);
    if (!all) {
        gr_offsets_batch_free(&ob);
        return GR_ERR_UNKNOWN_SERVER_ERROR;
    }
    for (uint32_t i = 0; i < n; i++)
        gr_offsets_batch_add_offset(&ob, id, (gr_str){all[i]->topic, all[i]->topic_len}, all[i]->partition,
                                    NULL);
    free(all);
    gr_offsets_batch_add_group(&ob, id, NULL);
    if (g->type == GR_GROUP_CONSUMER) gr_offsets_batch_add_consumer_group(&ob, id, true, 0);
    int16_t err = gc_append(c, g->partition, &ob, log);
    gr_offsets_batch_free(&ob);
    if (err == GR_ERR_INVALID_COMMIT_OFFSET_SIZE) err = GR_ERR_UNKNOWN_SERVER_ERROR;
    if (err != GR_ERR_NONE) return err;
    GR_INFO("group", "deleted group %s (%u offset(s))", g->id, n);
    gc_group_delete(c, g);
    return GR_ERR_NONE;
}

bool gr_gc_delete_groups(gr_group_coordinator *c, const gr_str *ids, int32_t count, int16_t *errors,
                         gr_flush_done_fn done, void *ud) {
    gr_partition_log **logs = calloc((size_t)(count > 0 ? count : 1), sizeof *logs);
    if (!logs) {
        for (int32_t i = 0; i < count; i++) errors[i] = GR_ERR_UNKNOWN_SERVER_ERROR;
        return false;
    }
    int nlogs = 0;
    pthread_mutex_lock(&c->mu);
    for (int32_t i = 0; i < count; i++) {
        gr_group *g;
        int16_t ready = gr_gc_group_ready(c, ids[i]);
        if (ready != GR_ERR_NONE)
            errors[i] = ready;
        else if (ids[i].len <= 0)
            errors[i] = GR_ERR_INVALID_GROUP_ID;
        else if (!(g = gc_group_find(c, ids[i])) ||
                 (g->type == GR_GROUP_CLASSIC && g->classic->state == GR_CG_DEAD))
            errors[i] = GR_ERR_GROUP_ID_NOT_FOUND;
        else if (g->type == GR_GROUP_CLASSIC ? g->classic->state != GR_CG_EMPTY
                                             : gr_kg_member_count(g->consumer) > 0)
            errors[i] = GR_ERR_NON_EMPTY_GROUP;
        else {
            gr_partition_log *log = NULL;
            errors[i] = delete_one(c, g, &log);
            if (log) logs[nlogs++] = log;
        }
    }
    pthread_mutex_unlock(&c->mu);
    bool wait = nlogs > 0;
    if (wait) gc_flush(c, logs, nlogs, done, ud);
    free(logs);
    return wait;
}
