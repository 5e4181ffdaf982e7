/*
 * compression.h: decompressing the records section of a record batch.
 *
 * The broker stores batches exactly as producers compressed them; it only
 * needs to look inside one when a question is about single records (the
 * first record at or after a timestamp, compaction, the tools). Output is
 * capped so a small "zip bomb" cannot take the broker's memory.
 *
 * Codecs (attribute bits 0-2): 1 gzip (a gzip stream), 2 snappy (the xerial
 * framing Java's snappy-java writes, or a raw snappy block), 3 lz4 (the LZ4
 * frame format), 4 zstd (a zstd frame).
 */
#ifndef GREGOR_PROTO_COMPRESSION_H
#define GREGOR_PROTO_COMPRESSION_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

enum { GR_CODEC_NONE = 0, GR_CODEC_GZIP = 1, GR_CODEC_SNAPPY = 2, GR_CODEC_LZ4 = 3, GR_CODEC_ZSTD = 4 };

/* Appends the decompressed bytes to out. Returns 0, or -1 if the input is corrupt, the codec
 * unknown, or the output would exceed max_out bytes. */
int gr_decompress(int codec, const uint8_t *in, size_t len, gr_buf *out, size_t max_out);

/* Compresses in into out with the codec's default level (tests and tools). Returns 0 or -1. */
int gr_compress(int codec, const uint8_t *in, size_t len, gr_buf *out);

#endif
