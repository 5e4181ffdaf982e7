/*
 * controller_reassign.c: the controller's half of a partition reassignment (KIP-455 over
 * ZooKeeper). cluster_admin.c starts a move by writing the union of the old and new replicas
 * with `adding_replicas` / `removing_replicas` into /brokers/topics/T; the new replicas then
 * fetch like any follower. Once every target replica is in the ISR, this moves leadership into
 * the target when the leader is being removed, drops the removed replicas from the ISR (a new
 * leader epoch, as Kafka's controller bumps it), and then writes the target as the assignment.
 * Both writes are compare-and-set; a lost race is redone from the next read.
 */
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "cluster/cluster_internal.h"

static bool member(const int32_t *ids, int n, int32_t id) {
    for (int i = 0; i < n; i++)
        if (ids[i] == id) return true;
    return false;
}

/* The replicas the move ends with: the current ones without those being removed. */
static int target_of(const gr_cluster_partition *cp, int32_t *out) {
    int n = 0;
    for (int i = 0; i < cp->state.replica_count; i++)
        if (!member(cp->removing, cp->removing_count, cp->state.replicas[i])) out[n++] = cp->state.replicas[i];
    return n;
}

/* The state once the removed replicas are out; false when nothing needs to change. */
static bool shrunk_state(gr_cluster *c, const gr_partition_state *cur, const int32_t *target, int tn,
                         gr_partition_state *out) {
    *out = *cur;
    out->controller_epoch = c->controller_epoch;
    out->isr_count = 0;
    for (int i = 0; i < cur->isr_count; i++)
        if (member(target, tn, cur->isr[i])) out->isr[out->isr_count++] = cur->isr[i];
    if (!member(target, tn, cur->leader) || !gr_controller_eligible(c, cur->leader)) {
        out->leader = -1;
        for (int i = 0; i < tn && out->leader < 0; i++)
            if (gr_controller_eligible(c, target[i]) && member(out->isr, out->isr_count, target[i]))
                out->leader = target[i];
        if (out->leader < 0) return false; /* no target replica can lead yet: wait */
    }
    if (out->leader == cur->leader && out->isr_count == cur->isr_count) return false;
    out->leader_epoch = cur->leader_epoch + 1;
    return true;
}

/* True when it wrote the topic node (the snapshot's version of it is then stale). */
static bool finish_one(gr_cluster *c, int ti, int32_t p) {
    const gr_cluster_topic *t = &c->snap.view->topics[ti];
    const gr_cluster_partition *cp = &t->partitions[p];
    int32_t target[GR_REPLICAS_MAX];
    int tn = target_of(cp, target);
    if (tn == 0 || cp->state.zk_version < 0) return false;
    for (int i = 0; i < tn; i++)
        if (!member(cp->state.isr, cp->state.isr_count, target[i])) return false; /* still catching up */

    gr_partition_state next;
    if (shrunk_state(c, &cp->state, target, tn, &next)) {
        if (gr_controller_write_state(c, t->name, p, &next) != ZOK) {
            gr_cluster_mark_dirty(c);
            return false;
        }
        GR_INFO("cluster", "controller: %s-%d reassigned: leader %d epoch %d", t->name, p, next.leader,
                next.leader_epoch);
    }
    gr_cluster_topic copy = *t;
    copy.partitions = calloc((size_t)t->partition_count, sizeof *copy.partitions);
    if (!copy.partitions) return false;
    memcpy(copy.partitions, t->partitions, (size_t)t->partition_count * sizeof *copy.partitions);
    gr_cluster_partition *np = &copy.partitions[p];
    memcpy(np->state.replicas, target, (size_t)tn * sizeof target[0]);
    np->state.replica_count = tn;
    np->adding_count = np->removing_count = 0;
    int rc = gr_cluster_write_topic(c, &copy, c->snap.topic_versions[ti]);
    free(copy.partitions);
    if (rc == ZOK) GR_INFO("cluster", "controller: %s-%d now on %d replica(s)", t->name, p, tn);
    gr_cluster_mark_dirty(c);
    return true;
}

void gr_controller_finish_reassignments(gr_cluster *c) {
    const gr_cluster_view *v = c->snap.view;
    for (int ti = 0; ti < v->topic_count; ti++) {
        const gr_cluster_topic *t = &v->topics[ti];
        if (t->deleting) continue;
        for (int32_t p = 0; p < t->partition_count; p++) {
            const gr_cluster_partition *cp = &t->partitions[p];
            /* One topic write per topic and read: the snapshot's version is stale after it. */
            if ((cp->adding_count > 0 || cp->removing_count > 0) && finish_one(c, ti, p)) break;
        }
    }
}
