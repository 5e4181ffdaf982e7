/*
 * pipeline_codec.h: a pipeline's codecs, from input record bytes to output record bytes.
 *
 *   codec.in  json: the value must be one JSON text (else the event fails to decode)
 *             raw:  the value is bytes, taken as they are
 *   codec.out json: the event as JSON text (raw input becomes a JSON string; it must be UTF-8)
 *             raw:  the event as bytes (a JSON string's contents, other JSON values as their text)
 *
 * Encoded events are appended to a buffer, so a batch emitted as one JSON array is the events
 * joined with commas between brackets.
 */
#ifndef GREGOR_CONNECT_PIPELINE_CODEC_H
#define GREGOR_CONNECT_PIPELINE_CODEC_H

#include <stddef.h>

#include "base/buf.h"
#include "connect/pipeline.h"

/* Appends the encoding of one input value to `out`; returns 0, or -1 with a reason in `why`
   (then `out` is unchanged). */
int gr_pipeline_encode(gr_codec in, gr_codec out_codec, const void *value, size_t len, gr_buf *out, char *why,
                       size_t why_size);

#endif
