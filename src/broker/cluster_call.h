/*
 * cluster_call.h: a request waiting for cluster changes (cluster mode).
 *
 * An admin request (CreateTopics, DeleteTopics, ...) starts one change per item through
 * cluster.h; each change reports on the cluster thread. A gr_cluster_call collects those reports
 * in slots and, once the last one is in, runs `finish` on the request's own loop thread, where
 * the response is filled from the slots and sent. Nothing but the slot is touched off the loop
 * thread, so the request's arena stays single-threaded.
 */
#ifndef GREGOR_BROKER_CLUSTER_CALL_H
#define GREGOR_BROKER_CLUSTER_CALL_H

#include <stdatomic.h>

#include "broker/broker.h"
#include "cluster/cluster.h"

#define GR_CLUSTER_MESSAGE_MAX 512

typedef struct gr_cluster_call gr_cluster_call;

typedef struct gr_cluster_slot {
    gr_cluster_call *call;
    bool started; /* a change was started for this slot (its result is below) */
    int16_t error;
    bool has_message;
    char message[GR_CLUSTER_MESSAGE_MAX];
} gr_cluster_slot;

/* Loop thread: fills the response from call->slots and replies to call->req. */
typedef void (*gr_cluster_finish_fn)(gr_cluster_call *call);

struct gr_cluster_call {
    gr_request *req;
    void *response;
    void *ud; /* the handler's own (arena) data */
    gr_cluster_finish_fn finish;
    atomic_int pending;
    int count;
    gr_cluster_slot slots[];
};

/* A call with `count` slots for req (whose response is `response`); NULL without memory. */
gr_cluster_call *gr_cluster_call_new(gr_request *req, void *response, int count, gr_cluster_finish_fn finish);
/* The done callback and its argument for slot i: pass both to one cluster.h operation. */
void gr_cluster_call_done(void *slot, int16_t error, const char *message);
gr_cluster_slot *gr_cluster_call_slot(gr_cluster_call *call, int i);
/* Every change is started: finish runs once the last one reports (maybe at once, here). */
void gr_cluster_call_launched(gr_cluster_call *call);

/* Copies a slot's message into the request's arena (null when there is none). */
gr_str gr_cluster_slot_message(gr_request *req, const gr_cluster_slot *s);

#endif
