/*
 * handle_metadata.c: Metadata: brokers, cluster id, controller, and topics with
 * their partitions. This single broker leads every partition; in cluster mode the answer
 * comes from the cluster view instead (handle_metadata_cluster.c).
 */
#include <string.h>
#include <unistd.h>

#include "broker/cluster_metadata.h"
#include "broker/handlers.h"
#include "proto/errors.h"
#include "proto/gen/metadata.h"

/* Bits of AclOperation for everything a topic allows, when no authorizer is configured. */
#define TOPIC_ALL_OPERATIONS                                                                                 \
    ((1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11))

static void fill_partitions(gr_request *req, gr_metadata_response_metadata_response_topic *t,
                            gr_topic *topic) {
    int32_t node = req->broker->cfg.node_id;
    int32_t n = gr_topic_partition_count(topic);
    t->partitions.items = gr_request_alloc(req, (size_t)(n ? n : 1) * sizeof t->partitions.items[0]);
    t->partitions.count = n;
    int32_t *replica = gr_request_alloc(req, sizeof *replica);
    *replica = node;
    for (int32_t i = 0; i < n; i++) {
        gr_metadata_response_metadata_response_partition *p = &t->partitions.items[i];
        gr_metadata_response_metadata_response_partition_init(p);
        gr_partition *part = gr_topic_partition(topic, i);
        p->partition_index = i;
        p->leader_id = node;
        p->leader_epoch = part ? part->leader_epoch : 0;
        p->replica_nodes.items = replica;
        p->replica_nodes.count = 1;
        p->isr_nodes.items = replica;
        p->isr_nodes.count = 1;
        p->offline_replicas.count = 0;
    }
}

static void fill_topic(gr_request *req, gr_metadata_response_metadata_response_topic *t, gr_topic *topic,
                       bool include_ops) {
    t->name = gr_request_strdup(req, topic->name);
    memcpy(t->topic_id.b, topic->id, 16);
    t->is_internal = topic->internal;
    if (include_ops) t->topic_authorized_operations = TOPIC_ALL_OPERATIONS;
    fill_partitions(req, t, topic);
}

void gr_handle_metadata(gr_request *req) {
    if (req->broker->cluster) {
        gr_handle_metadata_cluster(req);
        return;
    }
    const gr_metadata_request *in = req->body;
    gr_metadata_response *out = gr_request_new_response(req);
    gr_broker *b = req->broker;

    out->brokers.items = gr_request_alloc(req, sizeof out->brokers.items[0]);
    out->brokers.count = 1;
    gr_metadata_response_metadata_response_broker_init(&out->brokers.items[0]);
    out->brokers.items[0].node_id = b->cfg.node_id;
    out->brokers.items[0].host = gr_request_strdup(req, b->advertised[0].host);
    out->brokers.items[0].port = b->advertised[0].port;
    out->cluster_id = gr_request_strdup(req, gr_identity_cluster_id(b->identity));
    out->controller_id = b->cfg.node_id;

    bool include_ops = req->api_version >= 8 && in->include_topic_authorized_operations;
    /* v0: an empty list means every topic; v1+: null means every topic. */
    bool all = in->topics.count < 0 || (req->api_version == 0 && in->topics.count == 0);
    if (all) {
        gr_topic **list;
        int n = gr_topics_list(b->topics, &list);
        out->topics.items = gr_request_alloc(req, (size_t)(n ? n : 1) * sizeof out->topics.items[0]);
        out->topics.count = n;
        for (int i = 0; i < n; i++) {
            gr_metadata_response_metadata_response_topic_init(&out->topics.items[i]);
            fill_topic(req, &out->topics.items[i], list[i], include_ops);
        }
        gr_topics_list_free(list, n);
        gr_request_reply(req, out);
        return;
    }
    bool allow_create = req->api_version < 4 || in->allow_auto_topic_creation;
    int32_t n = in->topics.count;
    out->topics.items = gr_request_alloc(req, (size_t)(n ? n : 1) * sizeof out->topics.items[0]);
    out->topics.count = n;
    for (int32_t i = 0; i < n; i++) {
        const gr_metadata_request_metadata_request_topic *want = &in->topics.items[i];
        gr_metadata_response_metadata_response_topic *t = &out->topics.items[i];
        gr_metadata_response_metadata_response_topic_init(t);
        gr_topic *topic = NULL;
        int16_t err = GR_ERR_NONE;
        if (want->name.len < 0) { /* v10+: look up by id */
            static const uint8_t zero[16];
            memcpy(t->topic_id.b, want->topic_id.b, 16);
            topic =
                memcmp(want->topic_id.b, zero, 16) ? gr_topics_get_by_id(b->topics, want->topic_id.b) : NULL;
            err = topic ? GR_ERR_NONE : GR_ERR_UNKNOWN_TOPIC_ID;
        } else {
            t->name = want->name;
            topic = gr_broker_topic_auto(b, want->name, allow_create, &err);
        }
        t->error_code = err;
        if (topic) {
            fill_topic(req, t, topic, include_ops);
            gr_topic_release(topic);
        }
    }
    gr_request_reply(req, out);
}
