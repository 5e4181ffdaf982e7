/*
 * admin.c: admin handles and the admin calls the Dyalog-shaped API lacks: create and delete
 * topics, list topics with their partition counts and a topic's partitions, and describe a consumer group
 * with its lag (committed offsets against high watermarks). Results are tab-separated text lines, the one
 * shape every FFI can take apart.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi/client.h"
#include "capi/gregor_client.h"

#define ADMIN_TEXT_BYTES_MAX (16 * 1024 * 1024)

static void admin_destroy(void *object) {
    gr_capi_admin *a = object;
    rd_kafka_destroy(a->rk);
    free(a);
}

int32_t gregor_admin_new(int64_t config, int64_t *admin_out, char *errstr, size_t errstr_size) {
    gr_capi_copy_text(errstr, errstr_size, "");
    if (!admin_out) return GREGOR_ERR_BAD_ARGUMENT;
    *admin_out = 0;
    gr_capi_admin *a = calloc(1, sizeof *a);
    if (!a) return GREGOR_ERR_NO_MEMORY;
    int32_t rc = gr_capi_client_new(config, RD_KAFKA_PRODUCER, a, NULL, &a->rk, errstr, errstr_size);
    if (rc != GREGOR_OK) {
        free(a);
        return rc;
    }
    return gr_capi_register(GR_CAPI_KIND_ADMIN, a, admin_destroy, admin_out);
}

/* ---- text results ---------------------------------------------------------------------- */

typedef struct {
    char *text;
    size_t len, cap;
    bool failed;
} text_out;

static void text_add(text_out *t, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    char line[1024];
    int n = vsnprintf(line, sizeof line, format, ap);
    va_end(ap);
    if (t->failed || n < 0 || (size_t)n >= sizeof line || t->len + (size_t)n + 1 > ADMIN_TEXT_BYTES_MAX) {
        t->failed = true;
        return;
    }
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4096;
        while (cap < t->len + (size_t)n + 1) cap *= 2;
        char *grown = realloc(t->text, cap);
        if (!grown) {
            t->failed = true;
            return;
        }
        t->text = grown;
        t->cap = cap;
    }
    memcpy(t->text + t->len, line, (size_t)n + 1);
    t->len += (size_t)n;
}

/* Hands the text to the caller's buffer unless the request failed (rc), and frees it. */
static int32_t text_finish(int32_t rc, text_out *t, char *out, size_t out_size, size_t *out_len) {
    if (!rc && t->failed) rc = GREGOR_ERR_NO_MEMORY;
    if (!rc) rc = gr_capi_copy_out(out, out_size, out_len, t->text ? t->text : "", t->len);
    free(t->text);
    return rc;
}

/* ---- one admin request ----------------------------------------------------------------- */

/* Waits for the result of a request started on q; NULL on timeout, else the event (an
 * event-level error is returned in *rc, with its text in errstr). */
static rd_kafka_event_t *wait_result(rd_kafka_queue_t *q, int32_t timeout_ms, int32_t *rc, char *errstr,
                                     size_t errstr_size) {
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms + 1000); /* the request times out first */
    if (!ev) {
        *rc = GREGOR_ERR_TIMED_OUT;
        gr_capi_copy_text(errstr, errstr_size, "no answer in time");
        return NULL;
    }
    *rc = rd_kafka_event_error(ev);
    if (*rc) gr_capi_copy_text(errstr, errstr_size, rd_kafka_event_error_string(ev));
    return ev;
}

static rd_kafka_AdminOptions_t *options_for(rd_kafka_t *rk, rd_kafka_admin_op_t op, int32_t timeout_ms) {
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
    rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, NULL, 0);
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS)
        rd_kafka_AdminOptions_set_operation_timeout(o, timeout_ms, NULL, 0);
    return o;
}

/* The per-topic result of a create or delete. */
static int32_t topic_result(const rd_kafka_topic_result_t **results, size_t count, char *errstr,
                            size_t errstr_size) {
    if (count != 1) return RD_KAFKA_RESP_ERR__BAD_MSG;
    int32_t rc = rd_kafka_topic_result_error(results[0]);
    if (rc) {
        const char *text = rd_kafka_topic_result_error_string(results[0]);
        gr_capi_copy_text(errstr, errstr_size, text ? text : rd_kafka_err2str(rc));
    }
    return rc;
}

/* Runs one CreateTopics (request is a NewTopic) or DeleteTopics (a DeleteTopic) request and
 * returns the topic's result. */
static int32_t run_topic_request(rd_kafka_t *rk, rd_kafka_admin_op_t op, void *request, int32_t timeout_ms,
                                 char *errstr, size_t errstr_size) {
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options_for(rk, op, timeout_ms);
    rd_kafka_NewTopic_t *new_topic = request;
    rd_kafka_DeleteTopic_t *delete_topic = request;
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS)
        rd_kafka_CreateTopics(rk, &new_topic, 1, o, q);
    else
        rd_kafka_DeleteTopics(rk, &delete_topic, 1, o, q);
    int32_t rc;
    rd_kafka_event_t *ev = wait_result(q, timeout_ms, &rc, errstr, errstr_size);
    if (ev && !rc) {
        size_t n = 0;
        const rd_kafka_topic_result_t **r =
            op == RD_KAFKA_ADMIN_OP_CREATETOPICS
                ? rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n)
                : rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
        rc = topic_result(r, n, errstr, errstr_size);
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

int32_t gregor_topic_create(int64_t admin, const char *topic, int32_t partitions, int32_t replication_factor,
                            int32_t timeout_ms, char *errstr, size_t errstr_size) {
    gr_capi_copy_text(errstr, errstr_size, "");
    gr_capi_admin *a = gr_capi_acquire(admin, GR_CAPI_KIND_ADMIN);
    if (!a) return GREGOR_ERR_BAD_HANDLE;
    int32_t rc = GREGOR_ERR_BAD_ARGUMENT;
    char text[512];
    rd_kafka_NewTopic_t *nt = NULL;
    if (topic && *topic && timeout_ms >= 0)
        nt = rd_kafka_NewTopic_new(topic, partitions, replication_factor, text, sizeof text);
    if (nt) {
        rc = run_topic_request(a->rk, RD_KAFKA_ADMIN_OP_CREATETOPICS, nt, timeout_ms, errstr, errstr_size);
        rd_kafka_NewTopic_destroy(nt);
    } else {
        gr_capi_copy_text(errstr, errstr_size,
                          topic && timeout_ms >= 0 ? text : "topic and timeout required");
    }
    gr_capi_release(admin);
    return rc;
}

int32_t gregor_topic_delete(int64_t admin, const char *topic, int32_t timeout_ms, char *errstr,
                            size_t errstr_size) {
    gr_capi_copy_text(errstr, errstr_size, "");
    gr_capi_admin *a = gr_capi_acquire(admin, GR_CAPI_KIND_ADMIN);
    if (!a) return GREGOR_ERR_BAD_HANDLE;
    int32_t rc = GREGOR_ERR_BAD_ARGUMENT;
    if (topic && *topic && timeout_ms >= 0) {
        rd_kafka_DeleteTopic_t *dt = rd_kafka_DeleteTopic_new(topic);
        rc = run_topic_request(a->rk, RD_KAFKA_ADMIN_OP_DELETETOPICS, dt, timeout_ms, errstr, errstr_size);
        rd_kafka_DeleteTopic_destroy(dt);
    } else {
        gr_capi_copy_text(errstr, errstr_size, "topic and timeout required");
    }
    gr_capi_release(admin);
    return rc;
}

static int by_topic_name(const void *x, const void *y) {
    const rd_kafka_metadata_topic_t *a = x, *b = y;
    return strcmp(a->topic, b->topic);
}

int32_t gregor_topics_list(int64_t admin, int32_t timeout_ms, char *out, size_t out_size, size_t *out_len) {
    if (out_len) *out_len = 0;
    gr_capi_admin *a = gr_capi_acquire(admin, GR_CAPI_KIND_ADMIN);
    if (!a) return GREGOR_ERR_BAD_HANDLE;
    const struct rd_kafka_metadata *md = NULL;
    int32_t rc = rd_kafka_metadata(a->rk, 1, NULL, &md, timeout_ms < 0 ? 0 : timeout_ms);
    if (rc == RD_KAFKA_RESP_ERR__TIMED_OUT) rc = GREGOR_ERR_TIMED_OUT;
    if (!rc) {
        rd_kafka_metadata_topic_t *topics = calloc((size_t)md->topic_cnt + 1, sizeof *topics);
        text_out t = {0};
        if (topics) {
            memcpy(topics, md->topics, (size_t)md->topic_cnt * sizeof *topics);
            qsort(topics, (size_t)md->topic_cnt, sizeof *topics, by_topic_name);
            for (int i = 0; i < md->topic_cnt; i++)
                if (!topics[i].err) text_add(&t, "%s\t%d\n", topics[i].topic, topics[i].partition_cnt);
        } else {
            t.failed = true;
        }
        free(topics);
        rc = text_finish(rc, &t, out, out_size, out_len);
    }
    if (md) rd_kafka_metadata_destroy(md);
    gr_capi_release(admin);
    return rc;
}

/* The topic in all-topics metadata (asking for the one topic could create it on a broker that
 * auto-creates topics); NULL when the broker does not know it. */
static const rd_kafka_metadata_topic_t *find_topic(const struct rd_kafka_metadata *md, const char *topic) {
    for (int i = 0; i < md->topic_cnt; i++)
        if (!strcmp(md->topics[i].topic, topic)) return &md->topics[i];
    return NULL;
}

static int by_partition_id(const void *x, const void *y) {
    const rd_kafka_metadata_partition_t *a = x, *b = y;
    return (a->id > b->id) - (a->id < b->id);
}

/* One line per partition of t, sorted: id, leader, low and high watermark. */
static int32_t partition_lines(rd_kafka_t *rk, const rd_kafka_metadata_topic_t *t, int32_t timeout_ms,
                               text_out *out) {
    rd_kafka_metadata_partition_t *parts = calloc((size_t)t->partition_cnt + 1, sizeof *parts);
    if (!parts) return GREGOR_ERR_NO_MEMORY;
    memcpy(parts, t->partitions, (size_t)t->partition_cnt * sizeof *parts);
    qsort(parts, (size_t)t->partition_cnt, sizeof *parts, by_partition_id);
    int32_t rc = GREGOR_OK;
    for (int i = 0; !rc && i < t->partition_cnt; i++) {
        int64_t low = 0, high = 0;
        rc = rd_kafka_query_watermark_offsets(rk, t->topic, parts[i].id, &low, &high, timeout_ms);
        if (!rc)
            text_add(out, "%d\t%d\t%lld\t%lld\n", parts[i].id, parts[i].leader, (long long)low,
                     (long long)high);
    }
    free(parts);
    if (rc == RD_KAFKA_RESP_ERR__TIMED_OUT) rc = GREGOR_ERR_TIMED_OUT;
    return rc;
}

int32_t gregor_partitions_list(int64_t admin, const char *topic, int32_t timeout_ms, char *out,
                               size_t out_size, size_t *out_len) {
    if (out_len) *out_len = 0;
    gr_capi_admin *a = gr_capi_acquire(admin, GR_CAPI_KIND_ADMIN);
    if (!a) return GREGOR_ERR_BAD_HANDLE;
    int32_t rc = GREGOR_ERR_BAD_ARGUMENT;
    const struct rd_kafka_metadata *md = NULL;
    if (topic && *topic && timeout_ms >= 0) {
        rc = rd_kafka_metadata(a->rk, 1, NULL, &md, timeout_ms);
        if (rc == RD_KAFKA_RESP_ERR__TIMED_OUT) rc = GREGOR_ERR_TIMED_OUT;
    }
    if (!rc) {
        const rd_kafka_metadata_topic_t *t = find_topic(md, topic);
        text_out lines = {0};
        if (!t)
            rc = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
        else if (t->err)
            rc = t->err;
        else
            rc = partition_lines(a->rk, t, timeout_ms, &lines);
        rc = text_finish(rc, &lines, out, out_size, out_len);
    }
    if (md) rd_kafka_metadata_destroy(md);
    gr_capi_release(admin);
    return rc;
}

/* State and member count of a group; GREGOR_ERR_NOT_FOUND when it does not exist. */
static int32_t describe(rd_kafka_t *rk, const char *group, int32_t timeout_ms, text_out *t) {
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options_for(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout_ms);
    rd_kafka_DescribeConsumerGroups(rk, &group, 1, o, q);
    int32_t rc;
    rd_kafka_event_t *ev = wait_result(q, timeout_ms, &rc, NULL, 0);
    if (ev && !rc) {
        size_t n = 0;
        const rd_kafka_ConsumerGroupDescription_t **d = rd_kafka_DescribeConsumerGroups_result_groups(
            rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
        const rd_kafka_error_t *e = n == 1 ? rd_kafka_ConsumerGroupDescription_error(d[0]) : NULL;
        if (n != 1) {
            rc = RD_KAFKA_RESP_ERR__BAD_MSG;
        } else if (e && rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
            rc = GREGOR_ERR_NOT_FOUND;
        } else if (e) {
            rc = rd_kafka_error_code(e);
        } else {
            rd_kafka_consumer_group_state_t state = rd_kafka_ConsumerGroupDescription_state(d[0]);
            size_t members = rd_kafka_ConsumerGroupDescription_member_count(d[0]);
            if (state == RD_KAFKA_CONSUMER_GROUP_STATE_DEAD && members == 0) rc = GREGOR_ERR_NOT_FOUND;
            text_add(t, "%s\t%s\t%zu\n", group, rd_kafka_consumer_group_state_name(state), members);
        }
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

/* One line per partition with a committed offset: committed, high watermark, lag. */
static int32_t lag_lines(rd_kafka_t *rk, const char *group, int32_t timeout_ms, text_out *t) {
    rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group, NULL);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options_for(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout_ms);
    rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, o, q);
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    int32_t rc;
    rd_kafka_event_t *ev = wait_result(q, timeout_ms, &rc, NULL, 0);
    if (ev && !rc) {
        size_t n = 0;
        const rd_kafka_group_result_t **g = rd_kafka_ListConsumerGroupOffsets_result_groups(
            rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
        const rd_kafka_error_t *e = n == 1 ? rd_kafka_group_result_error(g[0]) : NULL;
        const rd_kafka_topic_partition_list_t *committed =
            n == 1 ? rd_kafka_group_result_partitions(g[0]) : NULL;
        if (e) rc = rd_kafka_error_code(e);
        if (!rc && !committed) rc = RD_KAFKA_RESP_ERR__BAD_MSG;
        rd_kafka_topic_partition_list_t *sorted = rc ? NULL : rd_kafka_topic_partition_list_copy(committed);
        if (sorted) rd_kafka_topic_partition_list_sort(sorted, NULL, NULL);
        for (int i = 0; sorted && !rc && i < sorted->cnt; i++) {
            const rd_kafka_topic_partition_t *tp = &sorted->elems[i];
            if (tp->err || tp->offset < 0) continue;
            int64_t low = 0, high = 0;
            rc = rd_kafka_query_watermark_offsets(rk, tp->topic, tp->partition, &low, &high,
                                                  timeout_ms < 0 ? 0 : timeout_ms);
            if (!rc) {
                int64_t lag = high > tp->offset ? high - tp->offset : 0;
                text_add(t, "%s\t%d\t%lld\t%lld\t%lld\n", tp->topic, tp->partition, (long long)tp->offset,
                         (long long)high, (long long)lag);
            }
        }
        if (sorted) rd_kafka_topic_partition_list_destroy(sorted);
    }
    if (ev) rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

int32_t gregor_group_describe(int64_t admin, const char *group, int32_t timeout_ms, char *out,
                              size_t out_size, size_t *out_len) {
    if (out_len) *out_len = 0;
    gr_capi_admin *a = gr_capi_acquire(admin, GR_CAPI_KIND_ADMIN);
    if (!a) return GREGOR_ERR_BAD_HANDLE;
    int32_t rc = GREGOR_ERR_BAD_ARGUMENT;
    if (group && *group && timeout_ms >= 0) {
        text_out t = {0};
        rc = describe(a->rk, group, timeout_ms, &t);
        if (!rc) rc = lag_lines(a->rk, group, timeout_ms, &t);
        rc = text_finish(rc, &t, out, out_size, out_len);
    }
    gr_capi_release(admin);
    return rc;
}
