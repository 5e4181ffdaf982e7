/*
 * handle_fetch.c: Fetch for consumers.
 *
 * Record data is never copied: each partition's records field points at a
 * range of a segment file, which the connection sends with sendfile.
 * Fetch sessions (KIP-227) are declined the way Kafka declines them: every
 * response carries session id 0, so clients keep sending full requests.
 * When less than min_bytes is available the request waits (fetch_wait.c)
 * until data arrives or max_wait_ms passes.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "broker/fetch_wait.h"
#include "broker/handlers.h"
#include "proto/errors.h"
#include "proto/gen/fetch.h"

#define FETCH_SESSION_INITIAL_EPOCH 0
#define FETCH_SESSION_FINAL_EPOCH (-1)
#define ISOLATION_READ_COMMITTED 1

typedef struct fetch_state {
    gr_waiter waiter;
    gr_request *req;
} fetch_state;

static gr_topic *lookup(gr_request *req, const gr_fetch_request_fetch_topic *ft) {
    if (req->api_version >= 13) return gr_topics_get_by_id(req->broker->topics, ft->topic_id.b);
    return gr_topics_get(req->broker->topics, ft->topic);
}

/* Bytes a fetch could return now, stopping once min_bytes is reached. */
static int64_t available_bytes(gr_request *req, int64_t enough) {
    const gr_fetch_request *in = req->body;
    int64_t total = 0;
    for (int32_t t = 0; t < in->topics.count && total < enough; t++) {
        gr_topic *topic = lookup(req, &in->topics.items[t]);
        if (!topic) return enough; /* an error is worth answering at once */
        for (int32_t i = 0; i < in->topics.items[t].partitions.count && total < enough; i++) {
            const gr_fetch_request_fetch_partition *fp = &in->topics.items[t].partitions.items[i];
            gr_partition *p = gr_topic_partition(topic, fp->partition);
            if (!p || gr_partition_check_leader_epoch(p, fp->current_leader_epoch) != GR_ERR_NONE) {
                total = enough;
                break;
            }
            gr_read_result rr;
            gr_plog_read(p->log, fp->fetch_offset, fp->partition_max_bytes, true, &rr);
            if (rr.error != GR_ERR_NONE) total = enough;
            total += rr.length;
            gr_file_ref_release(rr.file);
        }
        gr_topic_release(topic);
    }
    return total;
}

static void fetch_reply(gr_request *req) {
    const gr_fetch_request *in = req->body;
    gr_fetch_response *out = gr_request_new_response(req);
    out->session_id = 0;
    out->responses.items =
        gr_request_alloc(req, (size_t)(in->topics.count + 1) * sizeof out->responses.items[0]);
    out->responses.count = in->topics.count;
    int64_t budget = in->max_bytes > 0 ? in->max_bytes : 0;
    bool first_data = true;
    /* Files to release once the response holds its own references. */
    int refs_cap = 0, refs_n = 0;
    for (int32_t t = 0; t < in->topics.count; t++) refs_cap += in->topics.items[t].partitions.count;
    /* Not in the arena: the arena goes with the request when the reply is queued. */
    gr_file_ref **refs = malloc((size_t)(refs_cap + 1) * sizeof *refs);
    if (!refs) {
        gr_request_close(req);
        return;
    }

    for (int32_t t = 0; t < in->topics.count; t++) {
        const gr_fetch_request_fetch_topic *ft = &in->topics.items[t];
        gr_fetch_response_fetchable_topic_response *rt = &out->responses.items[t];
        gr_fetch_response_fetchable_topic_response_init(rt);
        rt->topic = ft->topic;
        rt->topic_id = ft->topic_id;
        gr_topic *topic = lookup(req, ft);
        rt->partitions.items =
            gr_request_alloc(req, (size_t)(ft->partitions.count + 1) * sizeof rt->partitions.items[0]);
        rt->partitions.count = ft->partitions.count;
        for (int32_t i = 0; i < ft->partitions.count; i++) {
            const gr_fetch_request_fetch_partition *fp = &ft->partitions.items[i];
            gr_fetch_response_partition_data *pd = &rt->partitions.items[i];
            gr_fetch_response_partition_data_init(pd);
            pd->partition_index = fp->partition;
            pd->high_watermark = -1;
            pd->records.len = 0;
            if (!topic) {
                pd->error_code =
                    req->api_version >= 13 ? GR_ERR_UNKNOWN_TOPIC_ID : GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            gr_partition *p = gr_topic_partition(topic, fp->partition);
            if (!p) {
                pd->error_code = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            pd->error_code = gr_partition_check_leader_epoch(p, fp->current_leader_epoch);
            if (pd->error_code != GR_ERR_NONE) continue;
            int32_t limit = fp->partition_max_bytes;
            if (limit < 0) limit = 0;
            if ((int64_t)limit > budget) limit = (int32_t)budget;
            gr_read_result rr;
            gr_plog_read(p->log, fp->fetch_offset, limit, first_data, &rr);
            pd->error_code = rr.error;
            pd->high_watermark = rr.high_watermark;
            pd->last_stable_offset = rr.last_stable_offset;
            pd->log_start_offset = rr.log_start_offset;
            if (in->isolation_level == ISOLATION_READ_COMMITTED)
                pd->aborted_transactions.count = 0;
            else
                pd->aborted_transactions.count = -1;
            if (rr.file && rr.length > 0) {
                pd->records.file = rr.file;
                pd->records.file_offset = rr.file_offset;
                pd->records.len = rr.length;
                refs[refs_n++] = rr.file;
                budget -= rr.length;
                if (budget < 0) budget = 0;
                first_data = false;
            } else if (rr.file) {
                gr_file_ref_release(rr.file);
            }
        }
        gr_topic_release(topic);
    }
    gr_request_reply(req, out); /* the encoded frame took its own file references */
    for (int i = 0; i < refs_n; i++) gr_file_ref_release(refs[i]);
    free(refs);
}

static bool fetch_ready(gr_waiter *w) {
    fetch_state *st = (fetch_state *)w;
    const gr_fetch_request *in = st->req->body;
    if (gr_conn_is_closed(st->req->conn)) return true;
    int64_t min_bytes = in->min_bytes > 0 ? in->min_bytes : 1;
    return available_bytes(st->req, min_bytes) >= min_bytes;
}

static void fetch_complete(gr_waiter *w) {
    fetch_state *st = (fetch_state *)w;
    gr_request *req = st->req;
    free(st);
    if (gr_conn_is_closed(req->conn))
        gr_request_discard(req);
    else
        fetch_reply(req);
}

static void reply_top_level_error(gr_request *req, int16_t error) {
    gr_fetch_response *out = gr_request_new_response(req);
    out->error_code = error;
    out->session_id = 0;
    out->responses.count = 0;
    gr_request_reply(req, out);
}

void gr_handle_fetch(gr_request *req) {
    const gr_fetch_request *in = req->body;
    /* Sessions: we never create one, so any id but 0 is unknown; id 0 must come with a full-fetch epoch. */
    if (req->api_version >= 7) {
        if (in->session_id != 0) {
            reply_top_level_error(req, GR_ERR_FETCH_SESSION_ID_NOT_FOUND);
            return;
        }
        if (in->session_epoch != FETCH_SESSION_INITIAL_EPOCH &&
            in->session_epoch != FETCH_SESSION_FINAL_EPOCH) {
            reply_top_level_error(req, GR_ERR_INVALID_FETCH_SESSION_EPOCH);
            return;
        }
    }
    int64_t min_bytes = in->min_bytes > 0 ? in->min_bytes : 0;
    if (in->max_wait_ms <= 0 || min_bytes == 0 || available_bytes(req, min_bytes) >= min_bytes) {
        fetch_reply(req);
        return;
    }
    fetch_state *st = calloc(1, sizeof *st);
    if (!st) {
        fetch_reply(req);
        return;
    }
    st->req = req;
    st->waiter.ready = fetch_ready;
    st->waiter.complete = fetch_complete;
    gr_loop *loop = gr_conn_loop(req->conn);
    gr_fetch_waiters *ws = req->broker->waiters[gr_loop_index(loop)];
    gr_fetch_waiters_add(ws, &st->waiter, in->max_wait_ms);
    /* Data that arrived between the first check and the registration sent no wake-up: look again. */
    gr_fetch_waiters_recheck(ws);
}
