/* cluster_call.c: collecting a request's cluster change reports (see cluster_call.h). */
#include "broker/cluster_call.h"

#include <stdio.h>
#include <stdlib.h>

gr_cluster_call *gr_cluster_call_new(gr_request *req, void *response, int count,
                                     gr_cluster_finish_fn finish) {
    gr_cluster_call *call = calloc(1, sizeof *call + (size_t)(count > 0 ? count : 0) * sizeof call->slots[0]);
    if (!call) return NULL;
    call->req = req;
    call->response = response;
    call->finish = finish;
    call->count = count;
    atomic_init(&call->pending, 1); /* the launcher's own hold, dropped by gr_cluster_call_launched */
    for (int i = 0; i < count; i++) call->slots[i].call = call;
    return call;
}

static void finish_on_loop(void *ud) {
    gr_cluster_call *call = ud;
    call->finish(call);
    free(call);
}

static void release(gr_cluster_call *call) {
    if (atomic_fetch_sub(&call->pending, 1) != 1) return;
    gr_loop *here = gr_loop_current(), *home = gr_conn_loop(call->req->conn);
    if (here == home)
        finish_on_loop(call);
    else
        gr_loop_post(home, finish_on_loop, call);
}

gr_cluster_slot *gr_cluster_call_slot(gr_cluster_call *call, int i) {
    gr_cluster_slot *s = &call->slots[i];
    s->started = true;
    atomic_fetch_add(&call->pending, 1);
    return s;
}

void gr_cluster_call_done(void *slot, int16_t error, const char *message) {
    gr_cluster_slot *s = slot;
    s->error = error;
    s->has_message = message != NULL;
    if (message) snprintf(s->message, sizeof s->message, "%s", message);
    release(s->call);
}

void gr_cluster_call_launched(gr_cluster_call *call) { release(call); }

gr_str gr_cluster_slot_message(gr_request *req, const gr_cluster_slot *s) {
    return s->has_message ? gr_request_strdup(req, s->message) : (gr_str){NULL, -1};
}
