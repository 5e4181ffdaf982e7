/*
 * fuzz_broker_registration.c: a broker registration read from ZooKeeper (untrusted JSON) through
 * the JSON reader and the endpoint choice of `--zookeeper`. The first input byte picks the
 * security protocol looked for; the rest is the znode's data. After a successful parse every
 * member and element (two levels deep) is read back, as any caller may.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/cli/output.c"
#include "../../src/cli/zk_bootstrap.c"
#include "base/json_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_all(const gr_json_value *v, int depth) {
    char text[64];
    int64_t n;
    gr_json_value key, item;
    (void)gr_json_string(v, text, sizeof text);
    (void)gr_json_int(v, &n);
    if (depth >= 2) return;
    for (size_t i = 0; i < 64 && gr_json_member_at(v, i, &key, &item); i++) {
        (void)gr_json_string(&key, text, sizeof text);
        read_all(&item, depth + 1);
    }
    for (size_t i = 0; i < 64 && gr_json_element(v, i, &item); i++) read_all(&item, depth + 1);
    (void)gr_json_count(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *const protocols[] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"};
    if (size < 1) return 0;
    /* A copy of exactly the input's length, so reading one byte past it is caught. */
    char *doc = malloc(size - 1 ? size - 1 : 1);
    if (!doc) return 0;
    memcpy(doc, data + 1, size - 1);
    char out[GR_ZK_ENDPOINT_BYTES_MAX];
    if (gr_zk_registration_endpoint(doc, size - 1, protocols[data[0] % 4], out, sizeof out) &&
        !strchr(out, ':'))
        abort();
    gr_json_value v;
    if (gr_json_parse(doc, size - 1, &v)) read_all(&v, 0);
    free(doc);
    return 0;
}
