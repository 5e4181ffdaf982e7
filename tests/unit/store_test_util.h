/*
 * store_test_util.h: what the storage tests share: hand-made record batches,
 * temporary directories, and small file helpers.
 *
 * Batches are built with the real builder (proto/record_batch.h), then
 * optionally marked "compressed" (the codec bits set and the CRC redone
 * without compressing anything), which is enough for code that only reads
 * headers. test_make_batch_ts builds really compressed batches with chosen
 * record timestamps, for code that looks at the records.
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
#include "proto/compression.h"
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

/* Appends one batch of n records (key "k<i>", value "v<i>") with the given timestamps; with a codec,
 * its records section is really compressed. Returns the batch size, 0 on failure. */
static inline size_t test_make_batch_ts(gr_buf *out, const int64_t *timestamps, int n, int codec) {
    gr_batch_builder_opts bo;
    gr_batch_builder_opts_init(&bo);
    gr_buf plain;
    gr_buf_init(&plain);
    gr_batch_builder b;
    gr_batch_builder_begin(&b, &plain, &bo);
    for (int i = 0; i < n; i++) {
        char key[16], value[16];
        int klen = snprintf(key, sizeof key, "k%d", i), vlen = snprintf(value, sizeof value, "v%d", i);
        gr_bytes k = {(const uint8_t *)key, klen}, v = {(const uint8_t *)value, vlen};
        gr_batch_builder_add(&b, timestamps[i], k, v, NULL, 0);
    }
    size_t size = gr_batch_builder_finish(&b);
    if (size > 0 && codec != GR_COMPRESSION_NONE) {
        gr_buf z;
        gr_buf_init(&z);
        gr_buf_put(&z, plain.data, GR_BATCH_HEADER_BYTES);
        if (gr_compress(codec, plain.data + GR_BATCH_HEADER_BYTES, size - GR_BATCH_HEADER_BYTES, &z) != 0) {
            size = 0;
        } else {
            uint8_t *p = z.data;
            uint32_t length = (uint32_t)(z.len - GR_BATCH_LOG_OVERHEAD_BYTES);
            p[GR_BATCH_OFF_LENGTH] = (uint8_t)(length >> 24);
            p[GR_BATCH_OFF_LENGTH + 1] = (uint8_t)(length >> 16);
            p[GR_BATCH_OFF_LENGTH + 2] = (uint8_t)(length >> 8);
            p[GR_BATCH_OFF_LENGTH + 3] = (uint8_t)length;
            p[GR_BATCH_OFF_ATTRIBUTES + 1] = (uint8_t)((p[GR_BATCH_OFF_ATTRIBUTES + 1] & ~7) | codec);
            uint32_t crc = gr_batch_compute_crc(p, z.len);
            p[GR_BATCH_OFF_CRC] = (uint8_t)(crc >> 24);
            p[GR_BATCH_OFF_CRC + 1] = (uint8_t)(crc >> 16);
            p[GR_BATCH_OFF_CRC + 2] = (uint8_t)(crc >> 8);
            p[GR_BATCH_OFF_CRC + 3] = (uint8_t)crc;
            size = z.len;
            gr_buf_put(out, z.data, z.len);
        }
        gr_buf_free(&z);
    } else if (size > 0) {
        gr_buf_put(out, plain.data, size);
    }
    gr_buf_free(&plain);
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
