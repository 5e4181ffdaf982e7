/*
 * cluster_admin.c: the change operations of cluster.h, done through ZooKeeper as Kafka's admin
 * code of the ZooKeeper era does them: a new topic is its config node then its assignment node
 * (the controller elects its leaders), a deletion is a node under /admin/delete_topics (the
 * controller deletes), a config change is the config node plus a /config/changes notification.
 * Each runs on the cluster thread; requests that can be refused without reading are refused at
 * once on the caller's thread.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "cluster/cluster_internal.h"
#include "cluster/topic_config.h"

#define TOPIC_WAIT_DEFAULT_MS 30000

typedef struct admin_work {
    gr_cluster_work w;
    int kind;
    char topic[256];
    int32_t partitions;
    int16_t rf;
    int32_t *assignment; /* partitions x rf, or NULL */
    gr_properties set;
    char **remove;
    int remove_count;
    bool replace, validate_only;
    int64_t timeout_ms;
    int8_t election_type;
    gr_cluster_done_fn done;
    void *ud;
} admin_work;

enum { CREATE, DELETE, ADD_PARTITIONS, ALTER_CONFIG, REASSIGN, ELECT };

static void finish(admin_work *w, int16_t error, const char *message) {
    if (w->done) w->done(w->ud, error, message);
    free(w->assignment);
    gr_properties_free(&w->set);
    for (int i = 0; i < w->remove_count; i++) free(w->remove[i]);
    free(w->remove);
    free(w);
}

static const gr_cluster_topic *snap_topic(gr_cluster *c, const char *name, int *index) {
    int i = c->snap_valid ? gr_cluster_view_topic_index(c->snap.view, name) : -1;
    if (index) *index = i;
    return i >= 0 ? &c->snap.view->topics[i] : NULL;
}

/* ---- waits ---- */

static bool topic_has_leaders(gr_cluster *c, gr_cluster_wait *w, bool timed_out) {
    const gr_cluster_topic *t = snap_topic(c, w->topic, NULL);
    bool ready = t && t->partition_count > 0;
    for (int32_t p = 0; ready && p < t->partition_count; p++) ready = t->partitions[p].state.leader >= 0;
    if (!ready && !timed_out) return false;
    w->done(w->ud, GR_ERR_NONE, NULL); /* Kafka answers success once the assignment is written */
    return true;
}

static bool topic_gone(gr_cluster *c, gr_cluster_wait *w, bool timed_out) {
    bool gone = !snap_topic(c, w->topic, NULL);
    if (!gone && !timed_out) return false;
    w->done(w->ud, gone ? GR_ERR_NONE : GR_ERR_REQUEST_TIMED_OUT, gone ? NULL : "Deletion timed out");
    return true;
}

static void wait_for(gr_cluster *c, admin_work *w, bool (*check)(gr_cluster *, gr_cluster_wait *, bool)) {
    gr_cluster_wait *wt = calloc(1, sizeof *wt);
    if (!wt) {
        finish(w, GR_ERR_NONE, NULL);
        return;
    }
    wt->deadline_ms = gr_mono_ms() + (w->timeout_ms > 0 ? w->timeout_ms : TOPIC_WAIT_DEFAULT_MS);
    wt->check = check;
    wt->done = w->done;
    wt->ud = w->ud;
    snprintf(wt->topic, sizeof wt->topic, "%s", w->topic);
    w->done = NULL;
    finish(w, 0, NULL);
    gr_cluster_add_wait(c, wt);
    gr_cluster_mark_dirty(c);
}

/* ---- writes ---- */

static int write_config(gr_cluster *c, const char *topic, const gr_properties *configs, bool notify) {
    char path[GR_ZKL_PATH_MAX];
    gr_zkl_topic_config_path(path, sizeof path, topic);
    gr_buf_reset(&c->scratch);
    gr_zkl_config_encode(&c->scratch, configs);
    int rc = gr_zks_set(c->zk, path, (const char *)c->scratch.data, c->scratch.len, -1, NULL);
    if (rc == ZNONODE)
        rc = gr_zks_create(c->zk, path, (const char *)c->scratch.data, c->scratch.len, gr_zks_api(c->zk)->persistent,
                           true, NULL, 0);
    if (rc != ZOK || !notify) return rc;
    gr_buf_reset(&c->scratch);
    gr_zkl_config_change_encode(&c->scratch, topic);
    return gr_zks_create(c->zk, GR_ZKL_CONFIG_CHANGES "/config_change_", (const char *)c->scratch.data,
                         c->scratch.len, gr_zks_api(c->zk)->persistent_sequential, true, NULL, 0);
}

/* /brokers/topics/T: created (version < 0) or replaced by compare-and-set. */
int gr_cluster_write_topic(gr_cluster *c, const gr_cluster_topic *t, int32_t version) {
    char path[GR_ZKL_PATH_MAX];
    gr_zkl_topic_path(path, sizeof path, t->name);
    gr_buf_reset(&c->scratch);
    gr_zkl_topic_encode(&c->scratch, t);
    if (version < 0)
        return gr_zks_create(c->zk, path, (const char *)c->scratch.data, c->scratch.len,
                             gr_zks_api(c->zk)->persistent, true, NULL, 0);
    return gr_zks_set(c->zk, path, (const char *)c->scratch.data, c->scratch.len, version, NULL);
}

static int16_t zk_error(int rc) { return rc == ZOK ? GR_ERR_NONE : GR_ERR_REQUEST_TIMED_OUT; }

/* Brokers new replicas may go to: the live ones. */
static int16_t assign(gr_cluster *c, int32_t first_partition, int32_t count, int16_t rf, int32_t *out, char *why,
                      size_t cap) {
    const gr_cluster_view *v = c->snap.view;
    return gr_cluster_assign(v->brokers, v->broker_count, count, rf, -1, first_partition, out, why, cap);
}

static bool assignment_valid(gr_cluster *c, const int32_t *a, int32_t count, int rf, char *why, size_t cap) {
    for (int32_t p = 0; p < count; p++)
        for (int i = 0; i < rf; i++) {
            int32_t id = a[(size_t)p * (size_t)rf + (size_t)i];
            if (!gr_cluster_broker_live(c->snap.view, id)) {
                snprintf(why, cap, "Unknown broker %d in the replica assignment.", id);
                return false;
            }
            for (int j = 0; j < i; j++)
                if (a[(size_t)p * (size_t)rf + (size_t)j] == id) {
                    snprintf(why, cap, "Duplicate replica assignment found: broker %d.", id);
                    return false;
                }
        }
    return true;
}

static void fill_partitions(gr_cluster_topic *t, int32_t from, const int32_t *a, int rf) {
    for (int32_t p = from; p < t->partition_count; p++) {
        gr_cluster_partition *cp = &t->partitions[p];
        memset(cp, 0, sizeof *cp);
        cp->index = p;
        cp->state.replica_count = rf;
        memcpy(cp->state.replicas, a + (size_t)(p - from) * (size_t)rf, (size_t)rf * sizeof(int32_t));
    }
}

static void run_create(gr_cluster *c, admin_work *w) {
    static char why[512];
    if (snap_topic(c, w->topic, NULL) ||
        (gr_zkl_topic_path(why, sizeof why, w->topic) && gr_zks_exists(c->zk, why, false, NULL) == ZOK)) {
        snprintf(why, sizeof why, "Topic '%s' already exists.", w->topic);
        finish(w, GR_ERR_TOPIC_ALREADY_EXISTS, why);
        return;
    }
    int rf = w->rf;
    int32_t *a = w->assignment;
    if (!a) {
        a = calloc((size_t)w->partitions * (size_t)(rf > 0 ? rf : 1), sizeof *a);
        int16_t err = a ? assign(c, 0, w->partitions, w->rf, a, why, sizeof why) : GR_ERR_INVALID_REPLICATION_FACTOR;
        if (err) {
            free(a);
            finish(w, err, why);
            return;
        }
        w->assignment = a;
    } else if (!assignment_valid(c, a, w->partitions, rf, why, sizeof why)) {
        finish(w, GR_ERR_INVALID_REPLICA_ASSIGNMENT, why);
        return;
    }
    if (w->validate_only) {
        finish(w, GR_ERR_NONE, NULL);
        return;
    }
    gr_cluster_topic t = {.partition_count = w->partitions};
    snprintf(t.name, sizeof t.name, "%s", w->topic);
    gr_topic_id_random(t.id);
    t.partitions = calloc((size_t)w->partitions, sizeof *t.partitions);
    if (!t.partitions) {
        finish(w, GR_ERR_REQUEST_TIMED_OUT, NULL);
        return;
    }
    fill_partitions(&t, 0, a, rf);
    int rc = write_config(c, w->topic, &w->set, false);
    if (rc == ZOK) rc = gr_cluster_write_topic(c, &t, -1);
    free(t.partitions);
    if (rc == ZNODEEXISTS) {
        snprintf(why, sizeof why, "Topic '%s' already exists.", w->topic);
        finish(w, GR_ERR_TOPIC_ALREADY_EXISTS, why);
        return;
    }
    if (rc != ZOK) {
        finish(w, zk_error(rc), gr_zks_error(c->zk, rc));
        return;
    }
    GR_INFO("cluster", "created topic %s (%d partitions, replication factor %d)", w->topic, w->partitions, rf);
    wait_for(c, w, topic_has_leaders);
}

static void run_delete(gr_cluster *c, admin_work *w) {
    if (!snap_topic(c, w->topic, NULL)) {
        finish(w, GR_ERR_UNKNOWN_TOPIC_OR_PARTITION, NULL);
        return;
    }
    char path[GR_ZKL_PATH_MAX];
    gr_zkl_delete_topic_path(path, sizeof path, w->topic);
    int rc = gr_zks_create(c->zk, path, NULL, 0, gr_zks_api(c->zk)->persistent, true, NULL, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) {
        finish(w, zk_error(rc), gr_zks_error(c->zk, rc));
        return;
    }
    wait_for(c, w, topic_gone);
}

static void run_add_partitions(gr_cluster *c, admin_work *w) {
    static char why[512];
    int ti;
    const gr_cluster_topic *cur = snap_topic(c, w->topic, &ti);
    if (!cur) {
        finish(w, GR_ERR_UNKNOWN_TOPIC_OR_PARTITION, NULL);
        return;
    }
    if (w->partitions <= cur->partition_count) {
        snprintf(why, sizeof why, "Topic currently has %d partitions, %d would not be an increase.",
                 cur->partition_count, w->partitions);
        finish(w, GR_ERR_INVALID_PARTITIONS, why);
        return;
    }
    int32_t added = w->partitions - cur->partition_count;
    int rf = w->assignment ? w->rf : cur->partitions[0].state.replica_count;
    int32_t *a = w->assignment;
    if (!a) {
        a = calloc((size_t)added * (size_t)(rf > 0 ? rf : 1), sizeof *a);
        int16_t err = a ? assign(c, cur->partition_count, added, (int16_t)rf, a, why, sizeof why)
                        : GR_ERR_INVALID_REPLICATION_FACTOR;
        if (err) {
            free(a);
            finish(w, err, why);
            return;
        }
        w->assignment = a;
    } else if (!assignment_valid(c, a, added, rf, why, sizeof why)) {
        finish(w, GR_ERR_INVALID_REPLICA_ASSIGNMENT, why);
        return;
    }
    if (w->validate_only) {
        finish(w, GR_ERR_NONE, NULL);
        return;
    }
    gr_cluster_topic t = *cur;
    t.partition_count = w->partitions;
    t.partitions = calloc((size_t)w->partitions, sizeof *t.partitions);
    if (!t.partitions) {
        finish(w, GR_ERR_REQUEST_TIMED_OUT, NULL);
        return;
    }
    memcpy(t.partitions, cur->partitions, (size_t)cur->partition_count * sizeof *t.partitions);
    fill_partitions(&t, cur->partition_count, a, rf);
    int rc = gr_cluster_write_topic(c, &t, c->snap.topic_versions[ti]);
    free(t.partitions);
    gr_cluster_mark_dirty(c);
    finish(w, rc == ZBADVERSION ? GR_ERR_REASSIGNMENT_IN_PROGRESS : zk_error(rc),
           rc == ZOK ? NULL : gr_zks_error(c->zk, rc));
}

static void run_alter_config(gr_cluster *c, admin_work *w) {
    int ti;
    if (!snap_topic(c, w->topic, &ti)) {
        finish(w, GR_ERR_UNKNOWN_TOPIC_OR_PARTITION, NULL);
        return;
    }
    gr_properties next;
    gr_properties_init(&next);
    if (!w->replace)
        for (size_t i = 0; i < c->snap.configs[ti].count; i++)
            gr_properties_set(&next, c->snap.configs[ti].items[i].key, c->snap.configs[ti].items[i].value);
    for (size_t i = 0; i < w->set.count; i++) gr_properties_set(&next, w->set.items[i].key, w->set.items[i].value);
    for (int i = 0; i < w->remove_count; i++) gr_properties_remove(&next, w->remove[i]);
    int rc = w->validate_only ? ZOK : write_config(c, w->topic, &next, true);
    gr_properties_free(&next);
    gr_cluster_mark_dirty(c);
    finish(w, zk_error(rc), rc == ZOK ? NULL : gr_zks_error(c->zk, rc));
}

/* KIP-455 over ZooKeeper: the union of old and new replicas with adding/removing recorded; the
 * controller shrinks to the target once the new ones are in the ISR. */
static void run_reassign(gr_cluster *c, admin_work *w) {
    int ti;
    const gr_cluster_topic *cur = snap_topic(c, w->topic, &ti);
    if (!cur || w->partitions < 0 || w->partitions >= cur->partition_count) {
        finish(w, GR_ERR_UNKNOWN_TOPIC_OR_PARTITION, NULL);
        return;
    }
    gr_cluster_topic t = *cur;
    t.partitions = calloc((size_t)t.partition_count, sizeof *t.partitions);
    if (!t.partitions) {
        finish(w, GR_ERR_REQUEST_TIMED_OUT, NULL);
        return;
    }
    memcpy(t.partitions, cur->partitions, (size_t)t.partition_count * sizeof *t.partitions);
    gr_cluster_partition *cp = &t.partitions[w->partitions];
    if (w->rf == 0) { /* cancel: back to the replicas before the move */
        if (cp->adding_count == 0 && cp->removing_count == 0) {
            free(t.partitions);
            finish(w, GR_ERR_NO_REASSIGNMENT_IN_PROGRESS, NULL);
            return;
        }
        int n = 0;
        for (int i = 0; i < cp->state.replica_count; i++) {
            bool adding = false;
            for (int k = 0; k < cp->adding_count; k++) adding |= cp->adding[k] == cp->state.replicas[i];
            if (!adding) cp->state.replicas[n++] = cp->state.replicas[i];
        }
        cp->state.replica_count = n;
        cp->adding_count = cp->removing_count = 0;
    } else {
        const int32_t *target = w->assignment;
        int32_t original[GR_REPLICAS_MAX];
        int on = cp->state.replica_count;
        memcpy(original, cp->state.replicas, sizeof original);
        cp->adding_count = cp->removing_count = 0;
        cp->state.replica_count = 0;
        for (int i = 0; i < w->rf; i++) cp->state.replicas[cp->state.replica_count++] = target[i];
        for (int i = 0; i < on; i++) {
            bool kept = false;
            for (int k = 0; k < w->rf; k++) kept |= target[k] == original[i];
            if (!kept && cp->state.replica_count < GR_REPLICAS_MAX) {
                cp->state.replicas[cp->state.replica_count++] = original[i];
                cp->removing[cp->removing_count++] = original[i];
            }
        }
        for (int k = 0; k < w->rf; k++) {
            bool had = false;
            for (int i = 0; i < on; i++) had |= target[k] == original[i];
            if (!had) cp->adding[cp->adding_count++] = target[k];
        }
    }
    int rc = gr_cluster_write_topic(c, &t, c->snap.topic_versions[ti]);
    free(t.partitions);
    gr_cluster_mark_dirty(c);
    finish(w, zk_error(rc), rc == ZOK ? NULL : gr_zks_error(c->zk, rc));
}

static void run_admin(gr_cluster *c, gr_cluster_work *base) {
    admin_work *w = (admin_work *)base;
    if (!c->snap_valid) {
        finish(w, GR_ERR_REQUEST_TIMED_OUT, "The cluster's state is not known yet");
        return;
    }
    switch (w->kind) {
    case CREATE: run_create(c, w); break;
    case DELETE: run_delete(c, w); break;
    case ADD_PARTITIONS: run_add_partitions(c, w); break;
    case ALTER_CONFIG: run_alter_config(c, w); break;
    case REASSIGN: run_reassign(c, w); break;
    case ELECT: finish(w, gr_controller_elect(c, w->topic, w->partitions, w->election_type), NULL); break;
    default: finish(w, GR_ERR_UNKNOWN_SERVER_ERROR, NULL);
    }
}

static admin_work *admin_new(int kind, const char *topic, gr_cluster_done_fn done, void *ud) {
    admin_work *w = calloc(1, sizeof *w);
    if (!w) {
        if (done) done(ud, GR_ERR_UNKNOWN_SERVER_ERROR, NULL);
        return NULL;
    }
    w->w.run = run_admin;
    w->kind = kind;
    snprintf(w->topic, sizeof w->topic, "%s", topic);
    gr_properties_init(&w->set);
    w->done = done;
    w->ud = ud;
    return w;
}

/* Copies configs in Kafka's form; false (done called) when one is invalid. */
static bool copy_configs(admin_work *w, const gr_properties *configs) {
    for (size_t i = 0; configs && i < configs->count; i++) {
        char v[1024];
        const char *why;
        if (!gr_topic_config_check(configs->items[i].key, configs->items[i].value, v, sizeof v, &why)) {
            finish(w, GR_ERR_INVALID_CONFIG, why);
            return false;
        }
        gr_properties_set(&w->set, configs->items[i].key, v);
    }
    return true;
}

void gr_cluster_create_topic(gr_cluster *c, const char *name, int32_t partitions, int16_t rf,
                             const int32_t *assignment, const gr_properties *configs, bool validate_only,
                             int64_t timeout_ms, gr_cluster_done_fn done, void *ud) {
    const char *why;
    if (!gr_topic_name_valid(gr_str_c(name), &why)) {
        done(ud, GR_ERR_INVALID_TOPIC_EXCEPTION, why);
        return;
    }
    if (partitions < 0) partitions = c->cfg->num_partitions;
    if (rf < 0) rf = c->cfg->default_replication_factor;
    if (partitions <= 0 || partitions > GR_PARTITIONS_PER_TOPIC_MAX) {
        done(ud, GR_ERR_INVALID_PARTITIONS, "Number of partitions must be larger than 0.");
        return;
    }
    if (rf <= 0 || rf > GR_REPLICAS_MAX) {
        done(ud, GR_ERR_INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0.");
        return;
    }
    admin_work *w = admin_new(CREATE, name, done, ud);
    if (!w || !copy_configs(w, configs)) return;
    w->partitions = partitions;
    w->rf = rf;
    w->validate_only = validate_only;
    w->timeout_ms = timeout_ms;
    if (assignment) {
        w->assignment = malloc((size_t)partitions * (size_t)rf * sizeof *w->assignment);
        if (w->assignment) memcpy(w->assignment, assignment, (size_t)partitions * (size_t)rf * sizeof *w->assignment);
    }
    gr_cluster_post(c, &w->w);
}

void gr_cluster_delete_topic(gr_cluster *c, const char *name, int64_t timeout_ms, gr_cluster_done_fn done,
                             void *ud) {
    if (!c->cfg->delete_topic_enable) {
        done(ud, GR_ERR_TOPIC_DELETION_DISABLED, "Topic deletion is disabled.");
        return;
    }
    admin_work *w = admin_new(DELETE, name, done, ud);
    if (!w) return;
    w->timeout_ms = timeout_ms;
    gr_cluster_post(c, &w->w);
}

void gr_cluster_add_partitions(gr_cluster *c, const char *name, int32_t total, const int32_t *assignment,
                               int assignment_rf, bool validate_only, gr_cluster_done_fn done, void *ud) {
    admin_work *w = admin_new(ADD_PARTITIONS, name, done, ud);
    if (!w) return;
    w->partitions = total;
    w->validate_only = validate_only;
    if (assignment && assignment_rf > 0 && assignment_rf <= GR_REPLICAS_MAX) {
        /* new partitions x rf: how many new ones is known once the current count is read */
        w->rf = (int16_t)assignment_rf;
        size_t n = (size_t)(total > 0 ? total : 1) * (size_t)assignment_rf;
        w->assignment = calloc(n, sizeof *w->assignment);
        if (w->assignment) memcpy(w->assignment, assignment, n * sizeof *w->assignment);
    }
    gr_cluster_post(c, &w->w);
}

void gr_cluster_alter_topic_config(gr_cluster *c, const char *name, const gr_properties *set,
                                   const char *const *remove, int remove_count, bool replace,
                                   bool validate_only, gr_cluster_done_fn done, void *ud) {
    admin_work *w = admin_new(ALTER_CONFIG, name, done, ud);
    if (!w || !copy_configs(w, set)) return;
    w->replace = replace;
    w->validate_only = validate_only;
    if (remove_count > 0) {
        w->remove = calloc((size_t)remove_count, sizeof *w->remove);
        for (int i = 0; w->remove && i < remove_count; i++) w->remove[w->remove_count++] = strdup(remove[i]);
    }
    gr_cluster_post(c, &w->w);
}

void gr_cluster_reassign_partition(gr_cluster *c, const char *topic, int32_t partition,
                                   const int32_t *replicas, int count, gr_cluster_done_fn done, void *ud) {
    if (count < 0 || count > GR_REPLICAS_MAX) {
        done(ud, GR_ERR_INVALID_REPLICA_ASSIGNMENT, "Too many replicas.");
        return;
    }
    admin_work *w = admin_new(REASSIGN, topic, done, ud);
    if (!w) return;
    w->partitions = partition;
    w->rf = (int16_t)count;
    if (count > 0) {
        w->assignment = calloc((size_t)count, sizeof *w->assignment);
        if (w->assignment) memcpy(w->assignment, replicas, (size_t)count * sizeof *w->assignment);
    }
    gr_cluster_post(c, &w->w);
}

void gr_cluster_elect_leader(gr_cluster *c, const char *topic, int32_t partition, int8_t election_type,
                             gr_cluster_done_fn done, void *ud) {
    admin_work *w = admin_new(ELECT, topic, done, ud);
    if (!w) return;
    w->partitions = partition;
    w->election_type = election_type;
    gr_cluster_post(c, &w->w);
}
