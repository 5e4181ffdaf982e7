/*
 * json.c: the streaming JSON writer behind json.h.
 */
#include "cli/json.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

void gr_json_init(gr_json *j, FILE *out) {
    memset(j, 0, sizeof *j);
    j->out = out;
}

/* Writes the comma that separates this value from the previous one at the same level. */
static void before_value(gr_json *j) {
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->need_comma[j->depth]) fputc(',', j->out);
    j->need_comma[j->depth] = true;
}

static void open_value(gr_json *j, char c) {
    before_value(j);
    fputc(c, j->out);
    if (j->depth + 1 < GR_JSON_DEPTH_MAX) j->depth++;
    j->need_comma[j->depth] = false;
}

static void close_value(gr_json *j, char c) {
    fputc(c, j->out);
    if (j->depth > 0) j->depth--;
}

void gr_json_obj_begin(gr_json *j) { open_value(j, '{'); }
void gr_json_obj_end(gr_json *j) { close_value(j, '}'); }
void gr_json_arr_begin(gr_json *j) { open_value(j, '['); }
void gr_json_arr_end(gr_json *j) { close_value(j, ']'); }

void gr_json_escape(FILE *out, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    size_t run = 0; /* bytes at s[i - run .. i) that need no escape, written in one go */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
            run++;
            continue;
        }
        if (run) fwrite(s + i - run, 1, run, out);
        run = 0;
        switch (c) {
        case '"':
            fputs("\\\"", out);
            break;
        case '\\':
            fputs("\\\\", out);
            break;
        case '\n':
            fputs("\\n", out);
            break;
        case '\r':
            fputs("\\r", out);
            break;
        case '\t':
            fputs("\\t", out);
            break;
        case '\b':
            fputs("\\b", out);
            break;
        case '\f':
            fputs("\\f", out);
            break;
        default:
            fputs("\\u00", out);
            fputc(hex[c >> 4], out);
            fputc(hex[c & 15], out);
        }
    }
    if (run) fwrite(s + len - run, 1, run, out);
}

void gr_json_key(gr_json *j, const char *key) {
    before_value(j);
    fputc('"', j->out);
    gr_json_escape(j->out, key, strlen(key));
    fputs("\":", j->out);
    j->after_key = true;
}

void gr_json_strn(gr_json *j, const char *s, size_t len) {
    before_value(j);
    fputc('"', j->out);
    gr_json_escape(j->out, s, len);
    fputc('"', j->out);
}

void gr_json_str(gr_json *j, const char *s) {
    if (!s)
        gr_json_null(j);
    else
        gr_json_strn(j, s, strlen(s));
}

void gr_json_i64(gr_json *j, int64_t v) {
    before_value(j);
    fprintf(j->out, "%" PRId64, v);
}

void gr_json_f64(gr_json *j, double v) {
    if (!isfinite(v)) {
        gr_json_null(j);
        return;
    }
    /* Fixed notation with trailing zeros dropped: 0.25, 1178480.5, 3 (never 1.2e+06). */
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%.6f", v);
    if (n <= 0 || (size_t)n >= sizeof buf) n = snprintf(buf, sizeof buf, "%.17g", v);
    if (strchr(buf, '.') && !strchr(buf, 'e')) {
        while (n > 0 && buf[n - 1] == '0') buf[--n] = '\0';
        if (n > 0 && buf[n - 1] == '.') buf[--n] = '\0';
    }
    before_value(j);
    fputs(buf, j->out);
}

void gr_json_bool(gr_json *j, bool v) {
    before_value(j);
    fputs(v ? "true" : "false", j->out);
}

void gr_json_null(gr_json *j) {
    before_value(j);
    fputs("null", j->out);
}

void gr_json_newline(gr_json *j) {
    fputc('\n', j->out);
    j->depth = 0;
    j->need_comma[0] = false;
    j->after_key = false;
}

void gr_json_kstr(gr_json *j, const char *key, const char *s) {
    gr_json_key(j, key);
    gr_json_str(j, s);
}

void gr_json_ki64(gr_json *j, const char *key, int64_t v) {
    gr_json_key(j, key);
    gr_json_i64(j, v);
}

void gr_json_kf64(gr_json *j, const char *key, double v) {
    gr_json_key(j, key);
    gr_json_f64(j, v);
}

void gr_json_kbool(gr_json *j, const char *key, bool v) {
    gr_json_key(j, key);
    gr_json_bool(j, v);
}

bool gr_utf8_valid(const uint8_t *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        uint32_t cp;
        if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= n) return false;
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        /* Reject overlong forms, surrogates and values past U+10FFFF. */
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return false;
        if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return false;
        i += n + 1;
    }
    return true;
}

void gr_base64_write(FILE *out, const uint8_t *s, size_t len) {
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        char q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], tbl[v & 63]};
        fwrite(q, 1, 4, out);
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        char q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], '=', '='};
        fwrite(q, 1, 4, out);
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        char q[4] = {tbl[v >> 18], tbl[(v >> 12) & 63], tbl[(v >> 6) & 63], '='};
        fwrite(q, 1, 4, out);
    }
}

void gr_json_bytes_field(gr_json *j, const char *name, const void *data, size_t len) {
    gr_json_key(j, name);
    if (!data) {
        gr_json_null(j);
        return;
    }
    if (gr_utf8_valid(data, len)) {
        gr_json_strn(j, data, len);
        return;
    }
    before_value(j);
    fputc('"', j->out);
    gr_base64_write(j->out, data, len);
    fputc('"', j->out);
    char enc_key[128];
    snprintf(enc_key, sizeof enc_key, "%s_encoding", name);
    gr_json_kstr(j, enc_key, "base64");
}
