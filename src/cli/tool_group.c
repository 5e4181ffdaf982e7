/*
 * tool_group.c: gregor group list | describe | reset-offsets | delete.
 *
 * describe joins three answers: the group description (state, members and their assignments),
 * the committed offsets, and the partitions' end offsets; LAG = LOG-END-OFFSET - CURRENT-OFFSET.
 * Rows cover every partition that is assigned to a member or has a committed offset.
 * reset-offsets lives in tool_group_reset.c.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/exit_codes.h"
#include "cli/group_admin.h"
#include "cli/json.h"
#include "cli/output.h"
#include "cli/tools.h"

enum { OPT_ALL_GROUPS, OPT_MEMBERS, OPT_STATE };

typedef struct group_opts {
    bool all_groups, members, state;
} group_opts;

static int on_opt(void *ud, int id, const char *v, gr_cli_common *c) {
    group_opts *o = ud;
    (void)v;
    (void)c;
    switch (id) {
    case OPT_ALL_GROUPS:
        o->all_groups = true;
        return 0;
    case OPT_MEMBERS:
        o->members = true;
        return 0;
    case OPT_STATE:
        o->state = true;
        return 0;
    }
    return 0;
}

/* Parses the command line; *rc is the exit code when it returns false. */
static bool start(int argc, char **argv, const gr_tool_help *h, const gr_opt_spec *specs, group_opts *o,
                  gr_cli_common *common, gr_client *c, int *rc) {
    memset(o, 0, sizeof *o);
    memset(c, 0, sizeof *c);
    int p = gr_cli_parse(argc, argv, h, specs, on_opt, o, common);
    if (p != GR_PARSE_OK) {
        *rc = p == GR_PARSE_HELP ? GR_EXIT_OK : GR_EXIT_USAGE;
        return false;
    }
    *rc = GR_EXIT_OK;
    return true;
}

static bool connect_cluster(gr_client *c, gr_cli_common *common, int *rc) {
    *rc = gr_client_connect(c, common);
    return *rc == GR_EXIT_OK;
}

/* ListConsumerGroups; returns 0 and the event or an exit code. */
static int list_groups(gr_client *c, rd_kafka_event_t **out) {
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    rd_kafka_AdminOptions_t *o = gr_client_admin_options(c, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    rd_kafka_ListConsumerGroups(c->rk, o, q);
    rd_kafka_event_t *ev = gr_client_admin_wait(c, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    *out = ev;
    if (!ev) return GR_EXIT_UNREACHABLE;
    if (rd_kafka_event_error(ev)) {
        gr_err(c->command, "listing groups: %s", rd_kafka_event_error_string(ev));
        int rc = gr_exit_for_error(rd_kafka_event_error(ev));
        rd_kafka_event_destroy(ev);
        *out = NULL;
        return rc;
    }
    return GR_EXIT_OK;
}

static int cmp_listing(const void *a, const void *b) {
    return strcmp(rd_kafka_ConsumerGroupListing_group_id(*(const rd_kafka_ConsumerGroupListing_t *const *)a),
                  rd_kafka_ConsumerGroupListing_group_id(*(const rd_kafka_ConsumerGroupListing_t *const *)b));
}

/* ---- list ------------------------------------------------------------------------------------ */

static const gr_opt_spec list_specs[] = {
    {OPT_STATE, "state", 0, NULL, "also show each group's state"},
    {0, NULL, 0, NULL, NULL},
};
static const gr_tool_help list_help = {"group list", "[options]",
                                       "Prints the names of all consumer groups, sorted.", NULL};

static int group_list(int argc, char **argv) {
    group_opts o;
    gr_cli_common common;
    gr_client c;
    int rc;
    if (!start(argc, argv, &list_help, list_specs, &o, &common, &c, &rc) ||
        !connect_cluster(&c, &common, &rc))
        goto out;
    rd_kafka_event_t *ev;
    rc = list_groups(&c, &ev);
    if (rc) goto out;
    const rd_kafka_ListConsumerGroups_result_t *res = rd_kafka_event_ListConsumerGroups_result(ev);
    size_t n = 0, nerr = 0;
    const rd_kafka_ConsumerGroupListing_t **valid = rd_kafka_ListConsumerGroups_result_valid(res, &n);
    const rd_kafka_error_t **errs = rd_kafka_ListConsumerGroups_result_errors(res, &nerr);
    for (size_t i = 0; i < nerr; i++) {
        gr_warn(c.command, "some brokers did not list their groups: %s", rd_kafka_error_string(errs[i]));
        rc = GR_EXIT_FAILED;
    }
    const rd_kafka_ConsumerGroupListing_t **sorted = calloc(n + 1, sizeof *sorted);
    memcpy(sorted, valid, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_listing);
    gr_json j;
    gr_json_init(&j, stdout);
    static const char *const headers[] = {"GROUP", "STATE"};
    gr_table t;
    gr_table_init(&t, 2, headers);
    if (common.json) {
        gr_json_obj_begin(&j);
        gr_json_key(&j, "groups");
        gr_json_arr_begin(&j);
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = rd_kafka_ConsumerGroupListing_group_id(sorted[i]);
        const char *state =
            rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(sorted[i]));
        if (common.json) {
            gr_json_obj_begin(&j);
            gr_json_kstr(&j, "group", name);
            gr_json_kstr(&j, "state", state);
            gr_json_kbool(&j, "simple", rd_kafka_ConsumerGroupListing_is_simple_consumer_group(sorted[i]));
            gr_json_obj_end(&j);
        } else if (o.state) {
            gr_table_cell(&t, name);
            gr_table_cell(&t, state);
        } else {
            puts(name);
        }
    }
    if (common.json) {
        gr_json_arr_end(&j);
        gr_json_obj_end(&j);
        gr_json_newline(&j);
    } else if (o.state) {
        gr_table_print(&t, stdout);
    }
    gr_table_free(&t);
    free(sorted);
    rd_kafka_event_destroy(ev);
out:
    gr_client_close(&c);
    gr_cli_common_free(&common);
    return rc;
}

/* ---- describe -------------------------------------------------------------------------------- */

static const gr_opt_spec describe_specs[] = {
    {OPT_ALL_GROUPS, "all-groups", 0, NULL, "describe every group"},
    {OPT_MEMBERS, "members", 0, NULL, "list the members: CONSUMER-ID HOST CLIENT-ID #PARTITIONS ASSIGNMENT"},
    {OPT_STATE, "state", 0, NULL, "the group's coordinator, assignment strategy, state and member count"},
    {0, NULL, 0, NULL, NULL},
};
static const gr_tool_help describe_help = {
    "group describe", "GROUP... [options]",
    "Shows per partition: GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST\n"
    "CLIENT-ID (\"-\" where unknown), like kafka-consumer-groups.sh --describe. --json prints\n"
    "everything (state, members, offsets) at once. A group that does not exist is an error (exit 3).",
    "  gregor group describe billing\n  gregor group describe billing --members\n"
    "  gregor group describe --all-groups --state\n"};

/* One row of the offsets view. */
typedef struct lag_row {
    const char *topic;
    int32_t partition;
    int64_t current, end;
    const rd_kafka_MemberDescription_t *member;
} lag_row;

static int cmp_row(const void *a, const void *b) {
    const lag_row *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static lag_row *row_for(lag_row *rows, int *n, const char *topic, int32_t partition) {
    for (int i = 0; i < *n; i++)
        if (rows[i].partition == partition && !strcmp(rows[i].topic, topic)) return &rows[i];
    lag_row *r = &rows[(*n)++];
    memset(r, 0, sizeof *r);
    r->topic = topic;
    r->partition = partition;
    r->current = -1;
    r->end = -1;
    return r;
}

static const char *str_or_dash(const char *s) { return s && *s ? s : "-"; }

/* Builds the offsets rows of one group; returns the array (caller frees) and its length. */
static lag_row *collect_rows(gr_client *c, const rd_kafka_ConsumerGroupDescription_t *d,
                             const rd_kafka_topic_partition_list_t *committed, int *count) {
    size_t members = rd_kafka_ConsumerGroupDescription_member_count(d);
    int cap = committed->cnt;
    for (size_t m = 0; m < members; m++) {
        const rd_kafka_MemberDescription_t *md = rd_kafka_ConsumerGroupDescription_member(d, m);
        const rd_kafka_topic_partition_list_t *a =
            rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(md));
        cap += a ? a->cnt : 0;
    }
    lag_row *rows = calloc((size_t)cap + 1, sizeof *rows);
    int n = 0;
    for (size_t m = 0; m < members; m++) {
        const rd_kafka_MemberDescription_t *md = rd_kafka_ConsumerGroupDescription_member(d, m);
        const rd_kafka_topic_partition_list_t *a =
            rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(md));
        for (int k = 0; a && k < a->cnt; k++)
            row_for(rows, &n, a->elems[k].topic, a->elems[k].partition)->member = md;
    }
    for (int k = 0; k < committed->cnt; k++) {
        if (committed->elems[k].offset < 0 && committed->elems[k].err) continue;
        lag_row *r = row_for(rows, &n, committed->elems[k].topic, committed->elems[k].partition);
        r->current = committed->elems[k].offset;
    }
    rd_kafka_topic_partition_list_t *ends = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < n; i++) rd_kafka_topic_partition_list_add(ends, rows[i].topic, rows[i].partition);
    rd_kafka_resp_err_t err = gr_client_list_offsets(c, ends, true);
    if (err) gr_warn(c->command, "log end offsets unavailable: %s", rd_kafka_err2str(err));
    for (int i = 0; !err && i < n; i++) {
        rd_kafka_topic_partition_t *p =
            rd_kafka_topic_partition_list_find(ends, rows[i].topic, rows[i].partition);
        if (p && !p->err) rows[i].end = p->offset;
    }
    rd_kafka_topic_partition_list_destroy(ends);
    qsort(rows, (size_t)n, sizeof *rows, cmp_row);
    *count = n;
    return rows;
}

static int64_t lag_of(const lag_row *r) {
    return r->current >= 0 && r->end >= 0 ? (r->end > r->current ? r->end - r->current : 0) : -1;
}

static void coordinator_text(const rd_kafka_ConsumerGroupDescription_t *d, char *buf, size_t cap) {
    const rd_kafka_Node_t *node = rd_kafka_ConsumerGroupDescription_coordinator(d);
    if (node)
        snprintf(buf, cap, "%s:%u (%d)", rd_kafka_Node_host(node), (unsigned)rd_kafka_Node_port(node),
                 rd_kafka_Node_id(node));
    else
        snprintf(buf, cap, "-");
}

static void assignment_text(const rd_kafka_MemberDescription_t *md, char *buf, size_t cap, int *count) {
    const rd_kafka_topic_partition_list_t *a =
        rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(md));
    size_t off = 0;
    buf[0] = '\0';
    *count = a ? a->cnt : 0;
    const char *open_topic = NULL;
    for (int k = 0; a && k < a->cnt && off + 1 < cap; k++) {
        int w;
        if (open_topic && !strcmp(open_topic, a->elems[k].topic))
            w = snprintf(buf + off, cap - off, ",%d", a->elems[k].partition);
        else
            w = snprintf(buf + off, cap - off, "%s%s(%d", open_topic ? ")," : "", a->elems[k].topic,
                         a->elems[k].partition);
        if (w < 0) break;
        off += (size_t)w;
        open_topic = a->elems[k].topic;
    }
    if (open_topic && off + 1 < cap) snprintf(buf + off, cap - off, ")");
    if (!a || a->cnt == 0) snprintf(buf, cap, "-");
}

static void describe_json(gr_json *j, const rd_kafka_ConsumerGroupDescription_t *d, const lag_row *rows,
                          int n) {
    gr_json_obj_begin(j);
    gr_json_kstr(j, "group", rd_kafka_ConsumerGroupDescription_group_id(d));
    gr_json_kstr(j, "state", rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d)));
    gr_json_kstr(j, "assignment_strategy", rd_kafka_ConsumerGroupDescription_partition_assignor(d));
    gr_json_kbool(j, "simple", rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(d));
    const rd_kafka_Node_t *node = rd_kafka_ConsumerGroupDescription_coordinator(d);
    gr_json_key(j, "coordinator");
    if (node) {
        gr_json_obj_begin(j);
        gr_json_ki64(j, "id", rd_kafka_Node_id(node));
        gr_json_kstr(j, "host", rd_kafka_Node_host(node));
        gr_json_ki64(j, "port", rd_kafka_Node_port(node));
        gr_json_obj_end(j);
    } else {
        gr_json_null(j);
    }
    gr_json_key(j, "members");
    gr_json_arr_begin(j);
    size_t members = rd_kafka_ConsumerGroupDescription_member_count(d);
    for (size_t m = 0; m < members; m++) {
        const rd_kafka_MemberDescription_t *md = rd_kafka_ConsumerGroupDescription_member(d, m);
        gr_json_obj_begin(j);
        gr_json_kstr(j, "consumer_id", rd_kafka_MemberDescription_consumer_id(md));
        gr_json_kstr(j, "group_instance_id", rd_kafka_MemberDescription_group_instance_id(md));
        gr_json_kstr(j, "client_id", rd_kafka_MemberDescription_client_id(md));
        gr_json_kstr(j, "host", rd_kafka_MemberDescription_host(md));
        gr_json_key(j, "assignment");
        gr_json_arr_begin(j);
        const rd_kafka_topic_partition_list_t *a =
            rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(md));
        for (int k = 0; a && k < a->cnt; k++) {
            gr_json_obj_begin(j);
            gr_json_kstr(j, "topic", a->elems[k].topic);
            gr_json_ki64(j, "partition", a->elems[k].partition);
            gr_json_obj_end(j);
        }
        gr_json_arr_end(j);
        gr_json_obj_end(j);
    }
    gr_json_arr_end(j);
    gr_json_key(j, "offsets");
    gr_json_arr_begin(j);
    for (int i = 0; i < n; i++) {
        gr_json_obj_begin(j);
        gr_json_kstr(j, "topic", rows[i].topic);
        gr_json_ki64(j, "partition", rows[i].partition);
        gr_json_key(j, "current_offset");
        rows[i].current >= 0 ? gr_json_i64(j, rows[i].current) : gr_json_null(j);
        gr_json_key(j, "log_end_offset");
        rows[i].end >= 0 ? gr_json_i64(j, rows[i].end) : gr_json_null(j);
        gr_json_key(j, "lag");
        lag_of(&rows[i]) >= 0 ? gr_json_i64(j, lag_of(&rows[i])) : gr_json_null(j);
        const rd_kafka_MemberDescription_t *md = rows[i].member;
        gr_json_kstr(j, "consumer_id", md ? rd_kafka_MemberDescription_consumer_id(md) : NULL);
        gr_json_kstr(j, "host", md ? rd_kafka_MemberDescription_host(md) : NULL);
        gr_json_kstr(j, "client_id", md ? rd_kafka_MemberDescription_client_id(md) : NULL);
        gr_json_obj_end(j);
    }
    gr_json_arr_end(j);
    gr_json_obj_end(j);
}

static void describe_text(const group_opts *o, const rd_kafka_ConsumerGroupDescription_t *d,
                          const lag_row *rows, int n) {
    const char *group = rd_kafka_ConsumerGroupDescription_group_id(d);
    size_t members = rd_kafka_ConsumerGroupDescription_member_count(d);
    gr_table t;
    if (o->state) {
        static const char *const h[] = {"GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE",
                                        "#MEMBERS"};
        char coord[300];
        coordinator_text(d, coord, sizeof coord);
        gr_table_init(&t, 5, h);
        gr_table_cell(&t, group);
        gr_table_cell(&t, coord);
        gr_table_cell(&t, str_or_dash(rd_kafka_ConsumerGroupDescription_partition_assignor(d)));
        gr_table_cell(&t, rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d)));
        gr_table_cell_i64(&t, (int64_t)members);
    } else if (o->members) {
        static const char *const h[] = {"GROUP",     "CONSUMER-ID", "HOST",
                                        "CLIENT-ID", "#PARTITIONS", "ASSIGNMENT"};
        gr_table_init(&t, 6, h);
        for (size_t m = 0; m < members; m++) {
            const rd_kafka_MemberDescription_t *md = rd_kafka_ConsumerGroupDescription_member(d, m);
            char assignment[2048];
            int nparts;
            assignment_text(md, assignment, sizeof assignment, &nparts);
            gr_table_cell(&t, group);
            gr_table_cell(&t, str_or_dash(rd_kafka_MemberDescription_consumer_id(md)));
            gr_table_cell(&t, str_or_dash(rd_kafka_MemberDescription_host(md)));
            gr_table_cell(&t, str_or_dash(rd_kafka_MemberDescription_client_id(md)));
            gr_table_cell_i64(&t, nparts);
            gr_table_cell(&t, assignment);
        }
    } else {
        static const char *const h[] = {"GROUP",          "TOPIC",          "PARTITION",
                                        "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                                        "CONSUMER-ID",    "HOST",           "CLIENT-ID"};
        gr_table_init(&t, 9, h);
        for (int i = 0; i < n; i++) {
            const rd_kafka_MemberDescription_t *md = rows[i].member;
            gr_table_cell(&t, group);
            gr_table_cell(&t, rows[i].topic);
            gr_table_cell_i64(&t, rows[i].partition);
            gr_table_cell_offset(&t, rows[i].current);
            gr_table_cell_offset(&t, rows[i].end);
            gr_table_cell_offset(&t, lag_of(&rows[i]));
            gr_table_cell(&t, md ? str_or_dash(rd_kafka_MemberDescription_consumer_id(md)) : "-");
            gr_table_cell(&t, md ? str_or_dash(rd_kafka_MemberDescription_host(md)) : "-");
            gr_table_cell(&t, md ? str_or_dash(rd_kafka_MemberDescription_client_id(md)) : "-");
        }
    }
    if (!o->state && members == 0) fprintf(stderr, "Consumer group '%s' has no active members.\n", group);
    gr_table_print(&t, stdout);
    gr_table_free(&t);
}

/* Fills `names` with every group's name (sorted); returns their count or -exit code. */
static int all_group_names(gr_client *c, rd_kafka_event_t **ev, const char ***names) {
    int rc = list_groups(c, ev);
    if (rc) return -rc;
    size_t n = 0;
    const rd_kafka_ConsumerGroupListing_t **valid =
        rd_kafka_ListConsumerGroups_result_valid(rd_kafka_event_ListConsumerGroups_result(*ev), &n);
    const rd_kafka_ConsumerGroupListing_t **sorted = calloc(n + 1, sizeof *sorted);
    memcpy(sorted, valid, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_listing);
    *names = calloc(n + 1, sizeof **names);
    for (size_t i = 0; i < n; i++) (*names)[i] = rd_kafka_ConsumerGroupListing_group_id(sorted[i]);
    free(sorted);
    return (int)n;
}

static int group_describe(int argc, char **argv) {
    group_opts o;
    gr_cli_common common;
    gr_client c;
    int rc;
    rd_kafka_event_t *list_ev = NULL, *desc_ev = NULL;
    const char **names = NULL;
    if (!start(argc, argv, &describe_help, describe_specs, &o, &common, &c, &rc)) goto out;
    if ((common.arg_count == 0) == !o.all_groups) {
        gr_usage_error(&describe_help, "name the groups or give --all-groups (not both)");
        rc = GR_EXIT_USAGE;
        goto out;
    }
    if (o.members && o.state) {
        gr_usage_error(&describe_help, "choose one of --members and --state");
        rc = GR_EXIT_USAGE;
        goto out;
    }
    if (!connect_cluster(&c, &common, &rc)) goto out;
    int n = common.arg_count;
    if (o.all_groups) {
        n = all_group_names(&c, &list_ev, &names);
        if (n < 0) {
            rc = -n;
            goto out;
        }
    } else {
        names = calloc((size_t)n + 1, sizeof *names);
        for (int i = 0; i < n; i++) names[i] = common.args[i];
    }
    if (n > 0 && (rc = gr_group_describe(&c, names, n, &desc_ev))) goto out;
    gr_json j;
    gr_json_init(&j, stdout);
    if (common.json) {
        gr_json_obj_begin(&j);
        gr_json_key(&j, "groups");
        gr_json_arr_begin(&j);
    }
    int shown = 0;
    for (int i = 0; i < n; i++) {
        const rd_kafka_ConsumerGroupDescription_t *d = gr_group_find(desc_ev, names[i]);
        const rd_kafka_error_t *e = d ? rd_kafka_ConsumerGroupDescription_error(d) : NULL;
        if (e && rd_kafka_error_code(e) != RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
            gr_err(c.command, "group '%s': %s", names[i], rd_kafka_error_string(e));
            rc = gr_exit_for_error(rd_kafka_error_code(e));
            continue;
        }
        rd_kafka_topic_partition_list_t *committed = NULL;
        int r = gr_group_committed(&c, names[i], &committed);
        if (r) {
            rc = r;
            continue;
        }
        if (gr_group_missing(d) && committed->cnt == 0) {
            gr_err(c.command, "consumer group '%s' does not exist", names[i]);
            rc = GR_EXIT_NOT_FOUND;
            rd_kafka_topic_partition_list_destroy(committed);
            continue;
        }
        int nrows = 0;
        lag_row *rows = collect_rows(&c, d, committed, &nrows);
        if (common.json) {
            describe_json(&j, d, rows, nrows);
        } else {
            if (shown) putchar('\n');
            describe_text(&o, d, rows, nrows);
        }
        shown++;
        free(rows);
        rd_kafka_topic_partition_list_destroy(committed);
    }
    if (common.json) {
        gr_json_arr_end(&j);
        gr_json_obj_end(&j);
        gr_json_newline(&j);
    }
out:
    free(names);
    if (desc_ev) rd_kafka_event_destroy(desc_ev);
    if (list_ev) rd_kafka_event_destroy(list_ev);
    gr_client_close(&c);
    gr_cli_common_free(&common);
    return rc;
}

/* ---- delete ---------------------------------------------------------------------------------- */

static const gr_tool_help delete_help = {
    "group delete", "GROUP... [options]",
    "Deletes consumer groups and their committed offsets. A group with active\n"
    "members cannot be deleted.",
    NULL};

static int group_delete(int argc, char **argv) {
    group_opts o;
    gr_cli_common common;
    gr_client c;
    int rc;
    static const gr_opt_spec none[] = {{0, NULL, 0, NULL, NULL}};
    if (!start(argc, argv, &delete_help, none, &o, &common, &c, &rc)) goto out;
    if (common.arg_count < 1) {
        gr_usage_error(&delete_help, "name at least one group");
        rc = GR_EXIT_USAGE;
        goto out;
    }
    if (!connect_cluster(&c, &common, &rc)) goto out;
    int n = common.arg_count;
    rd_kafka_DeleteGroup_t **dg = calloc((size_t)n, sizeof *dg);
    for (int i = 0; i < n; i++) dg[i] = rd_kafka_DeleteGroup_new(common.args[i]);
    rd_kafka_queue_t *q = rd_kafka_queue_new(c.rk);
    rd_kafka_AdminOptions_t *ao = gr_client_admin_options(&c, RD_KAFKA_ADMIN_OP_DELETEGROUPS);
    rd_kafka_DeleteGroups(c.rk, dg, (size_t)n, ao, q);
    rd_kafka_event_t *ev = gr_client_admin_wait(&c, q);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_DeleteGroup_destroy_array(dg, (size_t)n);
    free(dg);
    rd_kafka_queue_destroy(q);
    if (!ev) {
        rc = GR_EXIT_UNREACHABLE;
        goto out;
    }
    if (rd_kafka_event_error(ev)) {
        gr_err(c.command, "%s", rd_kafka_event_error_string(ev));
        rc = gr_exit_for_error(rd_kafka_event_error(ev));
        rd_kafka_event_destroy(ev);
        goto out;
    }
    size_t cnt = 0;
    const rd_kafka_group_result_t **res =
        rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &cnt);
    gr_json j;
    gr_json_init(&j, stdout);
    if (common.json) {
        gr_json_obj_begin(&j);
        gr_json_key(&j, "deleted");
        gr_json_arr_begin(&j);
    }
    for (size_t i = 0; i < cnt; i++) {
        const char *name = rd_kafka_group_result_name(res[i]);
        const rd_kafka_error_t *e = rd_kafka_group_result_error(res[i]);
        if (!e) {
            if (common.json)
                gr_json_str(&j, name);
            else
                printf("Deleted consumer group %s.\n", name);
            continue;
        }
        rd_kafka_resp_err_t err = rd_kafka_error_code(e);
        if (err == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
            gr_err(c.command, "consumer group '%s' does not exist", name);
            if (rc == GR_EXIT_OK) rc = GR_EXIT_NOT_FOUND;
        } else if (err == RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP) {
            gr_err(c.command, "consumer group '%s' has active members; stop its consumers first", name);
            rc = GR_EXIT_FAILED;
        } else {
            gr_err(c.command, "consumer group '%s': %s", name, rd_kafka_error_string(e));
            rc = GR_EXIT_FAILED;
        }
    }
    if (common.json) {
        gr_json_arr_end(&j);
        gr_json_obj_end(&j);
        gr_json_newline(&j);
    }
    rd_kafka_event_destroy(ev);
out:
    gr_client_close(&c);
    gr_cli_common_free(&common);
    return rc;
}

int gr_tool_group(int argc, char **argv) {
    static const gr_subcommand subs[] = {
        {"list", group_list, "list consumer groups"},
        {"describe", group_describe, "offsets and lag per partition, members, state"},
        {"reset-offsets", gr_tool_group_reset, "move a group's committed offsets (dry run unless --execute)"},
        {"delete", group_delete, "delete consumer groups"},
        {NULL, NULL, NULL},
    };
    return gr_dispatch_sub("group", "Manage consumer groups.", subs, argc, argv);
}
