/*
 * client.h: the objects behind libgregor's handles and the helpers the API files share.
 */
#ifndef GREGOR_CAPI_CLIENT_H
#define GREGOR_CAPI_CLIENT_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capi/registry.h"

/* One delivery report waiting to be polled. */
typedef struct gr_capi_report {
    struct gr_capi_report *next;
    int64_t message_id;
    int64_t offset;
    int32_t error;
    int32_t partition;
} gr_capi_report;

typedef struct {
    rd_kafka_t *rk;
    pthread_mutex_t lock; /* guards the fields below */
    int64_t next_message_id;
    gr_capi_report *reports_head, *reports_tail;
} gr_capi_producer;

typedef struct {
    rd_kafka_t *rk;
    pthread_mutex_t lock;        /* serializes consume calls and guards pending */
    rd_kafka_message_t *pending; /* polled but not yet copied out (buffers were too small) */
} gr_capi_consumer;

typedef struct {
    rd_kafka_t *rk;
} gr_capi_admin;

/* config.c: a duplicate of the config's librdkafka conf (NULL and an error code otherwise). */
int32_t gr_capi_config_dup(int64_t config, rd_kafka_conf_t **conf_out);
/* config.c: creates the rd_kafka_t of a producer, consumer or admin handle from a config handle,
 * with opaque as the conf opaque and dr_msg_cb (may be NULL) set. */
int32_t gr_capi_client_new(int64_t config, rd_kafka_type_t type, void *opaque,
                           void (*dr_msg_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *),
                           rd_kafka_t **rk_out, char *errstr, size_t errstr_size);

/* errors.c: copies text into a caller buffer, truncating; nothing when buf is NULL or size 0. */
void gr_capi_copy_text(char *buf, size_t buf_size, const char *text);
/* errors.c: copies text with a needed-size report; GREGOR_ERR_BUFFER_TOO_SMALL if it does not fit. */
int32_t gr_capi_copy_out(char *out, size_t out_size, size_t *out_len, const char *text, size_t text_len);

/* delivery.c: the conf's delivery-report callback (queues a report on the producer). */
void gr_capi_delivery_queue(rd_kafka_t *rk, const rd_kafka_message_t *message, void *opaque);
void gr_capi_delivery_free_all(gr_capi_producer *producer);

/* headers.c: the size of the header block of a message, and writing it into out. */
size_t gr_capi_headers_size(rd_kafka_headers_t *headers);
void gr_capi_headers_write(rd_kafka_headers_t *headers, unsigned char *out);
/* headers.c: parses a header block into librdkafka headers (NULL when the block is malformed). */
int32_t gr_capi_headers_parse(const void *block, size_t block_len, rd_kafka_headers_t **headers_out);

#endif
