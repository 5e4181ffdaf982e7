/*
 * admin_routes.c: the admin listener's pages: /metrics (Prometheus text), /health, /ready, and
 * the JSON API (/api/brokers, /api/topics, /api/groups, /api/configs/topic/NAME, /api/lag-history)
 * and the console page at "/". See
 * docs/metrics.md for what each returns.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "base/buf_text.h"
#include "broker/admin_http.h"
#include "broker/broker.h"
#include "broker/group_lag.h"
#include "broker/metrics.h"
#include "cluster/cluster.h"
#include "group/coordinator.h"

#define ROUTE_ARENA_LIMIT_BYTES (32u * 1024u * 1024u)
#define JSON_TYPE "application/json"

static const char *status_text(int status) {
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

void gr_admin_respond(gr_buf *out, int status, const char *content_type, const void *body, size_t len) {
    gr_buf_printf(out,
                  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%sConnection: close\r\n\r\n",
                  status, status_text(status), content_type, len, status == 405 ? "Allow: GET\r\n" : "");
    gr_buf_put(out, body, len);
}

static void respond_text(gr_buf *out, int status, const char *text) {
    gr_admin_respond(out, status, "text/plain; charset=utf-8", text, strlen(text));
}

static gr_str cstr(const char *s) { return (gr_str){s, (int32_t)strlen(s)}; }

static bool is_ready(gr_broker *b, const char **why) {
    if (!atomic_load(&b->serving)) return *why = "starting", false;
    if (b->groups && gr_gc_ready(b->groups) != GR_ERR_NONE) return *why = "loading __consumer_offsets", false;
    if (b->cluster) {
        gr_cluster_view *v = gr_cluster_view_get(b->cluster);
        bool registered = v && gr_cluster_view_broker(v, b->cfg.node_id) != NULL;
        if (v) gr_cluster_view_release(v);
        if (!registered) return *why = "not registered in the cluster", false;
    }
    return true;
}

static void api_brokers(gr_broker *b, gr_buf *j) {
    gr_buf_printf(j, "{\"node_id\":%d,\"brokers\":[", b->cfg.node_id);
    if (b->cluster) {
        gr_cluster_view *v = gr_cluster_view_get(b->cluster);
        for (int i = 0; v && i < v->broker_count; i++) {
            gr_buf_printf(j, "%s{\"id\":%d,\"host\":", i ? "," : "", v->brokers[i].id);
            gr_buf_put_json_string(j, cstr(v->brokers[i].host));
            gr_buf_printf(j, ",\"port\":%d,\"rack\":", v->brokers[i].port);
            gr_buf_put_json_string(j, cstr(v->brokers[i].rack));
            gr_buf_printf(j, "}");
        }
        gr_buf_printf(j, "],\"controller_id\":%d}", v ? v->controller_id : -1);
        if (v) gr_cluster_view_release(v);
        return;
    }
    gr_buf_printf(j, "{\"id\":%d,\"host\":", b->cfg.node_id);
    gr_buf_put_json_string(j, cstr(b->advertised_count ? b->advertised[0].host : ""));
    gr_buf_printf(j, ",\"port\":%d,\"rack\":", b->advertised_count ? b->advertised[0].port : 0);
    gr_buf_put_json_string(j, cstr(b->cfg.broker_rack));
    gr_buf_printf(j, "}],\"controller_id\":%d}", b->cfg.node_id);
}

static void api_topics(gr_broker *b, gr_buf *j) {
    gr_topic **list = NULL;
    int n = gr_topics_list(b->topics, &list);
    gr_buf_printf(j, "{\"topics\":[");
    for (int i = 0; i < n; i++) {
        char id[23];
        gr_topic_id_to_base64(list[i]->id, id);
        gr_buf_printf(j, "%s{\"name\":", i ? "," : "");
        gr_buf_put_json_string(j, cstr(list[i]->name));
        gr_buf_printf(j, ",\"id\":\"%s\",\"internal\":%s,\"partitions\":[", id,
                      list[i]->internal ? "true" : "false");
        int32_t count = gr_topic_partition_count(list[i]);
        bool first = true;
        for (int32_t p = 0; p < count; p++) {
            gr_partition *part = gr_topic_partition(list[i], p);
            if (!part || !part->log) continue;
            gr_buf_printf(
                j,
                "%s{\"partition\":%d,\"leader_epoch\":%d,\"log_start_offset\":%lld,"
                "\"high_watermark\":%lld,\"log_end_offset\":%lld,\"size_bytes\":%lld}",
                first ? "" : ",", p, __atomic_load_n(&part->leader_epoch, __ATOMIC_ACQUIRE),
                (long long)gr_plog_start_offset(part->log), (long long)gr_plog_end_offset(part->log),
                (long long)gr_plog_log_end_offset(part->log), (long long)gr_plog_size_bytes(part->log));
            first = false;
        }
        gr_buf_printf(j, "]}");
    }
    gr_buf_printf(j, "]}");
    gr_topics_list_free(list, n);
}

static void api_groups(gr_broker *b, gr_arena *a, gr_buf *j) {
    gr_buf_printf(j, "{\"groups\":[");
    gr_list_groups_response_listed_group *listed;
    int32_t group_count = gr_group_list(b, a, &listed);
    for (int32_t g = 0; g < group_count; g++) {
        gr_str id = listed[g].group_id;
        gr_describe_groups_request dreq;
        gr_describe_groups_request_init(&dreq);
        dreq.groups.items = &id;
        dreq.groups.count = 1;
        gr_describe_groups_response dres;
        memset(&dres, 0, sizeof dres);
        gr_gc_describe_groups(b->groups, &dreq, a, &dres);
        gr_buf_printf(j, "%s{\"group_id\":", g ? "," : "");
        gr_buf_put_json_string(j, id);
        gr_buf_printf(j, ",\"type\":");
        gr_buf_put_json_string(j, listed[g].group_type);
        gr_buf_printf(j, ",\"state\":");
        gr_buf_put_json_string(j, listed[g].group_state);
        gr_buf_printf(j, ",\"protocol_type\":");
        gr_buf_put_json_string(j, listed[g].protocol_type);
        gr_buf_printf(j, ",\"members\":[");
        if (dres.groups.count == 1) {
            const gr_describe_groups_response_described_group *d = &dres.groups.items[0];
            for (int32_t m = 0; m < d->members.count; m++) {
                gr_buf_printf(j, "%s{\"member_id\":", m ? "," : "");
                gr_buf_put_json_string(j, d->members.items[m].member_id);
                gr_buf_printf(j, ",\"client_id\":");
                gr_buf_put_json_string(j, d->members.items[m].client_id);
                gr_buf_printf(j, ",\"client_host\":");
                gr_buf_put_json_string(j, d->members.items[m].client_host);
                gr_buf_printf(j, "}");
            }
        }
        gr_buf_printf(j, "],\"offsets\":[");
        gr_lag_row *rows;
        int32_t n = gr_group_lag(b, id, a, &rows);
        int64_t total = 0;
        for (int32_t r = 0; r < n; r++) {
            gr_buf_printf(j, "%s{\"topic\":", r ? "," : "");
            gr_buf_put_json_string(j, rows[r].topic);
            gr_buf_printf(j, ",\"partition\":%d,\"committed\":%lld,\"end\":%lld,\"lag\":%lld}",
                          rows[r].partition, (long long)rows[r].committed, (long long)rows[r].end,
                          (long long)rows[r].lag);
            total += rows[r].lag;
        }
        gr_buf_printf(j, "],\"lag\":%lld}", (long long)total);
    }
    gr_buf_printf(j, "]}");
}

/* false when the topic does not exist */
static bool api_topic_configs(gr_broker *b, const char *name, gr_buf *j) {
    gr_topic *t = gr_topics_get(b->topics, cstr(name));
    if (!t) return false;
    gr_properties props;
    gr_properties_init(&props);
    gr_topics_copy_configs(b->topics, t, &props);
    gr_buf_printf(j, "{\"topic\":");
    gr_buf_put_json_string(j, cstr(t->name));
    gr_buf_printf(j, ",\"configs\":{");
    for (size_t i = 0; i < props.count; i++) {
        if (i) gr_buf_printf(j, ",");
        gr_buf_put_json_string(j, cstr(props.items[i].key));
        gr_buf_printf(j, ":");
        gr_buf_put_json_string(j, cstr(props.items[i].value));
    }
    gr_buf_printf(j, "}}");
    gr_properties_free(&props);
    gr_topic_release(t);
    return true;
}

void gr_admin_route(gr_broker *b, const gr_lag_history *history, const gr_http_request *req, gr_buf *out) {
    const char *path = req->path;
    if (strcmp(req->method, "GET") != 0) {
        respond_text(out, 405, "only GET is served here\n");
        return;
    }
    gr_buf body;
    gr_buf_init(&body);
    const char *type = JSON_TYPE;
    int status = 200;
    const char *why = NULL;
    if (!strcmp(path, "/")) {
        gr_buf_put(&body, gr_admin_console_html, strlen(gr_admin_console_html));
        type = "text/html; charset=utf-8";
    } else if (!strcmp(path, "/api/lag-history")) {
        gr_lag_history_json(history, &body);
    } else if (!strcmp(path, "/metrics")) {
        gr_metrics_render(b, &body);
        type = "text/plain; version=0.0.4; charset=utf-8";
    } else if (!strcmp(path, "/health")) {
        gr_buf_printf(&body, "{\"status\":\"live\"}");
    } else if (!strcmp(path, "/ready")) {
        bool ready = is_ready(b, &why);
        status = ready ? 200 : 503;
        gr_buf_printf(&body, "{\"ready\":%s", ready ? "true" : "false");
        if (why) {
            gr_buf_printf(&body, ",\"reason\":");
            gr_buf_put_json_string(&body, cstr(why));
        }
        gr_buf_printf(&body, "}");
    } else if (!strcmp(path, "/api/brokers")) {
        api_brokers(b, &body);
    } else if (!strcmp(path, "/api/topics")) {
        api_topics(b, &body);
    } else if (!strcmp(path, "/api/groups")) {
        gr_arena a;
        gr_arena_init(&a, ROUTE_ARENA_LIMIT_BYTES);
        api_groups(b, &a, &body);
        gr_arena_free(&a);
    } else if (!strncmp(path, "/api/configs/topic/", 19) && path[19] && !strchr(path + 19, '/')) {
        if (!api_topic_configs(b, path + 19, &body)) {
            status = 404;
            gr_buf_printf(&body, "{\"error\":\"unknown topic\"}");
        }
    } else {
        status = 404;
        type = "text/plain; charset=utf-8";
        gr_buf_printf(&body, "not found\n");
    }
    gr_admin_respond(out, status, type, body.data, body.len);
    gr_buf_free(&body);
}
