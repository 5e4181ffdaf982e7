/*
 * test_crc32c.c: CRC-32C on both paths (SSE4.2 with three interleaved chains, and the portable
 * table) against a bit-at-a-time reference, over lengths 0..70000 that cross the block and lane
 * boundaries of the interleaved path, at odd alignments, whole and continued in two pieces.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "test_check.h"

#define MAX_LEN_BYTES 70000
#define ALIGNMENTS 8
#define DENSE_UP_TO_BYTES 1600 /* every length up to here: two 3 x 256 B blocks and a tail */
#define SPARSE_STEP_BYTES 1009 /* above it, a prime step, plus lengths near block multiples: */
#define NEAR_SHORT_BYTES 2     /* ... this close to a multiple of 3 x 256 B */
#define NEAR_LONG_BYTES 9      /* ... this close to a multiple of 3 x 8 KiB */
#define SHORT_BLOCK_BYTES (3 * 256)
#define LONG_BLOCK_BYTES (3 * 8192)

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

/* Advances a raw (not inverted) register one byte, one bit at a time. */
static uint32_t reference_step(uint32_t reg, uint8_t byte) {
    reg ^= byte;
    for (int k = 0; k < 8; k++) reg = (reg >> 1) ^ (0x82F63B78u & (0u - (reg & 1u)));
    return reg;
}

static bool near_multiple(size_t len, size_t block, size_t near) {
    size_t r = len % block;
    return r <= near || block - r <= near;
}

static bool length_tested(size_t len, bool long_ones) {
    if (len <= DENSE_UP_TO_BYTES) return true;
    return long_ones && (len % SPARSE_STEP_BYTES == 0 || len == MAX_LEN_BYTES ||
                         near_multiple(len, SHORT_BLOCK_BYTES, NEAR_SHORT_BYTES) ||
                         near_multiple(len, LONG_BLOCK_BYTES, NEAR_LONG_BYTES));
}

static void check_vectors(crc_fn f, const char *name) {
    CHECK(f(0, "123456789", 9) == 0xE3069283u);
    CHECK(f(0, "", 0) == 0);
    CHECK(f(0x12345678u, "", 0) == 0x12345678u); /* an empty piece leaves a running CRC alone */
    uint8_t block[32];
    memset(block, 0, sizeof block); /* RFC 3720 (iSCSI) check values */
    CHECK(f(0, block, sizeof block) == 0x8A9136AAu);
    memset(block, 0xff, sizeof block);
    CHECK(f(0, block, sizeof block) == 0x62A8AB43u);
    if (test_failures) fprintf(stderr, "check values failed on the %s path\n", name);
}

/* Every tested length at one alignment, against the reference of the same prefix. */
static void check_lengths(crc_fn f, const char *name, const uint8_t *base, const uint32_t *want,
                          bool long_ones) {
    int failures = 0;
    uint32_t seed = 777;
    for (size_t len = 0; len <= MAX_LEN_BYTES && failures < 10; len++) {
        if (!length_tested(len, long_ones)) continue;
        uint32_t got = f(0, base, len);
        if (got != want[len]) {
            failures++;
            fprintf(stderr, "%s path, len %zu, alignment %u: got %08x, want %08x\n", name, len,
                    (unsigned)((uintptr_t)base % 8), got, want[len]);
        }
        /* Continued in two pieces, the cut anywhere (also inside a lane). */
        seed = seed * 1103515245u + 12345u;
        size_t cut = len ? (seed >> 8) % (len + 1) : 0;
        uint32_t two = f(f(0, base, cut), base + cut, len - cut);
        if (two != want[len]) {
            failures++;
            fprintf(stderr, "%s path, len %zu cut at %zu: got %08x, want %08x\n", name, len, cut, two,
                    want[len]);
        }
    }
    CHECK_EQ_INT(failures, 0);
}

int main(void) {
    check_vectors(gr_crc32c, "default");
    check_vectors(gr_crc32c_sw, "table");
#if defined(GREGOR_X86) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("sse4.2")) CHECK(strcmp(gr_crc32c_impl(), "sse4.2 x3") == 0);
#endif
    fprintf(stderr, "crc32c path: %s\n", gr_crc32c_impl());

    uint8_t *buf = malloc(MAX_LEN_BYTES + ALIGNMENTS);
    uint32_t *want = malloc((MAX_LEN_BYTES + 1) * sizeof *want);
    CHECK(buf && want);
    if (!buf || !want) return 1;
    uint32_t x = 12345;
    for (size_t i = 0; i < MAX_LEN_BYTES + ALIGNMENTS; i++) {
        x = x * 1103515245u + 12345u;
        buf[i] = (uint8_t)(x >> 16);
    }
    for (size_t off = 0; off < ALIGNMENTS; off++) {
        uint32_t reg = 0xffffffffu;
        want[0] = 0;
        for (size_t n = 1; n <= MAX_LEN_BYTES; n++) {
            reg = reference_step(reg, buf[off + n - 1]);
            want[n] = ~reg;
        }
        /* Short lengths at every alignment; long ones (slow under sanitizers) at 0 and the odd ones. */
        bool long_ones = off == 0 || off % 2 == 1;
        check_lengths(gr_crc32c, "default", buf + off, want, long_ones);
        check_lengths(gr_crc32c_sw, "table", buf + off, want, long_ones);
    }
    free(want);
    free(buf);
    if (test_failures) fprintf(stderr, "test_crc32c: %d failure(s)\n", test_failures);
    return test_failures != 0;
}
