/*
 * test_net_util.h: shared scaffolding for the net/ unit tests: a server on its own
 * thread, and a blocking loopback client with receive/send deadlines.
 */
#ifndef GREGOR_TEST_NET_UTIL_H
#define GREGOR_TEST_NET_UTIL_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "net/server.h"

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                         \
            exit(1);                                                                                         \
        }                                                                                                    \
    } while (0)

#define TEST_DEADLINE_MS 20000 /* no single wait in a test lasts longer */

typedef struct test_server {
    gr_server *srv;
    pthread_t thread;
    int port;
    int rc;
} test_server;

static inline void *test_server_thread(void *arg) {
    test_server *t = arg;
    t->rc = gr_server_run(t->srv);
    return NULL;
}

/* Starts a server listening on host (port 0) on its own thread. */
static inline void test_server_start(test_server *t, const gr_server_config *cfg, const gr_server_handlers *h,
                                     void *ud, const char *host) {
    memset(t, 0, sizeof *t);
    t->srv = gr_server_new(cfg, h, ud);
    CHECK(t->srv != NULL);
    t->port = gr_server_listen(t->srv, host, 0);
    CHECK(t->port > 0);
    CHECK(pthread_create(&t->thread, NULL, test_server_thread, t) == 0);
}

static inline void test_server_stop(test_server *t) {
    gr_server_stop(t->srv);
    CHECK(pthread_join(t->thread, NULL) == 0);
    CHECK(t->rc == 0);
    gr_server_free(t->srv);
    t->srv = NULL;
}

static inline void test_sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits until *flag becomes true (or the deadline passes); returns the final value. */
static inline bool test_wait_flag(const atomic_int *v, int want) {
    int64_t end = gr_mono_ms() + TEST_DEADLINE_MS;
    while (atomic_load(v) != want && gr_mono_ms() < end) test_sleep_ms(1);
    return atomic_load(v) == want;
}

static inline void test_set_timeouts(int fd, int ms) {
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static inline int test_connect(const char *host, int port) {
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (strchr(host, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1) return -1;
        len = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return -1;
        len = sizeof *a;
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    test_set_timeouts(fd, TEST_DEADLINE_MS);
    if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static inline int test_write_all(int fd, const void *p, size_t n) {
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static inline int test_read_all(int fd, void *p, size_t n) {
    uint8_t *b = p;
    while (n > 0) {
        ssize_t r = recv(fd, b, n, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

static inline void test_put_be32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline uint32_t test_get_be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline int test_send_frame(int fd, const void *payload, uint32_t len) {
    uint8_t hdr[4];
    test_put_be32(hdr, len);
    if (test_write_all(fd, hdr, 4) < 0) return -1;
    return test_write_all(fd, payload, len);
}

/* Reads one frame; returns a malloc'd payload (or NULL on EOF/error/timeout). */
static inline uint8_t *test_recv_frame(int fd, uint32_t *len) {
    uint8_t hdr[4];
    if (test_read_all(fd, hdr, 4) < 0) return NULL;
    *len = test_get_be32(hdr);
    uint8_t *p = malloc(*len ? *len : 1);
    if (!p) return NULL;
    if (test_read_all(fd, p, *len) < 0) {
        free(p);
        return NULL;
    }
    return p;
}

/* true once the server has closed the connection (EOF or reset), discarding any bytes. */
static inline bool test_wait_closed(int fd) {
    uint8_t tmp[4096];
    int64_t end = gr_mono_ms() + TEST_DEADLINE_MS;
    while (gr_mono_ms() < end) {
        ssize_t r = recv(fd, tmp, sizeof tmp, 0);
        if (r == 0) return true;
        if (r < 0 && errno == ECONNRESET) return true;
        if (r < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) return false;
    }
    return false;
}

/* A reply frame: 4-byte size then the payload. */
static inline void test_make_reply(gr_buf *b, const void *payload, size_t len) {
    gr_buf_init(b);
    gr_buf_put_i32(b, (int32_t)len);
    gr_buf_put(b, payload, len);
}

#endif
