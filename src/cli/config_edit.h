/*
 * config_edit.h: reading and changing topic and broker configuration.
 *
 * librdkafka 2.0.2 has DescribeConfigs and AlterConfigs but not IncrementalAlterConfigs, and
 * AlterConfigs replaces the whole set of dynamic settings of a resource. So a change is made as
 * read-modify-write: describe the resource, keep the settings that were set dynamically on it,
 * apply the edits, and send the full set back. Sensitive settings come back without a value and
 * cannot be carried over; an edit that would silently drop one is refused.
 */
#ifndef GREGOR_CLI_CONFIG_EDIT_H
#define GREGOR_CLI_CONFIG_EDIT_H

#include <stdbool.h>

#include "cli/client.h"

#define GR_CONFIG_EDITS_MAX 128
#define GR_CONFIG_KEY_MAX_CHARS 256

typedef struct gr_config_edit {
    char key[GR_CONFIG_KEY_MAX_CHARS];
    const char *value; /* NULL removes the key (back to its default) */
} gr_config_edit;

typedef struct gr_config_edits {
    gr_config_edit items[GR_CONFIG_EDITS_MAX];
    int count;
} gr_config_edits;

/* Adds "key=value" (set) or "key" (delete). Return 0 or -1 after a usage error. */
int gr_config_edits_set(gr_config_edits *e, const gr_tool_help *tool, const char *kv);
int gr_config_edits_delete(gr_config_edits *e, const gr_tool_help *tool, const char *key);

/*
 * DescribeConfigs for `count` resources of one type. Returns 0 and the result event (caller
 * destroys it; read it with rd_kafka_event_DescribeConfigs_result), or an exit code.
 */
int gr_config_describe(gr_client *c, rd_kafka_ResourceType_t type, const char *const *names, int count,
                       rd_kafka_event_t **out);

/* The source that marks a setting as set dynamically on this very resource. */
rd_kafka_ConfigSource_t gr_config_own_source(rd_kafka_ResourceType_t type);

/* Read-modify-write as described above. Prints errors; returns an exit code. */
int gr_config_apply(gr_client *c, rd_kafka_ResourceType_t type, const char *name, const gr_config_edits *e);

#endif
