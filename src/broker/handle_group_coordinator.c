/*
 * handle_group_coordinator.c: the group coordinator's life cycle (built from
 * the broker's configuration) and FindCoordinator.
 *
 * On a single node this broker coordinates every group, so FindCoordinator
 * answers with itself once __consumer_offsets exists (made on first use).
 * Transaction coordinators are not served yet: COORDINATOR_NOT_AVAILABLE.
 */
#include "broker/handle_group_common.h"
#include "broker/handlers_group.h"
#include "base/limits.h"
#include "proto/errors.h"
#include "proto/gen/find_coordinator.h"

#define KEY_TYPE_GROUP 0
#define KEY_TYPE_TRANSACTION 1

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
    };
    gr_group_coordinator *c = gr_gc_new(&cfg, &svc);
    if (!c) GR_ERROR("group", "cannot start the group coordinator");
    return c;
}

void gr_group_coordinator_stop(gr_group_coordinator *g) { gr_gc_free(g); }

/* Error or this broker, for one key. */
static int16_t lookup(gr_request *req, int8_t key_type, const char **message) {
    gr_broker *b = req->broker;
    *message = NULL;
    switch (key_type) {
    case KEY_TYPE_GROUP:
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
    gr_broker *b = req->broker;
    int8_t key_type = req->api_version >= 1 ? in->key_type : KEY_TYPE_GROUP;
    const char *message;
    int16_t err = lookup(req, key_type, &message);
    gr_str host = gr_request_strdup(req, b->advertised[0].host);
    if (req->api_version < 4) {
        out->error_code = err;
        out->error_message = message ? gr_request_strdup(req, message) : (gr_str){NULL, -1};
        out->node_id = err ? -1 : b->cfg.node_id;
        out->host = err ? (gr_str){"", 0} : host;
        out->port = err ? -1 : b->advertised[0].port;
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
        co->error_code = err;
        co->error_message = message ? gr_request_strdup(req, message) : (gr_str){NULL, -1};
        co->node_id = err ? -1 : b->cfg.node_id;
        co->host = err ? (gr_str){"", 0} : host;
        co->port = err ? -1 : b->advertised[0].port;
    }
    gr_request_reply(req, out);
}
