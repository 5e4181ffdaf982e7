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

/* The change operations refuse at once until the back end is in (never reached: no cluster
 * starts). -1 is Kafka's UNKNOWN_SERVER_ERROR. */
static void refuse(gr_cluster_done_fn done, void *ud) {
    if (done) done(ud, -1, "cluster mode is not available");
}

void gr_cluster_create_topic(gr_cluster *c, const char *name, int32_t partitions, int16_t rf,
                             const int32_t *assignment, const gr_properties *configs, bool validate_only,
                             int64_t timeout_ms, gr_cluster_done_fn done, void *ud) {
    (void)c, (void)name, (void)partitions, (void)rf, (void)assignment, (void)configs, (void)validate_only;
    (void)timeout_ms;
    refuse(done, ud);
}

void gr_cluster_delete_topic(gr_cluster *c, const char *name, int64_t timeout_ms, gr_cluster_done_fn done,
                             void *ud) {
    (void)c, (void)name, (void)timeout_ms;
    refuse(done, ud);
}

void gr_cluster_add_partitions(gr_cluster *c, const char *name, int32_t total, const int32_t *assignment,
                               int assignment_rf, bool validate_only, gr_cluster_done_fn done, void *ud) {
    (void)c, (void)name, (void)total, (void)assignment, (void)assignment_rf, (void)validate_only;
    refuse(done, ud);
}

void gr_cluster_alter_topic_config(gr_cluster *c, const char *name, const gr_properties *set,
                                   const char *const *remove, int remove_count, bool replace,
                                   bool validate_only, gr_cluster_done_fn done, void *ud) {
    (void)c, (void)name, (void)set, (void)remove, (void)remove_count, (void)replace, (void)validate_only;
    refuse(done, ud);
}

void gr_cluster_reassign_partition(gr_cluster *c, const char *topic, int32_t partition,
                                   const int32_t *replicas, int count, gr_cluster_done_fn done, void *ud) {
    (void)c, (void)topic, (void)partition, (void)replicas, (void)count;
    refuse(done, ud);
}

void gr_cluster_elect_leader(gr_cluster *c, const char *topic, int32_t partition, int8_t election_type,
                             gr_cluster_done_fn done, void *ud) {
    (void)c, (void)topic, (void)partition, (void)election_type;
    refuse(done, ud);
}
