/* leader_hint.c: the current leader of a partition for clients' redirects (see leader_hint.h). */
#include "broker/leader_hint.h"

#include "cluster/cluster.h"

void gr_leader_hint_get(gr_broker *b, gr_partition_replica *r, gr_leader_hint *out) {
    out->leader_id = gr_partition_replica_leader(r);
    out->leader_epoch = gr_partition_replica_leader_epoch(r);
    out->has_endpoint = out->leader_id >= 0 && b->cluster &&
                        gr_cluster_broker_endpoint(b->cluster, out->leader_id, &out->endpoint);
}

void gr_hint_nodes_add(gr_request *req, gr_hint_nodes *n, const gr_leader_hint *h) {
    if (!h->has_endpoint || n->count >= n->cap) return;
    if (!n->ids) {
        n->ids = gr_request_alloc(req, (size_t)n->cap * sizeof *n->ids);
        n->hosts = gr_request_alloc(req, (size_t)n->cap * sizeof *n->hosts);
        n->ports = gr_request_alloc(req, (size_t)n->cap * sizeof *n->ports);
    }
    for (int i = 0; i < n->count; i++)
        if (n->ids[i] == h->leader_id) return;
    n->ids[n->count] = h->leader_id;
    n->hosts[n->count] = gr_request_strdup(req, h->endpoint.host);
    n->ports[n->count] = h->endpoint.port;
    n->count++;
}
