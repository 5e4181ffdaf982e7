/*
 * handle_elect_leaders.c: ElectLeaders (KIP-460): preferred or unclean leader election for the
 * partitions named, or for every partition when the request names none (then, as Kafka does,
 * the partitions that need no election are left out of the answer).
 *
 * In cluster mode each election is a cluster change decided by the controller's rules
 * (ELECTION_NOT_NEEDED, PREFERRED_LEADER_NOT_AVAILABLE, ELIGIBLE_LEADERS_NOT_AVAILABLE). On a
 * single node the one broker already leads every partition: no election is ever needed.
 */
#include <stdio.h>
#include <string.h>

#include "broker/cluster_call.h"
#include "broker/handlers.h"
#include "broker/partition_lookup.h"
#include "proto/errors.h"
#include "proto/gen/elect_leaders.h"

#define ELECTION_PREFERRED 0
#define ELECTION_UNCLEAN 1

typedef gr_elect_leaders_response_replica_election_result topic_result;
typedef gr_elect_leaders_response_partition_result partition_result;

typedef struct elect_ctx {
    gr_request *req;
    gr_partition_lookup *l;
    gr_elect_leaders_response *out;
    gr_cluster_call *call;
    partition_result **results; /* by slot */
    int slots;
    int8_t type;
    bool all; /* the request named no partitions */
} elect_ctx;

static bool election_needed(const gr_partition_lookup *l, const gr_cluster_partition *cp, int8_t type) {
    if (!l->view) return false;
    int32_t leader = cp->state.leader;
    bool live = leader >= 0 && gr_cluster_view_broker(l->view, leader) != NULL;
    if (type == ELECTION_UNCLEAN) return !live;
    return !(live && cp->state.replica_count > 0 && cp->state.replicas[0] == leader);
}

static void elect_one(elect_ctx *c, gr_str topic, int32_t partition, partition_result *r) {
    gr_elect_leaders_response_partition_result_init(r);
    r->partition_id = partition;
    gr_cluster_partition cp;
    char why[512];
    if (!gr_partition_lookup_get(c->l, topic, partition, &cp)) {
        r->error_code = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        r->error_message = gr_request_strdup(c->req, "The partition does not exist.");
        return;
    }
    if (!c->call || !election_needed(c->l, &cp, c->type)) {
        r->error_code = GR_ERR_ELECTION_NOT_NEEDED;
        snprintf(why, sizeof why, "Leader election not needed for topic partition %.*s-%d", topic.len,
                 topic.ptr, partition);
        r->error_message = gr_request_strdup(c->req, why);
        return;
    }
    int k = c->slots++;
    c->results[k] = r;
    char name[256];
    snprintf(name, sizeof name, "%.*s", topic.len, topic.ptr);
    gr_cluster_elect_leader(c->req->broker->cluster, name, partition, c->type, gr_cluster_call_done,
                            gr_cluster_call_slot(c->call, k));
}

static void elect_topic(void *ud, const char *name, int32_t count) {
    elect_ctx *c = ud;
    topic_result *t = &c->out->replica_election_results.items[c->out->replica_election_results.count++];
    gr_elect_leaders_response_replica_election_result_init(t);
    t->topic = gr_request_strdup(c->req, name);
    t->partition_result.items =
        gr_request_alloc(c->req, (size_t)(count + 1) * sizeof t->partition_result.items[0]);
    t->partition_result.count = count;
    for (int32_t p = 0; p < count; p++) elect_one(c, t->topic, p, &t->partition_result.items[p]);
}

/* Asked for every partition: only the elections that were needed are reported. */
static void drop_not_needed(gr_elect_leaders_response *out) {
    int32_t kept_topics = 0;
    for (int32_t i = 0; i < out->replica_election_results.count; i++) {
        topic_result *t = &out->replica_election_results.items[i];
        int32_t kept = 0;
        for (int32_t p = 0; p < t->partition_result.count; p++)
            if (t->partition_result.items[p].error_code != GR_ERR_ELECTION_NOT_NEEDED)
                t->partition_result.items[kept++] = t->partition_result.items[p];
        t->partition_result.count = kept;
        if (kept) out->replica_election_results.items[kept_topics++] = *t;
    }
    out->replica_election_results.count = kept_topics;
}

static void elect_finish(gr_cluster_call *call) {
    elect_ctx *c = call->ud;
    for (int i = 0; i < call->count; i++) {
        if (!call->slots[i].started) continue;
        c->results[i]->error_code = call->slots[i].error;
        c->results[i]->error_message = gr_cluster_slot_message(call->req, &call->slots[i]);
    }
    if (c->all) drop_not_needed(c->out);
    gr_request_reply(call->req, c->out);
}

static int count_partitions(const gr_partition_lookup *l, const gr_elect_leaders_request *in) {
    int n = 0;
    if (in->topic_partitions.count < 0) {
        if (l->view)
            for (int i = 0; i < l->view->topic_count; i++) n += l->view->topics[i].partition_count;
        return n;
    }
    for (int32_t i = 0; i < in->topic_partitions.count; i++)
        n += in->topic_partitions.items[i].partitions.count > 0
                 ? in->topic_partitions.items[i].partitions.count
                 : 0;
    return n;
}

void gr_handle_elect_leaders(gr_request *req) {
    const gr_elect_leaders_request *in = req->body;
    gr_elect_leaders_response *out = gr_request_new_response(req);
    gr_broker *b = req->broker;
    int8_t type = req->api_version >= 1 ? in->election_type : ELECTION_PREFERRED;
    if (type != ELECTION_PREFERRED && type != ELECTION_UNCLEAN) {
        out->error_code = GR_ERR_INVALID_REQUEST;
        out->replica_election_results.count = 0;
        gr_request_reply(req, out);
        return;
    }
    gr_partition_lookup l;
    gr_partition_lookup_begin(&l, b);
    int total = count_partitions(&l, in);
    elect_ctx *c = gr_request_alloc(req, sizeof *c);
    *c = (elect_ctx){.req = req, .l = &l, .out = out, .type = type, .all = in->topic_partitions.count < 0};
    c->results = gr_request_alloc(req, (size_t)(total + 1) * sizeof *c->results);
    if (b->cluster && !(c->call = gr_cluster_call_new(req, out, total, elect_finish))) {
        gr_partition_lookup_end(&l);
        gr_request_close(req);
        return;
    }
    if (c->call) c->call->ud = c;
    if (c->all) {
        int cap = l.view ? l.view->topic_count : 0;
        if (!l.view) {
            gr_topic **list;
            cap = gr_topics_list(b->topics, &list);
            gr_topics_list_free(list, cap);
        }
        out->replica_election_results.items =
            gr_request_alloc(req, (size_t)(cap + 1) * sizeof out->replica_election_results.items[0]);
        out->replica_election_results.count = 0;
        if (l.view) gr_partition_lookup_each_topic(&l, elect_topic, c); /* a single node needs none */
    } else {
        int32_t nt = in->topic_partitions.count;
        out->replica_election_results.items =
            gr_request_alloc(req, (size_t)(nt + 1) * sizeof out->replica_election_results.items[0]);
        out->replica_election_results.count = nt;
        for (int32_t i = 0; i < nt; i++) {
            const gr_elect_leaders_request_topic_partitions *it = &in->topic_partitions.items[i];
            topic_result *t = &out->replica_election_results.items[i];
            gr_elect_leaders_response_replica_election_result_init(t);
            t->topic = it->topic;
            int32_t np = it->partitions.count > 0 ? it->partitions.count : 0;
            t->partition_result.items =
                gr_request_alloc(req, (size_t)(np + 1) * sizeof t->partition_result.items[0]);
            t->partition_result.count = np;
            for (int32_t p = 0; p < np; p++)
                elect_one(c, it->topic, it->partitions.items[p], &t->partition_result.items[p]);
        }
    }
    gr_partition_lookup_end(&l);
    c->l = NULL;
    if (c->call) {
        gr_cluster_call_launched(c->call);
    } else {
        if (c->all) drop_not_needed(out);
        gr_request_reply(req, out);
    }
}
