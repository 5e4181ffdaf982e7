/*
 * signals.h: Ctrl-C and SIGTERM end a running tool cleanly.
 *
 * The first signal sets a flag that the tool's loops check (and interrupts a blocking read, since
 * the handler is installed without SA_RESTART); the tool then flushes, commits and prints its
 * summary. A second signal ends the process at once, for when that takes too long.
 */
#ifndef GREGOR_CLI_SIGNALS_H
#define GREGOR_CLI_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

void gr_stop_on_signals(void);
bool gr_stop_requested(void);

#endif
