/* tool_connect.c: placeholder until the connector runtime lands. */
#include "cli/exit_codes.h"
#include "cli/tools.h"
int gr_tool_connect(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return GR_EXIT_USAGE;
}
