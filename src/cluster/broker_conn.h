/*
 * broker_conn.h: a blocking Kafka client connection from one broker to another.
 *
 * Broker-to-broker traffic (a follower fetching from its leader) runs on a thread of its own, so
 * it is plain request/response over one TCP socket: frame out, frame in. Every wait is a poll on
 * the socket and on the owner's wake eventfd, bounded by the socket timeout, so another thread
 * can stop the owner at once however slow the peer is: it sets the stop flag and writes the
 * eventfd. Frames larger than the caller's cap are refused (the connection is then unusable).
 */
#ifndef GREGOR_CLUSTER_BROKER_CONN_H
#define GREGOR_CLUSTER_BROKER_CONN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

typedef enum gr_bconn_status {
    GR_BCONN_OK = 0,
    GR_BCONN_ERROR = -1,   /* refused, reset, timed out, closed by the peer, oversized frame */
    GR_BCONN_STOPPED = -2, /* the stop flag was set while waiting */
} gr_bconn_status;

typedef struct gr_broker_conn {
    int fd;                  /* -1 when closed */
    int wake_fd;             /* the owner's eventfd (not owned here); a write interrupts waits */
    const atomic_bool *stop; /* checked whenever wake_fd fires */
    int timeout_ms;          /* connect timeout, and the longest wait for the peer's next bytes */
    int32_t correlation_id;  /* of the last request framed */
    char error[128];         /* why the last call failed, for the owner's log */
} gr_broker_conn;

void gr_broker_conn_init(gr_broker_conn *c, int wake_fd, const atomic_bool *stop, int timeout_ms);
/* Resolves host and connects (TCP_NODELAY, SO_RCVTIMEO/SO_SNDTIMEO = timeout_ms). */
gr_bconn_status gr_broker_conn_open(gr_broker_conn *c, const char *host, int port);
void gr_broker_conn_close(gr_broker_conn *c);

/* Starts a request frame at the end of b (size placeholder, request header of the version the
 * API uses at api_version, next correlation id); returns its start for gr_broker_conn_end_request. */
size_t gr_broker_conn_begin_request(gr_broker_conn *c, gr_buf *b, int16_t api_key, int16_t api_version,
                                    const char *client_id);
void gr_broker_conn_end_request(gr_buf *b, size_t start);

/* Sends the whole buffer (memory only: no splices). */
gr_bconn_status gr_broker_conn_send(gr_broker_conn *c, const gr_buf *b);

/* Receives one frame (size prefix removed) into *frame (grown with realloc up to max_bytes;
 * the caller frees it). */
gr_bconn_status gr_broker_conn_recv(gr_broker_conn *c, uint8_t **frame, size_t *frame_cap, size_t max_bytes,
                                    size_t *len);

#endif
