/*
 * cluster_assign.c: where a new topic's replicas go, the way Kafka's AdminUtils places them:
 * brokers in id order, the first replica of partition p on broker (p + start) mod n, the others
 * following at a shift that grows every n partitions, so that leaders and followers spread evenly.
 *
 * When the brokers have racks (broker.rack), the brokers are first listed alternating between
 * racks (each rack's brokers in id order, racks in name order), and each further replica goes to
 * the next broker on that list whose rack holds no replica of the partition yet (once every rack
 * has one, any broker without one). Racks on some brokers only is refused, as Kafka refuses it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int by_id(const void *a, const void *b) {
    int32_t x = ((const gr_cluster_broker *)a)->id, y = ((const gr_cluster_broker *)b)->id;
    return (x > y) - (x < y);
}

static int by_rack_then_id(const void *a, const void *b) {
    const gr_cluster_broker *x = a, *y = b;
    int c = strcmp(x->rack, y->rack);
    return c ? c : by_id(a, b);
}

/* Kafka's getRackAlternatedBrokerList: round robin over the racks. sorted is by rack, then id. */
static void rack_alternated(const gr_cluster_broker *sorted, int n, const gr_cluster_broker **out) {
    int starts[GR_CLUSTER_ASSIGN_BROKERS_MAX], ends[GR_CLUSTER_ASSIGN_BROKERS_MAX], racks = 0;
    for (int i = 0; i < n; i++) {
        if (i == 0 || strcmp(sorted[i].rack, sorted[i - 1].rack)) starts[racks++] = i;
        ends[racks - 1] = i + 1;
    }
    int taken = 0;
    for (int round = 0; taken < n; round++)
        for (int r = 0; r < racks && taken < n; r++)
            if (starts[r] + round < ends[r]) out[taken++] = &sorted[starts[r] + round];
}

static bool rack_used(const gr_cluster_broker *const *chosen, int count, const char *rack) {
    for (int i = 0; i < count; i++)
        if (!strcmp(chosen[i]->rack, rack)) return true;
    return false;
}

static bool broker_used(const gr_cluster_broker *const *chosen, int count, const gr_cluster_broker *b) {
    for (int i = 0; i < count; i++)
        if (chosen[i] == b) return true;
    return false;
}

static void assign_rack_aware(const gr_cluster_broker *const *list, int32_t n, int32_t racks, int32_t partitions,
                              int16_t rf, int32_t start, int32_t shift, int32_t current, int32_t *out) {
    for (int32_t i = 0; i < partitions; i++, current++) {
        if (current > 0 && current % n == 0) shift++;
        int32_t first = (current + start) % n;
        const gr_cluster_broker *chosen[GR_REPLICAS_MAX];
        int count = 0, used_racks = 1;
        chosen[count++] = list[first];
        /* k only grows: at most n * rf candidates are looked at before every replica is placed. */
        for (int32_t k = 0; count < rf && k < n * rf * 2; k++) {
            const gr_cluster_broker *b = list[n > 1 ? replica_index(first, shift * racks, k, n) : 0];
            bool rack_ok = !rack_used(chosen, count, b->rack) || used_racks == racks;
            bool broker_ok = !broker_used(chosen, count, b) || count == n;
            if (!rack_ok || !broker_ok) continue;
            if (!rack_used(chosen, count, b->rack)) used_racks++;
            chosen[count++] = b;
        }
        int32_t *row = out + (size_t)i * (size_t)rf;
        for (int j = 0; j < rf; j++) row[j] = chosen[j < count ? j : 0]->id;
    }
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
    int with_rack = 0;
    for (int i = 0; i < n; i++) with_rack += brokers[i].rack[0] != '\0';
    if (with_rack > 0 && with_rack < n) {
        snprintf(why, why_cap, "Not all brokers have rack information for replica rack aware assignment.");
        return GR_ERR_UNKNOWN_SERVER_ERROR;
    }
    if (with_rack == n && n <= GR_CLUSTER_ASSIGN_BROKERS_MAX) {
        gr_cluster_broker *sorted = malloc((size_t)n * sizeof *sorted);
        const gr_cluster_broker **list = malloc((size_t)n * sizeof *list);
        if (!sorted || !list) {
            free(sorted);
            free(list);
            snprintf(why, why_cap, "Out of memory.");
            return GR_ERR_UNKNOWN_SERVER_ERROR;
        }
        memcpy(sorted, brokers, (size_t)n * sizeof *sorted);
        qsort(sorted, (size_t)n, sizeof *sorted, by_rack_then_id);
        int32_t racks = 0;
        for (int i = 0; i < n; i++) racks += i == 0 || strcmp(sorted[i].rack, sorted[i - 1].rack) != 0;
        rack_alternated(sorted, n, list);
        assign_rack_aware(list, n, racks, partitions, rf, start, shift, current, out);
        free(list);
        free(sorted);
        return GR_ERR_NONE;
    }
    for (int32_t i = 0; i < partitions; i++, current++) {
        if (current > 0 && current % n == 0) shift++;
        int32_t first = (current + start) % n;
        int32_t *row = out + (size_t)i * (size_t)rf;
        row[0] = brokers[first].id;
        for (int32_t j = 0; j < rf - 1; j++) row[j + 1] = brokers[n > 1 ? replica_index(first, shift, j, n) : 0].id;
    }
    return GR_ERR_NONE;
}
