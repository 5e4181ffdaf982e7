/*
 * producer_id_blocks.c: cluster-wide producer id blocks, taken from ZooKeeper's
 * /latest_producer_id_block as Kafka's ZooKeeper-mode brokers take them: read the last block,
 * write the next one with a compare-and-set on the znode version, retry on a conflict.
 *
 * Runs on the thread that needs an id (a request handler), not the cluster thread: the
 * ZooKeeper client's synchronous calls may be made from any thread, and a block lasts
 * PRODUCER_ID_BLOCK_SIZE producers.
 */
#include <stdio.h>

#include "base/log.h"
#include "cluster/cluster_internal.h"

#define PRODUCER_ID_BLOCK_SIZE 1000
#define PRODUCER_ID_BLOCK_ATTEMPTS 20

int gr_cluster_take_producer_id_block(void *ud, int64_t *first, int64_t *end) {
    gr_cluster *c = ud;
    gr_buf doc;
    gr_buf_init(&doc);
    int result = -1;
    for (int attempt = 0; attempt < PRODUCER_ID_BLOCK_ATTEMPTS && result != 0; attempt++) {
        char *data = NULL;
        int len = 0;
        struct Stat st;
        int rc = gr_zks_get(c->zk, GR_ZKL_PRODUCER_ID_BLOCK, false, &data, &len, &st);
        int64_t start = 0;
        if (rc == ZOK) {
            int64_t last_end = -1;
            bool ok = len > 0 && gr_zkl_producer_ids_decode(data, (size_t)len, &last_end);
            free(data);
            if (!ok) {
                GR_ERROR("cluster", "%s holds no block this broker can read", GR_ZKL_PRODUCER_ID_BLOCK);
                break;
            }
            start = last_end + 1;
        } else if (rc != ZNONODE) {
            GR_WARN("cluster", "cannot read %s: %s", GR_ZKL_PRODUCER_ID_BLOCK, gr_zks_error(c->zk, rc));
            break;
        }
        gr_buf_reset(&doc);
        gr_zkl_producer_ids_encode(&doc, c->id, start, start + PRODUCER_ID_BLOCK_SIZE - 1);
        if (rc == ZNONODE)
            rc = gr_zks_create(c->zk, GR_ZKL_PRODUCER_ID_BLOCK, (const char *)doc.data, doc.len,
                               gr_zks_api(c->zk)->persistent, false, NULL, 0);
        else
            rc = gr_zks_set(c->zk, GR_ZKL_PRODUCER_ID_BLOCK, (const char *)doc.data, doc.len, st.version, NULL);
        if (rc == ZOK) {
            *first = start;
            *end = start + PRODUCER_ID_BLOCK_SIZE;
            result = 0;
        } else if (rc != ZBADVERSION && rc != ZNODEEXISTS) {
            GR_WARN("cluster", "cannot write %s: %s", GR_ZKL_PRODUCER_ID_BLOCK, gr_zks_error(c->zk, rc));
            break;
        }
    }
    gr_buf_free(&doc);
    return result;
}
