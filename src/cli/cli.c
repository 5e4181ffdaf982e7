/* cli.c: picks the tool named on the command line. */
#include "cli/cli.h"

int gr_cli_main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return GR_CLI_UNKNOWN_TOOL;
}

void gr_cli_usage(FILE *out) { (void)out; }
