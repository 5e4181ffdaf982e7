/*
 * admin_http.h: the admin listener (admin.listeners): a small HTTP/1.1 server on its own thread
 * serving /metrics, /health, /ready, the JSON API (admin_routes.c) and the web console at "/"
 * (admin_console.c), whose lag chart reads the lag history this thread samples (lag_history.h).
 *
 * It runs apart from the Kafka event loops so that a slow scrape or a hostile HTTP client can
 * never delay a Produce or a Fetch: one thread, poll(2), at most GR_ADMIN_CONNS_MAX clients at
 * once, each with a bounded request head and a deadline for the whole exchange; every response
 * closes its connection.
 */
#ifndef GREGOR_BROKER_ADMIN_HTTP_H
#define GREGOR_BROKER_ADMIN_HTTP_H

#include <stdbool.h>

#include "base/buf.h"
#include "broker/http_request.h"
#include "broker/lag_history.h"

#define GR_ADMIN_CONNS_MAX 16
#define GR_ADMIN_DEADLINE_MS 10000 /* from accept to the last byte of the response */

typedef struct gr_broker gr_broker;
typedef struct gr_admin gr_admin;

/* Binds host:port (port 0 picks one) and starts the thread. NULL after logging why. */
gr_admin *gr_admin_start(gr_broker *b, const char *host, int port);
int gr_admin_port(const gr_admin *a);
/* Stops the thread, closes every connection, frees. */
void gr_admin_stop(gr_admin *a);

/* admin_routes.c: the whole response (status line, headers, body) to a parsed request. */
void gr_admin_route(gr_broker *b, const gr_lag_history *history, const gr_http_request *req, gr_buf *out);
/* admin_console.c: the web console page served at "/". */
extern const char gr_admin_console_html[];
/* A response with a plain-text body. */
void gr_admin_respond(gr_buf *out, int status, const char *content_type, const void *body, size_t len);

#endif
