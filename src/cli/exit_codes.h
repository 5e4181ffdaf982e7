/*
 * exit_codes.h: the process exit codes of every client tool.
 *
 * Scripts branch on these, so they are part of the interface (docs/tools.md lists them) and must
 * not change meaning. A tool that fails for several reasons at once reports the most specific one.
 */
#ifndef GREGOR_CLI_EXIT_CODES_H
#define GREGOR_CLI_EXIT_CODES_H

enum {
    GR_EXIT_OK = 0,           /* everything asked for was done */
    GR_EXIT_FAILED = 1,       /* the cluster refused or some records/partitions failed */
    GR_EXIT_USAGE = 2,        /* bad command line; usage printed on stderr */
    GR_EXIT_NOT_FOUND = 3,    /* a named topic, group or broker does not exist */
    GR_EXIT_UNREACHABLE = 4,  /* no answer from the cluster within --request-timeout-ms */
    GR_EXIT_INTERRUPTED = 130 /* stopped by SIGINT/SIGTERM before finishing (128 + SIGINT) */
};

#endif
