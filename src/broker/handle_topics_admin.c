/*
 * handle_topics_admin.c: CreateTopics, DeleteTopics and CreatePartitions.
 * One broker holds every replica, so a replication factor above 1, or an
 * assignment naming another broker, is refused with Kafka's errors. In cluster mode the
 * changes go through the cluster instead (handle_topics_admin_cluster.c).
 */
#include <stdio.h>
#include <string.h>

#include "broker/handle_topics_admin.h"
#include "broker/handlers.h"
#include "cluster/topic_config.h"
#include "group/coordinator.h"
#include "proto/errors.h"
#include "proto/gen/create_partitions.h"
#include "proto/gen/create_topics.h"
#include "proto/gen/delete_topics.h"

static gr_str fmt(gr_request *req, const char *f, long long a, long long b) {
    char text[256];
    snprintf(text, sizeof text, f, a, b);
    return gr_request_strdup(req, text);
}

#define TOPIC_CONFIG_KEYS_MAX 64

typedef struct config_result_ctx {
    gr_request *req;
    gr_create_topics_response_creatable_topic_result *r;
} config_result_ctx;

static bool add_config(const gr_config_entry *ce, void *ud) {
    config_result_ctx *c = ud;
    if (c->r->configs.count >= TOPIC_CONFIG_KEYS_MAX) return false;
    gr_create_topics_response_creatable_topic_configs *e = &c->r->configs.items[c->r->configs.count++];
    gr_create_topics_response_creatable_topic_configs_init(e);
    e->name = gr_request_strdup(c->req, ce->name);
    e->value = ce->value ? gr_request_strdup(c->req, ce->value) : (gr_str){NULL, -1};
    e->config_source = (int8_t)ce->source;
    e->is_sensitive = false;
    e->read_only = ce->read_only;
    return true;
}

void gr_create_topics_fill_configs(gr_request *req, gr_create_topics_response_creatable_topic_result *r,
                                   const gr_properties *configs) {
    const char *why;
    r->configs.items = gr_request_alloc(req, TOPIC_CONFIG_KEYS_MAX * sizeof r->configs.items[0]);
    r->configs.count = 0;
    config_result_ctx ctx = {req, r};
    gr_properties canon; /* the values as stored: Kafka's form of what was asked */
    gr_properties_init(&canon);
    for (size_t i = 0; i < configs->count; i++) {
        char v[1024];
        if (gr_topic_config_check(configs->items[i].key, configs->items[i].value, v, sizeof v, &why))
            gr_properties_set(&canon, configs->items[i].key, v);
    }
    gr_topic_config_visit(&req->broker->cfg, &canon, add_config, &ctx);
    gr_properties_free(&canon);
}

bool gr_create_topics_read_configs(gr_request *req, const gr_create_topics_request_creatable_topic *t,
                                   gr_create_topics_response_creatable_topic_result *r, gr_properties *out) {
    gr_properties_init(out);
    for (int32_t i = 0; i < t->configs.count; i++) {
        const gr_create_topics_request_creatable_topic_config *c = &t->configs.items[i];
        char key[256], value[1024];
        if (c->value.len < 0) {
            r->error_code = GR_ERR_INVALID_CONFIG;
            r->error_message = gr_request_strdup(req, "Null value not supported for topic configs");
            gr_properties_free(out);
            return false;
        }
        if (c->name.len >= (int32_t)sizeof key || c->value.len >= (int32_t)sizeof value) {
            r->error_code = GR_ERR_INVALID_CONFIG;
            gr_properties_free(out);
            return false;
        }
        snprintf(key, sizeof key, "%.*s", c->name.len, c->name.ptr);
        snprintf(value, sizeof value, "%.*s", c->value.len, c->value.ptr);
        gr_properties_set(out, key, value);
    }
    return true;
}

bool gr_create_topics_duplicate(const gr_create_topics_request *in, int32_t i,
                                gr_create_topics_response_creatable_topic_result *r, gr_request *req) {
    const gr_create_topics_request_creatable_topic *t = &in->topics.items[i];
    for (int32_t j = 0; j < in->topics.count; j++)
        if (j != i && t->name.len == in->topics.items[j].name.len &&
            !memcmp(t->name.ptr, in->topics.items[j].name.ptr, (size_t)t->name.len)) {
            r->error_code = GR_ERR_INVALID_REQUEST;
            r->error_message =
                gr_request_strdup(req, "Create topics request from client contains a duplicate topic name.");
            return true;
        }
    return false;
}

static bool assignment_valid(gr_request *req, const int32_t *ids, int32_t n) {
    return n == 1 && ids[0] == req->broker->cfg.node_id;
}

static void create_one(gr_request *req, const gr_create_topics_request_creatable_topic *t, bool validate_only,
                       gr_create_topics_response_creatable_topic_result *r) {
    gr_broker *b = req->broker;
    int32_t partitions = t->num_partitions;
    int16_t rf = t->replication_factor;
    if (t->assignments.count > 0) {
        if (partitions != -1 || rf != -1) {
            r->error_code = GR_ERR_INVALID_REQUEST;
            r->error_message =
                gr_request_strdup(req, "Both numPartitions or replicationFactor and replicasAssignments were "
                                       "set. Both cannot be used at the same time.");
            return;
        }
        for (int32_t i = 0; i < t->assignments.count; i++) {
            const gr_create_topics_request_creatable_replica_assignment *a = &t->assignments.items[i];
            if (a->partition_index != i || !assignment_valid(req, a->broker_ids.items, a->broker_ids.count)) {
                r->error_code = GR_ERR_INVALID_REPLICA_ASSIGNMENT;
                r->error_message = gr_request_strdup(
                    req, "Replica assignment names brokers that do not exist or is not contiguous.");
                return;
            }
        }
        partitions = t->assignments.count;
        rf = 1;
    }
    if (partitions == -1) partitions = b->cfg.num_partitions;
    if (rf == -1) rf = b->cfg.default_replication_factor;
    if (partitions <= 0) {
        r->error_code = GR_ERR_INVALID_PARTITIONS;
        r->error_message =
            gr_request_strdup(req, "Number of partitions was set to an invalid non-positive value.");
        return;
    }
    if (rf <= 0) {
        r->error_code = GR_ERR_INVALID_REPLICATION_FACTOR;
        r->error_message = gr_request_strdup(
            req, "Replication factor must be larger than 0, or -1 to use the default value.");
        return;
    }
    if (rf > 1) {
        r->error_code = GR_ERR_INVALID_REPLICATION_FACTOR;
        r->error_message = fmt(req,
                               "Unable to replicate the partition %lld time(s): The target replication "
                               "factor of %lld cannot be reached because only 1 broker(s) are registered.",
                               rf, rf);
        return;
    }
    gr_properties configs;
    if (!gr_create_topics_read_configs(req, t, r, &configs)) return;
    const char *why = NULL;
    r->error_code = gr_topics_create(b->topics, t->name, partitions, &configs, validate_only, &why);
    if (why) r->error_message = gr_request_strdup(req, why);
    if (r->error_code == GR_ERR_NONE && req->api_version >= 5) {
        r->num_partitions = partitions;
        r->replication_factor = rf;
        gr_create_topics_fill_configs(req, r, &configs);
        gr_topic *topic = validate_only ? NULL : gr_topics_get(b->topics, t->name);
        if (topic) {
            memcpy(r->topic_id.b, topic->id, 16);
            gr_topic_release(topic);
        }
    }
    gr_properties_free(&configs);
}

void gr_handle_create_topics(gr_request *req) {
    if (req->broker->cluster) {
        gr_handle_create_topics_cluster(req);
        return;
    }
    const gr_create_topics_request *in = req->body;
    gr_create_topics_response *out = gr_request_new_response(req);
    out->topics.items = gr_request_alloc(req, (size_t)(in->topics.count + 1) * sizeof out->topics.items[0]);
    out->topics.count = in->topics.count;
    for (int32_t i = 0; i < in->topics.count; i++) {
        const gr_create_topics_request_creatable_topic *t = &in->topics.items[i];
        gr_create_topics_response_creatable_topic_result *r = &out->topics.items[i];
        gr_create_topics_response_creatable_topic_result_init(r);
        r->name = t->name;
        if (gr_create_topics_duplicate(in, i, r, req)) continue;
        create_one(req, t, req->api_version >= 1 && in->validate_only, r);
    }
    gr_request_reply(req, out);
}

void gr_handle_delete_topics(gr_request *req) {
    if (req->broker->cluster) {
        gr_handle_delete_topics_cluster(req);
        return;
    }
    const gr_delete_topics_request *in = req->body;
    gr_delete_topics_response *out = gr_request_new_response(req);
    gr_broker *b = req->broker;
    int32_t n = req->api_version >= 6 ? in->topics.count : in->topic_names.count;
    if (n < 0) n = 0;
    out->responses.items = gr_request_alloc(req, (size_t)(n + 1) * sizeof out->responses.items[0]);
    out->responses.count = n;
    for (int32_t i = 0; i < n; i++) {
        gr_delete_topics_response_deletable_topic_result *r = &out->responses.items[i];
        gr_delete_topics_response_deletable_topic_result_init(r);
        gr_str name = req->api_version >= 6 ? in->topics.items[i].name : in->topic_names.items[i];
        if (req->api_version >= 6 && name.len < 0) {
            gr_topic *topic = gr_topics_get_by_id(b->topics, in->topics.items[i].topic_id.b);
            r->topic_id = in->topics.items[i].topic_id;
            if (!topic) {
                r->error_code = GR_ERR_UNKNOWN_TOPIC_ID;
                continue;
            }
            name = gr_request_strdup(req, topic->name);
            gr_topic_release(topic);
        } else if (req->api_version >= 6) {
            gr_topic *topic = gr_topics_get(b->topics, name);
            if (topic) {
                memcpy(r->topic_id.b, topic->id, 16);
                gr_topic_release(topic);
            }
        }
        r->name = name;
        if (!b->cfg.delete_topic_enable) {
            r->error_code = GR_ERR_TOPIC_DELETION_DISABLED;
            continue;
        }
        r->error_code = gr_topics_delete(b->topics, name);
        if (r->error_code == GR_ERR_NONE)
            gr_gc_topic_deleted(b->groups, name); /* its committed offsets go too */
    }
    gr_request_reply(req, out);
}

void gr_handle_create_partitions(gr_request *req) {
    if (req->broker->cluster) {
        gr_handle_create_partitions_cluster(req);
        return;
    }
    const gr_create_partitions_request *in = req->body;
    gr_create_partitions_response *out = gr_request_new_response(req);
    out->results.items = gr_request_alloc(req, (size_t)(in->topics.count + 1) * sizeof out->results.items[0]);
    out->results.count = in->topics.count;
    for (int32_t i = 0; i < in->topics.count; i++) {
        const gr_create_partitions_request_create_partitions_topic *t = &in->topics.items[i];
        gr_create_partitions_response_create_partitions_topic_result *r = &out->results.items[i];
        gr_create_partitions_response_create_partitions_topic_result_init(r);
        r->name = t->name;
        gr_topic *topic = gr_topics_get(req->broker->topics, t->name);
        if (!topic) {
            r->error_code = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            continue;
        }
        int32_t current = gr_topic_partition_count(topic);
        gr_topic_release(topic);
        if (t->assignments.count >= 0) {
            bool ok = t->assignments.count == t->count - current;
            for (int32_t a = 0; ok && a < t->assignments.count; a++)
                ok = assignment_valid(req, t->assignments.items[a].broker_ids.items,
                                      t->assignments.items[a].broker_ids.count);
            if (!ok) {
                r->error_code = GR_ERR_INVALID_REPLICA_ASSIGNMENT;
                r->error_message = gr_request_strdup(req, "Replica assignment is invalid for this cluster.");
                continue;
            }
        }
        const char *why = NULL;
        r->error_code =
            gr_topics_add_partitions(req->broker->topics, t->name, t->count, in->validate_only, &why);
        if (why) r->error_message = gr_request_strdup(req, why);
    }
    gr_request_reply(req, out);
}
