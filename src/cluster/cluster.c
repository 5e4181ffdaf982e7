/* cluster.c: cluster mode's entry points. Until the ZooKeeper back end is in, a broker asked to
 * join a cluster refuses to start rather than run as a single node. */
#include "cluster/cluster.h"

#include <stdio.h>

gr_cluster *gr_cluster_start(gr_broker *b) {
    (void)b;
    fprintf(stderr, "gregor broker: configuration key 'zookeeper.connect': cluster mode is not available\n");
    return NULL;
}

void gr_cluster_shutdown_gracefully(gr_cluster *c, int64_t timeout_ms) {
    (void)c;
    (void)timeout_ms;
}

void gr_cluster_stop(gr_cluster *c) { (void)c; }

gr_cluster_view *gr_cluster_view_get(gr_cluster *c) {
    (void)c;
    return NULL;
}

void gr_cluster_view_release(gr_cluster_view *v) { (void)v; }

const gr_cluster_topic *gr_cluster_view_topic(const gr_cluster_view *v, const char *name, size_t name_len) {
    (void)v;
    (void)name;
    (void)name_len;
    return NULL;
}

const gr_cluster_broker *gr_cluster_view_broker(const gr_cluster_view *v, int32_t id) {
    (void)v;
    (void)id;
    return NULL;
}

bool gr_cluster_broker_endpoint(gr_cluster *c, int32_t id, gr_leader_endpoint *out) {
    (void)c;
    (void)id;
    (void)out;
    return false;
}

void gr_cluster_watch_leadership(gr_cluster *c, const char *topic, gr_leadership_fn fn, void *ud) {
    (void)c;
    (void)topic;
    (void)fn;
    (void)ud;
}
