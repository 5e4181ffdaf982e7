/*
 * api_versions.h: asks one broker which protocol versions it supports.
 *
 * librdkafka 2.0.2 negotiates API versions with every broker but does not expose the answer, so
 * `gregor cluster` opens its own TCP connection to each broker and sends an ApiVersions v0
 * request: the one version every Kafka-compatible broker must answer, whatever it supports.
 *
 *   request:  size:int32 | api_key=18:int16 | api_version=0:int16 | correlation_id:int32 | client_id:string
 *   response: size:int32 | correlation_id:int32 | error_code:int16 | [api_key min max : int16 x3]
 */
#ifndef GREGOR_CLI_API_VERSIONS_H
#define GREGOR_CLI_API_VERSIONS_H

#include <stddef.h>
#include <stdint.h>

#define GR_API_VERSIONS_KEYS_MAX 1024
#define GR_API_VERSIONS_RESPONSE_MAX_BYTES (1024 * 1024)

typedef struct gr_api_range {
    int16_t key, min, max;
} gr_api_range;

typedef struct gr_api_versions {
    int16_t error_code;
    int count;
    gr_api_range ranges[GR_API_VERSIONS_KEYS_MAX];
} gr_api_versions;

/* Connects, asks, parses; everything within timeout_ms. Returns 0, or -1 with a reason in err. */
int gr_api_versions_fetch(const char *host, int port, int timeout_ms, gr_api_versions *out, char *err,
                          size_t err_cap);
/* Parses a response body after the size prefix. Returns 0 or -1 (malformed / wrong correlation id). */
int gr_api_versions_parse(const uint8_t *data, size_t len, int32_t correlation_id, gr_api_versions *out);
/* The API's name ("Produce"), or NULL for a key this table does not know. */
const char *gr_api_key_name(int16_t key);

#endif
