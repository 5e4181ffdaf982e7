/*
 * registry.h: the table that turns int64 handles into objects, so that a NULL, forged or stale
 * handle from a foreign caller is an error code instead of a wild pointer.
 *
 * A handle is (generation << 16) | (slot + 1). A slot's generation grows each time it is freed,
 * so an old id never matches again. Lookups take a reference; gr_capi_close waits until every
 * reference is dropped before it destroys the object, so a close racing a call is safe.
 */
#ifndef GREGOR_CAPI_REGISTRY_H
#define GREGOR_CAPI_REGISTRY_H

#include <stdint.h>

#define GR_CAPI_HANDLES_MAX 4096

typedef enum {
    GR_CAPI_KIND_CONFIG = 1,
    GR_CAPI_KIND_PRODUCER,
    GR_CAPI_KIND_CONSUMER,
    GR_CAPI_KIND_ADMIN,
} gr_capi_kind;

typedef void (*gr_capi_destroy_fn)(void *object);

/* Stores object (takes ownership) and returns GREGOR_OK with its handle in *handle_out. On error
 * the object is destroyed with destroy. */
int32_t gr_capi_register(gr_capi_kind kind, void *object, gr_capi_destroy_fn destroy, int64_t *handle_out);

/* The object behind handle if it is live and of this kind (NULL otherwise), with a reference
 * that gr_capi_release must drop. */
void *gr_capi_acquire(int64_t handle, gr_capi_kind kind);
void gr_capi_release(int64_t handle);

#endif
