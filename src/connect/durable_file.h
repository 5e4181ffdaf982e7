/*
 * durable_file.h: replace a small file so a crash leaves either the old or the new contents.
 *
 * Positions (the last row a source published) and status files are rewritten this way: write a
 * temporary file next to the target, fsync it, rename it over the target, fsync the directory.
 */
#ifndef GREGOR_CONNECT_DURABLE_FILE_H
#define GREGOR_CONNECT_DURABLE_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* Returns 0, or -1 with errno set. With `sync` false the fsyncs are skipped (status files). */
int gr_file_replace(const char *path, const void *data, size_t len, bool sync);
/* Reads a whole small file (at most max_bytes) into a new NUL-terminated buffer; NULL on error. */
char *gr_file_read_all(const char *path, size_t max_bytes, size_t *len);

#endif
