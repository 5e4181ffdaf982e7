/* pipeline_config.c: the keys of a [pipeline NAME] section (pipeline.h, docs/connect.md). */
#include "connect/pipeline.h"

#include <string.h>

static int parse_template(gr_conf_doc *doc, const gr_conf_kv *kv, gr_template *t) {
    char why[256];
    if (gr_template_parse(t, kv->value, why, sizeof why) < 0) return gr_conf_error(doc, kv, "%s", why);
    return 0;
}

static int parse_output(gr_pipeline_config *c, gr_conf_doc *doc, gr_conf_section *s) {
    static const char *const carry_none[] = {"carry", "none", NULL};
    static const char *const carry_now[] = {"carry", "now", NULL};
    c->default_key = gr_conf_str(s, "key", NULL);
    const gr_conf_kv *key = gr_conf_find(s, "output.key");
    char why[64];
    if (key ? parse_template(doc, key, &c->key) < 0
            : gr_template_parse(&c->key, "{key}", why, sizeof why) < 0)
        return -1;
    int headers = gr_conf_choice(doc, s, "output.headers", carry_none, 0);
    int timestamp = gr_conf_choice(doc, s, "output.timestamp", carry_now, 0);
    if (headers < 0 || timestamp < 0) return -1;
    c->carry_headers = headers == 0;
    c->carry_timestamp = timestamp == 0;
    const gr_conf_kv *part = gr_conf_find(s, "output.partition");
    c->partition_mode = GR_PARTITION_CARRY;
    if (part && !strcmp(part->value, "auto")) {
        c->partition_mode = GR_PARTITION_AUTO;
    } else if (part && strcmp(part->value, "carry")) {
        int64_t n;
        if (gr_conf_i64(doc, s, "output.partition", 0, 0, INT32_MAX, &n) < 0)
            return gr_conf_error(doc, part, "expected carry, auto or a partition number, got '%s'",
                                 part->value);
        c->partition_mode = GR_PARTITION_FIXED;
        c->partition = (int32_t)n;
    }
    for (int i = 0; i < s->count; i++) {
        gr_conf_kv *kv = &s->entries[i];
        if (strncmp(kv->key, "header.", 7)) continue;
        if (c->header_count >= GR_PIPELINE_HEADERS_MAX)
            return gr_conf_error(doc, kv, "more than %d header.* settings", GR_PIPELINE_HEADERS_MAX);
        kv->used = true;
        if (!kv->key[7]) return gr_conf_error(doc, kv, "names no header");
        c->header_names[c->header_count] = kv->key + 7;
        if (parse_template(doc, kv, &c->header_values[c->header_count]) < 0) return -1;
        c->header_count++;
    }
    return 0;
}

int gr_pipeline_config_parse(gr_pipeline_config *c, gr_conf_doc *doc, gr_conf_section *s,
                             const char *bootstrap) {
    memset(c, 0, sizeof *c);
    static const char *const guarantees[] = {"at_least_once", "exactly_once", NULL};
    int guarantee = gr_conf_choice(doc, s, "guarantee", guarantees, 0);
    if (guarantee < 0) return -1;
    if (guarantee == 1)
        return gr_conf_error(doc, gr_conf_find(s, "guarantee"),
                             "exactly_once needs transactions, which the broker does not serve yet; "
                             "use at_least_once");
    if (gr_connect_common_parse(&c->common, doc, s, bootstrap) < 0) return -1;
    c->output_topic = gr_conf_str(s, "output_topic", NULL);
    if (!c->output_topic) return gr_conf_missing(doc, s, "output_topic");
    static const char *const codecs[] = {"json", "raw", NULL};
    int in = gr_conf_choice(doc, s, "codec.in", codecs, 0);
    int out = gr_conf_choice(doc, s, "codec.out", codecs, 0);
    if (in < 0 || out < 0) return -1;
    c->codec_in = (gr_codec)in;
    c->codec_out = (gr_codec)out;
    if (gr_conf_i64(doc, s, "batch.count", 1, 1, 100000, &c->batch_count) < 0 ||
        gr_conf_i64(doc, s, "batch.time_ms", 1000, 1, 3600000, &c->batch_time_ms) < 0)
        return -1;
    static const char *const emits[] = {"each", "array", NULL};
    int emit = gr_conf_choice(doc, s, "batch.emit", emits, 0);
    if (emit < 0) return -1;
    c->emit_array = emit == 1;
    if (c->emit_array && c->codec_out != GR_CODEC_JSON)
        return gr_conf_error(doc, gr_conf_find(s, "batch.emit"), "array needs codec.out = json");
    if (gr_conf_bool(doc, s, "retry_failed_events", true, &c->retry_failed_events) < 0) return -1;
    if (parse_output(c, doc, s) < 0) return -1;
    return gr_conf_check_unused(doc, s);
}

void gr_pipeline_config_free(gr_pipeline_config *c) {
    gr_connect_common_free(&c->common);
    gr_template_free(&c->key);
    for (int i = 0; i < c->header_count; i++) gr_template_free(&c->header_values[i]);
}
