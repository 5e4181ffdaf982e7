/*
 * sink.c: the topic -> table connector loop (see sink.h for the exactly-once argument).
 *
 *   poll -> decode + map -> batch (rows, next offset per partition)
 *        -> on batch.count or batch.time_ms: dead letters acknowledged, then
 *           BEGIN; INSERT rows; UPSERT gregor_connect_offsets; COMMIT
 *   assignment -> each partition starts at the offset stored in the database (or reset policy)
 *
 * A failed transaction is rolled back and retried on a fresh connection every
 * reconnect.interval_ms, up to reconnect.max_retries times; then the connector fails.
 */
#include "connect/sink.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "cli/exit_codes.h"
#include "cli/signals.h"
#include "connect/db.h"
#include "connect/json_decode.h"
#include "connect/kafka_client.h"

#include <librdkafka/rdkafka.h>

#define SINK_POLL_MS 100
#define SINK_PARTITIONS_MAX 1024
#define SINK_DLT_FLUSH_MS 30000
#define SINK_STATUS_LAG_EVERY_MS 1000

typedef struct partition_offset {
    char topic[256];
    int32_t partition;
    int64_t next_offset;
} partition_offset;

typedef struct sink {
    const gr_sink_config *cfg;
    gr_connector_status *st;
    rd_kafka_t *consumer, *producer;
    gr_db *db;
    /* the batch */
    gr_jdoc *docs;
    gr_dbv *cells;
    size_t rows, dead;
    partition_offset offsets[SINK_PARTITIONS_MAX];
    int offset_count;
    int64_t batch_started_ms;
    bool failed;
    int64_t dlt_failed;
    gr_connect_health health;
} sink;

static const char offsets_table_sql[] =
    "CREATE TABLE IF NOT EXISTS gregor_connect_offsets (connector TEXT NOT NULL, topic TEXT NOT NULL, "
    "partition_id INTEGER NOT NULL, next_offset BIGINT NOT NULL, PRIMARY KEY (connector, topic, "
    "partition_id))";
static const char offsets_upsert_sql[] =
    "INSERT INTO gregor_connect_offsets (connector, topic, partition_id, next_offset) VALUES ($1, $2, $3, "
    "$4) "
    "ON CONFLICT (connector, topic, partition_id) DO UPDATE SET next_offset = excluded.next_offset";
static const char offsets_select_sql[] = "SELECT next_offset FROM gregor_connect_offsets WHERE connector = "
                                         "$1 AND topic = $2 AND partition_id = $3";

static gr_dbv text_param(const char *s) { return (gr_dbv){.kind = GR_DBV_TEXT, .text = s, .len = strlen(s)}; }
static gr_dbv int_param(int64_t v) { return (gr_dbv){.kind = GR_DBV_INT, .i = v}; }

static int prepare_db(sink *k) {
    gr_db *db = k->db;
    if (!strcmp(db->backend, "sqlite") && gr_db_exec(db, "PRAGMA journal_mode=WAL") < 0) return -1;
    if (gr_db_exec(db, offsets_table_sql) < 0) return -1;
    if (!k->cfg->create_table) return 0;
    char sql[8192];
    int len = snprintf(sql, sizeof sql, "CREATE TABLE IF NOT EXISTS \"%s\" (", k->cfg->table);
    const gr_mapping *m = &k->cfg->mapping;
    for (int i = 0; i < m->count && len < (int)sizeof sql; i++)
        len += snprintf(sql + len, sizeof sql - (size_t)len, "%s\"%s\" %s%s", i ? ", " : "",
                        m->columns[i].name, db->ops->sql_type(m->columns[i].type),
                        m->columns[i].optional || m->columns[i].default_value ? "" : " NOT NULL");
    if (len < (int)sizeof sql) snprintf(sql + len, sizeof sql - (size_t)len, ")");
    return gr_db_exec(db, sql);
}

/* (Re)connects to the database within the reconnect policy; returns 0 or -1 (connector failed). */
static int connect_db(sink *k) {
    char err[512];
    for (int64_t attempt = 0;; attempt++) {
        if (k->db) gr_db_close(k->db);
        k->db = gr_db_open(k->cfg->db_url, err, sizeof err);
        if (k->db && prepare_db(k) == 0) {
            gr_status_set_state(k->st, "running");
            return 0;
        }
        if (k->db) snprintf(err, sizeof err, "%s", k->db->error);
        gr_status_error(k->st, "database: %s", err);
        if (gr_stop_requested()) return -1;
        if (k->cfg->common.reconnect_max_retries >= 0 && attempt >= k->cfg->common.reconnect_max_retries) {
            gr_status_set_state(k->st, "failed");
            fprintf(stderr, "gregor connect: %s: database unreachable after %lld retries: %s\n",
                    k->cfg->common.name, (long long)attempt, err);
            return -1;
        }
        gr_status_set_state(k->st, "reconnecting");
        gr_connect_sleep_ms(k->cfg->common.reconnect_interval_ms);
    }
}

static void clear_batch(sink *k) {
    for (size_t i = 0; i < k->rows; i++) gr_jdoc_free(&k->docs[i]);
    k->rows = 0;
    k->dead = 0;
    k->offset_count = 0;
    k->batch_started_ms = 0;
}

static void note_offset(sink *k, const char *topic, int32_t partition, int64_t next) {
    for (int i = 0; i < k->offset_count; i++) {
        if (k->offsets[i].partition == partition && !strcmp(k->offsets[i].topic, topic)) {
            k->offsets[i].next_offset = next;
            return;
        }
    }
    if (k->offset_count >= SINK_PARTITIONS_MAX) return;
    partition_offset *o = &k->offsets[k->offset_count++];
    snprintf(o->topic, sizeof o->topic, "%s", topic);
    o->partition = partition;
    o->next_offset = next;
}

static int write_batch(sink *k) {
    gr_db *db = k->db;
    const gr_mapping *m = &k->cfg->mapping;
    if (gr_db_exec(db, "BEGIN") < 0) return -1;
    if (k->rows && db->ops->insert(db, k->cfg->table, m->names, m->count, k->cells, k->rows) < 0)
        goto rollback;
    for (int i = 0; i < k->offset_count; i++) {
        gr_dbv p[4] = {text_param(k->cfg->common.name), text_param(k->offsets[i].topic),
                       int_param(k->offsets[i].partition), int_param(k->offsets[i].next_offset)};
        if (db->ops->exec(db, offsets_upsert_sql, p, 4) < 0) goto rollback;
    }
    if (gr_db_exec(db, "COMMIT") < 0) goto rollback;
    return 0;
rollback : {
    char why[512];
    snprintf(why, sizeof why, "%s", db->error);
    gr_db_exec(db, "ROLLBACK");
    snprintf(db->error, sizeof db->error, "%s", why);
    return -1;
}
}

/* Commits the batch: dead letters acknowledged first, then rows + offsets in one transaction. */
static int flush_batch(sink *k) {
    if (!k->offset_count) return 0;
    if (k->producer && k->dead) {
        for (int waited = 0; rd_kafka_outq_len(k->producer) > 0 && waited < SINK_DLT_FLUSH_MS; waited += 100)
            rd_kafka_flush(k->producer, 100);
        if (rd_kafka_outq_len(k->producer) > 0 || k->dlt_failed) {
            gr_status_error(k->st, "dead-letter topic %s: records not acknowledged",
                            k->cfg->dead_letter_topic);
            k->dlt_failed = 0;
            return -1; /* the batch is retried: nothing was committed */
        }
    }
    for (int64_t attempt = 0; write_batch(k) < 0; attempt++) {
        gr_status_error(k->st, "database: %s", k->db->error);
        if (gr_stop_requested() ||
            (k->cfg->common.reconnect_max_retries >= 0 && attempt >= k->cfg->common.reconnect_max_retries)) {
            gr_status_set_state(k->st, "failed");
            fprintf(stderr, "gregor connect: %s: batch not written: %s\n", k->cfg->common.name, k->db->error);
            return -1;
        }
        gr_status_set_state(k->st, "reconnecting");
        gr_connect_sleep_ms(k->cfg->common.reconnect_interval_ms);
        if (connect_db(k) < 0) return -1;
    }
    pthread_mutex_lock(&k->st->lock);
    k->st->rows_inserted += (int64_t)(k->rows);
    k->st->state = "running";
    pthread_mutex_unlock(&k->st->lock);
    clear_batch(k);
    return 0;
}

static void dead_letter(sink *k, const rd_kafka_message_t *msg, const char *why) {
    pthread_mutex_lock(&k->st->lock);
    k->st->dead_lettered++;
    k->st->errors++;
    snprintf(k->st->last_error, sizeof k->st->last_error, "%s [%d] offset %lld: %s",
             rd_kafka_topic_name(msg->rkt), msg->partition, (long long)msg->offset, why);
    pthread_mutex_unlock(&k->st->lock);
    k->dead++;
    if (!k->producer) return;
    rd_kafka_headers_t *h = rd_kafka_headers_new(4);
    char part[16], off[24];
    snprintf(part, sizeof part, "%d", msg->partition);
    snprintf(off, sizeof off, "%lld", (long long)msg->offset);
    rd_kafka_header_add(h, "gregor.error", -1, why, -1);
    rd_kafka_header_add(h, "gregor.topic", -1, rd_kafka_topic_name(msg->rkt), -1);
    rd_kafka_header_add(h, "gregor.partition", -1, part, -1);
    rd_kafka_header_add(h, "gregor.offset", -1, off, -1);
    rd_kafka_resp_err_t err =
        rd_kafka_producev(k->producer, RD_KAFKA_V_TOPIC(k->cfg->dead_letter_topic),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(msg->key, msg->key_len),
                          RD_KAFKA_V_VALUE(msg->payload, msg->len), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
    if (err) {
        rd_kafka_headers_destroy(h);
        k->dlt_failed++;
    }
}

static void handle_record(sink *k, rd_kafka_message_t *msg) {
    pthread_mutex_lock(&k->st->lock);
    k->st->records_in++;
    pthread_mutex_unlock(&k->st->lock);
    if (!k->batch_started_ms) k->batch_started_ms = gr_mono_ms();
    note_offset(k, rd_kafka_topic_name(msg->rkt), msg->partition, msg->offset + 1);
    gr_jdoc *doc = &k->docs[k->rows];
    char why[512];
    if (gr_jdoc_parse(doc, msg->payload ? msg->payload : "", msg->len) < 0) {
        snprintf(why, sizeof why, "bad JSON: %s", doc->error);
        gr_jdoc_free(doc);
        dead_letter(k, msg, why);
        return;
    }
    const gr_mapping *m = &k->cfg->mapping;
    if (gr_mapping_apply(m, doc, k->cells + k->rows * (size_t)m->count, why, sizeof why) < 0) {
        gr_jdoc_free(doc);
        dead_letter(k, msg, why);
        return;
    }
    k->rows++;
}

static int read_offset_row(void *ud, int columns, const char *const *names, const gr_dbv *values) {
    (void)names;
    if (columns >= 1 && values[0].kind == GR_DBV_INT) *(int64_t *)ud = values[0].i;
    return 1;
}

/* Assignment from the offsets in the database; revocation commits what is batched first. */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
    sink *k = opaque;
    if (err != RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (flush_batch(k) < 0) k->failed = true;
        clear_batch(k); /* what could not be committed is read again by the next owner */
        rd_kafka_assign(rk, NULL);
        return;
    }
    for (int i = 0; i < parts->cnt && !k->failed; i++) {
        rd_kafka_topic_partition_t *p = &parts->elems[i];
        int64_t stored = -1;
        gr_dbv q[3] = {text_param(k->cfg->common.name), text_param(p->topic), int_param(p->partition)};
        while (k->db->ops->query(k->db, offsets_select_sql, q, 3, read_offset_row, &stored) < 0) {
            gr_status_error(k->st, "database: %s", k->db->error);
            if (connect_db(k) < 0) {
                k->failed = true;
                break;
            }
        }
        /* Without a stored offset, the reset policy decides (nothing is committed to the group). */
        p->offset = stored >= 0                     ? stored
                    : k->cfg->common.reset_earliest ? RD_KAFKA_OFFSET_BEGINNING
                                                    : RD_KAFKA_OFFSET_END;
    }
    rd_kafka_assign(rk, parts);
}

static void on_kafka_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    sink *k = opaque;
    (void)rk;
    gr_connect_note_kafka_error(&k->health, k->st, err, reason);
}

static void on_dlt_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    sink *k = opaque;
    (void)rk;
    if (m->err) {
        k->dlt_failed++;
        gr_status_error(k->st, "dead-letter delivery: %s", rd_kafka_err2str(m->err));
    }
}

static rd_kafka_t *new_handle(sink *k, rd_kafka_type_t type) {
    gr_connect_callbacks cb = {k, on_kafka_error, on_rebalance, on_dlt_delivery, NULL};
    return gr_connect_handle(&k->cfg->common, type, &cb, k->st);
}

int gr_sink_run(const gr_sink_config *cfg, gr_connector_status *st) {
    sink k = {.cfg = cfg, .st = st};
    int rc = GR_EXIT_FAILED;
    k.docs = calloc((size_t)cfg->batch_count, sizeof *k.docs);
    k.cells = calloc((size_t)cfg->batch_count * (size_t)cfg->mapping.count, sizeof *k.cells);
    if (!k.docs || !k.cells || connect_db(&k) < 0) goto out;
    k.consumer = new_handle(&k, RD_KAFKA_CONSUMER);
    if (!k.consumer) goto out;
    if (cfg->dead_letter_topic || cfg->common.metrics_topic) {
        k.producer = new_handle(&k, RD_KAFKA_PRODUCER);
        if (!k.producer) goto out;
    }
    if (gr_connect_subscribe(k.consumer, &cfg->common, st) < 0) goto out;
    gr_status_set_state(st, "running");
    int64_t next_lag_ms = 0, next_metrics_ms = gr_mono_ms() + cfg->common.metrics_interval_s * 1000;
    while (!gr_stop_requested() && !k.failed) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(k.consumer, SINK_POLL_MS);
        if (msg) {
            if (!msg->err) {
                gr_connect_note_traffic(&k.health, st);
                handle_record(&k, msg);
            } else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                gr_status_error(st, "kafka: %s", rd_kafka_message_errstr(msg));
            }
            rd_kafka_message_destroy(msg);
        }
        if (k.producer) rd_kafka_poll(k.producer, 0);
        int64_t now = gr_mono_ms();
        bool full = k.rows + k.dead >= (size_t)cfg->batch_count;
        if (k.offset_count && (full || now - k.batch_started_ms >= cfg->batch_time_ms) &&
            flush_batch(&k) < 0) {
            if (k.st->state[0] == 'f') break; /* failed after retries */
            clear_batch(&k);
            k.failed =
                true; /* a batch that cannot be committed must not be skipped: stop, restart re-reads */
            break;
        }
        /* The broker down for longer than the reconnect policy allows: report and stop. */
        if (gr_connect_down_too_long(&k.health, &cfg->common, now)) {
            gr_status_set_state(st, "failed");
            fprintf(stderr, "gregor connect: %s: brokers unreachable: %s\n", cfg->common.name,
                    st->last_error);
            rc = GR_EXIT_UNREACHABLE;
            goto out;
        }
        if (now >= next_lag_ms) {
            gr_connect_update_lag(k.consumer, st);
            next_lag_ms = now + SINK_STATUS_LAG_EVERY_MS;
        }
        if (cfg->common.metrics_interval_s && now >= next_metrics_ms) {
            gr_connect_publish_metrics(&cfg->common, k.producer, st);
            next_metrics_ms = now + cfg->common.metrics_interval_s * 1000;
        }
    }
    if (!k.failed && flush_batch(&k) == 0) rc = gr_stop_requested() ? GR_EXIT_OK : GR_EXIT_FAILED;
out:
    if (k.failed || rc)
        gr_status_set_state(st, "failed");
    else
        gr_status_set_state(st, "stopped");
    if (k.consumer) {
        rd_kafka_consumer_close(k.consumer);
        rd_kafka_destroy(k.consumer);
    }
    if (k.producer) {
        rd_kafka_flush(k.producer, 5000);
        rd_kafka_destroy(k.producer);
    }
    clear_batch(&k);
    free(k.docs);
    free(k.cells);
    gr_db_close(k.db);
    return rc;
}

/* ---- [sink NAME] ---------------------------------------------------------------------------- */

int gr_sink_config_parse(gr_sink_config *c, gr_conf_doc *doc, gr_conf_section *s, const char *bootstrap) {
    memset(c, 0, sizeof *c);
    if (gr_connect_common_parse(&c->common, doc, s, bootstrap) < 0) return -1;
    c->db_url = gr_conf_str(s, "db", NULL);
    if (!c->db_url) return gr_conf_missing(doc, s, "db");
    const gr_conf_kv *table = gr_conf_find(s, "table");
    if (!table) return gr_conf_missing(doc, s, "table");
    if (!gr_db_identifier_ok(table->value)) return gr_conf_error(doc, table, "use letters, digits and _");
    c->table = table->value;
    if (gr_conf_bool(doc, s, "create_table", true, &c->create_table) < 0) return -1;
    if (gr_mapping_parse(&c->mapping, doc, s) < 0) return -1;
    if (gr_conf_i64(doc, s, "batch.count", 500, 1, 100000, &c->batch_count) < 0 ||
        gr_conf_i64(doc, s, "batch.time_ms", 1000, 1, 3600000, &c->batch_time_ms) < 0)
        return -1;
    c->dead_letter_topic = gr_conf_str(s, "dead_letter_topic", NULL);
    return gr_conf_check_unused(doc, s);
}

void gr_sink_config_free(gr_sink_config *c) {
    gr_connect_common_free(&c->common);
    gr_mapping_free(&c->mapping);
}
