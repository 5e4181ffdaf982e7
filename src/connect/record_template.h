/*
 * record_template.h: output metadata computed from an input record's metadata.
 *
 * A pipeline sets its output key and extra headers with small templates: literal text with
 * fields of the input record in braces,
 *
 *     output.key = "{key}"                  carry the key (the default)
 *     header.origin = "{topic}/{partition}@{offset}"
 *
 * Fields: {key} {topic} {partition} {offset} {timestamp}; "{{" and "}}" stand for braces.
 * Templates are parsed when the file is read, so a bad one stops the run with file, line, key.
 */
#ifndef GREGOR_CONNECT_RECORD_TEMPLATE_H
#define GREGOR_CONNECT_RECORD_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define GR_TEMPLATE_PARTS_MAX 32

typedef enum gr_tfield {
    GR_TF_TEXT,
    GR_TF_KEY,
    GR_TF_TOPIC,
    GR_TF_PARTITION,
    GR_TF_OFFSET,
    GR_TF_TIMESTAMP
} gr_tfield;

typedef struct gr_tpart {
    gr_tfield field;
    size_t start, len; /* GR_TF_TEXT: a range of the template's text */
} gr_tpart;

typedef struct gr_template {
    char *text; /* the unescaped literal text the parts point into */
    gr_tpart parts[GR_TEMPLATE_PARTS_MAX];
    int count;
} gr_template;

/* The metadata of one input record, as fields for templates. */
typedef struct gr_record_meta {
    const void *key; /* NULL: the record has no key */
    size_t key_len;
    const char *topic;
    int32_t partition;
    int64_t offset;
    int64_t timestamp_ms; /* -1 when unknown */
} gr_record_meta;

/* Parses `src`; returns 0, or -1 with a reason in `why`. Free with gr_template_free. */
int gr_template_parse(gr_template *t, const char *src, char *why, size_t why_size);
void gr_template_free(gr_template *t);
/* Appends the template's expansion for `m` to `out`. */
void gr_template_expand(const gr_template *t, const gr_record_meta *m, gr_buf *out);

#endif
