/*
 * group_admin.h: the consumer-group admin calls the group tool is built from.
 *
 * Each wraps one librdkafka admin request with the tool's timeout and error reporting, and hands
 * back the result event (the caller reads it with librdkafka's accessors and destroys it).
 */
#ifndef GREGOR_CLI_GROUP_ADMIN_H
#define GREGOR_CLI_GROUP_ADMIN_H

#include "cli/client.h"

/* DescribeConsumerGroups; returns 0 and the event, or an exit code. */
int gr_group_describe(gr_client *c, const char **groups, int count, rd_kafka_event_t **out);
/* The description of `group` inside a DescribeConsumerGroups event, or NULL. */
const rd_kafka_ConsumerGroupDescription_t *gr_group_find(rd_kafka_event_t *ev, const char *group);
/* True when a description means "no such group" (Dead, no members, or GROUP_ID_NOT_FOUND). */
bool gr_group_missing(const rd_kafka_ConsumerGroupDescription_t *d);

/*
 * ListConsumerGroupOffsets for one group, all partitions; returns 0 and a copy of the committed
 * offsets (caller destroys; offset < 0 = none), or an exit code.
 */
int gr_group_committed(gr_client *c, const char *group, rd_kafka_topic_partition_list_t **out);

/* AlterConsumerGroupOffsets; prints per-partition failures; returns an exit code. */
int gr_group_alter_offsets(gr_client *c, const char *group, const rd_kafka_topic_partition_list_t *offsets);

#endif
