/*
 * json.h: a streaming JSON writer for --json output and `consume --format json`.
 *
 * The writer keeps only a small nesting stack (to place commas), so it prints records as they come
 * without building a document in memory. Strings are escaped per RFC 8259: quote, backslash and
 * control characters get escapes, everything else passes through. Record keys, values and header
 * values are bytes, not text: gr_json_bytes_field() writes them as a JSON string when they are
 * valid UTF-8 and otherwise as base64 with a sibling field "<name>_encoding": "base64".
 */
#ifndef GREGOR_CLI_JSON_H
#define GREGOR_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GR_JSON_DEPTH_MAX 32

typedef struct gr_json {
    FILE *out;
    int depth;
    bool need_comma[GR_JSON_DEPTH_MAX];
    bool after_key;
} gr_json;

void gr_json_init(gr_json *j, FILE *out);
void gr_json_obj_begin(gr_json *j);
void gr_json_obj_end(gr_json *j);
void gr_json_arr_begin(gr_json *j);
void gr_json_arr_end(gr_json *j);
void gr_json_key(gr_json *j, const char *key);
void gr_json_str(gr_json *j, const char *s); /* NULL writes null */
void gr_json_strn(gr_json *j, const char *s, size_t len);
void gr_json_i64(gr_json *j, int64_t v);
void gr_json_f64(gr_json *j, double v); /* non-finite values write null */
void gr_json_bool(gr_json *j, bool v);
void gr_json_null(gr_json *j);
/* Ends a top-level value with a newline (one JSON document per line). */
void gr_json_newline(gr_json *j);

/* Shorthands: key and value in one call. */
void gr_json_kstr(gr_json *j, const char *key, const char *s);
void gr_json_ki64(gr_json *j, const char *key, int64_t v);
void gr_json_kf64(gr_json *j, const char *key, double v);
void gr_json_kbool(gr_json *j, const char *key, bool v);
/* "name": text or base64 (plus "name_encoding": "base64"); NULL data writes null. */
void gr_json_bytes_field(gr_json *j, const char *name, const void *data, size_t len);

/* Escapes `len` bytes as the inside of a JSON string (no quotes). */
void gr_json_escape(FILE *out, const char *s, size_t len);
bool gr_utf8_valid(const uint8_t *s, size_t len);
void gr_base64_write(FILE *out, const uint8_t *s, size_t len);

#endif
