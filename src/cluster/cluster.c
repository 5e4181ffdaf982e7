/* cluster.c: placeholder until the ZooKeeper back end lands; no broker is known. */
#include "cluster/cluster.h"

bool gr_cluster_broker_endpoint(gr_cluster *c, int32_t id, gr_leader_endpoint *out) {
    (void)c;
    (void)id;
    (void)out;
    return false;
}
