/* partition_lookup.c: partitions' replicas and leaders for the admin handlers (see partition_lookup.h). */
#include "broker/partition_lookup.h"

#include <string.h>

void gr_partition_lookup_begin(gr_partition_lookup *l, gr_broker *b) {
    l->broker = b;
    l->view = b->cluster ? gr_cluster_view_get(b->cluster) : NULL;
}

void gr_partition_lookup_end(gr_partition_lookup *l) {
    if (l->view) gr_cluster_view_release(l->view);
    l->view = NULL;
}

bool gr_partition_lookup_get(gr_partition_lookup *l, gr_str topic, int32_t partition,
                             gr_cluster_partition *out) {
    memset(out, 0, sizeof *out);
    if (topic.len <= 0 || partition < 0) return false;
    if (l->view) {
        const gr_cluster_topic *t = gr_cluster_view_topic(l->view, topic.ptr, (size_t)topic.len);
        if (!t || t->deleting || partition >= t->partition_count) return false;
        *out = t->partitions[partition];
        return true;
    }
    gr_topic *t = gr_topics_get(l->broker->topics, topic);
    if (!t) return false;
    gr_partition *p = gr_topic_partition(t, partition);
    bool found = p != NULL && partition < gr_topic_partition_count(t);
    int32_t self = l->broker->cfg.node_id;
    if (found) {
        out->index = partition;
        out->state.leader = self;
        out->state.leader_epoch = p->leader_epoch;
        out->state.replica_count = out->state.isr_count = 1;
        out->state.replicas[0] = out->state.isr[0] = self;
    }
    gr_topic_release(t);
    return found;
}

void gr_partition_lookup_each_topic(gr_partition_lookup *l,
                                    void (*fn)(void *ud, const char *name, int32_t count), void *ud) {
    if (l->view) {
        for (int i = 0; i < l->view->topic_count; i++)
            if (!l->view->topics[i].deleting)
                fn(ud, l->view->topics[i].name, l->view->topics[i].partition_count);
        return;
    }
    gr_topic **list;
    int n = gr_topics_list(l->broker->topics, &list);
    for (int i = 0; i < n; i++) fn(ud, list[i]->name, gr_topic_partition_count(list[i]));
    gr_topics_list_free(list, n);
}

bool gr_partition_lookup_broker_known(gr_partition_lookup *l, int32_t id) {
    if (l->view) return gr_cluster_view_broker(l->view, id) != NULL;
    return id == l->broker->cfg.node_id;
}
