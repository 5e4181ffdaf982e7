/* identity.c: meta.properties and durable producer-id blocks (see identity.h). */
#include "cluster/identity.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/log.h"
#include "base/properties.h"

#define PRODUCER_ID_BLOCK_SIZE 1000

struct gr_identity {
    char dir[1024];
    char cluster_id[32];
    int32_t node_id;
    bool created;
    pthread_mutex_t lock;
    int64_t next_pid;
    int64_t block_end; /* exclusive; persisted before use */
    gr_producer_id_block_fn source;
    void *source_ud;
    int64_t local_next_pid; /* where the local file's blocks resume without a source */
};

static void new_cluster_id(char out[23]) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t raw[22];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        for (size_t i = 0; i < sizeof raw; i++) raw[i] = (uint8_t)rand();
    for (int i = 0; i < 22; i++) out[i] = alphabet[raw[i] & 63];
    out[22] = '\0';
}

static int persist_block_end(gr_identity *id, int64_t end) {
    gr_properties p;
    gr_properties_init(&p);
    char path[1200], value[32];
    snprintf(value, sizeof value, "%lld", (long long)end);
    gr_properties_set(&p, "next.block.start", value);
    snprintf(path, sizeof path, "%s/producer-id-block", id->dir);
    int rc = gr_properties_save(&p, path);
    gr_properties_free(&p);
    return rc;
}

gr_identity *gr_identity_open(const char *log_dir, int32_t node_id) {
    gr_identity *id = calloc(1, sizeof *id);
    if (!id) return NULL;
    snprintf(id->dir, sizeof id->dir, "%s", log_dir);
    id->node_id = node_id;
    pthread_mutex_init(&id->lock, NULL);
    char path[1200];
    snprintf(path, sizeof path, "%s/meta.properties", log_dir);
    gr_properties meta;
    gr_properties_init(&meta);
    if (gr_properties_load(&meta, path) == 0 && gr_properties_get(&meta, "cluster.id")) {
        const char *nid = gr_properties_get(&meta, "node.id");
        if (nid && atoi(nid) != node_id) {
            GR_ERROR("identity", "%s belongs to node.id %s, but this broker is node.id %d", path, nid,
                     node_id);
            gr_properties_free(&meta);
            free(id);
            return NULL;
        }
        snprintf(id->cluster_id, sizeof id->cluster_id, "%s", gr_properties_get(&meta, "cluster.id"));
    } else {
        char cid[23], nid[16];
        new_cluster_id(cid);
        id->created = true;
        snprintf(id->cluster_id, sizeof id->cluster_id, "%s", cid);
        snprintf(nid, sizeof nid, "%d", node_id);
        gr_properties_set(&meta, "version", "1");
        gr_properties_set(&meta, "cluster.id", cid);
        gr_properties_set(&meta, "node.id", nid);
        if (gr_properties_save(&meta, path) != 0) {
            GR_ERROR("identity", "cannot write %s", path);
            gr_properties_free(&meta);
            free(id);
            return NULL;
        }
    }
    gr_properties_free(&meta);
    gr_properties blk;
    gr_properties_init(&blk);
    snprintf(path, sizeof path, "%s/producer-id-block", log_dir);
    int64_t start = 0;
    if (gr_properties_load(&blk, path) == 0 && gr_properties_get(&blk, "next.block.start"))
        start = strtoll(gr_properties_get(&blk, "next.block.start"), NULL, 10);
    gr_properties_free(&blk);
    id->next_pid = start;
    id->block_end = start; /* the first request reserves a block */
    return id;
}

void gr_identity_close(gr_identity *id) {
    if (!id) return;
    pthread_mutex_destroy(&id->lock);
    free(id);
}

const char *gr_identity_cluster_id(const gr_identity *id) { return id->cluster_id; }

bool gr_identity_is_new(const gr_identity *id) { return id->created; }

int gr_identity_adopt_cluster_id(gr_identity *id, const char *cluster_id) {
    char path[1200], nid[16];
    gr_properties meta;
    gr_properties_init(&meta);
    snprintf(path, sizeof path, "%s/meta.properties", id->dir);
    snprintf(nid, sizeof nid, "%d", id->node_id);
    gr_properties_set(&meta, "version", "1");
    gr_properties_set(&meta, "cluster.id", cluster_id);
    gr_properties_set(&meta, "node.id", nid);
    int rc = gr_properties_save(&meta, path);
    gr_properties_free(&meta);
    if (rc == 0) snprintf(id->cluster_id, sizeof id->cluster_id, "%s", cluster_id);
    return rc;
}

void gr_identity_set_block_source(gr_identity *id, gr_producer_id_block_fn fn, void *ud) {
    pthread_mutex_lock(&id->lock);
    if (fn && !id->source) id->local_next_pid = id->next_pid;
    if (!fn && id->source) id->next_pid = id->block_end = id->local_next_pid;
    if (fn) id->next_pid = id->block_end = 0; /* the first id takes a shared block */
    id->source = fn;
    id->source_ud = ud;
    pthread_mutex_unlock(&id->lock);
}

int64_t gr_identity_next_producer_id(gr_identity *id) {
    pthread_mutex_lock(&id->lock);
    if (id->source && id->next_pid >= id->block_end) {
        int64_t first = 0, end = 0;
        if (id->source(id->source_ud, &first, &end) != 0 || end <= first) {
            pthread_mutex_unlock(&id->lock);
            return -1;
        }
        id->next_pid = first;
        id->block_end = end;
    } else if (id->next_pid >= id->block_end) {
        int64_t end = id->next_pid + PRODUCER_ID_BLOCK_SIZE;
        if (persist_block_end(id, end) != 0) {
            pthread_mutex_unlock(&id->lock);
            return -1;
        }
        id->block_end = end;
    }
    int64_t pid = id->next_pid++;
    pthread_mutex_unlock(&id->lock);
    return pid;
}
