/* handle_describe_cluster.c: DescribeCluster (the Java AdminClient's describeCluster): this
 * broker on a single node, every registered broker and the controller in cluster mode. */
#include "broker/handlers.h"
#include "cluster/cluster.h"
#include "proto/errors.h"
#include "proto/gen/describe_cluster.h"

#define ENDPOINT_TYPE_BROKER 1
#define CLUSTER_ALL_OPERATIONS                                                                               \
    ((1 << 4) | (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12))

static void fill_from_view(gr_request *req, gr_describe_cluster_response *out, gr_cluster *c) {
    gr_cluster_view *v = gr_cluster_view_get(c);
    out->cluster_id = gr_request_strdup(req, v->cluster_id);
    out->controller_id = v->controller_id;
    out->brokers.items = gr_request_alloc(req, (size_t)(v->broker_count + 1) * sizeof out->brokers.items[0]);
    out->brokers.count = v->broker_count;
    for (int i = 0; i < v->broker_count; i++) {
        gr_describe_cluster_response_describe_cluster_broker *o = &out->brokers.items[i];
        gr_describe_cluster_response_describe_cluster_broker_init(o);
        o->broker_id = v->brokers[i].id;
        o->host = gr_request_strdup(req, v->brokers[i].host);
        o->port = v->brokers[i].port;
        if (v->brokers[i].rack[0]) o->rack = gr_request_strdup(req, v->brokers[i].rack);
    }
    gr_cluster_view_release(v);
}

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
    if (b->cluster) {
        fill_from_view(req, out, b->cluster);
    } else {
        out->cluster_id = gr_request_strdup(req, gr_identity_cluster_id(b->identity));
        out->controller_id = b->cfg.node_id;
        out->brokers.items = gr_request_alloc(req, sizeof out->brokers.items[0]);
        out->brokers.count = 1;
        gr_describe_cluster_response_describe_cluster_broker_init(&out->brokers.items[0]);
        out->brokers.items[0].broker_id = b->cfg.node_id;
        out->brokers.items[0].host = gr_request_strdup(req, b->advertised[0].host);
        out->brokers.items[0].port = b->advertised[0].port;
    }
    if (in->include_cluster_authorized_operations)
        out->cluster_authorized_operations = CLUSTER_ALL_OPERATIONS;
    gr_request_reply(req, out);
}
