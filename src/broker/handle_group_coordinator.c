/*
 * handle_group_coordinator.c: the group coordinator's life cycle (built from
 * the broker's configuration) and FindCoordinator.
 *
 * On a single node this broker coordinates every group, so FindCoordinator
 * answers with itself once __consumer_offsets exists (made on first use).
 * In cluster mode a group's coordinator is the leader of its partition of
 * __consumer_offsets (created through the cluster on first use, as Kafka
 * does), and the coordinator follows this broker's leaderships of it.
 * Transaction coordinators are not served yet: COORDINATOR_NOT_AVAILABLE.
 */
#include "broker/handle_group_common.h"
#include "broker/handlers_group.h"
#include "base/limits.h"
#include "broker/cluster_metadata.h"
#include "group/placement.h"
#include "proto/errors.h"
#include "proto/gen/find_coordinator.h"

#define KEY_TYPE_GROUP 0
#define KEY_TYPE_TRANSACTION 1
#define OFFSETS_COMMIT_TIMEOUT_MS 5000 /* Kafka's offsets.commit.timeout.ms */

static void data_arrived(void *ud) { gr_broker_data_arrived(ud); }

gr_group_coordinator *gr_group_coordinator_start(gr_broker *b) {
    gr_gc_config cfg = {
        .offsets_topic_num_partitions = b->cfg.offsets_topic_num_partitions,
        .offsets_retention_ms = b->cfg.offsets_retention_minutes * 60 * 1000,
        .offsets_retention_check_interval_ms = b->cfg.offsets_retention_check_interval_ms,
        .group_min_session_timeout_ms = b->cfg.group_min_session_timeout_ms,
        .group_max_session_timeout_ms = b->cfg.group_max_session_timeout_ms,
        .group_initial_rebalance_delay_ms = b->cfg.group_initial_rebalance_delay_ms,
        .group_max_size = b->cfg.group_max_size,
        .consumer_session_timeout_ms = b->cfg.group_consumer_session_timeout_ms,
        .consumer_heartbeat_interval_ms = b->cfg.group_consumer_heartbeat_interval_ms,
    };
    gr_gc_services svc = {
        .topics = b->topics,
        .flusher = b->flusher,
        .timer_loop = gr_server_loop(b->server, 0),
        .data_arrived = data_arrived,
        .data_arrived_ud = b,
        .clustered = gr_broker_config_clustered(&b->cfg),
        .min_insync_replicas = b->cfg.min_insync_replicas,
        .commit_timeout_ms = OFFSETS_COMMIT_TIMEOUT_MS,
    };
    gr_group_coordinator *c = gr_gc_new(&cfg, &svc);
    if (!c) GR_ERROR("group", "cannot start the group coordinator");
    return c;
}

void gr_group_coordinator_stop(gr_group_coordinator *g) { gr_gc_free(g); }

static void leadership_changed(void *ud, const char *topic, int32_t partition, bool leader,
                               int32_t leader_epoch) {
    (void)topic;
    gr_gc_leadership(ud, partition, leader, leader_epoch);
}

void gr_group_coordinator_follow(gr_broker *b) {
    if (!b->groups || !b->cluster) return;
    gr_cluster_watch_leadership(b->cluster, GR_OFFSETS_TOPIC, leadership_changed, b->groups);
    /* Leaderships the cluster took before the watch existed. */
    gr_cluster_view *v = gr_cluster_view_get(b->cluster);
    const gr_cluster_topic *t = gr_cluster_view_topic(v, GR_OFFSETS_TOPIC, sizeof GR_OFFSETS_TOPIC - 1);
    for (int32_t i = 0; t && i < t->partition_count; i++)
        if (t->partitions[i].state.leader == b->cfg.node_id)
            gr_gc_leadership(b->groups, i, true, t->partitions[i].state.leader_epoch);
    gr_cluster_view_release(v);
}

typedef struct coordinator_node {
    int32_t id;
    gr_str host;
    int32_t port;
} coordinator_node;

/* Cluster mode: the live leader of the group's partition of __consumer_offsets. */
static int16_t lookup_cluster_group(gr_request *req, gr_str group, coordinator_node *node) {
    gr_broker *b = req->broker;
    gr_cluster_view *v = gr_cluster_view_get(b->cluster);
    const gr_cluster_topic *t = gr_cluster_view_topic(v, GR_OFFSETS_TOPIC, sizeof GR_OFFSETS_TOPIC - 1);
    int16_t err = GR_ERR_COORDINATOR_NOT_AVAILABLE;
    if (!t) {
        gr_cluster_create_offsets_topic(b, v); /* too few brokers: it stays unavailable */
    } else if (t->partition_count > 0 && !t->deleting) {
        int32_t p = gr_group_partition_for(group.ptr ? group.ptr : "",
                                           (size_t)(group.len > 0 ? group.len : 0), t->partition_count);
        const gr_cluster_broker *leader = gr_cluster_view_broker(v, t->partitions[p].state.leader);
        if (leader) {
            node->id = leader->id;
            node->host = gr_request_strdup(req, leader->host);
            node->port = leader->port;
            err = GR_ERR_NONE;
        }
    }
    gr_cluster_view_release(v);
    return err;
}

/* Error or the coordinator, for one key. */
static int16_t lookup(gr_request *req, int8_t key_type, gr_str key, coordinator_node *node,
                      const char **message) {
    gr_broker *b = req->broker;
    *message = NULL;
    node->id = b->cfg.node_id;
    node->host = gr_request_strdup(req, b->advertised[0].host);
    node->port = b->advertised[0].port;
    switch (key_type) {
    case KEY_TYPE_GROUP:
        if (b->cluster && b->groups) {
            int16_t err = lookup_cluster_group(req, key, node);
            if (err != GR_ERR_NONE) *message = "The coordinator is not available.";
            return err;
        }
        if (!b->groups || gr_gc_ensure_offsets_topic(b->groups) != GR_ERR_NONE) {
            *message = "The coordinator is not available.";
            return GR_ERR_COORDINATOR_NOT_AVAILABLE;
        }
        return GR_ERR_NONE;
    case KEY_TYPE_TRANSACTION:
        *message = "The coordinator is not available.";
        return GR_ERR_COORDINATOR_NOT_AVAILABLE;
    default:
        *message = "Unknown coordinator type.";
        return GR_ERR_INVALID_REQUEST;
    }
}

void gr_handle_find_coordinator(gr_request *req) {
    const gr_find_coordinator_request *in = req->body;
    gr_find_coordinator_response *out = gr_request_new_response(req);
    int8_t key_type = req->api_version >= 1 ? in->key_type : KEY_TYPE_GROUP;
    const char *message;
    coordinator_node node;
    if (req->api_version < 4) {
        int16_t err = lookup(req, key_type, in->key, &node, &message);
        out->error_code = err;
        out->error_message = message ? gr_request_strdup(req, message) : (gr_str){NULL, -1};
        out->node_id = err ? -1 : node.id;
        out->host = err ? (gr_str){"", 0} : node.host;
        out->port = err ? -1 : node.port;
        gr_request_reply(req, out);
        return;
    }
    int32_t n = in->coordinator_keys.count > 0 ? in->coordinator_keys.count : 0;
    out->coordinators.items = gr_request_alloc(req, (size_t)(n + 1) * sizeof *out->coordinators.items);
    out->coordinators.count = n;
    for (int32_t i = 0; i < n; i++) {
        gr_find_coordinator_response_coordinator *co = &out->coordinators.items[i];
        gr_find_coordinator_response_coordinator_init(co);
        co->key = in->coordinator_keys.items[i];
        int16_t err = lookup(req, key_type, co->key, &node, &message);
        co->error_code = err;
        co->error_message = message ? gr_request_strdup(req, message) : (gr_str){NULL, -1};
        co->node_id = err ? -1 : node.id;
        co->host = err ? (gr_str){"", 0} : node.host;
        co->port = err ? -1 : node.port;
    }
    gr_request_reply(req, out);
}
