/*
 * handle_metadata_cluster.c: Metadata in cluster mode, from the cluster view: every live broker
 * with its rack, the controller, and per partition the leader (-1 with LEADER_NOT_AVAILABLE when
 * there is none or it is not registered), leader epoch, replicas, ISR and offline replicas (those
 * not registered). Unknown topics may be created on first use through the cluster.
 */
#include <stdio.h>
#include <string.h>

#include "broker/cluster_metadata.h"
#include "broker/handlers.h"
#include "group/coordinator.h"
#include "proto/errors.h"
#include "proto/gen/metadata.h"

/* Bits of AclOperation for everything a topic allows, when no authorizer is configured. */
#define TOPIC_ALL_OPERATIONS                                                                                 \
    ((1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11))
#define OFFSETS_TOPIC_SEGMENT_BYTES "104857600"
#define TXN_STATE_TOPIC "__transaction_state"

bool gr_cluster_topic_is_internal(const char *name) {
    return !strcmp(name, GR_OFFSETS_TOPIC) || !strcmp(name, TXN_STATE_TOPIC);
}

static int32_t *copy_ids(gr_request *req, const int32_t *ids, int n) {
    int32_t *out = gr_request_alloc(req, (size_t)(n ? n : 1) * sizeof *out);
    if (n) memcpy(out, ids, (size_t)n * sizeof *out);
    return out;
}

static void fill_partition(gr_request *req, const gr_cluster_view *v, const gr_cluster_partition *cp,
                           gr_metadata_response_metadata_response_partition *p) {
    gr_metadata_response_metadata_response_partition_init(p);
    const gr_partition_state *s = &cp->state;
    p->partition_index = cp->index;
    p->leader_epoch = s->leader_epoch;
    bool leader_live = s->leader >= 0 && gr_cluster_view_broker(v, s->leader) != NULL;
    p->leader_id = leader_live ? s->leader : -1;
    p->error_code = leader_live ? GR_ERR_NONE : GR_ERR_LEADER_NOT_AVAILABLE;
    p->replica_nodes.items = copy_ids(req, s->replicas, s->replica_count);
    p->replica_nodes.count = s->replica_count;
    p->isr_nodes.items = copy_ids(req, s->isr, s->isr_count);
    p->isr_nodes.count = s->isr_count;
    p->offline_replicas.items = gr_request_alloc(req, (size_t)(s->replica_count + 1) * sizeof(int32_t));
    p->offline_replicas.count = 0;
    for (int i = 0; i < s->replica_count; i++)
        if (!gr_cluster_view_broker(v, s->replicas[i]))
            p->offline_replicas.items[p->offline_replicas.count++] = s->replicas[i];
}

static void fill_topic(gr_request *req, const gr_cluster_view *v, const gr_cluster_topic *ct,
                       gr_metadata_response_metadata_response_topic *t, bool include_ops) {
    t->name = gr_request_strdup(req, ct->name);
    memcpy(t->topic_id.b, ct->id, 16);
    t->is_internal = gr_cluster_topic_is_internal(ct->name);
    if (include_ops) t->topic_authorized_operations = TOPIC_ALL_OPERATIONS;
    int32_t n = ct->partition_count;
    t->partitions.items = gr_request_alloc(req, (size_t)(n ? n : 1) * sizeof t->partitions.items[0]);
    t->partitions.count = n;
    for (int32_t i = 0; i < n; i++) fill_partition(req, v, &ct->partitions[i], &t->partitions.items[i]);
}

static const gr_cluster_topic *topic_by_id(const gr_cluster_view *v, const uint8_t id[16]) {
    static const uint8_t zero[16];
    if (!memcmp(id, zero, 16)) return NULL;
    for (int i = 0; i < v->topic_count; i++)
        if (!memcmp(v->topics[i].id, id, 16) && !v->topics[i].deleting) return &v->topics[i];
    return NULL;
}

/* Creation on first use: nobody waits for it; a failure is only worth a line in the log. */
static void auto_created(void *ud, int16_t error, const char *message) {
    (void)ud;
    if (error != GR_ERR_NONE && error != GR_ERR_TOPIC_ALREADY_EXISTS)
        GR_WARN("cluster", "creating a topic on first use failed: %s (%s)", gr_error_name(error),
                message ? message : "");
}

bool gr_cluster_create_offsets_topic(gr_broker *b, const gr_cluster_view *v) {
    int16_t rf = b->cfg.offsets_topic_replication_factor;
    if (v->broker_count < rf) return false;
    gr_properties configs;
    gr_properties_init(&configs);
    gr_properties_set(&configs, "cleanup.policy", "compact");
    gr_properties_set(&configs, "segment.bytes", OFFSETS_TOPIC_SEGMENT_BYTES);
    gr_properties_set(&configs, "compression.type", "producer");
    gr_cluster_create_topic(b->cluster, GR_OFFSETS_TOPIC, b->cfg.offsets_topic_num_partitions, rf, NULL,
                            &configs, false, 0, auto_created, NULL);
    gr_properties_free(&configs);
    return true;
}

int16_t gr_cluster_topic_auto(gr_broker *b, const gr_cluster_view *v, gr_str name, bool allow_create) {
    const char *why;
    if (!gr_topic_name_valid(name, &why)) return GR_ERR_INVALID_TOPIC_EXCEPTION;
    if (!allow_create || !b->cfg.auto_create_topics_enable) return GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    char topic[256];
    snprintf(topic, sizeof topic, "%.*s", name.len, name.ptr);
    if (!strcmp(topic, GR_OFFSETS_TOPIC))
        return gr_cluster_create_offsets_topic(b, v) ? GR_ERR_LEADER_NOT_AVAILABLE
                                                     : GR_ERR_INVALID_REPLICATION_FACTOR;
    if (v->broker_count < b->cfg.default_replication_factor) return GR_ERR_INVALID_REPLICATION_FACTOR;
    gr_cluster_create_topic(b->cluster, topic, b->cfg.num_partitions, b->cfg.default_replication_factor, NULL,
                            NULL, false, 0, auto_created, NULL);
    return GR_ERR_LEADER_NOT_AVAILABLE;
}

void gr_handle_metadata_cluster(gr_request *req) {
    const gr_metadata_request *in = req->body;
    gr_metadata_response *out = gr_request_new_response(req);
    gr_broker *b = req->broker;
    gr_cluster_view *v = gr_cluster_view_get(b->cluster);

    out->brokers.items = gr_request_alloc(req, (size_t)(v->broker_count + 1) * sizeof out->brokers.items[0]);
    out->brokers.count = v->broker_count;
    for (int i = 0; i < v->broker_count; i++) {
        gr_metadata_response_metadata_response_broker *o = &out->brokers.items[i];
        gr_metadata_response_metadata_response_broker_init(o);
        o->node_id = v->brokers[i].id;
        o->host = gr_request_strdup(req, v->brokers[i].host);
        o->port = v->brokers[i].port;
        if (v->brokers[i].rack[0]) o->rack = gr_request_strdup(req, v->brokers[i].rack);
    }
    out->cluster_id = gr_request_strdup(req, v->cluster_id);
    out->controller_id = v->controller_id;

    bool include_ops = req->api_version >= 8 && in->include_topic_authorized_operations;
    /* v0: an empty list means every topic; v1+: null means every topic. */
    bool all = in->topics.count < 0 || (req->api_version == 0 && in->topics.count == 0);
    if (all) {
        out->topics.items = gr_request_alloc(req, (size_t)(v->topic_count + 1) * sizeof out->topics.items[0]);
        out->topics.count = 0;
        for (int i = 0; i < v->topic_count; i++) {
            if (v->topics[i].deleting) continue;
            gr_metadata_response_metadata_response_topic *t = &out->topics.items[out->topics.count++];
            gr_metadata_response_metadata_response_topic_init(t);
            fill_topic(req, v, &v->topics[i], t, include_ops);
        }
        gr_cluster_view_release(v);
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
        const gr_cluster_topic *ct;
        if (want->name.len < 0) { /* v10+: look up by id */
            memcpy(t->topic_id.b, want->topic_id.b, 16);
            ct = topic_by_id(v, want->topic_id.b);
            t->error_code = ct ? GR_ERR_NONE : GR_ERR_UNKNOWN_TOPIC_ID;
        } else {
            t->name = want->name;
            ct = gr_cluster_view_topic(v, want->name.ptr, (size_t)want->name.len);
            if (ct && ct->deleting) {
                ct = NULL;
                t->error_code = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION; /* being deleted: not created again */
            } else if (!ct) {
                t->error_code = gr_cluster_topic_auto(b, v, want->name, allow_create);
            }
        }
        if (ct) fill_topic(req, v, ct, t, include_ops);
    }
    gr_cluster_view_release(v);
    gr_request_reply(req, out);
}
