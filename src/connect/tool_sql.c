/*
 * tool_sql.c: gregor sql --db URL --topic T "select ..." -- a query's result set into a topic.
 *
 * Each row becomes one JSON record (row_json.h), keyed by --key COL when given. The tool waits for
 * every delivery report and exits non-zero naming the first failure. With --track COL it is a
 * source that publishes only new rows: the query is wrapped as
 *     SELECT * FROM (query) AS gregor_source WHERE "COL" > $1 ORDER BY "COL"
 * and the largest COL value published is written to --state FILE (durable_file.h) after all of
 * its rows were acknowledged, so a restart goes on after it. --interval-ms repeats the poll.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "cli/client.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/output.h"
#include "cli/signals.h"
#include "cli/tools.h"
#include "connect/db.h"
#include "connect/durable_file.h"
#include "connect/json_decode.h"
#include "connect/row_json.h"

#define SQL_DELIVERY_TIMEOUT_MS_DEFAULT 30000
#define SQL_QUERY_BYTES_MAX ((size_t)256 * 1024)
#define SQL_KEY_BYTES_MAX 4096
#define SQL_POSITION_BYTES_MAX 1024
#define SQL_STATE_FILE_BYTES_MAX 8192
#define SQL_FLUSH_SLICE_MS 100
#define SQL_QUEUE_FULL_POLL_MS 50
#define SQL_QUEUE_FULL_RETRIES_MAX 100000

enum { OPT_DB, OPT_TOPIC, OPT_KEY, OPT_FORMAT, OPT_TRACK, OPT_STATE, OPT_INTERVAL, OPT_POLLS };

typedef struct sql_opts {
    const char *db, *topic, *key, *track, *state;
    int64_t interval_ms, polls;
} sql_opts;

/* The tracked column's largest published value, kept as the kind and text the database gave. */
typedef struct position {
    bool set;
    gr_dbv_kind kind;
    char text[SQL_POSITION_BYTES_MAX];
} position;

typedef struct sql_run {
    gr_client *client;
    const sql_opts *o;
    int key_col, track_col;
    bool columns_checked;
    int64_t queued, delivered, failed;
    char first_error[512];
    position seen; /* largest tracked value queued in this poll */
    bool stop;
} sql_run;

static const gr_opt_spec specs[] = {
    {OPT_DB, "db", 0, "URL", "database: sqlite:PATH or postgresql://USER@HOST:PORT/DB (required)"},
    {OPT_TOPIC, "topic", 't', "TOPIC", "topic the rows go to (required)"},
    {OPT_KEY, "key", 'k', "COL", "use column COL's value as each record's key"},
    {OPT_FORMAT, "format", 0, "json", "record format (json, the only one)"},
    {OPT_TRACK, "track", 0, "COL", "source mode: publish only rows whose COL is above the last published"},
    {OPT_STATE, "state", 0, "FILE", "where --track remembers its position (required with --track)"},
    {OPT_INTERVAL, "interval-ms", 0, "MS", "with --track: poll again every MS milliseconds"},
    {OPT_POLLS, "polls", 0, "N", "with --interval-ms: stop after N polls (default: until Ctrl-C)"},
    {0, NULL, 0, NULL, NULL},
};

static const gr_tool_help help = {
    "sql", "--db URL --topic TOPIC [options] \"SELECT ...\"",
    "Runs the query and publishes each row of its result set as one JSON object (column names as\n"
    "fields, timestamps ISO-8601, numbers as numbers, NULL as null). Waits for every delivery and\n"
    "exits 1 naming the first error. With --track the query becomes a source of new rows only.",
    "  gregor sql --db sqlite:edge.db --topic ping_data \"SELECT * FROM ping_sensor\"\n"
    "  gregor sql --db postgresql://app@127.0.0.1/app --topic orders --key id \\\n"
    "      --track id --state orders.pos --interval-ms 1000 \"SELECT * FROM orders\"\n"};

static int on_opt(void *ud, int id, const char *v, gr_cli_common *c) {
    sql_opts *o = ud;
    switch (id) {
    case OPT_DB:
        o->db = v;
        return 0;
    case OPT_TOPIC:
        o->topic = v;
        return 0;
    case OPT_KEY:
        o->key = v;
        return 0;
    case OPT_FORMAT:
        if (strcmp(v, "json"))
            return gr_usage_error(c->tool, "--format: only json is supported, got '%s'", v);
        return 0;
    case OPT_TRACK:
        if (!gr_db_identifier_ok(v)) return gr_usage_error(c->tool, "--track: '%s' is not a column name", v);
        o->track = v;
        return 0;
    case OPT_STATE:
        o->state = v;
        return 0;
    case OPT_INTERVAL:
        return gr_opt_i64(c->tool, "--interval-ms", v, 1, 86400000, &o->interval_ms);
    case OPT_POLLS:
        return gr_opt_i64(c->tool, "--polls", v, 1, INT64_MAX, &o->polls);
    }
    return 0;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    gr_client *c = opaque;
    sql_run *r = c->user;
    (void)rk;
    if (!m->err) {
        r->delivered++;
        return;
    }
    if (!r->failed)
        snprintf(r->first_error, sizeof r->first_error, "row %lld: %s", (long long)(intptr_t)m->_private,
                 rd_kafka_err2str(m->err));
    r->failed++;
}

static void prepare(rd_kafka_conf_t *conf, void *ud) {
    (void)ud;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
}

static int column_index(int columns, const char *const *names, const char *want) {
    for (int c = 0; c < columns; c++)
        if (!strcmp(names[c], want)) return c;
    return -1;
}

static int on_row(void *ud, int columns, const char *const *names, const gr_dbv *values) {
    sql_run *r = ud;
    if (!r->columns_checked) {
        r->columns_checked = true;
        r->key_col = r->o->key ? column_index(columns, names, r->o->key) : -1;
        r->track_col = r->o->track ? column_index(columns, names, r->o->track) : -1;
        if (r->o->key && r->key_col < 0) {
            snprintf(r->first_error, sizeof r->first_error, "--key: the result has no column '%s'",
                     r->o->key);
            return r->stop = true;
        }
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        snprintf(r->first_error, sizeof r->first_error, "out of memory");
        return r->stop = true;
    }
    gr_row_json_write(f, columns, names, values);
    fclose(f);
    char key[SQL_KEY_BYTES_MAX];
    size_t key_len = 0;
    bool has_key = r->key_col >= 0 && values[r->key_col].kind != GR_DBV_NULL;
    if (has_key) key_len = gr_dbv_text(&values[r->key_col], key, sizeof key);
    int64_t row = r->queued + 1;
    for (int attempt = 0;; attempt++) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            r->client->rk, RD_KAFKA_V_TOPIC(r->o->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
            RD_KAFKA_V_KEY(has_key ? key : NULL, key_len), RD_KAFKA_V_VALUE(buf, len),
            RD_KAFKA_V_OPAQUE((void *)(intptr_t)row), RD_KAFKA_V_END);
        if (!err) break;
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && attempt < SQL_QUEUE_FULL_RETRIES_MAX &&
            !gr_stop_requested()) {
            rd_kafka_poll(r->client->rk, SQL_QUEUE_FULL_POLL_MS);
            continue;
        }
        free(buf);
        snprintf(r->first_error, sizeof r->first_error, "row %lld: %s", (long long)row,
                 rd_kafka_err2str(err));
        return r->stop = true;
    }
    r->queued++;
    if (r->track_col >= 0 && values[r->track_col].kind != GR_DBV_NULL) {
        r->seen.set = true;
        r->seen.kind = values[r->track_col].kind;
        gr_dbv_text(&values[r->track_col], r->seen.text, sizeof r->seen.text);
    }
    rd_kafka_poll(r->client->rk, 0);
    return gr_stop_requested();
}

static void wait_deliveries(gr_client *c, int timeout_ms) {
    for (int waited = 0; rd_kafka_outq_len(c->rk) > 0 && waited < timeout_ms; waited += SQL_FLUSH_SLICE_MS)
        rd_kafka_flush(c->rk, SQL_FLUSH_SLICE_MS);
    if (rd_kafka_outq_len(c->rk) > 0) {
        rd_kafka_purge(c->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(c->rk, 1000);
    }
    rd_kafka_poll(c->rk, 0);
}

/* State file: {"column":"id","kind":"int","value":"42"}. */
static const char *kind_name(gr_dbv_kind k) {
    return k == GR_DBV_INT ? "int" : k == GR_DBV_FLOAT ? "float" : k == GR_DBV_NUMERIC ? "numeric" : "text";
}

static int load_position(const sql_opts *o, position *pos, char *err, size_t err_size) {
    memset(pos, 0, sizeof *pos);
    size_t len;
    char *text = gr_file_read_all(o->state, SQL_STATE_FILE_BYTES_MAX, &len);
    if (!text) {
        if (errno == ENOENT) return 0;
        snprintf(err, err_size, "cannot read %s: %s", o->state, strerror(errno));
        return -1;
    }
    gr_jdoc doc;
    int rc = gr_jdoc_parse(&doc, text, len);
    const gr_jval *col = rc ? NULL : gr_jval_member(doc.root, "column", 6);
    const gr_jval *kind = rc ? NULL : gr_jval_member(doc.root, "kind", 4);
    const gr_jval *value = rc ? NULL : gr_jval_member(doc.root, "value", 5);
    if (!col || !kind || !value || col->type != GR_JSTRING || kind->type != GR_JSTRING ||
        value->type != GR_JSTRING || value->str_len >= sizeof pos->text) {
        snprintf(err, err_size, "%s is not a position file of gregor sql", o->state);
        rc = -1;
    } else if (strcmp(col->str, o->track)) {
        snprintf(err, err_size, "%s tracks column '%s', not '%s'", o->state, col->str, o->track);
        rc = -1;
    } else {
        pos->set = true;
        pos->kind = !strcmp(kind->str, "int")       ? GR_DBV_INT
                    : !strcmp(kind->str, "float")   ? GR_DBV_FLOAT
                    : !strcmp(kind->str, "numeric") ? GR_DBV_NUMERIC
                                                    : GR_DBV_TEXT;
        memcpy(pos->text, value->str, value->str_len + 1);
    }
    gr_jdoc_free(&doc);
    free(text);
    return rc;
}

static int save_position(const sql_opts *o, const position *pos, char *err, size_t err_size) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return -1;
    gr_json j;
    gr_json_init(&j, f);
    gr_json_obj_begin(&j);
    gr_json_kstr(&j, "column", o->track);
    gr_json_kstr(&j, "kind", kind_name(pos->kind));
    gr_json_kstr(&j, "value", pos->text);
    gr_json_obj_end(&j);
    gr_json_newline(&j);
    fclose(f);
    int rc = gr_file_replace(o->state, buf, len, true);
    if (rc < 0) snprintf(err, err_size, "cannot write %s: %s", o->state, strerror(errno));
    free(buf);
    return rc;
}

/* The bound parameter for "COL > $1": typed so SQLite compares numbers with numbers. */
static gr_dbv position_param(const position *pos) {
    gr_dbv v = {.kind = pos->kind, .text = pos->text, .len = strlen(pos->text)};
    if (pos->kind == GR_DBV_INT) v.i = strtoll(pos->text, NULL, 10);
    if (pos->kind == GR_DBV_FLOAT) v.f = strtod(pos->text, NULL);
    if (pos->kind == GR_DBV_NUMERIC) v.kind = GR_DBV_TEXT;
    return v;
}

/* One query and its deliveries; returns an exit code. */
static int poll_once(gr_client *c, gr_db *db, const sql_opts *o, const char *query, position *pos,
                     int delivery_timeout_ms) {
    sql_run r = {.client = c, .o = o, .key_col = -1, .track_col = -1};
    c->user = &r;
    char *sql = NULL;
    gr_dbv param;
    int params = 0;
    if (o->track) {
        size_t cap = strlen(query) + 256;
        sql = malloc(cap);
        if (!sql) return GR_EXIT_FAILED;
        snprintf(sql, cap, "SELECT * FROM (%s) AS gregor_source ORDER BY \"%s\"", query, o->track);
        if (pos->set) {
            snprintf(sql, cap, "SELECT * FROM (%s) AS gregor_source WHERE \"%s\" > $1 ORDER BY \"%s\"", query,
                     o->track, o->track);
            param = position_param(pos);
            params = 1;
        }
    }
    int qrc = db->ops->query(db, sql ? sql : query, &param, params, on_row, &r);
    free(sql);
    wait_deliveries(c, delivery_timeout_ms);
    if (qrc < 0) {
        gr_err(help.command, "query failed: %s", db->error);
        return GR_EXIT_FAILED;
    }
    if (r.first_error[0] || r.failed || r.delivered != r.queued) {
        gr_err(help.command, "%s (%lld of %lld rows delivered)",
               r.first_error[0] ? r.first_error : "deliveries unconfirmed", (long long)r.delivered,
               (long long)r.queued);
        return GR_EXIT_FAILED;
    }
    if (o->track && r.track_col < 0 && r.queued) {
        gr_err(help.command, "--track: the result has no column '%s'", o->track);
        return GR_EXIT_FAILED;
    }
    if (o->track && r.seen.set) {
        char err[512];
        *pos = r.seen;
        if (save_position(o, pos, err, sizeof err) < 0) {
            gr_err(help.command, "%s", err);
            return GR_EXIT_FAILED;
        }
    }
    fprintf(stderr, "gregor %s: published %lld rows to %s\n", help.command, (long long)r.delivered, o->topic);
    return GR_EXIT_OK;
}

static void sleep_ms(int64_t ms) {
    int64_t until = gr_mono_ms() + ms;
    while (!gr_stop_requested() && gr_mono_ms() < until) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int gr_tool_sql(int argc, char **argv) {
    sql_opts o = {0};
    gr_cli_common common;
    int p = gr_cli_parse(argc, argv, &help, specs, on_opt, &o, &common);
    int rc = p == GR_PARSE_HELP ? GR_EXIT_OK : GR_EXIT_USAGE;
    if (p != GR_PARSE_OK) goto out;
    if (!o.db || !o.topic) {
        gr_usage_error(&help, "%s is required", !o.db ? "--db" : "--topic");
        goto out;
    }
    if (common.arg_count != 1) {
        gr_usage_error(&help, common.arg_count ? "give the query as one argument" : "missing the query");
        goto out;
    }
    if (o.track && !o.state) {
        gr_usage_error(&help, "--track needs --state FILE to remember its position");
        goto out;
    }
    if ((o.interval_ms || o.state) && !o.track) {
        gr_usage_error(&help, "--interval-ms and --state only work with --track");
        goto out;
    }
    const char *query = common.args[0];
    if (strlen(query) > SQL_QUERY_BYTES_MAX) {
        gr_usage_error(&help, "the query is longer than %zu bytes", SQL_QUERY_BYTES_MAX);
        goto out;
    }
    char err[512];
    position pos = {0};
    if (o.track && load_position(&o, &pos, err, sizeof err) < 0) {
        gr_err(help.command, "%s", err);
        rc = GR_EXIT_FAILED;
        goto out;
    }
    gr_db *db = gr_db_open(o.db, err, sizeof err);
    if (!db) {
        gr_err(help.command, "%s", err);
        rc = GR_EXIT_FAILED;
        goto out;
    }
    char timeout[32];
    int delivery_timeout_ms = common.request_timeout_ms > SQL_DELIVERY_TIMEOUT_MS_DEFAULT
                                  ? common.request_timeout_ms
                                  : SQL_DELIVERY_TIMEOUT_MS_DEFAULT;
    snprintf(timeout, sizeof timeout, "%d", delivery_timeout_ms);
    const char *defaults[] = {"acks",  "all", "enable.idempotence", "true", "message.timeout.ms",
                              timeout, NULL};
    gr_client c;
    rc = gr_client_open(&c, &common, RD_KAFKA_PRODUCER, defaults, prepare, NULL);
    if (rc) goto close_db;
    gr_stop_on_signals();
    for (int64_t n = 0;; n++) {
        rc = poll_once(&c, db, &o, query, &pos, delivery_timeout_ms + 5000);
        if (rc || !o.interval_ms || gr_stop_requested() || (o.polls && n + 1 >= o.polls)) break;
        sleep_ms(o.interval_ms);
        if (gr_stop_requested()) break;
    }
    gr_client_close(&c);
close_db:
    gr_db_close(db);
out:
    gr_cli_common_free(&common);
    return rc;
}
