/* compression.c: the four codecs of record batches (see compression.h). */
#include "proto/compression.h"

#include <dlfcn.h>
#include <lz4frame.h>
#include <pthread.h>
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define CHUNK_BYTES (64 * 1024)

/*
 * libsnappy is C++ and would bring libstdc++ into every broker's memory at start-up, for a
 * codec the broker only looks inside on rare paths; it is loaded the first time it is needed.
 */
#define SNAPPY_LIBRARY "libsnappy.so.1"

static struct {
    snappy_status (*uncompressed_length)(const char *, size_t, size_t *);
    snappy_status (*uncompress)(const char *, size_t, char *, size_t *);
    snappy_status (*compress)(const char *, size_t, char *, size_t *);
    size_t (*max_compressed_length)(size_t);
    int loaded;
} snappy_lib;
static pthread_once_t snappy_once = PTHREAD_ONCE_INIT;

static void snappy_load(void) {
    void *h = dlopen(SNAPPY_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (!h) return;
    *(void **)&snappy_lib.uncompressed_length = dlsym(h, "snappy_uncompressed_length");
    *(void **)&snappy_lib.uncompress = dlsym(h, "snappy_uncompress");
    *(void **)&snappy_lib.compress = dlsym(h, "snappy_compress");
    *(void **)&snappy_lib.max_compressed_length = dlsym(h, "snappy_max_compressed_length");
    snappy_lib.loaded = snappy_lib.uncompressed_length && snappy_lib.uncompress && snappy_lib.compress &&
                        snappy_lib.max_compressed_length;
}

static int snappy_ready(void) {
    pthread_once(&snappy_once, snappy_load);
    return snappy_lib.loaded;
}

static const uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};

static int gzip_inflate(const uint8_t *in, size_t len, gr_buf *out, size_t max_out) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return -1;
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)len;
    size_t produced = 0;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        if (!gr_buf_reserve(out, CHUNK_BYTES)) break;
        z.next_out = out->data + out->len;
        z.avail_out = CHUNK_BYTES;
        rc = inflate(&z, Z_NO_FLUSH);
        size_t n = CHUNK_BYTES - z.avail_out;
        out->len += n;
        produced += n;
        if (produced > max_out || (rc != Z_OK && rc != Z_STREAM_END)) break;
        if (rc == Z_OK && n == 0 && z.avail_in == 0) break; /* truncated stream */
    }
    inflateEnd(&z);
    return rc == Z_STREAM_END && produced <= max_out ? 0 : -1;
}

static int snappy_block(const uint8_t *in, size_t len, gr_buf *out, size_t *produced, size_t max_out) {
    size_t n;
    if (!snappy_ready() || snappy_lib.uncompressed_length((const char *)in, len, &n) != SNAPPY_OK) return -1;
    if (*produced + n > max_out || !gr_buf_reserve(out, n + 1)) return -1;
    if (snappy_lib.uncompress((const char *)in, len, (char *)out->data + out->len, &n) != SNAPPY_OK)
        return -1;
    out->len += n;
    *produced += n;
    return 0;
}

static int snappy_inflate(const uint8_t *in, size_t len, gr_buf *out, size_t max_out) {
    size_t produced = 0;
    if (len < 16 || memcmp(in, xerial_magic, 8) != 0) return snappy_block(in, len, out, &produced, max_out);
    size_t pos = 16; /* magic, version, compatible version */
    while (pos < len) {
        if (len - pos < 4) return -1;
        uint32_t n = ((uint32_t)in[pos] << 24) | ((uint32_t)in[pos + 1] << 16) |
                     ((uint32_t)in[pos + 2] << 8) | in[pos + 3];
        pos += 4;
        if (n > len - pos) return -1;
        if (snappy_block(in + pos, n, out, &produced, max_out) != 0) return -1;
        pos += n;
    }
    return 0;
}

static int lz4_inflate(const uint8_t *in, size_t len, gr_buf *out, size_t max_out) {
    LZ4F_dctx *ctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) return -1;
    size_t pos = 0, produced = 0, hint = 1;
    int rc = -1;
    while (hint != 0) {
        if (!gr_buf_reserve(out, CHUNK_BYTES)) break;
        size_t dst = CHUNK_BYTES, src = len - pos;
        hint = LZ4F_decompress(ctx, out->data + out->len, &dst, in + pos, &src, NULL);
        if (LZ4F_isError(hint)) break;
        out->len += dst;
        produced += dst;
        pos += src;
        if (produced > max_out) break;
        if (hint == 0)
            rc = 0;
        else if (src == 0 && dst == 0)
            break; /* input ended inside the frame */
    }
    LZ4F_freeDecompressionContext(ctx);
    return rc;
}

static int zstd_inflate(const uint8_t *in, size_t len, gr_buf *out, size_t max_out) {
    ZSTD_DCtx *ctx = ZSTD_createDCtx();
    if (!ctx) return -1;
    ZSTD_inBuffer src = {in, len, 0};
    size_t produced = 0, ret = 1;
    int rc = -1;
    while (src.pos < src.size || ret != 0) {
        if (!gr_buf_reserve(out, CHUNK_BYTES)) break;
        ZSTD_outBuffer dst = {out->data + out->len, CHUNK_BYTES, 0};
        size_t before = src.pos;
        ret = ZSTD_decompressStream(ctx, &dst, &src);
        if (ZSTD_isError(ret)) break;
        out->len += dst.pos;
        produced += dst.pos;
        if (produced > max_out) break;
        if (ret == 0 && src.pos == src.size) {
            rc = 0;
            break;
        }
        if (dst.pos == 0 && src.pos == before) break; /* truncated */
    }
    ZSTD_freeDCtx(ctx);
    return rc;
}

int gr_decompress(int codec, const uint8_t *in, size_t len, gr_buf *out, size_t max_out) {
    switch (codec) {
    case GR_CODEC_NONE:
        if (len > max_out) return -1;
        gr_buf_put(out, in, len);
        return out->oom ? -1 : 0;
    case GR_CODEC_GZIP:
        return gzip_inflate(in, len, out, max_out);
    case GR_CODEC_SNAPPY:
        return snappy_inflate(in, len, out, max_out);
    case GR_CODEC_LZ4:
        return lz4_inflate(in, len, out, max_out);
    case GR_CODEC_ZSTD:
        return zstd_inflate(in, len, out, max_out);
    default:
        return -1;
    }
}

int gr_compress(int codec, const uint8_t *in, size_t len, gr_buf *out) {
    switch (codec) {
    case GR_CODEC_NONE:
        gr_buf_put(out, in, len);
        return out->oom ? -1 : 0;
    case GR_CODEC_GZIP: {
        z_stream z;
        memset(&z, 0, sizeof z);
        if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
            Z_OK)
            return -1;
        size_t bound = deflateBound(&z, (uLong)len) + 32;
        if (!gr_buf_reserve(out, bound)) {
            deflateEnd(&z);
            return -1;
        }
        z.next_in = (Bytef *)in;
        z.avail_in = (uInt)len;
        z.next_out = out->data + out->len;
        z.avail_out = (uInt)bound;
        int rc = deflate(&z, Z_FINISH);
        out->len += bound - z.avail_out;
        deflateEnd(&z);
        return rc == Z_STREAM_END ? 0 : -1;
    }
    case GR_CODEC_SNAPPY: {
        if (!snappy_ready()) return -1;
        size_t n = snappy_lib.max_compressed_length(len);
        if (!gr_buf_reserve(out, n)) return -1;
        if (snappy_lib.compress((const char *)in, len, (char *)out->data + out->len, &n) != SNAPPY_OK)
            return -1;
        out->len += n;
        return 0;
    }
    case GR_CODEC_LZ4: {
        size_t n = LZ4F_compressFrameBound(len, NULL);
        if (!gr_buf_reserve(out, n)) return -1;
        n = LZ4F_compressFrame(out->data + out->len, n, in, len, NULL);
        if (LZ4F_isError(n)) return -1;
        out->len += n;
        return 0;
    }
    case GR_CODEC_ZSTD: {
        size_t n = ZSTD_compressBound(len);
        if (!gr_buf_reserve(out, n)) return -1;
        n = ZSTD_compress(out->data + out->len, n, in, len, 3);
        if (ZSTD_isError(n)) return -1;
        out->len += n;
        return 0;
    }
    default:
        return -1;
    }
}
