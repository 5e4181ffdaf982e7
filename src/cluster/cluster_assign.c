/*
 * cluster_assign.c: where a new topic's replicas go, the way Kafka's AdminUtils places them:
 * brokers in id order, the first replica of partition p on broker (p + start) mod n, the others
 * following at a shift that grows every n partitions, so that leaders and followers spread evenly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>

#include "cluster/cluster_internal.h"

static int32_t random_below(int32_t n) {
    uint32_t r;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r) r = (uint32_t)rand();
    return (int32_t)(r % (uint32_t)n);
}

static int32_t replica_index(int32_t first, int32_t shift, int32_t j, int32_t n) {
    int32_t s = 1 + (shift + j) % (n - 1);
    return (first + s) % n;
}

int16_t gr_cluster_assign(const gr_cluster_broker *brokers, int broker_count, int32_t partitions, int16_t rf,
                          int32_t start_index, int32_t first_partition, int32_t *out, char *why, size_t why_cap) {
    if (rf <= 0) {
        snprintf(why, why_cap, "Replication factor must be larger than 0.");
        return GR_ERR_INVALID_REPLICATION_FACTOR;
    }
    if (rf > broker_count) {
        snprintf(why, why_cap, "Replication factor: %d larger than available brokers: %d.", rf, broker_count);
        return GR_ERR_INVALID_REPLICATION_FACTOR;
    }
    if (rf > GR_REPLICAS_MAX) {
        snprintf(why, why_cap, "Replication factor: %d larger than %d.", rf, GR_REPLICAS_MAX);
        return GR_ERR_INVALID_REPLICATION_FACTOR;
    }
    int32_t n = broker_count;
    int32_t start = start_index >= 0 ? start_index % n : random_below(n);
    int32_t shift = start_index >= 0 ? start_index % n : random_below(n);
    int32_t current = first_partition > 0 ? first_partition : 0;
    for (int32_t i = 0; i < partitions; i++, current++) {
        if (current > 0 && current % n == 0) shift++;
        int32_t first = (current + start) % n;
        int32_t *row = out + (size_t)i * (size_t)rf;
        row[0] = brokers[first].id;
        for (int32_t j = 0; j < rf - 1; j++) row[j + 1] = brokers[n > 1 ? replica_index(first, shift, j, n) : 0].id;
    }
    return GR_ERR_NONE;
}
