/* arena.c: bump allocation in chained blocks (see arena.h). */
#include "base/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"

struct gr_arena_block {
    gr_arena_block *next;
    size_t used;
    size_t cap;
    _Alignas(16) unsigned char mem[];
};

#define ARENA_BLOCK_BYTES 8192u

void gr_arena_init(gr_arena *a, size_t limit_bytes) {
    a->head = NULL;
    a->used_bytes = 0;
    a->limit_bytes = limit_bytes ? limit_bytes : GR_ARENA_DEFAULT_LIMIT_BYTES;
}

void *gr_arena_alloc(gr_arena *a, size_t n) {
    if (n == 0) n = 1;
    if (n > a->limit_bytes) return NULL;
    size_t rounded = (n + 15u) & ~(size_t)15u;
    gr_arena_block *b = a->head;
    if (!b || b->cap - b->used < rounded) {
        size_t cap = rounded > ARENA_BLOCK_BYTES ? rounded : ARENA_BLOCK_BYTES;
        if (a->used_bytes + cap > a->limit_bytes) return NULL;
        b = malloc(sizeof *b + cap);
        if (!b) return NULL;
        b->cap = cap;
        b->used = 0;
        b->next = a->head;
        a->head = b;
        a->used_bytes += cap;
    }
    void *p = b->mem + b->used;
    b->used += rounded;
    memset(p, 0, n);
    return p;
}

void *gr_arena_calloc(gr_arena *a, size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) return NULL;
    return gr_arena_alloc(a, count * size);
}

char *gr_arena_strndup(gr_arena *a, const char *s, size_t n) {
    char *p = gr_arena_alloc(a, n + 1);
    if (p && n) memcpy(p, s, n);
    return p;
}

void gr_arena_free(gr_arena *a) {
    gr_arena_block *b = a->head;
    while (b) {
        gr_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
    a->used_bytes = 0;
}
