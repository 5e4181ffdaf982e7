/*
 * limits.h: every hard limit in one place, with its unit in its name.
 */
#ifndef GREGOR_BASE_LIMITS_H
#define GREGOR_BASE_LIMITS_H

#define GR_ARENA_DEFAULT_LIMIT_BYTES (256u * 1024u * 1024u)
#define GR_SOCKET_REQUEST_MAX_BYTES_DEFAULT (100 * 1024 * 1024)
#define GR_MESSAGE_MAX_BYTES_DEFAULT 1048588
#define GR_TOPIC_NAME_MAX_CHARS 249
#define GR_PARTITIONS_PER_TOPIC_MAX 100000
#define GR_CONN_OUTPUT_MAX_BYTES (64 * 1024 * 1024)
#define GR_CONN_INFLIGHT_REQUESTS_MAX 256
#define GR_PRODUCER_BATCHES_KEPT 5

/* Networking (src/net). */
#define GR_CONNECTIONS_MAX_IDLE_MS_DEFAULT 600000 /* Kafka's connections.max.idle.ms */
#define GR_NET_LOOPS_MAX 256
#define GR_NET_LISTENERS_MAX 16
#define GR_NET_STOP_DRAIN_MS 2000 /* on stop, time given to outstanding replies */

/* Storage (src/store). */
#define GR_PRODUCERS_PER_PARTITION_MAX 65536           /* idempotent producers remembered per partition */
#define GR_PRODUCER_ID_EXPIRATION_MS_DEFAULT 86400000  /* Kafka's producer.id.expiration.ms */
#define GR_PRODUCER_SNAPSHOTS_KEPT 2                   /* newest snapshot files kept per partition */
#define GR_RECOVERY_INDEX_STEPS_BACK_MAX 16            /* index entries tried before a full rescan */
#define GR_SNAPSHOT_MAX_BYTES (64 * 1024 * 1024)       /* larger snapshot files are treated as damaged */

#endif
