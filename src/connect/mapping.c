/* mapping.c: parses "bring [a][b]" column mappings and applies them to records (mapping.h). */
#include "connect/mapping.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const type_names[] = {"timestamp", "int", "float", "string", "bool", "json", NULL};

const char *gr_coltype_name(gr_coltype t) { return (unsigned)t <= GR_COL_JSON ? type_names[t] : "?"; }

static gr_map_column *column_named(gr_mapping *m, const char *name, size_t len) {
    for (int i = 0; i < m->count; i++)
        if (strlen(m->columns[i].name) == len && !memcmp(m->columns[i].name, name, len))
            return &m->columns[i];
    return NULL;
}

/* "bring [a][b]" -> steps a, b. */
static int parse_bring(gr_map_column *c, gr_conf_doc *doc, const gr_conf_kv *kv) {
    const char *p = kv->value;
    while (*p == ' ') p++;
    if (strncmp(p, "bring", 5))
        return gr_conf_error(doc, kv, "expected \"bring [field]\", got '%s'", kv->value);
    p += 5;
    for (;;) {
        while (*p == ' ') p++;
        if (!*p) break;
        if (*p != '[') return gr_conf_error(doc, kv, "expected '[' in '%s'", kv->value);
        const char *end = strchr(p, ']');
        if (!end || end == p + 1)
            return gr_conf_error(doc, kv, "empty or unclosed [field] in '%s'", kv->value);
        if (c->step_count >= GR_MAPPING_PATH_STEPS_MAX)
            return gr_conf_error(doc, kv, "path deeper than %d fields", GR_MAPPING_PATH_STEPS_MAX);
        c->steps[c->step_count] = strndup(p + 1, (size_t)(end - p - 1));
        if (!c->steps[c->step_count]) return gr_conf_error(doc, kv, "out of memory");
        c->step_count++;
        p = end + 1;
    }
    if (!c->step_count) return gr_conf_error(doc, kv, "\"bring\" names no [field]");
    return 0;
}

int gr_mapping_parse(gr_mapping *m, gr_conf_doc *doc, gr_conf_section *s) {
    memset(m, 0, sizeof *m);
    /* First the typed columns, in file order; then their default/optional settings. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < s->count; i++) {
            gr_conf_kv *kv = &s->entries[i];
            if (strncmp(kv->key, "column.", 7)) continue;
            const char *name = kv->key + 7, *dot = strrchr(name, '.');
            if (!dot || dot == name) return gr_conf_error(doc, kv, "expected column.NAME.TYPE");
            size_t name_len = (size_t)(dot - name);
            const char *attr = dot + 1;
            bool is_setting = !strcmp(attr, "default") || !strcmp(attr, "optional");
            if ((pass == 0) == is_setting) continue;
            kv->used = true;
            gr_map_column *c = column_named(m, name, name_len);
            if (is_setting) {
                if (!c)
                    return gr_conf_error(doc, kv, "no column.%.*s.TYPE for this setting", (int)name_len,
                                         name);
                if (!strcmp(attr, "default")) {
                    c->default_value = kv->value;
                } else if (!strcmp(kv->value, "true") || !strcmp(kv->value, "false")) {
                    c->optional = !strcmp(kv->value, "true");
                } else {
                    return gr_conf_error(doc, kv, "expected true or false");
                }
                continue;
            }
            int type = -1;
            for (int t = 0; type_names[t]; t++)
                if (!strcmp(attr, type_names[t])) type = t;
            if (type < 0)
                return gr_conf_error(doc, kv, "unknown type '%s' (timestamp, int, float, string, bool, json)",
                                     attr);
            if (c) return gr_conf_error(doc, kv, "column '%.*s' mapped twice", (int)name_len, name);
            if (m->count >= GR_MAPPING_COLUMNS_MAX)
                return gr_conf_error(doc, kv, "more than %d columns", GR_MAPPING_COLUMNS_MAX);
            c = &m->columns[m->count];
            if (name_len >= sizeof c->name) return gr_conf_error(doc, kv, "column name too long");
            memcpy(c->name, name, name_len);
            c->name[name_len] = '\0';
            if (!gr_db_identifier_ok(c->name))
                return gr_conf_error(doc, kv, "column name '%s': use letters, digits and _", c->name);
            c->type = (gr_coltype)type;
            m->names[m->count] = c->name;
            m->count++;
            if (parse_bring(c, doc, kv) < 0) return -1;
        }
    }
    if (!m->count) return gr_conf_missing(doc, s, "column.NAME.TYPE");
    return 0;
}

void gr_mapping_free(gr_mapping *m) {
    for (int i = 0; i < m->count; i++)
        for (int k = 0; k < m->columns[i].step_count; k++) free(m->columns[i].steps[k]);
    m->count = 0;
}

static bool digits(const char *s, int n) {
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

/* A timestamp text: YYYY-MM-DD, optionally followed by [T ]HH:MM[:SS[.f]] and a zone. */
static bool timestamp_text_ok(const char *s, size_t n) {
    if (n < 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' || !digits(s + 8, 2))
        return false;
    if (n == 10) return true;
    if ((s[10] != 'T' && s[10] != ' ') || n < 16 || !digits(s + 11, 2) || s[13] != ':' || !digits(s + 14, 2))
        return false;
    return strspn(s + 16, "0123456789:.+-Z ") == n - 16;
}

static const char *now_iso(gr_jdoc *doc) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char *buf = gr_arena_alloc(&doc->arena, 80);
    if (!buf) return NULL;
    snprintf(buf, 80, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
    return buf;
}

/* A default's text converted to the column's type. */
static int default_cell(const gr_map_column *c, gr_jdoc *doc, gr_dbv *out, char *why, size_t why_size) {
    const char *d = c->default_value;
    char *end;
    errno = 0;
    switch (c->type) {
    case GR_COL_INT:
        out->kind = GR_DBV_INT;
        out->i = strtoll(d, &end, 10);
        if (errno || end == d || *end) break;
        return 0;
    case GR_COL_FLOAT:
        out->kind = GR_DBV_FLOAT;
        out->f = strtod(d, &end);
        if (end == d || *end) break;
        return 0;
    case GR_COL_BOOL:
        out->kind = GR_DBV_BOOL;
        out->i = !strcmp(d, "true");
        if (strcmp(d, "true") && strcmp(d, "false")) break;
        return 0;
    case GR_COL_TIMESTAMP:
        out->kind = GR_DBV_TIMESTAMP;
        out->text = !strcmp(d, "now()") ? now_iso(doc) : d;
        if (!out->text) break;
        out->len = strlen(out->text);
        return 0;
    case GR_COL_JSON:
        out->kind = GR_DBV_JSON;
        goto text;
    default:
        out->kind = GR_DBV_TEXT;
    text:
        out->text = d;
        out->len = strlen(d);
        return 0;
    }
    snprintf(why, why_size, "column '%s': default '%s' is not a %s", c->name, d, gr_coltype_name(c->type));
    return -1;
}

static int wrong_type(const gr_map_column *c, const char *path, char *why, size_t why_size) {
    snprintf(why, why_size, "wrong type: field %s is not a %s (column '%s')", path, gr_coltype_name(c->type),
             c->name);
    return -1;
}

static int convert(const gr_map_column *c, const gr_jval *v, gr_jdoc *doc, gr_dbv *out, const char *path,
                   char *why, size_t why_size) {
    switch (c->type) {
    case GR_COL_INT:
        if (v->type != GR_JNUMBER || !v->is_integer) return wrong_type(c, path, why, why_size);
        out->kind = GR_DBV_INT;
        out->i = v->integer;
        return 0;
    case GR_COL_FLOAT:
        if (v->type != GR_JNUMBER) return wrong_type(c, path, why, why_size);
        out->kind = GR_DBV_FLOAT;
        out->f = v->number;
        return 0;
    case GR_COL_BOOL:
        if (v->type != GR_JBOOL) return wrong_type(c, path, why, why_size);
        out->kind = GR_DBV_BOOL;
        out->i = v->boolean;
        return 0;
    case GR_COL_STRING:
        if (v->type != GR_JSTRING && v->type != GR_JNUMBER) return wrong_type(c, path, why, why_size);
        out->kind = GR_DBV_TEXT;
        out->text = v->str;
        out->len = v->str_len;
        return 0;
    case GR_COL_TIMESTAMP:
        if (v->type != GR_JSTRING || !timestamp_text_ok(v->str, v->str_len))
            return wrong_type(c, path, why, why_size);
        out->kind = GR_DBV_TIMESTAMP;
        out->text = v->str;
        out->len = v->str_len;
        return 0;
    case GR_COL_JSON:
        out->kind = GR_DBV_JSON;
        out->text = gr_arena_strndup(&doc->arena, v->raw, v->raw_len);
        out->len = v->raw_len;
        if (!out->text) {
            snprintf(why, why_size, "out of memory");
            return -1;
        }
        return 0;
    }
    return wrong_type(c, path, why, why_size);
}

int gr_mapping_apply(const gr_mapping *m, gr_jdoc *doc, gr_dbv *row, char *why, size_t why_size) {
    for (int i = 0; i < m->count; i++) {
        const gr_map_column *c = &m->columns[i];
        const gr_jval *v = doc->root;
        char path[256] = "";
        for (int k = 0; k < c->step_count && v; k++) {
            size_t l = strlen(path);
            snprintf(path + l, sizeof path - l, "[%s]", c->steps[k]);
            v = gr_jval_member(v, c->steps[k], strlen(c->steps[k]));
        }
        memset(&row[i], 0, sizeof row[i]);
        if (!v || v->type == GR_JNULL) {
            if (c->default_value) {
                if (default_cell(c, doc, &row[i], why, why_size) < 0) return -1;
                continue;
            }
            if (c->optional) continue;
            snprintf(why, why_size, "missing required field %s (column '%s')", path, c->name);
            return -1;
        }
        if (convert(c, v, doc, &row[i], path, why, why_size) < 0) return -1;
    }
    return 0;
}
