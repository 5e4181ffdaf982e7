/*
 * coord_load.c: rebuilding groups from __consumer_offsets at start-up.
 *
 * Records are applied in log order, so the newest value of every key wins
 * and a tombstone removes what came before it, exactly what compaction
 * would leave behind. Classic groups come back with their members, who keep
 * their assignment and get a fresh session: a consumer that survived a
 * broker restart just carries on heartbeating.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "group/coordinator_internal.h"

static void apply_offset(gr_group_coordinator *c, const gr_offsets_record *r) {
    gr_group *g = gc_group_get_or_create(c, r->offset_key.group, GR_GROUP_CLASSIC);
    if (!g) return;
    if (r->tombstone) {
        gr_offsets_remove(&g->offsets, r->offset_key.topic, r->offset_key.partition);
        return;
    }
    const gr_offset_commit_value *v = &r->offset_value;
    gr_offset_value ov = {.offset = v->offset,
                          .leader_epoch = r->value_version >= 3 ? v->leader_epoch : -1,
                          .metadata = v->metadata,
                          .commit_timestamp_ms = v->commit_timestamp,
                          .expire_timestamp_ms = r->value_version == 1 ? v->expire_timestamp : -1};
    if (gr_offsets_put(&g->offsets, r->offset_key.topic, r->offset_key.partition, &ov) != 0)
        GR_WARN("group", "cannot keep an offset of group %.*s (memory)", g->id_len, g->id);
}

static void apply_group(gr_group_coordinator *c, const gr_offsets_record *r) {
    gr_str id = r->group_key.group;
    gr_group *g = gc_group_find(c, id);
    if (r->tombstone) {
        if (!g) return;
        if (g->offsets.count == 0) {
            gc_group_delete(c, g);
        } else if (g->type == GR_GROUP_CLASSIC) {
            gr_cg_group *fresh = gr_cg_new(&c->classic_env, id);
            if (fresh) {
                gr_cg_free(g->classic);
                g->classic = fresh;
            }
        }
        return;
    }
    g = gc_group_get_or_create(c, id, GR_GROUP_CLASSIC);
    if (!g || !gc_group_convert(c, g, GR_GROUP_CLASSIC)) return;
    const gr_group_metadata_value *v = &r->group_value;
    int32_t n = v->members.count > 0 ? v->members.count : 0;
    gr_cg_restored_member *ms = calloc((size_t)(n ? n : 1), sizeof *ms);
    if (!ms) return;
    for (int32_t i = 0; i < n; i++) {
        const gr_group_metadata_value_member_metadata *m = &v->members.items[i];
        ms[i] = (gr_cg_restored_member){
            .member_id = m->member_id,
            .instance_id = r->value_version >= 3 ? m->group_instance_id : (gr_str){NULL, -1},
            .client_id = m->client_id,
            .client_host = m->client_host,
            .session_timeout_ms = m->session_timeout,
            .rebalance_timeout_ms = r->value_version >= 1 && m->rebalance_timeout >= 0 ? m->rebalance_timeout
                                                                                       : m->session_timeout,
            .subscription = m->subscription,
            .assignment = m->assignment};
    }
    gr_str type = v->protocol_type.len > 0 ? v->protocol_type : (gr_str){NULL, -1};
    int64_t ts = r->value_version >= 2 ? v->current_state_timestamp : -1;
    if (gr_cg_restore(g->classic, type, v->generation, v->protocol, v->leader, ts, ms, n, gr_mono_ms()) != 0)
        GR_WARN("group", "could not restore all members of group %.*s", g->id_len, g->id);
    free(ms);
}

static void apply_consumer_group(gr_group_coordinator *c, const gr_offsets_record *r) {
    gr_str id = r->cg_key.group_id;
    gr_group *g = gc_group_find(c, id);
    if (r->tombstone) {
        if (!g || g->type != GR_GROUP_CONSUMER) return;
        if (g->offsets.count == 0)
            gc_group_delete(c, g);
        else
            gc_group_convert(c, g, GR_GROUP_CLASSIC);
        return;
    }
    g = gc_group_get_or_create(c, id, GR_GROUP_CONSUMER);
    if (!g || !gc_group_convert(c, g, GR_GROUP_CONSUMER)) return;
    gr_kg_set_epoch(g->consumer, r->cg_value.epoch);
}

/* KIP-848 member records: the member's subscription (key v5) and its partitions (key v8). */
static void apply_cg_member(gr_group_coordinator *c, const gr_offsets_record *r) {
    bool metadata = r->type == GR_OREC_CG_MEMBER;
    gr_str group = metadata ? r->member_key.group_id : r->assignment_key.group_id;
    gr_str member = metadata ? r->member_key.member_id : r->assignment_key.member_id;
    gr_group *g = gc_group_find(c, group);
    if (r->tombstone) {
        if (g && g->type == GR_GROUP_CONSUMER) gr_kg_restore_remove(g->consumer, member);
        return;
    }
    g = gc_group_get_or_create(c, group, GR_GROUP_CONSUMER);
    if (!g || g->type != GR_GROUP_CONSUMER) return; /* a classic group since: the member is stale */
    if (metadata)
        gr_kg_restore_member(g->consumer, member, &r->member_value, gr_mono_ms());
    else
        gr_kg_restore_assignment(g->consumer, member, &r->assignment_value, gr_mono_ms());
}

void gc_apply_record(gr_group_coordinator *c, int32_t partition, const gr_offsets_record *r) {
    (void)partition;
    switch (r->type) {
    case GR_OREC_OFFSET:
        apply_offset(c, r);
        break;
    case GR_OREC_GROUP:
        apply_group(c, r);
        break;
    case GR_OREC_CONSUMER_GROUP:
        apply_consumer_group(c, r);
        break;
    case GR_OREC_CG_MEMBER:
    case GR_OREC_CG_ASSIGNMENT:
        apply_cg_member(c, r);
        break;
    case GR_OREC_IGNORED:
        break;
    }
}
