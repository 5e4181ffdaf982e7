/* admin_http.c: the admin listener's thread and connections (see admin_http.h). */
#include "broker/admin_http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"

#define POLL_MAX_WAIT_MS 1000

typedef struct admin_conn {
    int fd; /* -1: free */
    int64_t deadline_ms;
    char in[GR_HTTP_HEAD_MAX_BYTES];
    size_t in_len;
    gr_buf out;
    size_t out_off;
    bool responding;
} admin_conn;

struct gr_admin {
    gr_broker *broker;
    int listen_fd;
    int port;
    int wake[2]; /* a pipe: written once to stop the thread */
    pthread_t thread;
    admin_conn conns[GR_ADMIN_CONNS_MAX];
    gr_lag_history history;
    int64_t next_sample_ms;
};

static void conn_close(admin_conn *c) {
    close(c->fd);
    c->fd = -1;
    gr_buf_free(&c->out);
}

static void respond_error(admin_conn *c, int status) {
    static const char *const texts[] = {[0] = "bad request\n", [1] = "request head too large\n"};
    const char *t = texts[status == 431];
    gr_admin_respond(&c->out, status, "text/plain; charset=utf-8", t, strlen(t));
}

static void conn_read(gr_admin *a, admin_conn *c) {
    ssize_t n = read(c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        conn_close(c);
        return;
    }
    if (n < 0) return;
    c->in_len += (size_t)n;
    gr_http_request req;
    switch (gr_http_parse(c->in, c->in_len, &req)) {
    case GR_HTTP_INCOMPLETE:
        return;
    case GR_HTTP_OK:
        gr_admin_route(a->broker, &a->history, &req, &c->out);
        break;
    case GR_HTTP_BAD:
        respond_error(c, 400);
        break;
    case GR_HTTP_TOO_LARGE:
        respond_error(c, 431);
        break;
    }
    c->responding = true;
    if (c->out.oom) conn_close(c);
}

static void conn_write(admin_conn *c) {
    ssize_t n = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) {
        conn_close(c);
        return;
    }
    c->out_off += (size_t)n;
    if (c->out_off == c->out.len) {
        shutdown(c->fd, SHUT_WR); /* Connection: close */
        conn_close(c);
    }
}

static void accept_one(gr_admin *a) {
    int fd = accept4(a->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    for (int i = 0; i < GR_ADMIN_CONNS_MAX; i++) {
        admin_conn *c = &a->conns[i];
        if (c->fd >= 0) continue;
        c->fd = fd;
        c->deadline_ms = gr_mono_ms() + GR_ADMIN_DEADLINE_MS;
        c->in_len = 0;
        c->out_off = 0;
        c->responding = false;
        gr_buf_init(&c->out);
        return;
    }
    close(fd); /* not reached: the listener is not polled while every slot is taken */
}

static void *admin_main(void *ud) {
    gr_admin *a = ud;
    struct pollfd pfd[GR_ADMIN_CONNS_MAX + 2];
    int slot_of[GR_ADMIN_CONNS_MAX + 2];
    for (;;) {
        int n = 0, used = 0;
        int64_t now = gr_mono_ms(), wait = POLL_MAX_WAIT_MS;
        if (now >= a->next_sample_ms) {
            gr_lag_history_sample(&a->history, a->broker, gr_wall_ms());
            a->next_sample_ms = now + GR_LAG_HISTORY_INTERVAL_MS;
        }
        if (a->next_sample_ms - now < wait) wait = a->next_sample_ms - now;
        pfd[n++] = (struct pollfd){.fd = a->wake[0], .events = POLLIN};
        for (int i = 0; i < GR_ADMIN_CONNS_MAX; i++) {
            admin_conn *c = &a->conns[i];
            if (c->fd < 0) continue;
            if (now >= c->deadline_ms) { /* slow client: its time is up */
                conn_close(c);
                continue;
            }
            used++;
            if (c->deadline_ms - now < wait) wait = c->deadline_ms - now;
            slot_of[n] = i;
            pfd[n++] = (struct pollfd){.fd = c->fd, .events = c->responding ? POLLOUT : POLLIN};
        }
        int listen_at = -1;
        if (used < GR_ADMIN_CONNS_MAX) {
            listen_at = n;
            pfd[n++] = (struct pollfd){.fd = a->listen_fd, .events = POLLIN};
        }
        if (poll(pfd, (nfds_t)n, (int)wait) < 0 && errno != EINTR) break;
        if (pfd[0].revents) break;
        for (int k = 1; k < n; k++) {
            if (!pfd[k].revents || k == listen_at) continue;
            admin_conn *c = &a->conns[slot_of[k]];
            if (c->responding)
                conn_write(c);
            else
                conn_read(a, c);
            if (c->fd >= 0 && c->responding && (pfd[k].revents & (POLLERR | POLLHUP)) &&
                !(pfd[k].revents & POLLOUT))
                conn_close(c);
        }
        if (listen_at >= 0 && pfd[listen_at].revents) accept_one(a);
    }
    for (int i = 0; i < GR_ADMIN_CONNS_MAX; i++)
        if (a->conns[i].fd >= 0) conn_close(&a->conns[i]);
    return NULL;
}

static int bind_listener(const char *host, int port, int *bound) {
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    if (getaddrinfo(host[0] ? host : NULL, service, &hints, &res) != 0) return -1;
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) continue;
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) return -1;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                            : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

gr_admin *gr_admin_start(gr_broker *b, const char *host, int port) {
    gr_admin *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->broker = b;
    for (int i = 0; i < GR_ADMIN_CONNS_MAX; i++) a->conns[i].fd = -1;
    a->listen_fd = bind_listener(host, port, &a->port);
    if (a->listen_fd < 0) {
        GR_ERROR("admin", "cannot listen on %s:%d (admin.listeners): %s", host, port, strerror(errno));
        free(a);
        return NULL;
    }
    if (pipe2(a->wake, O_CLOEXEC) != 0 || pthread_create(&a->thread, NULL, admin_main, a) != 0) {
        GR_ERROR("admin", "cannot start the admin listener thread");
        close(a->listen_fd);
        free(a);
        return NULL;
    }
    return a;
}

int gr_admin_port(const gr_admin *a) { return a->port; }

void gr_admin_stop(gr_admin *a) {
    if (!a) return;
    ssize_t w = write(a->wake[1], "x", 1);
    (void)w;
    pthread_join(a->thread, NULL);
    close(a->wake[0]);
    close(a->wake[1]);
    close(a->listen_fd);
    free(a);
}
