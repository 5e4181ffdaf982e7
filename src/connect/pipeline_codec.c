/* pipeline_codec.c: json and raw codecs of pipelines (pipeline_codec.h). */
#include "connect/pipeline_codec.h"

#include <stdio.h>
#include <stdlib.h>

#include "cli/json.h"
#include "connect/json_decode.h"

static int json_string_of_bytes(const void *value, size_t len, gr_buf *out, char *why, size_t why_size) {
    if (!gr_utf8_valid(value, len)) {
        snprintf(why, why_size, "raw value is not UTF-8 text, so it cannot be a JSON string");
        return -1;
    }
    char *text = NULL;
    size_t text_len = 0;
    FILE *f = open_memstream(&text, &text_len);
    if (!f) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    fputc('"', f);
    gr_json_escape(f, value, len);
    fputc('"', f);
    fclose(f);
    gr_buf_put(out, text, text_len);
    free(text);
    return 0;
}

int gr_pipeline_encode(gr_codec in, gr_codec out_codec, const void *value, size_t len, gr_buf *out, char *why,
                       size_t why_size) {
    if (!value) {
        value = "";
        len = 0;
    }
    if (in == GR_CODEC_RAW) {
        if (out_codec == GR_CODEC_JSON) return json_string_of_bytes(value, len, out, why, why_size);
        gr_buf_put(out, value, len);
        return 0;
    }
    gr_jdoc doc;
    if (gr_jdoc_parse(&doc, value, len) < 0) {
        snprintf(why, why_size, "bad JSON: %s", doc.error);
        gr_jdoc_free(&doc);
        return -1;
    }
    const gr_jval *root = doc.root;
    if (out_codec == GR_CODEC_RAW && root->type == GR_JSTRING)
        gr_buf_put(out, root->str, root->str_len);
    else
        gr_buf_put(out, root->raw, root->raw_len);
    gr_jdoc_free(&doc);
    return 0;
}
