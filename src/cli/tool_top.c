/*
 * tool_top.c: `gregor top --admin URL`: a terminal view of produce and fetch throughput per
 * topic and lag per group, refreshed every few seconds, read from a broker's /metrics page
 * (docs/metrics.md) rather than through the Kafka protocol, so it costs the broker one scrape per
 * refresh and sees exactly what monitoring sees.
 */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "cli/exit_codes.h"
#include "cli/signals.h"
#include "cli/tools.h"

#define SCRAPE_MAX_BYTES (8u * 1024u * 1024u)
#define SCRAPE_TIMEOUT_S 10
#define ROWS_MAX 512
#define NAME_MAX_BYTES 256

typedef struct top_row {
    char topic[NAME_MAX_BYTES];
    char group[NAME_MAX_BYTES]; /* lag rows only */
    double produced_bytes, produced_records, fetched_bytes, lag;
} top_row;

typedef struct top_sample {
    int64_t at_ms;
    double connections, uptime_s;
    top_row topics[ROWS_MAX];
    int topic_count;
    top_row lags[ROWS_MAX];
    int lag_count;
} top_sample;

static void usage(FILE *out) {
    fprintf(out, "usage: gregor top --admin http://HOST:PORT [--interval SECONDS] [--once]\n\n"
                 "Throughput per topic (records and bytes produced, bytes fetched, per second) and lag\n"
                 "per group and topic, from the broker's admin listener (admin.listeners, see\n"
                 "docs/metrics.md), refreshed every --interval seconds (default 2) until Ctrl-C.\n"
                 "--once: one view after one interval, without clearing the screen.\n");
}

/* "http://host:port" -> host, port; false if not that form. */
static bool parse_url(const char *url, char *host, size_t host_cap, char *port, size_t port_cap) {
    if (strncmp(url, "http://", 7) != 0) return false;
    const char *h = url + 7, *end = h + strcspn(h, "/");
    const char *colon = NULL;
    for (const char *p = h; p < end; p++)
        if (*p == ':') colon = p;
    if (!colon || colon == h || (size_t)(colon - h) >= host_cap || (size_t)(end - colon - 1) >= port_cap ||
        end == colon + 1)
        return false;
    const char *hs = h, *he = colon;
    if (*hs == '[' && he[-1] == ']') hs++, he--;
    snprintf(host, host_cap, "%.*s", (int)(he - hs), hs);
    snprintf(port, port_cap, "%.*s", (int)(end - colon - 1), colon + 1);
    return true;
}

/* GET /metrics; the body, malloc'd and NUL-terminated, or NULL after printing why. */
static char *scrape(const char *host, const char *port) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "gregor top: %s:%s: %s\n", host, port, gai_strerror(rc));
        return NULL;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) continue;
        struct timeval tv = {.tv_sec = SCRAPE_TIMEOUT_S};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, "gregor top: cannot connect to %s:%s: %s\n", host, port, strerror(errno));
        return NULL;
    }
    char req[600];
    int n = snprintf(req, sizeof req, "GET /metrics HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n\r\n",
                     host, port);
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    if (!buf || send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) goto fail;
    for (;;) {
        if (len + 1 == cap) {
            if (cap >= SCRAPE_MAX_BYTES) goto fail;
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) goto fail;
            buf = bigger, cap *= 2;
        }
        ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
        if (r < 0 && errno == EINTR && !gr_stop_requested()) continue;
        if (r < 0) goto fail;
        if (r == 0) break;
        len += (size_t)r;
    }
    close(fd);
    buf[len] = '\0';
    char *body = strstr(buf, "\r\n\r\n");
    if (strncmp(buf, "HTTP/1.1 200", 12) != 0 || !body) {
        fprintf(stderr, "gregor top: %s:%s/metrics did not answer 200\n", host, port);
        free(buf);
        return NULL;
    }
    memmove(buf, body + 4, strlen(body + 4) + 1);
    return buf;
fail:
    fprintf(stderr, "gregor top: reading %s:%s/metrics failed\n", host, port);
    close(fd);
    free(buf);
    return NULL;
}

/* The value of label `key` in `labels` (between the braces), unescaped into out. */
static bool label(const char *labels, const char *key, char *out, size_t cap) {
    char pat[40];
    snprintf(pat, sizeof pat, "%s=\"", key);
    const char *p = labels;
    while ((p = strstr(p, pat)) && p != labels && p[-1] != ',' && p[-1] != '{') p++;
    if (!p) return false;
    p += strlen(pat);
    size_t n = 0;
    while (*p && *p != '"' && n + 1 < cap) {
        if (*p == '\\' && p[1]) p++;
        out[n++] = *p == 'n' && p[-1] == '\\' ? '\n' : *p;
        p++;
    }
    out[n] = '\0';
    return *p == '"';
}

static top_row *row_for(top_row *rows, int *count, const char *topic, const char *group) {
    for (int i = 0; i < *count; i++)
        if (!strcmp(rows[i].topic, topic) && !strcmp(rows[i].group, group)) return &rows[i];
    if (*count == ROWS_MAX) return NULL;
    top_row *r = &rows[(*count)++];
    memset(r, 0, sizeof *r);
    snprintf(r->topic, sizeof r->topic, "%s", topic);
    snprintf(r->group, sizeof r->group, "%s", group);
    return r;
}

static void parse_metrics(char *text, top_sample *s) {
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        char *brace = strchr(line, '{'), *space = strrchr(line, ' ');
        if (!space) continue;
        double v = strtod(space + 1, NULL);
        size_t name_len = (size_t)((brace && brace < space ? brace : space) - line);
        char name[96];
        if (name_len >= sizeof name) continue;
        memcpy(name, line, name_len);
        name[name_len] = '\0';
        char topic[NAME_MAX_BYTES] = "", group[NAME_MAX_BYTES] = "";
        if (brace) {
            label(brace, "topic", topic, sizeof topic);
            label(brace, "group", group, sizeof group);
        }
        top_row *r = NULL;
        if (!strcmp(name, "gregor_group_lag")) {
            if ((r = row_for(s->lags, &s->lag_count, topic, group))) r->lag = v;
            continue;
        }
        if (!strcmp(name, "gregor_connections_open")) s->connections = v;
        if (!strcmp(name, "gregor_uptime_seconds")) s->uptime_s = v;
        if (strncmp(name, "gregor_topic_", 13) != 0 || !(r = row_for(s->topics, &s->topic_count, topic, "")))
            continue;
        if (!strcmp(name, "gregor_topic_produced_bytes_total")) r->produced_bytes = v;
        if (!strcmp(name, "gregor_topic_produced_records_total")) r->produced_records = v;
        if (!strcmp(name, "gregor_topic_fetched_bytes_total")) r->fetched_bytes = v;
    }
}

static const top_row *find_topic(const top_sample *s, const char *topic) {
    for (int i = 0; i < s->topic_count; i++)
        if (!strcmp(s->topics[i].topic, topic)) return &s->topics[i];
    return NULL;
}

static void print_view(const char *url, const top_sample *prev, const top_sample *cur) {
    double secs = (double)(cur->at_ms - prev->at_ms) / 1000.0;
    if (secs <= 0) secs = 1;
    printf("gregor top  %s  uptime %.0f s  connections %.0f  interval %.1f s\n\n", url, cur->uptime_s,
           cur->connections, secs);
    printf("%-40s %14s %14s %14s %16s\n", "TOPIC", "PRODUCED rec/s", "PRODUCED MiB/s", "FETCHED MiB/s",
           "RECORDS TOTAL");
    for (int i = 0; i < cur->topic_count; i++) {
        const top_row *c = &cur->topics[i], *p = find_topic(prev, c->topic);
        top_row zero = {0};
        if (!p) p = &zero;
        printf("%-40s %14.1f %14.3f %14.3f %16.0f\n", c->topic,
               (c->produced_records - p->produced_records) / secs,
               (c->produced_bytes - p->produced_bytes) / secs / 1048576.0,
               (c->fetched_bytes - p->fetched_bytes) / secs / 1048576.0, c->produced_records);
    }
    printf("\n%-40s %-40s %12s\n", "GROUP", "TOPIC", "LAG");
    for (int i = 0; i < cur->lag_count; i++)
        printf("%-40s %-40s %12.0f\n", cur->lags[i].group, cur->lags[i].topic, cur->lags[i].lag);
    fflush(stdout);
}

static bool take(const char *host, const char *port, top_sample *s) {
    char *text = scrape(host, port);
    if (!text) return false;
    memset(s, 0, sizeof *s);
    s->at_ms = gr_mono_ms();
    parse_metrics(text, s);
    free(text);
    return true;
}

/* Sleeps ms unless a signal asks to stop; false if it did. */
static bool pause_ms(int64_t ms) {
    int64_t until = gr_mono_ms() + ms;
    while (!gr_stop_requested()) {
        int64_t left = until - gr_mono_ms();
        if (left <= 0) return true;
        struct timespec ts = {.tv_sec = left / 1000, .tv_nsec = (left % 1000) * 1000000};
        nanosleep(&ts, NULL);
    }
    return false;
}

int gr_tool_top(int argc, char **argv) {
    const char *url = NULL;
    double interval_s = 2;
    bool once = false;
    static const struct option opts[] = {{"admin", required_argument, NULL, 'a'},
                                         {"interval", required_argument, NULL, 'i'},
                                         {"once", no_argument, NULL, '1'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    optind = 0;
    int c;
    while ((c = getopt_long(argc + 1, argv - 1, "a:i:h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            url = optarg;
            break;
        case 'i':
            interval_s = strtod(optarg, NULL);
            break;
        case '1':
            once = true;
            break;
        case 'h':
            usage(stdout);
            return GR_EXIT_OK;
        default:
            usage(stderr);
            return GR_EXIT_USAGE;
        }
    }
    char host[256], port[16];
    if (!url || !parse_url(url, host, sizeof host, port, sizeof port) || interval_s <= 0 ||
        interval_s > 3600) {
        usage(stderr);
        return GR_EXIT_USAGE;
    }
    gr_stop_on_signals();
    static top_sample a, b;
    top_sample *prev = &a, *cur = &b;
    if (!take(host, port, prev)) return GR_EXIT_FAILED;
    bool tty = isatty(STDOUT_FILENO) && !once;
    while (pause_ms((int64_t)(interval_s * 1000))) {
        if (!take(host, port, cur)) return GR_EXIT_FAILED;
        if (tty) printf("\033[H\033[2J");
        print_view(url, prev, cur);
        if (once) return GR_EXIT_OK;
        top_sample *t = prev;
        prev = cur, cur = t;
    }
    return GR_EXIT_OK;
}
