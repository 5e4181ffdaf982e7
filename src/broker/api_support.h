/*
 * api_support.h: which APIs and versions this broker serves, and who handles them.
 * The ApiVersions answer is made from this table, so what is advertised is
 * exactly what is dispatched.
 */
#ifndef GREGOR_BROKER_API_SUPPORT_H
#define GREGOR_BROKER_API_SUPPORT_H

#include "broker/broker.h"

typedef struct gr_api_support {
    int16_t key;
    int16_t min_version;  /* lowest version advertised */
    int16_t min_accepted; /* lowest version actually served (Produce advertises 0, serves 3+) */
    int16_t max_version;
    gr_handler_fn handler;
} gr_api_support;

extern const gr_api_support gr_api_supported[];
extern const int gr_api_supported_count;
const gr_api_support *gr_api_support_find(int16_t key);

#endif
