/* broker_main.h: `gregor broker`. */
#ifndef GREGOR_BROKER_BROKER_MAIN_H
#define GREGOR_BROKER_BROKER_MAIN_H

/* argv[0] is "broker". Returns the process exit code. */
int gr_broker_main(int argc, char **argv);

#endif
