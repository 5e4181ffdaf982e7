/*
 * cluster_read.c: one full read of the cluster's state from ZooKeeper, re-arming every watch, and
 * this broker's own nodes (registration, controller election).
 *
 * Clusters this layer serves have tens of topics, so re-reading everything on any change is
 * cheap and leaves no event ordering to get wrong: the result is a complete, consistent-enough
 * picture that later writes check by compare-and-set anyway.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "cluster/cluster_internal.h"

gr_cluster_view *gr_cluster_view_new_empty(const char *cluster_id) {
    gr_cluster_view *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    atomic_init(&v->refs, 1);
    snprintf(v->cluster_id, sizeof v->cluster_id, "%s", cluster_id);
    v->controller_id = -1;
    return v;
}

void gr_cluster_view_release(gr_cluster_view *v) {
    if (!v || atomic_fetch_sub(&v->refs, 1) != 1) return;
    for (int i = 0; i < v->topic_count; i++) free(v->topics[i].partitions);
    free(v->topics);
    free(v->brokers);
    free(v);
}

void gr_cluster_snapshot_free(gr_cluster_snapshot *s) {
    if (s->view) {
        for (int i = 0; i < s->view->topic_count && s->configs; i++) gr_properties_free(&s->configs[i]);
        gr_cluster_view_release(s->view);
    }
    free(s->configs);
    free(s->topic_versions);
    free(s->reassign);
    free(s->preferred);
    memset(s, 0, sizeof *s);
}

static int cmp_broker(const void *a, const void *b) {
    const gr_cluster_broker *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static int cmp_topic(const void *a, const void *b) {
    return strcmp(((const gr_cluster_topic *)a)->name, ((const gr_cluster_topic *)b)->name);
}

int gr_cluster_view_topic_index(const gr_cluster_view *v, const char *name) {
    int lo = 0, hi = v->topic_count - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2, c = strcmp(v->topics[mid].name, name);
        if (c == 0) return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static bool parse_broker_id(const char *s, int32_t *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > INT32_MAX) return false;
    *out = (int32_t)v;
    return true;
}

static bool read_brokers(gr_cluster *c, gr_cluster_view *v) {
    struct String_vector ids;
    if (gr_zks_children(c->zk, GR_ZKL_BROKER_IDS, true, &ids) != ZOK) return false;
    v->brokers = calloc((size_t)(ids.count ? ids.count : 1), sizeof *v->brokers);
    for (int i = 0; v->brokers && i < ids.count; i++) {
        int32_t id;
        char path[GR_ZKL_PATH_MAX], *data;
        int len;
        if (!parse_broker_id(ids.data[i], &id) || !gr_zkl_broker_path(path, sizeof path, id)) continue;
        if (gr_zks_get(c->zk, path, false, &data, &len, NULL) != ZOK) continue;
        if (gr_zkl_broker_decode(data, (size_t)len, id, &v->brokers[v->broker_count]))
            v->broker_count++;
        else
            GR_WARN("cluster", "ignoring the malformed registration at %s", path);
        free(data);
    }
    gr_zks_free_children(c->zk, &ids);
    if (!v->brokers) return false;
    qsort(v->brokers, (size_t)v->broker_count, sizeof *v->brokers, cmp_broker);
    return true;
}

static void read_controller(gr_cluster *c, gr_cluster_view *v) {
    char *data;
    int len;
    struct Stat st;
    int rc = gr_zks_get(c->zk, GR_ZKL_CONTROLLER, true, &data, &len, &st);
    if (rc == ZNONODE) {
        gr_zks_exists(c->zk, GR_ZKL_CONTROLLER, true, NULL); /* watch its creation */
        v->controller_id = -1;
        return;
    }
    if (rc != ZOK) return;
    int32_t id = -1;
    if (!gr_zkl_controller_decode(data, (size_t)len, &id)) id = -1;
    v->controller_id = id;
    free(data);
}

/* One topic: assignment, states, overrides. False on a read error (not on a malformed node). */
static bool read_topic(gr_cluster *c, const char *name, gr_cluster_topic *t, gr_properties *configs,
                       int32_t *version) {
    char path[GR_ZKL_PATH_MAX], *data;
    int len;
    struct Stat st;
    snprintf(t->name, sizeof t->name, "%s", name);
    if (!gr_zkl_topic_path(path, sizeof path, name)) return true;
    int rc = gr_zks_get(c->zk, path, true, &data, &len, &st);
    if (rc == ZNONODE) return true; /* deleted meanwhile: partition_count stays 0 */
    if (rc != ZOK) return false;
    bool ok = gr_zkl_topic_decode(data, (size_t)len, t);
    free(data);
    if (!ok) {
        GR_WARN("cluster", "ignoring the malformed topic node %s", path);
        return true;
    }
    *version = st.version;
    for (int32_t p = 0; p < t->partition_count; p++) {
        gr_partition_state *s = &t->partitions[p].state;
        if (!gr_zkl_state_path(path, sizeof path, name, p)) continue;
        rc = gr_zks_get(c->zk, path, true, &data, &len, &st);
        if (rc == ZNONODE) {
            gr_zks_exists(c->zk, path, true, NULL);
            continue;
        }
        if (rc != ZOK) return false;
        gr_partition_state read = *s;
        if (gr_zkl_state_decode(data, (size_t)len, &read)) {
            read.zk_version = st.version;
            *s = read;
        } else {
            GR_WARN("cluster", "ignoring the malformed state %s", path);
        }
        free(data);
    }
    if (gr_zkl_topic_config_path(path, sizeof path, name)) {
        rc = gr_zks_get(c->zk, path, true, &data, &len, NULL);
        if (rc == ZOK) {
            if (len > 0 && !gr_zkl_config_decode(data, (size_t)len, configs))
                GR_WARN("cluster", "ignoring the malformed config node %s", path);
            free(data);
        } else if (rc == ZNONODE) {
            gr_zks_exists(c->zk, path, true, NULL);
        } else {
            return false;
        }
    }
    return true;
}

static bool read_topics(gr_cluster *c, gr_cluster_snapshot *s) {
    struct String_vector names, deleting;
    gr_cluster_view *v = s->view;
    if (gr_zks_children(c->zk, GR_ZKL_TOPICS, true, &names) != ZOK) return false;
    if (gr_zks_children(c->zk, GR_ZKL_DELETE_TOPICS, true, &deleting) != ZOK) {
        gr_zks_free_children(c->zk, &names);
        return false;
    }
    size_t n = (size_t)(names.count ? names.count : 1);
    v->topics = calloc(n, sizeof *v->topics);
    s->configs = calloc(n, sizeof *s->configs);
    s->topic_versions = calloc(n, sizeof *s->topic_versions);
    bool ok = v->topics && s->configs && s->topic_versions;
    for (int i = 0; ok && i < names.count; i++) {
        gr_cluster_topic *t = &v->topics[v->topic_count];
        gr_properties_init(&s->configs[v->topic_count]);
        ok = read_topic(c, names.data[i], t, &s->configs[v->topic_count], &s->topic_versions[v->topic_count]);
        for (int d = 0; d < deleting.count; d++)
            if (!strcmp(deleting.data[d], t->name)) t->deleting = true;
        v->topic_count++;
    }
    gr_zks_free_children(c->zk, &names);
    gr_zks_free_children(c->zk, &deleting);
    if (!ok) return false;
    /* Sort topics and their configs together. */
    for (int i = 1; i < v->topic_count; i++) {
        for (int j = i; j > 0 && cmp_topic(&v->topics[j - 1], &v->topics[j]) > 0; j--) {
            gr_cluster_topic tt = v->topics[j];
            v->topics[j] = v->topics[j - 1];
            v->topics[j - 1] = tt;
            gr_properties pc = s->configs[j];
            s->configs[j] = s->configs[j - 1];
            s->configs[j - 1] = pc;
            int32_t tv = s->topic_versions[j];
            s->topic_versions[j] = s->topic_versions[j - 1];
            s->topic_versions[j - 1] = tv;
        }
    }
    return true;
}

/* The admin nodes the tools of the ZooKeeper era write. */
static bool read_admin(gr_cluster *c, gr_cluster_snapshot *s) {
    char *data;
    int len;
    int rc = gr_zks_get(c->zk, GR_ZKL_REASSIGN, true, &data, &len, NULL);
    if (rc == ZOK) {
        if (!gr_zkl_reassign_decode(data, (size_t)len, &s->reassign, &s->reassign_count))
            GR_WARN("cluster", "ignoring the malformed %s", GR_ZKL_REASSIGN);
        free(data);
    } else if (rc == ZNONODE) {
        gr_zks_exists(c->zk, GR_ZKL_REASSIGN, true, NULL);
    } else {
        return false;
    }
    rc = gr_zks_get(c->zk, GR_ZKL_PREFERRED_ELECTION, true, &data, &len, NULL);
    if (rc == ZOK) {
        s->has_preferred = true;
        if (!gr_zkl_preferred_decode(data, (size_t)len, &s->preferred, &s->preferred_count))
            GR_WARN("cluster", "ignoring the malformed %s", GR_ZKL_PREFERRED_ELECTION);
        free(data);
    } else if (rc == ZNONODE) {
        gr_zks_exists(c->zk, GR_ZKL_PREFERRED_ELECTION, true, NULL);
    } else {
        return false;
    }
    return true;
}

bool gr_cluster_read(gr_cluster *c, gr_cluster_snapshot *out) {
    memset(out, 0, sizeof *out);
    out->view = gr_cluster_view_new_empty(gr_identity_cluster_id(c->b->identity));
    if (!out->view) return false;
    bool ok = read_brokers(c, out->view);
    if (ok) read_controller(c, out->view);
    ok = ok && read_topics(c, out) && read_admin(c, out);
    out->topics_complete = ok;
    if (!ok) gr_cluster_snapshot_free(out);
    return ok;
}

/* ---- this broker's nodes ---- */

bool gr_cluster_register(gr_cluster *c, bool first, char *err, size_t err_size) {
    char path[GR_ZKL_PATH_MAX];
    gr_zkl_broker_path(path, sizeof path, c->id);
    gr_buf_reset(&c->scratch);
    gr_zkl_broker_encode(&c->scratch, &c->self, gr_wall_ms());
    int rc = gr_zks_create(c->zk, path, (const char *)c->scratch.data, c->scratch.len,
                           gr_zks_api(c->zk)->ephemeral, true, NULL, 0);
    if (rc == ZOK) {
        GR_INFO("cluster", "registered at %s as %s:%d", path, c->self.host, c->self.port);
        return true;
    }
    if (rc == ZNODEEXISTS)
        snprintf(err, err_size,
                 "broker.id %d is already registered in ZooKeeper (%s): another broker with this id is running",
                 c->id, path);
    else
        snprintf(err, err_size, "cannot register at %s: %s", path, gr_zks_error(c->zk, rc));
    if (!first) GR_WARN("cluster", "%s", err);
    return false;
}

/* The winner of /controller increments /controller_epoch by compare-and-set, as Kafka does (the
 * node starts at 0). */
static bool bump_controller_epoch(gr_cluster *c) {
    for (int attempt = 0; attempt < 5; attempt++) {
        char *data;
        int len;
        struct Stat st;
        int rc = gr_zks_get(c->zk, GR_ZKL_CONTROLLER_EPOCH, false, &data, &len, &st);
        if (rc == ZNONODE) {
            rc = gr_zks_create(c->zk, GR_ZKL_CONTROLLER_EPOCH, "0", 1, gr_zks_api(c->zk)->persistent, false, NULL,
                               0);
            if (rc != ZOK && rc != ZNODEEXISTS) return false;
            continue;
        }
        if (rc != ZOK) return false;
        int32_t epoch = 0;
        bool ok = gr_zkl_controller_epoch_decode(data, (size_t)len, &epoch);
        free(data);
        if (!ok) epoch = 0;
        gr_buf_reset(&c->scratch);
        gr_zkl_controller_epoch_encode(&c->scratch, epoch + 1);
        struct Stat nst;
        rc = gr_zks_set(c->zk, GR_ZKL_CONTROLLER_EPOCH, (const char *)c->scratch.data, c->scratch.len, st.version,
                        &nst);
        if (rc == ZOK) {
            c->controller_epoch = epoch + 1;
            c->controller_epoch_version = nst.version;
            return true;
        }
        if (rc != ZBADVERSION) return false;
    }
    return false;
}

void gr_cluster_try_elect(gr_cluster *c) {
    if (c->controller || atomic_load(&c->shutting_down)) return;
    gr_buf_reset(&c->scratch);
    gr_zkl_controller_encode(&c->scratch, c->id, gr_wall_ms());
    int rc = gr_zks_create(c->zk, GR_ZKL_CONTROLLER, (const char *)c->scratch.data, c->scratch.len,
                           gr_zks_api(c->zk)->ephemeral, false, NULL, 0);
    if (rc == ZNODEEXISTS) return;
    if (rc != ZOK) {
        GR_WARN("cluster", "controller election: %s", gr_zks_error(c->zk, rc));
        return;
    }
    if (!bump_controller_epoch(c)) {
        /* Without a recorded epoch this broker cannot fence older controllers: give it up. */
        GR_WARN("cluster", "won /controller but could not increment /controller_epoch; resigning");
        gr_zks_delete(c->zk, GR_ZKL_CONTROLLER, -1);
        return;
    }
    c->controller = true;
    GR_INFO("cluster", "this broker is the controller (epoch %d)", c->controller_epoch);
}
