/* kafka_client.c: handles, lag, metrics and broker health shared by connectors (kafka_client.h). */
#include "connect/kafka_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "cli/signals.h"

static rd_kafka_conf_t *kafka_conf(const gr_connect_common *c, rd_kafka_type_t type,
                                   const char *const *defaults, char *err, size_t err_size) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char interval[32];
    snprintf(interval, sizeof interval, "%lld", (long long)c->reconnect_interval_ms);
    const char *base[] = {"bootstrap.servers",
                          c->bootstrap,
                          "reconnect.backoff.ms",
                          interval,
                          "reconnect.backoff.max.ms",
                          interval,
                          "client.id",
                          "gregor-connect",
                          NULL};
    const char *consumer[] = {"group.id",
                              c->group,
                              "enable.auto.commit",
                              "false",
                              "enable.auto.offset.store",
                              "false",
                              "auto.offset.reset",
                              c->reset_earliest ? "earliest" : "latest",
                              "partition.assignment.strategy",
                              "range",
                              NULL};
    const char *producer[] = {"acks", "all", "enable.idempotence", "true", NULL};
    const char *none[] = {NULL};
    const char *const *lists[] = {base, type == RD_KAFKA_CONSUMER ? consumer : producer,
                                  defaults ? defaults : none};
    for (int l = 0; l < 3; l++)
        for (const char *const *kv = lists[l]; kv[0]; kv += 2)
            if (rd_kafka_conf_set(conf, kv[0], kv[1], err, err_size) != RD_KAFKA_CONF_OK) goto bad;
    for (int i = 0; i < c->kafka_count; i++)
        if (rd_kafka_conf_set(conf, c->kafka_keys[i], c->kafka_values[i], err, err_size) != RD_KAFKA_CONF_OK)
            goto bad;
    return conf;
bad:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

rd_kafka_t *gr_connect_handle(const gr_connect_common *c, rd_kafka_type_t type,
                              const gr_connect_callbacks *cb, gr_connector_status *st) {
    char err[512];
    rd_kafka_conf_t *conf =
        kafka_conf(c, type, type == RD_KAFKA_CONSUMER ? cb->consumer_defaults : NULL, err, sizeof err);
    if (conf) {
        rd_kafka_conf_set_opaque(conf, cb->opaque);
        rd_kafka_conf_set_error_cb(conf, cb->error);
        if (type == RD_KAFKA_CONSUMER)
            rd_kafka_conf_set_rebalance_cb(conf, cb->rebalance);
        else
            rd_kafka_conf_set_dr_msg_cb(conf, cb->delivery);
        rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof err);
        if (rk) return rk;
        rd_kafka_conf_destroy(conf);
    }
    fprintf(stderr, "gregor connect: %s: %s\n", c->name, err);
    gr_status_error(st, "kafka: %s", err);
    return NULL;
}

int gr_connect_subscribe(rd_kafka_t *consumer, const gr_connect_common *c, gr_connector_status *st) {
    rd_kafka_poll_set_consumer(consumer);
    rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new(c->topic_count);
    for (int i = 0; i < c->topic_count; i++)
        rd_kafka_topic_partition_list_add(subs, c->topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(consumer, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (!err) return 0;
    gr_status_error(st, "subscribe: %s", rd_kafka_err2str(err));
    return -1;
}

void gr_connect_note_kafka_error(gr_connect_health *h, gr_connector_status *st, int err, const char *reason) {
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        h->brokers_down = true;
        gr_status_set_state(st, "reconnecting");
    }
    gr_status_error(st, "kafka: %s", reason);
}

void gr_connect_note_traffic(gr_connect_health *h, gr_connector_status *st) {
    if (h->brokers_down) gr_status_set_state(st, "running");
    h->brokers_down = false;
}

bool gr_connect_down_too_long(gr_connect_health *h, const gr_connect_common *c, int64_t now_ms) {
    if (!h->brokers_down) {
        h->down_since_ms = 0;
        return false;
    }
    if (!h->down_since_ms) h->down_since_ms = now_ms;
    return c->reconnect_max_retries >= 0 &&
           now_ms - h->down_since_ms > c->reconnect_interval_ms * (c->reconnect_max_retries + 1);
}

void gr_connect_update_lag(rd_kafka_t *consumer, gr_connector_status *st) {
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (rd_kafka_assignment(consumer, &parts) || !parts) return;
    rd_kafka_position(consumer, parts);
    int64_t lag = 0;
    for (int i = 0; i < parts->cnt; i++) {
        int64_t lo, hi;
        if (rd_kafka_get_watermark_offsets(consumer, parts->elems[i].topic, parts->elems[i].partition, &lo,
                                           &hi) ||
            hi < 0)
            continue;
        int64_t pos = parts->elems[i].offset >= 0 ? parts->elems[i].offset : lo;
        if (hi > pos) lag += hi - pos;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    pthread_mutex_lock(&st->lock);
    st->lag = lag;
    pthread_mutex_unlock(&st->lock);
}

void gr_connect_publish_metrics(const gr_connect_common *c, rd_kafka_t *producer, gr_connector_status *st) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return;
    gr_status_write_json(st, f);
    fclose(f);
    if (c->metrics_topic && producer) {
        rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(c->metrics_topic),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(c->name, strlen(c->name)),
                          RD_KAFKA_V_VALUE(buf, len), RD_KAFKA_V_END);
    } else {
        fprintf(stderr, "gregor connect: metrics %.*s\n", (int)len, buf);
    }
    free(buf);
}

void gr_connect_sleep_ms(int64_t ms) {
    int64_t until = gr_mono_ms() + ms;
    while (!gr_stop_requested() && gr_mono_ms() < until) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}
