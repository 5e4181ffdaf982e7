/*
 * handle_fetch.c: Fetch for consumers.
 *
 * Record data is never copied: each partition's records field points at a
 * range of a segment file, which the connection sends with sendfile.
 * Fetch sessions (KIP-227) are declined the way Kafka declines them: every
 * response carries session id 0, so clients keep sending full requests.
 * When less than min_bytes is available the request waits (fetch_wait.c)
 * until data arrives or max_wait_ms passes.
 *
 * In cluster mode (the partition has a replica) only the leader serves: consumers read up to the
 * high watermark (the store bounds plain reads by it), followers (a replica id >= 0) up to the
 * log end, after their fetch offset was reported to the replica (which moves the high watermark
 * and the ISR); a follower whose last fetched epoch ends earlier here gets DivergingEpoch
 * instead of records (v12+). Others answer NOT_LEADER_OR_FOLLOWER with the leader's
 * whereabouts (CurrentLeader v12+, NodeEndpoints v16+). Followers' fetches long-poll like
 * consumers'.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "broker/fetch_wait.h"
#include "broker/handlers.h"
#include "broker/leader_hint.h"
#include "broker/metrics.h"
#include "cluster/partition_replica.h"
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

/* The fetching broker's id for a follower's fetch, -1 for a consumer. */
static int32_t fetch_replica_id(const gr_request *req) {
    const gr_fetch_request *in = req->body;
    if (req->api_version >= 15) return in->has_replica_state ? in->replica_state.replica_id : -1;
    return in->replica_id;
}

/* Cluster mode: NOT_LEADER_OR_FOLLOWER unless this broker leads p (0 on a single node). */
static int16_t leader_check(gr_request *req, gr_partition *p) {
    gr_partition_replica *r = atomic_load_explicit(&p->replica, memory_order_acquire);
    if (!r) return req->broker->cluster ? GR_ERR_NOT_LEADER_OR_FOLLOWER : GR_ERR_NONE;
    return gr_partition_replica_is_leader(r) ? GR_ERR_NONE : GR_ERR_NOT_LEADER_OR_FOLLOWER;
}

/* A follower's fetch (v12+): true when its log's tail, ending in last_fetched_epoch, is not
 * ours; *div gets the epoch and the offset to truncate to. */
static bool diverges(gr_request *req, gr_partition *p, const gr_fetch_request_fetch_partition *fp,
                     gr_fetch_response_epoch_end_offset *div) {
    if (req->api_version < 12 || fp->last_fetched_epoch < 0 || fetch_replica_id(req) < 0) return false;
    if (!atomic_load_explicit(&p->replica, memory_order_acquire)) return false;
    int32_t epoch;
    int64_t end;
    gr_plog_epoch_end_offset(p->log, fp->last_fetched_epoch, &epoch, &end);
    if (epoch >= fp->last_fetched_epoch && end >= fp->fetch_offset) return false;
    div->epoch = epoch;
    div->end_offset = end;
    return true;
}

/* Reads for a consumer (up to the high watermark) or a follower (up to the log end). */
static void partition_read(gr_request *req, gr_partition *p, int64_t offset, int32_t max_bytes, bool min_one,
                           gr_read_result *rr) {
    if (fetch_replica_id(req) >= 0 && atomic_load_explicit(&p->replica, memory_order_acquire))
        gr_plog_read_replica(p->log, offset, max_bytes, min_one, rr);
    else
        gr_plog_read(p->log, offset, max_bytes, min_one, rr);
}

/* A follower's fetch tells the leader how far each of its partitions got; once per request. */
static void report_follower_positions(gr_request *req) {
    const gr_fetch_request *in = req->body;
    int32_t follower = fetch_replica_id(req);
    if (follower < 0 || !req->broker->cluster) return;
    int64_t now = gr_mono_ms();
    for (int32_t t = 0; t < in->topics.count; t++) {
        gr_topic *topic = lookup(req, &in->topics.items[t]);
        if (!topic) continue;
        for (int32_t i = 0; i < in->topics.items[t].partitions.count; i++) {
            const gr_fetch_request_fetch_partition *fp = &in->topics.items[t].partitions.items[i];
            gr_partition *p = gr_topic_partition(topic, fp->partition);
            gr_partition_replica *r = p ? atomic_load_explicit(&p->replica, memory_order_acquire) : NULL;
            gr_fetch_response_epoch_end_offset div;
            if (!r || gr_partition_check_leader_epoch(p, fp->current_leader_epoch) != GR_ERR_NONE ||
                diverges(req, p, fp, &div))
                continue;
            gr_partition_replica_follower_fetched(r, follower, fp->fetch_offset, now);
        }
        gr_topic_release(topic);
    }
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
            gr_fetch_response_epoch_end_offset div;
            if (!p || gr_partition_check_leader_epoch(p, fp->current_leader_epoch) != GR_ERR_NONE ||
                leader_check(req, p) != GR_ERR_NONE || diverges(req, p, fp, &div)) {
                total = enough;
                break;
            }
            gr_read_result rr;
            partition_read(req, p, fp->fetch_offset, fp->partition_max_bytes, true, &rr);
            if (rr.error != GR_ERR_NONE) total = enough;
            total += rr.length;
            gr_file_ref_release(rr.file);
        }
        gr_topic_release(topic);
    }
    return total;
}

/* CurrentLeader (v12+) of a partition this broker does not lead. */
static void leader_hint(gr_request *req, gr_partition *p, gr_fetch_response_partition_data *pd,
                        gr_hint_nodes *nodes) {
    gr_partition_replica *r = atomic_load_explicit(&p->replica, memory_order_acquire);
    if (!r || req->api_version < 12) return;
    gr_leader_hint h;
    gr_leader_hint_get(req->broker, r, &h);
    if (h.leader_id < 0) return;
    pd->has_current_leader = true;
    pd->current_leader.leader_id = h.leader_id;
    pd->current_leader.leader_epoch = h.leader_epoch;
    gr_hint_nodes_add(req, nodes, &h);
}

static void set_node_endpoints(gr_request *req, gr_fetch_response *out, const gr_hint_nodes *nodes) {
    if (nodes->count == 0) return;
    out->node_endpoints.items =
        gr_request_alloc(req, (size_t)nodes->count * sizeof out->node_endpoints.items[0]);
    out->node_endpoints.count = nodes->count;
    for (int i = 0; i < nodes->count; i++) {
        gr_fetch_response_node_endpoint *e = &out->node_endpoints.items[i];
        gr_fetch_response_node_endpoint_init(e);
        e->node_id = nodes->ids[i];
        e->host = nodes->hosts[i];
        e->port = nodes->ports[i];
    }
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
    gr_hint_nodes nodes = {.cap = refs_cap};
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
            if (pd->error_code == GR_ERR_NONE) pd->error_code = leader_check(req, p);
            if (pd->error_code == GR_ERR_NOT_LEADER_OR_FOLLOWER ||
                pd->error_code == GR_ERR_FENCED_LEADER_EPOCH)
                leader_hint(req, p, pd, &nodes);
            if (pd->error_code != GR_ERR_NONE) continue;
            if (diverges(req, p, fp, &pd->diverging_epoch)) {
                pd->has_diverging_epoch = true;
                pd->high_watermark = gr_plog_high_watermark(p->log);
                pd->log_start_offset = gr_plog_start_offset(p->log);
                continue;
            }
            int32_t limit = fp->partition_max_bytes;
            if (limit < 0) limit = 0;
            if ((int64_t)limit > budget) limit = (int32_t)budget;
            gr_read_result rr;
            partition_read(req, p, fp->fetch_offset, limit, first_data, &rr);
            pd->error_code = rr.error;
            pd->high_watermark = rr.high_watermark;
            pd->last_stable_offset = rr.last_stable_offset;
            pd->log_start_offset = rr.log_start_offset;
            if (in->isolation_level == ISOLATION_READ_COMMITTED)
                pd->aborted_transactions.count = 0;
            else
                pd->aborted_transactions.count = -1;
            if (rr.file && rr.length > 0) {
                gr_metrics_fetched(topic, rr.length);
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
    if (req->api_version >= 16) set_node_endpoints(req, out, &nodes);
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
    report_follower_positions(req);
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
