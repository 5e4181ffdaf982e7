/* test_compression.c: every codec round-trips; corrupt, truncated and oversized input fails. */
#include <stdio.h>
#include <string.h>

#include "proto/compression.h"

static int failures;
#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                         \
            failures++;                                                                                      \
        }                                                                                                    \
    } while (0)

static void roundtrip(int codec, const uint8_t *data, size_t len) {
    gr_buf z, plain;
    gr_buf_init(&z);
    gr_buf_init(&plain);
    CHECK(gr_compress(codec, data, len, &z) == 0);
    CHECK(gr_decompress(codec, z.data, z.len, &plain, len + 16) == 0);
    CHECK(plain.len == len && (len == 0 || memcmp(plain.data, data, len) == 0));
    /* The output cap is enforced. */
    if (len > 10) {
        gr_buf_reset(&plain);
        CHECK(gr_decompress(codec, z.data, z.len, &plain, len / 2) == -1);
    }
    /* Truncated input never succeeds (for framed codecs) and never crashes. */
    if (codec != GR_CODEC_NONE && z.len > 4) {
        gr_buf_reset(&plain);
        CHECK(gr_decompress(codec, z.data, z.len / 2, &plain, len + 16) == -1);
        uint8_t garbage[64];
        for (size_t i = 0; i < sizeof garbage; i++) garbage[i] = (uint8_t)(i * 37 + 11);
        gr_buf_reset(&plain);
        (void)gr_decompress(codec, garbage, sizeof garbage, &plain, 1 << 20);
    }
    gr_buf_free(&z);
    gr_buf_free(&plain);
}

/* The framing snappy-java writes: magic, version, compatible version, then length-prefixed blocks. */
static void xerial_snappy(void) {
    const char *text = "xerial framed snappy, as the Java producer sends it; xerial framed snappy";
    gr_buf block, framed, plain;
    gr_buf_init(&block);
    gr_buf_init(&framed);
    gr_buf_init(&plain);
    CHECK(gr_compress(GR_CODEC_SNAPPY, (const uint8_t *)text, strlen(text), &block) == 0);
    const uint8_t header[16] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1};
    gr_buf_put(&framed, header, sizeof header);
    for (int i = 0; i < 2; i++) {
        gr_buf_put_i32(&framed, (int32_t)block.len);
        gr_buf_put(&framed, block.data, block.len);
    }
    CHECK(gr_decompress(GR_CODEC_SNAPPY, framed.data, framed.len, &plain, 1 << 20) == 0);
    CHECK(plain.len == 2 * strlen(text));
    CHECK(memcmp(plain.data, text, strlen(text)) == 0 &&
          memcmp(plain.data + strlen(text), text, strlen(text)) == 0);
    gr_buf_free(&block);
    gr_buf_free(&framed);
    gr_buf_free(&plain);
}

int main(void) {
    static uint8_t big[300000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)((i * 7) % 251 < 60 ? 'a' : (i % 13));
    const uint8_t small[] = "hello";
    for (int codec = GR_CODEC_NONE; codec <= GR_CODEC_ZSTD; codec++) {
        roundtrip(codec, small, sizeof small - 1);
        roundtrip(codec, big, sizeof big);
        roundtrip(codec, (const uint8_t *)"", 0);
    }
    xerial_snappy();
    gr_buf out;
    gr_buf_init(&out);
    CHECK(gr_decompress(9, small, 5, &out, 100) == -1);
    gr_buf_free(&out);
    if (failures) {
        fprintf(stderr, "test_compression: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_compression: ok\n");
    return 0;
}
