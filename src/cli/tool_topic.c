/*
 * tool_topic.c: gregor topic create | list | describe | delete | alter.
 *
 * create and delete wait (bounded by --request-timeout-ms) until the metadata shows the change,
 * so a script can produce right after `topic create` without racing the cluster's propagation.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/config_edit.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/output.h"
#include "cli/tools.h"

enum {
    OPT_PARTITIONS,
    OPT_REPLICATION,
    OPT_CONFIG,
    OPT_DELETE_CONFIG,
    OPT_IF_NOT_EXISTS,
    OPT_IF_EXISTS,
    OPT_EXCLUDE_INTERNAL,
    OPT_TOPIC
};

typedef struct topic_opts {
    int32_t partitions;
    int32_t replication;
    gr_config_edits edits;
    bool if_not_exists, if_exists, exclude_internal;
} topic_opts;

static int on_opt(void *ud, int id, const char *v, gr_cli_common *c) {
    topic_opts *o = ud;
    switch (id) {
    case OPT_PARTITIONS:
        return gr_opt_i32(c->tool, "--partitions", v, 1, 1000000, &o->partitions);
    case OPT_REPLICATION:
        return gr_opt_i32(c->tool, "--replication-factor", v, 1, 1000, &o->replication);
    case OPT_CONFIG:
        return gr_config_edits_set(&o->edits, c->tool, v);
    case OPT_DELETE_CONFIG:
        return gr_config_edits_delete(&o->edits, c->tool, v);
    case OPT_IF_NOT_EXISTS:
        o->if_not_exists = true;
        return 0;
    case OPT_IF_EXISTS:
        o->if_exists = true;
        return 0;
    case OPT_EXCLUDE_INTERNAL:
        o->exclude_internal = true;
        return 0;
    case OPT_TOPIC:
        /* The kafka-topics spelling of a positional name; args has a slot for every argv entry. */
        c->args[c->arg_count++] = v;
        return 0;
    }
    return 0;
}

/* Parses the command line and connects; returns 0 or an exit code (GR_EXIT_OK after --help). */
static int start(int argc, char **argv, const gr_tool_help *h, const gr_opt_spec *specs, topic_opts *o,
                 gr_cli_common *common, bool *done) {
    memset(o, 0, sizeof *o);
    o->partitions = -1;
    o->replication = -1;
    *done = false;
    int p = gr_cli_parse(argc, argv, h, specs, on_opt, o, common);
    if (p != GR_PARSE_OK) {
        *done = true;
        return p == GR_PARSE_HELP ? GR_EXIT_OK : GR_EXIT_USAGE;
    }
    return GR_EXIT_OK;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- create ---------------------------------------------------------------------------------- */

static const gr_opt_spec create_specs[] = {
    {OPT_TOPIC, "topic", 't', "TOPIC", "a topic to create, as kafka-topics writes it (repeatable)"},
    {OPT_PARTITIONS, "partitions", 'p', "N", "number of partitions (default: the broker's num.partitions)"},
    {OPT_REPLICATION, "replication-factor", 'r', "N", "copies of each partition (default: the broker's)"},
    {OPT_CONFIG, "config", 'c', "KEY=VALUE", "topic setting, e.g. retention.ms=60000 (repeatable)"},
    {OPT_IF_NOT_EXISTS, "if-not-exists", 0, NULL, "succeed if the topic already exists"},
    {0, NULL, 0, NULL, NULL},
};
static const gr_tool_help create_help = {
    "topic create", "TOPIC... [options]", "Creates topics and waits until the cluster's metadata shows them.",
    "  gregor topic create orders --partitions 6 --config retention.ms=86400000\n"};

static int topic_create(int argc, char **argv) {
    topic_opts o;
    gr_cli_common common;
    bool done;
    int rc = start(argc, argv, &create_help, create_specs, &o, &common, &done);
    if (done) goto out;
    if (common.arg_count < 1) {
        gr_usage_error(&create_help, "name at least one topic");
        rc = GR_EXIT_USAGE;
        goto out;
    }
    for (int i = 0; i < o.edits.count; i++)
        if (!o.edits.items[i].value) {
            gr_usage_error(&create_help, "--config needs KEY=VALUE");
            rc = GR_EXIT_USAGE;
            goto out;
        }
    gr_client c;
    rc = gr_client_open(&c, &common, RD_KAFKA_PRODUCER, NULL, NULL, NULL);
    if (rc) goto out;
    const rd_kafka_metadata_t *md;
    rc = gr_client_metadata(&c, &md);
    if (rc) goto close;
    rd_kafka_metadata_destroy(md);

    int n = common.arg_count;
    rd_kafka_NewTopic_t **nt = calloc((size_t)n, sizeof *nt);
    char errstr[512];
    for (int i = 0; i < n; i++) {
        nt[i] = rd_kafka_NewTopic_new(common.args[i], o.partitions, o.replication, errstr, sizeof errstr);
        if (!nt[i]) {
            gr_err(c.command, "topic '%s': %s", common.args[i], errstr);
            rd_kafka_NewTopic_destroy_array(nt, (size_t)i);
            free(nt);
            rc = GR_EXIT_FAILED;
            goto close;
        }
        for (int k = 0; k < o.edits.count; k++)
            rd_kafka_NewTopic_set_config(nt[i], o.edits.items[k].key, o.edits.items[k].value);
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(c.rk);
    rd_kafka_AdminOptions_t *ao = gr_client_admin_options(&c, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_CreateTopics(c.rk, nt, (size_t)n, ao, q);
    rd_kafka_event_t *ev = gr_client_admin_wait(&c, q);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_NewTopic_destroy_array(nt, (size_t)n);
    free(nt);
    rd_kafka_queue_destroy(q);
    if (!ev) {
        rc = GR_EXIT_UNREACHABLE;
        goto close;
    }
    const char **created = calloc((size_t)n, sizeof *created);
    int created_count = 0;
    if (rd_kafka_event_error(ev)) {
        gr_err(c.command, "%s", rd_kafka_event_error_string(ev));
        rc = gr_exit_for_error(rd_kafka_event_error(ev));
    } else {
        size_t cnt = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        for (size_t i = 0; i < cnt; i++) {
            rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
            const char *name = rd_kafka_topic_result_name(res[i]);
            if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS && o.if_not_exists) continue;
            if (err) {
                const char *why = rd_kafka_topic_result_error_string(res[i]);
                gr_err(c.command, "topic '%s': %s", name, why && *why ? why : rd_kafka_err2str(err));
                rc = GR_EXIT_FAILED;
                continue;
            }
            created[created_count++] = name;
        }
        if (created_count && !gr_client_wait_topics(&c, created, created_count, true))
            gr_warn(c.command, "created, but the metadata did not show every partition leader within %d ms",
                    common.request_timeout_ms);
        for (int i = 0; i < created_count && !common.json; i++) printf("Created topic %s.\n", created[i]);
        if (common.json) {
            gr_json j;
            gr_json_init(&j, stdout);
            gr_json_obj_begin(&j);
            gr_json_key(&j, "created");
            gr_json_arr_begin(&j);
            for (int i = 0; i < created_count; i++) gr_json_str(&j, created[i]);
            gr_json_arr_end(&j);
            gr_json_obj_end(&j);
            gr_json_newline(&j);
        }
    }
    free(created);
    rd_kafka_event_destroy(ev);
close:
    gr_client_close(&c);
out:
    gr_cli_common_free(&common);
    return rc;
}

/* ---- list ------------------------------------------------------------------------------------ */

static const gr_opt_spec list_specs[] = {
    {OPT_EXCLUDE_INTERNAL, "exclude-internal", 0, NULL, "leave out internal topics (names starting with __)"},
    {0, NULL, 0, NULL, NULL},
};
static const gr_tool_help list_help = {"topic list", "[options]", "Prints the names of all topics, sorted.",
                                       NULL};

static int topic_list(int argc, char **argv) {
    topic_opts o;
    gr_cli_common common;
    bool done;
    int rc = start(argc, argv, &list_help, list_specs, &o, &common, &done);
    if (done) goto out;
    if (common.arg_count > 0) {
        gr_usage_error(&list_help, "unexpected argument '%s'", common.args[0]);
        rc = GR_EXIT_USAGE;
        goto out;
    }
    gr_client c;
    rc = gr_client_open(&c, &common, RD_KAFKA_PRODUCER, NULL, NULL, NULL);
    if (rc) goto out;
    const rd_kafka_metadata_t *md;
    rc = gr_client_metadata(&c, &md);
    if (!rc) {
        const char **names = calloc((size_t)md->topic_cnt + 1, sizeof *names);
        int n = 0;
        for (int i = 0; i < md->topic_cnt; i++) {
            const char *t = md->topics[i].topic;
            if (o.exclude_internal && !strncmp(t, "__", 2)) continue;
            if (md->topics[i].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) continue;
            names[n++] = t;
        }
        qsort(names, (size_t)n, sizeof *names, cmp_str);
        if (common.json) {
            gr_json j;
            gr_json_init(&j, stdout);
            gr_json_obj_begin(&j);
            gr_json_key(&j, "topics");
            gr_json_arr_begin(&j);
            for (int i = 0; i < n; i++) gr_json_str(&j, names[i]);
            gr_json_arr_end(&j);
            gr_json_obj_end(&j);
            gr_json_newline(&j);
        } else {
            for (int i = 0; i < n; i++) puts(names[i]);
        }
        free(names);
        rd_kafka_metadata_destroy(md);
    }
    gr_client_close(&c);
out:
    gr_cli_common_free(&common);
    return rc;
}

/* ---- describe -------------------------------------------------------------------------------- */

static const gr_opt_spec describe_specs[] = {
    {OPT_TOPIC, "topic", 't', "TOPIC", "a topic to describe, as kafka-topics writes it (repeatable)"},
    {OPT_EXCLUDE_INTERNAL, "exclude-internal", 0, NULL, "leave out internal topics (names starting with __)"},
    {0, NULL, 0, NULL, NULL},
};
static const gr_tool_help describe_help = {
    "topic describe", "[TOPIC...] [options]",
    "Shows partitions, leaders, replicas, in-sync replicas and the earliest and latest offset of\n"
    "each partition, plus the settings set on the topic. Without names: every topic.\n"
    "A topic that does not exist is an error (exit 3); the others are still shown.",
    "  gregor topic describe orders\n  gregor topic describe orders --json\n"};

static void print_int_list(char *buf, size_t cap, const int32_t *v, int n) {
    size_t off = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && off < cap; i++) {
        int w = snprintf(buf + off, cap - off, "%s%d", i ? "," : "", v[i]);
        if (w < 0) break;
        off += (size_t)w;
    }
    if (n == 0) snprintf(buf, cap, "-");
}

static void json_int_list(gr_json *j, const char *key, const int32_t *v, int n) {
    gr_json_key(j, key);
    gr_json_arr_begin(j);
    for (int i = 0; i < n; i++) gr_json_i64(j, v[i]);
    gr_json_arr_end(j);
}

static int64_t find_offset(const rd_kafka_topic_partition_list_t *l, const char *topic, int32_t part) {
    rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(l, topic, part);
    return p && !p->err ? p->offset : -1;
}

/* The config resource for `topic` in a DescribeConfigs result, or NULL. */
static const rd_kafka_ConfigResource_t *find_config(rd_kafka_event_t *ev, const char *topic) {
    if (!ev) return NULL;
    size_t n = 0;
    const rd_kafka_ConfigResource_t **res =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rd_kafka_ConfigResource_name(res[i]), topic) && !rd_kafka_ConfigResource_error(res[i]))
            return res[i];
    return NULL;
}

static void describe_one(gr_json *j, const rd_kafka_metadata_topic_t *t,
                         const rd_kafka_topic_partition_list_t *lo, const rd_kafka_topic_partition_list_t *hi,
                         const rd_kafka_ConfigResource_t *cfg) {
    size_t ncfg = 0;
    const rd_kafka_ConfigEntry_t **entries = cfg ? rd_kafka_ConfigResource_configs(cfg, &ncfg) : NULL;
    int rf = t->partition_cnt > 0 ? t->partitions[0].replica_cnt : 0;
    if (j) {
        gr_json_obj_begin(j);
        gr_json_kstr(j, "name", t->topic);
        gr_json_ki64(j, "partition_count", t->partition_cnt);
        gr_json_ki64(j, "replication_factor", rf);
        gr_json_key(j, "configs");
        gr_json_obj_begin(j);
        for (size_t i = 0; i < ncfg; i++) {
            if (rd_kafka_ConfigEntry_source(entries[i]) != RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG)
                continue;
            gr_json_kstr(j, rd_kafka_ConfigEntry_name(entries[i]), rd_kafka_ConfigEntry_value(entries[i]));
        }
        gr_json_obj_end(j);
        gr_json_key(j, "partitions");
        gr_json_arr_begin(j);
    } else {
        printf("Topic: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: ", t->topic, t->partition_cnt,
               rf);
        int shown = 0;
        for (size_t i = 0; i < ncfg; i++) {
            if (rd_kafka_ConfigEntry_source(entries[i]) != RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG)
                continue;
            const char *v = rd_kafka_ConfigEntry_value(entries[i]);
            printf("%s%s=%s", shown++ ? "," : "", rd_kafka_ConfigEntry_name(entries[i]), v ? v : "(hidden)");
        }
        putchar('\n');
    }
    static const char *const headers[] = {"PARTITION", "LEADER",          "REPLICAS",
                                          "ISR",       "EARLIEST-OFFSET", "LATEST-OFFSET"};
    gr_table tab;
    gr_table_init(&tab, 6, headers);
    for (int k = 0; k < t->partition_cnt; k++) {
        const rd_kafka_metadata_partition_t *p = &t->partitions[k];
        int64_t earliest = find_offset(lo, t->topic, p->id), latest = find_offset(hi, t->topic, p->id);
        if (j) {
            gr_json_obj_begin(j);
            gr_json_ki64(j, "partition", p->id);
            gr_json_ki64(j, "leader", p->leader);
            json_int_list(j, "replicas", p->replicas, p->replica_cnt);
            json_int_list(j, "isr", p->isrs, p->isr_cnt);
            gr_json_ki64(j, "earliest_offset", earliest);
            gr_json_ki64(j, "latest_offset", latest);
            if (p->err) gr_json_kstr(j, "error", rd_kafka_err2name(p->err));
            gr_json_obj_end(j);
            continue;
        }
        char buf[512];
        gr_table_cell_i64(&tab, p->id);
        gr_table_cell_offset(&tab, p->leader);
        print_int_list(buf, sizeof buf, p->replicas, p->replica_cnt);
        gr_table_cell(&tab, buf);
        print_int_list(buf, sizeof buf, p->isrs, p->isr_cnt);
        gr_table_cell(&tab, buf);
        gr_table_cell_offset(&tab, earliest);
        gr_table_cell_offset(&tab, latest);
    }
    if (j) {
        gr_json_arr_end(j);
        gr_json_obj_end(j);
    } else {
        gr_table_print(&tab, stdout);
    }
    gr_table_free(&tab);
}

static int topic_describe(int argc, char **argv) {
    topic_opts o;
    gr_cli_common common;
    bool done;
    int rc = start(argc, argv, &describe_help, describe_specs, &o, &common, &done);
    if (done) goto out;
    gr_client c;
    rc = gr_client_open(&c, &common, RD_KAFKA_PRODUCER, NULL, NULL, NULL);
    if (rc) goto out;
    const rd_kafka_metadata_t *md;
    rc = gr_client_metadata(&c, &md);
    if (rc) goto close;

    /* The topics to show, in the order named (or sorted when none are named). */
    const rd_kafka_metadata_topic_t **shown = calloc((size_t)md->topic_cnt + 1, sizeof *shown);
    int nshown = 0;
    if (common.arg_count == 0) {
        const char **names = calloc((size_t)md->topic_cnt + 1, sizeof *names);
        int n = 0;
        for (int i = 0; i < md->topic_cnt; i++)
            if (!(o.exclude_internal && !strncmp(md->topics[i].topic, "__", 2)) && !md->topics[i].err)
                names[n++] = md->topics[i].topic;
        qsort(names, (size_t)n, sizeof *names, cmp_str);
        for (int i = 0; i < n; i++) shown[nshown++] = gr_metadata_topic(md, names[i]);
        free(names);
    } else {
        for (int i = 0; i < common.arg_count; i++) {
            const rd_kafka_metadata_topic_t *t = gr_metadata_topic(md, common.args[i]);
            if (!t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                gr_err(c.command, "topic '%s' does not exist", common.args[i]);
                rc = GR_EXIT_NOT_FOUND;
                continue;
            }
            if (nshown < md->topic_cnt) shown[nshown++] = t;
        }
    }
    rd_kafka_topic_partition_list_t *lo = rd_kafka_topic_partition_list_new(64);
    for (int i = 0; i < nshown; i++)
        for (int k = 0; k < shown[i]->partition_cnt; k++)
            rd_kafka_topic_partition_list_add(lo, shown[i]->topic, shown[i]->partitions[k].id);
    rd_kafka_topic_partition_list_t *hi = rd_kafka_topic_partition_list_copy(lo);
    rd_kafka_resp_err_t e1 = gr_client_list_offsets(&c, lo, false);
    rd_kafka_resp_err_t e2 = gr_client_list_offsets(&c, hi, true);
    if (e1 || e2) gr_warn(c.command, "offsets unavailable: %s", rd_kafka_err2str(e1 ? e1 : e2));

    rd_kafka_event_t *cfg = NULL;
    if (nshown > 0) {
        const char **names = calloc((size_t)nshown, sizeof *names);
        for (int i = 0; i < nshown; i++) names[i] = shown[i]->topic;
        if (gr_config_describe(&c, RD_KAFKA_RESOURCE_TOPIC, names, nshown, &cfg))
            gr_warn(c.command, "topic settings unavailable");
        free(names);
    }
    gr_json j;
    gr_json_init(&j, stdout);
    if (common.json) {
        gr_json_obj_begin(&j);
        gr_json_key(&j, "topics");
        gr_json_arr_begin(&j);
    }
    for (int i = 0; i < nshown; i++) {
        if (!common.json && i > 0) putchar('\n');
        describe_one(common.json ? &j : NULL, shown[i], lo, hi, find_config(cfg, shown[i]->topic));
    }
    if (common.json) {
        gr_json_arr_end(&j);
        gr_json_obj_end(&j);
        gr_json_newline(&j);
    }
    if (cfg) rd_kafka_event_destroy(cfg);
    rd_kafka_topic_partition_list_destroy(lo);
    rd_kafka_topic_partition_list_destroy(hi);
    free(shown);
    rd_kafka_metadata_destroy(md);
close:
    gr_client_close(&c);
out:
    gr_cli_common_free(&common);
    return rc;
}

/* ---- delete ---------------------------------------------------------------------------------- */

static const gr_opt_spec delete_specs[] = {
    {OPT_TOPIC, "topic", 't', "TOPIC", "a topic to delete, as kafka-topics writes it (repeatable)"},
    {OPT_IF_EXISTS, "if-exists", 0, NULL, "succeed if the topic does not exist"},
    {0, NULL, 0, NULL, NULL},
};
static const gr_tool_help delete_help = {"topic delete", "TOPIC... [options]",
                                         "Deletes topics and waits until the metadata no longer shows them.",
                                         NULL};

static int topic_delete(int argc, char **argv) {
    topic_opts o;
    gr_cli_common common;
    bool done;
    int rc = start(argc, argv, &delete_help, delete_specs, &o, &common, &done);
    if (done) goto out;
    if (common.arg_count < 1) {
        gr_usage_error(&delete_help, "name at least one topic");
        rc = GR_EXIT_USAGE;
        goto out;
    }
    gr_client c;
    rc = gr_client_open(&c, &common, RD_KAFKA_PRODUCER, NULL, NULL, NULL);
    if (rc) goto out;
    const rd_kafka_metadata_t *md;
    rc = gr_client_metadata(&c, &md);
    if (rc) goto close;
    rd_kafka_metadata_destroy(md);
    int n = common.arg_count;
    rd_kafka_DeleteTopic_t **dt = calloc((size_t)n, sizeof *dt);
    for (int i = 0; i < n; i++) dt[i] = rd_kafka_DeleteTopic_new(common.args[i]);
    rd_kafka_queue_t *q = rd_kafka_queue_new(c.rk);
    rd_kafka_AdminOptions_t *ao = gr_client_admin_options(&c, RD_KAFKA_ADMIN_OP_DELETETOPICS);
    rd_kafka_DeleteTopics(c.rk, dt, (size_t)n, ao, q);
    rd_kafka_event_t *ev = gr_client_admin_wait(&c, q);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_DeleteTopic_destroy_array(dt, (size_t)n);
    free(dt);
    rd_kafka_queue_destroy(q);
    if (!ev) {
        rc = GR_EXIT_UNREACHABLE;
        goto close;
    }
    if (rd_kafka_event_error(ev)) {
        gr_err(c.command, "%s", rd_kafka_event_error_string(ev));
        rc = gr_exit_for_error(rd_kafka_event_error(ev));
    } else {
        size_t cnt = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &cnt);
        const char **deleted = calloc(cnt + 1, sizeof *deleted);
        int ndeleted = 0;
        for (size_t i = 0; i < cnt; i++) {
            rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
            const char *name = rd_kafka_topic_result_name(res[i]);
            if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
                if (o.if_exists) continue;
                gr_err(c.command, "topic '%s' does not exist", name);
                if (rc == GR_EXIT_OK) rc = GR_EXIT_NOT_FOUND;
                continue;
            }
            if (err) {
                const char *why = rd_kafka_topic_result_error_string(res[i]);
                gr_err(c.command, "topic '%s': %s", name, why && *why ? why : rd_kafka_err2str(err));
                rc = GR_EXIT_FAILED;
                continue;
            }
            deleted[ndeleted++] = name;
        }
        if (ndeleted && !gr_client_wait_topics(&c, deleted, ndeleted, false))
            gr_warn(c.command, "deleted, but the metadata still showed the topic after %d ms",
                    common.request_timeout_ms);
        if (common.json) {
            gr_json j;
            gr_json_init(&j, stdout);
            gr_json_obj_begin(&j);
            gr_json_key(&j, "deleted");
            gr_json_arr_begin(&j);
            for (int i = 0; i < ndeleted; i++) gr_json_str(&j, deleted[i]);
            gr_json_arr_end(&j);
            gr_json_obj_end(&j);
            gr_json_newline(&j);
        } else {
            for (int i = 0; i < ndeleted; i++) printf("Deleted topic %s.\n", deleted[i]);
        }
        free(deleted);
    }
    rd_kafka_event_destroy(ev);
close:
    gr_client_close(&c);
out:
    gr_cli_common_free(&common);
    return rc;
}

/* ---- alter ----------------------------------------------------------------------------------- */

static const gr_opt_spec alter_specs[] = {
    {OPT_TOPIC, "topic", 't', "TOPIC", "a topic to alter, as kafka-topics writes it (repeatable)"},
    {OPT_PARTITIONS, "partitions", 'p', "N", "new total number of partitions (can only grow)"},
    {OPT_CONFIG, "config", 'c', "KEY=VALUE", "set a topic setting (repeatable)"},
    {OPT_DELETE_CONFIG, "delete-config", 0, "KEY",
     "remove a topic setting, back to the default (repeatable)"},
    {0, NULL, 0, NULL, NULL},
};
static const gr_tool_help alter_help = {
    "topic alter", "TOPIC [options]",
    "Adds partitions (CreatePartitions) and/or changes settings (AlterConfigs; settings not named\n"
    "are kept).",
    "  gregor topic alter orders --partitions 12\n"
    "  gregor topic alter orders --config retention.ms=3600000 --delete-config cleanup.policy\n"};

static int add_partitions(gr_client *c, const char *topic, int32_t total) {
    char errstr[512];
    rd_kafka_NewPartitions_t *np = rd_kafka_NewPartitions_new(topic, (size_t)total, errstr, sizeof errstr);
    if (!np) {
        gr_err(c->command, "%s", errstr);
        return GR_EXIT_FAILED;
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    rd_kafka_AdminOptions_t *ao = gr_client_admin_options(c, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS);
    rd_kafka_CreatePartitions(c->rk, &np, 1, ao, q);
    rd_kafka_event_t *ev = gr_client_admin_wait(c, q);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_NewPartitions_destroy(np);
    rd_kafka_queue_destroy(q);
    if (!ev) return GR_EXIT_UNREACHABLE;
    rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
    const char *why = rd_kafka_event_error_string(ev);
    if (!err) {
        size_t cnt = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &cnt);
        if (cnt == 1 && rd_kafka_topic_result_error(res[0])) {
            err = rd_kafka_topic_result_error(res[0]);
            why = rd_kafka_topic_result_error_string(res[0]);
        }
    }
    if (err)
        gr_err(c->command, "adding partitions to '%s': %s", topic, why && *why ? why : rd_kafka_err2str(err));
    rd_kafka_event_destroy(ev);
    return gr_exit_for_error(err);
}

static int topic_alter(int argc, char **argv) {
    topic_opts o;
    gr_cli_common common;
    bool done;
    int rc = start(argc, argv, &alter_help, alter_specs, &o, &common, &done);
    if (done) goto out;
    if (common.arg_count != 1) {
        gr_usage_error(&alter_help, "name exactly one topic");
        rc = GR_EXIT_USAGE;
        goto out;
    }
    if (o.partitions < 0 && o.edits.count == 0) {
        gr_usage_error(&alter_help, "nothing to change: give --partitions, --config or --delete-config");
        rc = GR_EXIT_USAGE;
        goto out;
    }
    const char *topic = common.args[0];
    gr_client c;
    rc = gr_client_open(&c, &common, RD_KAFKA_PRODUCER, NULL, NULL, NULL);
    if (rc) goto out;
    const rd_kafka_metadata_t *md;
    rc = gr_client_metadata(&c, &md);
    if (rc) goto close;
    const rd_kafka_metadata_topic_t *t = gr_metadata_topic(md, topic);
    int32_t current = t ? t->partition_cnt : 0;
    bool exists = t && t->err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    rd_kafka_metadata_destroy(md);
    if (!exists) {
        gr_err(c.command, "topic '%s' does not exist", topic);
        rc = GR_EXIT_NOT_FOUND;
        goto close;
    }
    if (o.partitions >= 0 && o.partitions != current) {
        rc = add_partitions(&c, topic, o.partitions);
        if (!rc && !common.json) printf("Topic %s now has %d partitions.\n", topic, o.partitions);
    }
    if (!rc && o.edits.count > 0) {
        rc = gr_config_apply(&c, RD_KAFKA_RESOURCE_TOPIC, topic, &o.edits);
        if (!rc && !common.json) printf("Updated settings of topic %s.\n", topic);
    }
    if (common.json) {
        gr_json j;
        gr_json_init(&j, stdout);
        gr_json_obj_begin(&j);
        gr_json_kstr(&j, "topic", topic);
        gr_json_kbool(&j, "ok", rc == 0);
        gr_json_obj_end(&j);
        gr_json_newline(&j);
    }
close:
    gr_client_close(&c);
out:
    gr_cli_common_free(&common);
    return rc;
}

int gr_tool_topic(int argc, char **argv) {
    static const gr_subcommand subs[] = {
        {"create", topic_create, "create topics"},
        {"list", topic_list, "list topic names"},
        {"describe", topic_describe, "partitions, leaders, replicas, ISR, offsets, settings"},
        {"delete", topic_delete, "delete topics"},
        {"alter", topic_alter, "add partitions and/or change settings"},
        {NULL, NULL, NULL},
    };
    return gr_dispatch_sub("topic", "Manage topics.", subs, argc, argv);
}
