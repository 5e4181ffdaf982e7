/*
 * leader_epochs.c: the leader epoch cache (leader_epochs.h) and, for a partition log, its
 * checkpoint file and the gr_plog_* epoch calls.
 *
 * The checkpoint is rewritten (temp file + rename) whenever an epoch starts or a truncation
 * drops entries, which is rare: a leader's appends pay one integer compare. A missing or damaged
 * file is rebuilt at open from the batch headers (each batch carries its leader epoch), and
 * the headers after the last producer snapshot are replayed into the cache at every open, so a
 * file that missed the latest epoch is completed.
 */
#include "store/leader_epochs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "store/log_internal.h"
#include "store/sysio.h"

#define CHECKPOINT_VERSION 0
#define CHECKPOINT_MAX_BYTES (64 + (size_t)GR_EPOCH_CHECKPOINT_MAX_ENTRIES * 32)

void gr_epoch_cache_init(gr_epoch_cache *c) { memset(c, 0, sizeof *c); }

void gr_epoch_cache_free(gr_epoch_cache *c) {
    free(c->v);
    gr_epoch_cache_init(c);
}

void gr_epoch_cache_clear(gr_epoch_cache *c) { c->count = 0; }

int32_t gr_epoch_cache_latest(const gr_epoch_cache *c) {
    return c->count > 0 ? c->v[c->count - 1].epoch : -1;
}

static bool reserve(gr_epoch_cache *c, int n) {
    if (n <= c->cap) return true;
    int cap = c->cap ? c->cap : 4;
    while (cap < n) cap *= 2;
    gr_epoch_entry *v = realloc(c->v, (size_t)cap * sizeof *v);
    if (!v) return false;
    c->v = v;
    c->cap = cap;
    return true;
}

bool gr_epoch_cache_assign(gr_epoch_cache *c, int32_t epoch, int64_t start_offset) {
    if (epoch < 0 || start_offset < 0 || epoch <= gr_epoch_cache_latest(c)) return false;
    if (!reserve(c, c->count + 1)) {
        GR_WARN("store", "leader epoch %d not recorded (memory)", (int)epoch);
        return false;
    }
    while (c->count > 0 && c->v[c->count - 1].start_offset >= start_offset) c->count--;
    c->v[c->count++] = (gr_epoch_entry){epoch, start_offset};
    return true;
}

bool gr_epoch_cache_truncate_end(gr_epoch_cache *c, int64_t offset) {
    int n = c->count;
    while (c->count > 0 && c->v[c->count - 1].start_offset >= offset) c->count--;
    return c->count != n;
}

bool gr_epoch_cache_truncate_start(gr_epoch_cache *c, int64_t offset) {
    int below = 0; /* entries starting below offset */
    while (below < c->count && c->v[below].start_offset < offset) below++;
    if (below == 0) return false;
    /* The last of them covers offset unless the next entry starts exactly there. */
    bool next_at = below < c->count && c->v[below].start_offset == offset;
    int drop = next_at ? below : below - 1;
    if (!next_at) c->v[below - 1].start_offset = offset;
    memmove(c->v, c->v + drop, (size_t)(c->count - drop) * sizeof *c->v);
    c->count -= drop;
    return true;
}

void gr_epoch_cache_end_offset(const gr_epoch_cache *c, int32_t epoch, int64_t log_end, int32_t *out_epoch,
                               int64_t *out_end_offset) {
    *out_epoch = -1;
    *out_end_offset = -1;
    if (epoch < 0 || c->count == 0) return;
    if (epoch == gr_epoch_cache_latest(c)) { /* still being written: it ends at the log end */
        *out_epoch = epoch;
        *out_end_offset = log_end;
        return;
    }
    int higher = 0; /* first entry with a larger epoch */
    while (higher < c->count && c->v[higher].epoch <= epoch) higher++;
    if (higher == c->count) return; /* newer than any known epoch */
    /* Below every known epoch, Kafka answers the requested epoch with the first start offset:
     * the older data is gone, and the follower must start from there. */
    *out_epoch = higher == 0 ? epoch : c->v[higher - 1].epoch;
    *out_end_offset = c->v[higher].start_offset;
}

void gr_epoch_cache_encode(const gr_epoch_cache *c, gr_buf *out) {
    char line[48];
    int n = snprintf(line, sizeof line, "%d\n%d\n", CHECKPOINT_VERSION, c->count);
    gr_buf_put(out, line, (size_t)n);
    for (int i = 0; i < c->count; i++) {
        n = snprintf(line, sizeof line, "%" PRId32 " %" PRId64 "\n", c->v[i].epoch, c->v[i].start_offset);
        gr_buf_put(out, line, (size_t)n);
    }
}

/* A non-negative decimal at *pos ending with `end`; false if absent or out of range. */
static bool parse_num(const uint8_t *p, size_t len, size_t *pos, char end, int64_t max, int64_t *out) {
    size_t i = *pos;
    int64_t v = 0;
    if (i >= len || p[i] < '0' || p[i] > '9') return false;
    for (; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
        if (v > (max - (p[i] - '0')) / 10) return false;
        v = v * 10 + (p[i] - '0');
    }
    if (i >= len || p[i] != (uint8_t)end) return false;
    *pos = i + 1;
    *out = v;
    return true;
}

int gr_epoch_cache_decode(gr_epoch_cache *c, const uint8_t *p, size_t len) {
    size_t pos = 0;
    int64_t version, count;
    if (!parse_num(p, len, &pos, '\n', INT32_MAX, &version) || version != CHECKPOINT_VERSION) return -1;
    if (!parse_num(p, len, &pos, '\n', GR_EPOCH_CHECKPOINT_MAX_ENTRIES, &count)) return -1;
    if ((uint64_t)count > (len - pos) / 4) return -1; /* an entry takes at least "0 0\n" */
    gr_epoch_cache tmp;
    gr_epoch_cache_init(&tmp);
    if (!reserve(&tmp, (int)count + 1)) return -1;
    for (int64_t i = 0; i < count; i++) {
        int64_t epoch, start;
        if (!parse_num(p, len, &pos, ' ', INT32_MAX, &epoch) ||
            !parse_num(p, len, &pos, '\n', INT64_MAX, &start) ||
            (tmp.count > 0 &&
             (epoch <= tmp.v[tmp.count - 1].epoch || start < tmp.v[tmp.count - 1].start_offset))) {
            gr_epoch_cache_free(&tmp);
            return -1;
        }
        tmp.v[tmp.count++] = (gr_epoch_entry){(int32_t)epoch, start};
    }
    if (pos != len) {
        gr_epoch_cache_free(&tmp);
        return -1;
    }
    gr_epoch_cache_free(c);
    *c = tmp;
    return 0;
}

/* ---- the partition's checkpoint file ---- */

static bool checkpoint_path(const char *dir, const char *name, char *buf, size_t cap) {
    int n = snprintf(buf, cap, "%s/%s", dir, name);
    return n > 0 && (size_t)n < cap;
}

bool gr_log_epochs_load(gr_partition_log *l) {
    char path[4096];
    if (!checkpoint_path(l->dir, GR_EPOCH_CHECKPOINT_FILE, path, sizeof path)) return false;
    int fd = gr_sys.open(path, O_RDONLY, 0);
    if (fd < 0) {
        if (errno != ENOENT)
            GR_WARN("store", "%s: cannot open %s: %s", l->dir, GR_EPOCH_CHECKPOINT_FILE, strerror(errno));
        return false;
    }
    struct stat st;
    bool ok = false;
    if (fstat(fd, &st) == 0 && st.st_size > 0 && (size_t)st.st_size <= CHECKPOINT_MAX_BYTES) {
        uint8_t *p = malloc((size_t)st.st_size);
        ok = p && gr_sys_pread_all(fd, p, (size_t)st.st_size, 0) == st.st_size &&
             gr_epoch_cache_decode(&l->epochs, p, (size_t)st.st_size) == 0;
        free(p);
    }
    close(fd);
    if (!ok)
        GR_WARN("store", "%s: %s is damaged; rebuilding it from the log", l->dir, GR_EPOCH_CHECKPOINT_FILE);
    return ok;
}

void gr_log_epochs_prepare(gr_partition_log *l, gr_log_ckpt_write *w) {
    gr_buf_init(&w->text);
    w->pending = l->epochs_ckpt.gen != l->epochs_ckpt.written && !l->removed;
    w->gen = l->epochs_ckpt.gen;
    if (w->pending) gr_epoch_cache_encode(&l->epochs, &w->text);
}

void gr_log_epochs_store(gr_partition_log *l, gr_log_ckpt_write *w) {
    char path[4096];
    if (w->pending && !w->text.oom && checkpoint_path(l->dir, GR_EPOCH_CHECKPOINT_FILE, path, sizeof path)) {
        pthread_mutex_lock(&l->ckpt_mu);
        if (w->gen > l->epochs_ckpt.written &&
            gr_log_write_file_atomically(path, w->text.data, w->text.len) == 0)
            l->epochs_ckpt.written = w->gen;
        pthread_mutex_unlock(&l->ckpt_mu);
    }
    gr_buf_free(&w->text);
}

/* ---- gr_plog_* ---- */

void gr_plog_assign_epoch(gr_partition_log *l, int32_t epoch, int64_t start_offset) {
    gr_log_ckpt_write w;
    pthread_mutex_lock(&l->mu);
    if (gr_epoch_cache_assign(&l->epochs, epoch, start_offset)) l->epochs_ckpt.gen++;
    gr_log_epochs_prepare(l, &w);
    pthread_mutex_unlock(&l->mu);
    gr_log_epochs_store(l, &w);
}

int32_t gr_plog_latest_epoch(gr_partition_log *l) {
    pthread_mutex_lock(&l->mu);
    int32_t e = gr_epoch_cache_latest(&l->epochs);
    pthread_mutex_unlock(&l->mu);
    return e;
}

void gr_plog_epoch_end_offset(gr_partition_log *l, int32_t epoch, int32_t *out_epoch,
                              int64_t *out_end_offset) {
    pthread_mutex_lock(&l->mu);
    gr_epoch_cache_end_offset(&l->epochs, epoch, gr_log_end(l), out_epoch, out_end_offset);
    pthread_mutex_unlock(&l->mu);
}
