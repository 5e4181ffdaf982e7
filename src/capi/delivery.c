/*
 * delivery.c: delivery reports, queued on the producer by librdkafka's callback (which runs in
 * whichever thread polls) and handed out one at a time by gregor_delivery_poll.
 */
#include <stdlib.h>

#include "capi/client.h"
#include "capi/gregor_client.h"

void gr_capi_delivery_queue(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque) {
    gr_capi_producer *p = opaque;
    gr_capi_report *r = calloc(1, sizeof *r);
    if (!r) return; /* out of memory: the report is lost, the record is not */
    r->message_id = (int64_t)(intptr_t)message->_private;
    r->error = message->err;
    r->partition = message->partition;
    r->offset = message->offset;
    pthread_mutex_lock(&p->lock);
    if (p->reports_tail)
        p->reports_tail->next = r;
    else
        p->reports_head = r;
    p->reports_tail = r;
    pthread_mutex_unlock(&p->lock);
}

static gr_capi_report *take(gr_capi_producer *p) {
    pthread_mutex_lock(&p->lock);
    gr_capi_report *r = p->reports_head;
    if (r) {
        p->reports_head = r->next;
        if (!p->reports_head) p->reports_tail = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    return r;
}

void gr_capi_delivery_free_all(gr_capi_producer *p) {
    gr_capi_report *r;
    while ((r = take(p))) free(r);
}

int32_t gregor_delivery_poll(int64_t producer, int32_t timeout_ms, int64_t *message_id_out,
                             int32_t *error_out, int32_t *partition_out, int64_t *offset_out) {
    gr_capi_producer *p = gr_capi_acquire(producer, GR_CAPI_KIND_PRODUCER);
    if (!p) return GREGOR_ERR_BAD_HANDLE;
    gr_capi_report *r = take(p);
    if (!r) {
        rd_kafka_poll(p->rk, timeout_ms < 0 ? 0 : timeout_ms); /* runs gr_capi_delivery_queue */
        r = take(p);
    }
    gr_capi_release(producer);
    if (!r) return GREGOR_ERR_TIMED_OUT;
    if (message_id_out) *message_id_out = r->message_id;
    if (error_out) *error_out = r->error;
    if (partition_out) *partition_out = r->partition;
    if (offset_out) *offset_out = r->offset;
    free(r);
    return GREGOR_OK;
}
