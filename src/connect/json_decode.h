/*
 * json_decode.h: a JSON decoder for record values, which are untrusted bytes.
 *
 * gr_jdoc_parse() turns one JSON text (RFC 8259) into a tree of gr_jval nodes that live in the
 * document's arena and die with gr_jdoc_free(). Every read is bounds-checked against the input
 * length, nesting is capped at GR_JSON_NESTING_MAX, and the first error stops the parse with a
 * reason and the byte offset where it happened. Strings are decoded (escapes, surrogate pairs)
 * and must be valid UTF-8; numbers keep their text so integers too big for a double stay exact.
 */
#ifndef GREGOR_CONNECT_JSON_DECODE_H
#define GREGOR_CONNECT_JSON_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"

#define GR_JSON_NESTING_MAX 64
#define GR_JSON_INPUT_BYTES_MAX ((size_t)64 * 1024 * 1024)
/* Nodes take more room than their text: a cap well above what any input can need. */
#define GR_JSON_ARENA_BYTES_MAX ((size_t)1024 * 1024 * 1024)

typedef enum gr_jtype { GR_JNULL, GR_JBOOL, GR_JNUMBER, GR_JSTRING, GR_JARRAY, GR_JOBJECT } gr_jtype;

typedef struct gr_jval {
    gr_jtype type;
    bool boolean;
    bool is_integer; /* a number without fraction or exponent that fits int64 */
    int64_t integer; /* when is_integer */
    double number;   /* every number */
    const char *str; /* decoded string (NUL-terminated), or a number's text */
    size_t str_len;
    const char *key; /* member name when inside an object, else NULL */
    size_t key_len;
    const char *raw; /* the value's bytes in the input (for json columns) */
    size_t raw_len;
    struct gr_jval *first_child; /* array elements or object members, in order */
    struct gr_jval *next;
    size_t child_count;
} gr_jval;

typedef struct gr_jdoc {
    gr_jval *root;
    char error[128]; /* why parsing failed, with the byte offset */
    gr_arena arena;  /* every node and decoded string */
} gr_jdoc;

/* Returns 0 with doc->root set, or -1 with doc->error. Free with gr_jdoc_free in both cases. */
int gr_jdoc_parse(gr_jdoc *doc, const char *text, size_t len);
void gr_jdoc_free(gr_jdoc *doc);

/* Member of an object by name (first match), or NULL; NULL when `obj` is not an object. */
const gr_jval *gr_jval_member(const gr_jval *obj, const char *name, size_t name_len);
/* Element `index` of an array, or NULL. */
const gr_jval *gr_jval_element(const gr_jval *arr, size_t index);

#endif
