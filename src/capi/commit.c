/*
 * commit.c: committing consumed offsets (all of them, or one partition's) and reading the
 * group's committed offset back.
 */
#include "capi/client.h"
#include "capi/gregor_client.h"

int32_t gregor_commit(int64_t consumer, int32_t async) {
    gr_capi_consumer *c = gr_capi_acquire(consumer, GR_CAPI_KIND_CONSUMER);
    if (!c) return GREGOR_ERR_BAD_HANDLE;
    rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, NULL, async != 0);
    gr_capi_release(consumer);
    return err;
}

/* A list of one partition, or NULL when the arguments cannot name one. */
static rd_kafka_topic_partition_list_t *one_partition(const char *topic, int32_t partition, int64_t offset) {
    if (!topic || !*topic || partition < 0) return NULL;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic, partition)->offset = offset;
    return list;
}

int32_t gregor_commit_offset(int64_t consumer, const char *topic, int32_t partition, int64_t next_offset,
                             int32_t async) {
    gr_capi_consumer *c = gr_capi_acquire(consumer, GR_CAPI_KIND_CONSUMER);
    if (!c) return GREGOR_ERR_BAD_HANDLE;
    rd_kafka_topic_partition_list_t *list =
        next_offset >= 0 ? one_partition(topic, partition, next_offset) : NULL;
    int32_t rc = GREGOR_ERR_BAD_ARGUMENT;
    if (list) {
        rc = rd_kafka_commit(c->rk, list, async != 0);
        if (!rc && !async) rc = list->elems[0].err;
        rd_kafka_topic_partition_list_destroy(list);
    }
    gr_capi_release(consumer);
    return rc;
}

int32_t gregor_committed(int64_t consumer, const char *topic, int32_t partition, int32_t timeout_ms,
                         int64_t *offset_out) {
    if (!offset_out) return GREGOR_ERR_BAD_ARGUMENT;
    *offset_out = RD_KAFKA_OFFSET_INVALID;
    gr_capi_consumer *c = gr_capi_acquire(consumer, GR_CAPI_KIND_CONSUMER);
    if (!c) return GREGOR_ERR_BAD_HANDLE;
    rd_kafka_topic_partition_list_t *list = one_partition(topic, partition, RD_KAFKA_OFFSET_INVALID);
    int32_t rc = GREGOR_ERR_BAD_ARGUMENT;
    if (list) {
        rc = rd_kafka_committed(c->rk, list, timeout_ms < 0 ? 0 : timeout_ms);
        if (rc == RD_KAFKA_RESP_ERR__TIMED_OUT) rc = GREGOR_ERR_TIMED_OUT;
        if (!rc) rc = list->elems[0].err;
        if (!rc) *offset_out = list->elems[0].offset;
        rd_kafka_topic_partition_list_destroy(list);
    }
    gr_capi_release(consumer);
    return rc;
}
