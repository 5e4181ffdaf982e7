/*
 * main.c: gregor is one program with many verbs.
 *   gregor broker [server.properties] [--override k=v ...]   the server
 *   gregor topic|produce|consume|group|config|cluster|perf|sql|connect    client tools
 */
#include <stdio.h>
#include <string.h>

#include "broker/broker_main.h"
#include "cli/cli.h"

static void usage(FILE *out) {
    fprintf(out, "usage: gregor <command> [options]\n\n"
                 "server:\n"
                 "  broker    run a broker: gregor broker [server.properties] [--override key=value ...]\n\n"
                 "tools (librdkafka; work against Gregor and Apache Kafka):\n");
    gr_cli_usage(out);
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "broker")) return gr_broker_main(argc - 1, argv + 1);
    int rc = gr_cli_main(argc - 1, argv + 1);
    if (rc == GR_CLI_UNKNOWN_TOOL) {
        fprintf(stderr, "gregor: unknown command '%s'\n\n", argv[1]);
        usage(stderr);
        return 2;
    }
    return rc;
}
