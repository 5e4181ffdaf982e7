/*
 * fuzz_connect_json.c: the record JSON decoder (src/connect/json_decode.c) on arbitrary bytes.
 * Checks that every node's raw span lies inside the input and that member lookup terminates.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connect/json_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const gr_jval *v, const char *base, size_t size, int depth) {
    assert(depth <= GR_JSON_NESTING_MAX + 1);
    assert(v->raw >= base && v->raw + v->raw_len <= base + size);
    size_t n = 0;
    for (const gr_jval *c = v->first_child; c; c = c->next) {
        check(c, base, size, depth + 1);
        n++;
    }
    assert(n == v->child_count);
    if (v->type == GR_JOBJECT && v->first_child)
        assert(gr_jval_member(v, v->first_child->key, v->first_child->key_len) == v->first_child);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* A copy of exactly `size` bytes, so reading one past the end is caught. */
    char *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    gr_jdoc doc;
    if (gr_jdoc_parse(&doc, copy, size) == 0) check(doc.root, copy, size, 0);
    gr_jdoc_free(&doc);
    free(copy);
    return 0;
}
