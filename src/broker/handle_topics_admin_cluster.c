/*
 * handle_topics_admin_cluster.c: CreateTopics, DeleteTopics and CreatePartitions in cluster mode.
 * What can be refused from the request and the cluster view is refused here with Kafka's errors;
 * the rest is one cluster change per topic (cluster.h), answered when every change has reported.
 */
#include <stdio.h>
#include <string.h>

#include "broker/cluster_call.h"
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

static void topic_name(gr_str name, char out[256]) { snprintf(out, 256, "%.*s", name.len, name.ptr); }

static bool has_duplicates(const int32_t *ids, int32_t n) {
    for (int32_t i = 0; i < n; i++)
        for (int32_t j = i + 1; j < n; j++)
            if (ids[i] == ids[j]) return true;
    return false;
}

/* ---- CreateTopics ---- */

typedef struct create_plan {
    int32_t partitions;
    int16_t rf;
    int32_t *assignment; /* partitions x rf, or NULL */
    gr_properties configs;
    bool has_configs;
} create_plan;

/* Checks one topic against the request and the view; false with r's error set. */
static bool plan_create(gr_request *req, const gr_cluster_view *v,
                        const gr_create_topics_request_creatable_topic *t,
                        gr_create_topics_response_creatable_topic_result *r, create_plan *plan) {
    gr_broker *b = req->broker;
    plan->partitions = t->num_partitions;
    plan->rf = t->replication_factor;
    plan->assignment = NULL;
    const gr_cluster_topic *existing = gr_cluster_view_topic(v, t->name.ptr, (size_t)t->name.len);
    if (existing) {
        r->error_code = GR_ERR_TOPIC_ALREADY_EXISTS;
        char text[512];
        snprintf(text, sizeof text,
                 existing->deleting ? "Topic '%.*s' is marked for deletion." : "Topic '%.*s' already exists.",
                 t->name.len, t->name.ptr);
        r->error_message = gr_request_strdup(req, text);
        return false;
    }
    if (t->assignments.count > 0) {
        if (plan->partitions != -1 || plan->rf != -1) {
            r->error_code = GR_ERR_INVALID_REQUEST;
            r->error_message =
                gr_request_strdup(req, "Both numPartitions or replicationFactor and replicasAssignments were "
                                       "set. Both cannot be used at the same time.");
            return false;
        }
        int32_t n = t->assignments.count, rf = t->assignments.items[0].broker_ids.count;
        for (int32_t i = 0; i < n; i++) {
            const gr_create_topics_request_creatable_replica_assignment *a = &t->assignments.items[i];
            const char *why = NULL;
            if (a->partition_index != i)
                why = "Partitions should be a consecutive 0-based integer sequence";
            else if (a->broker_ids.count != rf)
                why = "All partitions should have the same number of replicas";
            else if (rf <= 0 || rf > GR_REPLICAS_MAX || has_duplicates(a->broker_ids.items, rf))
                why = "Duplicate replica assignment found";
            if (why) {
                r->error_code = GR_ERR_INVALID_REPLICA_ASSIGNMENT;
                r->error_message = gr_request_strdup(req, why);
                return false;
            }
        }
        plan->partitions = n;
        plan->rf = (int16_t)rf;
        plan->assignment = gr_request_alloc(req, (size_t)n * (size_t)rf * sizeof(int32_t));
        for (int32_t i = 0; i < n; i++)
            memcpy(plan->assignment + (size_t)i * (size_t)rf, t->assignments.items[i].broker_ids.items,
                   (size_t)rf * sizeof(int32_t));
    }
    if (plan->partitions == -1) plan->partitions = b->cfg.num_partitions;
    if (plan->rf == -1) plan->rf = b->cfg.default_replication_factor;
    if (plan->partitions <= 0) {
        r->error_code = GR_ERR_INVALID_PARTITIONS;
        r->error_message =
            gr_request_strdup(req, "Number of partitions was set to an invalid non-positive value.");
        return false;
    }
    if (plan->rf <= 0) {
        r->error_code = GR_ERR_INVALID_REPLICATION_FACTOR;
        r->error_message = gr_request_strdup(
            req, "Replication factor must be larger than 0, or -1 to use the default value.");
        return false;
    }
    if (!plan->assignment && plan->rf > v->broker_count) {
        r->error_code = GR_ERR_INVALID_REPLICATION_FACTOR;
        r->error_message = fmt(req, "Replication factor: %lld larger than available brokers: %lld.", plan->rf,
                               v->broker_count);
        return false;
    }
    if (!gr_create_topics_read_configs(req, t, r, &plan->configs)) return false;
    plan->has_configs = true;
    for (size_t i = 0; i < plan->configs.count; i++) {
        char canon[1024];
        const char *why = NULL;
        if (!gr_topic_config_check(plan->configs.items[i].key, plan->configs.items[i].value, canon,
                                   sizeof canon, &why)) {
            r->error_code = GR_ERR_INVALID_CONFIG;
            if (why) r->error_message = gr_request_strdup(req, why);
            return false;
        }
    }
    return true;
}

static void create_finish(gr_cluster_call *call) {
    gr_request *req = call->req;
    gr_create_topics_response *out = call->response;
    create_plan *plans = call->ud;
    gr_cluster_view *v = gr_cluster_view_get(req->broker->cluster);
    for (int i = 0; i < call->count; i++) {
        gr_create_topics_response_creatable_topic_result *r = &out->topics.items[i];
        const gr_cluster_slot *s = &call->slots[i];
        if (s->started) {
            r->error_code = s->error;
            r->error_message = gr_cluster_slot_message(req, s);
            if (s->error == GR_ERR_NONE && req->api_version >= 5) {
                r->num_partitions = plans[i].partitions;
                r->replication_factor = plans[i].rf;
                gr_create_topics_fill_configs(req, r, &plans[i].configs);
                const gr_cluster_topic *ct = gr_cluster_view_topic(v, r->name.ptr, (size_t)r->name.len);
                if (ct) memcpy(r->topic_id.b, ct->id, 16);
            }
        }
        if (plans[i].has_configs) gr_properties_free(&plans[i].configs);
    }
    gr_cluster_view_release(v);
    gr_request_reply(req, out);
}

void gr_handle_create_topics_cluster(gr_request *req) {
    const gr_create_topics_request *in = req->body;
    gr_create_topics_response *out = gr_request_new_response(req);
    int32_t n = in->topics.count > 0 ? in->topics.count : 0;
    out->topics.items = gr_request_alloc(req, (size_t)(n + 1) * sizeof out->topics.items[0]);
    out->topics.count = n;
    create_plan *plans = gr_request_alloc(req, (size_t)(n + 1) * sizeof *plans);
    memset(plans, 0, (size_t)(n + 1) * sizeof *plans);
    gr_cluster_call *call = gr_cluster_call_new(req, out, n, create_finish);
    if (!call) {
        gr_request_close(req);
        return;
    }
    call->ud = plans;
    bool validate_only = req->api_version >= 1 && in->validate_only;
    gr_cluster_view *v = gr_cluster_view_get(req->broker->cluster);
    for (int32_t i = 0; i < n; i++) {
        const gr_create_topics_request_creatable_topic *t = &in->topics.items[i];
        gr_create_topics_response_creatable_topic_result *r = &out->topics.items[i];
        gr_create_topics_response_creatable_topic_result_init(r);
        r->name = t->name;
        const char *why;
        if (!gr_topic_name_valid(t->name, &why)) {
            r->error_code = GR_ERR_INVALID_TOPIC_EXCEPTION;
            r->error_message = gr_request_strdup(req, why);
            continue;
        }
        if (gr_create_topics_duplicate(in, i, r, req) || !plan_create(req, v, t, r, &plans[i])) continue;
        char name[256];
        topic_name(t->name, name);
        gr_cluster_create_topic(req->broker->cluster, name, plans[i].partitions, plans[i].rf,
                                plans[i].assignment, &plans[i].configs, validate_only, in->timeout_ms,
                                gr_cluster_call_done, gr_cluster_call_slot(call, i));
    }
    gr_cluster_view_release(v);
    gr_cluster_call_launched(call);
}

/* ---- DeleteTopics ---- */

static const gr_cluster_topic *view_topic_by_id(const gr_cluster_view *v, const uint8_t id[16]) {
    static const uint8_t zero[16];
    if (!memcmp(id, zero, 16)) return NULL;
    for (int i = 0; i < v->topic_count; i++)
        if (!memcmp(v->topics[i].id, id, 16)) return &v->topics[i];
    return NULL;
}

static void delete_finish(gr_cluster_call *call) {
    gr_request *req = call->req;
    gr_delete_topics_response *out = call->response;
    for (int i = 0; i < call->count; i++) {
        gr_delete_topics_response_deletable_topic_result *r = &out->responses.items[i];
        const gr_cluster_slot *s = &call->slots[i];
        if (!s->started) continue;
        r->error_code = s->error;
        r->error_message = gr_cluster_slot_message(req, s);
        /* Offsets of groups coordinated here go with the topic, as on a single node. */
        if (s->error == GR_ERR_NONE) gr_gc_topic_deleted(req->broker->groups, r->name);
    }
    gr_request_reply(req, out);
}

void gr_handle_delete_topics_cluster(gr_request *req) {
    const gr_delete_topics_request *in = req->body;
    gr_delete_topics_response *out = gr_request_new_response(req);
    gr_broker *b = req->broker;
    bool v6 = req->api_version >= 6;
    int32_t n = v6 ? in->topics.count : in->topic_names.count;
    if (n < 0) n = 0;
    out->responses.items = gr_request_alloc(req, (size_t)(n + 1) * sizeof out->responses.items[0]);
    out->responses.count = n;
    gr_cluster_call *call = gr_cluster_call_new(req, out, n, delete_finish);
    if (!call) {
        gr_request_close(req);
        return;
    }
    gr_cluster_view *v = gr_cluster_view_get(b->cluster);
    for (int32_t i = 0; i < n; i++) {
        gr_delete_topics_response_deletable_topic_result *r = &out->responses.items[i];
        gr_delete_topics_response_deletable_topic_result_init(r);
        gr_str name = v6 ? in->topics.items[i].name : in->topic_names.items[i];
        const gr_cluster_topic *ct;
        if (v6 && name.len < 0) {
            r->topic_id = in->topics.items[i].topic_id;
            ct = view_topic_by_id(v, in->topics.items[i].topic_id.b);
            if (!ct) {
                r->error_code = GR_ERR_UNKNOWN_TOPIC_ID;
                continue;
            }
            name = gr_request_strdup(req, ct->name);
        } else {
            ct = gr_cluster_view_topic(v, name.ptr, (size_t)(name.len > 0 ? name.len : 0));
            if (ct && v6) memcpy(r->topic_id.b, ct->id, 16);
        }
        r->name = name;
        if (!b->cfg.delete_topic_enable) {
            r->error_code = GR_ERR_TOPIC_DELETION_DISABLED;
            continue;
        }
        if (!ct) {
            r->error_code = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            continue;
        }
        gr_cluster_delete_topic(b->cluster, ct->name, in->timeout_ms, gr_cluster_call_done,
                                gr_cluster_call_slot(call, i));
    }
    gr_cluster_view_release(v);
    gr_cluster_call_launched(call);
}

/* ---- CreatePartitions ---- */

static void partitions_finish(gr_cluster_call *call) {
    gr_request *req = call->req;
    gr_create_partitions_response *out = call->response;
    for (int i = 0; i < call->count; i++) {
        const gr_cluster_slot *s = &call->slots[i];
        if (!s->started) continue;
        out->results.items[i].error_code = s->error;
        out->results.items[i].error_message = gr_cluster_slot_message(req, s);
    }
    gr_request_reply(req, out);
}

/* Checks one topic's growth; returns the new partitions' assignment (or NULL for automatic) in
 * *assignment and its replication factor in *rf; false with r's error set. */
static bool plan_partitions(gr_request *req, const gr_cluster_view *v,
                            const gr_create_partitions_request_create_partitions_topic *t,
                            gr_create_partitions_response_create_partitions_topic_result *r,
                            int32_t **assignment, int *rf) {
    char text[512];
    const gr_cluster_topic *ct = gr_cluster_view_topic(v, t->name.ptr, (size_t)t->name.len);
    *assignment = NULL;
    *rf = 0;
    if (!ct || ct->deleting) {
        r->error_code = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        snprintf(text, sizeof text, "The topic '%.*s' does not exist.", t->name.len, t->name.ptr);
        r->error_message = gr_request_strdup(req, text);
        return false;
    }
    int32_t current = ct->partition_count;
    if (t->count <= current) {
        r->error_code = GR_ERR_INVALID_PARTITIONS;
        if (t->count == current)
            snprintf(text, sizeof text, "Topic already has %d partitions.", current);
        else
            snprintf(text, sizeof text,
                     "Topic currently has %d partitions, which is higher than the requested %d.", current,
                     t->count);
        r->error_message = gr_request_strdup(req, text);
        return false;
    }
    if (t->assignments.count < 0) return true;
    int32_t adding = t->count - current;
    if (t->assignments.count != adding) {
        r->error_code = GR_ERR_INVALID_REPLICA_ASSIGNMENT;
        snprintf(text, sizeof text, "Increasing the number of partitions by %d but %d assignments provided.",
                 adding, t->assignments.count);
        r->error_message = gr_request_strdup(req, text);
        return false;
    }
    int n = t->assignments.items[0].broker_ids.count;
    for (int32_t a = 0; a < adding; a++) {
        const gr_create_partitions_request_create_partitions_assignment *pa = &t->assignments.items[a];
        const char *why = NULL;
        if (pa->broker_ids.count != n)
            why = "Inconsistent replication factor between partitions";
        else if (n <= 0 || n > GR_REPLICAS_MAX || has_duplicates(pa->broker_ids.items, n))
            why = "Duplicate brokers not allowed in replica assignment";
        for (int k = 0; !why && k < n; k++)
            if (!gr_cluster_view_broker(v, pa->broker_ids.items[k]))
                why = "Unknown broker(s) in replica assignment";
        if (why) {
            r->error_code = GR_ERR_INVALID_REPLICA_ASSIGNMENT;
            r->error_message = gr_request_strdup(req, why);
            return false;
        }
    }
    *assignment = gr_request_alloc(req, (size_t)adding * (size_t)n * sizeof(int32_t));
    for (int32_t a = 0; a < adding; a++)
        memcpy(*assignment + (size_t)a * (size_t)n, t->assignments.items[a].broker_ids.items,
               (size_t)n * sizeof(int32_t));
    *rf = n;
    return true;
}

void gr_handle_create_partitions_cluster(gr_request *req) {
    const gr_create_partitions_request *in = req->body;
    gr_create_partitions_response *out = gr_request_new_response(req);
    int32_t n = in->topics.count > 0 ? in->topics.count : 0;
    out->results.items = gr_request_alloc(req, (size_t)(n + 1) * sizeof out->results.items[0]);
    out->results.count = n;
    gr_cluster_call *call = gr_cluster_call_new(req, out, n, partitions_finish);
    if (!call) {
        gr_request_close(req);
        return;
    }
    gr_cluster_view *v = gr_cluster_view_get(req->broker->cluster);
    for (int32_t i = 0; i < n; i++) {
        const gr_create_partitions_request_create_partitions_topic *t = &in->topics.items[i];
        gr_create_partitions_response_create_partitions_topic_result *r = &out->results.items[i];
        gr_create_partitions_response_create_partitions_topic_result_init(r);
        r->name = t->name;
        bool duplicate = false;
        for (int32_t j = 0; j < n && !duplicate; j++)
            duplicate = j != i && t->name.len == in->topics.items[j].name.len &&
                        !memcmp(t->name.ptr, in->topics.items[j].name.ptr, (size_t)t->name.len);
        if (duplicate) {
            r->error_code = GR_ERR_INVALID_REQUEST;
            r->error_message = gr_request_strdup(req, "Duplicate topic in request.");
            continue;
        }
        int32_t *assignment;
        int rf;
        if (!plan_partitions(req, v, t, r, &assignment, &rf)) continue;
        char name[256];
        topic_name(t->name, name);
        gr_cluster_add_partitions(req->broker->cluster, name, t->count, assignment, rf, in->validate_only,
                                  gr_cluster_call_done, gr_cluster_call_slot(call, i));
    }
    gr_cluster_view_release(v);
    gr_cluster_call_launched(call);
}
