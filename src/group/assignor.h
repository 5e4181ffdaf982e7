/*
 * assignor.h: the broker-side assignors of KIP-848 groups.
 *
 *   uniform  spreads partitions so member counts differ by at most one (as far as
 *            subscriptions allow), keeping each member's current partitions where
 *            it can, so a rebalance moves as little as possible. Kafka's default.
 *   range    per topic, contiguous ranges of partitions to the subscribed members in
 *            member-id order (partition i of co-partitioned topics lands together).
 */
#ifndef GREGOR_GROUP_ASSIGNOR_H
#define GREGOR_GROUP_ASSIGNOR_H

#include <stdint.h>

#include "group/tp_set.h"

typedef struct gr_assign_topic {
    uint8_t id[16];
    int32_t partitions;
} gr_assign_topic;

typedef struct gr_assign_member {
    const int32_t *topics; /* indexes into the topic array, the member's subscription */
    int32_t topic_count;
    const gr_tp_set *current; /* its previous target, for stickiness (may be NULL) */
    gr_tp_set result;         /* filled by the assignor (caller inits and frees) */
} gr_assign_member;

typedef enum gr_assignor { GR_ASSIGNOR_UNIFORM, GR_ASSIGNOR_RANGE } gr_assignor;

/* Members must come in a stable order (member id). Returns 0, or -1 on allocation failure. */
int gr_assign(gr_assignor a, const gr_assign_topic *topics, int32_t topic_count, gr_assign_member *members,
              int32_t member_count);

#endif
