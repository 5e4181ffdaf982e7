/* broker_main.c: parses configuration, opens the logs, runs the event loops until SIGTERM. */
#include "broker/broker_main.h"

#include <stdio.h>

int gr_broker_main(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "broker: not yet\n");
    return 1;
}
