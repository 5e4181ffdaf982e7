/*
 * handle_records_admin.c: DeleteRecords (advance a partition's log start offset)
 * and OffsetForLeaderEpoch (every partition here has had one leader epoch, 0,
 * so the end offset of epoch 0 is the log end offset). In cluster mode OffsetForLeaderEpoch
 * answers from the partition's leader epoch cache, on the leader only (but for the debugging
 * replica id -2, the default of versions before 3).
 */
#include <stdatomic.h>

#include "broker/handlers.h"
#include "cluster/partition_replica.h"
#include "proto/errors.h"
#include "proto/gen/delete_records.h"
#include "proto/gen/offset_for_leader_epoch.h"

#define DELETE_TO_HIGH_WATERMARK (-1)
#define DEBUGGING_REPLICA_ID (-2)

void gr_handle_delete_records(gr_request *req) {
    const gr_delete_records_request *in = req->body;
    gr_delete_records_response *out = gr_request_new_response(req);
    out->topics.items = gr_request_alloc(req, (size_t)(in->topics.count + 1) * sizeof out->topics.items[0]);
    out->topics.count = in->topics.count;
    for (int32_t t = 0; t < in->topics.count; t++) {
        const gr_delete_records_request_delete_records_topic *rt = &in->topics.items[t];
        gr_delete_records_response_delete_records_topic_result *ot = &out->topics.items[t];
        gr_delete_records_response_delete_records_topic_result_init(ot);
        ot->name = rt->name;
        ot->partitions.items =
            gr_request_alloc(req, (size_t)(rt->partitions.count + 1) * sizeof ot->partitions.items[0]);
        ot->partitions.count = rt->partitions.count;
        gr_topic *topic = gr_topics_get(req->broker->topics, rt->name);
        for (int32_t i = 0; i < rt->partitions.count; i++) {
            const gr_delete_records_request_delete_records_partition *rp = &rt->partitions.items[i];
            gr_delete_records_response_delete_records_partition_result *op = &ot->partitions.items[i];
            gr_delete_records_response_delete_records_partition_result_init(op);
            op->partition_index = rp->partition_index;
            op->low_watermark = -1;
            gr_partition *p = topic ? gr_topic_partition(topic, rp->partition_index) : NULL;
            if (!p) {
                op->error_code = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            int64_t end = gr_plog_end_offset(p->log);
            int64_t target = rp->offset == DELETE_TO_HIGH_WATERMARK ? end : rp->offset;
            if (target < 0 || target > end) {
                op->error_code = GR_ERR_OFFSET_OUT_OF_RANGE;
                continue;
            }
            if (gr_plog_delete_records(p->log, target) != 0) {
                op->error_code = GR_ERR_KAFKA_STORAGE_ERROR;
                continue;
            }
            op->low_watermark = gr_plog_start_offset(p->log);
        }
        gr_topic_release(topic);
    }
    gr_request_reply(req, out);
}

void gr_handle_offset_for_leader_epoch(gr_request *req) {
    const gr_offset_for_leader_epoch_request *in = req->body;
    gr_offset_for_leader_epoch_response *out = gr_request_new_response(req);
    out->topics.items = gr_request_alloc(req, (size_t)(in->topics.count + 1) * sizeof out->topics.items[0]);
    out->topics.count = in->topics.count;
    for (int32_t t = 0; t < in->topics.count; t++) {
        const gr_offset_for_leader_epoch_request_offset_for_leader_topic *rt = &in->topics.items[t];
        gr_offset_for_leader_epoch_response_offset_for_leader_topic_result *ot = &out->topics.items[t];
        gr_offset_for_leader_epoch_response_offset_for_leader_topic_result_init(ot);
        ot->topic = rt->topic;
        ot->partitions.items =
            gr_request_alloc(req, (size_t)(rt->partitions.count + 1) * sizeof ot->partitions.items[0]);
        ot->partitions.count = rt->partitions.count;
        gr_topic *topic = gr_topics_get(req->broker->topics, rt->topic);
        for (int32_t i = 0; i < rt->partitions.count; i++) {
            const gr_offset_for_leader_epoch_request_offset_for_leader_partition *rp =
                &rt->partitions.items[i];
            gr_offset_for_leader_epoch_response_epoch_end_offset *op = &ot->partitions.items[i];
            gr_offset_for_leader_epoch_response_epoch_end_offset_init(op);
            op->partition = rp->partition;
            gr_partition *p = topic ? gr_topic_partition(topic, rp->partition) : NULL;
            if (!p) {
                op->error_code = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            op->error_code = gr_partition_check_leader_epoch(p, rp->current_leader_epoch);
            if (op->error_code != GR_ERR_NONE) continue;
            gr_partition_replica *replica = atomic_load_explicit(&p->replica, memory_order_acquire);
            if (replica) {
                if (in->replica_id != DEBUGGING_REPLICA_ID && !gr_partition_replica_is_leader(replica))
                    op->error_code = GR_ERR_NOT_LEADER_OR_FOLLOWER;
                else
                    gr_plog_epoch_end_offset(p->log, rp->leader_epoch, &op->leader_epoch, &op->end_offset);
                continue;
            }
            if (rp->leader_epoch > p->leader_epoch) { /* an epoch we never had */
                op->leader_epoch = -1;
                op->end_offset = -1;
                continue;
            }
            op->leader_epoch = p->leader_epoch;
            op->end_offset = gr_plog_end_offset(p->log);
        }
        gr_topic_release(topic);
    }
    gr_request_reply(req, out);
}
