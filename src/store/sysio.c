/* sysio.c: the real system calls behind the store's fault-injection table (see sysio.h). */
#include "store/sysio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "base/clock.h"

static int real_open(const char *path, int flags, mode_t mode) { return open(path, flags | O_CLOEXEC, mode); }

#define REAL_SYSIO                                                                                           \
    {                                                                                                        \
        .pwrite = pwrite, .pread = pread, .fdatasync = fdatasync, .ftruncate = ftruncate, .rename = rename,  \
        .open = real_open, .unlink = unlink, .wall_ms = gr_wall_ms,                                          \
    }

gr_sysio gr_sys = REAL_SYSIO;

void gr_sysio_reset(void) {
    const gr_sysio real = REAL_SYSIO;
    gr_sys = real;
}

ssize_t gr_sys_pwrite_all(int fd, const void *buf, size_t n, off_t offset) {
    const char *p = buf;
    size_t done = 0;
    while (done < n) {
        ssize_t w = gr_sys.pwrite(fd, p + done, n - done, offset + (off_t)done);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (w == 0) {
            errno = EIO;
            return -1;
        }
        done += (size_t)w;
    }
    return (ssize_t)done;
}

ssize_t gr_sys_pread_all(int fd, void *buf, size_t n, off_t offset) {
    char *p = buf;
    size_t done = 0;
    while (done < n) {
        ssize_t r = gr_sys.pread(fd, p + done, n - done, offset + (off_t)done);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}
