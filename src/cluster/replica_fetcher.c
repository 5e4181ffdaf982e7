/*
 * replica_fetcher.c: fetcher threads that copy leaders' logs to local follower replicas.
 * (First cut: the interface only; the fetch loop follows.)
 */
#include "cluster/replica_fetcher.h"

#include <stdlib.h>

struct gr_replica_fetchers {
    gr_fetcher_config cfg;
};

gr_replica_fetchers *gr_replica_fetchers_new(const gr_fetcher_config *cfg) {
    gr_replica_fetchers *f = calloc(1, sizeof *f);
    if (f != NULL) f->cfg = *cfg;
    return f;
}

void gr_replica_fetchers_follow(gr_replica_fetchers *f, const char *topic, const uint8_t topic_id[16],
                                int32_t partition, gr_partition_log *log, int32_t leader_id, const char *host,
                                int port, int32_t leader_epoch) {
    (void)f, (void)topic, (void)topic_id, (void)partition, (void)log, (void)leader_id, (void)host, (void)port,
        (void)leader_epoch;
}

void gr_replica_fetchers_unfollow(gr_replica_fetchers *f, const char *topic, int32_t partition) {
    (void)f, (void)topic, (void)partition;
}

int32_t gr_replica_fetchers_leader_of(gr_replica_fetchers *f, const char *topic, int32_t partition) {
    (void)f, (void)topic, (void)partition;
    return -1;
}

void gr_replica_fetchers_free(gr_replica_fetchers *f) { free(f); }
