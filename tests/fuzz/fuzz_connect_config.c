/*
 * fuzz_connect_config.c: the connector file parser (src/connect/config_file.c) on arbitrary bytes.
 * Checks that a failed parse always says why and a successful one yields usable entries.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connect/config_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *copy = malloc(size ? size : 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    gr_conf_doc doc;
    if (gr_conf_parse(&doc, "fuzz.conf", copy, size) == 0) {
        for (int i = 0; i < doc.section_count; i++) {
            gr_conf_section *s = &doc.sections[i];
            for (int k = 0; k < s->count; k++) assert(gr_conf_find(s, s->entries[k].key) != NULL);
            gr_conf_check_unused(&doc, s);
        }
    } else {
        assert(doc.error[0]);
    }
    gr_conf_free(&doc);
    free(copy);
    return 0;
}
