/*
 * broker_main.c: `gregor broker [server.properties] [--override key=value ...]`.
 * Reads the configuration, opens the logs, runs the event loops until SIGTERM
 * or SIGINT, then flushes every log and exits.
 */
#include "broker/broker_main.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "cluster/cluster.h"
#include "base/log.h"
#include "broker/admin_http.h"
#include "broker/broker.h"
#include "broker/log_cleaning.h"
#include "broker/metrics.h"
#include "broker/fetch_wait.h"
#include "broker/handlers_group.h"

static gr_server *running_server;
static volatile sig_atomic_t stop_requested;
static bool controlled_shutdown; /* cluster mode: leaderships move before the server stops */

static void on_signal(int sig) {
    (void)sig;
    /* In a cluster the server keeps serving while leaderships move (shutdown_tick does it). */
    if (controlled_shutdown)
        stop_requested = 1;
    else if (running_server)
        gr_server_stop(running_server);
}

static void usage(FILE *out) {
    fprintf(out, "usage: gregor broker [server.properties] [--override key=value ...]\n"
                 "Runs a broker. Keys are Apache Kafka's (listeners, log.dirs, num.partitions, ...);\n"
                 "see docs/configuration.md.\n");
}

static int parse_args(int argc, char **argv, gr_properties *props) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            exit(0);
        }
        if (!strcmp(a, "--override") || !strncmp(a, "--override=", 11)) {
            const char *kv = a[10] == '=' ? a + 11 : (i + 1 < argc ? argv[++i] : NULL);
            const char *eq = kv ? strchr(kv, '=') : NULL;
            if (!eq || eq == kv) {
                fprintf(stderr, "gregor broker: --override needs key=value\n");
                return -1;
            }
            char key[256];
            size_t n = (size_t)(eq - kv);
            if (n >= sizeof key) return -1;
            memcpy(key, kv, n);
            key[n] = '\0';
            gr_properties_set(props, key, eq + 1);
            continue;
        }
        if (a[0] == '-') {
            fprintf(stderr, "gregor broker: unknown option %s\n", a);
            usage(stderr);
            return -1;
        }
        gr_properties file;
        gr_properties_init(&file);
        int rc = gr_properties_load(&file, a);
        if (rc != 0) {
            if (rc < 0)
                fprintf(stderr, "gregor broker: cannot read %s\n", a);
            else
                fprintf(stderr, "gregor broker: %s:%d: malformed line\n", a, rc);
            gr_properties_free(&file);
            return -1;
        }
        /* File first, overrides later: keep earlier overrides winning regardless of order. */
        for (size_t k = 0; k < file.count; k++)
            if (!gr_properties_get(props, file.items[k].key))
                gr_properties_set(props, file.items[k].key, file.items[k].value);
        gr_properties_free(&file);
    }
    return 0;
}

static void resolve_advertised(gr_broker *b) {
    static gr_listener adv[GR_LISTENERS_MAX];
    int n = b->cfg.advertised_count ? b->cfg.advertised_count : b->cfg.listener_count;
    const gr_listener *src = b->cfg.advertised_count ? b->cfg.advertised : b->cfg.listeners;
    for (int i = 0; i < n; i++) {
        adv[i] = src[i];
        if (!adv[i].host[0] || !strcmp(adv[i].host, "0.0.0.0") || !strcmp(adv[i].host, "::")) {
            if (gethostname(adv[i].host, sizeof adv[i].host) != 0)
                snprintf(adv[i].host, sizeof adv[i].host, "localhost");
        }
    }
    b->advertised = adv;
    b->advertised_count = n;
}

/* mkdir -p */
static int make_dirs(const char *path) {
    char tmp[4096];
    size_t len = strnlen(path, sizeof tmp - 1);
    memcpy(tmp, path, len);
    tmp[len] = '\0';
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static void count_open(gr_conn *c, void *ud) {
    (void)c, (void)ud;
    gr_metrics_connections(1);
}

static void count_close(gr_conn *c, void *ud) {
    (void)c, (void)ud;
    gr_metrics_connections(-1);
}

static void retention_tick(void *ud);

static void schedule_retention(gr_broker *b) {
    gr_loop *l = gr_loop_current();
    if (l) gr_loop_timer_add(l, b->cfg.log_retention_check_interval_ms, retention_tick, b);
}

static void retention_tick(void *ud) {
    gr_broker *b = ud;
    gr_topics_enforce_retention(b->topics, gr_wall_ms());
    schedule_retention(b);
}

#define SHUTDOWN_CHECK_MS 100

static void *controlled_shutdown_thread(void *ud) {
    gr_broker *b = ud;
    int64_t budget =
        (int64_t)(b->cfg.controlled_shutdown_max_retries + 1) *
        (b->cfg.controlled_shutdown_retry_backoff_ms > 0 ? b->cfg.controlled_shutdown_retry_backoff_ms : 1);
    gr_cluster_shutdown_gracefully(b->cluster, budget);
    gr_server_stop(b->server);
    return NULL;
}

/* Runs on loop 0: a requested stop starts the controlled shutdown off the loop. */
static void shutdown_tick(void *ud) {
    gr_broker *b = ud;
    if (stop_requested) {
        pthread_t t;
        if (pthread_create(&t, NULL, controlled_shutdown_thread, b) == 0)
            pthread_detach(t);
        else
            gr_server_stop(b->server);
        return;
    }
    gr_loop *l = gr_loop_current();
    if (l) gr_loop_timer_add(l, SHUTDOWN_CHECK_MS, shutdown_tick, b);
}

static void start_timers(void *ud) {
    schedule_retention(ud);
    if (controlled_shutdown) shutdown_tick(ud);
}

int gr_broker_main(int argc, char **argv) {
    static gr_broker broker;
    gr_broker *b = &broker;
    b->started_ms = gr_mono_ms();
    gr_properties props;
    gr_properties_init(&props);
    gr_broker_config_defaults(&b->cfg);
    if (parse_args(argc, argv, &props) != 0 || gr_broker_config_apply(&b->cfg, &props) != 0) {
        gr_properties_free(&props);
        return 2;
    }
    gr_properties_free(&props);
    resolve_advertised(b);

    if (make_dirs(b->cfg.log_dir) != 0) {
        fprintf(stderr, "gregor broker: cannot create log.dirs %s: %s\n", b->cfg.log_dir, strerror(errno));
        return 1;
    }
    b->identity = gr_identity_open(b->cfg.log_dir, b->cfg.node_id);
    if (!b->identity) return 1;
    b->topics = gr_topics_open(&b->cfg);
    if (!b->topics) return 1;
    b->flusher = gr_flusher_start();
    if (!b->flusher) return 1;
    b->cleaner = gr_log_cleaner_start(b->topics, &b->cfg);

    gr_server_config sc;
    gr_server_config_defaults(&sc);
    sc.loops = b->cfg.num_network_threads;
    sc.idle_timeout_ms = b->cfg.connections_max_idle_ms;
    sc.max_request_bytes = b->cfg.socket_request_max_bytes;
    gr_server_handlers handlers = {
        .on_open = count_open, .on_request = gr_broker_on_request, .on_close = count_close};
    b->server = gr_server_new(&sc, &handlers, b);
    if (!b->server) return 1;
    b->loop_count = gr_server_loop_count(b->server);
    b->waiters = calloc((size_t)b->loop_count, sizeof *b->waiters);
    for (int i = 0; i < b->loop_count; i++) b->waiters[i] = gr_fetch_waiters_new(b);
    b->groups = gr_group_coordinator_start(b);

    for (int i = 0; i < b->cfg.listener_count; i++) {
        const gr_listener *l = &b->cfg.listeners[i];
        int port = gr_server_listen(b->server, l->host, l->port);
        if (port < 0) {
            fprintf(stderr, "gregor broker: cannot listen on %s:%d (listeners)\n", l->host, l->port);
            return 1;
        }
        GR_INFO("broker", "listening on %s:%d", l->host[0] ? l->host : "*", port);
    }
    if (gr_broker_config_clustered(&b->cfg) && !(b->cluster = gr_cluster_start(b))) return 1;
    gr_group_coordinator_follow(b);
    if (b->cfg.admin_enabled) {
        const gr_listener *al = &b->cfg.admin_listener;
        if (!(b->admin = gr_admin_start(b, al->host, al->port))) return 1;
        GR_INFO("broker", "admin listener on http://%s:%d", al->host[0] ? al->host : "*",
                gr_admin_port(b->admin));
    }
    atomic_store(&b->serving, true);
    running_server = b->server;
    controlled_shutdown = b->cluster && b->cfg.controlled_shutdown_enable;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    gr_loop_post(gr_server_loop(b->server, 0), start_timers, b);
    GR_INFO("broker", "node %d of cluster %s ready in %lld ms (%d event loops, log.dirs=%s)", b->cfg.node_id,
            gr_identity_cluster_id(b->identity), (long long)(gr_mono_ms() - b->started_ms), b->loop_count,
            b->cfg.log_dir);
    int rc = gr_server_run(b->server);
    GR_INFO("broker", "stopping");
    running_server = NULL;
    gr_admin_stop(b->admin); /* it reads topics and groups: stop it before they go */
    b->admin = NULL;
    if (b->cluster) gr_cluster_stop(b->cluster);
    /* Posted wake-ups still to run (gr_server_free drains them) find no waiters (broker.c). */
    for (int i = 0; i < b->loop_count; i++) {
        gr_fetch_waiters_free(b->waiters[i]);
        b->waiters[i] = NULL;
    }
    /* Flush callbacks post replies to the loops: let them land before the loops are freed
       (gr_server_free runs what they posted). */
    gr_flusher_stop(b->flusher);
    /* Parked group requests hold connections: release them while the connections still exist. */
    gr_group_coordinator_stop(b->groups);
    gr_server_free(b->server);
    gr_log_cleaner_stop(b->cleaner);
    gr_topics_flush_all(b->topics);
    gr_topics_close(b->topics);
    gr_identity_close(b->identity);
    free(b->waiters);
    GR_INFO("broker", "stopped");
    return rc == 0 ? 0 : 1;
}
