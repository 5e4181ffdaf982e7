/*
 * placement.h: which __consumer_offsets partition holds a group.
 *
 * Kafka places a group by abs(groupId.hashCode()) % partitions, where
 * hashCode is Java's String.hashCode over UTF-16 code units. Using the same
 * rule keeps our offsets topic readable by Kafka's tools and the mapping
 * stable across restarts.
 */
#ifndef GREGOR_GROUP_PLACEMENT_H
#define GREGOR_GROUP_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

/* Java's String.hashCode of the string whose UTF-8 bytes are s[0..len). Malformed UTF-8 counts
   as U+FFFD per bad byte, roughly as Java's decoder replaces it. */
int32_t gr_java_utf16_hash(const char *s, size_t len);

/* abs(hash) % partitions, with abs(INT32_MIN) taken as 0 as Kafka's Utils.abs does. */
int32_t gr_group_partition_for(const char *group, size_t len, int32_t partitions);

#endif
