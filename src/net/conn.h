/*
 * conn.h: one client connection, owned by one loop.
 *
 * Requests get consecutive seq numbers as they are delivered. A reply for
 * seq == next_out goes straight to the output queue; a reply that arrives
 * early waits in `early` (sorted by seq) until every earlier slot is filled.
 * So bytes leave in request order whatever order the broker answers in.
 */
#ifndef GREGOR_NET_CONN_H
#define GREGOR_NET_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "net/loop.h"

/* A reply: queued for writing, or waiting for its turn. The cursor (mem_off,
   splice, splice_off) says how much of buf has been written. */
typedef struct gr_out {
    struct gr_out *next;
    uint64_t seq;
    gr_buf buf;
    size_t mem_off;     /* memory bytes written */
    int splice;         /* index of the next splice to send */
    int64_t splice_off; /* bytes of that splice already sent */
    bool none;          /* gr_conn_reply_none: slot only */
} gr_out;

/* A complete frame read while delivery was paused (too many requests outstanding). */
typedef struct gr_frame {
    struct gr_frame *next;
    uint8_t *data;
    size_t len;
} gr_frame;

#define GR_SEQ_NONE UINT64_MAX

struct gr_conn {
    gr_ev_kind kind; /* GR_EV_CONN */
    gr_loop *loop;
    int fd;
    int refs;
    bool closed;
    bool close_now;   /* gr_conn_close or an error seen inside a callback */
    bool dirty;       /* on loop->dirty */
    bool out_blocked; /* socket buffer full: waiting for EPOLLOUT */
    uint32_t ev_mask; /* what epoll currently watches */
    gr_conn *prev, *next, *dirty_next;
    void *user;
    uint64_t id;
    int64_t last_active_ms;

    /* Reading: header bytes, then the frame buffer of exactly the announced size. */
    uint8_t hdr[4];
    uint32_t hdr_have;
    uint8_t *frame;
    size_t frame_len, frame_have, frame_cap;
    gr_frame *held_head, *held_tail; /* read but not yet delivered */

    /* Ordering. */
    uint64_t next_seq; /* seq of the next frame to deliver */
    uint64_t next_out; /* lowest seq whose reply is not yet queued */
    uint64_t close_at; /* close once replies below this are written; GR_SEQ_NONE */
    gr_out *early;     /* replies above next_out, sorted by seq */
    gr_out *out_head, *out_tail;
    size_t out_bytes; /* bytes queued or waiting in `early`, not yet written */

    /* Request frames delivered and not yet answered (gr_conn_reply / reply_none), for the byte
     * bound: the frame length + 1 of each seq from req_base on (0 once answered), in a ring that
     * grows to at most GR_CONN_INFLIGHT_REQUESTS_MAX entries (a power of two). */
    size_t unanswered_bytes;
    uint32_t *req_len;
    uint32_t req_len_cap;
    uint32_t req_len_head; /* ring index of req_base */
    uint64_t req_base;     /* lowest seq that may be unanswered; == next_seq when none is */

    char peer[64];
};

#endif
