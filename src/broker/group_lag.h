/* group_lag.h: a group's committed offsets beside the partitions' ends, for /metrics and /api/groups. */
#ifndef GREGOR_BROKER_GROUP_LAG_H
#define GREGOR_BROKER_GROUP_LAG_H

#include <stdint.h>

#include "base/arena.h"
#include "base/reader.h"
#include "proto/gen/list_groups.h"

typedef struct gr_broker gr_broker;

typedef struct gr_lag_row {
    gr_str topic; /* in the arena */
    int32_t partition;
    int64_t committed;
    int64_t end; /* what a consumer sees as the end (high watermark); -1 if the partition is gone */
    int64_t lag; /* end - committed, at least 0; 0 when end is unknown */
} gr_lag_row;

/* Every group this coordinator serves (ListGroups v5 fields, in the arena); 0 when none or not
   ready. */
int32_t gr_group_list(gr_broker *b, gr_arena *a, gr_list_groups_response_listed_group **out);

/* Rows sorted by topic and partition, for every partition the group committed an offset for.
   Returns the count, or -1 when the coordinator cannot answer (loading, not the coordinator). */
int32_t gr_group_lag(gr_broker *b, gr_str group_id, gr_arena *a, gr_lag_row **out);

#endif
