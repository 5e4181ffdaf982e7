/*
 * cluster_apply.c: the local replicas follow what ZooKeeper says.
 *
 * After every read: each topic of the cluster exists locally; each partition whose replica set
 * holds this broker has a log and a gr_partition_replica that is given every new state; a
 * partition this broker no longer holds gets a state without a leader (it stops serving and
 * following; the replica and log go with the topic). Topics deleted from ZooKeeper are deleted
 * locally. A leader's ISR proposals come back here as queued compare-and-set writes.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "cluster/cluster_internal.h"

gr_hosted *gr_cluster_find_hosted(gr_cluster *c, const char *topic, int32_t partition) {
    for (int i = 0; i < c->hosted_count; i++)
        if (c->hosted[i].partition == partition && !strcmp(c->hosted[i].topic, topic)) return &c->hosted[i];
    return NULL;
}

static bool contains(const int32_t *ids, int n, int32_t id) {
    for (int i = 0; i < n; i++)
        if (ids[i] == id) return true;
    return false;
}

static bool same_state(const gr_partition_state *a, const gr_partition_state *b) {
    return a->leader == b->leader && a->leader_epoch == b->leader_epoch && a->zk_version == b->zk_version &&
           a->isr_count == b->isr_count && !memcmp(a->isr, b->isr, (size_t)a->isr_count * sizeof a->isr[0]) &&
           a->replica_count == b->replica_count &&
           !memcmp(a->replicas, b->replicas, (size_t)a->replica_count * sizeof a->replicas[0]);
}

static void notify_leadership(gr_cluster *c, gr_hosted *h, bool leader, int32_t epoch) {
    pthread_mutex_lock(&c->watch_lock);
    int n = c->watch_count;
    gr_leadership_watch local[16];
    int k = 0;
    for (int i = 0; i < n && k < 16; i++)
        if (!strcmp(c->watches[i].topic, h->topic)) local[k++] = c->watches[i];
    pthread_mutex_unlock(&c->watch_lock);
    for (int i = 0; i < k; i++) local[i].fn(local[i].ud, h->topic, h->partition, leader, epoch);
}

/* Gives the replica state `s` (a leader that is not registered counts as none). */
static void apply_state(gr_cluster *c, gr_hosted *h, const gr_partition_state *s) {
    gr_partition_state st = *s;
    gr_leader_endpoint ep, *leader = NULL;
    if (st.leader >= 0 && st.leader != c->id) {
        const gr_cluster_broker *b = c->snap_valid ? gr_cluster_view_broker(c->snap.view, st.leader) : NULL;
        if (b) {
            snprintf(ep.host, sizeof ep.host, "%s", b->host);
            ep.port = b->port;
            leader = &ep;
        } else {
            st.leader = -1;
        }
    }
    gr_partition_replica_apply(h->r, &st, leader);
    bool is_leader = st.leader == c->id;
    if (is_leader != h->was_leader || s->leader_epoch != h->applied.leader_epoch)
        GR_INFO("cluster", "%s-%d: leader %d, epoch %d, %d in ISR", h->topic, h->partition, st.leader,
                st.leader_epoch, st.isr_count);
    h->applied = *s;
    h->fenced = false;
    bool changed = is_leader != h->was_leader;
    h->was_leader = is_leader;
    if (changed || is_leader) notify_leadership(c, h, is_leader, st.leader_epoch);
}

static gr_hosted *add_hosted(gr_cluster *c, gr_topic *t, int32_t index) {
    gr_partition *p = gr_topic_partition(t, index);
    if (!p) return NULL;
    if (c->hosted_count == c->hosted_cap) {
        int cap = c->hosted_cap ? c->hosted_cap * 2 : 64;
        gr_hosted *n = realloc(c->hosted, (size_t)cap * sizeof *n);
        if (!n) return NULL;
        c->hosted = n;
        c->hosted_cap = cap;
    }
    gr_partition_replica *r = atomic_load(&p->replica);
    if (!r) {
        gr_partition_replica_config rc = {
            .broker_id = c->id,
            .topic = t->name,
            .partition = index,
            .log = p->log,
            .registry_partition = p,
            .fetchers = c->fetchers,
            .replica_lag_time_max_ms = c->cfg->replica_lag_time_max_ms,
            .isr_change = gr_cluster_isr_change,
            .isr_change_ud = c,
            .data_arrived = (void (*)(void *))gr_broker_data_arrived,
            .data_arrived_ud = c->b,
        };
        memcpy(rc.topic_id, t->id, 16);
        r = gr_partition_replica_new(&rc);
        if (!r) return NULL;
        atomic_store(&p->replica, r);
    }
    gr_hosted *h = &c->hosted[c->hosted_count++];
    memset(h, 0, sizeof *h);
    snprintf(h->topic, sizeof h->topic, "%s", t->name);
    h->partition = index;
    h->t = t;
    gr_topic_retain(t);
    h->p = p;
    h->r = r;
    h->applied.leader = -2; /* nothing applied yet */
    return h;
}

static void remember_topic(gr_cluster *c, const char *name) {
    for (int i = 0; i < c->seen_count; i++)
        if (!strcmp(c->seen_topics[i], name)) return;
    if (c->seen_count == c->seen_cap) {
        int cap = c->seen_cap ? c->seen_cap * 2 : 32;
        char **n = realloc(c->seen_topics, (size_t)cap * sizeof *n);
        if (!n) return;
        c->seen_topics = n;
        c->seen_cap = cap;
    }
    c->seen_topics[c->seen_count++] = strdup(name);
}

static void apply_topic(gr_cluster *c, int ti) {
    const gr_cluster_topic *ct = &c->snap.view->topics[ti];
    if (ct->partition_count <= 0) return;
    bool *hosted = calloc((size_t)ct->partition_count, sizeof *hosted);
    if (!hosted) return;
    for (int32_t p = 0; p < ct->partition_count; p++)
        hosted[p] = contains(ct->partitions[p].state.replicas, ct->partitions[p].state.replica_count, c->id);
    gr_topic *t = gr_topics_ensure(c->b->topics, ct->name, ct->id, ct->partition_count, hosted, &c->snap.configs[ti]);
    if (!t) {
        free(hosted);
        return;
    }
    remember_topic(c, ct->name);
    for (int32_t p = 0; p < ct->partition_count; p++) {
        gr_hosted *h = gr_cluster_find_hosted(c, ct->name, p);
        if (h && h->t != t) { /* the local topic was re-created (another id): start over */
            gr_topic_release(h->t);
            *h = c->hosted[--c->hosted_count];
            h = NULL;
        }
        if (!h && !hosted[p]) continue;
        if (!h) h = add_hosted(c, t, p);
        if (!h) continue;
        gr_partition_state s = ct->partitions[p].state;
        if (!hosted[p] || s.zk_version < 0) s.leader = -1; /* not ours any more, or no state yet */
        if (h->fenced || !same_state(&h->applied, &s)) apply_state(c, h, &s);
    }
    gr_topic_release(t);
    free(hosted);
}

/* Topics this process saw in ZooKeeper that are gone from it now. */
static void delete_gone_topics(gr_cluster *c) {
    const gr_cluster_view *v = c->snap.view;
    for (int i = 0; i < c->seen_count;) {
        if (gr_cluster_view_topic_index(v, c->seen_topics[i]) >= 0) {
            i++;
            continue;
        }
        const char *name = c->seen_topics[i];
        for (int k = 0; k < c->hosted_count;) {
            if (!strcmp(c->hosted[k].topic, name)) {
                gr_topic_release(c->hosted[k].t);
                c->hosted[k] = c->hosted[--c->hosted_count];
            } else {
                k++;
            }
        }
        GR_INFO("cluster", "topic %s was deleted from the cluster: removing its local logs", name);
        gr_topics_delete(c->b->topics, gr_str_c(name));
        free(c->seen_topics[i]);
        c->seen_topics[i] = c->seen_topics[--c->seen_count];
    }
}

void gr_cluster_apply(gr_cluster *c) {
    if (!c->snap_valid) return;
    for (int i = 0; i < c->snap.view->topic_count; i++) apply_topic(c, i);
    if (c->snap.topics_complete) delete_gone_topics(c);
}

void gr_cluster_fence(gr_cluster *c) {
    for (int i = 0; i < c->hosted_count; i++) {
        gr_hosted *h = &c->hosted[i];
        gr_partition_state s = h->applied;
        s.leader = -1;
        gr_partition_replica_apply(h->r, &s, NULL);
        h->fenced = true;
        if (h->was_leader) {
            h->was_leader = false;
            notify_leadership(c, h, false, s.leader_epoch);
        }
    }
}

void gr_cluster_tick_replicas(gr_cluster *c, int64_t now_ms) {
    for (int i = 0; i < c->hosted_count; i++) gr_partition_replica_tick(c->hosted[i].r, now_ms);
}

void gr_cluster_free_hosted(gr_cluster *c) {
    /* The replicas go with their partitions (topics.c), when the topics close. */
    for (int i = 0; i < c->hosted_count; i++) {
        gr_partition_state s = c->hosted[i].applied;
        s.leader = -1;
        gr_partition_replica_apply(c->hosted[i].r, &s, NULL);
        gr_topic_release(c->hosted[i].t);
    }
    c->hosted_count = 0;
}

/* ---- a leader's ISR proposals ---- */

typedef struct isr_work {
    gr_cluster_work w;
    char topic[256];
    int32_t partition;
    gr_partition_state proposed;
} isr_work;

static void write_isr(gr_cluster *c, gr_cluster_work *base) {
    isr_work *w = (isr_work *)base;
    gr_hosted *h = gr_cluster_find_hosted(c, w->topic, w->partition);
    if (h && !h->fenced) {
        gr_partition_state s = w->proposed;
        int rc = gr_controller_write_state(c, w->topic, w->partition, &s);
        if (rc == ZOK) {
            GR_INFO("cluster", "%s-%d: ISR now has %d member(s)", w->topic, w->partition, s.isr_count);
            apply_state(c, h, &s);
        } else {
            /* A conflict or no ZooKeeper: the replica learns what is recorded at the next read. */
            h->applied.zk_version = -2;
            gr_cluster_mark_dirty(c);
        }
    }
    free(w);
}

void gr_cluster_isr_change(void *ud, const char *topic, int32_t partition, const gr_partition_state *proposed) {
    gr_cluster *c = ud;
    isr_work *w = calloc(1, sizeof *w);
    if (!w) return;
    w->w.run = write_isr;
    snprintf(w->topic, sizeof w->topic, "%s", topic);
    w->partition = partition;
    w->proposed = *proposed;
    gr_cluster_post(c, &w->w);
}
