/*
 * config_edit.c: DescribeConfigs and the read-modify-write AlterConfigs (see config_edit.h).
 */
#include "cli/config_edit.h"

#include <stdlib.h>
#include <string.h>

#include "cli/exit_codes.h"
#include "cli/output.h"

int gr_config_edits_set(gr_config_edits *e, const gr_tool_help *tool, const char *kv) {
    if (e->count >= GR_CONFIG_EDITS_MAX) return gr_usage_error(tool, "too many config changes");
    gr_config_edit *it = &e->items[e->count];
    if (gr_split_kv(kv, it->key, sizeof it->key, &it->value) < 0)
        return gr_usage_error(tool, "expected KEY=VALUE, got '%s'", kv);
    e->count++;
    return 0;
}

int gr_config_edits_delete(gr_config_edits *e, const gr_tool_help *tool, const char *key) {
    if (e->count >= GR_CONFIG_EDITS_MAX) return gr_usage_error(tool, "too many config changes");
    if (!*key || strchr(key, '=') || strlen(key) >= GR_CONFIG_KEY_MAX_CHARS)
        return gr_usage_error(tool, "expected a config name to delete, got '%s'", key);
    gr_config_edit *it = &e->items[e->count++];
    snprintf(it->key, sizeof it->key, "%s", key);
    it->value = NULL;
    return 0;
}

static const char *kind(rd_kafka_ResourceType_t type) {
    return type == RD_KAFKA_RESOURCE_TOPIC ? "topic" : "broker";
}

rd_kafka_ConfigSource_t gr_config_own_source(rd_kafka_ResourceType_t type) {
    return type == RD_KAFKA_RESOURCE_TOPIC ? RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG
                                           : RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG;
}

int gr_config_describe(gr_client *c, rd_kafka_ResourceType_t type, const char *const *names, int count,
                       rd_kafka_event_t **out) {
    *out = NULL;
    rd_kafka_ConfigResource_t **res = calloc((size_t)count, sizeof *res);
    if (!res) return GR_EXIT_FAILED;
    for (int i = 0; i < count; i++) res[i] = rd_kafka_ConfigResource_new(type, names[i]);
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    rd_kafka_AdminOptions_t *o = gr_client_admin_options(c, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    rd_kafka_DescribeConfigs(c->rk, res, (size_t)count, o, q);
    rd_kafka_event_t *ev = gr_client_admin_wait(c, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ConfigResource_destroy_array(res, (size_t)count);
    free(res);
    rd_kafka_queue_destroy(q);
    if (!ev) return GR_EXIT_UNREACHABLE;
    rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
    if (err) {
        gr_err(c->command, "describing configs: %s", rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return gr_exit_for_error(err);
    }
    *out = ev;
    return GR_EXIT_OK;
}

static const gr_config_edit *find_edit(const gr_config_edits *e, const char *key) {
    for (int i = e->count - 1; i >= 0; i--)
        if (!strcmp(e->items[i].key, key)) return &e->items[i];
    return NULL;
}

/* Adds the resource's own dynamic settings that the edits leave alone; -1 if one is sensitive. */
static int carry_over(gr_client *c, const rd_kafka_ConfigResource_t *cur, rd_kafka_ResourceType_t type,
                      const gr_config_edits *e, rd_kafka_ConfigResource_t *next) {
    size_t n = 0;
    const rd_kafka_ConfigEntry_t **entries = rd_kafka_ConfigResource_configs(cur, &n);
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_ConfigEntry_t *ce = entries[i];
        if (rd_kafka_ConfigEntry_source(ce) != gr_config_own_source(type)) continue;
        const char *name = rd_kafka_ConfigEntry_name(ce);
        if (find_edit(e, name)) continue;
        const char *value = rd_kafka_ConfigEntry_value(ce);
        if (!value && rd_kafka_ConfigEntry_is_sensitive(ce)) {
            gr_err(c->command,
                   "'%s' is a sensitive setting whose value cannot be read back; without "
                   "IncrementalAlterConfigs it would be lost, so include it in this change",
                   name);
            return -1;
        }
        rd_kafka_ConfigResource_set_config(next, name, value);
    }
    return 0;
}

int gr_config_apply(gr_client *c, rd_kafka_ResourceType_t type, const char *name, const gr_config_edits *e) {
    rd_kafka_event_t *desc = NULL;
    const char *names[1] = {name};
    int rc = gr_config_describe(c, type, names, 1, &desc);
    if (rc) return rc;
    size_t n = 0;
    const rd_kafka_ConfigResource_t **cur =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(desc), &n);
    if (n != 1 || rd_kafka_ConfigResource_error(cur[0])) {
        rd_kafka_resp_err_t err = n == 1 ? rd_kafka_ConfigResource_error(cur[0]) : RD_KAFKA_RESP_ERR__FAIL;
        const char *why = n == 1 ? rd_kafka_ConfigResource_error_string(cur[0]) : NULL;
        gr_err(c->command, "%s '%s': %s", kind(type), name, why && *why ? why : rd_kafka_err2str(err));
        rd_kafka_event_destroy(desc);
        return gr_exit_for_error(err);
    }
    rd_kafka_ConfigResource_t *next = rd_kafka_ConfigResource_new(type, name);
    if (carry_over(c, cur[0], type, e, next) < 0) {
        rd_kafka_ConfigResource_destroy(next);
        rd_kafka_event_destroy(desc);
        return GR_EXIT_FAILED;
    }
    rd_kafka_event_destroy(desc);
    /* Later edits of the same key win; deletions simply leave the key out of the new set. */
    for (int i = 0; i < e->count; i++) {
        if (find_edit(e, e->items[i].key) != &e->items[i] || !e->items[i].value) continue;
        rd_kafka_ConfigResource_set_config(next, e->items[i].key, e->items[i].value);
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    rd_kafka_AdminOptions_t *o = gr_client_admin_options(c, RD_KAFKA_ADMIN_OP_ALTERCONFIGS);
    rd_kafka_AlterConfigs(c->rk, &next, 1, o, q);
    rd_kafka_event_t *ev = gr_client_admin_wait(c, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ConfigResource_destroy(next);
    rd_kafka_queue_destroy(q);
    if (!ev) return GR_EXIT_UNREACHABLE;
    rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
    const char *why = rd_kafka_event_error_string(ev);
    if (!err) {
        const rd_kafka_ConfigResource_t **res =
            rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &n);
        if (n == 1 && rd_kafka_ConfigResource_error(res[0])) {
            err = rd_kafka_ConfigResource_error(res[0]);
            why = rd_kafka_ConfigResource_error_string(res[0]);
        }
    }
    if (err)
        gr_err(c->command, "changing %s '%s': %s", kind(type), name,
               why && *why ? why : rd_kafka_err2str(err));
    rd_kafka_event_destroy(ev);
    return gr_exit_for_error(err);
}
