/*
 * leader_hint.h: where a partition's leader is, for the NOT_LEADER_OR_FOLLOWER answers of
 * Produce (v10+) and Fetch (v12+), whose CurrentLeader and NodeEndpoints fields let a client
 * go to the new leader without a Metadata round trip (KIP-951). Cluster mode only.
 */
#ifndef GREGOR_BROKER_LEADER_HINT_H
#define GREGOR_BROKER_LEADER_HINT_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/broker.h"
#include "cluster/partition_replica.h"

typedef struct gr_leader_hint {
    int32_t leader_id; /* -1: no leader known */
    int32_t leader_epoch;
    bool has_endpoint;
    gr_leader_endpoint endpoint;
} gr_leader_hint;

void gr_leader_hint_get(gr_broker *b, gr_partition_replica *r, gr_leader_hint *out);

/* The node endpoints of a response, each broker once, at most `cap` (arrays in the request's
 * arena, allocated at the first add). Zero-initialise with the capacity set. */
typedef struct gr_hint_nodes {
    int count, cap;
    int32_t *ids;
    gr_str *hosts;
    int32_t *ports;
} gr_hint_nodes;

void gr_hint_nodes_add(gr_request *req, gr_hint_nodes *n, const gr_leader_hint *h);

#endif
