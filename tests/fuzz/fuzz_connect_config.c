/*
 * fuzz_connect_config.c: the connector file parser (src/connect/config_file.c) on arbitrary bytes,
 * and the pipeline metadata templates (src/connect/record_template.c) of output.key and header.*
 * values. Checks that a failed parse always says why and a successful one yields usable entries.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connect/config_file.h"
#include "connect/record_template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_template(const char *value) {
    gr_template t;
    char why[256] = "";
    if (gr_template_parse(&t, value, why, sizeof why) < 0) {
        assert(why[0]);
        return;
    }
    gr_record_meta meta = {"k", 1, "topic", 3, 42, 1700000000000};
    gr_buf out;
    gr_buf_init(&out);
    gr_template_expand(&t, &meta, &out);
    gr_record_meta no_key = {NULL, 0, "", -1, -1, -1};
    gr_template_expand(&t, &no_key, &out);
    gr_buf_free(&out);
    gr_template_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    gr_conf_doc doc;
    if (gr_conf_parse(&doc, "fuzz.conf", copy, size) == 0) {
        for (int i = 0; i < doc.section_count; i++) {
            gr_conf_section *s = &doc.sections[i];
            for (int k = 0; k < s->count; k++) {
                assert(gr_conf_find(s, s->entries[k].key) != NULL);
                if (!strcmp(s->entries[k].key, "output.key") || !strncmp(s->entries[k].key, "header.", 7))
                    check_template(s->entries[k].value);
            }
            gr_conf_check_unused(&doc, s);
        }
    } else {
        assert(doc.error[0]);
    }
    gr_conf_free(&doc);
    free(copy);
    return 0;
}
