/*
 * connector_config.h: the keys every connector section shares, sinks and pipelines alike.
 *
 * Both kinds consume topics in a group and live by the same policies: where to start (reset),
 * how to retry (reconnect.*), how often to publish metrics, and kafka.* settings handed to
 * librdkafka as they are. Parsing them in one place keeps the two kinds' files alike.
 */
#ifndef GREGOR_CONNECT_CONNECTOR_CONFIG_H
#define GREGOR_CONNECT_CONNECTOR_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "connect/config_file.h"

#define GR_CONNECT_TOPICS_MAX 32
#define GR_CONNECT_KAFKA_PROPS_MAX 64

typedef struct gr_connect_common {
    const char *name;
    const char *bootstrap;
    const char *topics[GR_CONNECT_TOPICS_MAX];
    int topic_count;
    char *topics_text; /* owns the names above */
    char *group;
    bool reset_earliest;
    int64_t reconnect_interval_ms, reconnect_max_retries;
    int64_t metrics_interval_s;
    const char *metrics_topic;
    const char *kafka_keys[GR_CONNECT_KAFKA_PROPS_MAX];
    const char *kafka_values[GR_CONNECT_KAFKA_PROPS_MAX];
    int kafka_count;
} gr_connect_common;

/* Reads topics, group, reset, bootstrap, reconnect.*, metrics_* and kafka.* of section `s`
   (file-level `bootstrap` is the default broker). Returns 0 or -1 with doc->error. */
int gr_connect_common_parse(gr_connect_common *c, gr_conf_doc *doc, gr_conf_section *s,
                            const char *bootstrap);
void gr_connect_common_free(gr_connect_common *c);

#endif
