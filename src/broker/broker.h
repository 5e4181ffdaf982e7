/*
 * broker.h: the broker's shared state, and the life of one request.
 *
 *   net/ frame -> dispatch.c (header, version check, decode) -> handle_<api>.c
 *        -> gr_request_reply (encode, frame) -> net/ writes it in order
 *
 * A request is handled on the loop thread that owns its connection. A handler
 * either replies at once or keeps the request (acks=all waiting for a flush,
 * a Fetch waiting for data) and replies later on the same thread.
 */
#ifndef GREGOR_BROKER_BROKER_H
#define GREGOR_BROKER_BROKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/reader.h"
#include "broker/config.h"
#include "cluster/identity.h"
#include "cluster/topics.h"
#include "net/server.h"
#include "proto/errors.h"
#include "proto/gen/api_table.h"
#include "store/flusher.h"

typedef struct gr_fetch_waiters gr_fetch_waiters;
typedef struct gr_group_coordinator gr_group_coordinator;
typedef struct gr_cluster gr_cluster;

typedef struct gr_broker {
    gr_broker_config cfg;
    gr_topics *topics;
    gr_identity *identity;
    gr_flusher *flusher;
    struct gr_log_cleaner *cleaner; /* compaction thread (broker/log_cleaning.h) */
    gr_server *server;
    gr_fetch_waiters **waiters; /* one per event loop */
    int loop_count;
    gr_group_coordinator *groups;
    gr_cluster *cluster;           /* NULL on a single node (zookeeper.connect unset) */
    const gr_listener *advertised; /* what Metadata tells clients */
    int advertised_count;
    int64_t started_ms;
    struct gr_admin *admin; /* admin.listeners; NULL when off */
    atomic_bool serving;    /* the Kafka listeners are up (/ready) */
} gr_broker;

typedef struct gr_request {
    gr_broker *broker;
    gr_conn *conn; /* referenced while the request lives */
    uint64_t seq;
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    gr_str client_id;
    uint8_t *frame; /* owns the bytes that decoded strings point into */
    size_t frame_len;
    gr_arena arena; /* the decoded body and the response live here */
    void *body;
    const gr_api_schema *schema;
    int64_t started_ns; /* arrival, for the latency histograms */
} gr_request;

typedef void (*gr_handler_fn)(gr_request *req);

/* Encodes `response` (a generated response struct) for req's version, queues it, frees req. */
void gr_request_reply(gr_request *req, const void *response);
/* No response (Produce acks=0); frees req. */
void gr_request_reply_none(gr_request *req);
/* Closes the connection after earlier replies (how Kafka answers some bad requests); frees req. */
void gr_request_close(gr_request *req);
/* Frees req without replying (its slot was answered some other way). */
void gr_request_discard(gr_request *req);
/* Allocates a zeroed response struct of the request's API from the arena, with defaults set. */
void *gr_request_new_response(gr_request *req);
/* Arena helpers for building responses. */
void *gr_request_alloc(gr_request *req, size_t size);
gr_str gr_request_strdup(gr_request *req, const char *s);

/* Called by the net layer for each frame (see dispatch.c). */
void gr_broker_on_request(gr_conn *c, uint8_t *frame, size_t len, uint64_t seq, void *ud);

/* Wakes Fetch requests waiting for data on every loop (cheap; coalesced). */
void gr_broker_data_arrived(gr_broker *b);

/* The leader-epoch check of Fetch, ListOffsets and OffsetForLeaderEpoch: -1 means "don't check";
   an epoch newer than ours is unknown, an older one is fenced. */
static inline int16_t gr_partition_check_leader_epoch(const gr_partition *p, int32_t current_leader_epoch) {
    if (current_leader_epoch < 0 || current_leader_epoch == p->leader_epoch) return GR_ERR_NONE;
    return current_leader_epoch > p->leader_epoch ? GR_ERR_UNKNOWN_LEADER_EPOCH : GR_ERR_FENCED_LEADER_EPOCH;
}

/* Creates a topic on first use when auto.create.topics.enable is on; returns a retained topic or NULL.
 *err gets UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION, or NONE. */
gr_topic *gr_broker_topic_auto(gr_broker *b, gr_str name, bool allow_create, int16_t *err);

#endif
