/* cli.h: entry point of the client tools (gregor topic|produce|consume|group|config|cluster|perf). */
#ifndef GREGOR_CLI_CLI_H
#define GREGOR_CLI_CLI_H

#include <stdio.h>

#define GR_CLI_UNKNOWN_TOOL (-1000)

/* argv[0] is the tool name. Returns the process exit code, or GR_CLI_UNKNOWN_TOOL. */
int gr_cli_main(int argc, char **argv);
/* Lists the tools, one line each, for `gregor --help`. */
void gr_cli_usage(FILE *out);

#endif
