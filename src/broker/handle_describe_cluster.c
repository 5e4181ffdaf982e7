/* handle_describe_cluster.c: DescribeCluster (the Java AdminClient's describeCluster). */
#include "broker/handlers.h"
#include "proto/errors.h"
#include "proto/gen/describe_cluster.h"

#define ENDPOINT_TYPE_BROKER 1
#define CLUSTER_ALL_OPERATIONS                                                                               \
    ((1 << 4) | (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12))

void gr_handle_describe_cluster(gr_request *req) {
    const gr_describe_cluster_request *in = req->body;
    gr_describe_cluster_response *out = gr_request_new_response(req);
    gr_broker *b = req->broker;
    if (req->api_version >= 1 && in->endpoint_type != ENDPOINT_TYPE_BROKER) {
        out->error_code = GR_ERR_UNSUPPORTED_ENDPOINT_TYPE;
        out->error_message = gr_request_strdup(req, "The request was sent to an endpoint of the wrong type.");
        gr_request_reply(req, out);
        return;
    }
    out->cluster_id = gr_request_strdup(req, gr_identity_cluster_id(b->identity));
    out->controller_id = b->cfg.node_id;
    out->brokers.items = gr_request_alloc(req, sizeof out->brokers.items[0]);
    out->brokers.count = 1;
    gr_describe_cluster_response_describe_cluster_broker_init(&out->brokers.items[0]);
    out->brokers.items[0].broker_id = b->cfg.node_id;
    out->brokers.items[0].host = gr_request_strdup(req, b->advertised[0].host);
    out->brokers.items[0].port = b->advertised[0].port;
    if (in->include_cluster_authorized_operations)
        out->cluster_authorized_operations = CLUSTER_ALL_OPERATIONS;
    gr_request_reply(req, out);
}
