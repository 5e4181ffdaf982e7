/*
 * handle_configs.c: DescribeConfigs, AlterConfigs and IncrementalAlterConfigs.
 * Topic configuration is stored with the topic (cluster/topics.c); broker
 * configuration comes from server.properties and cannot be changed at run time.
 * In cluster mode a topic change is checked against the local copy of the topic
 * and then written through the cluster (/config/topics/T), which every broker
 * applies to its own copy; the answer waits for that write.
 */
#include <stdio.h>
#include <string.h>

#include "broker/cluster_call.h"
#include "broker/handlers.h"
#include "cluster/topic_config.h"
#include "proto/errors.h"
#include "proto/gen/alter_configs.h"
#include "proto/gen/describe_configs.h"
#include "proto/gen/incremental_alter_configs.h"

#define RESOURCE_TOPIC 2
#define RESOURCE_BROKER 4
#define RESOURCE_BROKER_LOGGER 8
#define CONFIG_ENTRIES_MAX 128

#define OP_SET 0
#define OP_DELETE 1
#define OP_APPEND 2
#define OP_SUBTRACT 3

typedef struct describe_ctx {
    gr_request *req;
    gr_describe_configs_response_describe_configs_result *r;
    const gr_describe_configs_request_describe_configs_resource *want;
    bool synonyms;
} describe_ctx;

static bool wanted(const describe_ctx *c, const char *name) {
    if (c->want->configuration_keys.count < 0) return true;
    for (int32_t i = 0; i < c->want->configuration_keys.count; i++)
        if (gr_str_eq(c->want->configuration_keys.items[i], name)) return true;
    return false;
}

static gr_str dup_or_null(gr_request *req, const char *s) {
    return s ? gr_request_strdup(req, s) : (gr_str){NULL, -1};
}

static bool add_entry(const gr_config_entry *ce, void *ud) {
    describe_ctx *c = ud;
    if (!wanted(c, ce->name) || c->r->configs.count >= CONFIG_ENTRIES_MAX) return true;
    gr_describe_configs_response_describe_configs_resource_result *e =
        &c->r->configs.items[c->r->configs.count++];
    gr_describe_configs_response_describe_configs_resource_result_init(e);
    e->name = gr_request_strdup(c->req, ce->name);
    e->value = dup_or_null(c->req, ce->value);
    e->read_only = ce->read_only;
    e->is_default = ce->source == GR_CONFIG_SOURCE_DEFAULT;
    e->config_source = (int8_t)ce->source;
    e->config_type = (int8_t)ce->type;
    e->documentation.len = -1;
    if (c->synonyms && ce->synonym_count > 0) {
        e->synonyms.items = gr_request_alloc(c->req, (size_t)ce->synonym_count * sizeof e->synonyms.items[0]);
        e->synonyms.count = ce->synonym_count;
        for (int i = 0; i < ce->synonym_count; i++) {
            gr_describe_configs_response_describe_configs_synonym_init(&e->synonyms.items[i]);
            e->synonyms.items[i].name = gr_request_strdup(c->req, ce->synonyms[i].name);
            e->synonyms.items[i].value = dup_or_null(c->req, ce->synonyms[i].value);
            e->synonyms.items[i].source = (int8_t)ce->synonyms[i].source;
        }
    }
    return true;
}

static bool is_our_broker(gr_request *req, gr_str name) {
    char id[16];
    snprintf(id, sizeof id, "%d", req->broker->cfg.node_id);
    return name.len == 0 || gr_str_eq(name, id);
}

void gr_handle_describe_configs(gr_request *req) {
    const gr_describe_configs_request *in = req->body;
    gr_describe_configs_response *out = gr_request_new_response(req);
    gr_broker *b = req->broker;
    out->results.items =
        gr_request_alloc(req, (size_t)(in->resources.count + 1) * sizeof out->results.items[0]);
    out->results.count = in->resources.count;
    for (int32_t i = 0; i < in->resources.count; i++) {
        const gr_describe_configs_request_describe_configs_resource *want = &in->resources.items[i];
        gr_describe_configs_response_describe_configs_result *r = &out->results.items[i];
        gr_describe_configs_response_describe_configs_result_init(r);
        r->resource_type = want->resource_type;
        r->resource_name = want->resource_name;
        r->configs.items = gr_request_alloc(req, CONFIG_ENTRIES_MAX * sizeof r->configs.items[0]);
        r->configs.count = 0;
        describe_ctx ctx = {req, r, want, req->api_version >= 1 && in->include_synonyms};
        if (want->resource_type == RESOURCE_TOPIC) {
            const char *why;
            if (!gr_topic_name_valid(want->resource_name, &why)) {
                r->error_code = GR_ERR_INVALID_TOPIC_EXCEPTION;
                r->error_message = gr_request_strdup(req, why);
                continue;
            }
            gr_topic *topic = gr_topics_get(b->topics, want->resource_name);
            if (!topic) {
                r->error_code = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION; /* Kafka gives no message */
                continue;
            }
            gr_properties configs;
            gr_properties_init(&configs);
            gr_topics_copy_configs(b->topics, topic, &configs);
            gr_topic_config_visit(&b->cfg, &configs, add_entry, &ctx);
            gr_properties_free(&configs);
            gr_topic_release(topic);
        } else if (want->resource_type == RESOURCE_BROKER) {
            if (!is_our_broker(req, want->resource_name)) {
                r->error_code = GR_ERR_INVALID_REQUEST;
                r->error_message = gr_request_strdup(req, "Unexpected broker id");
                continue;
            }
            /* The empty name is the cluster-wide dynamic default layer, which is empty here. */
            if (want->resource_name.len > 0) gr_broker_config_visit(&b->cfg, add_entry, &ctx);
        } else if (want->resource_type == RESOURCE_BROKER_LOGGER) {
            continue; /* no loggers to describe */
        } else {
            r->error_code = GR_ERR_INVALID_REQUEST;
            r->error_message = gr_request_strdup(req, "Unsupported resource type");
        }
    }
    gr_request_reply(req, out);
}

static gr_str no_such_topic(gr_request *req, gr_str name) {
    char text[400];
    snprintf(text, sizeof text, "The topic '%.*s' does not exist.", name.len > 0 ? (int)name.len : 0,
             name.len > 0 ? name.ptr : "");
    return gr_request_strdup(req, text);
}

/* Copies a wire string into a C buffer; false if it does not fit or is null. */
static bool cstr(gr_str s, char *out, size_t n) {
    if (s.len < 0 || (size_t)s.len >= n) return false;
    memcpy(out, s.ptr, (size_t)s.len);
    out[s.len] = '\0';
    return true;
}

static int16_t refuse_broker(gr_request *req, gr_str name, gr_str *msg) {
    if (!is_our_broker(req, name)) return GR_ERR_INVALID_REQUEST;
    *msg = gr_request_strdup(
        req, "Broker configuration is read from server.properties and cannot be changed at run time.");
    return GR_ERR_INVALID_REQUEST;
}

/* Cluster mode: what a started change keeps until the answer (the change may read it later). */
typedef struct alter_hold {
    bool used;
    gr_properties set;
    const char **removes;
} alter_hold;

/* Checks the change against the local topic; in cluster mode then starts it through the cluster
 * (call non-NULL), the slot's result becoming the answer. */
static int16_t alter_topic(gr_request *req, gr_cluster_call *call, int i, gr_str name,
                           const gr_properties *set, const char *const *removes, int nremove, bool replace,
                           bool validate_only, const char **why) {
    int16_t err = gr_topics_alter_config(req->broker->topics, name, set, removes, nremove, replace,
                                         validate_only || call != NULL, why);
    if (err != GR_ERR_NONE || !call || validate_only) return err;
    alter_hold *h = &((alter_hold *)call->ud)[i];
    h->used = true;
    gr_properties_init(&h->set);
    for (size_t k = 0; k < set->count; k++)
        gr_properties_set(&h->set, set->items[k].key, set->items[k].value);
    h->removes = gr_request_alloc(req, (size_t)(nremove + 1) * sizeof *h->removes);
    for (int k = 0; k < nremove; k++) h->removes[k] = gr_request_strdup(req, removes[k]).ptr;
    char topic[256];
    snprintf(topic, sizeof topic, "%.*s", name.len, name.ptr);
    gr_cluster_alter_topic_config(req->broker->cluster, topic, &h->set, h->removes, nremove, replace, false,
                                  gr_cluster_call_done, gr_cluster_call_slot(call, i));
    return GR_ERR_NONE;
}

static gr_cluster_call *alter_call(gr_request *req, void *out, int32_t n, gr_cluster_finish_fn finish) {
    if (!req->broker->cluster) return NULL;
    gr_cluster_call *call = gr_cluster_call_new(req, out, n, finish);
    if (!call) return NULL;
    call->ud = gr_request_alloc(req, (size_t)(n + 1) * sizeof(alter_hold));
    memset(call->ud, 0, (size_t)(n + 1) * sizeof(alter_hold));
    return call;
}

static void release_holds(gr_cluster_call *call) {
    alter_hold *holds = call->ud;
    for (int i = 0; i < call->count; i++)
        if (holds[i].used) gr_properties_free(&holds[i].set);
}

static void alter_finish(gr_cluster_call *call) {
    gr_alter_configs_response *out = call->response;
    for (int i = 0; i < call->count; i++) {
        if (!call->slots[i].started) continue;
        out->responses.items[i].error_code = call->slots[i].error;
        out->responses.items[i].error_message = gr_cluster_slot_message(call->req, &call->slots[i]);
    }
    release_holds(call);
    gr_request_reply(call->req, out);
}

static void incremental_finish(gr_cluster_call *call) {
    gr_incremental_alter_configs_response *out = call->response;
    for (int i = 0; i < call->count; i++) {
        if (!call->slots[i].started) continue;
        out->responses.items[i].error_code = call->slots[i].error;
        out->responses.items[i].error_message = gr_cluster_slot_message(call->req, &call->slots[i]);
    }
    release_holds(call);
    gr_request_reply(call->req, out);
}

void gr_handle_alter_configs(gr_request *req) {
    const gr_alter_configs_request *in = req->body;
    gr_alter_configs_response *out = gr_request_new_response(req);
    out->responses.items =
        gr_request_alloc(req, (size_t)(in->resources.count + 1) * sizeof out->responses.items[0]);
    out->responses.count = in->resources.count;
    gr_cluster_call *call = alter_call(req, out, in->resources.count, alter_finish);
    for (int32_t i = 0; i < in->resources.count; i++) {
        const gr_alter_configs_request_alter_configs_resource *res = &in->resources.items[i];
        gr_alter_configs_response_alter_configs_resource_response *r = &out->responses.items[i];
        gr_alter_configs_response_alter_configs_resource_response_init(r);
        r->resource_type = res->resource_type;
        r->resource_name = res->resource_name;
        if (res->resource_type != RESOURCE_TOPIC) {
            r->error_code = res->resource_type == RESOURCE_BROKER
                                ? refuse_broker(req, res->resource_name, &r->error_message)
                                : GR_ERR_INVALID_REQUEST;
            continue;
        }
        gr_properties set;
        gr_properties_init(&set);
        bool ok = true;
        for (int32_t k = 0; k < res->configs.count && ok; k++) {
            char key[256], value[1024];
            ok = cstr(res->configs.items[k].name, key, sizeof key) &&
                 cstr(res->configs.items[k].value, value, sizeof value);
            if (ok) gr_properties_set(&set, key, value);
        }
        const char *why = NULL;
        r->error_code =
            ok ? alter_topic(req, call, i, res->resource_name, &set, NULL, 0, true, in->validate_only, &why)
               : GR_ERR_INVALID_CONFIG;
        if (why) r->error_message = gr_request_strdup(req, why);
        if (r->error_code == GR_ERR_UNKNOWN_TOPIC_OR_PARTITION)
            r->error_message = no_such_topic(req, res->resource_name);
        gr_properties_free(&set);
    }
    if (call)
        gr_cluster_call_launched(call);
    else
        gr_request_reply(req, out);
}

/* APPEND/SUBTRACT on a list-valued topic key (cleanup.policy, the replication throttles). */
static void edit_list(const char *current, const char *item, bool append, char *out, size_t n) {
    out[0] = '\0';
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", current ? current : "");
    bool present = false;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        if (!strcmp(tok, item)) {
            present = true;
            if (!append) continue;
        }
        size_t used = strlen(out);
        snprintf(out + used, n - used, "%s%s", used ? "," : "", tok);
    }
    if (append && !present) {
        size_t used = strlen(out);
        snprintf(out + used, n - used, "%s%s", used ? "," : "", item);
    }
}

static bool only_deletes(const gr_incremental_alter_configs_request_alter_configs_resource *res) {
    for (int32_t k = 0; k < res->configs.count; k++)
        if (res->configs.items[k].config_operation != OP_DELETE) return false;
    return true;
}

void gr_handle_incremental_alter_configs(gr_request *req) {
    const gr_incremental_alter_configs_request *in = req->body;
    gr_incremental_alter_configs_response *out = gr_request_new_response(req);
    out->responses.items =
        gr_request_alloc(req, (size_t)(in->resources.count + 1) * sizeof out->responses.items[0]);
    out->responses.count = in->resources.count;
    gr_cluster_call *call = alter_call(req, out, in->resources.count, incremental_finish);
    for (int32_t i = 0; i < in->resources.count; i++) {
        const gr_incremental_alter_configs_request_alter_configs_resource *res = &in->resources.items[i];
        gr_incremental_alter_configs_response_alter_configs_resource_response *r = &out->responses.items[i];
        gr_incremental_alter_configs_response_alter_configs_resource_response_init(r);
        r->resource_type = res->resource_type;
        r->resource_name = res->resource_name;
        if (res->resource_type == RESOURCE_BROKER && only_deletes(res) && is_our_broker(req, res->resource_name))
            continue; /* nothing is set at run time, so deleting a dynamic key changes nothing (as
                         the reassignment tool's clearing of throttles expects) */
        if (res->resource_type != RESOURCE_TOPIC) {
            r->error_code = res->resource_type == RESOURCE_BROKER
                                ? refuse_broker(req, res->resource_name, &r->error_message)
                                : GR_ERR_INVALID_REQUEST;
            continue;
        }
        gr_topic *topic = gr_topics_get(req->broker->topics, res->resource_name);
        if (!topic) {
            r->error_code = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            r->error_message = no_such_topic(req, res->resource_name);
            continue;
        }
        gr_properties current, set;
        gr_properties_init(&current);
        gr_properties_init(&set);
        gr_topics_copy_configs(req->broker->topics, topic, &current);
        gr_topic_release(topic);
        const char *removes[CONFIG_ENTRIES_MAX];
        char remove_names[CONFIG_ENTRIES_MAX][256];
        int nremove = 0;
        bool ok = true;
        const char *refusal = NULL;
        char refusal_text[512];
        for (int32_t k = 0; k < res->configs.count && ok; k++) {
            const gr_incremental_alter_configs_request_alterable_config *c = &res->configs.items[k];
            char key[256], value[1024] = "";
            ok = cstr(c->name, key, sizeof key);
            if (!ok) break;
            if (c->config_operation == OP_DELETE) {
                if (!gr_topic_config_known(key)) continue; /* Kafka ignores deleting an unknown key */
                if (nremove == CONFIG_ENTRIES_MAX) {
                    ok = false;
                    break;
                }
                snprintf(remove_names[nremove], sizeof remove_names[nremove], "%s", key);
                removes[nremove] = remove_names[nremove];
                nremove++;
                continue;
            }
            ok = cstr(c->value, value, sizeof value);
            if (!ok) break;
            if (c->config_operation == OP_SET) {
                gr_properties_set(&set, key, value);
            } else if (c->config_operation == OP_APPEND || c->config_operation == OP_SUBTRACT) {
                const char *op = c->config_operation == OP_APPEND ? "APPEND" : "SUBTRACT";
                if (!gr_topic_config_known(key)) {
                    snprintf(refusal_text, sizeof refusal_text, "Unknown topic config name: %s", key);
                    refusal = refusal_text;
                    ok = false;
                    break;
                }
                if (gr_topic_config_type(key) != GR_CONFIG_TYPE_LIST) {
                    snprintf(refusal_text, sizeof refusal_text,
                             "Can't %s to key %s because its type is not LIST.", op, key);
                    refusal = refusal_text;
                    ok = false;
                    break;
                }
                char base[1024], edited[1024];
                const char *pending = gr_properties_get(&set, key);
                if (pending)
                    snprintf(base, sizeof base, "%s", pending);
                else
                    gr_topic_config_effective(&req->broker->cfg, &current, key, base, sizeof base);
                edit_list(base, value, c->config_operation == OP_APPEND, edited, sizeof edited);
                gr_properties_set(&set, key, edited);
            } else {
                ok = false;
            }
        }
        const char *why = NULL;
        r->error_code = ok ? alter_topic(req, call, i, res->resource_name, &set, removes, nremove, false,
                                         in->validate_only, &why)
                           : GR_ERR_INVALID_CONFIG;
        if (!why) why = refusal;
        if (why) r->error_message = gr_request_strdup(req, why);
        if (r->error_code == GR_ERR_UNKNOWN_TOPIC_OR_PARTITION)
            r->error_message = no_such_topic(req, res->resource_name);
        gr_properties_free(&current);
        gr_properties_free(&set);
    }
    if (call)
        gr_cluster_call_launched(call);
    else
        gr_request_reply(req, out);
}
