/* zk_session.c: a ZooKeeper session with synchronous helpers (see zk_session.h). */
#include "cluster/zk_session.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"

#define GET_FIRST_BYTES (64 * 1024)
#define GET_MAX_BYTES (16 * 1024 * 1024) /* well above ZooKeeper's own 1 MB jute.maxbuffer */
#define STATE_POLL_MS 10

struct gr_zk_session {
    const gr_zk_api *api;
    char hosts[1024];  /* without the chroot */
    char chroot[1024]; /* "" or "/path" */
    int session_timeout_ms, connect_timeout_ms;
    gr_zks_notify_fn notify;
    void *ud;
    _Atomic(zhandle_t *) zh;
    /* Held for reading around calls made off the cluster thread (get, set, create), for writing
     * while a handle is closed, so no call uses a closed handle. */
    pthread_rwlock_t handle_lock;
};

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Runs on the client's thread: only queue. Events of a replaced handle are dropped. */
static void on_event(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    (void)path;
    gr_zk_session *s = ctx;
    if (!s || zh != atomic_load(&s->zh)) return;
    const gr_zk_api *api = s->api;
    if (type != api->session_event) {
        s->notify(s->ud, GR_ZKS_WATCH);
        return;
    }
    if (state == api->connected_state)
        s->notify(s->ud, GR_ZKS_CONNECTED);
    else if (state == api->expired_state || state == api->auth_failed_state)
        s->notify(s->ud, GR_ZKS_EXPIRED);
    else
        s->notify(s->ud, GR_ZKS_DISCONNECTED);
}

/* The session watcher of a handle used only before the real one exists. */
static void ignore_event(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    (void)zh, (void)type, (void)state, (void)path, (void)ctx;
}

static bool wait_connected(const gr_zk_api *api, zhandle_t *zh, int timeout_ms) {
    int64_t deadline = gr_mono_ms() + timeout_ms;
    while (api->state(zh) != api->connected_state) {
        int st = api->state(zh);
        if (st == api->expired_state || st == api->auth_failed_state || gr_mono_ms() >= deadline) return false;
        sleep_ms(STATE_POLL_MS);
    }
    return true;
}

/* Kafka creates a missing chroot before it uses it: through a session without the chroot. */
static bool ensure_chroot(gr_zk_session *s, char *err, size_t err_size) {
    if (!s->chroot[0]) return true;
    zhandle_t *zh = s->api->init(s->hosts, ignore_event, s->session_timeout_ms, NULL, NULL, 0);
    if (!zh || !wait_connected(s->api, zh, s->connect_timeout_ms)) {
        snprintf(err, err_size, "timed out after %d ms waiting to connect to ZooKeeper at %s",
                 s->connect_timeout_ms, s->hosts);
        if (zh) s->api->close(zh);
        return false;
    }
    char path[1024];
    int rc = ZOK;
    for (const char *p = s->chroot + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        size_t n = (size_t)(p - s->chroot);
        memcpy(path, s->chroot, n);
        path[n] = '\0';
        rc = s->api->create(zh, path, NULL, -1, s->api->open_acl, s->api->persistent, NULL, 0);
        if (rc != ZOK && rc != ZNODEEXISTS) break;
        rc = ZOK;
        if (*p == '\0') break;
    }
    s->api->close(zh);
    if (rc != ZOK) snprintf(err, err_size, "cannot create the chroot %s: %s", s->chroot, s->api->error_text(rc));
    return rc == ZOK;
}

static bool connect_session(gr_zk_session *s, char *err, size_t err_size) {
    char full[2048];
    snprintf(full, sizeof full, "%s%s", s->hosts, s->chroot);
    zhandle_t *zh = s->api->init(full, on_event, s->session_timeout_ms, NULL, s, 0);
    if (!zh) {
        snprintf(err, err_size, "cannot start a ZooKeeper session to %s", full);
        return false;
    }
    atomic_store(&s->zh, zh);
    if (!wait_connected(s->api, zh, s->connect_timeout_ms)) {
        snprintf(err, err_size, "timed out after %d ms waiting to connect to ZooKeeper at %s",
                 s->connect_timeout_ms, full);
        atomic_store(&s->zh, NULL);
        s->api->close(zh);
        return false;
    }
    return true;
}

gr_zk_session *gr_zks_open(const char *connect, int session_timeout_ms, int connect_timeout_ms,
                           gr_zks_notify_fn notify, void *ud, char *err, size_t err_size) {
    const gr_zk_api *api = gr_zk_load(err, err_size);
    if (!api) return NULL;
    gr_zk_session *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    pthread_rwlock_init(&s->handle_lock, NULL);
    s->api = api;
    const char *slash = strchr(connect, '/');
    size_t hosts_len = slash ? (size_t)(slash - connect) : strlen(connect);
    if (hosts_len == 0 || hosts_len >= sizeof s->hosts || (slash && strlen(slash) >= sizeof s->chroot)) {
        snprintf(err, err_size, "malformed connect string '%s'", connect);
        free(s);
        return NULL;
    }
    memcpy(s->hosts, connect, hosts_len);
    if (slash) {
        snprintf(s->chroot, sizeof s->chroot, "%s", slash);
        size_t n = strlen(s->chroot);
        while (n > 1 && s->chroot[n - 1] == '/') s->chroot[--n] = '\0';
        if (!strcmp(s->chroot, "/")) s->chroot[0] = '\0';
    }
    s->session_timeout_ms = session_timeout_ms;
    s->connect_timeout_ms = connect_timeout_ms > 0 ? connect_timeout_ms : session_timeout_ms;
    s->notify = notify;
    s->ud = ud;
    if (!ensure_chroot(s, err, err_size) || !connect_session(s, err, err_size)) {
        free(s);
        return NULL;
    }
    return s;
}

bool gr_zks_reopen(gr_zk_session *s, char *err, size_t err_size) {
    pthread_rwlock_wrlock(&s->handle_lock);
    zhandle_t *old = atomic_exchange(&s->zh, NULL);
    if (old) s->api->close(old);
    pthread_rwlock_unlock(&s->handle_lock);
    return connect_session(s, err, err_size);
}

void gr_zks_close(gr_zk_session *s) {
    if (!s) return;
    pthread_rwlock_wrlock(&s->handle_lock);
    zhandle_t *zh = atomic_exchange(&s->zh, NULL);
    if (zh) s->api->close(zh);
    pthread_rwlock_unlock(&s->handle_lock);
    pthread_rwlock_destroy(&s->handle_lock);
    free(s);
}

bool gr_zks_connected(gr_zk_session *s) {
    zhandle_t *zh = atomic_load(&s->zh);
    return zh && s->api->state(zh) == s->api->connected_state;
}

int gr_zks_session_timeout(gr_zk_session *s) {
    zhandle_t *zh = atomic_load(&s->zh);
    return zh ? s->api->recv_timeout(zh) : s->session_timeout_ms;
}

const gr_zk_api *gr_zks_api(gr_zk_session *s) { return s->api; }

const char *gr_zks_error(gr_zk_session *s, int rc) { return s->api->error_text(rc); }

static zhandle_t *handle(gr_zk_session *s) { return atomic_load(&s->zh); }

static int zks_get_unlocked(gr_zk_session *s, const char *path, bool watch, char **data, int *len, struct Stat *stat) {
    struct Stat st;
    int cap = GET_FIRST_BYTES;
    *data = NULL;
    *len = 0;
    zhandle_t *zh = handle(s);
    if (!zh) return ZINVALIDSTATE;
    for (int attempt = 0; attempt < 3; attempt++) {
        char *buf = malloc((size_t)cap + 1);
        if (!buf) return ZSYSTEMERROR;
        int n = cap;
        int rc = s->api->wget(zh, path, watch ? on_event : NULL, watch ? s : NULL, buf, &n, &st);
        if (rc != ZOK) {
            free(buf);
            return rc;
        }
        if (st.dataLength > cap) { /* the node is larger than the buffer: again, large enough */
            free(buf);
            if (st.dataLength > GET_MAX_BYTES) return ZMARSHALLINGERROR;
            cap = st.dataLength;
            continue;
        }
        if (n < 0) n = 0; /* a node without data */
        buf[n] = '\0';
        *data = buf;
        *len = n;
        if (stat) *stat = st;
        return ZOK;
    }
    return ZMARSHALLINGERROR;
}

int gr_zks_children(gr_zk_session *s, const char *path, bool watch, struct String_vector *out) {
    struct Stat st;
    memset(out, 0, sizeof *out);
    zhandle_t *zh = handle(s);
    if (!zh) return ZINVALIDSTATE;
    return s->api->wget_children2(zh, path, watch ? on_event : NULL, watch ? s : NULL, out, &st);
}

void gr_zks_free_children(gr_zk_session *s, struct String_vector *v) {
    if (v->data) s->api->free_strings(v);
    memset(v, 0, sizeof *v);
}

int gr_zks_exists(gr_zk_session *s, const char *path, bool watch, struct Stat *stat) {
    struct Stat st;
    zhandle_t *zh = handle(s);
    if (!zh) return ZINVALIDSTATE;
    return s->api->wexists(zh, path, watch ? on_event : NULL, watch ? s : NULL, stat ? stat : &st);
}

static int create_parents(gr_zk_session *s, zhandle_t *zh, const char *path) {
    char prefix[1024];
    size_t n = strlen(path);
    if (n >= sizeof prefix) return ZBADARGUMENTS;
    for (size_t i = 1; i < n; i++) {
        if (path[i] != '/') continue;
        memcpy(prefix, path, i);
        prefix[i] = '\0';
        int rc = s->api->create(zh, prefix, NULL, -1, s->api->open_acl, s->api->persistent, NULL, 0);
        if (rc != ZOK && rc != ZNODEEXISTS) return rc;
    }
    return ZOK;
}

static int zks_create_unlocked(gr_zk_session *s, const char *path, const char *data, size_t len, int mode, bool make_parents,
                  char *created, size_t created_cap) {
    zhandle_t *zh = handle(s);
    if (!zh) return ZINVALIDSTATE;
    int rc = s->api->create(zh, path, data, data ? (int)len : -1, s->api->open_acl, mode, created,
                            created ? (int)created_cap : 0);
    if (rc == ZNONODE && make_parents) {
        rc = create_parents(s, zh, path);
        if (rc == ZOK)
            rc = s->api->create(zh, path, data, data ? (int)len : -1, s->api->open_acl, mode, created,
                                created ? (int)created_cap : 0);
    }
    return rc;
}

static int zks_set_unlocked(gr_zk_session *s, const char *path, const char *data, size_t len, int version, struct Stat *stat) {
    struct Stat st;
    zhandle_t *zh = handle(s);
    if (!zh) return ZINVALIDSTATE;
    return s->api->set2(zh, path, data, (int)len, version, stat ? stat : &st);
}

int gr_zks_delete(gr_zk_session *s, const char *path, int version) {
    zhandle_t *zh = handle(s);
    if (!zh) return ZINVALIDSTATE;
    return s->api->delete_node(zh, path, version);
}

static int delete_tree(gr_zk_session *s, const char *path, int depth) {
    if (depth > 16) return ZBADARGUMENTS;
    struct String_vector kids;
    int rc = gr_zks_children(s, path, false, &kids);
    if (rc == ZNONODE) return ZOK;
    if (rc != ZOK) return rc;
    for (int i = 0; i < kids.count && rc == ZOK; i++) {
        char child[1024];
        if (snprintf(child, sizeof child, "%s/%s", path, kids.data[i]) >= (int)sizeof child) {
            rc = ZBADARGUMENTS;
            break;
        }
        rc = delete_tree(s, child, depth + 1);
    }
    gr_zks_free_children(s, &kids);
    if (rc != ZOK) return rc;
    rc = gr_zks_delete(s, path, -1);
    return rc == ZNONODE ? ZOK : rc;
}

int gr_zks_delete_tree(gr_zk_session *s, const char *path) { return delete_tree(s, path, 0); }

int gr_zks_multi(gr_zk_session *s, int count, const zoo_op_t *ops, zoo_op_result_t *results) {
    zhandle_t *zh = handle(s);
    if (!zh) return ZINVALIDSTATE;
    return s->api->multi(zh, count, ops, results);
}

int gr_zks_get(gr_zk_session *s, const char *path, bool watch, char **data, int *len, struct Stat *stat) {
    pthread_rwlock_rdlock(&s->handle_lock);
    int rc = zks_get_unlocked(s, path, watch, data, len, stat);
    pthread_rwlock_unlock(&s->handle_lock);
    return rc;
}

int gr_zks_create(gr_zk_session *s, const char *path, const char *data, size_t len, int mode, bool make_parents,
                  char *created, size_t created_cap) {
    pthread_rwlock_rdlock(&s->handle_lock);
    int rc = zks_create_unlocked(s, path, data, len, mode, make_parents, created, created_cap);
    pthread_rwlock_unlock(&s->handle_lock);
    return rc;
}

int gr_zks_set(gr_zk_session *s, const char *path, const char *data, size_t len, int version, struct Stat *stat) {
    pthread_rwlock_rdlock(&s->handle_lock);
    int rc = zks_set_unlocked(s, path, data, len, version, stat);
    pthread_rwlock_unlock(&s->handle_lock);
    return rc;
}
