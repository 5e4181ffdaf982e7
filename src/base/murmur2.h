/* murmur2.h: the Java client's key hash, for placing keys the way Kafka's tools do. */
#ifndef GREGOR_BASE_MURMUR2_H
#define GREGOR_BASE_MURMUR2_H

#include <stddef.h>
#include <stdint.h>

int32_t gr_murmur2(const void *data, size_t len);

#endif
