/*
 * config_file.h: the connector file format, parsed into sections of key = value lines.
 *
 *     # a comment
 *     state_dir = "connect-state"        <- keys before any section belong to the file itself
 *
 *     [sink ping]                        <- a section: kind and name
 *     topics = "ping_data"
 *     column.value.int = "bring [value]"
 *     batch.count = 100                  <- bare values: numbers, true, false
 *
 * A value is a double-quoted string (escapes \" \\ \n \t) or a bare word up to the end of the line
 * or a '#'. Keys are letters, digits and . _ -. Every entry remembers its line, and the accessors
 * mark entries as used, so a key nobody asked for is reported by file, line and name. Errors
 * read "FILE:LINE: key 'K': message".
 */
#ifndef GREGOR_CONNECT_CONFIG_FILE_H
#define GREGOR_CONNECT_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GR_CONF_LINE_BYTES_MAX 8192
#define GR_CONF_ENTRIES_MAX 4096
#define GR_CONF_SECTIONS_MAX 64
#define GR_CONF_FILE_BYTES_MAX ((size_t)1024 * 1024)

typedef struct gr_conf_kv {
    char *key;
    char *value;
    int line;
    bool used;
} gr_conf_kv;

typedef struct gr_conf_section {
    char *kind; /* NULL for the keys before the first section */
    char *name;
    int line;
    gr_conf_kv *entries;
    int count, cap;
} gr_conf_section;

typedef struct gr_conf_doc {
    const char *path;
    gr_conf_section sections[GR_CONF_SECTIONS_MAX]; /* [0] is the file-level section */
    int section_count;
    char error[512];
} gr_conf_doc;

/* Parses text (the file's contents); returns 0 or -1 with doc->error. Free in both cases. */
int gr_conf_parse(gr_conf_doc *doc, const char *path, const char *text, size_t len);
/* Reads and parses a file. */
int gr_conf_load(gr_conf_doc *doc, const char *path);
void gr_conf_free(gr_conf_doc *doc);

/* Accessors: the entry's value or `fallback`; the number forms fail (-1, doc->error set) on a
   value that is not a number in [min, max] or not a boolean. */
const gr_conf_kv *gr_conf_find(gr_conf_section *s, const char *key);
const char *gr_conf_str(gr_conf_section *s, const char *key, const char *fallback);
int gr_conf_i64(gr_conf_doc *doc, gr_conf_section *s, const char *key, int64_t fallback, int64_t min,
                int64_t max, int64_t *out);
int gr_conf_bool(gr_conf_doc *doc, gr_conf_section *s, const char *key, bool fallback, bool *out);
/* A value from a fixed set ("latest", "earliest", NULL-terminated); returns its index or -1. */
int gr_conf_choice(gr_conf_doc *doc, gr_conf_section *s, const char *key, const char *const *choices,
                   int fallback);
/* Reports `kv` (file, line, key) with a message; always returns -1. */
int gr_conf_error(gr_conf_doc *doc, const gr_conf_kv *kv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reports a missing key against the section header's line; returns -1. */
int gr_conf_missing(gr_conf_doc *doc, const gr_conf_section *s, const char *key);
/* Fails on the first entry of `s` nobody read. */
int gr_conf_check_unused(gr_conf_doc *doc, gr_conf_section *s);

#endif
