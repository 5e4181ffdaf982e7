/*
 * config_file.c: line parser and accessors of the connector file format (config_file.h).
 *
 * The parser reads the text line by line with explicit lengths (the text need not end with a NUL
 * or a newline); a line longer than GR_CONF_LINE_BYTES_MAX, a bad key, a bad quote or a duplicate
 * key ends the parse with the file and line.
 */
#include "connect/config_file.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_error(gr_conf_doc *doc, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int parse_error(gr_conf_doc *doc, int line, const char *fmt, ...) {
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(doc->error, sizeof doc->error, "%s:%d: %s", doc->path, line, msg);
    return -1;
}

static bool key_char(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' ||
           ch == '_' || ch == '-';
}

static char *dup_range(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static bool is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\r'; }

/* Parses a quoted value from s[*i] (the opening quote) into a new string. */
static char *parse_quoted(gr_conf_doc *doc, int line, const char *s, size_t n, size_t *i) {
    char *out = malloc(n + 1);
    if (!out) return NULL;
    size_t o = 0, p = *i + 1;
    for (;;) {
        if (p >= n) {
            free(out);
            parse_error(doc, line, "unterminated string");
            return NULL;
        }
        char ch = s[p++];
        if (ch == '"') break;
        if (ch == '\\') {
            if (p >= n) continue;
            char e = s[p++];
            ch = e == 'n' ? '\n' : e == 't' ? '\t' : e == '"' ? '"' : e == '\\' ? '\\' : 0;
            if (!ch) {
                free(out);
                parse_error(doc, line, "unknown escape '\\%c'", e);
                return NULL;
            }
        }
        out[o++] = ch;
    }
    out[o] = '\0';
    *i = p;
    return out;
}

static int add_entry(gr_conf_doc *doc, gr_conf_section *sec, char *key, char *value, int line) {
    for (int i = 0; i < sec->count; i++) {
        if (!strcmp(sec->entries[i].key, key)) {
            int first = sec->entries[i].line;
            parse_error(doc, line, "key '%s': set twice (first on line %d)", key, first);
            free(key);
            free(value);
            return -1;
        }
    }
    int total = 0;
    for (int i = 0; i < doc->section_count; i++) total += doc->sections[i].count;
    if (total >= GR_CONF_ENTRIES_MAX) {
        free(key);
        free(value);
        return parse_error(doc, line, "too many entries (limit %d)", GR_CONF_ENTRIES_MAX);
    }
    if (sec->count == sec->cap) {
        int cap = sec->cap ? sec->cap * 2 : 16;
        gr_conf_kv *e = realloc(sec->entries, (size_t)cap * sizeof *e);
        if (!e) {
            free(key);
            free(value);
            return parse_error(doc, line, "out of memory");
        }
        sec->entries = e;
        sec->cap = cap;
    }
    sec->entries[sec->count++] = (gr_conf_kv){key, value, line, false};
    return 0;
}

static int parse_section_header(gr_conf_doc *doc, int line, const char *s, size_t n) {
    /* s[0] == '[' */
    size_t close = 1;
    while (close < n && s[close] != ']') close++;
    if (close >= n) return parse_error(doc, line, "section header without ']'");
    for (size_t k = close + 1; k < n; k++) {
        if (s[k] == '#') break;
        if (!is_space(s[k])) return parse_error(doc, line, "text after the section header");
    }
    size_t p = 1;
    while (p < close && is_space(s[p])) p++;
    size_t kind_start = p;
    while (p < close && key_char(s[p])) p++;
    size_t kind_len = p - kind_start;
    while (p < close && is_space(s[p])) p++;
    size_t name_start = p;
    while (p < close && key_char(s[p])) p++;
    size_t name_len = p - name_start;
    while (p < close && is_space(s[p])) p++;
    if (!kind_len || !name_len || p != close)
        return parse_error(doc, line, "section header must be [KIND NAME], e.g. [sink orders]");
    if (doc->section_count >= GR_CONF_SECTIONS_MAX)
        return parse_error(doc, line, "too many sections (limit %d)", GR_CONF_SECTIONS_MAX);
    for (int i = 1; i < doc->section_count; i++) {
        if (strlen(doc->sections[i].name) == name_len &&
            !memcmp(doc->sections[i].name, s + name_start, name_len))
            return parse_error(doc, line, "section name '%.*s' used twice (first on line %d)", (int)name_len,
                               s + name_start, doc->sections[i].line);
    }
    gr_conf_section *sec = &doc->sections[doc->section_count];
    memset(sec, 0, sizeof *sec);
    sec->kind = dup_range(s + kind_start, kind_len);
    sec->name = dup_range(s + name_start, name_len);
    sec->line = line;
    doc->section_count++;
    if (!sec->kind || !sec->name) return parse_error(doc, line, "out of memory");
    return 0;
}

static int parse_line(gr_conf_doc *doc, int line, const char *s, size_t n) {
    size_t i = 0;
    while (i < n && is_space(s[i])) i++;
    if (i == n || s[i] == '#') return 0;
    if (s[i] == '[') return parse_section_header(doc, line, s + i, n - i);
    size_t key_start = i;
    while (i < n && key_char(s[i])) i++;
    size_t key_len = i - key_start;
    if (!key_len) return parse_error(doc, line, "expected a key (letters, digits, '.', '_', '-')");
    while (i < n && is_space(s[i])) i++;
    if (i >= n || s[i] != '=')
        return parse_error(doc, line, "key '%.*s': expected '='", (int)key_len, s + key_start);
    i++;
    while (i < n && is_space(s[i])) i++;
    char *value;
    if (i < n && s[i] == '"') {
        value = parse_quoted(doc, line, s, n, &i);
        if (!value) return -1;
        while (i < n && is_space(s[i])) i++;
        if (i < n && s[i] != '#') {
            free(value);
            return parse_error(doc, line, "key '%.*s': text after the closing quote", (int)key_len,
                               s + key_start);
        }
    } else {
        size_t v_start = i;
        while (i < n && s[i] != '#') i++;
        size_t v_end = i;
        while (v_end > v_start && is_space(s[v_end - 1])) v_end--;
        if (v_end == v_start)
            return parse_error(doc, line, "key '%.*s': missing value", (int)key_len, s + key_start);
        value = dup_range(s + v_start, v_end - v_start);
    }
    char *key = dup_range(s + key_start, key_len);
    if (!key || !value) {
        free(key);
        free(value);
        return parse_error(doc, line, "out of memory");
    }
    return add_entry(doc, &doc->sections[doc->section_count - 1], key, value, line);
}

int gr_conf_parse(gr_conf_doc *doc, const char *path, const char *text, size_t len) {
    memset(doc, 0, sizeof *doc);
    doc->path = path;
    doc->section_count = 1; /* the file-level section */
    if (len > GR_CONF_FILE_BYTES_MAX)
        return parse_error(doc, 0, "file larger than %zu bytes", GR_CONF_FILE_BYTES_MAX);
    size_t pos = 0;
    for (int line = 1; pos < len; line++) {
        size_t end = pos;
        while (end < len && text[end] != '\n') end++;
        if (end - pos > GR_CONF_LINE_BYTES_MAX)
            return parse_error(doc, line, "line longer than %d bytes", GR_CONF_LINE_BYTES_MAX);
        if (memchr(text + pos, '\0', end - pos)) return parse_error(doc, line, "NUL byte in the line");
        if (parse_line(doc, line, text + pos, end - pos) < 0) return -1;
        pos = end + 1;
    }
    return 0;
}

int gr_conf_load(gr_conf_doc *doc, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        memset(doc, 0, sizeof *doc);
        doc->path = path;
        snprintf(doc->error, sizeof doc->error, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = malloc(GR_CONF_FILE_BYTES_MAX + 1);
    size_t n = buf ? fread(buf, 1, GR_CONF_FILE_BYTES_MAX + 1, f) : 0;
    fclose(f);
    if (!buf) {
        memset(doc, 0, sizeof *doc);
        snprintf(doc->error, sizeof doc->error, "%s: out of memory", path);
        return -1;
    }
    int rc = gr_conf_parse(doc, path, buf, n);
    free(buf);
    return rc;
}

void gr_conf_free(gr_conf_doc *doc) {
    for (int i = 0; i < doc->section_count; i++) {
        gr_conf_section *s = &doc->sections[i];
        for (int k = 0; k < s->count; k++) {
            free(s->entries[k].key);
            free(s->entries[k].value);
        }
        free(s->entries);
        free(s->kind);
        free(s->name);
    }
    doc->section_count = 0;
}

const gr_conf_kv *gr_conf_find(gr_conf_section *s, const char *key) {
    for (int i = 0; i < s->count; i++) {
        if (!strcmp(s->entries[i].key, key)) {
            s->entries[i].used = true;
            return &s->entries[i];
        }
    }
    return NULL;
}

const char *gr_conf_str(gr_conf_section *s, const char *key, const char *fallback) {
    const gr_conf_kv *kv = gr_conf_find(s, key);
    return kv ? kv->value : fallback;
}

int gr_conf_error(gr_conf_doc *doc, const gr_conf_kv *kv, const char *fmt, ...) {
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(doc->error, sizeof doc->error, "%s:%d: key '%s': %s", doc->path, kv->line, kv->key, msg);
    return -1;
}

int gr_conf_missing(gr_conf_doc *doc, const gr_conf_section *s, const char *key) {
    snprintf(doc->error, sizeof doc->error, "%s:%d: key '%s': missing in [%s %s]", doc->path, s->line, key,
             s->kind ? s->kind : "", s->name ? s->name : "");
    return -1;
}

int gr_conf_i64(gr_conf_doc *doc, gr_conf_section *s, const char *key, int64_t fallback, int64_t min,
                int64_t max, int64_t *out) {
    const gr_conf_kv *kv = gr_conf_find(s, key);
    if (!kv) {
        *out = fallback;
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(kv->value, &end, 10);
    if (errno || end == kv->value || *end || v < min || v > max)
        return gr_conf_error(doc, kv, "expected a whole number from %lld to %lld, got '%s'", (long long)min,
                             (long long)max, kv->value);
    *out = v;
    return 0;
}

int gr_conf_bool(gr_conf_doc *doc, gr_conf_section *s, const char *key, bool fallback, bool *out) {
    const gr_conf_kv *kv = gr_conf_find(s, key);
    if (!kv) {
        *out = fallback;
        return 0;
    }
    if (!strcmp(kv->value, "true")) {
        *out = true;
    } else if (!strcmp(kv->value, "false")) {
        *out = false;
    } else {
        return gr_conf_error(doc, kv, "expected true or false, got '%s'", kv->value);
    }
    return 0;
}

int gr_conf_choice(gr_conf_doc *doc, gr_conf_section *s, const char *key, const char *const *choices,
                   int fallback) {
    const gr_conf_kv *kv = gr_conf_find(s, key);
    if (!kv) return fallback;
    char list[256] = "";
    for (int i = 0; choices[i]; i++) {
        if (!strcmp(kv->value, choices[i])) return i;
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", choices[i]);
    }
    gr_conf_error(doc, kv, "expected one of %s, got '%s'", list, kv->value);
    return -1;
}

int gr_conf_check_unused(gr_conf_doc *doc, gr_conf_section *s) {
    for (int i = 0; i < s->count; i++)
        if (!s->entries[i].used) return gr_conf_error(doc, &s->entries[i], "unknown key");
    return 0;
}
