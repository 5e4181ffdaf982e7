/* handle_topics_admin.h: what the single-node and cluster-mode topic admin handlers share. */
#ifndef GREGOR_BROKER_HANDLE_TOPICS_ADMIN_H
#define GREGOR_BROKER_HANDLE_TOPICS_ADMIN_H

#include "broker/broker.h"
#include "proto/gen/create_topics.h"

/* The topic's requested configs as properties (out initialized); false with r's error set. */
bool gr_create_topics_read_configs(gr_request *req, const gr_create_topics_request_creatable_topic *t,
                                   gr_create_topics_response_creatable_topic_result *r, gr_properties *out);
/* CreateTopics v5+: every topic config with its value and source, given the overrides. */
void gr_create_topics_fill_configs(gr_request *req, gr_create_topics_response_creatable_topic_result *r,
                                   const gr_properties *configs);
/* Whether topic i's name appears twice in the request (then r gets Kafka's error). */
bool gr_create_topics_duplicate(const gr_create_topics_request *in, int32_t i,
                                gr_create_topics_response_creatable_topic_result *r, gr_request *req);

void gr_handle_create_topics_cluster(gr_request *req);
void gr_handle_delete_topics_cluster(gr_request *req);
void gr_handle_create_partitions_cluster(gr_request *req);

#endif
