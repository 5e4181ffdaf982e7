/*
 * tool_config.c: gregor config get | set -- topic and broker settings.
 *
 * get shows, by default, the settings that differ from the built-in defaults (set on the resource
 * or in the broker's configuration file); --all shows every setting; named keys show just those.
 * set goes through config_edit.c (read-modify-write AlterConfigs).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/config_edit.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/output.h"
#include "cli/tools.h"

enum { OPT_TOPIC, OPT_BROKER, OPT_ALL, OPT_DELETE };

typedef struct config_opts {
    const char *topic;
    const char *broker;
    int32_t broker_id;
    bool all;
    gr_config_edits edits;
} config_opts;

static int on_opt(void *ud, int id, const char *v, gr_cli_common *c) {
    config_opts *o = ud;
    switch (id) {
    case OPT_TOPIC:
        o->topic = v;
        return 0;
    case OPT_BROKER:
        o->broker = v;
        return gr_opt_i32(c->tool, "--broker", v, 0, INT32_MAX, &o->broker_id);
    case OPT_ALL:
        o->all = true;
        return 0;
    case OPT_DELETE:
        return gr_config_edits_delete(&o->edits, c->tool, v);
    }
    return 0;
}

static const gr_opt_spec get_specs[] = {
    {OPT_TOPIC, "topic", 't', "TOPIC", "settings of this topic"},
    {OPT_BROKER, "broker", 0, "ID", "settings of this broker"},
    {OPT_ALL, "all", 0, NULL, "include settings left at their built-in default"},
    {0, NULL, 0, NULL, NULL},
};
static const gr_tool_help get_help = {
    "config get", "(--topic T | --broker ID) [KEY...] [options]",
    "Prints NAME VALUE SOURCE for a topic's or a broker's settings. Without KEYs: those not at their\n"
    "built-in default (all with --all). Sensitive values print as (hidden). A named KEY that the\n"
    "resource does not have is an error (exit 3).",
    "  gregor config get --topic orders\n  gregor config get --broker 1 log.retention.hours\n"};

static const gr_opt_spec set_specs[] = {
    {OPT_TOPIC, "topic", 't', "TOPIC", "change this topic"},
    {OPT_BROKER, "broker", 0, "ID", "change this broker (dynamic broker settings)"},
    {OPT_DELETE, "delete", 'd', "KEY", "remove a setting, back to its default (repeatable)"},
    {0, NULL, 0, NULL, NULL},
};
static const gr_tool_help set_help = {
    "config set", "(--topic T | --broker ID) [KEY=VALUE...] [--delete KEY...]",
    "Changes settings; settings not named keep their values.",
    "  gregor config set --topic orders retention.ms=86400000 --delete cleanup.policy\n"};

/* Parses, checks the resource options and connects. Returns false with *rc set when done. */
static bool start(int argc, char **argv, const gr_tool_help *h, const gr_opt_spec *specs, config_opts *o,
                  gr_cli_common *common, gr_client *c, int *rc) {
    memset(o, 0, sizeof *o);
    memset(c, 0, sizeof *c);
    int p = gr_cli_parse(argc, argv, h, specs, on_opt, o, common);
    if (p != GR_PARSE_OK) {
        *rc = p == GR_PARSE_HELP ? GR_EXIT_OK : GR_EXIT_USAGE;
        return false;
    }
    if (!o->topic == !o->broker) {
        gr_usage_error(h, "give exactly one of --topic and --broker");
        *rc = GR_EXIT_USAGE;
        return false;
    }
    /* set: every KEY=VALUE must parse before anything is sent. */
    for (int i = 0; h == &set_help && i < common->arg_count; i++) {
        if (gr_config_edits_set(&o->edits, h, common->args[i]) < 0) {
            *rc = GR_EXIT_USAGE;
            return false;
        }
    }
    if (h == &set_help && o->edits.count == 0) {
        gr_usage_error(h, "nothing to change: give KEY=VALUE or --delete KEY");
        *rc = GR_EXIT_USAGE;
        return false;
    }
    *rc = gr_client_open(c, common, RD_KAFKA_PRODUCER, NULL, NULL, NULL);
    if (*rc) return false;
    const rd_kafka_metadata_t *md;
    *rc = gr_client_metadata(c, &md);
    if (*rc) return false;
    if (o->broker && !gr_metadata_broker(md, o->broker_id)) {
        gr_err(c->command, "broker %d is not in the cluster", o->broker_id);
        *rc = GR_EXIT_NOT_FOUND;
    } else if (o->topic) {
        const rd_kafka_metadata_topic_t *t = gr_metadata_topic(md, o->topic);
        if (!t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            gr_err(c->command, "topic '%s' does not exist", o->topic);
            *rc = GR_EXIT_NOT_FOUND;
        }
    }
    rd_kafka_metadata_destroy(md);
    return *rc == GR_EXIT_OK;
}

static const char *source_name(rd_kafka_ConfigSource_t s) {
    switch (s) {
    case RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG:
        return "topic";
    case RD_KAFKA_CONFIG_SOURCE_DYNAMIC_BROKER_CONFIG:
        return "broker";
    case RD_KAFKA_CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG:
        return "cluster-default";
    case RD_KAFKA_CONFIG_SOURCE_STATIC_BROKER_CONFIG:
        return "broker-file";
    case RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG:
        return "default";
    default:
        return "unknown";
    }
}

static int cmp_entry(const void *a, const void *b) {
    return strcmp(rd_kafka_ConfigEntry_name(*(const rd_kafka_ConfigEntry_t *const *)a),
                  rd_kafka_ConfigEntry_name(*(const rd_kafka_ConfigEntry_t *const *)b));
}

static bool named(const gr_cli_common *common, const char *name) {
    for (int i = 0; i < common->arg_count; i++)
        if (!strcmp(common->args[i], name)) return true;
    return false;
}

static int config_get(int argc, char **argv) {
    config_opts o;
    gr_cli_common common;
    gr_client c;
    int rc;
    rd_kafka_event_t *ev = NULL;
    if (!start(argc, argv, &get_help, get_specs, &o, &common, &c, &rc)) goto out;
    rd_kafka_ResourceType_t type = o.topic ? RD_KAFKA_RESOURCE_TOPIC : RD_KAFKA_RESOURCE_BROKER;
    const char *name = o.topic ? o.topic : o.broker;
    const char *names[1] = {name};
    if ((rc = gr_config_describe(&c, type, names, 1, &ev))) goto out;
    size_t n = 0;
    const rd_kafka_ConfigResource_t **res =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
    if (n != 1 || rd_kafka_ConfigResource_error(res[0])) {
        rd_kafka_resp_err_t err = n == 1 ? rd_kafka_ConfigResource_error(res[0]) : RD_KAFKA_RESP_ERR__FAIL;
        gr_err(c.command, "%s '%s': %s", o.topic ? "topic" : "broker", name,
               n == 1 && rd_kafka_ConfigResource_error_string(res[0])
                   ? rd_kafka_ConfigResource_error_string(res[0])
                   : rd_kafka_err2str(err));
        rc = gr_exit_for_error(err);
        goto out;
    }
    size_t count = 0;
    const rd_kafka_ConfigEntry_t **entries = rd_kafka_ConfigResource_configs(res[0], &count);
    const rd_kafka_ConfigEntry_t **sorted = calloc(count + 1, sizeof *sorted);
    memcpy(sorted, entries, count * sizeof *sorted);
    qsort(sorted, count, sizeof *sorted, cmp_entry);
    for (int i = 0; i < common.arg_count; i++) {
        bool found = false;
        for (size_t k = 0; k < count && !found; k++)
            found = !strcmp(rd_kafka_ConfigEntry_name(sorted[k]), common.args[i]);
        if (!found) {
            gr_err(c.command, "%s '%s' has no setting '%s'", o.topic ? "topic" : "broker", name,
                   common.args[i]);
            rc = GR_EXIT_NOT_FOUND;
        }
    }
    if (rc) goto out_sorted;
    static const char *const headers[] = {"NAME", "VALUE", "SOURCE", "READ-ONLY"};
    gr_table t;
    gr_table_init(&t, 4, headers);
    gr_json j;
    gr_json_init(&j, stdout);
    if (common.json) {
        gr_json_obj_begin(&j);
        gr_json_kstr(&j, "resource", o.topic ? "topic" : "broker");
        gr_json_kstr(&j, "name", name);
        gr_json_key(&j, "configs");
        gr_json_arr_begin(&j);
    }
    for (size_t k = 0; k < count; k++) {
        const rd_kafka_ConfigEntry_t *e = sorted[k];
        const char *key = rd_kafka_ConfigEntry_name(e);
        rd_kafka_ConfigSource_t src = rd_kafka_ConfigEntry_source(e);
        if (common.arg_count > 0 ? !named(&common, key)
                                 : (!o.all && src == RD_KAFKA_CONFIG_SOURCE_DEFAULT_CONFIG))
            continue;
        const char *value = rd_kafka_ConfigEntry_value(e);
        bool sensitive = rd_kafka_ConfigEntry_is_sensitive(e);
        if (common.json) {
            gr_json_obj_begin(&j);
            gr_json_kstr(&j, "name", key);
            gr_json_kstr(&j, "value", value);
            gr_json_kstr(&j, "source", source_name(src));
            gr_json_kbool(&j, "read_only", rd_kafka_ConfigEntry_is_read_only(e));
            gr_json_kbool(&j, "sensitive", sensitive);
            gr_json_obj_end(&j);
            continue;
        }
        gr_table_cell(&t, key);
        gr_table_cell(&t, sensitive && !value ? "(hidden)" : value ? value : "(null)");
        gr_table_cell(&t, source_name(src));
        gr_table_cell(&t, rd_kafka_ConfigEntry_is_read_only(e) ? "yes" : "no");
    }
    if (common.json) {
        gr_json_arr_end(&j);
        gr_json_obj_end(&j);
        gr_json_newline(&j);
    } else {
        gr_table_print(&t, stdout);
    }
    gr_table_free(&t);
out_sorted:
    free(sorted);
out:
    if (ev) rd_kafka_event_destroy(ev);
    gr_client_close(&c);
    gr_cli_common_free(&common);
    return rc;
}

static int config_set(int argc, char **argv) {
    config_opts o;
    gr_cli_common common;
    gr_client c;
    int rc;
    if (!start(argc, argv, &set_help, set_specs, &o, &common, &c, &rc)) goto out;
    rd_kafka_ResourceType_t type = o.topic ? RD_KAFKA_RESOURCE_TOPIC : RD_KAFKA_RESOURCE_BROKER;
    const char *name = o.topic ? o.topic : o.broker;
    rc = gr_config_apply(&c, type, name, &o.edits);
    if (common.json) {
        gr_json j;
        gr_json_init(&j, stdout);
        gr_json_obj_begin(&j);
        gr_json_kstr(&j, "resource", o.topic ? "topic" : "broker");
        gr_json_kstr(&j, "name", name);
        gr_json_kbool(&j, "ok", rc == 0);
        gr_json_obj_end(&j);
        gr_json_newline(&j);
    } else if (rc == 0) {
        printf("Updated settings of %s %s.\n", o.topic ? "topic" : "broker", name);
    }
out:
    gr_client_close(&c);
    gr_cli_common_free(&common);
    return rc;
}

int gr_tool_config(int argc, char **argv) {
    static const gr_subcommand subs[] = {
        {"get", config_get, "show settings of a topic or broker"},
        {"set", config_set, "change settings of a topic or broker"},
        {NULL, NULL, NULL},
    };
    return gr_dispatch_sub("config", "Read and change topic and broker settings.", subs, argc, argv);
}
