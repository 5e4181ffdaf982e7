/* cli.c: picks the tool named on the command line, and sub-commands within a tool. */
#include "cli/cli.h"
#include "cli/rdkafka_loader.h"

#include <stdbool.h>
#include <string.h>

#include "cli/exit_codes.h"
#include "cli/tools.h"

typedef struct gr_tool {
    const char *name;
    gr_tool_fn fn;
    const char *summary;
} gr_tool;

static const gr_tool tools[] = {
    {"topic", gr_tool_topic, "create, list, describe, delete and alter topics"},
    {"produce", gr_tool_produce, "send lines from stdin or a file as records"},
    {"consume", gr_tool_consume, "print records of one or more topics"},
    {"group", gr_tool_group, "list, describe, reset offsets of and delete consumer groups"},
    {"config", gr_tool_config, "get and set topic and broker configuration"},
    {"cluster", gr_tool_cluster, "brokers, controller, cluster id and API versions"},
    {"perf", gr_tool_perf, "load generator: perf produce | perf consume"},
    {"top", gr_tool_top, "throughput per topic and lag per group, from a broker's admin listener"},
    {"sql", gr_tool_sql, "publish the rows of a SQL query (SQLite, PostgreSQL) to a topic"},
    {"connect", gr_tool_connect, "run connectors: topics into SQL tables, topic to topic pipelines"},
    {NULL, NULL, NULL},
};

int gr_cli_main(int argc, char **argv) {
    if (argc < 1) return GR_CLI_UNKNOWN_TOOL;
    for (const gr_tool *t = tools; t->name; t++) {
        if (strcmp(t->name, argv[0]) != 0) continue;
        char err[512];
        if (gr_rdkafka_load(err, sizeof err) != 0) {
            fprintf(stderr, "gregor %s: %s\n", t->name, err);
            return GR_EXIT_FAILED;
        }
        return t->fn(argc - 1, argv + 1);
    }
    return GR_CLI_UNKNOWN_TOOL;
}

void gr_cli_usage(FILE *out) {
    for (const gr_tool *t = tools; t->name; t++) fprintf(out, "  %-9s %s\n", t->name, t->summary);
    fprintf(out, "\nRun 'gregor <tool> --help' for a tool's options.\n");
}

int gr_dispatch_sub(const char *tool, const char *summary, const gr_subcommand *subs, int argc, char **argv) {
    bool help =
        argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h") || !strcmp(argv[0], "help"));
    if (argc >= 1 && !help) {
        for (const gr_subcommand *s = subs; s->name; s++)
            if (!strcmp(s->name, argv[0])) return s->fn(argc - 1, argv + 1);
    }
    FILE *out = help ? stdout : stderr;
    if (!help) {
        if (argc < 1)
            fprintf(out, "gregor %s: missing sub-command\n", tool);
        else
            fprintf(out, "gregor %s: unknown sub-command '%s'\n", tool, argv[0]);
    }
    fprintf(out, "usage: gregor %s <sub-command> [options]\n\n%s\n\nsub-commands:\n", tool, summary);
    for (const gr_subcommand *s = subs; s->name; s++) fprintf(out, "  %-14s %s\n", s->name, s->summary);
    fprintf(out, "\nRun 'gregor %s <sub-command> --help' for its options.\n", tool);
    return help ? GR_EXIT_OK : GR_EXIT_USAGE;
}
