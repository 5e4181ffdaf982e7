/*
 * properties.h: Java-style .properties files (key=value or key: value, # and ! comments,
 * backslash line continuation), as Kafka's server.properties uses.
 */
#ifndef GREGOR_BASE_PROPERTIES_H
#define GREGOR_BASE_PROPERTIES_H

#include <stdbool.h>
#include <stddef.h>

typedef struct gr_property {
    char *key;
    char *value;
} gr_property;

typedef struct gr_properties {
    gr_property *items;
    size_t count;
    size_t cap;
} gr_properties;

void gr_properties_init(gr_properties *p);
void gr_properties_free(gr_properties *p);
/* Sets or replaces a key. Returns false on allocation failure. */
bool gr_properties_set(gr_properties *p, const char *key, const char *value);
bool gr_properties_remove(gr_properties *p, const char *key);
const char *gr_properties_get(const gr_properties *p, const char *key);
/* Parses text; returns 0, or the 1-based line number of a malformed line. */
int gr_properties_parse(gr_properties *p, const char *text);
/* Loads a file; returns 0, -1 if unreadable, or a line number as above. */
int gr_properties_load(gr_properties *p, const char *path);
/* Writes key=value lines to path atomically (temp file, fsync, rename). */
int gr_properties_save(const gr_properties *p, const char *path);

#endif
