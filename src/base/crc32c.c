/*
 * crc32c.c: CRC-32C (polynomial 0x1EDC6F41, reflected 0x82F63B78).
 *
 * On x86-64 with SSE4.2 the crc32 instruction does 8 bytes a step, but each
 * step waits for the previous one (3 cycles latency, 1 per cycle
 * throughput). Long buffers therefore run three independent chains over
 * three equal lanes of a block and merge them: the CRC register is linear,
 * so crc(A|B) = shift(crc(A), |B|) ^ crc0(B), where shift(c, n) is the
 * register after n zero bytes and crc0 starts from a zero register. The
 * shift for a fixed lane length is a 32x32 GF(2) matrix, kept as four
 * byte-indexed tables built once at first use. Short buffers, and the
 * tail of long ones, take the single chain. Without SSE4.2: slicing-by-8.
 */
#include "base/crc32c.h"

#include <pthread.h>
#include <string.h>

#define CRC32C_POLY_REFLECTED 0x82F63B78u

/* Lane lengths of the interleaved path: a 3 x 8 KiB block for large batches, 3 x 256 B for the
 * rest; below 3 x 256 B the merge costs more than the parallel chains save. */
#define LANE_LONG_BYTES 8192
#define LANE_SHORT_BYTES 256

static uint32_t table[8][256];
static uint32_t shift_long[4][256];  /* the register after LANE_LONG_BYTES zero bytes */
static uint32_t shift_short[4][256]; /* ... after LANE_SHORT_BYTES zero bytes */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int have_sse42;

/* A linear map on the 32-bit register: column i is the image of bit i. */
typedef struct gf2_matrix {
    uint32_t col[32];
} gf2_matrix;

static uint32_t gf2_apply(const gf2_matrix *m, uint32_t v) {
    uint32_t r = 0;
    for (int i = 0; v; i++, v >>= 1)
        if (v & 1u) r ^= m->col[i];
    return r;
}

static gf2_matrix gf2_compose(const gf2_matrix *a, const gf2_matrix *b) { /* a after b */
    gf2_matrix r;
    for (int i = 0; i < 32; i++) r.col[i] = gf2_apply(a, b->col[i]);
    return r;
}

/* Tables for "append n zero bytes": shift(c) = t[0][c&ff] ^ t[1][c>>8&ff] ^ t[2][..] ^ t[3][c>>24]. */
static void build_shift(uint32_t t[4][256], unsigned n) {
    gf2_matrix one_byte, result, power;
    for (int i = 0; i < 32; i++) {
        uint32_t c = 1u << i;
        one_byte.col[i] = (c >> 8) ^ table[0][c & 0xff];
        result.col[i] = c; /* identity */
    }
    power = one_byte;
    for (; n; n >>= 1) { /* square and multiply */
        if (n & 1u) result = gf2_compose(&power, &result);
        power = gf2_compose(&power, &power);
    }
    for (int k = 0; k < 4; k++)
        for (uint32_t b = 0; b < 256; b++) t[k][b] = gf2_apply(&result, b << (8 * k));
}

static void init_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (CRC32C_POLY_REFLECTED & (0u - (c & 1u)));
        table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++) table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xff];
#if defined(GREGOR_X86) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    have_sse42 = __builtin_cpu_supports("sse4.2");
    if (have_sse42) {
        build_shift(shift_long, LANE_LONG_BYTES);
        build_shift(shift_short, LANE_SHORT_BYTES);
    }
#endif
}

static uint32_t crc_table(uint32_t crc, const uint8_t *p, size_t len) {
    while (len >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        lo = __builtin_bswap32(lo);
        hi = __builtin_bswap32(hi);
#endif
        lo ^= crc;
        crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^
              table[4][lo >> 24] ^ table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
              table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--) crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
    return crc;
}

#if defined(GREGOR_X86) && (defined(__GNUC__) || defined(__clang__))
static inline uint32_t shift_apply(uint32_t t[4][256], uint32_t c) {
    return t[0][c & 0xff] ^ t[1][(c >> 8) & 0xff] ^ t[2][(c >> 16) & 0xff] ^ t[3][c >> 24];
}

/* Three chains over the three lanes of each block of 3 x lane bytes; stops before the first
 * partial block. */
__attribute__((target("sse4.2"))) static inline uint64_t
crc_sse42_x3(uint64_t c0, const uint8_t **pp, size_t *lenp, size_t lane, uint32_t shift[4][256]) {
    const uint8_t *p = *pp;
    size_t len = *lenp;
    while (len >= 3 * lane) {
        uint64_t c1 = 0, c2 = 0;
        const uint8_t *end = p + lane;
        do {
            uint64_t v0, v1, v2;
            memcpy(&v0, p, 8);
            memcpy(&v1, p + lane, 8);
            memcpy(&v2, p + 2 * lane, 8);
            c0 = __builtin_ia32_crc32di(c0, v0);
            c1 = __builtin_ia32_crc32di(c1, v1);
            c2 = __builtin_ia32_crc32di(c2, v2);
            p += 8;
        } while (p < end);
        c0 = shift_apply(shift, (uint32_t)c0) ^ c1;
        c0 = shift_apply(shift, (uint32_t)c0) ^ c2;
        p += 2 * lane;
        len -= 3 * lane;
    }
    *pp = p;
    *lenp = len;
    return c0;
}

__attribute__((target("sse4.2"))) static uint32_t crc_sse42(uint32_t crc, const uint8_t *p, size_t len) {
    uint64_t c = crc;
    c = crc_sse42_x3(c, &p, &len, LANE_LONG_BYTES, shift_long);
    c = crc_sse42_x3(c, &p, &len, LANE_SHORT_BYTES, shift_short);
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c = __builtin_ia32_crc32di(c, v);
        p += 8;
        len -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (len--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}
#endif

uint32_t gr_crc32c(uint32_t crc, const void *data, size_t len) {
    pthread_once(&init_once, init_tables);
    const uint8_t *p = data;
    crc = ~crc;
#if defined(GREGOR_X86) && (defined(__GNUC__) || defined(__clang__))
    if (have_sse42) return ~crc_sse42(crc, p, len);
#endif
    return ~crc_table(crc, p, len);
}

uint32_t gr_crc32c_sw(uint32_t crc, const void *data, size_t len) {
    pthread_once(&init_once, init_tables);
    return ~crc_table(~crc, data, len);
}

const char *gr_crc32c_impl(void) {
    pthread_once(&init_once, init_tables);
    return have_sse42 ? "sse4.2 x3" : "table";
}
