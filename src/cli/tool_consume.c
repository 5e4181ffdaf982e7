/*
 * tool_consume.c: gregor consume TOPIC... -- print records.
 *
 * Two modes. With --group the consumer subscribes and the group assigns partitions; the offset of
 * each record is stored only after the record was printed and committed every second and on exit,
 * so a group's committed position is exactly what was shown (like Kafka's console consumer).
 * Without a group the tool assigns the partitions itself at the asked start position and commits
 * nothing.
 *
 * --until-end stops when every assigned partition reached its end offset as of the start: a
 * partition is done once a record at or past end-1 was seen, or librdkafka reports it reached the
 * end of the log (which implies the former, and also covers empty partitions).
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cli/client.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/output.h"
#include "cli/signals.h"
#include "cli/tools.h"

#define CONSUME_POLL_MS 100
#define CONSUME_COMMIT_INTERVAL_MS "1000"
#define CONSUME_TOPICS_MAX 256
#define SEPARATOR_MAX_CHARS 32

enum {
    OPT_GROUP,
    OPT_FROM_BEGINNING,
    OPT_OFFSET,
    OPT_TIMESTAMP,
    OPT_PARTITION,
    OPT_COUNT,
    OPT_UNTIL_END,
    OPT_TIMEOUT,
    OPT_FORMAT,
    OPT_SEPARATOR
};

enum { FORMAT_VALUE, FORMAT_KV, FORMAT_JSON };
enum { START_LATEST, START_EARLIEST, START_OFFSET, START_TAIL, START_TIMESTAMP };

typedef struct consume_opts {
    const char *group;
    int start;
    int64_t start_value; /* offset, tail count or timestamp */
    bool start_given;
    int32_t partition;
    int64_t count;
    bool until_end;
    int64_t idle_timeout_ms;
    int format;
    char separator[SEPARATOR_MAX_CHARS];
} consume_opts;

/* One partition of a consumed topic, for --until-end and the assignment bookkeeping. */
typedef struct part_state {
    const char *topic;
    int32_t partition;
    int64_t end_offset; /* latest offset when the tool started; -1 unknown */
    bool assigned;
    bool done;
} part_state;

typedef struct consume_state {
    part_state *parts;
    int part_count;
    gr_client *client;
} consume_state;

static const gr_opt_spec specs[] = {
    {OPT_GROUP, "group", 'g', "GROUP", "join this consumer group; commit offsets of printed records"},
    {OPT_FROM_BEGINNING, "from-beginning", 0, NULL,
     "start at the earliest offset (with --group: if none committed)"},
    {OPT_OFFSET, "offset", 'o', "N|earliest|latest|-N", "start offset; -N means N records before the end"},
    {OPT_TIMESTAMP, "timestamp", 0, "MS", "start at the first record with timestamp >= MS (epoch ms)"},
    {OPT_PARTITION, "partition", 'p', "N", "read only partition N (no --group)"},
    {OPT_COUNT, "count", 'c', "N", "stop after N records"},
    {OPT_COUNT, "max-messages", 0, "N", "same as --count"},
    {OPT_UNTIL_END, "until-end", 'e', NULL,
     "stop once every assigned partition reached its end as of the start"},
    {OPT_TIMEOUT, "timeout-ms", 0, "MS", "stop after MS without a record"},
    {OPT_FORMAT, "format", 'F', "value|kv|json", "output: value (default), key SEP value, or JSON lines"},
    {OPT_SEPARATOR, "separator", 's', "SEP", "key/value separator for --format kv (default: TAB)"},
    {0, NULL, 0, NULL, NULL},
};

static const gr_tool_help help = {
    "consume", "TOPIC... [options]",
    "Prints records, one per line. Default start: the end of each partition (new records only).\n"
    "--format json prints one object per line: topic, partition, offset, timestamp, timestamp_type,\n"
    "key, value, headers ([{\"key\":..,\"value\":..}]). Keys and values that are not valid UTF-8\n"
    "are base64 with \"<field>_encoding\":\"base64\" beside them; null stays null.\n"
    "Exit 1 if --count or --until-end was not reached before --timeout-ms.",
    "  gregor consume orders --from-beginning --until-end\n"
    "  gregor consume orders --group billing --count 10 --format kv --separator ' => '\n"
    "  gregor consume orders --partition 0 --offset 42 --count 1 --format json\n"};

static int on_opt(void *ud, int id, const char *v, gr_cli_common *c) {
    consume_opts *o = ud;
    switch (id) {
    case OPT_GROUP:
        o->group = v;
        return 0;
    case OPT_FROM_BEGINNING:
        o->start = START_EARLIEST;
        o->start_given = true;
        return 0;
    case OPT_OFFSET:
        o->start_given = true;
        if (!strcmp(v, "earliest") || !strcmp(v, "beginning")) {
            o->start = START_EARLIEST;
        } else if (!strcmp(v, "latest") || !strcmp(v, "end")) {
            o->start = START_LATEST;
        } else if (v[0] == '-') {
            if (gr_opt_i64(c->tool, "--offset", v + 1, 1, INT32_MAX, &o->start_value) < 0) return -1;
            o->start = START_TAIL;
        } else {
            if (gr_opt_i64(c->tool, "--offset", v, 0, INT64_MAX, &o->start_value) < 0) return -1;
            o->start = START_OFFSET;
        }
        return 0;
    case OPT_TIMESTAMP:
        o->start_given = true;
        o->start = START_TIMESTAMP;
        return gr_opt_i64(c->tool, "--timestamp", v, 0, INT64_MAX, &o->start_value);
    case OPT_PARTITION:
        return gr_opt_i32(c->tool, "--partition", v, 0, INT32_MAX, &o->partition);
    case OPT_COUNT:
        return gr_opt_i64(c->tool, "--count", v, 1, INT64_MAX, &o->count);
    case OPT_UNTIL_END:
        o->until_end = true;
        return 0;
    case OPT_TIMEOUT:
        return gr_opt_i64(c->tool, "--timeout-ms", v, 1, INT64_MAX / 2, &o->idle_timeout_ms);
    case OPT_FORMAT:
        if (!strcmp(v, "value"))
            o->format = FORMAT_VALUE;
        else if (!strcmp(v, "kv"))
            o->format = FORMAT_KV;
        else if (!strcmp(v, "json"))
            o->format = FORMAT_JSON;
        else
            return gr_usage_error(c->tool, "--format expects value, kv or json, got '%s'", v);
        return 0;
    case OPT_SEPARATOR: {
        size_t n = 0;
        for (const char *p = v; *p; p++) {
            char ch = *p;
            if (ch == '\\' && p[1]) {
                p++;
                ch = *p == 't' ? '\t' : *p == 'n' ? '\n' : *p;
            }
            if (n + 1 >= SEPARATOR_MAX_CHARS) return gr_usage_error(c->tool, "--separator is too long");
            o->separator[n++] = ch;
        }
        o->separator[n] = '\0';
        return 0;
    }
    }
    return 0;
}

static part_state *find_part(consume_state *st, const char *topic, int32_t partition) {
    for (int i = 0; i < st->part_count; i++)
        if (st->parts[i].partition == partition && !strcmp(st->parts[i].topic, topic)) return &st->parts[i];
    return NULL;
}

static void mark_assigned(consume_state *st, const rd_kafka_topic_partition_list_t *l, bool assigned) {
    for (int i = 0; i < l->cnt; i++) {
        part_state *p = find_part(st, l->elems[i].topic, l->elems[i].partition);
        if (p) p->assigned = assigned;
    }
}

static bool all_done(const consume_state *st) {
    int assigned = 0;
    for (int i = 0; i < st->part_count; i++) {
        if (!st->parts[i].assigned) continue;
        assigned++;
        if (!st->parts[i].done) return false;
    }
    return assigned > 0;
}

/* Group mode: track what the group gives us; both rebalance protocols. */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
    gr_client *c = opaque;
    consume_state *st = c->user;
    bool cooperative = !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        mark_assigned(st, parts, true);
        if (cooperative) {
            rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
            if (e) rd_kafka_error_destroy(e);
        } else {
            rd_kafka_assign(rk, parts);
        }
    } else {
        mark_assigned(st, parts, false);
        if (cooperative) {
            rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
            if (e) rd_kafka_error_destroy(e);
        } else {
            rd_kafka_assign(rk, NULL);
        }
    }
}

static void prepare(rd_kafka_conf_t *conf, void *ud) {
    consume_opts *o = ud;
    if (o->group) rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
}

static void write_text(const void *p, size_t len, bool null_as_word) {
    if (p)
        fwrite(p, 1, len, stdout);
    else if (null_as_word)
        fputs("null", stdout);
}

static void print_record(const consume_opts *o, const rd_kafka_message_t *m) {
    if (o->format == FORMAT_VALUE) {
        write_text(m->payload, m->len, true);
        fputc('\n', stdout);
        return;
    }
    if (o->format == FORMAT_KV) {
        write_text(m->key, m->key_len, true);
        fputs(o->separator, stdout);
        write_text(m->payload, m->len, true);
        fputc('\n', stdout);
        return;
    }
    gr_json j;
    gr_json_init(&j, stdout);
    gr_json_obj_begin(&j);
    gr_json_kstr(&j, "topic", rd_kafka_topic_name(m->rkt));
    gr_json_ki64(&j, "partition", m->partition);
    gr_json_ki64(&j, "offset", m->offset);
    rd_kafka_timestamp_type_t tstype;
    int64_t ts = rd_kafka_message_timestamp(m, &tstype);
    gr_json_ki64(&j, "timestamp", ts);
    gr_json_kstr(&j, "timestamp_type",
                 tstype == RD_KAFKA_TIMESTAMP_CREATE_TIME       ? "create_time"
                 : tstype == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? "log_append_time"
                                                                : "none");
    gr_json_bytes_field(&j, "key", m->key, m->key_len);
    gr_json_bytes_field(&j, "value", m->payload, m->len);
    gr_json_key(&j, "headers");
    gr_json_arr_begin(&j);
    rd_kafka_headers_t *h = NULL;
    if (rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR && h) {
        const char *name;
        const void *val;
        size_t size;
        for (size_t i = 0; rd_kafka_header_get_all(h, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
             i++) {
            gr_json_obj_begin(&j);
            gr_json_kstr(&j, "key", name);
            gr_json_bytes_field(&j, "value", val, size);
            gr_json_obj_end(&j);
        }
    }
    gr_json_arr_end(&j);
    gr_json_obj_end(&j);
    gr_json_newline(&j);
}

/* Checks the options that only make sense in one mode. Returns 0 or -1 after a usage error. */
static int check_opts(const consume_opts *o, const gr_cli_common *common) {
    if (common->arg_count < 1) return gr_usage_error(&help, "name at least one topic");
    if (common->arg_count > CONSUME_TOPICS_MAX) return gr_usage_error(&help, "too many topics");
    if (o->group && o->partition >= 0)
        return gr_usage_error(&help,
                              "--partition cannot be used with --group (the group assigns partitions)");
    if (o->group && (o->start == START_OFFSET || o->start == START_TAIL || o->start == START_TIMESTAMP))
        return gr_usage_error(&help, "with --group only --from-beginning or --offset earliest|latest apply "
                                     "(use 'gregor group reset-offsets' to move a group)");
    if (o->format != FORMAT_KV && o->separator[0] && strcmp(o->separator, "\t"))
        return gr_usage_error(&help, "--separator applies to --format kv only");
    return 0;
}

/* Builds the partition table from metadata; fills end offsets when --until-end needs them. */
static int build_parts(gr_client *c, const consume_opts *o, const gr_cli_common *common, consume_state *st) {
    const rd_kafka_metadata_t *md;
    int rc = gr_client_metadata(c, &md);
    if (rc) return rc;
    int total = 0;
    for (int i = 0; i < common->arg_count; i++) {
        const rd_kafka_metadata_topic_t *t = gr_metadata_topic(md, common->args[i]);
        if (!t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            gr_err(help.command, "topic '%s' does not exist", common->args[i]);
            rc = GR_EXIT_NOT_FOUND;
            continue;
        }
        if (o->partition >= t->partition_cnt) {
            gr_err(help.command, "topic '%s' has no partition %d (it has %d)", t->topic, o->partition,
                   t->partition_cnt);
            rc = GR_EXIT_NOT_FOUND;
        }
        total += t->partition_cnt;
    }
    if (rc) {
        rd_kafka_metadata_destroy(md);
        return rc;
    }
    st->parts = calloc((size_t)total + 1, sizeof *st->parts);
    for (int i = 0; i < common->arg_count; i++) {
        const rd_kafka_metadata_topic_t *t = gr_metadata_topic(md, common->args[i]);
        for (int k = 0; k < t->partition_cnt; k++) {
            if (o->partition >= 0 && t->partitions[k].id != o->partition) continue;
            if (find_part(st, common->args[i], t->partitions[k].id)) continue; /* topic named twice */
            part_state *p = &st->parts[st->part_count++];
            p->topic = common->args[i];
            p->partition = t->partitions[k].id;
            p->end_offset = -1;
        }
    }
    rd_kafka_metadata_destroy(md);
    if (!o->until_end) return GR_EXIT_OK;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(st->part_count);
    for (int i = 0; i < st->part_count; i++)
        rd_kafka_topic_partition_list_add(l, st->parts[i].topic, st->parts[i].partition);
    rd_kafka_resp_err_t err = gr_client_list_offsets(c, l, true);
    for (int i = 0; !err && i < l->cnt; i++) {
        part_state *p = find_part(st, l->elems[i].topic, l->elems[i].partition);
        if (p && !l->elems[i].err) p->end_offset = l->elems[i].offset;
        if (p && p->end_offset == 0) p->done = true;
    }
    rd_kafka_topic_partition_list_destroy(l);
    if (err) {
        gr_err(help.command, "cannot read end offsets: %s", rd_kafka_err2str(err));
        return gr_exit_for_error(err);
    }
    return GR_EXIT_OK;
}

/* No group: assign every partition at the asked start position. */
static int assign_all(gr_client *c, const consume_opts *o, consume_state *st) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(st->part_count);
    for (int i = 0; i < st->part_count; i++) {
        rd_kafka_topic_partition_t *p =
            rd_kafka_topic_partition_list_add(l, st->parts[i].topic, st->parts[i].partition);
        switch (o->start) {
        case START_EARLIEST:
            p->offset = RD_KAFKA_OFFSET_BEGINNING;
            break;
        case START_LATEST:
            p->offset = RD_KAFKA_OFFSET_END;
            break;
        case START_OFFSET:
            p->offset = o->start_value;
            break;
        case START_TAIL:
            p->offset = RD_KAFKA_OFFSET_TAIL(o->start_value);
            break;
        case START_TIMESTAMP:
            p->offset = o->start_value;
            break;
        }
    }
    if (o->start == START_TIMESTAMP) {
        rd_kafka_resp_err_t err = gr_client_offsets_for_times(c, l);
        if (err) {
            gr_err(help.command, "cannot look up offsets for timestamp %lld: %s", (long long)o->start_value,
                   rd_kafka_err2str(err));
            rd_kafka_topic_partition_list_destroy(l);
            return gr_exit_for_error(err);
        }
        for (int i = 0; i < l->cnt; i++)
            if (l->elems[i].err || l->elems[i].offset < 0) l->elems[i].offset = RD_KAFKA_OFFSET_END;
    }
    /* A start at or past the end offset means there is nothing to wait for in --until-end. */
    for (int i = 0; i < l->cnt; i++) {
        part_state *p = find_part(st, l->elems[i].topic, l->elems[i].partition);
        p->assigned = true;
        if (p->end_offset >= 0 &&
            (l->elems[i].offset == RD_KAFKA_OFFSET_END || l->elems[i].offset >= p->end_offset))
            p->done = true;
    }
    rd_kafka_resp_err_t err = rd_kafka_assign(c->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (err) {
        gr_err(help.command, "cannot assign partitions: %s", rd_kafka_err2str(err));
        return GR_EXIT_FAILED;
    }
    return GR_EXIT_OK;
}

static int subscribe(gr_client *c, const gr_cli_common *common) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(common->arg_count);
    for (int i = 0; i < common->arg_count; i++)
        rd_kafka_topic_partition_list_add(l, common->args[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(c->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (err) {
        gr_err(help.command, "cannot subscribe: %s", rd_kafka_err2str(err));
        return GR_EXIT_FAILED;
    }
    return GR_EXIT_OK;
}

/* Errors delivered as messages: end of partition is bookkeeping, a few end the run. */
static int on_consumer_error(const rd_kafka_message_t *m, consume_state *st) {
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        part_state *p = m->rkt ? find_part(st, rd_kafka_topic_name(m->rkt), m->partition) : NULL;
        if (p) p->done = true;
        return 0;
    }
    const char *what = rd_kafka_message_errstr(m);
    if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
        m->err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
        gr_err(help.command, "%s", what);
        return GR_EXIT_NOT_FOUND;
    }
    if (m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
        m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED || m->err == RD_KAFKA_RESP_ERR__FATAL ||
        m->err == RD_KAFKA_RESP_ERR_INVALID_GROUP_ID) {
        gr_err(help.command, "%s", what);
        return GR_EXIT_FAILED;
    }
    gr_warn(help.command, "%s", what);
    return 0;
}

int gr_tool_consume(int argc, char **argv) {
    consume_opts o;
    memset(&o, 0, sizeof o);
    o.partition = -1;
    o.count = -1;
    o.idle_timeout_ms = -1;
    gr_cli_common common;
    int p = gr_cli_parse(argc, argv, &help, specs, on_opt, &o, &common);
    int rc = p == GR_PARSE_HELP ? GR_EXIT_OK : GR_EXIT_USAGE;
    if (p != GR_PARSE_OK) goto out;
    if (common.json) o.format = FORMAT_JSON;
    if (check_opts(&o, &common) < 0) goto out;
    if (!o.separator[0]) strcpy(o.separator, "\t");

    bool earliest = o.start == START_EARLIEST;
    const char *defaults_group[] = {"group.id",
                                    o.group,
                                    "enable.auto.commit",
                                    "true",
                                    "enable.auto.offset.store",
                                    "false",
                                    "auto.commit.interval.ms",
                                    CONSUME_COMMIT_INTERVAL_MS,
                                    "auto.offset.reset",
                                    earliest ? "earliest" : "latest",
                                    "enable.partition.eof",
                                    "true",
                                    NULL};
    const char *defaults_plain[] = {"group.id",
                                    "gregor-consume-no-group",
                                    "enable.auto.commit",
                                    "false",
                                    "enable.auto.offset.store",
                                    "false",
                                    "auto.offset.reset",
                                    earliest ? "earliest" : "latest",
                                    "enable.partition.eof",
                                    "true",
                                    NULL};
    consume_state st;
    memset(&st, 0, sizeof st);
    gr_client c;
    rc = gr_client_open(&c, &common, RD_KAFKA_CONSUMER, o.group ? defaults_group : defaults_plain, prepare,
                        &o);
    if (rc) goto out;
    c.user = &st;
    st.client = &c;
    rc = build_parts(&c, &o, &common, &st);
    if (rc) goto close;
    rd_kafka_poll_set_consumer(c.rk);
    rc = o.group ? subscribe(&c, &common) : assign_all(&c, &o, &st);
    if (rc) goto close;

    gr_stop_on_signals();
    int64_t printed = 0, last_activity_ms = gr_mono_ms();
    bool pending_output = false, idle_expired = false;
    while (!gr_stop_requested()) {
        if (o.count >= 0 && printed >= o.count) break;
        if (o.until_end && all_done(&st)) break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c.rk, pending_output ? 0 : CONSUME_POLL_MS);
        if (!m) {
            if (pending_output) fflush(stdout);
            pending_output = false;
            if (o.idle_timeout_ms >= 0 && gr_mono_ms() - last_activity_ms >= o.idle_timeout_ms) {
                idle_expired = true;
                break;
            }
            continue;
        }
        if (m->err) {
            rc = on_consumer_error(m, &st);
            rd_kafka_message_destroy(m);
            if (rc) break;
            continue;
        }
        last_activity_ms = gr_mono_ms();
        part_state *ps = find_part(&st, rd_kafka_topic_name(m->rkt), m->partition);
        if (ps && ps->end_offset >= 0 && m->offset >= ps->end_offset - 1) ps->done = true;
        if (o.until_end && ps && ps->end_offset >= 0 && m->offset >= ps->end_offset) {
            rd_kafka_message_destroy(m); /* written after the start: not part of this run */
            continue;
        }
        print_record(&o, m);
        pending_output = true;
        printed++;
        if (o.group) rd_kafka_offset_store(m->rkt, m->partition, m->offset);
        rd_kafka_message_destroy(m);
    }
    fflush(stdout);
    if (o.group) {
        rd_kafka_resp_err_t err = rd_kafka_commit(c.rk, NULL, 0);
        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
            gr_warn(help.command, "final offset commit failed: %s", rd_kafka_err2str(err));
    }
    rd_kafka_consumer_close(c.rk);
    if (!common.json && o.format != FORMAT_JSON && gr_out_is_tty(stderr))
        fprintf(stderr, "Processed a total of %lld messages\n", (long long)printed);
    if (!rc) {
        bool target = o.count >= 0 || o.until_end;
        bool reached = (o.count >= 0 && printed >= o.count) || (o.until_end && all_done(&st));
        if (target && !reached && idle_expired) {
            gr_err(help.command, "no record for %lld ms; stopping after %lld records before reaching the %s",
                   (long long)o.idle_timeout_ms, (long long)printed, o.count >= 0 ? "count" : "end");
            rc = GR_EXIT_FAILED;
        } else if (target && !reached && gr_stop_requested()) {
            rc = GR_EXIT_INTERRUPTED;
        }
    }
close:
    gr_client_close(&c);
    free(st.parts);
out:
    gr_cli_common_free(&common);
    return rc;
}
