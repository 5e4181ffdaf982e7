/*
 * arena.h: a bump allocator for memory that lives as long as one request.
 *
 * Decoded requests (arrays of topics, partitions, ...) are carved from an
 * arena and freed in one go when the response is queued. A hard cap keeps
 * one hostile request from taking the broker's memory.
 */
#ifndef GREGOR_BASE_ARENA_H
#define GREGOR_BASE_ARENA_H

#include <stddef.h>

typedef struct gr_arena_block gr_arena_block;

typedef struct gr_arena {
    gr_arena_block *head;
    size_t used_bytes;
    size_t limit_bytes; /* 0 = GR_ARENA_DEFAULT_LIMIT_BYTES */
} gr_arena;

void gr_arena_init(gr_arena *a, size_t limit_bytes);
/* Zeroed, 16-byte aligned memory, or NULL when the cap is reached or malloc fails. */
void *gr_arena_alloc(gr_arena *a, size_t n);
void *gr_arena_calloc(gr_arena *a, size_t count, size_t size); /* overflow-checked */
char *gr_arena_strndup(gr_arena *a, const char *s, size_t n);
void gr_arena_free(gr_arena *a);

#endif
