/*
 * zk_bootstrap.c: reading the brokers' endpoints from ZooKeeper (see zk_bootstrap.h).
 *
 * Only the synchronous calls of the ZooKeeper client are used: the session is opened, the state
 * polled until it is connected or the deadline passes, /brokers/ids listed and each child read.
 * A chroot in the connect string is the client's business: paths here are relative to it.
 */
#include "cli/zk_bootstrap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/clock.h"
#include "base/json_reader.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cluster/zk_loader.h"

#define BROKER_IDS_PATH "/brokers/ids"

/* "NAME://host:port" -> NAME and host:port; false when it has no "://". */
static bool split_endpoint(const char *endpoint, char *name, size_t name_cap, const char **address) {
    const char *sep = strstr(endpoint, "://");
    if (!sep || (size_t)(sep - endpoint) >= name_cap) return false;
    memcpy(name, endpoint, (size_t)(sep - endpoint));
    name[sep - endpoint] = '\0';
    *address = sep + 3;
    return true;
}

/* Writes host:port, with "localhost" for an empty host (a listener bound to every address). */
static bool put_address(char *out, size_t cap, const char *host, size_t host_len, const char *port) {
    if (host_len == 0) {
        host = "localhost";
        host_len = strlen(host);
    }
    int n = snprintf(out, cap, "%.*s:%s", (int)host_len, host, port);
    return n > 0 && (size_t)n < cap;
}

/* host:port of an address part ("host:port", "[::1]:port", ":port"), checked for a port. */
static bool address_of(const char *address, char *out, size_t cap) {
    const char *colon = strrchr(address, ':');
    if (!colon || colon[1] == '\0') return false;
    for (const char *p = colon + 1; *p; p++)
        if (*p < '0' || *p > '9') return false;
    return put_address(out, cap, address, (size_t)(colon - address), colon + 1);
}

/* The security protocol of listener `name`: from the map when there is one, else the name. */
static bool listener_protocol(const gr_json_value *map, const char *name, char *out, size_t cap) {
    gr_json_value protocol;
    if (map && gr_json_member(map, name, &protocol)) return gr_json_string(&protocol, out, cap);
    return snprintf(out, cap, "%s", name) < (int)cap;
}

bool gr_zk_registration_endpoint(const char *json, size_t len, const char *protocol, char *out, size_t cap) {
    gr_json_value doc, map, endpoints, item;
    if (!gr_json_parse(json, len, &doc) || doc.type != GR_JSON_OBJECT) return false;
    bool has_map = gr_json_member(&doc, "listener_security_protocol_map", &map) && map.type == GR_JSON_OBJECT;
    if (gr_json_member(&doc, "endpoints", &endpoints) && endpoints.type == GR_JSON_ARRAY) {
        for (size_t i = 0; i < GR_ZK_BROKERS_MAX && gr_json_element(&endpoints, i, &item); i++) {
            char endpoint[GR_ZK_ENDPOINT_BYTES_MAX], name[128], listener_security[128];
            const char *address;
            if (!gr_json_string(&item, endpoint, sizeof endpoint)) continue;
            if (!split_endpoint(endpoint, name, sizeof name, &address)) continue;
            if (!listener_protocol(has_map ? &map : NULL, name, listener_security, sizeof listener_security))
                continue;
            if (strcasecmp(listener_security, protocol) == 0 && address_of(address, out, cap)) return true;
        }
    }
    /* Registrations of version 1 have only these; later ones keep them for the PLAINTEXT listener. */
    gr_json_value host_value, port_value;
    char host[256], port[16];
    int64_t port_number;
    if (strcasecmp(protocol, "PLAINTEXT") != 0) return false;
    if (!gr_json_member(&doc, "host", &host_value) || !gr_json_string(&host_value, host, sizeof host))
        return false;
    if (!gr_json_member(&doc, "port", &port_value) || !gr_json_int(&port_value, &port_number)) return false;
    if (host[0] == '\0' || port_number <= 0 || port_number > 65535) return false;
    snprintf(port, sizeof port, "%d", (int)port_number);
    return put_address(out, cap, host, strlen(host), port);
}

static void ignore_events(zhandle_t *zh, int type, int state, const char *path, void *ctx) {
    (void)zh, (void)type, (void)state, (void)path, (void)ctx;
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Waits for the session; returns 0 or an exit code after printing why. */
static int wait_connected(const gr_zk_api *zk, zhandle_t *zh, const char *command, const char *connect,
                          int timeout_ms) {
    int64_t deadline = gr_mono_ms() + timeout_ms;
    for (int64_t polls = 0; polls <= timeout_ms / GR_ZK_STATE_POLL_MS + 1; polls++) {
        int state = zk->state(zh);
        if (state == zk->connected_state) return 0;
        if (state == zk->auth_failed_state) {
            gr_err(command, "ZooKeeper at %s refused the session (authentication failed)", connect);
            return GR_EXIT_FAILED;
        }
        if (gr_mono_ms() >= deadline) break;
        sleep_ms(GR_ZK_STATE_POLL_MS);
    }
    gr_err(command, "cannot reach ZooKeeper at %s within %d ms", connect, timeout_ms);
    return GR_EXIT_UNREACHABLE;
}

static int compare_broker_ids(const void *a, const void *b) {
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    long long ix = strtoll(x, NULL, 10), iy = strtoll(y, NULL, 10);
    return ix < iy ? -1 : ix > iy ? 1 : strcmp(x, y);
}

/* Appends "," and `address` to the growing list in *list. */
static bool append_address(char **list, size_t *len, const char *address) {
    size_t add = strlen(address) + 1;
    char *grown = realloc(*list, *len + add + 1);
    if (!grown) return false;
    *list = grown;
    if (*len) grown[(*len)++] = ',';
    memcpy(grown + *len, address, add);
    *len += add - 1;
    return true;
}

/* Reads every registration under /brokers/ids; returns 0 or an exit code after printing why. */
static int read_brokers(const gr_zk_api *zk, zhandle_t *zh, const char *command, const char *connect,
                        const char *protocol, char **out) {
    struct String_vector ids = {0, NULL};
    struct Stat stat; /* the client writes it unconditionally */
    int zrc = zk->wget_children2(zh, BROKER_IDS_PATH, NULL, NULL, &ids, &stat);
    if (zrc == ZNONODE) {
        gr_err(command, "no brokers registered in ZooKeeper at %s (%s does not exist)", connect,
               BROKER_IDS_PATH);
        return GR_EXIT_UNREACHABLE;
    }
    if (zrc != ZOK) {
        gr_err(command, "reading %s from ZooKeeper at %s: %s", BROKER_IDS_PATH, connect, zk->error_text(zrc));
        return GR_EXIT_UNREACHABLE;
    }
    int count = ids.count < GR_ZK_BROKERS_MAX ? ids.count : GR_ZK_BROKERS_MAX;
    if (count > 0) qsort(ids.data, (size_t)count, sizeof *ids.data, compare_broker_ids);
    char *data = malloc(GR_ZK_REGISTRATION_BYTES_MAX);
    char *list = NULL;
    size_t list_len = 0;
    int rc = data ? GR_EXIT_OK : GR_EXIT_FAILED;
    for (int i = 0; i < count && rc == GR_EXIT_OK; i++) {
        char path[256], address[GR_ZK_ENDPOINT_BYTES_MAX];
        snprintf(path, sizeof path, "%s/%s", BROKER_IDS_PATH, ids.data[i]);
        int data_len = GR_ZK_REGISTRATION_BYTES_MAX;
        zrc = zk->wget(zh, path, NULL, NULL, data, &data_len, &stat);
        if (zrc == ZNONODE) continue; /* the broker left while we listed */
        if (zrc != ZOK) {
            gr_err(command, "reading %s from ZooKeeper at %s: %s", path, connect, zk->error_text(zrc));
            rc = GR_EXIT_UNREACHABLE;
        } else if (data_len < 0 || data_len >= GR_ZK_REGISTRATION_BYTES_MAX ||
                   !gr_zk_registration_endpoint(data, (size_t)data_len, protocol, address, sizeof address)) {
            gr_warn(command, "ZooKeeper at %s: broker %s has no readable %s endpoint in %s; skipped", connect,
                    ids.data[i], protocol, path);
        } else if (!append_address(&list, &list_len, address)) {
            rc = GR_EXIT_FAILED;
        }
    }
    free(data);
    zk->free_strings(&ids);
    if (rc == GR_EXIT_OK && !list) {
        gr_err(command, "no brokers registered in ZooKeeper at %s (%s has no usable entry)", connect,
               BROKER_IDS_PATH);
        rc = GR_EXIT_UNREACHABLE;
    }
    if (rc != GR_EXIT_OK) {
        free(list);
        list = NULL;
    }
    if (rc == GR_EXIT_FAILED) gr_err(command, "out of memory");
    *out = list;
    return rc;
}

int gr_zk_bootstrap(const char *command, const char *connect, const char *protocol, int timeout_ms,
                    bool verbose, char **out) {
    char err[512];
    *out = NULL;
    const gr_zk_api *zk = gr_zk_load(err, sizeof err);
    if (!zk) {
        gr_err(command, "--zookeeper: %s", err);
        return GR_EXIT_FAILED;
    }
    /* The client logs each failed connection attempt; the tool says what matters itself. */
    zk->set_debug_level(verbose ? ZOO_LOG_LEVEL_INFO : (ZooLogLevel)0);
    errno = 0;
    zhandle_t *zh = zk->init(connect, ignore_events, GR_ZK_SESSION_TIMEOUT_MS, NULL, NULL, 0);
    if (!zh) {
        gr_err(command, "cannot use ZooKeeper connect string '%s': %s", connect,
               errno ? strerror(errno) : "rejected by the client");
        return errno == EINVAL ? GR_EXIT_USAGE : GR_EXIT_UNREACHABLE;
    }
    int rc = wait_connected(zk, zh, command, connect, timeout_ms);
    if (!rc) rc = read_brokers(zk, zh, command, connect, protocol, out);
    zk->close(zh);
    if (!rc && verbose) fprintf(stderr, "gregor %s: brokers from ZooKeeper: %s\n", command, *out);
    return rc;
}
