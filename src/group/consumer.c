/* consumer.c: KIP-848 consumer groups (see consumer.h). */
#include "group/consumer.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "proto/errors.h"

struct gr_kg_group {
    const gr_kg_env *env;
    char *group_id;
    int32_t epoch;
};

gr_kg_group *gr_kg_new(const gr_kg_env *env, gr_str group_id) {
    gr_kg_group *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->env = env;
    g->group_id = strndup(group_id.ptr ? group_id.ptr : "", group_id.len > 0 ? (size_t)group_id.len : 0);
    return g;
}
void gr_kg_free(gr_kg_group *g) {
    if (!g) return;
    free(g->group_id);
    free(g);
}
int32_t gr_kg_member_count(const gr_kg_group *g) { return 0; }
int32_t gr_kg_epoch(const gr_kg_group *g) { return g->epoch; }
void gr_kg_set_epoch(gr_kg_group *g, int32_t epoch) { g->epoch = epoch; }
const char *gr_kg_state_name(const gr_kg_group *g) { return "Empty"; }
bool gr_kg_heartbeat(gr_kg_group *g, const gr_consumer_group_heartbeat_request *in, int16_t version,
                     const gr_kg_client *client, int64_t now_ms, gr_arena *a,
                     gr_consumer_group_heartbeat_response *out) {
    out->error_code = GR_ERR_UNSUPPORTED_VERSION;
    return false;
}
void gr_kg_describe(gr_kg_group *g, gr_arena *a, gr_consumer_group_describe_response_described_group *out) {}
int16_t gr_kg_validate_commit(const gr_kg_group *g, gr_str member_id, gr_str instance_id, int32_t epoch,
                              int16_t version) {
    return epoch < 0 ? GR_ERR_NONE : GR_ERR_UNKNOWN_MEMBER_ID;
}
int16_t gr_kg_validate_fetch(const gr_kg_group *g, gr_str member_id, int32_t epoch) { return GR_ERR_NONE; }
bool gr_kg_is_subscribed(const gr_kg_group *g, gr_str topic) { return false; }
int64_t gr_kg_next_deadline(const gr_kg_group *g) { return INT64_MAX; }
bool gr_kg_on_time(gr_kg_group *g, int64_t now_ms) { return false; }
