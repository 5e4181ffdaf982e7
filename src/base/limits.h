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
/* Request bytes one connection may have delivered and unanswered before it is no longer read (a
 * per-connection form of Kafka's queued.max.request.bytes): acks=all Produce frames wait in memory
 * for their fsync. One frame is always taken when nothing is outstanding, however large. 4 MiB
 * still lets one connection keep a disk busy (a group-commit round syncs what arrived meanwhile). */
#define GR_CONN_UNANSWERED_REQUEST_MAX_BYTES (4 * 1024 * 1024)
#define GR_PRODUCER_BATCHES_KEPT 5

/* Networking (src/net). */
#define GR_CONNECTIONS_MAX_IDLE_MS_DEFAULT 600000 /* Kafka's connections.max.idle.ms */
#define GR_NET_LOOPS_MAX 256
#define GR_NET_LISTENERS_MAX 16
#define GR_NET_STOP_DRAIN_MS 2000 /* on stop, time given to outstanding replies */

/* Storage (src/store). */
#define GR_PRODUCERS_PER_PARTITION_MAX 65536          /* idempotent producers remembered per partition */
#define GR_PRODUCER_ID_EXPIRATION_MS_DEFAULT 86400000 /* Kafka's producer.id.expiration.ms */
#define GR_PRODUCER_SNAPSHOTS_KEPT 2                  /* newest snapshot files kept per partition */
#define GR_RECOVERY_INDEX_STEPS_BACK_MAX 16           /* index entries tried before a full rescan */
#define GR_SNAPSHOT_MAX_BYTES (64 * 1024 * 1024)      /* larger snapshot files are treated as damaged */
#define GR_FLUSH_SYNCS_CONCURRENT_MAX 8               /* partitions one flush round syncs at once */
#define GR_FLUSH_SYNC_THREAD_STACK_BYTES (64 * 1024)  /* stack of each extra sync thread */
#define GR_APPEND_RECORD_ERRORS_MAX 32                /* refused records one append names (RecordErrors) */
/* A compressed batch whose header shows a record timestamp out of range is decompressed to find
 * which records are; the output is capped like a lookup's. */
#define GR_TIMESTAMP_CHECK_DECOMPRESSED_MAX_BYTES (64 * 1024 * 1024)

/* A timestamp lookup reads a batch into memory and decompresses its records: both are capped, so a
 * small batch that inflates enormously cannot take the broker's memory. */
#define GR_LOOKUP_BATCH_MAX_BYTES (64 * 1024 * 1024)
#define GR_LOOKUP_DECOMPRESSED_MAX_BYTES (64 * 1024 * 1024)

/* Consumer groups (src/group). */
#define GR_GROUP_MEMBERS_MAX 10000                    /* hard cap per group, whatever group.max.size says */
#define GR_GROUP_PENDING_MEMBERS_MAX 10000            /* members told MEMBER_ID_REQUIRED, not yet back */
#define GR_GROUP_PROTOCOLS_MAX 64                     /* protocols one JoinGroup may offer */
#define GR_GROUP_METADATA_MAX_BYTES (1024 * 1024)     /* one protocol's metadata, one member's assignment */
#define GR_GROUP_ID_MAX_BYTES 32767                   /* a STRING's limit */
#define GR_GROUPS_MAX 1000000                         /* groups one coordinator keeps */
#define GR_GROUP_OFFSETS_MAX 1000000                  /* committed offsets one group keeps */
#define GR_OFFSET_METADATA_MAX_BYTES 4096             /* Kafka's offset.metadata.max.bytes */
#define GR_GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS 300000    /* a new member's first JoinGroup may wait this long */
#define GR_CONSUMER_GROUP_SUBSCRIBED_TOPICS_MAX 10000 /* topic names one KIP-848 member may subscribe to */
#define GR_OFFSETS_LOAD_READ_BYTES (1024 * 1024)      /* read size when replaying __consumer_offsets */

/* Replication, follower side (src/cluster/replica_fetcher.c). */
/* a response may exceed its max bytes by this */
#define GR_REPLICA_FETCH_FRAME_SLACK_BYTES (2 * 1024 * 1024)
#define GR_REPLICA_FETCH_DECODE_ARENA_FACTOR                                                                 \
    8 /* decoding a response takes at most this many bytes per frame byte */
#define GR_REPLICA_FETCH_RETRY_MIN_MS 50 /* first retry after a leadership error, doubling to the backoff */

#endif
