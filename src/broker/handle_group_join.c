/*
 * handle_group_join.c: JoinGroup and SyncGroup, the two requests that wait.
 *
 * Each is parked in the group as a waiter. Whoever completes it (this
 * request, another member's request on another loop, or the coordinator's
 * timer on loop 0) builds the response in this request's arena under the
 * coordinator lock, then posts it to the loop that owns the connection,
 * which sends it. Nothing else touches a parked request, so its arena is
 * safe to fill from that other thread.
 */
#include <stdlib.h>

#include "broker/handle_group_common.h"
#include "broker/handlers_group.h"
#include "proto/errors.h"

typedef struct group_wait {
    gr_cg_waiter w;
    gr_request *req;
    gr_loop *loop;
    void *out;
} group_wait;

static void send_reply(void *ud) {
    group_wait *gw = ud;
    gr_request_reply(gw->req, gw->out);
    free(gw);
}

static void cancel(gr_cg_waiter *w) {
    group_wait *gw = (group_wait *)w;
    gr_request_discard(gw->req);
    free(gw);
}

static void join_done(gr_cg_waiter *w, const gr_cg_join_result *r);
static void sync_done(gr_cg_waiter *w, const gr_cg_sync_result *r);

static group_wait *wait_new(gr_request *req) {
    group_wait *gw = calloc(1, sizeof *gw);
    if (!gw) return NULL;
    gw->w.join_done = join_done;
    gw->w.sync_done = sync_done;
    gw->w.cancel = cancel;
    gw->req = req;
    gw->loop = gr_conn_loop(req->conn);
    return gw;
}

/* ---- JoinGroup ---------------------------------------------------------------------------- */

static void join_done(gr_cg_waiter *w, const gr_cg_join_result *r) {
    group_wait *gw = (group_wait *)w;
    gr_request *req = gw->req;
    gr_join_group_response *out = gr_request_new_response(req);
    out->error_code = r->error;
    out->generation_id = r->generation;
    out->protocol_type = gr_group_copy_str(req, r->protocol_type);
    out->protocol_name = gr_group_copy_str(req, r->protocol_name);
    out->leader = gr_group_copy_str(req, r->leader);
    out->member_id = gr_group_copy_str(req, r->member_id);
    out->skip_assignment = r->skip_assignment;
    out->members.count = 0;
    const gr_cg_group *g = r->members_of;
    if (g && r->error == GR_ERR_NONE) {
        out->members.items =
            gr_request_alloc(req, (size_t)(g->member_count + 1) * sizeof *out->members.items);
        out->members.count = g->member_count;
        for (int32_t i = 0; i < g->member_count; i++) {
            const gr_cg_member *m = g->members[i];
            gr_join_group_response_join_group_response_member *jm = &out->members.items[i];
            gr_join_group_response_join_group_response_member_init(jm);
            jm->member_id = gr_request_strdup(req, m->member_id);
            jm->group_instance_id =
                m->instance_id ? gr_request_strdup(req, m->instance_id) : (gr_str){NULL, -1};
            const gr_cg_protocol *p = gr_cg_member_protocol(m, g->protocol_name);
            jm->metadata = p ? gr_group_copy_bytes(req, (gr_bytes){p->metadata, p->metadata_len})
                             : (gr_bytes){(const uint8_t *)"", 0};
        }
    }
    gw->out = out;
    gr_loop_post(gw->loop, send_reply, gw);
}

void gr_handle_join_group(gr_request *req) {
    const gr_join_group_request *in = req->body;
    group_wait *gw = wait_new(req);
    if (!gw) {
        gr_request_close(req);
        return;
    }
    gr_gc_client client = gr_group_client(req);
    if (!req->broker->groups) {
        gr_cg_join_result r = {.error = GR_ERR_COORDINATOR_NOT_AVAILABLE,
                               .member_id = in->member_id,
                               .generation = -1,
                               .protocol_type = {NULL, -1},
                               .protocol_name = {"", 0},
                               .leader = {"", 0}};
        join_done(&gw->w, &r);
        return;
    }
    gr_gc_join_group(req->broker->groups, in, req->api_version, &client, &gw->w);
}

/* ---- SyncGroup ---------------------------------------------------------------------------- */

static void sync_done(gr_cg_waiter *w, const gr_cg_sync_result *r) {
    group_wait *gw = (group_wait *)w;
    gr_request *req = gw->req;
    gr_sync_group_response *out = gr_request_new_response(req);
    out->error_code = r->error;
    out->protocol_type = gr_group_copy_str(req, r->protocol_type);
    out->protocol_name = gr_group_copy_str(req, r->protocol_name);
    out->assignment = r->error == GR_ERR_NONE ? gr_group_copy_bytes(req, r->assignment)
                                              : (gr_bytes){(const uint8_t *)"", 0};
    gw->out = out;
    gr_loop_post(gw->loop, send_reply, gw);
}

void gr_handle_sync_group(gr_request *req) {
    const gr_sync_group_request *in = req->body;
    group_wait *gw = wait_new(req);
    if (!gw) {
        gr_request_close(req);
        return;
    }
    if (!req->broker->groups) {
        gr_cg_sync_result r = {.error = GR_ERR_COORDINATOR_NOT_AVAILABLE,
                               .protocol_type = {NULL, -1},
                               .protocol_name = {NULL, -1}};
        sync_done(&gw->w, &r);
        return;
    }
    gr_gc_sync_group(req->broker->groups, in, req->api_version, &gw->w);
}
