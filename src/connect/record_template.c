/* record_template.c: parsing and expansion of output metadata templates (record_template.h). */
#include "connect/record_template.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    gr_tfield field;
} fields[] = {{"key", GR_TF_KEY},
              {"topic", GR_TF_TOPIC},
              {"partition", GR_TF_PARTITION},
              {"offset", GR_TF_OFFSET},
              {"timestamp", GR_TF_TIMESTAMP}};

static int add_part(gr_template *t, gr_tfield field, size_t start, size_t len, char *why, size_t why_size) {
    if (field == GR_TF_TEXT && !len) return 0;
    if (field == GR_TF_TEXT && t->count && t->parts[t->count - 1].field == GR_TF_TEXT) {
        t->parts[t->count - 1].len += len; /* literal text stays contiguous in t->text */
        return 0;
    }
    if (t->count >= GR_TEMPLATE_PARTS_MAX) {
        snprintf(why, why_size, "more than %d parts", GR_TEMPLATE_PARTS_MAX);
        return -1;
    }
    t->parts[t->count++] = (gr_tpart){field, start, len};
    return 0;
}

static int parse_parts(gr_template *t, const char *src, char *why, size_t why_size) {
    size_t n = strlen(src), o = 0;
    for (size_t i = 0; i < n;) {
        if ((src[i] == '{' || src[i] == '}') && i + 1 < n && src[i + 1] == src[i]) {
            t->text[o] = src[i];
            if (add_part(t, GR_TF_TEXT, o++, 1, why, why_size) < 0) return -1;
            i += 2;
        } else if (src[i] == '{') {
            const char *close = memchr(src + i, '}', n - i);
            if (!close) {
                snprintf(why, why_size, "'{' without '}' at character %zu", i + 1);
                return -1;
            }
            size_t len = (size_t)(close - (src + i + 1));
            size_t f = 0;
            while (f < sizeof fields / sizeof fields[0] &&
                   (strlen(fields[f].name) != len || memcmp(fields[f].name, src + i + 1, len)))
                f++;
            if (f == sizeof fields / sizeof fields[0]) {
                snprintf(why, why_size, "unknown field '{%.*s}' (key, topic, partition, offset, timestamp)",
                         (int)(len > 64 ? 64 : len), src + i + 1);
                return -1;
            }
            if (add_part(t, fields[f].field, 0, 0, why, why_size) < 0) return -1;
            i += len + 2;
        } else if (src[i] == '}') {
            snprintf(why, why_size, "'}' without '{' at character %zu (write '}}')", i + 1);
            return -1;
        } else {
            t->text[o] = src[i++];
            if (add_part(t, GR_TF_TEXT, o++, 1, why, why_size) < 0) return -1;
        }
    }
    t->text[o] = '\0';
    return 0;
}

int gr_template_parse(gr_template *t, const char *src, char *why, size_t why_size) {
    memset(t, 0, sizeof *t);
    t->text = malloc(strlen(src) + 1);
    if (!t->text) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    if (parse_parts(t, src, why, why_size) == 0) return 0;
    gr_template_free(t);
    return -1;
}

void gr_template_free(gr_template *t) {
    free(t->text);
    t->text = NULL;
    t->count = 0;
}

static void put_i64(gr_buf *out, int64_t v) {
    char num[24];
    int len = snprintf(num, sizeof num, "%" PRId64, v);
    gr_buf_put(out, num, (size_t)len);
}

void gr_template_expand(const gr_template *t, const gr_record_meta *m, gr_buf *out) {
    for (int i = 0; i < t->count; i++) {
        const gr_tpart *p = &t->parts[i];
        switch (p->field) {
        case GR_TF_TEXT:
            gr_buf_put(out, t->text + p->start, p->len);
            break;
        case GR_TF_KEY:
            if (m->key) gr_buf_put(out, m->key, m->key_len);
            break;
        case GR_TF_TOPIC:
            gr_buf_put(out, m->topic, strlen(m->topic));
            break;
        case GR_TF_PARTITION:
            put_i64(out, m->partition);
            break;
        case GR_TF_OFFSET:
            put_i64(out, m->offset);
            break;
        case GR_TF_TIMESTAMP:
            put_i64(out, m->timestamp_ms);
            break;
        }
    }
}
