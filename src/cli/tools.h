/*
 * tools.h: entry points of the tools and the sub-command dispatcher they share.
 *
 * Each tool function gets the arguments after its own name (argv[0] is the first option or
 * sub-command) and returns the process exit code (exit_codes.h).
 */
#ifndef GREGOR_CLI_TOOLS_H
#define GREGOR_CLI_TOOLS_H

typedef int (*gr_tool_fn)(int argc, char **argv);

typedef struct gr_subcommand {
    const char *name;
    gr_tool_fn fn;
    const char *summary;
} gr_subcommand;

/* Runs the sub-command named by argv[0]; `subs` ends with a NULL name. */
int gr_dispatch_sub(const char *tool, const char *summary, const gr_subcommand *subs, int argc, char **argv);

int gr_tool_topic(int argc, char **argv);
int gr_tool_produce(int argc, char **argv);
int gr_tool_consume(int argc, char **argv);
int gr_tool_group(int argc, char **argv);
int gr_tool_group_reset(int argc, char **argv);
int gr_tool_config(int argc, char **argv);
int gr_tool_cluster(int argc, char **argv);
int gr_tool_perf(int argc, char **argv);
int gr_tool_perf_produce(int argc, char **argv);
int gr_tool_perf_consume(int argc, char **argv);
int gr_tool_top(int argc, char **argv);
int gr_tool_sql(int argc, char **argv);
int gr_tool_connect(int argc, char **argv);

#endif
