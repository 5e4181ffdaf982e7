/*
 * handle_init_producer_id.c: InitProducerId for idempotent (non-transactional)
 * producers: a fresh producer id that never repeats, epoch 0. A producer that
 * asks with its current id and epoch (v3+, librdkafka's epoch bump after an
 * unresolved sequence) gets the same id with the next epoch, or a new id once
 * the epoch would overflow.
 */
#include "broker/handlers.h"
#include "proto/errors.h"
#include "proto/gen/init_producer_id.h"

#define PRODUCER_EPOCH_MAX 32767

void gr_handle_init_producer_id(gr_request *req) {
    const gr_init_producer_id_request *in = req->body;
    gr_init_producer_id_response *out = gr_request_new_response(req);
    if (in->transactional_id.len >= 0) {
        /* Transactions are served by the transaction coordinator, not available yet. */
        out->error_code = GR_ERR_COORDINATOR_NOT_AVAILABLE;
        gr_request_reply(req, out);
        return;
    }
    if (in->producer_id >= 0 && in->producer_epoch >= 0 && in->producer_epoch < PRODUCER_EPOCH_MAX - 1) {
        out->producer_id = in->producer_id;
        out->producer_epoch = (int16_t)(in->producer_epoch + 1);
        gr_request_reply(req, out);
        return;
    }
    int64_t pid = gr_identity_next_producer_id(req->broker->identity);
    if (pid < 0) {
        /* In a cluster the block comes from ZooKeeper: a lost connection passes, so retriable. */
        out->error_code = req->broker->cluster ? GR_ERR_COORDINATOR_NOT_AVAILABLE : GR_ERR_KAFKA_STORAGE_ERROR;
    } else {
        out->producer_id = pid;
        out->producer_epoch = 0;
    }
    gr_request_reply(req, out);
}
