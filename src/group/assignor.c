/* assignor.c: uniform (sticky, balanced) and range assignment (see assignor.h). */
#include "group/assignor.h"

#include <stdlib.h>
#include <string.h>

static bool subscribed(const gr_assign_member *m, int32_t topic) {
    for (int32_t i = 0; i < m->topic_count; i++)
        if (m->topics[i] == topic) return true;
    return false;
}

static int32_t find_topic(const gr_assign_topic *topics, int32_t n, const uint8_t id[16]) {
    for (int32_t i = 0; i < n; i++)
        if (!memcmp(topics[i].id, id, 16)) return i;
    return -1;
}

static int assign_range(const gr_assign_topic *topics, int32_t nt, gr_assign_member *members, int32_t nm) {
    int32_t *eligible = malloc((size_t)(nm ? nm : 1) * sizeof *eligible);
    if (!eligible) return -1;
    for (int32_t t = 0; t < nt; t++) {
        int32_t n = 0;
        for (int32_t m = 0; m < nm; m++)
            if (subscribed(&members[m], t)) eligible[n++] = m;
        if (!n) continue;
        int32_t quota = topics[t].partitions / n, extra = topics[t].partitions % n, p = 0;
        for (int32_t k = 0; k < n; k++) {
            int32_t take = quota + (k < extra ? 1 : 0);
            for (int32_t i = 0; i < take; i++, p++)
                if (!gr_tp_set_push(&members[eligible[k]].result, topics[t].id, p)) {
                    free(eligible);
                    return -1;
                }
        }
    }
    free(eligible);
    for (int32_t m = 0; m < nm; m++) gr_tp_set_normalize(&members[m].result);
    return 0;
}

/* The eligible member with the fewest partitions (lowest index on ties), or -1. */
static int32_t least_loaded(const gr_assign_member *members, int32_t nm, const int32_t *counts,
                            int32_t topic) {
    int32_t best = -1;
    for (int32_t m = 0; m < nm; m++)
        if (subscribed(&members[m], topic) && (best < 0 || counts[m] < counts[best])) best = m;
    return best;
}

static int assign_uniform(const gr_assign_topic *topics, int32_t nt, gr_assign_member *members, int32_t nm) {
    int32_t total = 0;
    for (int32_t t = 0; t < nt; t++) total += topics[t].partitions > 0 ? topics[t].partitions : 0;
    int32_t *first = malloc((size_t)(nt + 1) * sizeof *first); /* index of topic t's partition 0 */
    int32_t *owner = malloc((size_t)(total ? total : 1) * sizeof *owner);
    int32_t *topic_of = malloc((size_t)(total ? total : 1) * sizeof *topic_of);
    int32_t *counts = calloc((size_t)(nm ? nm : 1), sizeof *counts);
    if (!first || !owner || !topic_of || !counts) {
        free(first);
        free(owner);
        free(topic_of);
        free(counts);
        return -1;
    }
    int32_t k = 0;
    for (int32_t t = 0; t < nt; t++) {
        first[t] = k;
        for (int32_t p = 0; p < topics[t].partitions; p++, k++) {
            owner[k] = -1;
            topic_of[k] = t;
        }
    }
    /* Keep what members had, when they still may. */
    for (int32_t m = 0; m < nm; m++) {
        const gr_tp_set *cur = members[m].current;
        for (int32_t i = 0; cur && i < cur->count; i++) {
            int32_t t = find_topic(topics, nt, cur->items[i].id);
            int32_t p = cur->items[i].partition;
            if (t < 0 || p < 0 || p >= topics[t].partitions || !subscribed(&members[m], t)) continue;
            if (owner[first[t] + p] >= 0) continue;
            owner[first[t] + p] = m;
            counts[m]++;
        }
    }
    /* Give out the rest, to the least loaded. */
    for (int32_t i = 0; i < total; i++) {
        if (owner[i] >= 0) continue;
        int32_t m = least_loaded(members, nm, counts, topic_of[i]);
        if (m < 0) continue; /* nobody subscribes (cannot happen: only subscribed topics come in) */
        owner[i] = m;
        counts[m]++;
    }
    /* Even out: move partitions from a member with two more than an eligible one. Each move
       lowers the sum of squared counts, so this ends; the bound is for safety. */
    for (int32_t round = 0; round <= total; round++) {
        bool moved = false;
        for (int32_t i = total - 1; i >= 0; i--) {
            int32_t h = owner[i];
            if (h < 0) continue;
            int32_t l = least_loaded(members, nm, counts, topic_of[i]);
            if (l >= 0 && counts[h] - counts[l] >= 2) {
                owner[i] = l;
                counts[h]--;
                counts[l]++;
                moved = true;
            }
        }
        if (!moved) break;
    }
    int rc = 0;
    for (int32_t i = 0; i < total && rc == 0; i++)
        if (owner[i] >= 0 &&
            !gr_tp_set_push(&members[owner[i]].result, topics[topic_of[i]].id, i - first[topic_of[i]]))
            rc = -1;
    for (int32_t m = 0; m < nm; m++) gr_tp_set_normalize(&members[m].result);
    free(first);
    free(owner);
    free(topic_of);
    free(counts);
    return rc;
}

int gr_assign(gr_assignor a, const gr_assign_topic *topics, int32_t topic_count, gr_assign_member *members,
              int32_t member_count) {
    for (int32_t m = 0; m < member_count; m++) gr_tp_set_clear(&members[m].result);
    return a == GR_ASSIGNOR_RANGE ? assign_range(topics, topic_count, members, member_count)
                                  : assign_uniform(topics, topic_count, members, member_count);
}
