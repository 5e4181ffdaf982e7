/*
 * producer.c: producer handles, produce and flush. Each record carries its message id as the
 * librdkafka message opaque, so its delivery report (delivery.c) can name it.
 */
#include <stdlib.h>

#include "capi/client.h"
#include "capi/gregor_client.h"

static void producer_destroy(void *object) {
    gr_capi_producer *p = object;
    rd_kafka_destroy(p->rk);
    gr_capi_delivery_free_all(p);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

int32_t gregor_producer_new(int64_t config, int64_t *producer_out, char *errstr, size_t errstr_size) {
    gr_capi_copy_text(errstr, errstr_size, "");
    if (!producer_out) return GREGOR_ERR_BAD_ARGUMENT;
    *producer_out = 0;
    gr_capi_producer *p = calloc(1, sizeof *p);
    if (!p) return GREGOR_ERR_NO_MEMORY;
    pthread_mutex_init(&p->lock, NULL);
    p->next_message_id = 1;
    int32_t rc =
        gr_capi_client_new(config, RD_KAFKA_PRODUCER, p, gr_capi_delivery_queue, &p->rk, errstr, errstr_size);
    if (rc != GREGOR_OK) {
        pthread_mutex_destroy(&p->lock);
        free(p);
        return rc;
    }
    return gr_capi_register(GR_CAPI_KIND_PRODUCER, p, producer_destroy, producer_out);
}

int32_t gregor_produce(int64_t producer, const char *topic, int32_t partition, const void *key,
                       size_t key_len, const void *payload, size_t payload_len, const void *headers,
                       size_t headers_len, int64_t *message_id_out) {
    if (message_id_out) *message_id_out = 0;
    gr_capi_producer *p = gr_capi_acquire(producer, GR_CAPI_KIND_PRODUCER);
    if (!p) return GREGOR_ERR_BAD_HANDLE;
    int32_t rc = GREGOR_OK;
    rd_kafka_headers_t *hdrs = NULL;
    if (!topic || !*topic || partition < GREGOR_PARTITION_ANY || (!key && key_len) ||
        (!payload && payload_len) || (!headers && headers_len)) {
        rc = GREGOR_ERR_BAD_ARGUMENT;
        goto done;
    }
    if (headers && (rc = gr_capi_headers_parse(headers, headers_len, &hdrs)) != GREGOR_OK) goto done;

    pthread_mutex_lock(&p->lock);
    int64_t id = p->next_message_id++;
    pthread_mutex_unlock(&p->lock);

    rd_kafka_resp_err_t err =
        rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_len),
                          RD_KAFKA_V_VALUE((void *)payload, payload_len), RD_KAFKA_V_HEADERS(hdrs),
                          RD_KAFKA_V_OPAQUE((void *)(intptr_t)id), RD_KAFKA_V_END);
    if (err) {
        if (hdrs) rd_kafka_headers_destroy(hdrs); /* producev owns them only on success */
        rc = err;
        goto done;
    }
    if (message_id_out) *message_id_out = id;
    rd_kafka_poll(p->rk, 0); /* collect reports already due, so the queue does not grow unseen */
done:
    gr_capi_release(producer);
    return rc;
}

int32_t gregor_flush(int64_t producer, int32_t timeout_ms) {
    gr_capi_producer *p = gr_capi_acquire(producer, GR_CAPI_KIND_PRODUCER);
    if (!p) return GREGOR_ERR_BAD_HANDLE;
    rd_kafka_resp_err_t err = rd_kafka_flush(p->rk, timeout_ms < 0 ? 0 : timeout_ms);
    gr_capi_release(producer);
    if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) return GREGOR_ERR_TIMED_OUT;
    return err;
}
