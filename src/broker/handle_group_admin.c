/*
 * handle_group_admin.c: ListGroups, DescribeGroups and DeleteGroups (what
 * kafka-consumer-groups --list/--describe/--delete and admin clients send).
 * DeleteGroups waits until the tombstones are on disk.
 */
#include <stdlib.h>

#include "broker/handle_group_common.h"
#include "broker/handlers_group.h"
#include "proto/errors.h"
#include "proto/gen/delete_groups.h"
#include "proto/gen/describe_groups.h"
#include "proto/gen/list_groups.h"

void gr_handle_list_groups(gr_request *req) {
    const gr_list_groups_request *in = req->body;
    gr_list_groups_response *out = gr_request_new_response(req);
    out->groups.count = 0;
    out->error_code = req->broker->groups
                          ? gr_gc_list_groups(req->broker->groups, in, req->api_version, &req->arena, out)
                          : GR_ERR_COORDINATOR_NOT_AVAILABLE;
    gr_request_reply(req, out);
}

void gr_handle_describe_groups(gr_request *req) {
    const gr_describe_groups_request *in = req->body;
    gr_describe_groups_response *out = gr_request_new_response(req);
    out->groups.count = 0;
    if (req->broker->groups) {
        gr_gc_describe_groups(req->broker->groups, in, &req->arena, out);
    } else {
        int32_t n = in->groups.count > 0 ? in->groups.count : 0;
        out->groups.items = gr_request_alloc(req, (size_t)(n + 1) * sizeof *out->groups.items);
        out->groups.count = n;
        for (int32_t i = 0; i < n; i++) {
            gr_describe_groups_response_described_group_init(&out->groups.items[i]);
            out->groups.items[i].group_id = in->groups.items[i];
            out->groups.items[i].error_code = GR_ERR_COORDINATOR_NOT_AVAILABLE;
        }
    }
    gr_request_reply(req, out);
}

typedef struct delete_wait {
    gr_request *req;
    gr_delete_groups_response *out;
    gr_loop *loop;
    int error;
} delete_wait;

static void delete_send(void *ud) {
    delete_wait *dw = ud;
    if (dw->error)
        for (int32_t i = 0; i < dw->out->results.count; i++)
            if (dw->out->results.items[i].error_code == GR_ERR_NONE)
                dw->out->results.items[i].error_code = GR_ERR_NOT_COORDINATOR;
    gr_request_reply(dw->req, dw->out);
    free(dw);
}

/* Flusher thread: hand the reply to the request's loop. */
static void delete_flushed(void *ud, int error) {
    delete_wait *dw = ud;
    dw->error = error;
    gr_loop_post(dw->loop, delete_send, dw);
}

void gr_handle_delete_groups(gr_request *req) {
    const gr_delete_groups_request *in = req->body;
    gr_delete_groups_response *out = gr_request_new_response(req);
    int32_t n = in->groups_names.count > 0 ? in->groups_names.count : 0;
    out->results.items = gr_request_alloc(req, (size_t)(n + 1) * sizeof *out->results.items);
    out->results.count = n;
    int16_t *errors = gr_request_alloc(req, (size_t)(n + 1) * sizeof *errors);
    delete_wait *dw = malloc(sizeof *dw);
    if (!dw) {
        gr_request_close(req);
        return;
    }
    *dw = (delete_wait){req, out, gr_conn_loop(req->conn), 0};
    bool wait = false;
    if (req->broker->groups)
        wait =
            gr_gc_delete_groups(req->broker->groups, in->groups_names.items, n, errors, delete_flushed, dw);
    else
        for (int32_t i = 0; i < n; i++) errors[i] = GR_ERR_COORDINATOR_NOT_AVAILABLE;
    /* Filled before the reply goes: it is sent from this loop, after this handler returns. */
    for (int32_t i = 0; i < n; i++) {
        gr_delete_groups_response_deletable_group_result_init(&out->results.items[i]);
        out->results.items[i].group_id = in->groups_names.items[i];
        out->results.items[i].error_code = errors[i];
    }
    if (!wait) {
        free(dw);
        gr_request_reply(req, out);
    }
}
