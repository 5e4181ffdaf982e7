/* handlers_group.h: handlers of the group coordinator's APIs (consumer groups and committed offsets). */
#ifndef GREGOR_BROKER_HANDLERS_GROUP_H
#define GREGOR_BROKER_HANDLERS_GROUP_H

#include "broker/broker.h"

void gr_handle_find_coordinator(gr_request *req);
void gr_handle_join_group(gr_request *req);
void gr_handle_sync_group(gr_request *req);
void gr_handle_heartbeat(gr_request *req);
void gr_handle_leave_group(gr_request *req);
void gr_handle_offset_commit(gr_request *req);
void gr_handle_offset_fetch(gr_request *req);
void gr_handle_list_groups(gr_request *req);
void gr_handle_describe_groups(gr_request *req);
void gr_handle_delete_groups(gr_request *req);
void gr_handle_offset_delete(gr_request *req);
void gr_handle_consumer_group_heartbeat(gr_request *req);
void gr_handle_consumer_group_describe(gr_request *req);

/* Coordinator lifecycle, called by broker_main. */
gr_group_coordinator *gr_group_coordinator_start(gr_broker *b);
void gr_group_coordinator_stop(gr_group_coordinator *g);
/* Cluster mode, once the cluster runs: the coordinator follows this broker's leaderships of
   __consumer_offsets partitions. */
void gr_group_coordinator_follow(gr_broker *b);

#endif
