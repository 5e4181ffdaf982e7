/*
 * listener.c: listening sockets, accepting, and handing new connections to loops.
 *
 * One listening socket per gr_server_listen call is registered in every loop's
 * epoll with EPOLLEXCLUSIVE, so an idle loop wakes to accept. The accepting loop
 * then places the connection round-robin (handing it over with gr_loop_post when
 * it belongs elsewhere): EPOLLEXCLUSIVE tends to wake the same loop every time,
 * and round-robin keeps the loops evenly loaded. A single socket (rather than
 * SO_REUSEPORT per loop) keeps port 0 simple and makes a second broker on the
 * same port fail with EADDRINUSE instead of silently sharing it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "net/conn.h"
#include "net/loop.h"

#define PEER_MAX_CHARS 64

typedef struct handoff {
    int fd;
    char peer[PEER_MAX_CHARS];
} handoff;

/* Java prints InetAddress as "/" + host address: IPv6 as eight hex groups without zero
   compression, IPv4-mapped IPv6 as plain IPv4, and a scope as "%id". */
void gr_format_peer(const void *sockaddr_any, char *out, size_t out_size) {
    const struct sockaddr *sa = sockaddr_any;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = sockaddr_any;
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
        snprintf(out, out_size, "/%s", ip);
        return;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = sockaddr_any;
        const uint8_t *b = in6->sin6_addr.s6_addr;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            snprintf(out, out_size, "/%u.%u.%u.%u", b[12], b[13], b[14], b[15]);
            return;
        }
        int n = snprintf(out, out_size, "/%x:%x:%x:%x:%x:%x:%x:%x", b[0] << 8 | b[1], b[2] << 8 | b[3],
                         b[4] << 8 | b[5], b[6] << 8 | b[7], b[8] << 8 | b[9], b[10] << 8 | b[11],
                         b[12] << 8 | b[13], b[14] << 8 | b[15]);
        if (in6->sin6_scope_id && n > 0 && (size_t)n < out_size)
            snprintf(out + n, out_size - (size_t)n, "%%%u", (unsigned)in6->sin6_scope_id);
        return;
    }
    snprintf(out, out_size, "/unknown");
}

static void adopt_posted(void *ud) {
    handoff *h = ud;
    gr_loop *l = gr_loop_current();
    gr_conn_adopt(l, h->fd, h->peer);
    free(h);
}

static void place(gr_loop *l, int fd, const char *peer) {
    gr_server *s = l->srv;
    gr_loop *target = s->loops[atomic_fetch_add(&s->next_loop, 1) % (unsigned)s->nloops];
    if (target == l) {
        gr_conn_adopt(l, fd, peer);
        return;
    }
    handoff *h = malloc(sizeof *h);
    if (h) {
        h->fd = fd;
        snprintf(h->peer, sizeof h->peer, "%s", peer);
        if (gr_loop_post_item(target, adopt_posted, h, false)) return;
    }
    free(h);
    close(fd);
}

static void resume_listeners(void *ud) {
    gr_loop *l = ud;
    if (!l->stopping) gr_loop_pause_listeners(l, false);
}

void gr_listener_on_ready(gr_loop *l, gr_listener *ls) {
    for (int i = 0; i < GR_NET_ACCEPTS_PER_WAKE; i++) {
        struct sockaddr_storage sa;
        socklen_t len = sizeof sa;
        int fd = accept4(ls->fd, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO || errno == EPERM) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* Level-triggered: the pending connection would wake us again at once. Pause. */
                GR_WARN("net", "accept on port %d: %s; pausing accepts for %d ms", ls->port, strerror(errno),
                        GR_NET_ACCEPT_RETRY_MS);
                gr_loop_pause_listeners(l, true);
                gr_loop_timer_add(l, GR_NET_ACCEPT_RETRY_MS, resume_listeners, l);
                return;
            }
            GR_WARN("net", "accept on port %d: %s", ls->port, strerror(errno));
            return;
        }
        char peer[PEER_MAX_CHARS];
        gr_format_peer(&sa, peer, sizeof peer);
        place(l, fd, peer);
    }
}

static void watch_listener(gr_loop *l, gr_listener *ls) {
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = ls};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, ls->fd, &ev) < 0 && errno == EINVAL) {
        ev.events = EPOLLIN; /* kernels before 4.5: every loop wakes, one wins the accept */
        epoll_ctl(l->epfd, EPOLL_CTL_ADD, ls->fd, &ev);
    }
}

void gr_loop_pause_listeners(gr_loop *l, bool pause) {
    gr_server *s = l->srv;
    pthread_mutex_lock(&s->listen_mu);
    for (int i = 0; i < s->nlisteners; i++) {
        gr_listener *ls = s->listeners[i];
        if (pause) {
            epoll_ctl(l->epfd, EPOLL_CTL_DEL, ls->fd, NULL); /* ENOENT when already paused: fine */
        } else {
            watch_listener(l, ls); /* EEXIST when not paused: fine */
        }
    }
    l->listeners_paused = pause;
    pthread_mutex_unlock(&s->listen_mu);
}

static int open_listener(int family, const struct sockaddr *addr, socklen_t addrlen, bool dual_stack) {
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, dual_stack ? &zero : &one, sizeof one);
    if (bind(fd, addr, addrlen) < 0 || listen(fd, SOMAXCONN) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Binds the first address that works; "" means every address, IPv6 and IPv4 together if possible. */
static int bind_any(const char *host, int port) {
    bool any = !host || !*host;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%d", port);
    const char *tries[2] = {host, NULL};
    if (any) {
        tries[0] = "::";
        tries[1] = "0.0.0.0";
    }
    int err = EADDRNOTAVAIL;
    for (int t = 0; t < 2 && tries[t]; t++) {
        struct addrinfo hints = {
            .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
        struct addrinfo *res = NULL;
        int rc = getaddrinfo(tries[t], portstr, &hints, &res);
        if (rc != 0) {
            GR_ERROR("net", "cannot resolve listener host '%s': %s", tries[t], gai_strerror(rc));
            err = EINVAL;
            continue;
        }
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            bool dual = false;
            if (ai->ai_family == AF_INET6) {
                const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ai->ai_addr;
                dual = IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr);
            }
            int fd = open_listener(ai->ai_family, ai->ai_addr, ai->ai_addrlen, dual);
            if (fd >= 0) {
                freeaddrinfo(res);
                return fd;
            }
            err = errno;
        }
        freeaddrinfo(res);
    }
    errno = err;
    return -1;
}

int gr_server_listen(gr_server *s, const char *host, int port) {
    if (port < 0 || port > 65535) {
        errno = EINVAL;
        return -1;
    }
    int fd = bind_any(host, port);
    if (fd < 0) {
        int e = errno;
        GR_ERROR("net", "cannot listen on %s:%d: %s", host && *host ? host : "*", port, strerror(e));
        errno = e;
        return -1;
    }
    struct sockaddr_storage sa;
    socklen_t len = sizeof sa;
    int bound = -1;
    if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
        if (sa.ss_family == AF_INET) bound = ntohs(((struct sockaddr_in *)&sa)->sin_port);
        if (sa.ss_family == AF_INET6) bound = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
    }
    gr_listener *ls = calloc(1, sizeof *ls);
    if (!ls || bound <= 0) {
        free(ls);
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    ls->kind = GR_EV_LISTENER;
    ls->fd = fd;
    ls->port = bound;
    ls->srv = s;
    pthread_mutex_lock(&s->listen_mu);
    if (s->nlisteners == GR_NET_LISTENERS_MAX) {
        pthread_mutex_unlock(&s->listen_mu);
        close(fd);
        free(ls);
        GR_ERROR("net", "more than %d listeners", GR_NET_LISTENERS_MAX);
        errno = EMFILE;
        return -1;
    }
    s->listeners[s->nlisteners++] = ls;
    for (int i = 0; i < s->nloops; i++) {
        gr_loop *l = s->loops[i];
        if (l->listeners_paused) continue; /* picked up when the loop resumes */
        watch_listener(l, ls);
    }
    pthread_mutex_unlock(&s->listen_mu);
    GR_INFO("net", "listening on %s:%d", host && *host ? host : "*", bound);
    return bound;
}
