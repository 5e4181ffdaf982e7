/*
 * sink.c: a do-nothing Kafka server, the ceiling the benchmarks compare the broker against.
 *
 * It speaks just enough of the protocol for librdkafka's producer and assign()-style consumer:
 * ApiVersions, Metadata, CreateTopics, FindCoordinator, ListOffsets, Produce (answered with
 * success, nothing stored) and Fetch (answered from one record batch built at start-up, sent
 * with writev under a fresh base offset each time, so nothing is copied or computed per fetch).
 * Whatever throughput a client reaches against it is what the machine and the client allow.
 *
 * One thread per connection with blocking sockets: the benchmark clients open a handful of
 * connections, and this keeps the code short and the per-request cost minimal.
 *
 * usage: sink [--port N] [--record-size BYTES] [--records-per-batch N] [--max-seconds S]
 * Prints "port N" on stdout once listening. Ends on SIGTERM/SIGINT or after --max-seconds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "wire.h"

#define SINK_FRAME_MAX_BYTES (64 * 1024 * 1024)
#define SINK_TOPICS_MAX 4096
#define SINK_TOPIC_NAME_MAX_BYTES 249
#define SINK_PARTITIONS_MAX 10000
#define SINK_ARRAY_MAX 100000
#define SINK_BATCHES_PER_RESPONSE_MAX 8192
#define SINK_RECORD_SIZE_MAX_BYTES (1024 * 1024)
#define SINK_RECORDS_PER_BATCH_MAX 10000
#define SINK_HIGH_WATERMARK (1LL << 50)
#define SINK_MAX_SECONDS_DEFAULT 3600
#define SINK_NODE_ID 1

enum { API_PRODUCE = 0, API_FETCH = 1, API_LIST_OFFSETS = 2, API_METADATA = 3, API_FIND_COORDINATOR = 10,
       API_API_VERSIONS = 18, API_CREATE_TOPICS = 19 };
enum { ERR_NONE = 0, ERR_UNKNOWN_TOPIC = 3, ERR_TOPIC_EXISTS = 36, ERR_UNSUPPORTED_VERSION = 35 };

/* Versions chosen to be non-flexible (except ApiVersions v3, which every client starts with). */
static const struct { int16_t key, min, max; } apis[] = {
    {API_PRODUCE, 3, 8},          {API_FETCH, 4, 11},       {API_LIST_OFFSETS, 1, 5},  {API_METADATA, 1, 8},
    {API_FIND_COORDINATOR, 0, 2}, {API_API_VERSIONS, 0, 3}, {API_CREATE_TOPICS, 0, 4},
};
#define API_COUNT ((int)(sizeof apis / sizeof apis[0]))

static struct {
    char name[SINK_TOPIC_NAME_MAX_BYTES + 1];
    int len;
    int32_t partitions;
} topics[SINK_TOPICS_MAX];
static int topic_count;
static pthread_mutex_t topics_lock = PTHREAD_MUTEX_INITIALIZER;

static int listen_port;
static uint8_t *batch; /* the template record batch; bytes 0..7 (base offset) are sent separately */
static size_t batch_len;
static int32_t batch_records;

/* Returns the partition count of a known topic, 0 if unknown. */
static int32_t topic_find(const char *name, int len) {
    int32_t n = 0;
    pthread_mutex_lock(&topics_lock);
    for (int i = 0; i < topic_count; i++)
        if (topics[i].len == len && !memcmp(topics[i].name, name, (size_t)len)) n = topics[i].partitions;
    pthread_mutex_unlock(&topics_lock);
    return n;
}

static int16_t topic_create(const char *name, int len, int32_t partitions) {
    if (len <= 0 || len > SINK_TOPIC_NAME_MAX_BYTES) return 17; /* INVALID_TOPIC_EXCEPTION */
    if (partitions <= 0) partitions = 1;
    if (partitions > SINK_PARTITIONS_MAX) return 37; /* INVALID_PARTITIONS */
    int16_t err = ERR_NONE;
    pthread_mutex_lock(&topics_lock);
    for (int i = 0; i < topic_count && !err; i++)
        if (topics[i].len == len && !memcmp(topics[i].name, name, (size_t)len)) err = ERR_TOPIC_EXISTS;
    if (!err && topic_count == SINK_TOPICS_MAX) err = 17;
    if (!err) {
        memcpy(topics[topic_count].name, name, (size_t)len);
        topics[topic_count].len = len;
        topics[topic_count].partitions = partitions;
        topic_count++;
    }
    pthread_mutex_unlock(&topics_lock);
    return err;
}

/* One record batch v2 of `count` records with `size`-byte values, CRC filled in. */
static void build_batch(int32_t count, int32_t size) {
    wb records = {0};
    uint8_t *value = malloc((size_t)size);
    for (int32_t i = 0; i < size; i++) value[i] = (uint8_t)('a' + i % 26);
    for (int32_t i = 0; i < count; i++) {
        wb rec = {0};
        wb_i8(&rec, 0);      /* attributes */
        wb_varint(&rec, 0);  /* timestamp delta */
        wb_varint(&rec, i);  /* offset delta */
        wb_varint(&rec, -1); /* null key */
        wb_varint(&rec, size);
        memcpy(wb_room(&rec, (size_t)size), value, (size_t)size);
        wb_varint(&rec, 0); /* no headers */
        wb_varint(&records, (int64_t)rec.len);
        memcpy(wb_room(&records, rec.len), rec.p, rec.len);
        free(rec.p);
    }
    free(value);
    wb b = {0};
    wb_i64(&b, 0);  /* base offset, replaced per fetch */
    wb_i32(&b, 0);  /* batch length, below */
    wb_i32(&b, 0);  /* partition leader epoch */
    wb_i8(&b, 2);   /* magic */
    wb_i32(&b, 0);  /* crc, below */
    size_t crc_from = b.len;
    wb_i16(&b, 0);  /* attributes: no compression, CreateTime */
    wb_i32(&b, count - 1);
    int64_t now_ms = (int64_t)time(NULL) * 1000;
    wb_i64(&b, now_ms);
    wb_i64(&b, now_ms);
    wb_i64(&b, -1); /* producer id */
    wb_i16(&b, -1); /* producer epoch */
    wb_i32(&b, -1); /* base sequence */
    wb_i32(&b, count);
    memcpy(wb_room(&b, records.len), records.p, records.len);
    free(records.p);
    put_i32(b.p + 8, (int32_t)(b.len - 12));
    put_i32(b.p + 17, (int32_t)crc32c(b.p + crc_from, b.len - crc_from));
    batch = b.p;
    batch_len = b.len;
    batch_records = count;
}

static int read_full(int fd, uint8_t *p, size_t n) {
    while (n) {
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int writev_all(int fd, struct iovec *iov, int n) {
    int i = 0;
    while (i < n) {
        int chunk = n - i < IOV_MAX ? n - i : IOV_MAX;
        ssize_t k = writev(fd, iov + i, chunk);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return -1;
        size_t left = (size_t)k;
        while (i < n && left >= iov[i].iov_len) left -= iov[i++].iov_len;
        if (i < n) {
            iov[i].iov_base = (uint8_t *)iov[i].iov_base + left;
            iov[i].iov_len -= left;
        }
    }
    return 0;
}

static int send_buf(int fd, wb *out) {
    put_i32(out->p, (int32_t)(out->len - 4));
    struct iovec iov = {out->p, out->len};
    return writev_all(fd, &iov, 1);
}

static void api_versions(rd *r, int16_t ver, wb *o) {
    (void)r;
    bool supported = ver <= 3;
    if (!supported) ver = 0; /* the client retries with a version from this list */
    wb_i16(o, supported ? ERR_NONE : ERR_UNSUPPORTED_VERSION);
    if (ver >= 3) wb_uvarint(o, API_COUNT + 1);
    else wb_i32(o, API_COUNT);
    for (int i = 0; i < API_COUNT; i++) {
        wb_i16(o, apis[i].key);
        wb_i16(o, apis[i].min);
        wb_i16(o, apis[i].max);
        if (ver >= 3) wb_uvarint(o, 0);
    }
    if (ver >= 1) wb_i32(o, 0);
    if (ver >= 3) wb_uvarint(o, 0);
}

static void metadata_topic(wb *o, int16_t ver, const char *name, int len, int32_t partitions) {
    wb_i16(o, partitions ? ERR_NONE : ERR_UNKNOWN_TOPIC);
    wb_str(o, name, len);
    wb_i8(o, 0); /* is_internal */
    wb_i32(o, partitions);
    for (int32_t p = 0; p < partitions; p++) {
        wb_i16(o, ERR_NONE);
        wb_i32(o, p);
        wb_i32(o, SINK_NODE_ID);
        if (ver >= 7) wb_i32(o, -1); /* no leader epoch: the client skips epoch validation */
        wb_i32(o, 1);
        wb_i32(o, SINK_NODE_ID);
        wb_i32(o, 1);
        wb_i32(o, SINK_NODE_ID);
        if (ver >= 5) wb_i32(o, 0);
    }
    if (ver >= 8) wb_i32(o, INT32_MIN);
}

static int metadata(rd *r, int16_t ver, wb *o) {
    int32_t n = rd_count(r, SINK_ARRAY_MAX);
    if (ver >= 3) wb_i32(o, 0);
    wb_i32(o, 1);
    wb_i32(o, SINK_NODE_ID);
    wb_str(o, "127.0.0.1", 9);
    wb_i32(o, listen_port);
    wb_str(o, NULL, -1); /* rack */
    if (ver >= 2) wb_str(o, "sink", 4);
    wb_i32(o, SINK_NODE_ID); /* controller */
    if (n < 0) {             /* all topics */
        pthread_mutex_lock(&topics_lock);
        int count = topic_count;
        pthread_mutex_unlock(&topics_lock);
        wb_i32(o, count);
        for (int i = 0; i < count; i++) metadata_topic(o, ver, topics[i].name, topics[i].len, topics[i].partitions);
    } else {
        wb_i32(o, n);
        for (int32_t i = 0; i < n && !r->err; i++) {
            const char *name;
            int len;
            rd_str(r, &name, &len);
            if (len < 0) return -1;
            metadata_topic(o, ver, name, len, topic_find(name, len));
        }
    }
    if (ver >= 8) wb_i32(o, INT32_MIN);
    return r->err ? -1 : 0;
}

static int create_topics(rd *r, int16_t ver, wb *o) {
    int32_t n = rd_count(r, SINK_ARRAY_MAX);
    if (ver >= 2) wb_i32(o, 0);
    wb_i32(o, n < 0 ? 0 : n);
    for (int32_t i = 0; i < n && !r->err; i++) {
        const char *name, *s;
        int len, slen;
        rd_str(r, &name, &len);
        int32_t partitions = rd_i32(r);
        rd_i16(r); /* replication factor */
        int32_t assignments = rd_count(r, SINK_PARTITIONS_MAX);
        for (int32_t a = 0; a < assignments && !r->err; a++) {
            rd_i32(r);
            int32_t ids = rd_count(r, SINK_ARRAY_MAX);
            for (int32_t k = 0; k < ids; k++) rd_i32(r);
        }
        if (assignments > 0) partitions = assignments;
        int32_t configs = rd_count(r, SINK_ARRAY_MAX);
        for (int32_t c = 0; c < configs && !r->err; c++) {
            rd_str(r, &s, &slen);
            rd_str(r, &s, &slen);
        }
        if (r->err || len < 0) return -1;
        wb_str(o, name, len);
        wb_i16(o, topic_create(name, len, partitions));
        if (ver >= 1) wb_str(o, NULL, -1);
    }
    return r->err ? -1 : 0;
}

static int find_coordinator(rd *r, int16_t ver, wb *o) {
    const char *key;
    int len;
    rd_str(r, &key, &len);
    if (ver >= 1) rd_i8(r);
    if (ver >= 1) wb_i32(o, 0);
    wb_i16(o, ERR_NONE);
    if (ver >= 1) wb_str(o, NULL, -1);
    wb_i32(o, SINK_NODE_ID);
    wb_str(o, "127.0.0.1", 9);
    wb_i32(o, listen_port);
    return r->err ? -1 : 0;
}

static int list_offsets(rd *r, int16_t ver, wb *o) {
    rd_i32(r); /* replica id */
    if (ver >= 2) rd_i8(r);
    int32_t n = rd_count(r, SINK_ARRAY_MAX);
    if (ver >= 2) wb_i32(o, 0);
    wb_i32(o, n < 0 ? 0 : n);
    for (int32_t i = 0; i < n && !r->err; i++) {
        const char *name;
        int len;
        rd_str(r, &name, &len);
        wb_str(o, name, len);
        int32_t parts = rd_count(r, SINK_PARTITIONS_MAX);
        wb_i32(o, parts < 0 ? 0 : parts);
        for (int32_t p = 0; p < parts && !r->err; p++) {
            int32_t index = rd_i32(r);
            if (ver >= 4) rd_i32(r);
            int64_t ts = rd_i64(r);
            wb_i32(o, index);
            wb_i16(o, ERR_NONE);
            wb_i64(o, -1);
            wb_i64(o, ts == -1 ? SINK_HIGH_WATERMARK : 0); /* -1 = latest, anything else: the start */
            if (ver >= 4) wb_i32(o, -1);
        }
    }
    return r->err ? -1 : 0;
}

/* Answers success without storing. Returns 1 when acks=0 (no response), -1 on bad input. */
static int produce(rd *r, int16_t ver, wb *o, int64_t *next_offset) {
    const char *s;
    int len;
    rd_str(r, &s, &len); /* transactional id */
    int16_t acks = rd_i16(r);
    rd_i32(r);
    int32_t n = rd_count(r, SINK_ARRAY_MAX);
    wb_i32(o, n < 0 ? 0 : n);
    for (int32_t i = 0; i < n && !r->err; i++) {
        rd_str(r, &s, &len);
        wb_str(o, s, len);
        int32_t parts = rd_count(r, SINK_PARTITIONS_MAX);
        wb_i32(o, parts < 0 ? 0 : parts);
        for (int32_t p = 0; p < parts && !r->err; p++) {
            int32_t index = rd_i32(r);
            int32_t size = rd_i32(r);
            const uint8_t *records = size > 0 ? rd_take(r, (size_t)size) : NULL;
            int64_t count = 0;
            for (int32_t at = 0; records && at + 61 <= size;) { /* count records batch by batch */
                rd b = {records + at, records + size, 0};
                rd_i64(&b);
                int32_t blen = rd_i32(&b);
                if (blen < 49 || blen > size - at - 12) break;
                rd bb = {records + at + 57, records + at + 61, 0};
                count += rd_i32(&bb);
                at += 12 + blen;
            }
            wb_i32(o, index);
            wb_i16(o, ERR_NONE);
            wb_i64(o, *next_offset);
            wb_i64(o, -1);
            if (ver >= 5) wb_i64(o, 0);
            if (ver >= 8) {
                wb_i32(o, 0);
                wb_str(o, NULL, -1);
            }
            *next_offset += count;
        }
    }
    wb_i32(o, 0); /* throttle */
    if (r->err) return -1;
    return acks == 0 ? 1 : 0;
}

/* A response piece: bytes of the output buffer, of the base-offset array, or the shared batch. */
typedef struct seg {
    int kind; /* 0 out, 1 offsets, 2 batch body */
    size_t off, len;
} seg;

typedef struct fetch_state {
    seg *segs;
    size_t nsegs, cap;
    wb offsets;
    size_t out_mark;
} fetch_state;

static void seg_add(fetch_state *f, int kind, size_t off, size_t len) {
    if (f->nsegs == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 256;
        f->segs = realloc(f->segs, f->cap * sizeof *f->segs);
        if (!f->segs) abort();
    }
    f->segs[f->nsegs++] = (seg){kind, off, len};
}

static int fetch(int fd, rd *r, int16_t ver, wb *o, fetch_state *f) {
    f->nsegs = 0;
    f->offsets.len = 0;
    f->out_mark = 0;
    rd_i32(r); /* replica id */
    rd_i32(r); /* max wait: data is always there */
    rd_i32(r);
    int64_t budget = rd_i32(r); /* max bytes */
    rd_i8(r);
    if (ver >= 7) {
        rd_i32(r);
        rd_i32(r);
    }
    int32_t n = rd_count(r, SINK_ARRAY_MAX);
    wb_i32(o, 0); /* throttle */
    if (ver >= 7) {
        wb_i16(o, ERR_NONE);
        wb_i32(o, 0);
    }
    wb_i32(o, n < 0 ? 0 : n);
    int batches_total = 0;
    for (int32_t i = 0; i < n && !r->err; i++) {
        const char *name;
        int len;
        rd_str(r, &name, &len);
        wb_str(o, name, len);
        int32_t parts = rd_count(r, SINK_PARTITIONS_MAX);
        wb_i32(o, parts < 0 ? 0 : parts);
        for (int32_t p = 0; p < parts && !r->err; p++) {
            int32_t index = rd_i32(r);
            if (ver >= 9) rd_i32(r);
            int64_t offset = rd_i64(r);
            if (ver >= 5) rd_i64(r);
            int64_t part_max = rd_i32(r);
            int64_t room = part_max < budget ? part_max : budget;
            int64_t k = room / (int64_t)batch_len;
            if (k < 1) k = 1;
            if (batches_total + k > SINK_BATCHES_PER_RESPONSE_MAX) k = SINK_BATCHES_PER_RESPONSE_MAX - batches_total;
            if (k < 0) k = 0;
            budget -= k * (int64_t)batch_len;
            batches_total += (int)k;
            wb_i32(o, index);
            wb_i16(o, ERR_NONE);
            wb_i64(o, SINK_HIGH_WATERMARK);
            wb_i64(o, SINK_HIGH_WATERMARK);
            if (ver >= 5) wb_i64(o, 0);
            wb_i32(o, -1); /* no aborted transactions */
            if (ver >= 11) wb_i32(o, -1);
            wb_i32(o, (int32_t)(k * (int64_t)batch_len));
            seg_add(f, 0, f->out_mark, o->len - f->out_mark);
            for (int64_t b = 0; b < k; b++) {
                seg_add(f, 1, f->offsets.len, 8);
                wb_i64(&f->offsets, offset + b * batch_records);
                seg_add(f, 2, 8, batch_len - 8);
            }
            f->out_mark = o->len;
        }
    }
    if (r->err) return -1;
    seg_add(f, 0, f->out_mark, o->len - f->out_mark);
    size_t total = 0;
    for (size_t i = 0; i < f->nsegs; i++) total += f->segs[i].len;
    put_i32(o->p, (int32_t)(total - 4));
    struct iovec *iov = malloc(f->nsegs * sizeof *iov);
    if (!iov) abort();
    int cnt = 0;
    for (size_t i = 0; i < f->nsegs; i++) {
        const seg *s = &f->segs[i];
        if (!s->len) continue;
        const uint8_t *base = s->kind == 0 ? o->p : s->kind == 1 ? f->offsets.p : batch;
        iov[cnt++] = (struct iovec){(void *)(base + s->off), s->len};
    }
    int rc = writev_all(fd, iov, cnt);
    free(iov);
    return rc;
}

typedef struct conn_state {
    int fd;
    uint8_t *frame;
    size_t frame_cap;
    wb out;
    fetch_state fetch;
    int64_t next_offset;
} conn_state;

/* One request: 0 to go on, -1 to close the connection. */
static int handle(conn_state *c, const uint8_t *frame, size_t len) {
    rd r = {frame, frame + len, 0};
    int16_t key = rd_i16(&r), ver = rd_i16(&r);
    int32_t corr = rd_i32(&r);
    const char *client;
    int client_len;
    rd_str(&r, &client, &client_len);
    if (r.err) return -1;
    wb *o = &c->out;
    o->len = 0;
    wb_i32(o, 0);
    wb_i32(o, corr);
    int supported = 0;
    for (int i = 0; i < API_COUNT; i++)
        if (apis[i].key == key && ver >= apis[i].min && ver <= apis[i].max) supported = 1;
    if (key == API_API_VERSIONS) {
        api_versions(&r, ver, o);
        return send_buf(c->fd, o);
    }
    if (!supported) return -1;
    int rc = 0;
    switch (key) {
    case API_METADATA: rc = metadata(&r, ver, o); break;
    case API_CREATE_TOPICS: rc = create_topics(&r, ver, o); break;
    case API_FIND_COORDINATOR: rc = find_coordinator(&r, ver, o); break;
    case API_LIST_OFFSETS: rc = list_offsets(&r, ver, o); break;
    case API_PRODUCE:
        rc = produce(&r, ver, o, &c->next_offset);
        if (rc == 1) return 0;
        break;
    case API_FETCH: return fetch(c->fd, &r, ver, o, &c->fetch);
    default: return -1;
    }
    return rc < 0 ? -1 : send_buf(c->fd, o);
}

static void *conn_main(void *arg) {
    conn_state *c = arg;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (;;) {
        uint8_t size_be[4];
        if (read_full(c->fd, size_be, 4)) break;
        rd sr = {size_be, size_be + 4, 0};
        int32_t size = rd_i32(&sr);
        if (size < 8 || size > SINK_FRAME_MAX_BYTES) break;
        if ((size_t)size > c->frame_cap) {
            uint8_t *np = realloc(c->frame, (size_t)size);
            if (!np) break;
            c->frame = np;
            c->frame_cap = (size_t)size;
        }
        if (read_full(c->fd, c->frame, (size_t)size)) break;
        if (handle(c, c->frame, (size_t)size)) break;
    }
    close(c->fd);
    free(c->frame);
    free(c->out.p);
    free(c->fetch.segs);
    free(c->fetch.offsets.p);
    free(c);
    return NULL;
}

static long arg_long(const char *name, const char *v, long min, long max) {
    char *end;
    errno = 0;
    long x = strtol(v ? v : "", &end, 10);
    if (!v || errno || *end || x < min || x > max) {
        fprintf(stderr, "sink: %s expects a number in %ld..%ld\n", name, min, max);
        exit(2);
    }
    return x;
}

int main(int argc, char **argv) {
    long port = 0, record_size = 1024, per_batch = 64, max_seconds = SINK_MAX_SECONDS_DEFAULT;
    for (int i = 1; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--port")) port = arg_long(argv[i], v, 0, 65535);
        else if (!strcmp(argv[i], "--record-size")) record_size = arg_long(argv[i], v, 0, SINK_RECORD_SIZE_MAX_BYTES);
        else if (!strcmp(argv[i], "--records-per-batch")) per_batch = arg_long(argv[i], v, 1, SINK_RECORDS_PER_BATCH_MAX);
        else if (!strcmp(argv[i], "--max-seconds")) max_seconds = arg_long(argv[i], v, 1, 7 * 24 * 3600);
        else {
            fprintf(stderr, "usage: sink [--port N] [--record-size BYTES] [--records-per-batch N] [--max-seconds S]\n");
            return 2;
        }
    }
    build_batch((int32_t)per_batch, (int32_t)record_size);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) || listen(lfd, 128) ||
        getsockname(lfd, (struct sockaddr *)&sa, &sl)) {
        perror("sink: listen");
        return 1;
    }
    listen_port = ntohs(sa.sin_port);
    alarm((unsigned)max_seconds); /* the default SIGALRM action ends a forgotten sink */
    printf("port %d\n", listen_port);
    fflush(stdout);
    for (;;) {
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE) { /* out of descriptors: wait for some to close */
                usleep(1000);
                continue;
            }
            perror("sink: accept");
            return 1;
        }
        conn_state *c = calloc(1, sizeof *c);
        if (!c) abort();
        c->fd = fd;
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, conn_main, c)) {
            close(fd);
            free(c);
        }
        pthread_attr_destroy(&attr);
    }
}
