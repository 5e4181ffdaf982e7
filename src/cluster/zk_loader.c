/* zk_loader.c: dlopen of libzookeeper_mt (see zk_loader.h). */
#include "cluster/zk_loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

static const char *const library_names[] = {"libzookeeper_mt.so.2", "libzookeeper_mt.so"};

static gr_zk_api api;
static const gr_zk_api *loaded;
static char load_error[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static bool resolve(void *lib, const char *name, void *out, size_t size) {
    void *sym = dlsym(lib, name);
    if (!sym) {
        snprintf(load_error, sizeof load_error, "symbol %s missing from the ZooKeeper client library", name);
        return false;
    }
    memcpy(out, &sym, size);
    return true;
}

static bool constant(void *lib, const char *name, int *out) {
    const int *p = dlsym(lib, name);
    if (!p) {
        snprintf(load_error, sizeof load_error, "symbol %s missing from the ZooKeeper client library", name);
        return false;
    }
    *out = *p;
    return true;
}

#define FN(field, symbol)                                                                                    \
    if (!resolve(lib, symbol, &api.field, sizeof api.field)) return
#define CONST(field, symbol)                                                                                 \
    if (!constant(lib, symbol, &api.field)) return

static void load_once(void) {
    void *lib = NULL;
    for (size_t i = 0; i < sizeof library_names / sizeof library_names[0] && !lib; i++)
        lib = dlopen(library_names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(
            load_error, sizeof load_error,
            "cannot load the ZooKeeper C client (libzookeeper_mt.so.2, Debian package libzookeeper-mt2): %s",
            dlerror());
        return;
    }
    FN(init, "zookeeper_init");
    FN(close, "zookeeper_close");
    FN(state, "zoo_state");
    FN(client_id, "zoo_client_id");
    FN(recv_timeout, "zoo_recv_timeout");
    FN(create, "zoo_create");
    FN(delete_node, "zoo_delete");
    FN(wexists, "zoo_wexists");
    FN(wget, "zoo_wget");
    FN(set2, "zoo_set2");
    FN(wget_children2, "zoo_wget_children2");
    FN(multi, "zoo_multi");
    FN(create_op_init, "zoo_create_op_init");
    FN(delete_op_init, "zoo_delete_op_init");
    FN(set_op_init, "zoo_set_op_init");
    FN(check_op_init, "zoo_check_op_init");
    FN(free_strings, "deallocate_String_vector");
    FN(error_text, "zerror");
    FN(set_debug_level, "zoo_set_debug_level");
    FN(set_log_stream, "zoo_set_log_stream");
    if (!resolve(lib, "ZOO_OPEN_ACL_UNSAFE", &api.open_acl, sizeof api.open_acl)) return;
    CONST(persistent, "ZOO_PERSISTENT");
    CONST(ephemeral, "ZOO_EPHEMERAL");
    CONST(persistent_sequential, "ZOO_PERSISTENT_SEQUENTIAL");
    CONST(connected_state, "ZOO_CONNECTED_STATE");
    CONST(connecting_state, "ZOO_CONNECTING_STATE");
    CONST(associating_state, "ZOO_ASSOCIATING_STATE");
    CONST(expired_state, "ZOO_EXPIRED_SESSION_STATE");
    CONST(auth_failed_state, "ZOO_AUTH_FAILED_STATE");
    CONST(created_event, "ZOO_CREATED_EVENT");
    CONST(deleted_event, "ZOO_DELETED_EVENT");
    CONST(changed_event, "ZOO_CHANGED_EVENT");
    CONST(child_event, "ZOO_CHILD_EVENT");
    CONST(session_event, "ZOO_SESSION_EVENT");
    /* The client logs every connection step at INFO to stderr; the broker logs what matters. */
    api.set_debug_level(ZOO_LOG_LEVEL_ERROR);
    loaded = &api;
}

const gr_zk_api *gr_zk_load(char *err, size_t err_size) {
    pthread_once(&once, load_once);
    if (!loaded && err && err_size) snprintf(err, err_size, "%s", load_error);
    return loaded;
}
