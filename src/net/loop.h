/*
 * loop.h: the internals shared by the files of net/ (server, loop, listener, conn).
 *
 * Every epoll registration carries a pointer to a struct that starts with a
 * gr_ev_kind, so one epoll_wait serves listeners, connections and the wake-up
 * eventfd alike.
 */
#ifndef GREGOR_NET_LOOP_H
#define GREGOR_NET_LOOP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/limits.h"
#include "net/server.h"
#include "net/timer.h"

/* Tuning (not limits): bytes read per read(2) into the loop's shared staging buffer,
   and how many iovecs one sendmsg gathers. */
#define GR_NET_READ_CHUNK_BYTES 16384
#define GR_NET_IOV_PER_WRITE 64
/* Frames above this size get their buffer grown as bytes arrive, so a peer that
   announces 100 MB and sends nothing does not pin 100 MB. */
#define GR_NET_FRAME_EAGER_ALLOC_BYTES (1024 * 1024)
#define GR_NET_EVENTS_PER_WAIT 64
#define GR_NET_READS_PER_WAKE 8
#define GR_NET_ACCEPTS_PER_WAKE 32
#define GR_NET_ACCEPT_RETRY_MS 100 /* pause after running out of descriptors */
#define GR_NET_IDLE_SWEEP_MAX_MS 1000
#define GR_NET_POST_DRAIN_ROUNDS_MAX 1000

typedef enum { GR_EV_WAKE = 1, GR_EV_LISTENER, GR_EV_CONN } gr_ev_kind;

typedef struct gr_post_item {
    struct gr_post_item *next;
    void (*fn)(void *ud);
    void *ud;
} gr_post_item;

typedef struct gr_listener {
    gr_ev_kind kind; /* GR_EV_LISTENER */
    int fd;
    int port;
    gr_server *srv;
} gr_listener;

struct gr_loop {
    gr_ev_kind kind; /* GR_EV_WAKE: the eventfd's registration points here */
    gr_server *srv;
    int index;
    int epfd;
    int wakefd;
    pthread_t thread;
    bool thread_started;
    atomic_bool running;

    pthread_mutex_t post_mu;
    gr_post_item *post_head, *post_tail; /* gr_loop_post */
    gr_post_item *all_head, *all_tail;   /* gr_server_post_all, coalesced */

    gr_timer_heap timers;
    gr_conn *conns; /* doubly linked, every open connection of this loop */
    int nconns;
    gr_conn *dirty;   /* connections to service before the next wait (each holds a ref) */
    uint8_t *staging; /* GR_NET_READ_CHUNK_BYTES, allocated on first read */
    uint64_t sweep_timer;
    bool stopping;
    int64_t stop_deadline_ms;
    bool listeners_paused;
    uint64_t next_conn_id;
};

struct gr_server {
    gr_server_config cfg;
    gr_server_handlers h;
    void *ud;
    int nloops;
    gr_loop **loops;
    pthread_mutex_t listen_mu;
    gr_listener *listeners[GR_NET_LISTENERS_MAX];
    int nlisteners;
    atomic_bool stop_requested;
    atomic_uint next_loop; /* round-robin placement of accepted connections */
};

extern _Thread_local gr_loop *gr_tl_loop;

/* loop.c */
int gr_loop_init(gr_loop *l, gr_server *s, int index);
void gr_loop_destroy(gr_loop *l);
void gr_loop_run(gr_loop *l);
void gr_loop_wake(gr_loop *l); /* async-signal-safe */
bool gr_loop_post_item(gr_loop *l, void (*fn)(void *ud), void *ud, bool coalesce);
void gr_loop_drain_posts(gr_loop *l);
void gr_loop_conn_added(gr_loop *l);

/* listener.c */
void gr_listener_on_ready(gr_loop *l, gr_listener *ls);
void gr_loop_pause_listeners(gr_loop *l, bool pause);
void gr_format_peer(const void *sockaddr, char *out, size_t out_size);

/* conn.c */
void gr_conn_adopt(gr_loop *l, int fd, const char *peer);
void gr_conn_on_event(gr_conn *c, uint32_t events);
void gr_conn_mark_dirty(gr_conn *c);
void gr_loop_service_dirty(gr_loop *l);
void gr_loop_sweep_idle(gr_loop *l, int64_t now_ms);
void gr_loop_begin_stop(gr_loop *l);
bool gr_loop_stop_done(gr_loop *l, int64_t now_ms); /* closes drained connections */
void gr_loop_close_all(gr_loop *l);

#endif
