/*
 * log_retention.c: what leaves a partition log, and the small files that outlive segments.
 *
 * Retention deletes whole closed segments, oldest first, while they are
 * older than retention.ms (by their largest timestamp), while the log is
 * over retention.bytes, or while they lie wholly below the log start
 * (DeleteRecords). Segments are taken out of the array under the mutex and
 * their files deleted after it is released; a Fetch that still holds a
 * .log reference keeps reading the unlinked file.
 *
 * Producer snapshots (<20-digit offset>.snapshot) are written to a .tmp
 * name and renamed; they are not synced, because a damaged or lost one is
 * detected by its CRC and only costs a longer scan at the next open. The
 * log start offset, when DeleteRecords moves it inside a segment, is kept
 * in `log-start-offset` the same way.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/limits.h"
#include "base/log.h"
#include "proto/errors.h"
#include "store/log_internal.h"
#include "store/sysio.h"

#define START_OFFSET_FILE "log-start-offset"
#define SNAPSHOT_EXT ".snapshot"

int gr_log_write_file_atomically(const char *path, const void *bytes, size_t len) {
    size_t n = strlen(path) + 5;
    char *tmp = malloc(n);
    if (!tmp) return -1;
    snprintf(tmp, n, "%s.tmp", path);
    int rc = -1;
    int fd = gr_sys.open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        bool ok = gr_sys_pwrite_all(fd, bytes, len, 0) == (ssize_t)len;
        close(fd);
        if (ok && gr_sys.rename(tmp, path) == 0) rc = 0;
    }
    if (rc != 0) {
        GR_WARN("store", "cannot write %s: %s", path, strerror(errno));
        gr_sys.unlink(tmp);
    }
    free(tmp);
    return rc;
}

/* Snapshot offsets in dir, newest first. */
static int list_snapshots(const char *dir, int64_t **out) {
    DIR *d = opendir(dir);
    *out = NULL;
    if (!d) return 0;
    int n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int64_t off;
        if (!gr_segment_parse_name(de->d_name, SNAPSHOT_EXT, &off)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            int64_t *p = realloc(*out, (size_t)cap * sizeof *p);
            if (!p) break;
            *out = p;
        }
        int k = n++;
        while (k > 0 && (*out)[k - 1] < off) { /* insertion sort, descending; lists are short */
            (*out)[k] = (*out)[k - 1];
            k--;
        }
        (*out)[k] = off;
    }
    closedir(d);
    return n;
}

static void unlink_snapshot(const char *dir, int64_t off) {
    char path[4096];
    if (gr_segment_file_name(path, sizeof path, dir, off, SNAPSHOT_EXT)) gr_sys.unlink(path);
}

void gr_log_write_snapshot(const char *dir, int64_t offset, const gr_buf *bytes) {
    char path[4096];
    if (bytes->oom || !gr_segment_file_name(path, sizeof path, dir, offset, SNAPSHOT_EXT)) return;
    if (gr_log_write_file_atomically(path, bytes->data, bytes->len) != 0) return;
    int64_t *offs;
    int n = list_snapshots(dir, &offs);
    for (int i = GR_PRODUCER_SNAPSHOTS_KEPT; i < n; i++) unlink_snapshot(dir, offs[i]);
    free(offs);
}

void gr_log_remove_snapshots(const char *dir) {
    int64_t *offs;
    int n = list_snapshots(dir, &offs);
    for (int i = 0; i < n; i++) unlink_snapshot(dir, offs[i]);
    free(offs);
}

static int load_snapshot_file(gr_partition_log *l, int64_t off) {
    char path[4096];
    if (!gr_segment_file_name(path, sizeof path, l->dir, off, SNAPSHOT_EXT)) return -1;
    int fd = gr_sys.open(path, O_RDONLY, 0);
    if (fd < 0) return -1;
    struct stat st;
    int rc = -1;
    if (fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size <= GR_SNAPSHOT_MAX_BYTES) {
        uint8_t *p = malloc((size_t)st.st_size);
        if (p && gr_sys_pread_all(fd, p, (size_t)st.st_size, 0) == st.st_size)
            rc = gr_producer_state_decode(l->producers, p, (size_t)st.st_size);
        free(p);
    }
    close(fd);
    return rc;
}

int64_t gr_log_load_snapshot(gr_partition_log *l, int64_t end_offset) {
    int64_t *offs;
    int n = list_snapshots(l->dir, &offs);
    int64_t loaded = -1;
    for (int i = 0; i < n; i++) {
        if (offs[i] > end_offset) {
            /* Written before a crash cut the log back: it describes batches that are gone. */
            unlink_snapshot(l->dir, offs[i]);
            continue;
        }
        if (loaded < 0) {
            if (load_snapshot_file(l, offs[i]) == 0)
                loaded = offs[i];
            else
                GR_WARN("store", "%s: producer snapshot %020lld is damaged; trying an older one", l->dir,
                        (long long)offs[i]);
        }
    }
    free(offs);
    return loaded;
}

void gr_log_save_start_offset(gr_partition_log *l) {
    char path[4096];
    char text[32];
    int n = snprintf(text, sizeof text, "%" PRId64 "\n", l->log_start_offset);
    if (snprintf(path, sizeof path, "%s/%s", l->dir, START_OFFSET_FILE) >= (int)sizeof path) return;
    gr_log_write_file_atomically(path, text, (size_t)n);
}

int64_t gr_log_read_start_offset(const char *dir) { return gr_log_read_offset_file(dir, START_OFFSET_FILE); }

int64_t gr_log_read_offset_file(const char *dir, const char *name) {
    char path[4096];
    char text[32] = {0};
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) return -1;
    int fd = gr_sys.open(path, O_RDONLY, 0);
    if (fd < 0) return -1;
    ssize_t r = gr_sys_pread_all(fd, text, sizeof text - 1, 0);
    close(fd);
    if (r <= 0) return -1;
    char *end;
    long long v = strtoll(text, &end, 10);
    if (end == text || v < 0 || (*end != '\n' && *end != '\0')) return -1;
    return v;
}

int gr_log_drop_segments_below_start(gr_partition_log *l, gr_segment **out) {
    int n = 0;
    while (n < l->seg_count - 1 && l->segs[n]->next_offset <= l->log_start_offset) n++;
    if (n > 0) gr_log_take_front(l, n, out);
    return n;
}

/* The log start moved up: epochs wholly below it are forgotten (checkpoint written by the caller
 * after the mutex is released). */
static void epochs_follow_start(gr_partition_log *l, gr_log_ckpt_write *w) {
    if (gr_epoch_cache_truncate_start(&l->epochs, l->log_start_offset)) l->epochs_ckpt.gen++;
    gr_log_epochs_prepare(l, w);
}

int gr_plog_delete_records(gr_partition_log *l, int64_t before_offset) {
    gr_log_ckpt_write epochs = {.pending = false};
    pthread_mutex_lock(&l->mu);
    int64_t end = gr_log_visible_end(l); /* Kafka: never past the high watermark */
    if (before_offset == -1) before_offset = end;
    if (before_offset < 0 || before_offset > end) {
        pthread_mutex_unlock(&l->mu);
        return GR_ERR_OFFSET_OUT_OF_RANGE;
    }
    if (l->removed) {
        pthread_mutex_unlock(&l->mu);
        return GR_ERR_KAFKA_STORAGE_ERROR;
    }
    gr_segment **gone = NULL;
    int n = 0;
    if (before_offset > l->log_start_offset) {
        l->log_start_offset = before_offset;
        GR_INFO("store", "%s: log start offset now %lld (DeleteRecords)", l->dir, (long long)before_offset);
        gr_log_save_start_offset(l);
        gone = malloc((size_t)l->seg_count * sizeof *gone);
        if (gone) n = gr_log_drop_segments_below_start(l, gone);
        gr_producer_state_drop_before(l->producers, l->log_start_offset);
        epochs_follow_start(l, &epochs);
    }
    pthread_mutex_unlock(&l->mu);
    gr_log_epochs_store(l, &epochs);
    gr_log_dispose_segments(gone, n, true);
    free(gone);
    return GR_ERR_NONE;
}

/* Kafka's segment age: its largest timestamp, or the file's mtime when it holds none. */
static int64_t segment_time_ms(const gr_segment *s) {
    if (s->max_timestamp >= 0) return s->max_timestamp;
    struct stat st;
    if (fstat(s->log->fd, &st) != 0) return -1;
    return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}

void gr_plog_enforce_retention(gr_partition_log *l, int64_t now_ms) {
    gr_log_ckpt_write epochs = {.pending = false};
    pthread_mutex_lock(&l->mu);
    if (l->removed) {
        pthread_mutex_unlock(&l->mu);
        return;
    }
    int64_t total = 0;
    for (int i = 0; i < l->seg_count; i++) total += l->segs[i]->size_bytes;
    int n = 0;
    for (; n < l->seg_count - 1; n++) { /* never the active segment */
        const gr_segment *s = l->segs[n];
        int64_t t = segment_time_ms(s);
        bool too_old = l->cfg.retention_ms >= 0 && t >= 0 && now_ms - t > l->cfg.retention_ms;
        bool too_big = l->cfg.retention_bytes >= 0 && total - s->size_bytes >= l->cfg.retention_bytes;
        bool below_start = s->next_offset <= l->log_start_offset;
        if (!too_old && !too_big && !below_start) break;
        if (l->replicated && s->next_offset > l->high_watermark) break; /* consumers have not seen it */
        total -= s->size_bytes;
    }
    gr_segment **gone = n > 0 ? malloc((size_t)n * sizeof *gone) : NULL;
    if (!gone) n = 0;
    if (n > 0) {
        gr_log_take_front(l, n, gone);
        if (l->segs[0]->base_offset > l->log_start_offset) l->log_start_offset = l->segs[0]->base_offset;
        GR_INFO("store", "%s: retention deleted %d segment(s); log start offset %lld", l->dir, n,
                (long long)l->log_start_offset);
        gr_producer_state_drop_before(l->producers, l->log_start_offset);
        epochs_follow_start(l, &epochs);
    }
    gr_producer_state_expire(l->producers, now_ms, GR_PRODUCER_ID_EXPIRATION_MS_DEFAULT);
    pthread_mutex_unlock(&l->mu);
    gr_log_epochs_store(l, &epochs);
    gr_log_dispose_segments(gone, n, true);
    free(gone);
}
