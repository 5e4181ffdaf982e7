/* handlers.h: one handler per API; each lives in its own handle_<api>.c file. */
#ifndef GREGOR_BROKER_HANDLERS_H
#define GREGOR_BROKER_HANDLERS_H

#include "broker/broker.h"

void gr_handle_api_versions(gr_request *req);
void gr_handle_metadata(gr_request *req);
void gr_handle_produce(gr_request *req);
void gr_handle_fetch(gr_request *req);
void gr_handle_list_offsets(gr_request *req);
void gr_handle_create_topics(gr_request *req);
void gr_handle_delete_topics(gr_request *req);
void gr_handle_create_partitions(gr_request *req);
void gr_handle_describe_configs(gr_request *req);
void gr_handle_alter_configs(gr_request *req);
void gr_handle_incremental_alter_configs(gr_request *req);
void gr_handle_describe_cluster(gr_request *req);
void gr_handle_init_producer_id(gr_request *req);
void gr_handle_delete_records(gr_request *req);
void gr_handle_offset_for_leader_epoch(gr_request *req);
void gr_handle_elect_leaders(gr_request *req);
void gr_handle_alter_partition_reassignments(gr_request *req);
void gr_handle_list_partition_reassignments(gr_request *req);

#endif
