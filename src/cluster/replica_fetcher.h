/*
 * replica_fetcher.h: the follower side of replication.
 *
 * A broker that holds a follower replica of a partition copies the leader's log by sending it
 * replica Fetch requests (Fetch v12 with the broker id as replica id), appending what comes
 * back, truncating a divergent tail (DivergingEpoch) and adopting the leader's high watermark.
 * One fetcher thread per leader broker, with one blocking connection, serves every partition
 * this broker follows from that leader (Kafka's num.replica.fetchers=1). docs/replication.md
 * ("Followers") describes the protocol and the error handling.
 */
#ifndef GREGOR_CLUSTER_REPLICA_FETCHER_H
#define GREGOR_CLUSTER_REPLICA_FETCHER_H

#include <stdint.h>

#include "store/partition_log.h"

typedef struct gr_replica_fetchers gr_replica_fetchers;
typedef struct gr_fetcher_config {
    int32_t broker_id;          /* this broker: sent as the Fetch replica id */
    int32_t max_bytes;          /* replica.fetch.max.bytes (1048576): per partition */
    int32_t response_max_bytes; /* replica.fetch.response.max.bytes (10485760) */
    int32_t wait_max_ms;        /* replica.fetch.wait.max.ms (500) */
    int32_t min_bytes;          /* replica.fetch.min.bytes (1) */
    int32_t backoff_ms;         /* replica.fetch.backoff.ms (1000) after an error */
    int32_t socket_timeout_ms;  /* replica.socket.timeout.ms (30000) */
    /* Called on a fetcher thread after records were appended to `log` or its high watermark
       moved (the broker wakes consumers' waiting fetches). */
    void (*progress)(void *ud, gr_partition_log *log);
    void *ud;
} gr_fetcher_config;
gr_replica_fetchers *gr_replica_fetchers_new(const gr_fetcher_config *cfg);
/* Follows partition `partition` of topic (name, id) whose local replica is `log`, led by broker
   leader_id at host:port in leader_epoch. Replaces an earlier follow of the same partition (new
   leader or epoch). The caller keeps `log` open until gr_replica_fetchers_unfollow returns. */
void gr_replica_fetchers_follow(gr_replica_fetchers *f, const char *topic, const uint8_t topic_id[16],
                                int32_t partition, gr_partition_log *log, int32_t leader_id, const char *host,
                                int port, int32_t leader_epoch);
/* Stops following; when it returns no fetcher thread touches the log any more. */
void gr_replica_fetchers_unfollow(gr_replica_fetchers *f, const char *topic, int32_t partition);
/* Which leader/epoch a partition is followed from (-1 if not followed), for diagnostics. */
int32_t gr_replica_fetchers_leader_of(gr_replica_fetchers *f, const char *topic, int32_t partition);
void gr_replica_fetchers_free(gr_replica_fetchers *f);

#endif
