/* broker.c: small services shared by the handlers (see broker.h). */
#include "broker/broker.h"

#include "broker/fetch_wait.h"
#include "proto/errors.h"

gr_topic *gr_broker_topic_auto(gr_broker *b, gr_str name, bool allow_create, int16_t *err) {
    const char *why;
    if (!gr_topic_name_valid(name, &why)) {
        *err = GR_ERR_INVALID_TOPIC_EXCEPTION;
        return NULL;
    }
    gr_topic *topic = gr_topics_get(b->topics, name);
    if (topic) {
        *err = GR_ERR_NONE;
        return topic;
    }
    if (!allow_create || !b->cfg.auto_create_topics_enable) {
        *err = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return NULL;
    }
    int16_t rc = gr_topics_create(b->topics, name, b->cfg.num_partitions, NULL, false, &why);
    if (rc != GR_ERR_NONE && rc != GR_ERR_TOPIC_ALREADY_EXISTS) {
        *err = rc == GR_ERR_INVALID_TOPIC_EXCEPTION ? rc : GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return NULL;
    }
    topic = gr_topics_get(b->topics, name);
    *err = topic ? GR_ERR_NONE : GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    return topic;
}

static void wake_loop(void *ud) {
    gr_broker *b = ud;
    gr_loop *l = gr_loop_current();
    if (l && b->waiters[gr_loop_index(l)]) gr_fetch_waiters_recheck(b->waiters[gr_loop_index(l)]);
}

void gr_broker_data_arrived(gr_broker *b) {
    if (gr_fetch_waiters_any(b)) gr_server_post_all(b->server, wake_loop, b);
}
