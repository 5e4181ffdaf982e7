/*
 * broker_conn.c: connect, send and receive with poll-bounded waits that a wake eventfd interrupts.
 */
#include "cluster/broker_conn.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/clock.h"
#include "proto/gen/request_header.h"
#include "proto/gen/api_table.h"

void gr_broker_conn_init(gr_broker_conn *c, int wake_fd, const atomic_bool *stop, int timeout_ms) {
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->wake_fd = wake_fd;
    c->stop = stop;
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
}

void gr_broker_conn_close(gr_broker_conn *c) {
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}

static void drain_wake(int wake_fd) {
    uint64_t v;
    while (read(wake_fd, &v, sizeof v) > 0) {
    }
}

/* Waits until fd has `events` or the deadline passes; a wake with the stop flag set ends the wait. */
static gr_bconn_status wait_fd(gr_broker_conn *c, int fd, short events, int64_t deadline_ms) {
    for (;;) {
        int64_t left = deadline_ms - gr_mono_ms();
        if (left <= 0) {
            snprintf(c->error, sizeof c->error, "timed out after %d ms", c->timeout_ms);
            return GR_BCONN_ERROR;
        }
        struct pollfd p[2] = {{.fd = fd, .events = events}, {.fd = c->wake_fd, .events = POLLIN}};
        int n = poll(p, 2, left > 1000000 ? 1000000 : (int)left);
        if (n < 0 && errno != EINTR) {
            snprintf(c->error, sizeof c->error, "poll: %s", strerror(errno));
            return GR_BCONN_ERROR;
        }
        if (n <= 0) continue;
        if (p[1].revents) {
            drain_wake(c->wake_fd);
            if (atomic_load(c->stop)) return GR_BCONN_STOPPED;
        }
        if (p[0].revents) return GR_BCONN_OK; /* errors and hang-ups surface in the next call */
    }
}

static gr_bconn_status connect_one(gr_broker_conn *c, const struct addrinfo *ai, int64_t deadline_ms) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
        snprintf(c->error, sizeof c->error, "socket: %s", strerror(errno));
        return GR_BCONN_ERROR;
    }
    gr_bconn_status st = GR_BCONN_OK;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
            snprintf(c->error, sizeof c->error, "connect: %s", strerror(errno));
            st = GR_BCONN_ERROR;
        } else if ((st = wait_fd(c, fd, POLLOUT, deadline_ms)) == GR_BCONN_OK) {
            int err = 0;
            socklen_t len = sizeof err;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
            if (err != 0) {
                snprintf(c->error, sizeof c->error, "connect: %s", strerror(err));
                st = GR_BCONN_ERROR;
            }
        }
    }
    if (st != GR_BCONN_OK) {
        close(fd);
        return st;
    }
    /* Blocking from here on, with the socket timeouts as a second bound; every wait still goes
     * through poll first so that a wake can interrupt it. */
    int one = 1;
    struct timeval tv = {c->timeout_ms / 1000, (c->timeout_ms % 1000) * 1000};
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0) {
        snprintf(c->error, sizeof c->error, "socket options: %s", strerror(errno));
        close(fd);
        return GR_BCONN_ERROR;
    }
    c->fd = fd;
    return GR_BCONN_OK;
}

gr_bconn_status gr_broker_conn_open(gr_broker_conn *c, const char *host, int port) {
    gr_broker_conn_close(c);
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        snprintf(c->error, sizeof c->error, "resolving %s: %s", host, gai_strerror(rc));
        return GR_BCONN_ERROR;
    }
    int64_t deadline_ms = gr_mono_ms() + c->timeout_ms;
    gr_bconn_status st = GR_BCONN_ERROR;
    for (const struct addrinfo *ai = res; ai != NULL && st == GR_BCONN_ERROR; ai = ai->ai_next)
        st = connect_one(c, ai, deadline_ms);
    freeaddrinfo(res);
    return st;
}

size_t gr_broker_conn_begin_request(gr_broker_conn *c, gr_buf *b, int16_t api_key, int16_t api_version,
                                    const char *client_id) {
    size_t start = b->len;
    gr_buf_put_i32(b, 0);
    gr_request_header h;
    gr_request_header_init(&h);
    h.request_api_key = api_key;
    h.request_api_version = api_version;
    h.correlation_id = ++c->correlation_id;
    h.client_id = gr_str_c(client_id);
    gr_request_header_encode(b, (int16_t)gr_request_header_version(api_key, api_version), &h);
    return start;
}

void gr_broker_conn_end_request(gr_buf *b, size_t start) {
    gr_buf_patch_i32(b, start, (int32_t)(b->len - start - 4));
}

gr_bconn_status gr_broker_conn_send(gr_broker_conn *c, const gr_buf *b) {
    size_t done = 0;
    while (done < b->len) {
        gr_bconn_status st = wait_fd(c, c->fd, POLLOUT, gr_mono_ms() + c->timeout_ms);
        if (st != GR_BCONN_OK) return st;
        ssize_t n = send(c->fd, b->data + done, b->len - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (n <= 0) {
            snprintf(c->error, sizeof c->error, "send: %s", strerror(errno));
            return GR_BCONN_ERROR;
        }
        done += (size_t)n;
    }
    return GR_BCONN_OK;
}

static gr_bconn_status recv_exact(gr_broker_conn *c, uint8_t *p, size_t n) {
    size_t done = 0;
    while (done < n) {
        gr_bconn_status st = wait_fd(c, c->fd, POLLIN, gr_mono_ms() + c->timeout_ms);
        if (st != GR_BCONN_OK) return st;
        ssize_t got = recv(c->fd, p + done, n - done, MSG_DONTWAIT);
        if (got < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (got <= 0) {
            snprintf(c->error, sizeof c->error, "%s", got == 0 ? "closed by the peer" : strerror(errno));
            return GR_BCONN_ERROR;
        }
        done += (size_t)got;
    }
    return GR_BCONN_OK;
}

gr_bconn_status gr_broker_conn_recv(gr_broker_conn *c, uint8_t **frame, size_t *frame_cap, size_t max_bytes,
                                    size_t *len) {
    uint8_t prefix[4];
    gr_bconn_status st = recv_exact(c, prefix, sizeof prefix);
    if (st != GR_BCONN_OK) return st;
    uint32_t size =
        (uint32_t)prefix[0] << 24 | (uint32_t)prefix[1] << 16 | (uint32_t)prefix[2] << 8 | prefix[3];
    if (size > max_bytes || size > INT32_MAX) {
        snprintf(c->error, sizeof c->error, "response of %u bytes exceeds the limit of %zu", size, max_bytes);
        return GR_BCONN_ERROR;
    }
    if (size > *frame_cap) {
        uint8_t *p = realloc(*frame, size);
        if (p == NULL) {
            snprintf(c->error, sizeof c->error, "out of memory for a %u-byte response", size);
            return GR_BCONN_ERROR;
        }
        *frame = p;
        *frame_cap = size;
    }
    *len = size;
    return recv_exact(c, *frame, size);
}
