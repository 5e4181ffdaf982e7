/*
 * json_reader.h: reading values out of a small JSON document without building a tree.
 *
 * ZooKeeper holds Kafka's state as short JSON documents (a broker's registration, a partition's
 * leader and ISR). Those bytes come from whoever can write to ZooKeeper, so they are untrusted:
 * every step checks the end of the buffer, nesting is capped at GR_JSON_READER_DEPTH_MAX, and a
 * malformed document is an error, never a read past the end. A value is a typed range of the
 * document (gr_json_value); objects are searched by key and arrays walked element by element,
 * each time re-scanning from the start of the range, which is cheap for documents of a few KB.
 */
#ifndef GREGOR_BASE_JSON_READER_H
#define GREGOR_BASE_JSON_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GR_JSON_READER_DEPTH_MAX 32

typedef enum gr_json_type {
    GR_JSON_NULL,
    GR_JSON_BOOL,
    GR_JSON_NUMBER,
    GR_JSON_STRING,
    GR_JSON_ARRAY,
    GR_JSON_OBJECT
} gr_json_type;

/* One value: ptr/len cover its text (a string with its quotes, an object with its braces). */
typedef struct gr_json_value {
    gr_json_type type;
    const char *ptr;
    size_t len;
} gr_json_value;

/* Checks that the whole document is one well-formed JSON value (surrounded by optional
 * white space) and returns it; false when it is not. */
bool gr_json_parse(const char *doc, size_t len, gr_json_value *out);

/* The member `key` of an object (the first one when repeated); false when absent or when
 * `obj` is not an object. */
bool gr_json_member(const gr_json_value *obj, const char *key, gr_json_value *out);

/* The element at `index` of an array; false past the end or when `arr` is not an array. */
bool gr_json_element(const gr_json_value *arr, size_t index, gr_json_value *out);

/* The number of elements of an array, or members of an object (0 for other values). */
size_t gr_json_count(const gr_json_value *v);

/* The key of member `index` of an object, as a string value; false past the end. */
bool gr_json_member_at(const gr_json_value *obj, size_t index, gr_json_value *key, gr_json_value *value);

/* Copies a string value, unescaped (\uXXXX as UTF-8, surrogate pairs joined), NUL-terminated.
 * False when `v` is not a string, holds a NUL, or does not fit in `cap` bytes with its NUL. */
bool gr_json_string(const gr_json_value *v, char *out, size_t cap);

/* True when `v` is a string equal to `s` after unescaping. */
bool gr_json_string_equals(const gr_json_value *v, const char *s);

/* An integer number within int64 (no fraction or exponent); false otherwise. */
bool gr_json_int(const gr_json_value *v, int64_t *out);

#endif
