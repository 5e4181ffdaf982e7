/*
 * test_check.h: the few assertion macros the unit tests share.
 *
 * CHECK records a failure and keeps going, so one run reports every broken
 * expectation; main() returns test_failures != 0.
 */
#ifndef GREGOR_TESTS_TEST_CHECK_H
#define GREGOR_TESTS_TEST_CHECK_H

#include <stdio.h>

static int test_failures;

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            test_failures++;                                                                                 \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                         \
        }                                                                                                    \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                                                   \
    do {                                                                                                     \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                                \
        if (va_ != vb_) {                                                                                    \
            test_failures++;                                                                                 \
            fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, va_, vb_);         \
        }                                                                                                    \
    } while (0)

/* Parses a hex string (spaces ignored) into out; returns the byte count. */
static inline size_t test_unhex(const char *hex, unsigned char *out, size_t cap) {
    size_t n = 0;
    int hi = -1;
    for (const char *p = hex; *p; p++) {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (*p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else if (*p >= 'A' && *p <= 'F')
            d = *p - 'A' + 10;
        else
            continue;
        if (hi < 0) {
            hi = d;
        } else {
            if (n < cap) out[n] = (unsigned char)(hi << 4 | d);
            n++;
            hi = -1;
        }
    }
    return n;
}

#endif
