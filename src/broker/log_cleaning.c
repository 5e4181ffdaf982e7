/*
 * log_cleaning.c: the log cleaner thread (see log_cleaning.h). One thread for all partitions,
 * as Kafka's log.cleaner.threads=1: a cleaning reads and rewrites whole segments, and two at once
 * would only compete for the same disk.
 */
#include "broker/log_cleaning.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/log.h"
#include "cluster/topic_config.h"

#define CLEANER_STACK_BYTES (256 * 1024)

struct gr_log_cleaner {
    gr_topics *topics;
    const gr_broker_config *cfg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
};

static bool policy_has_compact(const char *policy) {
    char v[256];
    snprintf(v, sizeof v, "%s", policy);
    for (char *save = NULL, *tok = strtok_r(v, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        if (!strncmp(tok, "compact", 7) && (tok[7] == '\0' || tok[7] == ' ')) return true;
    }
    return false;
}

static int64_t effective_long(const gr_broker_config *cfg, const gr_properties *t, const char *name) {
    char v[64];
    gr_topic_config_effective(cfg, t, name, v, sizeof v);
    return strtoll(v, NULL, 10);
}

void gr_compaction_config_for(const gr_broker_config *cfg, const gr_properties *t,
                              gr_compaction_config *out) {
    gr_compaction_config_defaults(out);
    char v[256];
    gr_topic_config_effective(cfg, t, "cleanup.policy", v, sizeof v);
    out->compact = policy_has_compact(v);
    out->delete_retention_ms = effective_long(cfg, t, "delete.retention.ms");
    out->min_compaction_lag_ms = effective_long(cfg, t, "min.compaction.lag.ms");
    out->max_compaction_lag_ms = effective_long(cfg, t, "max.compaction.lag.ms");
    gr_topic_config_effective(cfg, t, "min.cleanable.dirty.ratio", v, sizeof v);
    out->min_cleanable_dirty_ratio = strtod(v, NULL);
}

bool gr_topic_is_compacted(gr_topics *topics, const gr_broker_config *cfg, gr_topic *topic) {
    gr_properties props;
    gr_properties_init(&props);
    gr_topics_copy_configs(topics, topic, &props);
    char v[256];
    gr_topic_config_effective(cfg, &props, "cleanup.policy", v, sizeof v);
    gr_properties_free(&props);
    return policy_has_compact(v);
}

static void clean_all(gr_log_cleaner *c) {
    gr_topic **list;
    int n = gr_topics_list(c->topics, &list);
    for (int i = 0; i < n; i++) {
        gr_properties props;
        gr_properties_init(&props);
        gr_topics_copy_configs(c->topics, list[i], &props);
        gr_compaction_config cc;
        gr_compaction_config_for(c->cfg, &props, &cc);
        gr_properties_free(&props);
        if (!cc.compact || atomic_load(&list[i]->deleted)) continue;
        gr_partition_table *table = atomic_load(&list[i]->table);
        for (int32_t p = 0; p < table->count; p++) {
            pthread_mutex_lock(&c->mu);
            bool stop = c->stop;
            pthread_mutex_unlock(&c->mu);
            if (stop) break;
            if (table->items[p]) gr_plog_clean(table->items[p]->log, &cc, gr_wall_ms(), NULL);
        }
    }
    gr_topics_list_free(list, n);
}

static void *cleaner_main(void *ud) {
    gr_log_cleaner *c = ud;
    pthread_mutex_lock(&c->mu);
    while (!c->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t ns = until.tv_nsec + (c->cfg->log_cleaner_backoff_ms % 1000) * 1000000;
        until.tv_sec += (time_t)(c->cfg->log_cleaner_backoff_ms / 1000 + ns / 1000000000);
        until.tv_nsec = (long)(ns % 1000000000);
        pthread_cond_timedwait(&c->cv, &c->mu, &until);
        if (c->stop) break;
        pthread_mutex_unlock(&c->mu);
        clean_all(c);
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

gr_log_cleaner *gr_log_cleaner_start(gr_topics *topics, const gr_broker_config *cfg) {
    gr_log_cleaner *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->topics = topics;
    c->cfg = cfg;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    /* A small stack: the cleaner's buffers are on the heap, and an idle broker stays small. */
    pthread_attr_t attr;
    bool attr_ok = pthread_attr_init(&attr) == 0;
    if (attr_ok) pthread_attr_setstacksize(&attr, CLEANER_STACK_BYTES);
    int rc = pthread_create(&c->thread, attr_ok ? &attr : NULL, cleaner_main, c);
    if (attr_ok) pthread_attr_destroy(&attr);
    if (rc != 0) {
        GR_ERROR("broker", "cannot start the log cleaner thread: compacted topics will not be cleaned");
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        free(c);
        return NULL;
    }
    return c;
}

void gr_log_cleaner_stop(gr_log_cleaner *c) {
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    c->stop = true;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    free(c);
}
