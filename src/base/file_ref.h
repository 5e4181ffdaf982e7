/*
 * file_ref.h: a reference-counted file descriptor.
 *
 * A segment file may be closed or deleted (retention, topic deletion)
 * while a Fetch response that splices from it still waits in a
 * connection's output queue; the last reference closes the descriptor.
 */
#ifndef GREGOR_BASE_FILE_REF_H
#define GREGOR_BASE_FILE_REF_H

#include <stdatomic.h>

typedef struct gr_file_ref {
    int fd;
    atomic_int refs;
} gr_file_ref;

gr_file_ref *gr_file_ref_new(int fd); /* takes ownership of fd; refs = 1 */
void gr_file_ref_retain(gr_file_ref *f);
void gr_file_ref_release(gr_file_ref *f); /* closes fd and frees on the last release */

#endif
