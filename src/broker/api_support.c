/*
 * api_support.c: the APIs this broker serves and their version ranges.
 *
 * Ranges follow Apache Kafka 4.0, widened downwards where older clients need
 * it (see docs/protocol.md): Produce is advertised from v0 because librdkafka
 * before 2.11 stops compressing when the Produce minimum is above 0, yet only
 * v3+ (record batch v2) is served, as Kafka 4.0 does.
 */
#include "broker/api_support.h"

#include "broker/handlers.h"
#include "broker/handlers_group.h"

const gr_api_support gr_api_supported[] = {
    {GR_API_PRODUCE, 0, 3, 11, gr_handle_produce},
    {GR_API_FETCH, 4, 4, 17, gr_handle_fetch},
    {GR_API_LIST_OFFSETS, 1, 1, 10, gr_handle_list_offsets},
    {GR_API_METADATA, 0, 0, 12, gr_handle_metadata},
    {GR_API_OFFSET_COMMIT, 2, 2, 9, gr_handle_offset_commit},
    {GR_API_OFFSET_FETCH, 1, 1, 9, gr_handle_offset_fetch},
    {GR_API_FIND_COORDINATOR, 0, 0, 6, gr_handle_find_coordinator},
    {GR_API_JOIN_GROUP, 0, 0, 9, gr_handle_join_group},
    {GR_API_HEARTBEAT, 0, 0, 4, gr_handle_heartbeat},
    {GR_API_LEAVE_GROUP, 0, 0, 5, gr_handle_leave_group},
    {GR_API_SYNC_GROUP, 0, 0, 5, gr_handle_sync_group},
    {GR_API_DESCRIBE_GROUPS, 0, 0, 5, gr_handle_describe_groups},
    {GR_API_LIST_GROUPS, 0, 0, 5, gr_handle_list_groups},
    {GR_API_API_VERSIONS, 0, 0, 4, gr_handle_api_versions},
    {GR_API_CREATE_TOPICS, 2, 2, 7, gr_handle_create_topics},
    {GR_API_DELETE_TOPICS, 1, 1, 6, gr_handle_delete_topics},
    {GR_API_DELETE_RECORDS, 0, 0, 2, gr_handle_delete_records},
    {GR_API_INIT_PRODUCER_ID, 0, 0, 5, gr_handle_init_producer_id},
    {GR_API_OFFSET_FOR_LEADER_EPOCH, 2, 2, 4, gr_handle_offset_for_leader_epoch},
    {GR_API_DESCRIBE_CONFIGS, 1, 1, 4, gr_handle_describe_configs},
    {GR_API_ALTER_CONFIGS, 0, 0, 2, gr_handle_alter_configs},
    {GR_API_CREATE_PARTITIONS, 0, 0, 3, gr_handle_create_partitions},
    {GR_API_DELETE_GROUPS, 0, 0, 2, gr_handle_delete_groups},
    {GR_API_ELECT_LEADERS, 0, 0, 2, gr_handle_elect_leaders},
    {GR_API_INCREMENTAL_ALTER_CONFIGS, 0, 0, 1, gr_handle_incremental_alter_configs},
    {GR_API_ALTER_PARTITION_REASSIGNMENTS, 0, 0, 0, gr_handle_alter_partition_reassignments},
    {GR_API_LIST_PARTITION_REASSIGNMENTS, 0, 0, 0, gr_handle_list_partition_reassignments},
    {GR_API_OFFSET_DELETE, 0, 0, 0, gr_handle_offset_delete},
    {GR_API_DESCRIBE_CLUSTER, 0, 0, 1, gr_handle_describe_cluster},
    {GR_API_CONSUMER_GROUP_HEARTBEAT, 0, 0, 1, gr_handle_consumer_group_heartbeat},
    {GR_API_CONSUMER_GROUP_DESCRIBE, 0, 0, 0, gr_handle_consumer_group_describe},
};

const int gr_api_supported_count = (int)(sizeof gr_api_supported / sizeof gr_api_supported[0]);

const gr_api_support *gr_api_support_find(int16_t key) {
    for (int i = 0; i < gr_api_supported_count; i++)
        if (gr_api_supported[i].key == key) return gr_api_supported[i].handler ? &gr_api_supported[i] : NULL;
    return NULL;
}
