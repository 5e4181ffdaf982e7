/*
 * mapping.h: JSON record -> table row, column by column, the way EdgeLake policies describe it.
 *
 *     column.timestamp.timestamp = "bring [timestamp]"    column "timestamp", type timestamp
 *     column.value.int = "bring [reading][value]"          a nested path
 *     column.value.default = "0"                           used when the field is missing or null
 *     column.site.optional = true                          missing -> NULL instead of an error
 *
 * Types: timestamp, int, float, string, bool, json. A record that does not map (missing required
 * field, wrong type) gets a reason, which the sink puts on the dead-letter record.
 */
#ifndef GREGOR_CONNECT_MAPPING_H
#define GREGOR_CONNECT_MAPPING_H

#include "connect/config_file.h"
#include "connect/db.h"
#include "connect/json_decode.h"

#define GR_MAPPING_COLUMNS_MAX 128
#define GR_MAPPING_PATH_STEPS_MAX 16

typedef struct gr_map_column {
    char name[64];
    gr_coltype type;
    char *steps[GR_MAPPING_PATH_STEPS_MAX]; /* member names from the record's root */
    int step_count;
    const char *default_value; /* NULL when none; "now()" for timestamps means the current time */
    bool optional;
} gr_map_column;

typedef struct gr_mapping {
    gr_map_column columns[GR_MAPPING_COLUMNS_MAX];
    int count;
    const char *names[GR_MAPPING_COLUMNS_MAX];
} gr_mapping;

/* Reads the column.* keys of a section; returns 0 or -1 with doc->error naming file, line, key. */
int gr_mapping_parse(gr_mapping *m, gr_conf_doc *doc, gr_conf_section *s);
void gr_mapping_free(gr_mapping *m);

/* Maps one decoded record into `row` (m->count cells); texts live in doc's arena. Returns 0, or -1
   with the reason in `why`. */
int gr_mapping_apply(const gr_mapping *m, gr_jdoc *doc, gr_dbv *row, char *why, size_t why_size);

const char *gr_coltype_name(gr_coltype t);

#endif
