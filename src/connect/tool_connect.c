/*
 * tool_connect.c: gregor connect run FILE | gregor connect status.
 *
 * `run` reads the connector file (config_file.h), checks every section before starting anything
 * (a mistake is reported by file, line and key), then runs each connector in its own thread and
 * rewrites their status files every second until Ctrl-C/SIGTERM or until all have stopped.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/exit_codes.h"
#include "cli/options.h"
#include "cli/output.h"
#include "cli/signals.h"
#include "cli/tools.h"
#include "connect/config_file.h"
#include "connect/pipeline.h"
#include "connect/sink.h"
#include "connect/status.h"

#define CONNECT_STATUS_EVERY_MS 1000
#define CONNECT_STATE_DIR_DEFAULT "gregor-connect-state"

typedef struct running {
    bool is_pipeline;
    union {
        gr_sink_config sink;
        gr_pipeline_config pipeline;
    } cfg;
    gr_connector_status status;
    pthread_t thread;
    int rc;
    volatile int done;
} running;

static const gr_opt_spec run_specs[] = {{0, NULL, 0, NULL, NULL}};

static const gr_tool_help run_help = {
    "connect run", "FILE [-b HOST:PORT]",
    "Runs the connectors described in FILE (see docs/connect.md): [sink NAME] sections consume\n"
    "topics into SQL tables, [pipeline NAME] sections topics into a topic. Status goes to the\n"
    "file's state_dir, read by 'gregor connect status'.",
    "  gregor connect run ping.conf\n"};

static int no_opts(void *ud, int id, const char *v, gr_cli_common *c) {
    (void)ud;
    (void)id;
    (void)v;
    (void)c;
    return 0;
}

static void *run_thread(void *arg) {
    running *r = arg;
    r->rc = r->is_pipeline ? gr_pipeline_run(&r->cfg.pipeline, &r->status)
                           : gr_sink_run(&r->cfg.sink, &r->status);
    r->done = 1;
    return NULL;
}

static int connect_run(int argc, char **argv) {
    gr_cli_common common;
    int p = gr_cli_parse(argc, argv, &run_help, run_specs, no_opts, NULL, &common);
    int rc = p == GR_PARSE_HELP ? GR_EXIT_OK : GR_EXIT_USAGE;
    if (p != GR_PARSE_OK) goto out;
    if (common.arg_count != 1) {
        gr_usage_error(&run_help, "name exactly one connector FILE");
        goto out;
    }
    gr_conf_doc doc;
    running *conns = NULL;
    int count = 0;
    rc = GR_EXIT_USAGE;
    if (gr_conf_load(&doc, common.args[0]) < 0) goto bad_config;
    gr_conf_section *file = &doc.sections[0];
    const char *bootstrap = gr_conf_str(file, "bootstrap", common.bootstrap);
    const char *state_dir = gr_conf_str(file, "state_dir", CONNECT_STATE_DIR_DEFAULT);
    if (gr_conf_check_unused(&doc, file) < 0) goto bad_config;
    if (doc.section_count < 2) {
        snprintf(doc.error, sizeof doc.error, "%s: no [sink NAME] or [pipeline NAME] section", doc.path);
        goto bad_config;
    }
    conns = calloc((size_t)doc.section_count, sizeof *conns);
    if (!conns) goto bad_config;
    for (int i = 1; i < doc.section_count; i++) {
        gr_conf_section *s = &doc.sections[i];
        running *r = &conns[count];
        r->is_pipeline = !strcmp(s->kind, "pipeline");
        if (!r->is_pipeline && strcmp(s->kind, "sink")) {
            snprintf(doc.error, sizeof doc.error,
                     "%s:%d: section [%s %s]: unknown kind '%s' (expected sink or pipeline)", doc.path,
                     s->line, s->kind, s->name, s->kind);
            goto bad_config;
        }
        count++;
        if ((r->is_pipeline ? gr_pipeline_config_parse(&r->cfg.pipeline, &doc, s, bootstrap)
                            : gr_sink_config_parse(&r->cfg.sink, &doc, s, bootstrap)) < 0)
            goto bad_config;
        gr_status_init(&r->status, s->name, r->is_pipeline ? "pipeline" : "sink");
    }
    if (mkdir(state_dir, 0755) < 0 && errno != EEXIST) {
        gr_err(run_help.command, "cannot create state_dir %s: %s", state_dir, strerror(errno));
        rc = GR_EXIT_FAILED;
        goto done;
    }
    gr_stop_on_signals();
    for (int i = 0; i < count; i++) pthread_create(&conns[i].thread, NULL, run_thread, &conns[i]);
    for (;;) {
        int alive = 0;
        for (int i = 0; i < count; i++) {
            alive += !conns[i].done;
            gr_status_save(&conns[i].status, state_dir);
        }
        if (!alive) break;
        for (int slept = 0; slept < CONNECT_STATUS_EVERY_MS && !gr_stop_requested(); slept += 50) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    rc = GR_EXIT_OK;
    for (int i = 0; i < count; i++) {
        pthread_join(conns[i].thread, NULL);
        gr_status_save(&conns[i].status, state_dir);
        if (conns[i].rc && !rc) rc = conns[i].rc;
    }
    goto done;
bad_config:
    gr_err(run_help.command, "%s", doc.error);
done:
    for (int i = 0; i < count; i++) {
        if (conns[i].is_pipeline)
            gr_pipeline_config_free(&conns[i].cfg.pipeline);
        else
            gr_sink_config_free(&conns[i].cfg.sink);
    }
    free(conns);
    gr_conf_free(&doc);
out:
    gr_cli_common_free(&common);
    return rc;
}

int gr_tool_connect(int argc, char **argv) {
    static const gr_subcommand subs[] = {
        {"run", connect_run, "run the connectors of a file: topics into SQL tables or into topics"},
        {"status", gr_tool_connect_status, "state and counters of the connectors (--json)"},
        {NULL, NULL, NULL},
    };
    return gr_dispatch_sub("connect", "Connectors: topics into SQL tables and topics into topics.", subs,
                           argc, argv);
}
