/*
 * controller.c: the controller's work, done by the broker holding /controller after every read.
 *
 * It is level-triggered: from the current picture it computes what each partition's state should
 * be (a first state for a new partition, a new leader when the leader is gone, an ISR without
 * dead brokers, a preferred leader asked for) and writes the difference by compare-and-set on
 * the state znode's version, bumping leader_epoch as Kafka's controller does. A write that loses
 * a race is simply redone from the next read. It also carries out topic deletions.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "cluster/cluster_internal.h"

static bool in(const int32_t *ids, int n, int32_t id) {
    for (int i = 0; i < n; i++)
        if (ids[i] == id) return true;
    return false;
}

int gr_controller_write_state(gr_cluster *c, const char *topic, int32_t partition, gr_partition_state *s) {
    char path[GR_ZKL_PATH_MAX];
    if (!gr_zkl_state_path(path, sizeof path, topic, partition)) return ZBADARGUMENTS;
    gr_buf_reset(&c->scratch);
    gr_zkl_state_encode(&c->scratch, s);
    int rc;
    if (s->zk_version < 0) {
        rc = gr_zks_create(c->zk, path, (const char *)c->scratch.data, c->scratch.len, gr_zks_api(c->zk)->persistent,
                           true, NULL, 0);
        if (rc == ZOK) s->zk_version = 0;
    } else {
        struct Stat st;
        rc = gr_zks_set(c->zk, path, (const char *)c->scratch.data, c->scratch.len, s->zk_version, &st);
        if (rc == ZOK) s->zk_version = st.version;
    }
    if (rc != ZOK && rc != ZBADVERSION && rc != ZNODEEXISTS)
        GR_WARN("cluster", "cannot write %s: %s", path, gr_zks_error(c->zk, rc));
    return rc;
}

bool gr_controller_unclean_allowed(gr_cluster *c, int topic_index) {
    const char *v = c->snap.configs ? gr_properties_get(&c->snap.configs[topic_index], "unclean.leader.election.enable")
                                    : NULL;
    if (v) return !strcmp(v, "true");
    return c->cfg->unclean_leader_election_enable;
}

/* A broker going through controlled shutdown is still registered but takes no leadership. */
bool gr_controller_eligible(gr_cluster *c, int32_t id) {
    return gr_cluster_broker_live(c->snap.view, id) && !(id == c->id && atomic_load(&c->shutting_down));
}

/* The state partition p should have now; true when it differs from `cur`. */
static bool desired_state(gr_cluster *c, int ti, const gr_cluster_partition *cp, gr_partition_state *out) {
    const gr_partition_state *cur = &cp->state;
    *out = *cur;
    out->controller_epoch = c->controller_epoch;
    const int32_t *a = cur->replicas;
    int an = cur->replica_count;
    if (cur->zk_version < 0) { /* a new partition: the live replicas, the first leads */
        out->isr_count = 0;
        for (int i = 0; i < an; i++)
            if (gr_controller_eligible(c, a[i])) out->isr[out->isr_count++] = a[i];
        if (out->isr_count == 0) return false; /* no live replica yet: wait for one */
        out->leader = out->isr[0];
        out->leader_epoch = 0;
        return true;
    }
    int32_t live_isr[GR_REPLICAS_MAX];
    int live_n = 0;
    for (int i = 0; i < cur->isr_count; i++)
        if (gr_cluster_broker_live(c->snap.view, cur->isr[i])) live_isr[live_n++] = cur->isr[i];
    bool leader_ok = cur->leader >= 0 && gr_controller_eligible(c, cur->leader);
    if (leader_ok) {
        if (live_n == cur->isr_count) return false;
        memcpy(out->isr, live_isr, (size_t)live_n * sizeof live_isr[0]);
        out->isr_count = live_n;
        out->leader_epoch = cur->leader_epoch + 1;
        return true;
    }
    int32_t leader = -1;
    for (int i = 0; i < an && leader < 0; i++)
        if (gr_controller_eligible(c, a[i]) && in(live_isr, live_n, a[i])) leader = a[i];
    if (leader >= 0) {
        out->leader = leader;
        memcpy(out->isr, live_isr, (size_t)live_n * sizeof live_isr[0]);
        out->isr_count = live_n;
    } else if (gr_controller_unclean_allowed(c, ti)) {
        for (int i = 0; i < an && leader < 0; i++)
            if (gr_controller_eligible(c, a[i])) leader = a[i];
        if (leader < 0 && cur->leader == -1) return false;
        out->leader = leader;
        out->isr_count = leader >= 0 ? 1 : out->isr_count;
        if (leader >= 0) {
            out->isr[0] = leader;
            GR_WARN("cluster", "unclean leader election: broker %d leads without being in the ISR", leader);
        }
    } else {
        if (cur->leader == -1) return false;
        /* Kafka keeps the last ISR member so that it can lead again when it is back. */
        out->leader = -1;
        if (live_n > 0) {
            memcpy(out->isr, live_isr, (size_t)live_n * sizeof live_isr[0]);
            out->isr_count = live_n;
        }
    }
    out->leader_epoch = cur->leader_epoch + 1;
    return true;
}

static void elect_all(gr_cluster *c) {
    const gr_cluster_view *v = c->snap.view;
    for (int ti = 0; ti < v->topic_count; ti++) {
        const gr_cluster_topic *t = &v->topics[ti];
        if (t->deleting) continue;
        for (int32_t p = 0; p < t->partition_count; p++) {
            gr_partition_state s;
            if (!desired_state(c, ti, &t->partitions[p], &s)) continue;
            if (gr_controller_write_state(c, t->name, p, &s) == ZOK)
                GR_INFO("cluster", "controller: %s-%d leader %d epoch %d", t->name, p, s.leader, s.leader_epoch);
            else
                gr_cluster_mark_dirty(c);
        }
    }
}

/* Topic deletion: the state nodes, the topic, its config, then the admin node. */
static void delete_topics(gr_cluster *c) {
    const gr_cluster_view *v = c->snap.view;
    for (int ti = 0; ti < v->topic_count; ti++) {
        const gr_cluster_topic *t = &v->topics[ti];
        if (!t->deleting) continue;
        char path[GR_ZKL_PATH_MAX];
        int rc = ZOK;
        if (gr_zkl_topic_path(path, sizeof path, t->name)) rc = gr_zks_delete_tree(c->zk, path);
        if (rc == ZOK && gr_zkl_topic_config_path(path, sizeof path, t->name)) rc = gr_zks_delete_tree(c->zk, path);
        if (rc == ZOK && gr_zkl_delete_topic_path(path, sizeof path, t->name)) rc = gr_zks_delete_tree(c->zk, path);
        if (rc == ZOK)
            GR_INFO("cluster", "controller: deleted topic %s", t->name);
        else
            GR_WARN("cluster", "controller: deleting topic %s: %s", t->name, gr_zks_error(c->zk, rc));
        gr_cluster_mark_dirty(c);
    }
}

/* Moves leadership of one partition to its first replica when that one is live and in the ISR. */
static int16_t elect_preferred(gr_cluster *c, const gr_cluster_topic *t, int32_t p, bool write) {
    const gr_partition_state *cur = &t->partitions[p].state;
    if (cur->replica_count == 0 || cur->zk_version < 0) return GR_ERR_PREFERRED_LEADER_NOT_AVAILABLE;
    int32_t preferred = cur->replicas[0];
    if (cur->leader == preferred) return GR_ERR_ELECTION_NOT_NEEDED;
    if (!gr_controller_eligible(c, preferred) || !in(cur->isr, cur->isr_count, preferred))
        return GR_ERR_PREFERRED_LEADER_NOT_AVAILABLE;
    if (!write) return GR_ERR_NONE;
    gr_partition_state s = *cur;
    s.leader = preferred;
    s.leader_epoch++;
    if (c->controller) s.controller_epoch = c->controller_epoch;
    int rc = gr_controller_write_state(c, t->name, p, &s);
    gr_cluster_mark_dirty(c);
    return rc == ZOK ? GR_ERR_NONE : GR_ERR_REQUEST_TIMED_OUT;
}

/* /admin/preferred_replica_election (written by the tools of the ZooKeeper era). */
static void preferred_requests(gr_cluster *c) {
    if (!c->snap.has_preferred) return;
    for (int i = 0; i < c->snap.preferred_count; i++) {
        const gr_zkl_partition_ref *r = &c->snap.preferred[i];
        int ti = gr_cluster_view_topic_index(c->snap.view, r->topic);
        if (ti >= 0 && r->partition < c->snap.view->topics[ti].partition_count)
            elect_preferred(c, &c->snap.view->topics[ti], r->partition, true);
    }
    gr_zks_delete(c->zk, GR_ZKL_PREFERRED_ELECTION, -1);
    gr_cluster_mark_dirty(c);
}

/* auto.leader.rebalance.enable: a broker that leads too few of the partitions it is the
 * preferred leader of (leader.imbalance.per.broker.percentage) gets them back. */
static void rebalance(gr_cluster *c) {
    int64_t now = gr_mono_ms();
    if (!c->cfg->auto_leader_rebalance_enable || now < c->next_rebalance_ms) return;
    c->next_rebalance_ms = now + c->cfg->leader_imbalance_check_interval_seconds * 1000;
    const gr_cluster_view *v = c->snap.view;
    for (int b = 0; b < v->broker_count; b++) {
        int32_t id = v->brokers[b].id;
        int preferred = 0, not_led = 0;
        for (int ti = 0; ti < v->topic_count; ti++)
            for (int32_t p = 0; p < v->topics[ti].partition_count; p++) {
                const gr_partition_state *s = &v->topics[ti].partitions[p].state;
                if (s->replica_count == 0 || s->replicas[0] != id) continue;
                preferred++;
                if (s->leader != id) not_led++;
            }
        if (preferred == 0 || not_led * 100 <= preferred * c->cfg->leader_imbalance_per_broker_percentage) continue;
        for (int ti = 0; ti < v->topic_count; ti++)
            for (int32_t p = 0; p < v->topics[ti].partition_count; p++)
                if (v->topics[ti].partitions[p].state.replica_count > 0 &&
                    v->topics[ti].partitions[p].state.replicas[0] == id)
                    elect_preferred(c, &v->topics[ti], p, true);
    }
}

int16_t gr_controller_elect(gr_cluster *c, const char *topic, int32_t partition, int8_t type) {
    if (!c->snap_valid) return GR_ERR_REQUEST_TIMED_OUT;
    int ti = gr_cluster_view_topic_index(c->snap.view, topic);
    if (ti < 0 || partition < 0 || partition >= c->snap.view->topics[ti].partition_count)
        return GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    const gr_cluster_topic *t = &c->snap.view->topics[ti];
    if (type == 0) return elect_preferred(c, t, partition, true);
    /* Unclean: only when the partition has no live leader. */
    const gr_partition_state *cur = &t->partitions[partition].state;
    if (cur->leader >= 0 && gr_controller_eligible(c, cur->leader)) return GR_ERR_ELECTION_NOT_NEEDED;
    gr_partition_state s = *cur;
    s.leader = -1;
    for (int i = 0; i < cur->replica_count && s.leader < 0; i++)
        if (gr_controller_eligible(c, cur->replicas[i])) s.leader = cur->replicas[i];
    if (s.leader < 0) return GR_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE;
    if (!in(s.isr, s.isr_count, s.leader)) {
        s.isr[0] = s.leader;
        s.isr_count = 1;
    }
    s.leader_epoch++;
    int rc = gr_controller_write_state(c, topic, partition, &s);
    gr_cluster_mark_dirty(c);
    return rc == ZOK ? GR_ERR_NONE : GR_ERR_REQUEST_TIMED_OUT;
}

void gr_controller_run(gr_cluster *c) {
    if (!c->snap_valid) return;
    delete_topics(c);
    elect_all(c);
    gr_controller_finish_reassignments(c);
    preferred_requests(c);
    rebalance(c);
}
