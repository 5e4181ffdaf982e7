/*
 * conn.c: reading frames, ordering replies, writing them (writev for memory,
 * sendfile for file ranges) and a connection's lifetime.
 *
 * Nothing here closes a connection from inside a broker callback: requests to
 * close (and replies to flush) mark the connection dirty, and the loop services
 * dirty connections after each batch of events. That keeps on_close from
 * running nested inside on_request, and lets one sendmsg carry the replies to
 * several pipelined requests.
 */
#include "net/conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"

/* sendfile moves at most this much per call (the kernel caps near 2 GiB anyway). */
#define SENDFILE_CHUNK_BYTES (1 << 30)

static void conn_close_now(gr_conn *c, const char *why);

/* Connections are single-threaded: only their loop touches them (or anyone once loops exited). */
#define OWNER_CHECK(c) GR_ASSERT(gr_tl_loop == (c)->loop || !atomic_load(&(c)->loop->running))

/* ---- small helpers ---- */

static const gr_server_config *cfg_of(const gr_conn *c) { return &c->loop->srv->cfg; }

static bool outstanding(const gr_conn *c) {
    return c->next_seq != c->next_out || c->out_head || c->held_head;
}

/* May more frames be handed to the broker right now? */
static bool can_deliver(const gr_conn *c) {
    return !c->closed && !c->close_now && c->close_at == GR_SEQ_NONE && !c->loop->stopping &&
           c->next_seq - c->next_out < GR_CONN_INFLIGHT_REQUESTS_MAX &&
           c->out_bytes <= cfg_of(c)->conn_output_max_bytes &&
           c->unanswered_bytes < cfg_of(c)->conn_unanswered_max_bytes;
}

static bool can_read(const gr_conn *c) { return !c->held_head && can_deliver(c); }

static void update_interest(gr_conn *c) {
    if (c->closed) return;
    uint32_t want = (can_read(c) ? EPOLLIN : 0) | (c->out_blocked ? EPOLLOUT : 0);
    if (want == c->ev_mask) return;
    struct epoll_event ev = {.events = want, .data.ptr = c};
    if (epoll_ctl(c->loop->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->ev_mask = want;
    else
        c->close_now = true;
}

static void out_free(gr_out *o) {
    gr_buf_free(&o->buf);
    free(o);
}

static bool out_done(const gr_out *o) { return o->mem_off == o->buf.len && o->splice == o->buf.nsplices; }

static bool at_splice(const gr_out *o) {
    return o->splice < o->buf.nsplices && o->mem_off == o->buf.splices[o->splice].at;
}

/* End of the memory run that starts at mem_off. */
static size_t mem_end(const gr_out *o) {
    return o->splice < o->buf.nsplices ? o->buf.splices[o->splice].at : o->buf.len;
}

static void free_held(gr_conn *c) {
    while (c->held_head) {
        gr_frame *f = c->held_head;
        c->held_head = f->next;
        free(f->data);
        free(f);
    }
    c->held_tail = NULL;
}

static void free_partial_frame(gr_conn *c) {
    free(c->frame);
    c->frame = NULL;
    c->frame_len = c->frame_have = c->frame_cap = 0;
    c->hdr_have = 0;
}

static void free_request_lengths(gr_conn *c) {
    free(c->req_len);
    c->req_len = NULL;
    c->req_len_cap = c->req_len_head = 0;
    c->req_base = c->next_seq;
    c->unanswered_bytes = 0;
}

static void free_output(gr_conn *c) {
    while (c->out_head) {
        gr_out *o = c->out_head;
        c->out_head = o->next;
        out_free(o);
    }
    c->out_tail = NULL;
    while (c->early) {
        gr_out *o = c->early;
        c->early = o->next;
        out_free(o);
    }
    c->out_bytes = 0;
}

/* ---- lifetime ---- */

void gr_conn_ref(gr_conn *c) {
    OWNER_CHECK(c);
    c->refs++;
}

void gr_conn_unref(gr_conn *c) {
    OWNER_CHECK(c);
    GR_ASSERT(c->refs > 0);
    if (--c->refs == 0) {
        GR_ASSERT(c->closed);
        free(c);
    }
}

bool gr_conn_is_closed(gr_conn *c) { return c->closed || c->close_now; }
gr_loop *gr_conn_loop(gr_conn *c) { return c->loop; }
const char *gr_conn_peer(gr_conn *c) { return c->peer; }
void *gr_conn_user(gr_conn *c) { return c->user; }
void gr_conn_set_user(gr_conn *c, void *p) { c->user = p; }

void gr_conn_mark_dirty(gr_conn *c) {
    if (c->closed || c->dirty) return;
    c->dirty = true;
    c->refs++;
    c->dirty_next = c->loop->dirty;
    c->loop->dirty = c;
}

static void conn_close_now(gr_conn *c, const char *why) {
    if (c->closed) return;
    gr_loop *l = c->loop;
    c->closed = true;
    epoll_ctl(l->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    if (c->prev)
        c->prev->next = c->next;
    else
        l->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    c->prev = c->next = NULL;
    l->nconns--;
    free_partial_frame(c);
    free_held(c);
    free_output(c);
    free_request_lengths(c);
    GR_DEBUG("net", "connection %s closed: %s", c->peer, why);
    if (l->srv->h.on_close) l->srv->h.on_close(c, l->srv->ud);
    gr_conn_unref(c); /* the loop's own reference */
}

void gr_conn_adopt(gr_loop *l, int fd, const char *peer) {
    if (l->stopping) {
        close(fd);
        return;
    }
    gr_conn *c = calloc(1, sizeof *c);
    if (!c) {
        GR_WARN("net", "out of memory accepting %s", peer);
        close(fd);
        return;
    }
    c->kind = GR_EV_CONN;
    c->loop = l;
    c->fd = fd;
    c->refs = 1;
    c->close_at = GR_SEQ_NONE;
    c->id = l->next_conn_id++;
    c->last_active_ms = gr_mono_ms();
    snprintf(c->peer, sizeof c->peer, "%s", peer);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        GR_WARN("net", "epoll_ctl for %s: %s", peer, strerror(errno));
        close(fd);
        free(c);
        return;
    }
    c->ev_mask = EPOLLIN;
    c->next = l->conns;
    if (l->conns) l->conns->prev = c;
    l->conns = c;
    l->nconns++;
    gr_loop_conn_added(l);
    if (l->srv->h.on_open) l->srv->h.on_open(c, l->srv->ud);
}

/* ---- unanswered request bytes ---- */

/* Notes the length of the frame about to get seq next_seq. false: out of memory. */
static bool note_delivered(gr_conn *c, size_t len) {
    uint64_t used = c->next_seq - c->req_base;
    if (used == c->req_len_cap) {
        uint32_t cap = c->req_len_cap ? 2 * c->req_len_cap : 4;
        uint32_t *ring = malloc(cap * sizeof *ring);
        if (!ring) return false;
        for (uint64_t i = 0; i < used; i++)
            ring[i] = c->req_len[(c->req_len_head + i) & (c->req_len_cap - 1)];
        free(c->req_len);
        c->req_len = ring;
        c->req_len_cap = cap;
        c->req_len_head = 0;
    }
    c->req_len[(c->req_len_head + used) & (c->req_len_cap - 1)] = (uint32_t)len + 1; /* len <= INT32_MAX */
    c->unanswered_bytes += len;
    return true;
}

/* seq has its reply (or its empty slot): its frame no longer counts. */
static void note_answered(gr_conn *c, uint64_t seq) {
    if (seq < c->req_base || seq >= c->next_seq) return;
    uint32_t *e = &c->req_len[(c->req_len_head + (seq - c->req_base)) & (c->req_len_cap - 1)];
    if (*e == 0) return; /* answered before */
    c->unanswered_bytes -= *e - 1;
    *e = 0;
    while (c->req_base < c->next_seq && c->req_len[c->req_len_head] == 0) {
        c->req_len_head = (c->req_len_head + 1) & (c->req_len_cap - 1);
        c->req_base++;
    }
}

/* ---- reading ---- */

static void deliver(gr_conn *c, uint8_t *data, size_t len) {
    if (!note_delivered(c, len)) {
        free(data);
        c->close_now = true;
        gr_conn_mark_dirty(c);
        return;
    }
    uint64_t seq = c->next_seq++;
    gr_server *s = c->loop->srv;
    s->h.on_request(c, data, len, seq, s->ud);
}

static void deliver_held(gr_conn *c) {
    while (c->held_head && can_deliver(c)) {
        gr_frame *f = c->held_head;
        c->held_head = f->next;
        if (!c->held_head) c->held_tail = NULL;
        uint8_t *data = f->data;
        size_t len = f->len;
        free(f);
        deliver(c, data, len);
    }
}

static void frame_complete(gr_conn *c) {
    uint8_t *data = c->frame;
    size_t len = c->frame_len;
    c->frame = NULL;
    c->frame_len = c->frame_have = c->frame_cap = 0;
    if (c->close_at != GR_SEQ_NONE || c->close_now || c->loop->stopping) {
        free(data);
        return;
    }
    if (!c->held_head && can_deliver(c)) {
        deliver(c, data, len);
        return;
    }
    gr_frame *f = malloc(sizeof *f);
    if (!f) {
        free(data);
        c->close_now = true;
        return;
    }
    f->next = NULL;
    f->data = data;
    f->len = len;
    if (c->held_tail)
        c->held_tail->next = f;
    else
        c->held_head = f;
    c->held_tail = f;
}

static bool frame_start(gr_conn *c, size_t len) {
    size_t cap = len <= GR_NET_FRAME_EAGER_ALLOC_BYTES ? len : GR_NET_FRAME_EAGER_ALLOC_BYTES;
    c->frame = malloc(cap ? cap : 1);
    if (!c->frame) return false;
    c->frame_len = len;
    c->frame_have = 0;
    c->frame_cap = cap;
    return true;
}

/* Large frames grow toward their announced size as bytes arrive; the last step lands exactly on it. */
static bool frame_grow(gr_conn *c) {
    size_t cap = c->frame_cap * 2;
    if (cap > c->frame_len) cap = c->frame_len;
    uint8_t *p = realloc(c->frame, cap);
    if (!p) return false;
    c->frame = p;
    c->frame_cap = cap;
    return true;
}

/* Splits bytes from the staging buffer into frames. Returns -1 if the connection was closed. */
static int parse(gr_conn *c, const uint8_t *p, size_t n) {
    while (n > 0) {
        if (c->close_at != GR_SEQ_NONE || c->close_now) return 0; /* the rest is discarded */
        if (!c->frame) {
            size_t take = 4 - c->hdr_have;
            if (take > n) take = n;
            memcpy(c->hdr + c->hdr_have, p, take);
            c->hdr_have += (uint32_t)take;
            p += take;
            n -= take;
            if (c->hdr_have < 4) break;
            c->hdr_have = 0;
            int32_t size = (int32_t)((uint32_t)c->hdr[0] << 24 | (uint32_t)c->hdr[1] << 16 |
                                     (uint32_t)c->hdr[2] << 8 | (uint32_t)c->hdr[3]);
            if (size < 0 || size > cfg_of(c)->max_request_bytes) {
                GR_WARN("net", "closing %s: request size %d outside 0..%d (socket.request.max.bytes)",
                        c->peer, size, cfg_of(c)->max_request_bytes);
                conn_close_now(c, "bad request size");
                return -1;
            }
            if (!frame_start(c, (size_t)size)) {
                conn_close_now(c, "out of memory");
                return -1;
            }
            if (size == 0) {
                frame_complete(c);
                continue;
            }
        }
        size_t take = c->frame_len - c->frame_have;
        if (take > n) take = n;
        while (c->frame_cap - c->frame_have < take) {
            if (!frame_grow(c)) {
                conn_close_now(c, "out of memory");
                return -1;
            }
        }
        memcpy(c->frame + c->frame_have, p, take);
        c->frame_have += take;
        p += take;
        n -= take;
        if (c->frame_have == c->frame_len) frame_complete(c);
    }
    return 0;
}

static void conn_read(gr_conn *c) {
    gr_loop *l = c->loop;
    for (int i = 0; i < GR_NET_READS_PER_WAKE && can_read(c); i++) {
        ssize_t n;
        size_t asked;
        bool direct = c->frame && c->frame_len - c->frame_have >= GR_NET_READ_CHUNK_BYTES;
        if (direct) {
            /* A big frame: read straight into its buffer, no staging copy. */
            if (c->frame_have == c->frame_cap && !frame_grow(c)) {
                conn_close_now(c, "out of memory");
                return;
            }
            asked = c->frame_cap - c->frame_have;
            n = read(c->fd, c->frame + c->frame_have, asked);
        } else {
            if (!l->staging && !(l->staging = malloc(GR_NET_READ_CHUNK_BYTES))) {
                conn_close_now(c, "out of memory");
                return;
            }
            asked = GR_NET_READ_CHUNK_BYTES;
            n = read(c->fd, l->staging, asked);
        }
        if (n == 0) {
            conn_close_now(c, "closed by peer");
            return;
        }
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return;
            conn_close_now(c, strerror(errno));
            return;
        }
        c->last_active_ms = gr_mono_ms();
        if (direct) {
            c->frame_have += (size_t)n;
            if (c->frame_have == c->frame_len) frame_complete(c);
        } else if (parse(c, l->staging, (size_t)n) < 0) {
            return;
        }
        if ((size_t)n < asked) return; /* the socket is (most likely) empty */
    }
}

/* ---- writing ---- */

static void pop_out(gr_conn *c) {
    gr_out *o = c->out_head;
    c->out_head = o->next;
    if (!c->out_head) c->out_tail = NULL;
    out_free(o);
}

/* Writes queued replies until done or the socket is full. Returns -1 if it closed the connection. */
static int conn_flush(gr_conn *c) {
    while (c->out_head) {
        gr_out *o = c->out_head;
        if (out_done(o)) {
            pop_out(c);
            continue;
        }
        if (at_splice(o)) {
            gr_splice *sp = &o->buf.splices[o->splice];
            off_t off = (off_t)(sp->offset + o->splice_off);
            int64_t left = sp->length - o->splice_off;
            size_t count = left > SENDFILE_CHUNK_BYTES ? SENDFILE_CHUNK_BYTES : (size_t)left;
            ssize_t r = sendfile(c->fd, sp->file->fd, &off, count);
            if (r > 0) {
                o->splice_off += r;
                c->out_bytes -= (size_t)r;
                c->last_active_ms = gr_mono_ms();
                if (o->splice_off == sp->length) {
                    o->splice++;
                    o->splice_off = 0;
                }
                continue;
            }
            if (r == 0) {
                /* The file is shorter than the response announced: the frame cannot be completed. */
                GR_WARN("net", "closing %s: spliced file ended %lld bytes early", c->peer, (long long)left);
                conn_close_now(c, "spliced file truncated");
                return -1;
            }
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                c->out_blocked = true;
                return 0;
            }
            conn_close_now(c, strerror(errno));
            return -1;
        }
        /* Gather the memory runs of consecutive replies, up to the next splice. */
        struct iovec iov[GR_NET_IOV_PER_WRITE];
        int niov = 0;
        bool more = false;
        for (gr_out *x = o; x && niov < GR_NET_IOV_PER_WRITE; x = x->next) {
            size_t end = mem_end(x);
            if (end > x->mem_off) {
                iov[niov].iov_base = x->buf.data + x->mem_off;
                iov[niov].iov_len = end - x->mem_off;
                niov++;
            }
            if (x->splice < x->buf.nsplices) {
                more = true; /* file bytes follow at once: let TCP merge */
                break;
            }
        }
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)niov};
        ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | (more ? MSG_MORE : 0));
        if (w < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                c->out_blocked = true;
                return 0;
            }
            conn_close_now(c, strerror(errno));
            return -1;
        }
        c->last_active_ms = gr_mono_ms();
        c->out_bytes -= (size_t)w;
        size_t left = (size_t)w;
        while (left > 0 && c->out_head) {
            gr_out *x = c->out_head;
            size_t avail = mem_end(x) - x->mem_off;
            size_t take = avail < left ? avail : left;
            x->mem_off += take;
            left -= take;
            if (out_done(x))
                pop_out(c);
            else if (at_splice(x))
                break;
        }
        while (c->out_head && out_done(c->out_head)) pop_out(c);
    }
    c->out_blocked = false;
    return 0;
}

/* ---- replies ---- */

static void append_out(gr_conn *c, gr_out *o) {
    if (o->none) {
        out_free(o);
        return;
    }
    o->next = NULL;
    if (c->out_tail)
        c->out_tail->next = o;
    else
        c->out_head = o;
    c->out_tail = o;
}

static void advance_early(gr_conn *c) {
    while (c->early && c->early->seq == c->next_out) {
        gr_out *o = c->early;
        c->early = o->next;
        c->next_out++;
        append_out(c, o);
    }
}

/* Places a reply: into the output queue if it is next in line, else among the early ones. */
static void enqueue(gr_conn *c, gr_out *o) {
    if (o->seq == c->next_out) {
        c->next_out++;
        append_out(c, o);
        advance_early(c);
        return;
    }
    gr_out **pp = &c->early;
    while (*pp && (*pp)->seq < o->seq) pp = &(*pp)->next;
    if (*pp && (*pp)->seq == o->seq) {
        GR_ERROR("net", "second reply for request %llu on %s dropped", (unsigned long long)o->seq, c->peer);
        c->out_bytes -= (size_t)gr_buf_total(&o->buf);
        out_free(o);
        return;
    }
    o->next = *pp;
    *pp = o;
}

/* Is seq a slot that may still be answered? Logs misuse. */
static bool slot_open(gr_conn *c, uint64_t seq) {
    if (c->closed || c->close_now || seq >= c->close_at) return false;
    if (seq < c->next_out || seq >= c->next_seq) {
        GR_ERROR("net", "reply for request %llu on %s, which is not outstanding", (unsigned long long)seq,
                 c->peer);
        return false;
    }
    return true;
}

void gr_conn_reply(gr_conn *c, uint64_t seq, gr_buf *response) {
    OWNER_CHECK(c);
    if (!slot_open(c, seq)) {
        gr_buf_free(response);
        return;
    }
    if (response->oom) {
        GR_ERROR("net", "response to %s could not be built (out of memory); closing", c->peer);
        gr_buf_free(response);
        gr_conn_close(c);
        return;
    }
    /* A size prefix that disagrees with the bytes would desynchronise the client's stream. */
    int64_t total = gr_buf_total(response);
    const uint8_t *d = response->data;
    if (response->len < 4 || (response->nsplices && response->splices[0].at < 4) ||
        (int64_t)((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3]) != total - 4) {
        GR_ERROR("net", "response %llu to %s has a size prefix that does not match its %lld bytes; closing",
                 (unsigned long long)seq, c->peer, (long long)total);
        gr_buf_free(response);
        gr_conn_close(c);
        return;
    }
    gr_out *o = calloc(1, sizeof *o);
    if (!o) {
        gr_buf_free(response);
        gr_conn_close(c);
        return;
    }
    o->seq = seq;
    o->buf = *response;
    gr_buf_init(response);
    c->out_bytes += (size_t)gr_buf_total(&o->buf);
    note_answered(c, seq);
    enqueue(c, o);
    gr_conn_mark_dirty(c);
}

void gr_conn_reply_none(gr_conn *c, uint64_t seq) {
    OWNER_CHECK(c);
    if (!slot_open(c, seq)) return;
    note_answered(c, seq);
    if (seq == c->next_out) {
        c->next_out++;
        advance_early(c);
    } else {
        gr_out *o = calloc(1, sizeof *o);
        if (!o) {
            gr_conn_close(c);
            return;
        }
        o->seq = seq;
        o->none = true;
        enqueue(c, o);
    }
    gr_conn_mark_dirty(c);
}

void gr_conn_close_after(gr_conn *c, uint64_t seq) {
    OWNER_CHECK(c);
    if (c->closed) return;
    if (seq > c->next_seq) seq = c->next_seq; /* nothing more is delivered, so nothing later can come */
    if (seq < c->close_at) c->close_at = seq;
    gr_out **pp = &c->early;
    while (*pp) {
        gr_out *o = *pp;
        if (o->seq >= c->close_at) {
            *pp = o->next;
            c->out_bytes -= (size_t)gr_buf_total(&o->buf);
            out_free(o);
        } else {
            pp = &o->next;
        }
    }
    free_held(c);
    free_partial_frame(c);
    gr_conn_mark_dirty(c);
}

void gr_conn_close(gr_conn *c) {
    OWNER_CHECK(c);
    if (c->closed) return;
    c->close_now = true;
    gr_conn_mark_dirty(c);
}

/* ---- loop hooks ---- */

/* Flush, close if due, hand over held frames, and watch the right events. */
static void conn_service(gr_conn *c) {
    if (c->closed) return;
    if (c->close_now) {
        conn_close_now(c, "closed by the broker");
        return;
    }
    if (!c->out_blocked && c->out_head && conn_flush(c) < 0) return;
    if (c->close_at != GR_SEQ_NONE && c->next_out >= c->close_at && !c->out_head) {
        conn_close_now(c, "close requested");
        return;
    }
    deliver_held(c);
    if (c->close_now) {
        conn_close_now(c, "closed by the broker");
        return;
    }
    update_interest(c);
    if (c->close_now) conn_close_now(c, "epoll_ctl failed");
}

void gr_loop_service_dirty(gr_loop *l) {
    for (int round = 0; round < 16 && l->dirty; round++) {
        gr_conn *list = l->dirty;
        l->dirty = NULL;
        while (list) {
            gr_conn *c = list;
            list = c->dirty_next;
            c->dirty = false;
            c->dirty_next = NULL;
            conn_service(c);
            gr_conn_unref(c);
        }
    }
}

void gr_conn_on_event(gr_conn *c, uint32_t events) {
    if (c->closed) return;
    c->refs++;
    if (events & EPOLLERR) {
        conn_close_now(c, "socket error");
    } else {
        if (events & EPOLLOUT) c->out_blocked = false;
        if (events & (EPOLLIN | EPOLLHUP)) {
            if (can_read(c))
                conn_read(c);
            else if (events & EPOLLHUP)
                conn_close_now(c, "hang-up");
        }
        gr_conn_mark_dirty(c);
    }
    gr_conn_unref(c);
}

void gr_loop_sweep_idle(gr_loop *l, int64_t now_ms) {
    int64_t limit = l->srv->cfg.idle_timeout_ms;
    if (limit <= 0) return;
    gr_conn *next;
    for (gr_conn *c = l->conns; c; c = next) {
        next = c->next;
        /* Requests the broker still has to answer (a long fetch wait, a join) keep a connection;
           replies the client does not read do not: no byte moved for the whole period. */
        if (c->next_seq == c->next_out && now_ms - c->last_active_ms >= limit) {
            GR_DEBUG("net", "closing idle connection %s", c->peer);
            conn_close_now(c, "idle");
        }
    }
}

void gr_loop_begin_stop(gr_loop *l) {
    for (gr_conn *c = l->conns; c; c = c->next) {
        free_held(c);
        free_partial_frame(c);
        gr_conn_mark_dirty(c);
    }
}

bool gr_loop_stop_done(gr_loop *l, int64_t now_ms) {
    bool late = now_ms >= l->stop_deadline_ms;
    gr_conn *next;
    for (gr_conn *c = l->conns; c; c = next) {
        next = c->next;
        if (late || !outstanding(c)) conn_close_now(c, "server stopping");
    }
    return l->nconns == 0;
}

void gr_loop_close_all(gr_loop *l) {
    while (l->conns) conn_close_now(l->conns, "server stopped");
}
