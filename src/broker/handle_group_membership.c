/*
 * handle_group_membership.c: Heartbeat and LeaveGroup (single member before
 * v3, a batch of members from v3, as admin tools remove static members).
 */
#include <stdlib.h>

#include "broker/handle_group_common.h"
#include "broker/handlers_group.h"
#include "proto/errors.h"
#include "proto/gen/heartbeat.h"
#include "proto/gen/leave_group.h"

void gr_handle_heartbeat(gr_request *req) {
    const gr_heartbeat_request *in = req->body;
    gr_heartbeat_response *out = gr_request_new_response(req);
    out->error_code = req->broker->groups ? gr_gc_heartbeat(req->broker->groups, in->group_id, in->member_id,
                                                            in->group_instance_id, in->generation_id)
                                          : GR_ERR_COORDINATOR_NOT_AVAILABLE;
    gr_request_reply(req, out);
}

void gr_handle_leave_group(gr_request *req) {
    const gr_leave_group_request *in = req->body;
    gr_leave_group_response *out = gr_request_new_response(req);
    bool batch = req->api_version >= 3;
    int32_t n = batch ? (in->members.count > 0 ? in->members.count : 0) : 1;
    gr_gc_leaving *members = gr_request_alloc(req, (size_t)(n + 1) * sizeof *members);
    int16_t *errors = gr_request_alloc(req, (size_t)(n + 1) * sizeof *errors);
    for (int32_t i = 0; i < n; i++) {
        if (batch)
            members[i] =
                (gr_gc_leaving){in->members.items[i].member_id, in->members.items[i].group_instance_id};
        else
            members[i] = (gr_gc_leaving){in->member_id, {NULL, -1}};
        errors[i] = GR_ERR_NONE;
    }
    int16_t top = req->broker->groups
                      ? gr_gc_leave_group(req->broker->groups, in->group_id, members, n, errors)
                      : GR_ERR_COORDINATOR_NOT_AVAILABLE;
    if (!batch) {
        /* One member: its error is the response's error. */
        out->error_code = top != GR_ERR_NONE ? top : errors[0];
        gr_request_reply(req, out);
        return;
    }
    out->error_code = top;
    out->members.count = 0;
    if (top == GR_ERR_NONE) {
        out->members.items = gr_request_alloc(req, (size_t)(n + 1) * sizeof *out->members.items);
        out->members.count = n;
        for (int32_t i = 0; i < n; i++) {
            gr_leave_group_response_member_response *m = &out->members.items[i];
            gr_leave_group_response_member_response_init(m);
            m->member_id = members[i].member_id;
            m->group_instance_id = members[i].instance_id;
            m->error_code = errors[i];
        }
    }
    gr_request_reply(req, out);
}
