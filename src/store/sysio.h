/*
 * sysio.h: the system calls the store makes that can fail in interesting ways.
 *
 * Every write, read, sync, truncate, rename, open and unlink of log files
 * goes through this table, and so does the wall clock. Tests swap entries
 * to make a write fail halfway, a sync report EIO, or time jump forward,
 * and check that the log stays consistent. Production never changes it.
 */
#ifndef GREGOR_STORE_SYSIO_H
#define GREGOR_STORE_SYSIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct gr_sysio {
    ssize_t (*pwrite)(int fd, const void *buf, size_t n, off_t offset);
    ssize_t (*pread)(int fd, void *buf, size_t n, off_t offset);
    int (*fdatasync)(int fd);
    int (*ftruncate)(int fd, off_t length);
    int (*rename)(const char *from, const char *to);
    int (*open)(const char *path, int flags, mode_t mode);
    int (*unlink)(const char *path);
    int64_t (*wall_ms)(void);
} gr_sysio;

extern gr_sysio gr_sys;

/* Puts the real system calls back (tests call it when done). */
void gr_sysio_reset(void);

/* pwrite/pread until n bytes are done; -1 with errno on failure (a short read at end of file
 * returns the bytes read). */
ssize_t gr_sys_pwrite_all(int fd, const void *buf, size_t n, off_t offset);
ssize_t gr_sys_pread_all(int fd, void *buf, size_t n, off_t offset);

#endif
