/* member_id.c: random member ids (see member_id.h). */
#include "group/member_id.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void gr_uuid_string_new(char *out, size_t cap) {
    uint8_t b[16];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b)
        for (int i = 0; i < 16; i++) b[i] = (uint8_t)rand();
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* IETF variant */
    snprintf(out, cap, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void gr_member_id_new(gr_str prefix, char *out, size_t cap) {
    char uuid[40];
    gr_uuid_string_new(uuid, sizeof uuid);
    int n = prefix.len > 0 && prefix.ptr ? prefix.len : 0;
    if (n > GR_MEMBER_ID_PREFIX_MAX_BYTES) n = GR_MEMBER_ID_PREFIX_MAX_BYTES;
    snprintf(out, cap, "%.*s-%s", n, n ? prefix.ptr : "", uuid);
}
