/*
 * zk_session.h: one ZooKeeper session of the cluster layer, with synchronous helpers.
 *
 * The cluster thread is the only caller of the helpers; they block for one round trip (or until
 * the client gives up on a lost connection). Watches and session changes arrive on the client's
 * own thread and are handed to `notify`, which must only queue them (the cluster thread re-reads
 * what changed). The connect string is Kafka's: `host:port[,host:port...][/chroot]`; a missing
 * chroot is created first, as Kafka does.
 */
#ifndef GREGOR_CLUSTER_ZK_SESSION_H
#define GREGOR_CLUSTER_ZK_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/zk_loader.h"

typedef enum gr_zks_event {
    GR_ZKS_WATCH,        /* a watched node or its children changed: re-read */
    GR_ZKS_CONNECTED,    /* (re)connected within the same session */
    GR_ZKS_DISCONNECTED, /* connection lost; the session may still live */
    GR_ZKS_EXPIRED,      /* the session is gone: ephemeral nodes and watches with it */
} gr_zks_event;

typedef void (*gr_zks_notify_fn)(void *ud, gr_zks_event event);

typedef struct gr_zk_session gr_zk_session;

/* Connects (creating the chroot when missing) and waits up to connect_timeout_ms for the session.
 * NULL with the reason in err on failure. */
gr_zk_session *gr_zks_open(const char *connect, int session_timeout_ms, int connect_timeout_ms,
                           gr_zks_notify_fn notify, void *ud, char *err, size_t err_size);
/* After GR_ZKS_EXPIRED: a new session on the same ensemble, waiting as gr_zks_open does. */
bool gr_zks_reopen(gr_zk_session *s, char *err, size_t err_size);
void gr_zks_close(gr_zk_session *s);
bool gr_zks_connected(gr_zk_session *s);
/* The session timeout the server granted (ms). */
int gr_zks_session_timeout(gr_zk_session *s);
const gr_zk_api *gr_zks_api(gr_zk_session *s);
const char *gr_zks_error(gr_zk_session *s, int rc);

/* Each returns a ZooKeeper code (ZOK, ZNONODE, ZNODEEXISTS, ZBADVERSION, ZCONNECTIONLOSS...). */
/* *data is malloc'ed and NUL-terminated (free it); stat may be NULL. */
int gr_zks_get(gr_zk_session *s, const char *path, bool watch, char **data, int *len, struct Stat *stat);
/* Children names; free with gr_zks_free_children. */
int gr_zks_children(gr_zk_session *s, const char *path, bool watch, struct String_vector *out);
void gr_zks_free_children(gr_zk_session *s, struct String_vector *v);
int gr_zks_exists(gr_zk_session *s, const char *path, bool watch, struct Stat *stat);
/* mode: the api's persistent, ephemeral or persistent_sequential. make_parents creates missing
 * parents (persistent, empty) first. created (may be NULL) receives the created path. */
int gr_zks_create(gr_zk_session *s, const char *path, const char *data, size_t len, int mode, bool make_parents,
                  char *created, size_t created_cap);
/* version -1: any. stat (may be NULL) receives the new stat. */
int gr_zks_set(gr_zk_session *s, const char *path, const char *data, size_t len, int version, struct Stat *stat);
int gr_zks_delete(gr_zk_session *s, const char *path, int version);
/* Deletes a node and everything under it (children first). ZNONODE counts as done. */
int gr_zks_delete_tree(gr_zk_session *s, const char *path);
int gr_zks_multi(gr_zk_session *s, int count, const zoo_op_t *ops, zoo_op_result_t *results);

#endif
