/*
 * tool_cluster.c: gregor cluster -- brokers, controller, cluster id and each broker's API versions.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/api_versions.h"
#include "cli/client.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/output.h"
#include "cli/tools.h"

enum { OPT_NO_API_VERSIONS };

static const gr_opt_spec specs[] = {
    {OPT_NO_API_VERSIONS, "no-api-versions", 0, NULL, "skip asking each broker for its API versions"},
    {0, NULL, 0, NULL, NULL},
};

static const gr_tool_help help = {
    "cluster", "[options]",
    "Prints the cluster id, the controller, the brokers (id, host, port) and, for each broker, the\n"
    "protocol versions it supports (asked with an ApiVersions request on a separate connection).\n"
    "Exit 1 if a broker could not be asked.",
    "  gregor cluster\n  gregor cluster --json | jq '.brokers[].api_versions | length'\n"};

static int on_opt(void *ud, int id, const char *v, gr_cli_common *c) {
    (void)v;
    (void)c;
    if (id == OPT_NO_API_VERSIONS) *(bool *)ud = true;
    return 0;
}

static int cmp_broker(const void *a, const void *b) {
    const rd_kafka_metadata_broker_t *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

int gr_tool_cluster(int argc, char **argv) {
    bool no_api_versions = false;
    gr_cli_common common;
    int p = gr_cli_parse(argc, argv, &help, specs, on_opt, &no_api_versions, &common);
    int rc = p == GR_PARSE_HELP ? GR_EXIT_OK : GR_EXIT_USAGE;
    gr_client c;
    memset(&c, 0, sizeof c);
    if (p != GR_PARSE_OK) goto out;
    if (common.arg_count > 0) {
        gr_usage_error(&help, "unexpected argument '%s'", common.args[0]);
        goto out;
    }
    if ((rc = gr_client_open(&c, &common, RD_KAFKA_PRODUCER, NULL, NULL, NULL))) goto out;
    const rd_kafka_metadata_t *md;
    if ((rc = gr_client_metadata(&c, &md))) goto out;
    char *cluster_id = rd_kafka_clusterid(c.rk, common.request_timeout_ms);
    int32_t controller = rd_kafka_controllerid(c.rk, common.request_timeout_ms);
    int n = md->broker_cnt;
    rd_kafka_metadata_broker_t *brokers = calloc((size_t)n + 1, sizeof *brokers);
    memcpy(brokers, md->brokers, (size_t)n * sizeof *brokers);
    qsort(brokers, (size_t)n, sizeof *brokers, cmp_broker);
    gr_api_versions *versions = no_api_versions ? NULL : calloc((size_t)n + 1, sizeof *versions);
    char(*errors)[256] = calloc((size_t)n + 1, sizeof *errors);
    for (int i = 0; versions && i < n; i++) {
        if (gr_api_versions_fetch(brokers[i].host, brokers[i].port, common.request_timeout_ms, &versions[i],
                                  errors[i], sizeof errors[i]) < 0) {
            gr_err(c.command, "broker %d: %s", brokers[i].id, errors[i]);
            rc = GR_EXIT_FAILED;
        } else if (versions[i].error_code) {
            snprintf(errors[i], sizeof errors[i], "ApiVersions error code %d", versions[i].error_code);
            gr_err(c.command, "broker %d: %s", brokers[i].id, errors[i]);
            rc = GR_EXIT_FAILED;
        }
    }
    if (common.json) {
        gr_json j;
        gr_json_init(&j, stdout);
        gr_json_obj_begin(&j);
        gr_json_kstr(&j, "cluster_id", cluster_id);
        gr_json_key(&j, "controller_id");
        controller >= 0 ? gr_json_i64(&j, controller) : gr_json_null(&j);
        gr_json_key(&j, "brokers");
        gr_json_arr_begin(&j);
        for (int i = 0; i < n; i++) {
            gr_json_obj_begin(&j);
            gr_json_ki64(&j, "id", brokers[i].id);
            gr_json_kstr(&j, "host", brokers[i].host);
            gr_json_ki64(&j, "port", brokers[i].port);
            gr_json_kbool(&j, "controller", brokers[i].id == controller);
            if (versions && errors[i][0]) {
                gr_json_kstr(&j, "api_versions_error", errors[i]);
            } else if (versions) {
                gr_json_key(&j, "api_versions");
                gr_json_arr_begin(&j);
                for (int k = 0; k < versions[i].count; k++) {
                    const gr_api_range *r = &versions[i].ranges[k];
                    gr_json_obj_begin(&j);
                    gr_json_ki64(&j, "key", r->key);
                    gr_json_kstr(&j, "name", gr_api_key_name(r->key));
                    gr_json_ki64(&j, "min", r->min);
                    gr_json_ki64(&j, "max", r->max);
                    gr_json_obj_end(&j);
                }
                gr_json_arr_end(&j);
            }
            gr_json_obj_end(&j);
        }
        gr_json_arr_end(&j);
        gr_json_obj_end(&j);
        gr_json_newline(&j);
    } else {
        printf("Cluster ID: %s\n", cluster_id ? cluster_id : "-");
        if (controller >= 0)
            printf("Controller: %d\n\n", controller);
        else
            printf("Controller: -\n\n");
        static const char *const bh[] = {"BROKER", "HOST", "PORT", "CONTROLLER"};
        gr_table t;
        gr_table_init(&t, 4, bh);
        for (int i = 0; i < n; i++) {
            gr_table_cell_i64(&t, brokers[i].id);
            gr_table_cell(&t, brokers[i].host);
            gr_table_cell_i64(&t, brokers[i].port);
            gr_table_cell(&t, brokers[i].id == controller ? "yes" : "no");
        }
        gr_table_print(&t, stdout);
        gr_table_free(&t);
        for (int i = 0; versions && i < n; i++) {
            if (errors[i][0]) continue;
            printf("\nBroker %d (%s:%d) supports:\n", brokers[i].id, brokers[i].host, brokers[i].port);
            static const char *const vh[] = {"KEY", "API", "MIN", "MAX"};
            gr_table_init(&t, 4, vh);
            for (int k = 0; k < versions[i].count; k++) {
                const gr_api_range *r = &versions[i].ranges[k];
                const char *name = gr_api_key_name(r->key);
                gr_table_cell_i64(&t, r->key);
                gr_table_cell(&t, name ? name : "?");
                gr_table_cell_i64(&t, r->min);
                gr_table_cell_i64(&t, r->max);
            }
            gr_table_print(&t, stdout);
            gr_table_free(&t);
        }
    }
    free(errors);
    free(versions);
    free(brokers);
    if (cluster_id) rd_kafka_mem_free(c.rk, cluster_id);
    rd_kafka_metadata_destroy(md);
out:
    gr_client_close(&c);
    gr_cli_common_free(&common);
    return rc;
}
