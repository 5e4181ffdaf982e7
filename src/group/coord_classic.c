/*
 * coord_classic.c: JoinGroup, SyncGroup, Heartbeat and LeaveGroup: the checks
 * Kafka makes before a request reaches a group (loading, group id, session
 * timeout bounds, group type), then the classic state machine (classic.c).
 */
#include <stdlib.h>

#include "base/clock.h"
#include "base/limits.h"
#include "group/coordinator_internal.h"
#include "proto/errors.h"

static const gr_str NULL_STR = {NULL, -1};
static const gr_str EMPTY_STR = {"", 0};

static void join_fail(gr_cg_waiter *w, int16_t error, gr_str member_id) {
    gr_cg_join_result r = {.error = error,
                           .member_id = member_id.len >= 0 ? member_id : EMPTY_STR,
                           .generation = -1,
                           .protocol_type = NULL_STR,
                           .protocol_name = EMPTY_STR,
                           .leader = EMPTY_STR};
    w->join_done(w, &r);
}

static void sync_fail(gr_cg_waiter *w, int16_t error) {
    gr_cg_sync_result r = {.error = error, .protocol_type = NULL_STR, .protocol_name = NULL_STR};
    w->sync_done(w, &r);
}

/* Protocol lists and metadata are kept while the group lives: bound them. */
static bool join_sizes_ok(const gr_join_group_request *in) {
    if (in->protocols.count > GR_GROUP_PROTOCOLS_MAX) return false;
    for (int32_t i = 0; i < in->protocols.count; i++)
        if (in->protocols.items[i].metadata.len > GR_GROUP_METADATA_MAX_BYTES) return false;
    return true;
}

void gr_gc_join_group(gr_group_coordinator *c, const gr_join_group_request *in, int16_t version,
                      const gr_gc_client *client, gr_cg_waiter *w) {
    /* Checked in Kafka's order: the request itself first, then whether groups are loaded. */
    int16_t err = GR_ERR_NONE;
    if (in->group_id.len <= 0)
        err = GR_ERR_INVALID_GROUP_ID;
    else if (in->session_timeout_ms < c->cfg.group_min_session_timeout_ms ||
             in->session_timeout_ms > c->cfg.group_max_session_timeout_ms)
        err = GR_ERR_INVALID_SESSION_TIMEOUT;
    else if (!join_sizes_ok(in))
        err = GR_ERR_INVALID_REQUEST;
    else
        err = gr_gc_group_ready(c, in->group_id);
    if (err == GR_ERR_NONE) err = gr_gc_ensure_offsets_topic(c);
    if (err != GR_ERR_NONE) {
        join_fail(w, err, in->member_id);
        return;
    }
    int32_t n = in->protocols.count > 0 ? in->protocols.count : 0;
    gr_str names[GR_GROUP_PROTOCOLS_MAX];
    gr_bytes metadata[GR_GROUP_PROTOCOLS_MAX];
    for (int32_t i = 0; i < n; i++) {
        names[i] = in->protocols.items[i].name;
        metadata[i] = in->protocols.items[i].metadata;
    }
    gr_cg_join_params p = {.member_id = in->member_id.len >= 0 ? in->member_id : EMPTY_STR,
                           .instance_id = in->group_instance_id,
                           .client_id = client->client_id,
                           .client_host = client->client_host,
                           .protocol_type = in->protocol_type,
                           .reason = in->reason,
                           .session_timeout_ms = in->session_timeout_ms,
                           /* v0 has no rebalance timeout: the session timeout serves for both. */
                           .rebalance_timeout_ms =
                               version == 0 ? in->session_timeout_ms : in->rebalance_timeout_ms,
                           .protocol_count = n,
                           .protocol_names = names,
                           .protocol_metadata = metadata,
                           .require_known_member_id = version >= 4,
                           .supports_skip_assignment = version >= 9};
    pthread_mutex_lock(&c->mu);
    bool unknown_member = p.member_id.len == 0;
    gr_group *g = gc_group_find(c, in->group_id);
    if (!g && !unknown_member) {
        err = GR_ERR_UNKNOWN_MEMBER_ID; /* a member id for a group that does not exist */
    } else if (!g && !(g = gc_group_get_or_create(c, in->group_id, GR_GROUP_CLASSIC))) {
        err = GR_ERR_COORDINATOR_NOT_AVAILABLE;
    } else if (g->type == GR_GROUP_CONSUMER) {
        /* An empty KIP-848 group may turn classic; one with members stays as it is. */
        if (gr_kg_member_count(g->consumer) > 0)
            err = GR_ERR_INCONSISTENT_GROUP_PROTOCOL;
        else if (!gc_group_convert(c, g, GR_GROUP_CLASSIC))
            err = GR_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    if (err != GR_ERR_NONE)
        join_fail(w, err, in->member_id);
    else
        gr_cg_join(g->classic, &p, w, gr_mono_ms());
    pthread_mutex_unlock(&c->mu);
}

void gr_gc_sync_group(gr_group_coordinator *c, const gr_sync_group_request *in, int16_t version,
                      gr_cg_waiter *w) {
    int16_t err = gr_gc_group_ready(c, in->group_id);
    if (err == GR_ERR_NONE && in->group_id.len <= 0) err = GR_ERR_INVALID_GROUP_ID;
    for (int32_t i = 0; err == GR_ERR_NONE && i < in->assignments.count; i++)
        if (in->assignments.items[i].assignment.len > GR_GROUP_METADATA_MAX_BYTES)
            err = GR_ERR_INVALID_REQUEST;
    if (err != GR_ERR_NONE) {
        sync_fail(w, err);
        return;
    }
    int32_t n = in->assignments.count > 0 ? in->assignments.count : 0;
    gr_cg_assignment *a = calloc((size_t)(n ? n : 1), sizeof *a);
    if (!a) {
        sync_fail(w, GR_ERR_UNKNOWN_SERVER_ERROR);
        return;
    }
    for (int32_t i = 0; i < n; i++)
        a[i] = (gr_cg_assignment){in->assignments.items[i].member_id, in->assignments.items[i].assignment};
    gr_cg_sync_params p = {.member_id = in->member_id,
                           .instance_id = in->group_instance_id,
                           .protocol_type = version >= 5 ? in->protocol_type : NULL_STR,
                           .protocol_name = version >= 5 ? in->protocol_name : NULL_STR,
                           .generation = in->generation_id,
                           .assignment_count = n,
                           .assignments = a};
    pthread_mutex_lock(&c->mu);
    gr_group *g = gc_group_find(c, in->group_id);
    if (!g || g->type != GR_GROUP_CLASSIC)
        sync_fail(w, GR_ERR_UNKNOWN_MEMBER_ID);
    else
        gr_cg_sync(g->classic, &p, w, gr_mono_ms());
    pthread_mutex_unlock(&c->mu);
    free(a);
}

int16_t gr_gc_heartbeat(gr_group_coordinator *c, gr_str group_id, gr_str member_id, gr_str instance_id,
                        int32_t generation) {
    if (group_id.len <= 0) return GR_ERR_INVALID_GROUP_ID;
    int16_t ready = gr_gc_group_ready(c, group_id);
    if (ready == GR_ERR_COORDINATOR_LOAD_IN_PROGRESS) return GR_ERR_NONE; /* answer blindly, as Kafka does */
    if (ready != GR_ERR_NONE) return ready;
    pthread_mutex_lock(&c->mu);
    gr_group *g = gc_group_find(c, group_id);
    int16_t err = !g || g->type != GR_GROUP_CLASSIC
                      ? GR_ERR_UNKNOWN_MEMBER_ID
                      : gr_cg_heartbeat(g->classic, member_id, instance_id, generation, gr_mono_ms());
    pthread_mutex_unlock(&c->mu);
    return err;
}

int16_t gr_gc_leave_group(gr_group_coordinator *c, gr_str group_id, const gr_gc_leaving *members,
                          int32_t count, int16_t *errors) {
    int16_t err = gr_gc_group_ready(c, group_id);
    if (err == GR_ERR_NONE && group_id.len <= 0) err = GR_ERR_INVALID_GROUP_ID;
    if (err != GR_ERR_NONE) return err;
    pthread_mutex_lock(&c->mu);
    gr_group *g = gc_group_find(c, group_id);
    if (!g) {
        err = GR_ERR_UNKNOWN_MEMBER_ID;
    } else if (g->type != GR_GROUP_CLASSIC) {
        for (int32_t i = 0; i < count; i++) errors[i] = GR_ERR_UNKNOWN_MEMBER_ID;
    } else if (g->classic->state == GR_CG_DEAD) {
        err = GR_ERR_COORDINATOR_NOT_AVAILABLE;
    } else {
        int64_t now = gr_mono_ms();
        bool any = false;
        for (int32_t i = 0; i < count; i++) {
            errors[i] = gr_cg_leave(g->classic, members[i].member_id, members[i].instance_id, now);
            any |= errors[i] == GR_ERR_NONE;
        }
        if (any) gr_cg_leave_finish(g->classic, now);
    }
    pthread_mutex_unlock(&c->mu);
    return err;
}
