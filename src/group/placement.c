/* placement.c: Java's String.hashCode over UTF-8 input (see placement.h). */
#include "group/placement.h"

#define REPLACEMENT_CHAR 0xFFFDu

/* Decodes one code point at s[*i]; advances *i. Returns REPLACEMENT_CHAR for a malformed byte. */
static uint32_t next_code_point(const unsigned char *s, size_t len, size_t *i) {
    unsigned char c = s[*i];
    uint32_t cp;
    size_t need;
    if (c < 0x80) {
        (*i)++;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        cp = c & 0x1F;
        need = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        cp = c & 0x0F;
        need = 2;
    } else if (c >= 0xF0 && c <= 0xF4) {
        cp = c & 0x07;
        need = 3;
    } else {
        (*i)++;
        return REPLACEMENT_CHAR;
    }
    if (*i + need >= len) { /* truncated sequence */
        (*i)++;
        return REPLACEMENT_CHAR;
    }
    for (size_t k = 1; k <= need; k++) {
        unsigned char cc = s[*i + k];
        if ((cc & 0xC0) != 0x80) {
            (*i)++;
            return REPLACEMENT_CHAR;
        }
        cp = (cp << 6) | (cc & 0x3F);
    }
    /* Overlong three/four-byte forms, surrogates and values past U+10FFFF are malformed. */
    if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (need == 3 && (cp < 0x10000 || cp > 0x10FFFF))) {
        (*i)++;
        return REPLACEMENT_CHAR;
    }
    *i += need + 1;
    return cp;
}

int32_t gr_java_utf16_hash(const char *s, size_t len) {
    const unsigned char *p = (const unsigned char *)s;
    uint32_t h = 0;
    size_t i = 0;
    while (i < len) {
        uint32_t cp = next_code_point(p, len, &i);
        if (cp >= 0x10000) {
            cp -= 0x10000;
            h = 31u * h + (0xD800u + (cp >> 10));
            h = 31u * h + (0xDC00u + (cp & 0x3FF));
        } else {
            h = 31u * h + cp;
        }
    }
    return (int32_t)h;
}

int32_t gr_group_partition_for(const char *group, size_t len, int32_t partitions) {
    if (partitions <= 0) return 0;
    int32_t h = gr_java_utf16_hash(group, len);
    int32_t a = h == INT32_MIN ? 0 : (h < 0 ? -h : h);
    return a % partitions;
}
