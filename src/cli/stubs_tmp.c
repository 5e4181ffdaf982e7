#include "cli/tools.h"
int gr_tool_produce(int argc, char **argv) { (void)argc; (void)argv; return 2; }
int gr_tool_consume(int argc, char **argv) { (void)argc; (void)argv; return 2; }
int gr_tool_group(int argc, char **argv) { (void)argc; (void)argv; return 2; }
int gr_tool_config(int argc, char **argv) { (void)argc; (void)argv; return 2; }
int gr_tool_cluster(int argc, char **argv) { (void)argc; (void)argv; return 2; }
int gr_tool_perf(int argc, char **argv) { (void)argc; (void)argv; return 2; }
