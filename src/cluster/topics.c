/* topics.c: topic registry backed by partition directories (see topics.h). */
#include "cluster/topics.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/limits.h"
#include "base/log.h"
#include "cluster/partition_replica.h"
#include "cluster/topic_config.h"
#include "proto/errors.h"

#define TOPIC_CONFIG_DIR "topic-configs"

struct gr_topics {
    const gr_broker_config *cfg;
    pthread_rwlock_t lock;
    gr_topic **items;
    int count, cap;
};

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Kafka prints a topic id as URL-safe base64 without padding (22 characters). */
void gr_topic_id_to_base64(const uint8_t id[16], char out[23]) {
    int o = 0;
    for (int i = 0; i < 16; i += 3) {
        uint32_t v = (uint32_t)id[i] << 16;
        if (i + 1 < 16) v |= (uint32_t)id[i + 1] << 8;
        if (i + 2 < 16) v |= id[i + 2];
        out[o++] = b64url[(v >> 18) & 63];
        out[o++] = b64url[(v >> 12) & 63];
        if (i + 1 < 16) out[o++] = b64url[(v >> 6) & 63];
        if (i + 2 < 16) out[o++] = b64url[v & 63];
    }
    out[o] = '\0';
}

bool gr_topic_id_from_base64(const char *s, uint8_t id[16]) {
    uint32_t acc = 0;
    int bits = 0, n = 0;
    for (; *s && *s != '\n' && *s != '\r'; s++) {
        const char *p = strchr(b64url, *s);
        if (!p || !*s) return false;
        acc = (acc << 6) | (uint32_t)(p - b64url);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == 16) return false;
            id[n++] = (uint8_t)(acc >> bits);
        }
    }
    return n == 16;
}

void gr_topic_id_random(uint8_t id[16]) {
    do {
        if (getrandom(id, 16, 0) != 16) {
            for (int i = 0; i < 16; i++) id[i] = (uint8_t)rand();
        }
        id[6] = (id[6] & 0x0f) | 0x40; /* version 4, as Java's Uuid.randomUuid */
        id[8] = (id[8] & 0x3f) | 0x80;
    } while (id[0] == 0 && id[1] == 0); /* zero and the reserved "metadata" id are not topic ids */
}

/* Messages that name the topic are built here; *why points into this per-thread buffer. */
static _Thread_local char why_buf[GR_TOPIC_NAME_MAX_CHARS * 2 + 256];

static const char *why_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *why_fmt(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why_buf, sizeof why_buf, fmt, ap);
    va_end(ap);
    return why_buf;
}

bool gr_topic_name_valid(gr_str name, const char **why) {
    /* Kafka's wording (Topic.validate); a name that long is cut in the message, not in the check. */
    int shown =
        name.len > 0 && name.len < GR_TOPIC_NAME_MAX_CHARS * 2 ? (int)name.len : GR_TOPIC_NAME_MAX_CHARS * 2;
    if (name.len <= 0 || !name.ptr) {
        *why = "Topic name is invalid: the empty string is not allowed";
        return false;
    }
    if ((name.len == 1 && name.ptr[0] == '.') ||
        (name.len == 2 && name.ptr[0] == '.' && name.ptr[1] == '.')) {
        *why = why_fmt("Topic name is invalid: '%.*s' is not allowed", (int)name.len, name.ptr);
        return false;
    }
    if (name.len > GR_TOPIC_NAME_MAX_CHARS) {
        *why = why_fmt("Topic name is invalid: the length of '%.*s' is longer than the max allowed length %d",
                       shown, name.ptr, GR_TOPIC_NAME_MAX_CHARS);
        return false;
    }
    for (int32_t i = 0; i < name.len; i++) {
        char c = name.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '-')) {
            *why = why_fmt("Topic name is invalid: '%.*s' contains one or more characters other than ASCII "
                           "alphanumerics, '.', '_' and '-'",
                           shown, name.ptr);
            return false;
        }
    }
    return true;
}

void gr_topic_retain(gr_topic *topic) { atomic_fetch_add(&topic->refs, 1); }

static void free_table(gr_partition_table *t, bool remove) {
    if (!t) return;
    for (int32_t i = 0; i < t->count; i++) {
        if (!t->items[i]) continue;
        /* Cluster mode: the replica goes with its partition (nothing can reach it any more). */
        gr_partition_replica *r = atomic_load(&t->items[i]->replica);
        if (r) gr_partition_replica_free(r);
        if (remove)
            gr_plog_remove(t->items[i]->log);
        else
            gr_plog_close(t->items[i]->log);
        free(t->items[i]);
    }
    free(t);
}

void gr_topic_release(gr_topic *topic) {
    if (!topic) return;
    if (atomic_fetch_sub(&topic->refs, 1) != 1) return;
    /* Retired tables share partition objects with the current one: free only their arrays. */
    gr_partition_table *r = topic->retired;
    while (r) {
        gr_partition_table *next = (gr_partition_table *)r->items[r->count];
        free(r);
        r = next;
    }
    free_table(atomic_load(&topic->table), atomic_load(&topic->deleted));
    gr_properties_free(&topic->configs);
    free(topic);
}

gr_partition *gr_topic_partition(gr_topic *topic, int32_t index) {
    gr_partition_table *t = atomic_load_explicit(&topic->table, memory_order_acquire);
    if (index < 0 || index >= t->count) return NULL;
    return t->items[index];
}

static void partition_dir(const gr_topics *t, const char *topic, int32_t p, char *out, size_t n) {
    snprintf(out, n, "%s/%s-%d", t->cfg->log_dir, topic, p);
}

static int write_partition_metadata(const char *dir, const uint8_t id[16]) {
    char path[4096], text[128], b64[23];
    gr_topic_id_to_base64(id, b64);
    snprintf(path, sizeof path, "%s/partition.metadata", dir);
    int n = snprintf(text, sizeof text, "version: 0\ntopic_id: %s\n", b64);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    bool ok = write(fd, text, (size_t)n) == n && fdatasync(fd) == 0;
    close(fd);
    if (!ok || rename(tmp, path) != 0) return -1;
    return 0;
}

static bool read_partition_metadata(const char *dir, uint8_t id[16]) {
    char path[4096], text[256];
    snprintf(path, sizeof path, "%s/partition.metadata", dir);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *p = strstr(text, "topic_id:");
    if (!p) return false;
    p += strlen("topic_id:");
    while (*p == ' ') p++;
    return gr_topic_id_from_base64(p, id);
}

static gr_partition *open_partition(gr_topics *t, gr_topic *topic, int32_t index, bool create) {
    char dir[2048];
    partition_dir(t, topic->name, index, dir, sizeof dir);
    if (create) {
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            GR_ERROR("topics", "cannot create %s: %s", dir, strerror(errno));
            return NULL;
        }
        if (write_partition_metadata(dir, topic->id) != 0) {
            GR_ERROR("topics", "cannot write %s/partition.metadata: %s", dir, strerror(errno));
            return NULL;
        }
    }
    gr_log_config lc;
    gr_topic_config_to_log(t->cfg, &topic->configs, &lc);
    gr_partition *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->index = index;
    if (gr_plog_open(dir, &lc, &p->log) != 0) {
        GR_ERROR("topics", "cannot open log %s", dir);
        free(p);
        return NULL;
    }
    return p;
}

static gr_topic *topic_new(const char *name) {
    gr_topic *topic = calloc(1, sizeof *topic);
    if (!topic) return NULL;
    snprintf(topic->name, sizeof topic->name, "%s", name);
    atomic_init(&topic->refs, 1);
    atomic_init(&topic->deleted, false);
    gr_properties_init(&topic->configs);
    topic->internal = name[0] == '_' && name[1] == '_';
    return topic;
}

static gr_partition_table *table_new(int32_t count) {
    /* One extra slot links retired tables together. */
    gr_partition_table *t = calloc(1, sizeof *t + ((size_t)count + 1) * sizeof(gr_partition *));
    if (t) t->count = count;
    return t;
}

static bool registry_add(gr_topics *t, gr_topic *topic) {
    if (t->count == t->cap) {
        int cap = t->cap ? t->cap * 2 : 32;
        gr_topic **items = realloc(t->items, (size_t)cap * sizeof *items);
        if (!items) return false;
        t->items = items;
        t->cap = cap;
    }
    t->items[t->count++] = topic;
    return true;
}

static int find_index(gr_topics *t, gr_str name) {
    for (int i = 0; i < t->count; i++)
        if (gr_str_eq(name, t->items[i]->name)) return i;
    return -1;
}

static void config_path(const gr_topics *t, const char *topic, char *out, size_t n) {
    snprintf(out, n, "%s/" TOPIC_CONFIG_DIR "/%s.properties", t->cfg->log_dir, topic);
}

static int save_configs(gr_topics *t, gr_topic *topic) {
    char path[1400];
    config_path(t, topic->name, path, sizeof path);
    if (topic->configs.count == 0) {
        unlink(path);
        return 0;
    }
    return gr_properties_save(&topic->configs, path);
}

/* Splits "<topic>-<n>" at the last dash; false for anything else. */
static bool parse_partition_dir(const char *entry, char *topic, size_t topic_size, int32_t *index) {
    const char *dash = strrchr(entry, '-');
    if (!dash || dash == entry || !dash[1]) return false;
    for (const char *c = dash + 1; *c; c++)
        if (*c < '0' || *c > '9') return false;
    size_t len = (size_t)(dash - entry);
    if (len >= topic_size || strlen(dash + 1) > 9) return false;
    memcpy(topic, entry, len);
    topic[len] = '\0';
    *index = atoi(dash + 1);
    const char *why;
    return gr_topic_name_valid((gr_str){topic, (int32_t)len}, &why);
}

static int load_existing(gr_topics *t) {
    DIR *d = opendir(t->cfg->log_dir);
    if (!d) return -1;
    struct dirent *e;
    /* First pass: how many partitions each topic has. */
    while ((e = readdir(d)) != NULL) {
        char name[256];
        int32_t index;
        if (!parse_partition_dir(e->d_name, name, sizeof name, &index)) continue;
        int i = find_index(t, gr_str_c(name));
        gr_topic *topic = i >= 0 ? t->items[i] : NULL;
        if (!topic) {
            topic = topic_new(name);
            if (!topic || !registry_add(t, topic)) {
                closedir(d);
                return -1;
            }
            atomic_store(&topic->table, table_new(0));
        }
        gr_partition_table *old = atomic_load(&topic->table);
        if (index >= old->count) {
            gr_partition_table *grown = table_new(index + 1);
            if (!grown) {
                closedir(d);
                return -1;
            }
            free(old);
            atomic_store(&topic->table, grown);
        }
    }
    closedir(d);
    /* Second pass: open each partition's log (recovering it if needed). */
    for (int i = 0; i < t->count; i++) {
        gr_topic *topic = t->items[i];
        char path[1400];
        config_path(t, topic->name, path, sizeof path);
        if (access(path, F_OK) == 0 && gr_properties_load(&topic->configs, path) != 0)
            GR_WARN("topics", "cannot read %s; using broker defaults", path);
        gr_partition_table *table = atomic_load(&topic->table);
        bool have_id = false;
        for (int32_t p = 0; p < table->count; p++) {
            char dir[2048];
            partition_dir(t, topic->name, p, dir, sizeof dir);
            struct stat st;
            bool exists = stat(dir, &st) == 0;
            if (exists && !have_id) have_id = read_partition_metadata(dir, topic->id);
            if (!have_id && p == table->count - 1) gr_topic_id_random(topic->id);
        }
        if (!have_id) gr_topic_id_random(topic->id);
        for (int32_t p = 0; p < table->count; p++) {
            char dir[2048];
            partition_dir(t, topic->name, p, dir, sizeof dir);
            struct stat st;
            bool missing = stat(dir, &st) != 0;
            /* In a cluster a broker holds only the partitions assigned to it. */
            if (missing && gr_broker_config_clustered(t->cfg)) continue;
            if (missing) GR_WARN("topics", "partition directory %s is missing; creating it empty", dir);
            uint8_t id[16];
            bool create = missing || !read_partition_metadata(dir, id);
            table->items[p] = open_partition(t, topic, p, create);
            if (!table->items[p]) return -1;
        }
        GR_INFO("topics", "loaded topic %s with %d partition(s)", topic->name, table->count);
    }
    return 0;
}

gr_topics *gr_topics_open(const gr_broker_config *cfg) {
    gr_topics *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->cfg = cfg;
    pthread_rwlock_init(&t->lock, NULL);
    char path[1400];
    if (mkdir(cfg->log_dir, 0755) != 0 && errno != EEXIST) {
        GR_ERROR("topics", "cannot create log.dirs %s: %s", cfg->log_dir, strerror(errno));
        free(t);
        return NULL;
    }
    snprintf(path, sizeof path, "%s/" TOPIC_CONFIG_DIR, cfg->log_dir);
    mkdir(path, 0755);
    if (load_existing(t) != 0) {
        gr_topics_close(t);
        return NULL;
    }
    return t;
}

void gr_topics_close(gr_topics *t) {
    if (!t) return;
    for (int i = 0; i < t->count; i++) gr_topic_release(t->items[i]);
    free(t->items);
    pthread_rwlock_destroy(&t->lock);
    free(t);
}

gr_topic *gr_topics_get(gr_topics *t, gr_str name) {
    pthread_rwlock_rdlock(&t->lock);
    int i = find_index(t, name);
    gr_topic *topic = i >= 0 ? t->items[i] : NULL;
    if (topic) gr_topic_retain(topic);
    pthread_rwlock_unlock(&t->lock);
    return topic;
}

gr_topic *gr_topics_get_by_id(gr_topics *t, const uint8_t id[16]) {
    gr_topic *topic = NULL;
    pthread_rwlock_rdlock(&t->lock);
    for (int i = 0; i < t->count && !topic; i++)
        if (!memcmp(t->items[i]->id, id, 16)) topic = t->items[i];
    if (topic) gr_topic_retain(topic);
    pthread_rwlock_unlock(&t->lock);
    return topic;
}

/* Checks every key/value and puts them into `canon` in the form Kafka shows them. */
static bool configs_valid(const gr_properties *configs, gr_properties *canon, const char **why) {
    for (size_t i = 0; configs && i < configs->count; i++) {
        char v[1024];
        if (!gr_topic_config_check(configs->items[i].key, configs->items[i].value, v, sizeof v, why))
            return false;
        gr_properties_set(canon, configs->items[i].key, v);
    }
    return true;
}

int16_t gr_topics_create(gr_topics *t, gr_str name, int32_t partitions, const gr_properties *configs,
                         bool validate_only, const char **why) {
    *why = NULL;
    if (!gr_topic_name_valid(name, why)) return GR_ERR_INVALID_TOPIC_EXCEPTION;
    if (partitions <= 0 || partitions > GR_PARTITIONS_PER_TOPIC_MAX) {
        *why = "Number of partitions must be larger than 0";
        return GR_ERR_INVALID_PARTITIONS;
    }
    gr_properties canon;
    gr_properties_init(&canon);
    if (!configs_valid(configs, &canon, why)) {
        gr_properties_free(&canon);
        return GR_ERR_INVALID_CONFIG;
    }
    pthread_rwlock_wrlock(&t->lock);
    int16_t err = GR_ERR_NONE;
    if (find_index(t, name) >= 0) {
        *why = why_fmt("Topic '%.*s' already exists.", (int)name.len, name.ptr);
        err = GR_ERR_TOPIC_ALREADY_EXISTS;
        goto out;
    }
    /* Kafka refuses names that differ only by '.' vs '_' (they collide in metric names). */
    for (int i = 0; i < t->count; i++) {
        const char *o = t->items[i]->name;
        if ((int32_t)strlen(o) != name.len) continue;
        bool collide = true;
        for (int32_t k = 0; k < name.len && collide; k++) {
            char a = o[k] == '.' ? '_' : o[k], b = name.ptr[k] == '.' ? '_' : name.ptr[k];
            collide = a == b;
        }
        if (collide) {
            *why = why_fmt("Topic '%.*s' collides with existing topic: %s", (int)name.len, name.ptr, o);
            err = GR_ERR_INVALID_TOPIC_EXCEPTION;
            goto out;
        }
    }
    if (validate_only) goto out;
    char cname[256];
    memcpy(cname, name.ptr, (size_t)name.len);
    cname[name.len] = '\0';
    gr_topic *topic = topic_new(cname);
    gr_partition_table *table = topic ? table_new(partitions) : NULL;
    if (!table) {
        free(topic);
        err = GR_ERR_KAFKA_STORAGE_ERROR;
        goto out;
    }
    gr_topic_id_random(topic->id);
    for (size_t i = 0; i < canon.count; i++)
        gr_properties_set(&topic->configs, canon.items[i].key, canon.items[i].value);
    atomic_store(&topic->table, table);
    if (save_configs(t, topic) != 0) {
        err = GR_ERR_KAFKA_STORAGE_ERROR;
        gr_topic_release(topic);
        goto out;
    }
    for (int32_t p = 0; p < partitions; p++) {
        table->items[p] = open_partition(t, topic, p, true);
        if (!table->items[p]) {
            atomic_store(&topic->deleted, true); /* remove what was made */
            gr_topic_release(topic);
            err = GR_ERR_KAFKA_STORAGE_ERROR;
            goto out;
        }
    }
    if (!registry_add(t, topic)) {
        atomic_store(&topic->deleted, true);
        gr_topic_release(topic);
        err = GR_ERR_KAFKA_STORAGE_ERROR;
        goto out;
    }
    GR_INFO("topics", "created topic %s with %d partition(s)", cname, partitions);
out:
    pthread_rwlock_unlock(&t->lock);
    gr_properties_free(&canon);
    return err;
}

int16_t gr_topics_delete(gr_topics *t, gr_str name) {
    pthread_rwlock_wrlock(&t->lock);
    int i = find_index(t, name);
    if (i < 0) {
        pthread_rwlock_unlock(&t->lock);
        return GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    gr_topic *topic = t->items[i];
    t->items[i] = t->items[--t->count];
    char path[1400];
    config_path(t, topic->name, path, sizeof path);
    unlink(path);
    pthread_rwlock_unlock(&t->lock);
    GR_INFO("topics", "deleted topic %s", topic->name);
    atomic_store(&topic->deleted, true);
    gr_topic_release(topic);
    return GR_ERR_NONE;
}

int16_t gr_topics_add_partitions(gr_topics *t, gr_str name, int32_t total, bool validate_only,
                                 const char **why) {
    *why = NULL;
    pthread_rwlock_wrlock(&t->lock);
    int16_t err = GR_ERR_NONE;
    int i = find_index(t, name);
    if (i < 0) {
        err = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        goto out;
    }
    gr_topic *topic = t->items[i];
    gr_partition_table *old = atomic_load(&topic->table);
    if (total <= old->count) {
        *why = total == old->count
                   ? why_fmt("Topic already has %d partition(s).", old->count)
                   : why_fmt("The topic %s currently has %d partition(s); %d would not be an increase.",
                             topic->name, old->count, total);
        err = GR_ERR_INVALID_PARTITIONS;
        goto out;
    }
    if (total > GR_PARTITIONS_PER_TOPIC_MAX) {
        *why = "Too many partitions";
        err = GR_ERR_INVALID_PARTITIONS;
        goto out;
    }
    if (validate_only) goto out;
    gr_partition_table *grown = table_new(total);
    if (!grown) {
        err = GR_ERR_KAFKA_STORAGE_ERROR;
        goto out;
    }
    memcpy(grown->items, old->items, (size_t)old->count * sizeof old->items[0]);
    for (int32_t p = old->count; p < total; p++) {
        grown->items[p] = open_partition(t, topic, p, true);
        if (!grown->items[p]) {
            for (int32_t q = old->count; q < p; q++) {
                gr_plog_remove(grown->items[q]->log);
                free(grown->items[q]);
            }
            free(grown);
            err = GR_ERR_KAFKA_STORAGE_ERROR;
            goto out;
        }
    }
    /* Readers may still hold the old table: keep it until the topic goes. */
    old->items[old->count] = (gr_partition *)topic->retired;
    topic->retired = old;
    atomic_store_explicit(&topic->table, grown, memory_order_release);
    GR_INFO("topics", "topic %s now has %d partitions", topic->name, total);
out:
    pthread_rwlock_unlock(&t->lock);
    return err;
}

int16_t gr_topics_alter_config(gr_topics *t, gr_str name, const gr_properties *set, const char *const *remove,
                               int remove_count, bool replace, bool validate_only, const char **why) {
    *why = NULL;
    gr_properties canon;
    gr_properties_init(&canon);
    if (!configs_valid(set, &canon, why)) {
        gr_properties_free(&canon);
        return GR_ERR_INVALID_CONFIG;
    }
    /* Removing a key that is not a topic key changes nothing; Kafka accepts it too. */
    pthread_rwlock_wrlock(&t->lock);
    int16_t err = GR_ERR_NONE;
    int i = find_index(t, name);
    if (i < 0) {
        err = GR_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        goto out;
    }
    if (validate_only) goto out;
    gr_topic *topic = t->items[i];
    if (replace) {
        gr_properties_free(&topic->configs);
        gr_properties_init(&topic->configs);
    }
    for (size_t k = 0; k < canon.count; k++)
        gr_properties_set(&topic->configs, canon.items[k].key, canon.items[k].value);
    for (int k = 0; k < remove_count; k++) gr_properties_remove(&topic->configs, remove[k]);
    if (save_configs(t, topic) != 0) err = GR_ERR_KAFKA_STORAGE_ERROR;
    gr_log_config lc;
    gr_topic_config_to_log(t->cfg, &topic->configs, &lc);
    gr_partition_table *table = atomic_load(&topic->table);
    for (int32_t p = 0; p < table->count; p++)
        if (table->items[p]) gr_plog_set_config(table->items[p]->log, &lc);
out:
    pthread_rwlock_unlock(&t->lock);
    gr_properties_free(&canon);
    return err;
}

void gr_topics_copy_configs(gr_topics *t, gr_topic *topic, gr_properties *out) {
    pthread_rwlock_rdlock(&t->lock);
    for (size_t i = 0; i < topic->configs.count; i++)
        gr_properties_set(out, topic->configs.items[i].key, topic->configs.items[i].value);
    pthread_rwlock_unlock(&t->lock);
}

int gr_topics_list(gr_topics *t, gr_topic ***out) {
    pthread_rwlock_rdlock(&t->lock);
    int n = t->count;
    gr_topic **list = calloc((size_t)(n ? n : 1), sizeof *list);
    if (!list) {
        pthread_rwlock_unlock(&t->lock);
        *out = NULL;
        return 0;
    }
    for (int i = 0; i < n; i++) {
        list[i] = t->items[i];
        gr_topic_retain(list[i]);
    }
    pthread_rwlock_unlock(&t->lock);
    *out = list;
    return n;
}

void gr_topics_list_free(gr_topic **list, int count) {
    for (int i = 0; i < count; i++) gr_topic_release(list[i]);
    free(list);
}

void gr_topics_enforce_retention(gr_topics *t, int64_t now_ms) {
    gr_topic **list;
    int n = gr_topics_list(t, &list);
    for (int i = 0; i < n; i++) {
        gr_partition_table *table = atomic_load(&list[i]->table);
        for (int32_t p = 0; p < table->count; p++)
            if (table->items[p]) gr_plog_enforce_retention(table->items[p]->log, now_ms);
    }
    gr_topics_list_free(list, n);
}

void gr_topics_flush_all(gr_topics *t) {
    gr_topic **list;
    int n = gr_topics_list(t, &list);
    for (int i = 0; i < n; i++) {
        gr_partition_table *table = atomic_load(&list[i]->table);
        for (int32_t p = 0; p < table->count; p++)
            if (table->items[p]) gr_plog_flush(table->items[p]->log);
    }
    gr_topics_list_free(list, n);
}

/* Replaces the topic's overrides with the valid ones of `configs` when they differ; under the
 * write lock. */
static void replace_configs_locked(gr_topics *t, gr_topic *topic, const gr_properties *configs) {
    gr_properties canon;
    gr_properties_init(&canon);
    for (size_t i = 0; configs && i < configs->count; i++) {
        char v[1024];
        const char *why;
        if (gr_topic_config_check(configs->items[i].key, configs->items[i].value, v, sizeof v, &why))
            gr_properties_set(&canon, configs->items[i].key, v);
        else
            GR_WARN("topics", "topic %s: ignoring %s=%s from ZooKeeper: %s", topic->name, configs->items[i].key,
                    configs->items[i].value, why);
    }
    bool same = canon.count == topic->configs.count;
    for (size_t i = 0; same && i < canon.count; i++) {
        const char *old = gr_properties_get(&topic->configs, canon.items[i].key);
        same = old && !strcmp(old, canon.items[i].value);
    }
    if (same) {
        gr_properties_free(&canon);
        return;
    }
    gr_properties_free(&topic->configs);
    topic->configs = canon;
    if (save_configs(t, topic) != 0) GR_WARN("topics", "cannot save the configs of topic %s", topic->name);
    gr_log_config lc;
    gr_topic_config_to_log(t->cfg, &topic->configs, &lc);
    gr_partition_table *table = atomic_load(&topic->table);
    for (int32_t p = 0; p < table->count; p++)
        if (table->items[p]) gr_plog_set_config(table->items[p]->log, &lc);
}

/* Grows the table and opens the hosted partitions that have no log yet (copy on write: readers
 * keep the old table until the topic goes). Under the write lock. */
static bool open_hosted_locked(gr_topics *t, gr_topic *topic, int32_t count, const bool *hosted) {
    gr_partition_table *old = atomic_load(&topic->table);
    int32_t total = count > old->count ? count : old->count;
    bool change = total != old->count;
    for (int32_t p = 0; p < count && !change; p++) change = hosted[p] && !old->items[p];
    if (!change) return true;
    gr_partition_table *grown = table_new(total);
    if (!grown) return false;
    memcpy(grown->items, old->items, (size_t)old->count * sizeof old->items[0]);
    bool ok = true;
    for (int32_t p = 0; p < count; p++) {
        if (!hosted[p] || grown->items[p]) continue;
        grown->items[p] = open_partition(t, topic, p, true);
        if (!grown->items[p]) ok = false;
        else GR_INFO("topics", "opened partition %s-%d", topic->name, p);
    }
    old->items[old->count] = (gr_partition *)topic->retired;
    topic->retired = old;
    atomic_store_explicit(&topic->table, grown, memory_order_release);
    return ok;
}

gr_topic *gr_topics_ensure(gr_topics *t, const char *name, const uint8_t id[16], int32_t partition_count,
                           const bool *hosted, const gr_properties *configs) {
    static const uint8_t zero[16];
    gr_str sname = gr_str_c(name);
    pthread_rwlock_wrlock(&t->lock);
    int i = find_index(t, sname);
    if (i >= 0 && memcmp(id, zero, 16) != 0 && memcmp(t->items[i]->id, id, 16) != 0) {
        gr_topic *stale = t->items[i];
        t->items[i] = t->items[--t->count];
        GR_INFO("topics", "topic %s has another id in the cluster: removing the local copy", name);
        atomic_store(&stale->deleted, true);
        gr_topic_release(stale);
        i = -1;
    }
    gr_topic *topic = i >= 0 ? t->items[i] : NULL;
    if (!topic) {
        topic = topic_new(name);
        gr_partition_table *table = topic ? table_new(0) : NULL;
        if (!table || !registry_add(t, topic)) {
            free(table);
            free(topic);
            pthread_rwlock_unlock(&t->lock);
            return NULL;
        }
        if (memcmp(id, zero, 16) != 0)
            memcpy(topic->id, id, 16);
        else
            gr_topic_id_random(topic->id);
        atomic_store(&topic->table, table);
    }
    replace_configs_locked(t, topic, configs);
    bool ok = open_hosted_locked(t, topic, partition_count, hosted);
    gr_topic_retain(topic);
    pthread_rwlock_unlock(&t->lock);
    if (!ok) GR_ERROR("topics", "cannot open every partition of topic %s", name);
    return topic;
}
