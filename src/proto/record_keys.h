/*
 * record_keys.h: finding records without a key in a produced batch, which compacted topics
 * refuse (Kafka answers INVALID_RECORD and names the record).
 */
#ifndef GREGOR_PROTO_RECORD_KEYS_H
#define GREGOR_PROTO_RECORD_KEYS_H

#include <stddef.h>
#include <stdint.h>

/* Index in the batch of its first record whose key is null, -1 if every record has a key, -2 if
 * the records cannot be read (corrupt, or too large once decompressed). The batch must already
 * have passed gr_produce_records_check. */
int32_t gr_batch_first_keyless_record(const uint8_t *batch, size_t size);

#endif
