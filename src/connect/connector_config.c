/* connector_config.c: parsing of the keys sinks and pipelines share (connector_config.h). */
#include "connect/connector_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

/* librdkafka judges kafka.* when the file is read, so a typo is reported by file, line and key. */
static int check_kafka_settings(const gr_connect_common *c, gr_conf_doc *doc, gr_conf_section *s) {
    if (!c->kafka_count) return 0;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int rc = 0;
    for (int i = 0; i < c->kafka_count && !rc; i++) {
        char err[256];
        if (rd_kafka_conf_set(conf, c->kafka_keys[i], c->kafka_values[i], err, sizeof err) !=
            RD_KAFKA_CONF_OK) {
            char key[256];
            snprintf(key, sizeof key, "kafka.%s", c->kafka_keys[i]);
            rc = gr_conf_error(doc, gr_conf_find(s, key), "%s", err);
        }
    }
    rd_kafka_conf_destroy(conf);
    return rc;
}

int gr_connect_common_parse(gr_connect_common *c, gr_conf_doc *doc, gr_conf_section *s,
                            const char *bootstrap) {
    memset(c, 0, sizeof *c);
    c->name = s->name;
    c->bootstrap = gr_conf_str(s, "bootstrap", bootstrap);
    const gr_conf_kv *topics = gr_conf_find(s, "topics");
    if (!topics) return gr_conf_missing(doc, s, "topics");
    c->topics_text = strdup(topics->value);
    if (!c->topics_text) return gr_conf_error(doc, topics, "out of memory");
    for (char *save = NULL, *t = strtok_r(c->topics_text, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (c->topic_count >= GR_CONNECT_TOPICS_MAX)
            return gr_conf_error(doc, topics, "more than %d topics", GR_CONNECT_TOPICS_MAX);
        c->topics[c->topic_count++] = t;
    }
    if (!c->topic_count) return gr_conf_error(doc, topics, "names no topic");
    const char *group = gr_conf_str(s, "group", NULL);
    if (group) {
        c->group = strdup(group);
    } else if (asprintf(&c->group, "gregor-connect-%s", s->name) < 0) {
        c->group = NULL;
    }
    if (!c->group) return gr_conf_error(doc, topics, "out of memory");
    static const char *const resets[] = {"latest", "earliest", NULL};
    int reset = gr_conf_choice(doc, s, "reset", resets, 0);
    if (reset < 0) return -1;
    c->reset_earliest = reset == 1;
    if (gr_conf_i64(doc, s, "reconnect.interval_ms", 1000, 1, 3600000, &c->reconnect_interval_ms) < 0 ||
        gr_conf_i64(doc, s, "reconnect.max_retries", 30, -1, INT32_MAX, &c->reconnect_max_retries) < 0 ||
        gr_conf_i64(doc, s, "metrics_interval_s", 0, 0, 86400, &c->metrics_interval_s) < 0)
        return -1;
    c->metrics_topic = gr_conf_str(s, "metrics_topic", NULL);
    for (int i = 0; i < s->count; i++) {
        gr_conf_kv *kv = &s->entries[i];
        if (strncmp(kv->key, "kafka.", 6)) continue;
        if (c->kafka_count >= GR_CONNECT_KAFKA_PROPS_MAX)
            return gr_conf_error(doc, kv, "too many kafka.* settings");
        kv->used = true;
        c->kafka_keys[c->kafka_count] = kv->key + 6;
        c->kafka_values[c->kafka_count++] = kv->value;
    }
    return check_kafka_settings(c, doc, s);
}

void gr_connect_common_free(gr_connect_common *c) {
    free(c->topics_text);
    free(c->group);
    c->topics_text = NULL;
    c->group = NULL;
}
