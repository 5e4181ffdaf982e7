/*
 * handle_list_offsets.c: ListOffsets: earliest (-2), latest (-1), max timestamp (-3),
 * earliest local (-4, the same as earliest without tiered storage), latest tiered
 * (-5: none, so -1) and the first offset at or after a timestamp.
 *
 * In cluster mode only the leader answers (NOT_LEADER_OR_FOLLOWER elsewhere, except for the
 * debugging replica id -2, as Kafka has it), and nothing at or past the high watermark is
 * shown: the store answers latest with the high watermark and hides timestamp lookups past it.
 */
#include <stdatomic.h>

#include "broker/handlers.h"
#include "cluster/partition_replica.h"
#include "proto/errors.h"
#include "proto/gen/list_offsets.h"

#define TS_LATEST (-1)
#define TS_EARLIEST (-2)
#define TS_MAX_TIMESTAMP (-3)
#define TS_EARLIEST_LOCAL (-4)
#define TS_LATEST_TIERED (-5)
#define DEBUGGING_REPLICA_ID (-2)

static void lookup(gr_request *req, gr_partition *p, int64_t ts,
                   gr_list_offsets_response_list_offsets_partition_response *r) {
    int64_t offset = -1, found_ts = -1;
    r->leader_epoch = p->leader_epoch;
    switch (ts) {
    case TS_LATEST:
        offset = gr_plog_end_offset(p->log);
        break;
    case TS_EARLIEST:
    case TS_EARLIEST_LOCAL:
        offset = gr_plog_start_offset(p->log);
        break;
    case TS_LATEST_TIERED:
        offset = -1;
        break;
    case TS_MAX_TIMESTAMP:
        if (gr_plog_max_timestamp(p->log, &offset, &found_ts) != 0) offset = found_ts = -1;
        break;
    default:
        if (ts < 0) {
            r->error_code = GR_ERR_INVALID_REQUEST;
            return;
        }
        if (gr_plog_offset_for_time(p->log, ts, &offset, &found_ts) != 0) offset = found_ts = -1;
        break;
    }
    r->offset = offset;
    r->timestamp = found_ts;
    if (req->api_version == 0) { /* v0 answers with a list of offsets */
        int64_t *o = gr_request_alloc(req, sizeof *o);
        *o = offset;
        r->old_style_offsets.items = o;
        r->old_style_offsets.count = offset >= 0 ? 1 : 0;
    }
}

void gr_handle_list_offsets(gr_request *req) {
    const gr_list_offsets_request *in = req->body;
    gr_list_offsets_response *out = gr_request_new_response(req);
    out->topics.items = gr_request_alloc(req, (size_t)(in->topics.count + 1) * sizeof out->topics.items[0]);
    out->topics.count = in->topics.count;
    for (int32_t t = 0; t < in->topics.count; t++) {
        const gr_list_offsets_request_list_offsets_topic *rt = &in->topics.items[t];
        gr_list_offsets_response_list_offsets_topic_response *ot = &out->topics.items[t];
        gr_list_offsets_response_list_offsets_topic_response_init(ot);
        ot->name = rt->name;
        ot->partitions.items =
            gr_request_alloc(req, (size_t)(rt->partitions.count + 1) * sizeof ot->partitions.items[0]);
        ot->partitions.count = rt->partitions.count;
        gr_topic *topic = gr_topics_get(req->broker->topics, rt->name);
        for (int32_t i = 0; i < rt->partitions.count; i++) {
            const gr_list_offsets_request_list_offsets_partition *rp = &rt->partitions.items[i];
            gr_list_offsets_response_list_offsets_partition_response *op = &ot->partitions.items[i];
            gr_list_offsets_response_list_offsets_partition_response_init(op);
            op->partition_index = rp->partition_index;
            gr_partition *p = topic ? gr_topic_partition(topic, rp->partition_index) : NULL;
            if (!p) {
                op->error_code = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            op->error_code = gr_partition_check_leader_epoch(p, rp->current_leader_epoch);
            gr_partition_replica *replica = atomic_load_explicit(&p->replica, memory_order_acquire);
            if (op->error_code == GR_ERR_NONE && replica && in->replica_id != DEBUGGING_REPLICA_ID &&
                !gr_partition_replica_is_leader(replica))
                op->error_code = GR_ERR_NOT_LEADER_OR_FOLLOWER;
            if (op->error_code != GR_ERR_NONE) continue;
            lookup(req, p, rp->timestamp, op);
        }
        gr_topic_release(topic);
    }
    gr_request_reply(req, out);
}
