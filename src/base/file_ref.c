/* file_ref.c: reference-counted descriptors (see file_ref.h). */
#include "base/file_ref.h"

#include <stdlib.h>
#include <unistd.h>

#include "base/log.h"

gr_file_ref *gr_file_ref_new(int fd) {
    gr_file_ref *f = malloc(sizeof *f);
    if (!f) return NULL;
    f->fd = fd;
    atomic_init(&f->refs, 1);
    return f;
}

void gr_file_ref_retain(gr_file_ref *f) { atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed); }

void gr_file_ref_release(gr_file_ref *f) {
    if (!f) return;
    int before = atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel);
    GR_ASSERT(before > 0);
    if (before == 1) {
        if (f->fd >= 0) close(f->fd);
        free(f);
    }
}
