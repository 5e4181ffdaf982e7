/*
 * store_test_util.h: what the storage tests share: hand-made record batches,
 * temporary directories, and small file helpers.
 *
 * Batches are built with the real builder (proto/record_batch.h), then
 * optionally marked "compressed" (the codec bits set and the CRC redone
 * without compressing anything), which is enough for code that only reads
 * headers.
 */
#ifndef GREGOR_TESTS_STORE_TEST_UTIL_H
#define GREGOR_TESTS_STORE_TEST_UTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "proto/record_batch.h"
#include "test_check.h"

typedef struct test_batch_opts {
    int records;         /* >= 1 */
    int64_t timestamp;   /* of the first record; each next record +1 */
    int value_bytes;     /* size of each value */
    int64_t producer_id; /* -1: not idempotent */
    int16_t producer_epoch;
    int32_t base_sequence;
    int codec; /* sets the codec bits without compressing */
} test_batch_opts;

static inline test_batch_opts test_opts(int records, int64_t timestamp) {
    test_batch_opts o = {records, timestamp, 10, -1, -1, -1, 0};
    return o;
}

/* Appends one batch to out and returns its size. */
static inline size_t test_make_batch(gr_buf *out, const test_batch_opts *o) {
    gr_batch_builder_opts bo;
    gr_batch_builder_opts_init(&bo);
    bo.producer_id = o->producer_id;
    bo.producer_epoch = o->producer_epoch;
    bo.base_sequence = o->base_sequence;
    gr_batch_builder b;
    gr_batch_builder_begin(&b, out, &bo);
    uint8_t value[256];
    int vlen = o->value_bytes < (int)sizeof value ? o->value_bytes : (int)sizeof value;
    for (int i = 0; i < o->records; i++) {
        memset(value, 'a' + i % 26, sizeof value);
        char key[16];
        int klen = snprintf(key, sizeof key, "k%d", i);
        gr_bytes k = {(const uint8_t *)key, klen}, v = {value, vlen};
        gr_batch_builder_add(&b, o->timestamp + i, k, v, NULL, 0);
    }
    size_t start = b.start;
    size_t size = gr_batch_builder_finish(&b);
    if (o->codec) {
        uint8_t *p = out->data + start;
        p[GR_BATCH_OFF_ATTRIBUTES + 1] = (uint8_t)((p[GR_BATCH_OFF_ATTRIBUTES + 1] & ~7) | o->codec);
        uint32_t crc = gr_batch_compute_crc(p, size);
        p[GR_BATCH_OFF_CRC] = (uint8_t)(crc >> 24);
        p[GR_BATCH_OFF_CRC + 1] = (uint8_t)(crc >> 16);
        p[GR_BATCH_OFF_CRC + 2] = (uint8_t)(crc >> 8);
        p[GR_BATCH_OFF_CRC + 3] = (uint8_t)crc;
    }
    return size;
}

static inline char *test_tmpdir(void) {
    char *t = strdup("/tmp/gregor-store-test-XXXXXX");
    if (!t || !mkdtemp(t)) {
        perror("mkdtemp");
        exit(2);
    }
    return t;
}

static inline int test_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void test_rm_rf(char *dir) {
    nftw(dir, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

static inline long long test_file_size(const char *dir, const char *name) {
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static inline int test_file_exists(const char *dir, const char *name) {
    return test_file_size(dir, name) >= 0;
}

/* Reads a whole file; *len gets its size. Caller frees. */
static inline uint8_t *test_read_file(const char *dir, const char *name, size_t *len) {
    char path[512];
    *len = 0;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

static inline void test_write_file(const char *dir, const char *name, const void *p, size_t len,
                                   const char *mode) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, mode);
    if (!f) return;
    if (len) fwrite(p, 1, len, f);
    fclose(f);
}

static inline void test_remove_file(const char *dir, const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

#endif
