/*
 * options.c: the option parser, help printer and value parsers behind options.h.
 */
#include "cli/options.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
    COMMON_BOOTSTRAP = -100,
    COMMON_ZOOKEEPER,
    COMMON_CONF,
    COMMON_TIMEOUT,
    COMMON_JSON,
    COMMON_VERBOSE,
    COMMON_HELP,
};

static const gr_opt_spec common_specs[] = {
    {COMMON_BOOTSTRAP, "bootstrap-server", 'b', "HOST:PORT",
     "brokers to contact first (default: $" GR_CLI_BOOTSTRAP_ENV " or " GR_CLI_BOOTSTRAP_DEFAULT ")"},
    {COMMON_ZOOKEEPER, "zookeeper", 0, "HOST:PORT[/CHROOT]",
     "find the brokers in ZooKeeper (their /brokers/ids registrations) instead of -b"},
    {COMMON_CONF, "property", 'X', "KEY=VALUE", "set any librdkafka property (repeatable)"},
    {COMMON_TIMEOUT, "request-timeout-ms", 0, "MS", "how long to wait for the cluster (default 10000)"},
    {COMMON_JSON, "json", 0, NULL, "machine-readable JSON output"},
    {COMMON_VERBOSE, "verbose", 'v', NULL, "show librdkafka's log lines"},
    {COMMON_HELP, "help", 'h', NULL, "show this help"},
    {0, NULL, 0, NULL, NULL},
};

static const gr_opt_spec *find_long(const gr_opt_spec *specs, const char *name, size_t len) {
    for (const gr_opt_spec *s = specs; s && s->long_name; s++)
        if (strlen(s->long_name) == len && !strncmp(s->long_name, name, len)) return s;
    return NULL;
}

static const gr_opt_spec *find_short(const gr_opt_spec *specs, char c) {
    for (const gr_opt_spec *s = specs; s && s->long_name; s++)
        if (s->short_name && s->short_name == c) return s;
    return NULL;
}

static void print_usage_line(FILE *out, const gr_tool_help *tool) {
    fprintf(out, "usage: gregor %s %s\n", tool->command, tool->usage ? tool->usage : "[options]");
}

int gr_usage_error(const gr_tool_help *tool, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "gregor %s: ", tool->command);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    print_usage_line(stderr, tool);
    fprintf(stderr, "Try 'gregor %s --help' for more information.\n", tool->command);
    return -1;
}

static void print_spec(FILE *out, const gr_opt_spec *s) {
    char left[96];
    int n;
    if (s->short_name)
        n = snprintf(left, sizeof left, "  -%c, --%s", s->short_name, s->long_name);
    else
        n = snprintf(left, sizeof left, "      --%s", s->long_name);
    if (s->arg_name && n > 0 && (size_t)n < sizeof left)
        snprintf(left + n, sizeof left - (size_t)n, " %s", s->arg_name);
    if (strlen(left) >= 32)
        fprintf(out, "%s\n%-32s  %s\n", left, "", s->help);
    else
        fprintf(out, "%-32s  %s\n", left, s->help);
}

void gr_cli_print_help(FILE *out, const gr_tool_help *tool, const gr_opt_spec *specs) {
    print_usage_line(out, tool);
    if (tool->description) fprintf(out, "\n%s\n", tool->description);
    if (specs && specs->long_name) {
        fprintf(out, "\noptions:\n");
        for (const gr_opt_spec *s = specs; s->long_name; s++) print_spec(out, s);
    }
    fprintf(out, "\ncommon options:\n");
    for (const gr_opt_spec *s = common_specs; s->long_name; s++) print_spec(out, s);
    if (tool->examples) fprintf(out, "\nexamples:\n%s", tool->examples);
    fprintf(out, "\nexit codes: 0 ok, 1 failed, 2 usage error, 3 not found, 4 cluster unreachable\n");
}

static int add_conf(gr_cli_common *c, const char *kv) {
    char key[256];
    const char *value;
    if (gr_split_kv(kv, key, sizeof key, &value) < 0)
        return gr_usage_error(c->tool, "-X expects KEY=VALUE, got '%s'", kv);
    if (c->conf_count >= GR_CLI_CONF_MAX_ENTRIES)
        return gr_usage_error(c->tool, "too many -X properties (at most %d)", GR_CLI_CONF_MAX_ENTRIES);
    char *copy = strdup(key);
    if (!copy) return gr_usage_error(c->tool, "out of memory");
    c->conf[c->conf_count].key = copy;
    c->conf[c->conf_count].value = value;
    c->conf_count++;
    return 0;
}

static int handle_common(gr_cli_common *c, int id, const char *value) {
    int64_t v;
    switch (id) {
    case COMMON_BOOTSTRAP:
        c->bootstrap = value;
        c->bootstrap_given = true;
        return 0;
    case COMMON_ZOOKEEPER:
        if (!*value) return gr_usage_error(c->tool, "--zookeeper needs HOST:PORT[/CHROOT]");
        c->zookeeper = value;
        return 0;
    case COMMON_CONF:
        return add_conf(c, value);
    case COMMON_TIMEOUT:
        if (gr_opt_i64(c->tool, "--request-timeout-ms", value, 1, 3600 * 1000, &v) < 0) return -1;
        c->request_timeout_ms = (int)v;
        return 0;
    case COMMON_JSON:
        c->json = true;
        return 0;
    case COMMON_VERBOSE:
        c->verbose = true;
        return 0;
    default:
        return 0;
    }
}

/* Looks an option up in the tool's table first, then in the common one. */
static const gr_opt_spec *lookup(const gr_opt_spec *specs, const char *name, size_t len, char short_name) {
    const gr_opt_spec *s;
    if (short_name) {
        s = find_short(specs, short_name);
        return s ? s : find_short(common_specs, short_name);
    }
    s = find_long(specs, name, len);
    return s ? s : find_long(common_specs, name, len);
}

int gr_cli_parse(int argc, char **argv, const gr_tool_help *tool, const gr_opt_spec *specs, gr_opt_fn fn,
                 void *ud, gr_cli_common *c) {
    memset(c, 0, sizeof *c);
    c->tool = tool;
    c->request_timeout_ms = GR_CLI_REQUEST_TIMEOUT_MS_DEFAULT;
    const char *env = getenv(GR_CLI_BOOTSTRAP_ENV);
    c->bootstrap = env && *env ? env : GR_CLI_BOOTSTRAP_DEFAULT;
    c->args = calloc((size_t)argc + 1, sizeof *c->args);
    if (!c->args) {
        fprintf(stderr, "gregor %s: out of memory\n", tool->command);
        return GR_PARSE_USAGE;
    }
    bool help = false, options_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || a[0] != '-' || a[1] == '\0') {
            c->args[c->arg_count++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            options_done = true;
            continue;
        }
        const gr_opt_spec *s;
        const char *value = NULL;
        bool is_long = a[1] == '-';
        if (is_long) {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            s = lookup(specs, name, len, 0);
            if (!s) {
                gr_usage_error(tool, "unknown option '--%.*s'", (int)len, name);
                return GR_PARSE_USAGE;
            }
            if (eq) {
                if (!s->arg_name) {
                    gr_usage_error(tool, "option '--%s' takes no value", s->long_name);
                    return GR_PARSE_USAGE;
                }
                value = eq + 1;
            }
        } else {
            s = lookup(specs, NULL, 0, a[1]);
            if (!s) {
                gr_usage_error(tool, "unknown option '-%c'", a[1]);
                return GR_PARSE_USAGE;
            }
            if (a[2] != '\0') {
                if (!s->arg_name) {
                    gr_usage_error(tool, "option '-%c' takes no value (write separate flags)", a[1]);
                    return GR_PARSE_USAGE;
                }
                value = a + 2;
            }
        }
        if (s->arg_name && !value) {
            if (i + 1 >= argc) {
                gr_usage_error(tool, "option '--%s' needs a value (%s)", s->long_name, s->arg_name);
                return GR_PARSE_USAGE;
            }
            value = argv[++i];
        }
        if (s->id == COMMON_HELP) {
            help = true;
        } else if (s->id < 0) {
            if (handle_common(c, s->id, value) < 0) return GR_PARSE_USAGE;
        } else if (fn && fn(ud, s->id, value, c) < 0) {
            return GR_PARSE_USAGE;
        }
    }
    if (help) {
        gr_cli_print_help(stdout, tool, specs);
        return GR_PARSE_HELP;
    }
    if (c->zookeeper && c->bootstrap_given) {
        gr_usage_error(tool, "give either --bootstrap-server or --zookeeper, not both");
        return GR_PARSE_USAGE;
    }
    return GR_PARSE_OK;
}

void gr_cli_common_free(gr_cli_common *c) {
    for (int i = 0; i < c->conf_count; i++) free(c->conf[i].key);
    c->conf_count = 0;
    free(c->args);
    c->args = NULL;
}

int gr_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out) {
    if (!s || !*s || isspace((unsigned char)*s)) return -1;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno || !end || *end != '\0' || v < min || v > max) return -1;
    *out = v;
    return 0;
}

int gr_parse_i32(const char *s, int32_t min, int32_t max, int32_t *out) {
    int64_t v;
    if (gr_parse_i64(s, min, max, &v) < 0) return -1;
    *out = (int32_t)v;
    return 0;
}

int gr_opt_i64(const gr_tool_help *tool, const char *opt, const char *s, int64_t min, int64_t max,
               int64_t *out) {
    if (gr_parse_i64(s, min, max, out) == 0) return 0;
    return gr_usage_error(tool, "%s expects an integer from %lld to %lld, got '%s'", opt, (long long)min,
                          (long long)max, s);
}

int gr_opt_i32(const gr_tool_help *tool, const char *opt, const char *s, int32_t min, int32_t max,
               int32_t *out) {
    int64_t v;
    if (gr_opt_i64(tool, opt, s, min, max, &v) < 0) return -1;
    *out = (int32_t)v;
    return 0;
}

int gr_split_kv(const char *s, char *key, size_t key_cap, const char **value) {
    const char *eq = strchr(s, '=');
    if (!eq || eq == s || (size_t)(eq - s) >= key_cap) return -1;
    memcpy(key, s, (size_t)(eq - s));
    key[eq - s] = '\0';
    *value = eq + 1;
    return 0;
}

/* Reads exactly `n` digits; returns -1 when they are not there. */
static int read_digits(const char **p, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)**p)) return -1;
        v = v * 10 + (**p - '0');
        (*p)++;
    }
    return v;
}

int gr_parse_datetime_ms(const char *s, int64_t *out_ms) {
    const char *p = s;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int year = read_digits(&p, 4);
    if (year < 0 || *p++ != '-') return -1;
    int month = read_digits(&p, 2);
    if (month < 1 || month > 12 || *p++ != '-') return -1;
    int day = read_digits(&p, 2);
    if (day < 1 || day > 31 || (*p != 'T' && *p != ' ')) return -1;
    p++;
    int hour = read_digits(&p, 2);
    if (hour < 0 || hour > 23 || *p++ != ':') return -1;
    int minute = read_digits(&p, 2);
    if (minute < 0 || minute > 59) return -1;
    int second = 0, millis = 0;
    if (*p == ':') {
        p++;
        second = read_digits(&p, 2);
        if (second < 0 || second > 60) return -1;
        if (*p == '.') {
            p++;
            int digits = 0;
            while (isdigit((unsigned char)*p)) {
                if (digits < 3) millis = millis * 10 + (*p - '0');
                digits++;
                p++;
            }
            if (digits == 0) return -1;
            for (; digits < 3; digits++) millis *= 10;
        }
    }
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    time_t t;
    if (*p == '\0') {
        tm.tm_isdst = -1;
        t = mktime(&tm);
    } else {
        int offset_min = 0;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1;
            int oh = read_digits(&p, 2);
            if (oh < 0 || oh > 18) return -1;
            if (*p == ':') p++;
            int om = read_digits(&p, 2);
            if (om < 0 || om > 59) return -1;
            offset_min = sign * (oh * 60 + om);
        } else {
            return -1;
        }
        if (*p != '\0') return -1;
        t = timegm(&tm) - (time_t)offset_min * 60;
    }
    if (t == (time_t)-1 && !(year == 1969 && month == 12 && day == 31)) return -1;
    *out_ms = (int64_t)t * 1000 + millis;
    return 0;
}
