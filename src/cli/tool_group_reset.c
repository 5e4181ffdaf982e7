/*
 * tool_group_reset.c: gregor group reset-offsets -- move a consumer group's committed offsets.
 *
 * The plan (GROUP TOPIC PARTITION NEW-OFFSET) is computed from the partitions' earliest and latest
 * offsets, a timestamp lookup or the current commits, always kept within earliest..latest, and is
 * only printed unless --execute. Like Kafka's tool it refuses while the group has members, whose
 * own commits would overwrite the reset.
 */
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "cli/client.h"
#include "cli/exit_codes.h"
#include "cli/group_admin.h"
#include "cli/json.h"
#include "cli/output.h"
#include "cli/tools.h"

#define GROUP_RESET_TOPICS_MAX 64

enum {
    OPT_TOPIC,
    OPT_ALL_TOPICS,
    OPT_TO_EARLIEST,
    OPT_TO_LATEST,
    OPT_TO_OFFSET,
    OPT_TO_DATETIME,
    OPT_TO_TIMESTAMP,
    OPT_SHIFT_BY,
    OPT_EXECUTE,
    OPT_DRY_RUN
};

enum { RESET_NONE, RESET_EARLIEST, RESET_LATEST, RESET_OFFSET, RESET_TIMESTAMP, RESET_SHIFT };

typedef struct reset_opts {
    const char *topics[GROUP_RESET_TOPICS_MAX];
    int topic_count;
    bool all_topics;
    int reset;
    int reset_count; /* how many --to-* / --shift-by were given (must be one) */
    int64_t reset_value;
    bool execute;
} reset_opts;

static int set_reset(reset_opts *o, int kind) {
    o->reset = kind;
    o->reset_count++;
    return 0;
}

static int on_opt(void *ud, int id, const char *v, gr_cli_common *c) {
    reset_opts *o = ud;
    switch (id) {
    case OPT_TOPIC:
        if (o->topic_count >= GROUP_RESET_TOPICS_MAX)
            return gr_usage_error(c->tool, "too many --topic options");
        o->topics[o->topic_count++] = v;
        return 0;
    case OPT_ALL_TOPICS:
        o->all_topics = true;
        return 0;
    case OPT_TO_EARLIEST:
        return set_reset(o, RESET_EARLIEST);
    case OPT_TO_LATEST:
        return set_reset(o, RESET_LATEST);
    case OPT_TO_OFFSET:
        set_reset(o, RESET_OFFSET);
        return gr_opt_i64(c->tool, "--to-offset", v, 0, INT64_MAX, &o->reset_value);
    case OPT_TO_DATETIME:
        set_reset(o, RESET_TIMESTAMP);
        if (gr_parse_datetime_ms(v, &o->reset_value) < 0 || o->reset_value < 0)
            return gr_usage_error(c->tool,
                                  "--to-datetime expects YYYY-MM-DDTHH:MM:SS[.sss][Z|+HH:MM], got '%s'", v);
        return 0;
    case OPT_TO_TIMESTAMP:
        set_reset(o, RESET_TIMESTAMP);
        return gr_opt_i64(c->tool, "--to-timestamp", v, 0, INT64_MAX, &o->reset_value);
    case OPT_SHIFT_BY:
        set_reset(o, RESET_SHIFT);
        return gr_opt_i64(c->tool, "--shift-by", v, INT64_MIN / 2, INT64_MAX / 2, &o->reset_value);
    case OPT_EXECUTE:
        o->execute = true;
        return 0;
    case OPT_DRY_RUN:
        o->execute = false;
        return 0;
    }
    return 0;
}

static const gr_opt_spec reset_specs[] = {
    {OPT_TOPIC, "topic", 't', "TOPIC[:P,P...]", "reset this topic (or these partitions of it); repeatable"},
    {OPT_ALL_TOPICS, "all-topics", 0, NULL, "reset every topic the group has committed offsets for"},
    {OPT_TO_EARLIEST, "to-earliest", 0, NULL, "to each partition's earliest offset"},
    {OPT_TO_LATEST, "to-latest", 0, NULL, "to each partition's end (skip everything)"},
    {OPT_TO_OFFSET, "to-offset", 0, "N", "to offset N (kept within earliest..latest)"},
    {OPT_TO_DATETIME, "to-datetime", 0, "ISO",
     "to the first record at or after YYYY-MM-DDTHH:MM:SS[.sss][Z]"},
    {OPT_TO_TIMESTAMP, "to-timestamp", 0, "MS", "to the first record at or after MS (epoch ms)"},
    {OPT_SHIFT_BY, "shift-by", 0, "N", "move the committed offset by N (negative: back)"},
    {OPT_EXECUTE, "execute", 0, NULL, "apply the plan (default: only print it)"},
    {OPT_DRY_RUN, "dry-run", 0, NULL, "only print the plan (the default)"},
    {0, NULL, 0, NULL, NULL},
};
static const gr_tool_help reset_help = {
    "group reset-offsets", "GROUP (--topic T... | --all-topics) --to-... [--execute]",
    "Computes new committed offsets and prints the plan (GROUP TOPIC PARTITION NEW-OFFSET); with\n"
    "--execute commits them. Refused while the group has active members (stop its consumers first).\n"
    "A date-time without a zone is local time. Timestamps past the last record go to the end.",
    "  gregor group reset-offsets billing --topic orders --to-earliest\n"
    "  gregor group reset-offsets billing --topic orders:0,1 --shift-by -10 --execute\n"
    "  gregor group reset-offsets billing --all-topics --to-datetime 2024-05-01T00:00:00Z --execute\n"};

/* Adds the partitions named by one --topic (all when no ":P,P" part). Returns 0 or an exit code. */
static int add_topic_spec(gr_client *c, const rd_kafka_metadata_t *md, const char *spec,
                          rd_kafka_topic_partition_list_t *out) {
    char topic[GR_TOPIC_NAME_MAX_CHARS + 1];
    const char *colon = strchr(spec, ':');
    size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
    if (len == 0 || len > GR_TOPIC_NAME_MAX_CHARS) {
        gr_usage_error(&reset_help, "bad --topic '%s'", spec);
        return GR_EXIT_USAGE;
    }
    memcpy(topic, spec, len);
    topic[len] = '\0';
    const rd_kafka_metadata_topic_t *t = gr_metadata_topic(md, topic);
    if (!t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        gr_err(c->command, "topic '%s' does not exist", topic);
        return GR_EXIT_NOT_FOUND;
    }
    if (!colon) {
        for (int k = 0; k < t->partition_cnt; k++)
            rd_kafka_topic_partition_list_add(out, topic, t->partitions[k].id);
        return GR_EXIT_OK;
    }
    const char *p = colon + 1;
    for (int guard = 0; guard < 100000; guard++) {
        char num[16];
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        int32_t part;
        if (n == 0 || n >= sizeof num) {
            gr_usage_error(&reset_help, "bad partition list in --topic '%s'", spec);
            return GR_EXIT_USAGE;
        }
        memcpy(num, p, n);
        num[n] = '\0';
        if (gr_parse_i32(num, 0, INT32_MAX, &part) < 0) {
            gr_usage_error(&reset_help, "bad partition '%s' in --topic '%s'", num, spec);
            return GR_EXIT_USAGE;
        }
        if (part >= t->partition_cnt) {
            gr_err(c->command, "topic '%s' has no partition %d", topic, part);
            return GR_EXIT_NOT_FOUND;
        }
        rd_kafka_topic_partition_list_add(out, topic, part);
        if (!comma) break;
        p = comma + 1;
    }
    return GR_EXIT_OK;
}

static int64_t clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Computes the new offsets in place. Returns 0 or an exit code. */
static int plan_offsets(gr_client *c, const reset_opts *o, rd_kafka_topic_partition_list_t *plan,
                        const rd_kafka_topic_partition_list_t *committed) {
    rd_kafka_topic_partition_list_t *lo = rd_kafka_topic_partition_list_copy(plan);
    rd_kafka_topic_partition_list_t *hi = rd_kafka_topic_partition_list_copy(plan);
    rd_kafka_resp_err_t err = gr_client_list_offsets(c, lo, false);
    if (!err) err = gr_client_list_offsets(c, hi, true);
    rd_kafka_topic_partition_list_t *ts = NULL;
    if (!err && o->reset == RESET_TIMESTAMP) {
        ts = rd_kafka_topic_partition_list_copy(plan);
        for (int i = 0; i < ts->cnt; i++) ts->elems[i].offset = o->reset_value;
        err = gr_client_offsets_for_times(c, ts);
    }
    int rc = GR_EXIT_OK;
    if (err) {
        gr_err(c->command, "reading offsets: %s", rd_kafka_err2str(err));
        rc = gr_exit_for_error(err);
    }
    for (int i = 0; !rc && i < plan->cnt; i++) {
        rd_kafka_topic_partition_t *p = &plan->elems[i];
        int64_t low = lo->elems[i].err ? -1 : lo->elems[i].offset,
                high = hi->elems[i].err ? -1 : hi->elems[i].offset;
        if (low < 0 || high < 0) {
            gr_err(c->command, "offsets of %s[%d] unavailable: %s", p->topic, p->partition,
                   rd_kafka_err2str(lo->elems[i].err ? lo->elems[i].err : hi->elems[i].err));
            rc = GR_EXIT_FAILED;
            break;
        }
        switch (o->reset) {
        case RESET_EARLIEST:
            p->offset = low;
            break;
        case RESET_LATEST:
            p->offset = high;
            break;
        case RESET_OFFSET:
            p->offset = clamp(o->reset_value, low, high);
            break;
        case RESET_TIMESTAMP: {
            const rd_kafka_topic_partition_t *t = &ts->elems[i];
            p->offset = t->err || t->offset < 0 ? high : clamp(t->offset, low, high);
            break;
        }
        case RESET_SHIFT: {
            rd_kafka_topic_partition_t *cur =
                rd_kafka_topic_partition_list_find(committed, p->topic, p->partition);
            if (!cur || cur->offset < 0) {
                gr_err(c->command, "%s[%d] has no committed offset to shift from", p->topic, p->partition);
                rc = GR_EXIT_FAILED;
                break;
            }
            p->offset = clamp(cur->offset + o->reset_value, low, high);
            break;
        }
        }
    }
    rd_kafka_topic_partition_list_destroy(lo);
    rd_kafka_topic_partition_list_destroy(hi);
    if (ts) rd_kafka_topic_partition_list_destroy(ts);
    return rc;
}

static void print_plan(const gr_cli_common *common, const char *group,
                       const rd_kafka_topic_partition_list_t *plan, bool executed, bool dry_run) {
    if (common->json) {
        gr_json j;
        gr_json_init(&j, stdout);
        gr_json_obj_begin(&j);
        gr_json_kstr(&j, "group", group);
        gr_json_kbool(&j, "executed", executed);
        gr_json_key(&j, "offsets");
        gr_json_arr_begin(&j);
        for (int i = 0; i < plan->cnt; i++) {
            gr_json_obj_begin(&j);
            gr_json_kstr(&j, "topic", plan->elems[i].topic);
            gr_json_ki64(&j, "partition", plan->elems[i].partition);
            gr_json_ki64(&j, "new_offset", plan->elems[i].offset);
            gr_json_obj_end(&j);
        }
        gr_json_arr_end(&j);
        gr_json_obj_end(&j);
        gr_json_newline(&j);
        return;
    }
    static const char *const h[] = {"GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"};
    gr_table t;
    gr_table_init(&t, 4, h);
    for (int i = 0; i < plan->cnt; i++) {
        gr_table_cell(&t, group);
        gr_table_cell(&t, plan->elems[i].topic);
        gr_table_cell_i64(&t, plan->elems[i].partition);
        gr_table_cell_i64(&t, plan->elems[i].offset);
    }
    gr_table_print(&t, stdout);
    gr_table_free(&t);
    if (dry_run) fprintf(stderr, "Dry run: nothing changed. Add --execute to commit these offsets.\n");
}

int gr_tool_group_reset(int argc, char **argv) {
    reset_opts o;
    gr_cli_common common;
    gr_client c;
    int rc;
    rd_kafka_event_t *desc_ev = NULL;
    rd_kafka_topic_partition_list_t *committed = NULL, *plan = NULL;
    const rd_kafka_metadata_t *md = NULL;
    memset(&o, 0, sizeof o);
    memset(&c, 0, sizeof c);
    int p = gr_cli_parse(argc, argv, &reset_help, reset_specs, on_opt, &o, &common);
    rc = p == GR_PARSE_HELP ? GR_EXIT_OK : GR_EXIT_USAGE;
    if (p != GR_PARSE_OK) goto out;
    if (common.arg_count != 1) {
        gr_usage_error(&reset_help, "name exactly one group");
        goto out;
    }
    if ((o.topic_count > 0) == o.all_topics) {
        gr_usage_error(&reset_help, "give --topic (one or more) or --all-topics");
        goto out;
    }
    if (o.reset_count != 1) {
        gr_usage_error(&reset_help,
                       "give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, "
                       "--to-timestamp, --shift-by");
        goto out;
    }
    const char *group = common.args[0];
    if ((rc = gr_client_connect(&c, &common))) goto out;
    const char *names[1] = {group};
    if ((rc = gr_group_describe(&c, names, 1, &desc_ev))) goto out;
    const rd_kafka_ConsumerGroupDescription_t *d = gr_group_find(desc_ev, group);
    if (d && !gr_group_missing(d)) {
        rd_kafka_consumer_group_state_t s = rd_kafka_ConsumerGroupDescription_state(d);
        size_t members = rd_kafka_ConsumerGroupDescription_member_count(d);
        if (members > 0 ||
            (s != RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY && s != RD_KAFKA_CONSUMER_GROUP_STATE_DEAD)) {
            gr_err(c.command,
                   "group '%s' is active (state %s, %zu members); offsets can only be reset while it has no "
                   "members: stop its consumers first",
                   group, rd_kafka_consumer_group_state_name(s), members);
            rc = GR_EXIT_FAILED;
            goto out;
        }
    }
    if ((rc = gr_group_committed(&c, group, &committed))) goto out;
    plan = rd_kafka_topic_partition_list_new(16);
    if (o.all_topics) {
        for (int i = 0; i < committed->cnt; i++)
            if (committed->elems[i].offset >= 0)
                rd_kafka_topic_partition_list_add(plan, committed->elems[i].topic,
                                                  committed->elems[i].partition);
        if (plan->cnt == 0) {
            gr_err(c.command, "group '%s' has no committed offsets; name topics with --topic", group);
            rc = GR_EXIT_NOT_FOUND;
            goto out;
        }
    } else {
        if ((rc = gr_client_metadata(&c, &md))) goto out;
        for (int i = 0; i < o.topic_count && !rc; i++) rc = add_topic_spec(&c, md, o.topics[i], plan);
        if (rc) goto out;
    }
    rd_kafka_topic_partition_list_sort(plan, NULL, NULL);
    if ((rc = plan_offsets(&c, &o, plan, committed))) goto out;
    if (o.execute) rc = gr_group_alter_offsets(&c, group, plan);
    print_plan(&common, group, plan, o.execute && rc == 0, !o.execute);
out:
    if (md) rd_kafka_metadata_destroy(md);
    if (plan) rd_kafka_topic_partition_list_destroy(plan);
    if (committed) rd_kafka_topic_partition_list_destroy(committed);
    if (desc_ev) rd_kafka_event_destroy(desc_ev);
    gr_client_close(&c);
    gr_cli_common_free(&common);
    return rc;
}
