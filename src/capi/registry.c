/*
 * registry.c: handle table (see registry.h).
 *
 * This table is the library's only global mutable state: a handle has to be checked against
 * something that outlives the object it names, and one process-wide table behind one mutex is
 * the smallest such thing. It needs no init call (static initializers) and holds no client
 * state; every producer, consumer and config lives in its own object.
 */
#include "capi/registry.h"

#include <pthread.h>
#include <stddef.h>

#include "capi/gregor_client.h"

#define SLOT_BITS 16
#define SLOT_MASK ((int64_t)((1 << SLOT_BITS) - 1))
#define GENERATION_MAX ((int64_t)1 << 40)

typedef struct {
    void *object;
    gr_capi_destroy_fn destroy;
    gr_capi_kind kind;
    int64_t generation; /* of the live object, or of the next one when free */
    int references;     /* calls in progress */
    int closing;        /* gr_capi_close is waiting for references to drop */
} slot;

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t references_dropped = PTHREAD_COND_INITIALIZER;
static slot slots[GR_CAPI_HANDLES_MAX];
_Static_assert(GR_CAPI_HANDLES_MAX <= (1 << SLOT_BITS) - 1, "slot index must fit in SLOT_BITS");

static int64_t handle_of(size_t index, int64_t generation) {
    return (generation << SLOT_BITS) | (int64_t)(index + 1);
}

/* The slot a handle names if it is live and not closing; table_lock held. */
static slot *find(int64_t handle) {
    if (handle <= 0) return NULL;
    int64_t index = (handle & SLOT_MASK) - 1;
    if (index < 0 || index >= GR_CAPI_HANDLES_MAX) return NULL;
    slot *s = &slots[index];
    if (!s->object || s->closing || handle_of((size_t)index, s->generation) != handle) return NULL;
    return s;
}

int32_t gr_capi_register(gr_capi_kind kind, void *object, gr_capi_destroy_fn destroy, int64_t *handle_out) {
    pthread_mutex_lock(&table_lock);
    for (size_t i = 0; i < GR_CAPI_HANDLES_MAX; i++) {
        slot *s = &slots[i];
        if (s->object || s->generation >= GENERATION_MAX) continue;
        if (s->generation == 0) s->generation = 1; /* so no handle is ever 0 or below */
        s->object = object;
        s->destroy = destroy;
        s->kind = kind;
        s->references = 0;
        s->closing = 0;
        *handle_out = handle_of(i, s->generation);
        pthread_mutex_unlock(&table_lock);
        return GREGOR_OK;
    }
    pthread_mutex_unlock(&table_lock);
    destroy(object);
    return GREGOR_ERR_TOO_MANY_HANDLES;
}

void *gr_capi_acquire(int64_t handle, gr_capi_kind kind) {
    pthread_mutex_lock(&table_lock);
    slot *s = find(handle);
    void *object = NULL;
    if (s && s->kind == kind) {
        s->references++;
        object = s->object;
    }
    pthread_mutex_unlock(&table_lock);
    return object;
}

void gr_capi_release(int64_t handle) {
    pthread_mutex_lock(&table_lock);
    int64_t index = (handle & SLOT_MASK) - 1;
    if (index >= 0 && index < GR_CAPI_HANDLES_MAX) {
        slot *s = &slots[index];
        if (s->references > 0 && --s->references == 0 && s->closing)
            pthread_cond_broadcast(&references_dropped);
    }
    pthread_mutex_unlock(&table_lock);
}

int32_t gregor_close(int64_t handle) {
    pthread_mutex_lock(&table_lock);
    slot *s = find(handle);
    if (!s) {
        pthread_mutex_unlock(&table_lock);
        return GREGOR_ERR_BAD_HANDLE;
    }
    s->closing = 1; /* new lookups fail from here on */
    while (s->references > 0) pthread_cond_wait(&references_dropped, &table_lock);
    void *object = s->object;
    gr_capi_destroy_fn destroy = s->destroy;
    pthread_mutex_unlock(&table_lock);

    destroy(object); /* outside the lock: destroying a consumer can take a while */

    pthread_mutex_lock(&table_lock);
    s->object = NULL;
    s->closing = 0;
    s->generation++;
    pthread_mutex_unlock(&table_lock);
    return GREGOR_OK;
}
