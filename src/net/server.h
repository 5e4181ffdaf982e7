/*
 * server.h: the networking layer's public face.
 *
 * A gr_server runs N event-loop threads; each owns the connections it was
 * given and everything about them (reads, replies, timers) happens on that
 * loop's thread. The layer knows nothing of Kafka: it reads length-prefixed
 * frames (4-byte big-endian size, then `size` bytes), hands each one to
 * on_request, and writes the replies back in request order. See
 * docs/networking.md for the model, the ordering guarantee and back-pressure.
 *
 * Threading: functions marked "loop thread" must be called on the loop
 * thread that owns the object (inside a callback, a timer or a posted
 * function). gr_loop_post, gr_server_post_all and gr_server_stop may be
 * called from any thread; gr_server_stop also from a signal handler.
 */
#ifndef GREGOR_NET_SERVER_H
#define GREGOR_NET_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

typedef struct gr_server gr_server;
typedef struct gr_loop gr_loop;
typedef struct gr_conn gr_conn;

typedef struct gr_server_config {
    int loops;                        /* event-loop threads; 0 = one per online core */
    int64_t idle_timeout_ms;          /* connections.max.idle.ms; 0 = default 600000, < 0 = never */
    int32_t max_request_bytes;        /* socket.request.max.bytes; <= 0 = default 100 MiB */
    size_t conn_output_max_bytes;     /* stop reading a client above this much queued output; 0 = default */
    size_t conn_unanswered_max_bytes; /* stop reading a client whose delivered, unanswered request
                                         frames reach this many bytes; 0 = default 4 MiB */
} gr_server_config;

/* Fills in the defaults (same values that zero fields stand for). */
void gr_server_config_defaults(gr_server_config *c);

typedef struct gr_server_handlers {
    /* A connection was accepted (may be NULL). */
    void (*on_open)(gr_conn *c, void *ud);
    /* One complete frame (size prefix removed), on the connection's loop thread. `frame` is malloc'd
       and owned by the callee (free() it). Requests on a connection are delivered in order; `seq`
       identifies the reply slot (0, 1, 2, ...); replies are written in seq order whatever order they
       are given in. Every delivered seq must eventually get gr_conn_reply or gr_conn_reply_none
       (unless the connection closes or gr_conn_close_after covers it). */
    void (*on_request)(gr_conn *c, uint8_t *frame, size_t len, uint64_t seq, void *ud);
    /* Called exactly once per connection, on its loop thread, after which replies are dropped.
       The memory stays valid while references taken with gr_conn_ref are held (may be NULL). */
    void (*on_close)(gr_conn *c, void *ud);
} gr_server_handlers;

/* Creates the loops (not yet running). Returns NULL on failure. Sets SIGPIPE to ignored if it was
   at its default (a peer closing its socket must not kill the process). */
gr_server *gr_server_new(const gr_server_config *cfg, const gr_server_handlers *h, void *ud);
/* Binds and listens. host: "" or NULL = every address (IPv6 and IPv4 when available), "0.0.0.0" =
   every IPv4 address, "::" = every address, or a literal/resolvable address such as "127.0.0.1"
   or "::1". port 0 picks a free port. Returns the bound port (> 0) or -1 (errno set, error logged).
   May be called several times, before or while running. */
int gr_server_listen(gr_server *s, const char *host, int port);
/* Runs every loop (loop 0 on the calling thread, the others on new threads); returns 0 after
   gr_server_stop once every loop has drained and exited, -1 if threads could not be started. */
int gr_server_run(gr_server *s);
/* Thread-safe and async-signal-safe. Loops stop accepting and reading, give outstanding replies a
   bounded time (GR_NET_STOP_DRAIN_MS) to be written, then close every connection. */
void gr_server_stop(gr_server *s);
/* After gr_server_run returned (or if it never ran). Runs functions still posted, frees loops. */
void gr_server_free(gr_server *s);
int gr_server_loop_count(gr_server *s);
gr_loop *gr_server_loop(gr_server *s, int i);
/* Thread-safe: runs fn(ud) once on every loop. While an identical (fn, ud) is still queued on a
   loop it is not queued again, so a burst of calls costs one wake-up per loop. */
void gr_server_post_all(gr_server *s, void (*fn)(void *ud), void *ud);

/* Loop thread. Reply: `response` holds the whole frame incl. its 4-byte size prefix; its contents
   (memory and file references) are taken over and `response` is left empty. A buffer whose
   allocation failed (oom), or whose size prefix does not match its length, is not sent: the
   connection is closed, since the client would otherwise lose track of frame boundaries. */
void gr_conn_reply(gr_conn *c, uint64_t seq, gr_buf *response);
void gr_conn_reply_none(gr_conn *c, uint64_t seq); /* slot consumed, nothing written (acks=0) */
/* Stop reading now; close once every reply before seq is written. Replies for seq and later are
   dropped. Frames not yet delivered are discarded. */
void gr_conn_close_after(gr_conn *c, uint64_t seq);
void gr_conn_close(gr_conn *c); /* close soon, dropping queued output */
void gr_conn_ref(gr_conn *c);   /* loop thread; keeps the memory alive across waits */
void gr_conn_unref(gr_conn *c); /* loop thread; or any thread after gr_server_run returned, before free */
bool gr_conn_is_closed(gr_conn *c);
gr_loop *gr_conn_loop(gr_conn *c);
/* The client address as Kafka shows it: "/127.0.0.1", IPv6 in Java's full form "/0:0:0:0:0:0:0:1"
   (IPv4-mapped IPv6 addresses print as IPv4). */
const char *gr_conn_peer(gr_conn *c);
void *gr_conn_user(gr_conn *c);
void gr_conn_set_user(gr_conn *c, void *p);

/* Loop thread. Runs cb(ud) once after delay_ms (>= 0) on this loop. Returns a non-zero id (0 only
   if memory ran out, and then the timer never runs).
   Timers still pending when the loop exits are dropped without running: whoever armed them
   releases what they hold during its own teardown. */
uint64_t gr_loop_timer_add(gr_loop *l, int64_t delay_ms, void (*cb)(void *ud), void *ud);
/* Loop thread. true if the timer was pending and will not run. */
bool gr_loop_timer_cancel(gr_loop *l, uint64_t timer_id);
/* Thread-safe; runs fn(ud) on l's thread, in posting order. Posted functions still queued when the
   loop exits run at its exit (or in gr_server_free), so they can always release what they hold. */
void gr_loop_post(gr_loop *l, void (*fn)(void *ud), void *ud);
gr_loop *gr_loop_current(void); /* the loop running on this thread, or NULL */
int gr_loop_index(gr_loop *l);  /* 0 .. gr_server_loop_count()-1, for per-loop state */

#endif
