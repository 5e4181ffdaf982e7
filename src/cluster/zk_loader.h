/*
 * zk_loader.h: the ZooKeeper C client (libzookeeper_mt), loaded only when it is needed.
 *
 * A single-node broker never talks to ZooKeeper, and linking the client would map it (and
 * OpenSSL behind it) into every broker process. So the library is opened with dlopen when
 * `zookeeper.connect` is set (or a tool is given `--zookeeper`), and every call goes through
 * the table below. The client's own types and error codes come from its header, compiled in;
 * its exported constants (node modes, states, event types) are read from the library.
 */
#ifndef GREGOR_CLUSTER_ZK_LOADER_H
#define GREGOR_CLUSTER_ZK_LOADER_H

#ifndef THREADED
#define THREADED 1 /* the synchronous calls of the multi-threaded client */
#endif
#include <stddef.h>
#include <stdio.h>
#include <zookeeper/zookeeper.h>

typedef struct gr_zk_api {
    zhandle_t *(*init)(const char *host, watcher_fn fn, int recv_timeout, const clientid_t *clientid,
                       void *context, int flags);
    int (*close)(zhandle_t *zh);
    int (*state)(zhandle_t *zh);
    const clientid_t *(*client_id)(zhandle_t *zh);
    int (*recv_timeout)(zhandle_t *zh);
    int (*create)(zhandle_t *zh, const char *path, const char *value, int valuelen,
                  const struct ACL_vector *acl, int mode, char *path_buffer, int path_buffer_len);
    int (*delete_node)(zhandle_t *zh, const char *path, int version);
    int (*wexists)(zhandle_t *zh, const char *path, watcher_fn watcher, void *ctx, struct Stat *stat);
    int (*wget)(zhandle_t *zh, const char *path, watcher_fn watcher, void *ctx, char *buffer, int *buffer_len,
                struct Stat *stat);
    int (*set2)(zhandle_t *zh, const char *path, const char *buffer, int buflen, int version,
                struct Stat *stat);
    int (*wget_children2)(zhandle_t *zh, const char *path, watcher_fn watcher, void *ctx,
                          struct String_vector *strings, struct Stat *stat);
    int (*multi)(zhandle_t *zh, int count, const zoo_op_t *ops, zoo_op_result_t *results);
    void (*create_op_init)(zoo_op_t *op, const char *path, const char *value, int valuelen,
                           const struct ACL_vector *acl, int mode, char *path_buffer, int path_buffer_len);
    void (*delete_op_init)(zoo_op_t *op, const char *path, int version);
    void (*set_op_init)(zoo_op_t *op, const char *path, const char *buffer, int buflen, int version,
                        struct Stat *stat);
    void (*check_op_init)(zoo_op_t *op, const char *path, int version);
    int (*free_strings)(struct String_vector *v);
    const char *(*error_text)(int code);
    void (*set_debug_level)(ZooLogLevel level);
    void (*set_log_stream)(FILE *stream);

    /* The library's exported constants. */
    const struct ACL_vector *open_acl;
    int persistent, ephemeral, persistent_sequential;
    int connected_state, connecting_state, associating_state, expired_state, auth_failed_state;
    int created_event, deleted_event, changed_event, child_event, session_event;
} gr_zk_api;

/* Opens the library once (thread-safe) and returns the table, or NULL with a message in err
 * naming what is missing. */
const gr_zk_api *gr_zk_load(char *err, size_t err_size);

#endif
