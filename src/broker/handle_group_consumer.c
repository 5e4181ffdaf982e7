/*
 * handle_group_consumer.c: the KIP-848 consumer group APIs,
 * ConsumerGroupHeartbeat and ConsumerGroupDescribe (Java clients with
 * group.protocol=consumer). Neither waits: the heartbeat answers at once
 * with whatever the member should do next.
 */
#include "broker/handle_group_common.h"
#include "broker/handlers_group.h"
#include "proto/errors.h"
#include "proto/gen/consumer_group_describe.h"
#include "proto/gen/consumer_group_heartbeat.h"

void gr_handle_consumer_group_heartbeat(gr_request *req) {
    const gr_consumer_group_heartbeat_request *in = req->body;
    gr_consumer_group_heartbeat_response *out = gr_request_new_response(req);
    if (!req->broker->groups) {
        out->error_code = GR_ERR_COORDINATOR_NOT_AVAILABLE;
        gr_request_reply(req, out);
        return;
    }
    gr_gc_client client = gr_group_client(req);
    gr_gc_consumer_heartbeat(req->broker->groups, in, req->api_version, &client, &req->arena, out);
    gr_request_reply(req, out);
}

void gr_handle_consumer_group_describe(gr_request *req) {
    const gr_consumer_group_describe_request *in = req->body;
    gr_consumer_group_describe_response *out = gr_request_new_response(req);
    out->groups.count = 0;
    if (req->broker->groups) gr_gc_consumer_describe(req->broker->groups, in, &req->arena, out);
    gr_request_reply(req, out);
}
