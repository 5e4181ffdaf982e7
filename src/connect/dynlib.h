/*
 * dynlib.h: loads a shared library and a table of its functions when a connector first needs it.
 *
 * SQLite and libpq are client-side dependencies: linking them would map them into every broker
 * process too (the broker and the tools are one program). So the database backends call them
 * through function pointers filled here, on first use, from dlopen/dlsym.
 */
#ifndef GREGOR_CONNECT_DYNLIB_H
#define GREGOR_CONNECT_DYNLIB_H

#include <stddef.h>

typedef struct gr_dynsym {
    const char *name;
    void **slot; /* where the function's address goes */
} gr_dynsym;

/* Tries each soname in `sonames` (NULL-terminated) and resolves every symbol. Returns 0, or -1
   with a message naming the library or the missing symbol and the Debian package (`package`). */
int gr_dynlib_load(const char *const *sonames, const char *package, const gr_dynsym *syms, size_t count,
                   char *err, size_t err_size);

#endif
