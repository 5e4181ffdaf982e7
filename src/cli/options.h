/*
 * options.h: command-line parsing shared by every tool.
 *
 * A tool describes its options in a table (gr_opt_spec); the parser walks argv, handles the options
 * every tool has (-b/--bootstrap-server, --zookeeper, -X key=value, --request-timeout-ms, --json,
 * --verbose, --help) itself and hands the tool's own options to a callback. The same table prints --help, so
 * the help text cannot drift from what is accepted. Accepted forms: `--name value`, `--name=value`,
 * `-x value`, `-xvalue`, and `--` to end options. Anything not starting with '-' (or a lone "-")
 * is a positional argument.
 */
#ifndef GREGOR_CLI_OPTIONS_H
#define GREGOR_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define GR_CLI_CONF_MAX_ENTRIES 128
#define GR_CLI_REQUEST_TIMEOUT_MS_DEFAULT 10000
#define GR_CLI_BOOTSTRAP_DEFAULT "localhost:9092"
#define GR_CLI_BOOTSTRAP_ENV "GREGOR_BOOTSTRAP"

typedef struct gr_opt_spec {
    int id;                /* handed to the callback; must be >= 0 */
    const char *long_name; /* without the leading "--" */
    char short_name;       /* 0 when there is none */
    const char *arg_name;  /* NULL for a flag, else shown in help ("N", "K=V") */
    const char *help;
} gr_opt_spec;

/* Describes one tool (or sub-command) for --help and usage errors. */
typedef struct gr_tool_help {
    const char *command;     /* "topic create" */
    const char *usage;       /* "TOPIC [options]" */
    const char *description; /* a few lines */
    const char *examples;    /* may be NULL */
} gr_tool_help;

/* One librdkafka property from -X, in command-line order. */
typedef struct gr_conf_entry {
    char *key;
    const char *value;
} gr_conf_entry;

/* Options common to all tools. */
typedef struct gr_cli_common {
    const gr_tool_help *tool;
    const char *bootstrap;
    const char *zookeeper; /* --zookeeper connect string, or NULL (see zk_bootstrap.h) */
    bool bootstrap_given;  /* -b was on the command line (not the environment or the default) */
    int request_timeout_ms;
    bool json;
    bool verbose;
    gr_conf_entry conf[GR_CLI_CONF_MAX_ENTRIES];
    int conf_count;
    /* Positional arguments in order (points into argv). */
    const char **args;
    int arg_count;
} gr_cli_common;

/* Callback for a tool option. Return 0, or -1 after printing why with gr_usage_error(). */
typedef int (*gr_opt_fn)(void *ud, int id, const char *value, gr_cli_common *common);

enum { GR_PARSE_OK = 0, GR_PARSE_HELP = 1, GR_PARSE_USAGE = 2 };

/*
 * Parses argv[0..argc) (argv[0] is the first option, not a program name). `specs` ends with an entry
 * whose long_name is NULL. On GR_PARSE_HELP the help was printed on stdout; on GR_PARSE_USAGE an
 * error and the usage line were printed on stderr. Free with gr_cli_common_free in every case.
 */
int gr_cli_parse(int argc, char **argv, const gr_tool_help *tool, const gr_opt_spec *specs, gr_opt_fn fn,
                 void *ud, gr_cli_common *common);
void gr_cli_common_free(gr_cli_common *common);

void gr_cli_print_help(FILE *out, const gr_tool_help *tool, const gr_opt_spec *specs);
/* Prints "gregor <command>: <message>", the usage line and a hint to stderr; returns -1. */
int gr_usage_error(const gr_tool_help *tool, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Strict number parsing: the whole string, within [min, max]. Return 0 or -1. */
int gr_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
int gr_parse_i32(const char *s, int32_t min, int32_t max, int32_t *out);
/* Parses a number option or reports a usage error naming the option; returns 0 or -1. */
int gr_opt_i64(const gr_tool_help *tool, const char *opt, const char *s, int64_t min, int64_t max,
               int64_t *out);
int gr_opt_i32(const gr_tool_help *tool, const char *opt, const char *s, int32_t min, int32_t max,
               int32_t *out);

/*
 * ISO-8601 date-time to epoch milliseconds: YYYY-MM-DDTHH:MM[:SS[.sss]][Z|+HH:MM|-HH:MM|+HHMM].
 * Without a zone the local time zone applies (as in Kafka's tools). Returns 0 or -1.
 */
int gr_parse_datetime_ms(const char *s, int64_t *out_ms);

/* Splits "key=value" at the first '='; returns -1 when there is no '=' or the key is empty. */
int gr_split_kv(const char *s, char *key, size_t key_cap, const char **value);

#endif
