/*
 * config.c: config handles (librdkafka configuration pairs checked as they are set) and the
 * creation of the librdkafka client behind producer, consumer and admin handles.
 */
#include <stdlib.h>

#include "capi/client.h"
#include "capi/gregor_client.h"

typedef struct {
    pthread_mutex_t lock; /* rd_kafka_conf_t is not safe to set and copy concurrently */
    rd_kafka_conf_t *conf;
} config_object;

static void config_destroy(void *object) {
    config_object *c = object;
    rd_kafka_conf_destroy(c->conf);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int32_t gregor_config_new(int64_t *config_out) {
    if (!config_out) return GREGOR_ERR_BAD_ARGUMENT;
    *config_out = 0;
    config_object *c = calloc(1, sizeof *c);
    if (!c) return GREGOR_ERR_NO_MEMORY;
    c->conf = rd_kafka_conf_new();
    pthread_mutex_init(&c->lock, NULL);
    return gr_capi_register(GR_CAPI_KIND_CONFIG, c, config_destroy, config_out);
}

int32_t gregor_config_set(int64_t config, const char *key, const char *value, char *errstr,
                          size_t errstr_size) {
    gr_capi_copy_text(errstr, errstr_size, "");
    config_object *c = gr_capi_acquire(config, GR_CAPI_KIND_CONFIG);
    if (!c) {
        gr_capi_copy_text(errstr, errstr_size, "invalid config handle");
        return GREGOR_ERR_BAD_HANDLE;
    }
    int32_t rc = GREGOR_OK;
    if (!key || !value) {
        gr_capi_copy_text(errstr, errstr_size, "key and value must not be NULL");
        rc = GREGOR_ERR_BAD_ARGUMENT;
    } else {
        char text[512];
        pthread_mutex_lock(&c->lock);
        rd_kafka_conf_res_t res = rd_kafka_conf_set(c->conf, key, value, text, sizeof text);
        pthread_mutex_unlock(&c->lock);
        if (res != RD_KAFKA_CONF_OK) {
            gr_capi_copy_text(errstr, errstr_size, text);
            rc = GREGOR_ERR_CONFIG;
        }
    }
    gr_capi_release(config);
    return rc;
}

int32_t gr_capi_config_dup(int64_t config, rd_kafka_conf_t **conf_out) {
    *conf_out = NULL;
    config_object *c = gr_capi_acquire(config, GR_CAPI_KIND_CONFIG);
    if (!c) return GREGOR_ERR_BAD_HANDLE;
    pthread_mutex_lock(&c->lock);
    *conf_out = rd_kafka_conf_dup(c->conf);
    pthread_mutex_unlock(&c->lock);
    gr_capi_release(config);
    return *conf_out ? GREGOR_OK : GREGOR_ERR_NO_MEMORY;
}

int32_t gr_capi_client_new(int64_t config, rd_kafka_type_t type, void *opaque,
                           void (*dr_msg_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *),
                           rd_kafka_t **rk_out, char *errstr, size_t errstr_size) {
    *rk_out = NULL;
    rd_kafka_conf_t *conf;
    int32_t rc = gr_capi_config_dup(config, &conf);
    if (rc != GREGOR_OK) {
        gr_capi_copy_text(errstr, errstr_size, "invalid config handle");
        return rc;
    }
    rd_kafka_conf_set_opaque(conf, opaque);
    if (dr_msg_cb) rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    char text[512] = "";
    rd_kafka_t *rk = rd_kafka_new(type, conf, text, sizeof text); /* takes conf on success */
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        gr_capi_copy_text(errstr, errstr_size, text);
        return GREGOR_ERR_CONFIG;
    }
    *rk_out = rk;
    return GREGOR_OK;
}
