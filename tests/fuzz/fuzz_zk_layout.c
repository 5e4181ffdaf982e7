/*
 * fuzz_zk_layout.c: the decoders of cluster mode's znodes (cluster/zk_layout.h) on untrusted
 * bytes. The first input byte picks the decoder; the rest is the znode's data, in a buffer of
 * exactly its length so that a read past it is caught. A document that decodes is encoded again
 * and must decode to the same values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/zk_layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void topic_roundtrip(const char *doc, size_t len) {
    gr_cluster_topic t = {0}, back = {0};
    if (!gr_zkl_topic_decode(doc, len, &t)) return;
    gr_buf b;
    gr_buf_init(&b);
    gr_zkl_topic_encode(&b, &t);
    if (!gr_zkl_topic_decode((const char *)b.data, b.len, &back) || back.partition_count != t.partition_count ||
        memcmp(back.id, t.id, 16))
        abort();
    for (int32_t p = 0; p < t.partition_count; p++)
        if (back.partitions[p].state.replica_count != t.partitions[p].state.replica_count) abort();
    gr_buf_free(&b);
    free(t.partitions);
    free(back.partitions);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    size_t len = size - 1;
    char *doc = malloc(len ? len : 1);
    if (!doc) return 0;
    memcpy(doc, data + 1, len);
    gr_cluster_broker br;
    gr_partition_state st;
    gr_properties props;
    gr_zkl_partition_ref *refs = NULL;
    int32_t n32;
    int64_t n64;
    int count;
    char text[64];
    switch (data[0] % 9) {
    case 0: (void)gr_zkl_broker_decode(doc, len, 1, &br); break;
    case 1: topic_roundtrip(doc, len); break;
    case 2:
        if (gr_zkl_state_decode(doc, len, &st) && (st.isr_count < 0 || st.isr_count > GR_REPLICAS_MAX)) abort();
        break;
    case 3: (void)gr_zkl_controller_decode(doc, len, &n32); break;
    case 4: (void)gr_zkl_controller_epoch_decode(doc, len, &n32); break;
    case 5: (void)gr_zkl_cluster_id_decode(doc, len, text, sizeof text); break;
    case 6:
        gr_properties_init(&props);
        (void)gr_zkl_config_decode(doc, len, &props);
        gr_properties_free(&props);
        break;
    case 7:
        if (gr_zkl_reassign_decode(doc, len, &refs, &count)) free(refs);
        if (gr_zkl_preferred_decode(doc, len, &refs, &count)) free(refs);
        break;
    default: (void)gr_zkl_producer_ids_decode(doc, len, &n64); break;
    }
    free(doc);
    return 0;
}
