/*
 * consumer.c: consumer handles, subscribe/assign, and consume into caller buffers. A message
 * whose parts do not fit the buffers is kept on the consumer (pending) and returned again by
 * the next call, so a caller can grow its buffers to the reported sizes without losing it.
 */
#include <stdlib.h>
#include <string.h>

#include "capi/client.h"
#include "capi/gregor_client.h"

#define TOPIC_LIST_ENTRIES_MAX 10000

static void consumer_destroy(void *object) {
    gr_capi_consumer *c = object;
    if (c->pending) rd_kafka_message_destroy(c->pending);
    rd_kafka_consumer_close(c->rk);
    rd_kafka_destroy(c->rk);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int32_t gregor_consumer_new(int64_t config, int64_t *consumer_out, char *errstr, size_t errstr_size) {
    gr_capi_copy_text(errstr, errstr_size, "");
    if (!consumer_out) return GREGOR_ERR_BAD_ARGUMENT;
    *consumer_out = 0;
    gr_capi_consumer *c = calloc(1, sizeof *c);
    if (!c) return GREGOR_ERR_NO_MEMORY;
    pthread_mutex_init(&c->lock, NULL);
    int32_t rc = gr_capi_client_new(config, RD_KAFKA_CONSUMER, c, NULL, &c->rk, errstr, errstr_size);
    if (rc != GREGOR_OK) {
        pthread_mutex_destroy(&c->lock);
        free(c);
        return rc;
    }
    rd_kafka_poll_set_consumer(c->rk);
    return gr_capi_register(GR_CAPI_KIND_CONSUMER, c, consumer_destroy, consumer_out);
}

/* Parses "name[:partition[:offset]],..." into a list; with_partition says whether the partition
 * is required (assign) or not allowed (subscribe). NULL when the text is malformed. */
static rd_kafka_topic_partition_list_t *parse_list(const char *text, bool with_partition) {
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);
    char *copy = strdup(text), *save = NULL;
    if (!copy) goto bad;
    int entries = 0;
    for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (++entries > TOPIC_LIST_ENTRIES_MAX) goto bad;
        char *partition_text = strchr(item, ':');
        if (partition_text) *partition_text++ = '\0';
        if (!*item || (partition_text != NULL) != with_partition) goto bad;
        if (!with_partition) {
            rd_kafka_topic_partition_list_add(list, item, RD_KAFKA_PARTITION_UA);
            continue;
        }
        char *offset_text = strchr(partition_text, ':'), *end;
        if (offset_text) *offset_text++ = '\0';
        long partition = strtol(partition_text, &end, 10);
        if (!*partition_text || *end || partition < 0 || partition > INT32_MAX) goto bad;
        rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(list, item, (int32_t)partition);
        tp->offset = RD_KAFKA_OFFSET_INVALID; /* the group's committed offset, else auto.offset.reset */
        if (offset_text) {
            long long offset = strtoll(offset_text, &end, 10);
            if (!*offset_text || *end) goto bad;
            tp->offset = offset;
        }
    }
    free(copy);
    return list;
bad:
    free(copy);
    rd_kafka_topic_partition_list_destroy(list);
    return NULL;
}

/* Subscribes to (with_partition false) or assigns (true) the list in text. */
static int32_t set_topics(int64_t consumer, const char *text, bool with_partition) {
    gr_capi_consumer *c = gr_capi_acquire(consumer, GR_CAPI_KIND_CONSUMER);
    if (!c) return GREGOR_ERR_BAD_HANDLE;
    rd_kafka_topic_partition_list_t *list = text ? parse_list(text, with_partition) : NULL;
    int32_t rc = GREGOR_ERR_BAD_ARGUMENT;
    if (list && with_partition)
        rc = rd_kafka_assign(c->rk, list->cnt ? list : NULL);
    else if (list && list->cnt > 0)
        rc = rd_kafka_subscribe(c->rk, list);
    if (list) rd_kafka_topic_partition_list_destroy(list);
    gr_capi_release(consumer);
    return rc;
}

int32_t gregor_subscribe(int64_t consumer, const char *topics) { return set_topics(consumer, topics, false); }

int32_t gregor_assign(int64_t consumer, const char *partitions) {
    return set_topics(consumer, partitions, true);
}

/* The sizes a message needs, and whether they all fit. */
typedef struct {
    const char *topic;
    size_t topic_len; /* with the NUL */
    rd_kafka_headers_t *headers;
    size_t headers_len;
} message_parts;

static message_parts parts_of(rd_kafka_message_t *m) {
    message_parts parts = {.topic = m->rkt ? rd_kafka_topic_name(m->rkt) : ""};
    parts.topic_len = strlen(parts.topic) + 1;
    if (rd_kafka_message_headers(m, &parts.headers)) parts.headers = NULL;
    parts.headers_len = gr_capi_headers_size(parts.headers);
    return parts;
}

int32_t gregor_consume(int64_t consumer, int32_t timeout_ms, char *topic, size_t topic_size,
                       size_t *topic_len, int32_t *partition_out, int64_t *offset_out, void *key,
                       size_t key_size, int64_t *key_len, void *payload, size_t payload_size,
                       int64_t *payload_len, int64_t *timestamp_ms_out, void *headers, size_t headers_size,
                       size_t *headers_len) {
    if ((!topic && topic_size) || (!key && key_size) || (!payload && payload_size) ||
        (!headers && headers_size))
        return GREGOR_ERR_BAD_ARGUMENT;
    gr_capi_consumer *c = gr_capi_acquire(consumer, GR_CAPI_KIND_CONSUMER);
    if (!c) return GREGOR_ERR_BAD_HANDLE;
    pthread_mutex_lock(&c->lock);
    rd_kafka_message_t *m = c->pending;
    c->pending = NULL;
    if (!m) m = rd_kafka_consumer_poll(c->rk, timeout_ms < 0 ? 0 : timeout_ms);
    int32_t rc = GREGOR_ERR_TIMED_OUT;
    if (!m) goto done;

    message_parts parts = parts_of(m);
    if (topic_len) *topic_len = parts.topic_len;
    if (partition_out) *partition_out = m->partition;
    if (offset_out) *offset_out = m->offset;
    if (m->err) { /* a per-partition event such as EOF: reported once, not kept */
        if (topic && topic_size >= parts.topic_len) memcpy(topic, parts.topic, parts.topic_len);
        rc = m->err;
        rd_kafka_message_destroy(m);
        goto done;
    }
    if (key_len) *key_len = m->key ? (int64_t)m->key_len : -1;
    if (payload_len) *payload_len = m->payload ? (int64_t)m->len : -1;
    if (headers_len) *headers_len = parts.headers_len;
    rd_kafka_timestamp_type_t type;
    int64_t timestamp = rd_kafka_message_timestamp(m, &type);
    if (timestamp_ms_out) *timestamp_ms_out = type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : timestamp;

    if (topic_size < parts.topic_len || key_size < m->key_len || payload_size < m->len ||
        headers_size < parts.headers_len) {
        c->pending = m; /* handed out again by the next call */
        rc = GREGOR_ERR_BUFFER_TOO_SMALL;
        goto done;
    }
    memcpy(topic, parts.topic, parts.topic_len);
    if (m->key_len) memcpy(key, m->key, m->key_len);
    if (m->len) memcpy(payload, m->payload, m->len);
    if (parts.headers_len) gr_capi_headers_write(parts.headers, headers);
    rd_kafka_message_destroy(m);
    rc = GREGOR_OK;
done:
    pthread_mutex_unlock(&c->lock);
    gr_capi_release(consumer);
    return rc;
}
