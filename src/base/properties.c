/* properties.c: reading and writing .properties files (see properties.h). */
#include "base/properties.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PROPERTIES_FILE_MAX_BYTES (16 * 1024 * 1024)

void gr_properties_init(gr_properties *p) { memset(p, 0, sizeof *p); }

void gr_properties_free(gr_properties *p) {
    for (size_t i = 0; i < p->count; i++) {
        free(p->items[i].key);
        free(p->items[i].value);
    }
    free(p->items);
    memset(p, 0, sizeof *p);
}

const char *gr_properties_get(const gr_properties *p, const char *key) {
    for (size_t i = 0; i < p->count; i++)
        if (!strcmp(p->items[i].key, key)) return p->items[i].value;
    return NULL;
}

bool gr_properties_set(gr_properties *p, const char *key, const char *value) {
    char *v = strdup(value);
    if (!v) return false;
    for (size_t i = 0; i < p->count; i++) {
        if (!strcmp(p->items[i].key, key)) {
            free(p->items[i].value);
            p->items[i].value = v;
            return true;
        }
    }
    if (p->count == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        gr_property *items = realloc(p->items, cap * sizeof *items);
        if (!items) {
            free(v);
            return false;
        }
        p->items = items;
        p->cap = cap;
    }
    char *k = strdup(key);
    if (!k) {
        free(v);
        return false;
    }
    p->items[p->count++] = (gr_property){k, v};
    return true;
}

bool gr_properties_remove(gr_properties *p, const char *key) {
    for (size_t i = 0; i < p->count; i++) {
        if (!strcmp(p->items[i].key, key)) {
            free(p->items[i].key);
            free(p->items[i].value);
            p->items[i] = p->items[--p->count];
            return true;
        }
    }
    return false;
}

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

int gr_properties_parse(gr_properties *p, const char *text) {
    char *copy = strdup(text);
    if (!copy) return -1;
    int lineno = 0, rc = 0;
    char *save = NULL;
    /* Join continuation lines in place: a trailing backslash glues the next line on. */
    for (char *c = copy; *c; c++) {
        if (c[0] == '\\' && c[1] == '\n') {
            c[0] = ' ';
            c[1] = ' ';
        }
    }
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *s = trim(line);
        if (!*s || *s == '#' || *s == '!') continue;
        char *sep = s + strcspn(s, "=:");
        if (!*sep) {
            rc = lineno;
            break;
        }
        *sep = '\0';
        char *key = trim(s), *value = trim(sep + 1);
        if (!*key) {
            rc = lineno;
            break;
        }
        if (!gr_properties_set(p, key, value)) {
            rc = -1;
            break;
        }
    }
    free(copy);
    return rc;
}

int gr_properties_load(gr_properties *p, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char *text = malloc(PROPERTIES_FILE_MAX_BYTES + 1);
    if (!text) {
        fclose(f);
        return -1;
    }
    size_t n = fread(text, 1, PROPERTIES_FILE_MAX_BYTES, f);
    fclose(f);
    text[n] = '\0';
    int rc = gr_properties_parse(p, text);
    free(text);
    return rc;
}

int gr_properties_save(const gr_properties *p, const char *path) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return -1;
    }
    for (size_t i = 0; i < p->count; i++) fprintf(f, "%s=%s\n", p->items[i].key, p->items[i].value);
    int ok = fflush(f) == 0 && fdatasync(fd) == 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}
