/*
 * member_id.h: new member ids, in Kafka's form "<client.id or group.instance.id>-<uuid4>".
 * Clients treat them as opaque, but tools show them, so they look familiar.
 */
#ifndef GREGOR_GROUP_MEMBER_ID_H
#define GREGOR_GROUP_MEMBER_ID_H

#include <stddef.h>

#include "base/reader.h"

#define GR_MEMBER_ID_PREFIX_MAX_BYTES 200 /* longer client ids are cut: ids stay short */
#define GR_MEMBER_ID_MAX_BYTES (GR_MEMBER_ID_PREFIX_MAX_BYTES + 1 + 36 + 1)

/* Writes prefix + "-" + a random UUID into out (at least GR_MEMBER_ID_MAX_BYTES). */
void gr_member_id_new(gr_str prefix, char *out, size_t cap);
/* A random UUID as 36 characters plus a terminator (cap >= 37). */
void gr_uuid_string_new(char *out, size_t cap);

#endif
