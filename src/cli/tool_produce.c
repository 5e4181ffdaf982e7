/*
 * tool_produce.c: gregor produce TOPIC -- one record per input line.
 *
 * Line syntax (each part optional, chosen by options):
 *
 *     [HEADERS <headers-delimiter>] [KEY <key-separator>] VALUE
 *     HEADERS = name<headers-key-separator>value<headers-separator>name...   e.g. "a:1,b:2"
 *
 * Records are sent asynchronously; librdkafka reports each one's outcome to on_delivery, which
 * names the input line of every failure. The line number travels as the record's opaque pointer,
 * so nothing is allocated per record here beyond librdkafka's copy.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/output.h"
#include "cli/signals.h"
#include "cli/tools.h"

#define PRODUCE_HEADERS_MAX 64
#define PRODUCE_LINE_MAX_BYTES ((size_t)64 * 1024 * 1024)
#define PRODUCE_DELIVERY_TIMEOUT_MS_DEFAULT 30000
#define PRODUCE_QUEUE_FULL_POLL_MS 50
#define PRODUCE_FLUSH_SLICE_MS 100
#define SEPARATOR_MAX_CHARS 32

enum {
    OPT_FILE,
    OPT_KEY_SEP,
    OPT_HEADER,
    OPT_PARSE_HEADERS,
    OPT_HDR_DELIM,
    OPT_HDR_SEP,
    OPT_HDR_KEY_SEP,
    OPT_PARTITION,
    OPT_ACKS,
    OPT_COMPRESSION
};

typedef struct produce_opts {
    const char *file;
    char key_sep[SEPARATOR_MAX_CHARS];
    bool parse_headers;
    char hdr_delim[SEPARATOR_MAX_CHARS], hdr_sep[SEPARATOR_MAX_CHARS], hdr_key_sep[SEPARATOR_MAX_CHARS];
    int hdr_count;
    char hdr_keys[PRODUCE_HEADERS_MAX][256];
    const char *hdr_values[PRODUCE_HEADERS_MAX];
    int32_t partition;
    const char *acks;
    const char *compression;
} produce_opts;

typedef struct produce_state {
    int64_t delivered, failed;
    const char *command;
} produce_state;

static const gr_opt_spec specs[] = {
    {OPT_FILE, "file", 'f', "FILE", "read lines from FILE instead of stdin"},
    {OPT_KEY_SEP, "key-separator", 'K', "SEP", "split each line into key and value at the first SEP"},
    {OPT_HEADER, "header", 'H', "NAME=VALUE", "add this header to every record (repeatable)"},
    {OPT_PARSE_HEADERS, "parse-headers", 0, NULL, "each line starts with headers: a:1,b:2<TAB>..."},
    {OPT_HDR_DELIM, "headers-delimiter", 0, "SEP", "ends the headers part of a line (default: TAB)"},
    {OPT_HDR_SEP, "headers-separator", 0, "SEP", "between headers (default: ,)"},
    {OPT_HDR_KEY_SEP, "headers-key-separator", 0, "SEP", "between a header's name and value (default: :)"},
    {OPT_PARTITION, "partition", 'p', "N", "send every record to partition N (default: by key)"},
    {OPT_ACKS, "acks", 'a', "0|1|all", "acknowledgements to wait for (default: all)"},
    {OPT_COMPRESSION, "compression", 'z', "CODEC", "none, gzip, snappy, lz4 or zstd (default: none)"},
    {0, NULL, 0, NULL, NULL},
};

static const gr_tool_help help = {
    "produce", "TOPIC [options]",
    "Sends each line of stdin (or --file) as one record. Failures are reported per line on stderr;\n"
    "at the end a summary \"delivered N records, failed M\" goes to stderr. Exit 1 if any failed.\n"
    "Separators understand the escapes \\t, \\n and \\\\.",
    "  printf 'k1:hello\\nk2:world\\n' | gregor produce orders --key-separator :\n"
    "  gregor produce orders --file data.txt --header source=import --compression zstd\n"
    "  printf 'trace:42\\tk1=v1\\n' | gregor produce orders --parse-headers --key-separator =\n"};

/* Copies a separator option, turning \t, \n and \\ into the characters. */
static int set_separator(char *dst, const char *opt, const char *v) {
    size_t n = 0;
    for (const char *p = v; *p; p++) {
        char ch = *p;
        if (ch == '\\' && p[1]) {
            p++;
            ch = *p == 't' ? '\t' : *p == 'n' ? '\n' : *p;
        }
        if (n + 1 >= SEPARATOR_MAX_CHARS) return gr_usage_error(&help, "%s is too long", opt);
        dst[n++] = ch;
    }
    if (n == 0) return gr_usage_error(&help, "%s must not be empty", opt);
    dst[n] = '\0';
    return 0;
}

static int on_opt(void *ud, int id, const char *v, gr_cli_common *c) {
    produce_opts *o = ud;
    switch (id) {
    case OPT_FILE:
        o->file = v;
        return 0;
    case OPT_KEY_SEP:
        return set_separator(o->key_sep, "--key-separator", v);
    case OPT_HEADER:
        if (o->hdr_count >= PRODUCE_HEADERS_MAX) return gr_usage_error(c->tool, "too many --header options");
        if (gr_split_kv(v, o->hdr_keys[o->hdr_count], sizeof o->hdr_keys[0], &o->hdr_values[o->hdr_count]) <
            0)
            return gr_usage_error(c->tool, "--header expects NAME=VALUE, got '%s'", v);
        o->hdr_count++;
        return 0;
    case OPT_PARSE_HEADERS:
        o->parse_headers = true;
        return 0;
    case OPT_HDR_DELIM:
        return set_separator(o->hdr_delim, "--headers-delimiter", v);
    case OPT_HDR_SEP:
        return set_separator(o->hdr_sep, "--headers-separator", v);
    case OPT_HDR_KEY_SEP:
        return set_separator(o->hdr_key_sep, "--headers-key-separator", v);
    case OPT_PARTITION:
        return gr_opt_i32(c->tool, "--partition", v, 0, INT32_MAX, &o->partition);
    case OPT_ACKS:
        if (strcmp(v, "0") && strcmp(v, "1") && strcmp(v, "all") && strcmp(v, "-1"))
            return gr_usage_error(c->tool, "--acks expects 0, 1 or all, got '%s'", v);
        o->acks = !strcmp(v, "-1") ? "all" : v;
        return 0;
    case OPT_COMPRESSION:
        if (strcmp(v, "none") && strcmp(v, "gzip") && strcmp(v, "snappy") && strcmp(v, "lz4") &&
            strcmp(v, "zstd"))
            return gr_usage_error(c->tool, "--compression expects none, gzip, snappy, lz4 or zstd, got '%s'",
                                  v);
        o->compression = v;
        return 0;
    }
    return 0;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    gr_client *c = opaque;
    produce_state *st = c->user;
    (void)rk;
    if (m->err) {
        st->failed++;
        fprintf(stderr, "gregor %s: line %lld: %s\n", st->command, (long long)(intptr_t)m->_private,
                rd_kafka_err2str(m->err));
    } else {
        st->delivered++;
    }
}

static void prepare(rd_kafka_conf_t *conf, void *ud) {
    (void)ud;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
}

static const char *find_sep(const char *s, size_t len, const char *sep) {
    size_t n = strlen(sep);
    if (n > len) return NULL;
    for (size_t i = 0; i + n <= len; i++)
        if (!memcmp(s + i, sep, n)) return s + i;
    return NULL;
}

/* Adds "a:1,b:2" style headers; returns NULL or a reason the part is malformed. */
static const char *parse_line_headers(const produce_opts *o, const char *s, size_t len,
                                      rd_kafka_headers_t *h) {
    size_t sep_len = strlen(o->hdr_sep), key_sep_len = strlen(o->hdr_key_sep);
    for (int n = 0; len > 0; n++) {
        if (n >= PRODUCE_HEADERS_MAX) return "too many headers";
        const char *end = find_sep(s, len, o->hdr_sep);
        size_t item_len = end ? (size_t)(end - s) : len;
        const char *ks = find_sep(s, item_len, o->hdr_key_sep);
        if (!ks || ks == s) return "header without name or name separator";
        rd_kafka_header_add(h, s, ks - s, ks + key_sep_len,
                            (ssize_t)(item_len - (size_t)(ks - s) - key_sep_len));
        if (!end) break;
        s = end + sep_len;
        len -= item_len + sep_len;
    }
    return NULL;
}

/* Sends one line; returns NULL or the reason it could not be queued. */
static const char *send_line(gr_client *c, const produce_opts *o, const char *topic, char *line, size_t len,
                             int64_t lineno) {
    rd_kafka_headers_t *h = NULL;
    if (o->hdr_count || o->parse_headers) {
        h = rd_kafka_headers_new((size_t)o->hdr_count + 4);
        for (int i = 0; i < o->hdr_count; i++)
            rd_kafka_header_add(h, o->hdr_keys[i], -1, o->hdr_values[i], -1);
    }
    if (o->parse_headers) {
        const char *d = find_sep(line, len, o->hdr_delim);
        if (!d) {
            rd_kafka_headers_destroy(h);
            return "no headers delimiter found";
        }
        const char *why = parse_line_headers(o, line, (size_t)(d - line), h);
        if (why) {
            rd_kafka_headers_destroy(h);
            return why;
        }
        size_t skip = (size_t)(d - line) + strlen(o->hdr_delim);
        line += skip;
        len -= skip;
    }
    const char *key = NULL, *value = line;
    size_t key_len = 0, value_len = len;
    if (o->key_sep[0]) {
        const char *k = find_sep(line, len, o->key_sep);
        if (!k) {
            if (h) rd_kafka_headers_destroy(h);
            return "no key separator found";
        }
        key = line;
        key_len = (size_t)(k - line);
        value = k + strlen(o->key_sep);
        value_len = len - key_len - strlen(o->key_sep);
    }
    for (int attempt = 0;; attempt++) {
        rd_kafka_resp_err_t err =
            rd_kafka_producev(c->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(o->partition),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_len),
                              RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_HEADERS(h),
                              RD_KAFKA_V_OPAQUE((void *)(intptr_t)lineno), RD_KAFKA_V_END);
        if (!err) return NULL;
        /* The local queue is full: serve delivery reports until there is room (bounded by the
           message timeout, after which librdkafka fails queued records and frees space). */
        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && attempt < 1000000 && !gr_stop_requested()) {
            rd_kafka_poll(c->rk, PRODUCE_QUEUE_FULL_POLL_MS);
            continue;
        }
        if (h) rd_kafka_headers_destroy(h);
        return rd_kafka_err2str(err);
    }
}

/*
 * Reads one line (without its '\n') into *buf, keeping at most PRODUCE_LINE_MAX_BYTES of it: the
 * rest of a longer line is skipped and *too_long set, so memory stays bounded whatever the input.
 * Returns false at the end of the input.
 */
static bool read_line(FILE *in, char **buf, size_t *cap, size_t *len, bool *too_long) {
    *len = 0;
    *too_long = false;
    bool any = false;
    for (;;) {
        int ch = getc_unlocked(in);
        if (ch == EOF) return any;
        any = true;
        if (ch == '\n') return true;
        if (*len >= PRODUCE_LINE_MAX_BYTES) {
            *too_long = true;
            continue;
        }
        if (*len == *cap) {
            size_t grown = *cap ? *cap * 2 : 4096;
            if (grown > PRODUCE_LINE_MAX_BYTES) grown = PRODUCE_LINE_MAX_BYTES;
            char *p = realloc(*buf, grown);
            if (!p) {
                *too_long = true;
                continue;
            }
            *buf = p;
            *cap = grown;
        }
        (*buf)[(*len)++] = (char)ch;
    }
}

/* Reads and sends every line; returns the number of lines read. */
static int64_t send_all(gr_client *c, const produce_opts *o, const char *topic, FILE *in, produce_state *st) {
    char *line = NULL;
    size_t cap = 0, len = 0;
    int64_t lineno = 0;
    bool too_long;
    while (!gr_stop_requested() && read_line(in, &line, &cap, &len, &too_long)) {
        lineno++;
        if (len && line[len - 1] == '\r') len--;
        const char *why = too_long ? "line too long" : send_line(c, o, topic, line ? line : "", len, lineno);
        if (why) {
            st->failed++;
            fprintf(stderr, "gregor %s: line %lld: %s\n", st->command, (long long)lineno, why);
        }
        rd_kafka_poll(c->rk, 0);
    }
    free(line);
    return lineno;
}

/* Waits for the outstanding records; whatever is still queued after the deadline fails. */
static void finish(gr_client *c, int timeout_ms) {
    for (int waited = 0; rd_kafka_outq_len(c->rk) > 0 && waited < timeout_ms;
         waited += PRODUCE_FLUSH_SLICE_MS) {
        rd_kafka_flush(c->rk, PRODUCE_FLUSH_SLICE_MS);
        if (gr_stop_requested() && waited > 2000) break;
    }
    if (rd_kafka_outq_len(c->rk) > 0) {
        rd_kafka_purge(c->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(c->rk, 1000);
    }
    rd_kafka_poll(c->rk, 0);
}

int gr_tool_produce(int argc, char **argv) {
    produce_opts o;
    memset(&o, 0, sizeof o);
    o.partition = RD_KAFKA_PARTITION_UA;
    strcpy(o.hdr_delim, "\t");
    strcpy(o.hdr_sep, ",");
    strcpy(o.hdr_key_sep, ":");
    gr_cli_common common;
    int p = gr_cli_parse(argc, argv, &help, specs, on_opt, &o, &common);
    int rc = p == GR_PARSE_HELP ? GR_EXIT_OK : GR_EXIT_USAGE;
    if (p != GR_PARSE_OK) goto out;
    if (common.arg_count != 1) {
        gr_usage_error(&help, common.arg_count ? "name exactly one topic" : "missing TOPIC");
        goto out;
    }
    const char *topic = common.args[0];
    FILE *in = stdin;
    if (o.file && strcmp(o.file, "-")) {
        in = fopen(o.file, "rb");
        if (!in) {
            gr_err(help.command, "cannot open %s: %s", o.file, strerror(errno));
            rc = GR_EXIT_FAILED;
            goto out;
        }
    }
    char timeout[32];
    int delivery_timeout_ms = common.request_timeout_ms > PRODUCE_DELIVERY_TIMEOUT_MS_DEFAULT
                                  ? common.request_timeout_ms
                                  : PRODUCE_DELIVERY_TIMEOUT_MS_DEFAULT;
    snprintf(timeout, sizeof timeout, "%d", delivery_timeout_ms);
    const char *defaults[] = {"acks",
                              o.acks ? o.acks : "all",
                              "compression.type",
                              o.compression ? o.compression : "none",
                              "message.timeout.ms",
                              timeout,
                              NULL};
    produce_state st = {0, 0, help.command};
    gr_client c;
    rc = gr_client_open(&c, &common, RD_KAFKA_PRODUCER, defaults, prepare, NULL);
    if (rc) goto close_file;
    c.user = &st;
    const rd_kafka_metadata_t *md;
    rc = gr_client_metadata(&c, &md);
    if (rc) goto close;
    const rd_kafka_metadata_topic_t *t = gr_metadata_topic(md, topic);
    if (!t || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        gr_err(help.command, "topic '%s' does not exist (create it with 'gregor topic create %s')", topic,
               topic);
        rc = GR_EXIT_NOT_FOUND;
    } else if (o.partition >= 0 && o.partition >= t->partition_cnt) {
        gr_err(help.command, "topic '%s' has no partition %d (it has %d)", topic, o.partition,
               t->partition_cnt);
        rc = GR_EXIT_NOT_FOUND;
    }
    rd_kafka_metadata_destroy(md);
    if (rc) goto close;
    gr_stop_on_signals();
    send_all(&c, &o, topic, in, &st);
    finish(&c, delivery_timeout_ms + 5000);
    if (common.json) {
        gr_json j;
        gr_json_init(&j, stdout);
        gr_json_obj_begin(&j);
        gr_json_ki64(&j, "delivered", st.delivered);
        gr_json_ki64(&j, "failed", st.failed);
        gr_json_obj_end(&j);
        gr_json_newline(&j);
    }
    fprintf(stderr, "gregor %s: delivered %lld records, failed %lld\n", help.command, (long long)st.delivered,
            (long long)st.failed);
    rc = st.failed ? GR_EXIT_FAILED : gr_stop_requested() ? GR_EXIT_INTERRUPTED : GR_EXIT_OK;
close:
    gr_client_close(&c);
close_file:
    if (in != stdin) fclose(in);
out:
    gr_cli_common_free(&common);
    return rc;
}
