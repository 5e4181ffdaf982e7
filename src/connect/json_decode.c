/*
 * json_decode.c: recursive-descent JSON decoder with bounds checks on every byte (json_decode.h).
 *
 * One cursor (`pos` against `len`) is the only way to the input; every production checks the
 * remaining length before reading, and the first failure records its reason and unwinds through a
 * single error flag. Nodes and decoded strings come from the document's arena (base/arena.h).
 */
#include "connect/json_decode.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parser {
    gr_jdoc *doc;
    const unsigned char *s;
    size_t len, pos;
    bool failed;
} parser;

static void *arena_alloc(gr_jdoc *doc, size_t size) { return gr_arena_alloc(&doc->arena, size); }

static void fail(parser *p, const char *why) {
    if (p->failed) return;
    p->failed = true;
    snprintf(p->doc->error, sizeof p->doc->error, "%s at byte %zu", why, p->pos);
}

static void skip_space(parser *p) {
    while (p->pos < p->len) {
        unsigned char ch = p->s[p->pos];
        if (ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r') break;
        p->pos++;
    }
}

static bool take_word(parser *p, const char *word) {
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) {
        fail(p, "invalid literal");
        return false;
    }
    p->pos += n;
    return true;
}

static int hex_digit(unsigned char ch) {
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits after "\u"; returns the code unit or -1. */
static long read_hex4(parser *p) {
    if (p->len - p->pos < 4) return -1;
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(p->s[p->pos + (size_t)i]);
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    p->pos += 4;
    return v;
}

static size_t put_utf8(unsigned char *out, uint32_t cp) {
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | (cp >> 18));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the valid UTF-8 sequence at s[0..avail), or 0 when it is not valid. */
static size_t utf8_sequence(const unsigned char *s, size_t avail) {
    unsigned char c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (avail < n) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* Parses a string starting at the opening quote; the decoded text goes to the arena. */
static bool parse_string(parser *p, const char **out, size_t *out_len) {
    p->pos++; /* opening quote */
    size_t start = p->pos, raw_len = 0;
    /* First pass: find the closing quote, so the output size is known (never larger than input). */
    while (start + raw_len < p->len && p->s[start + raw_len] != '"') {
        if (p->s[start + raw_len] == '\\') raw_len++;
        raw_len++;
    }
    if (start + raw_len >= p->len) {
        fail(p, "unterminated string");
        return false;
    }
    unsigned char *buf = arena_alloc(p->doc, raw_len + 1);
    if (!buf) {
        fail(p, "out of memory");
        return false;
    }
    size_t n = 0, end = start + raw_len;
    while (p->pos < end) {
        unsigned char ch = p->s[p->pos];
        if (ch < 0x20) {
            fail(p, "control character in string");
            return false;
        }
        if (ch != '\\') {
            size_t seq = utf8_sequence(p->s + p->pos, end - p->pos);
            if (!seq) {
                fail(p, "invalid UTF-8 in string");
                return false;
            }
            memcpy(buf + n, p->s + p->pos, seq);
            n += seq;
            p->pos += seq;
            continue;
        }
        p->pos++;
        if (p->pos >= end) {
            fail(p, "bad escape");
            return false;
        }
        ch = p->s[p->pos++];
        switch (ch) {
        case '"':
            buf[n++] = '"';
            break;
        case '\\':
            buf[n++] = '\\';
            break;
        case '/':
            buf[n++] = '/';
            break;
        case 'b':
            buf[n++] = '\b';
            break;
        case 'f':
            buf[n++] = '\f';
            break;
        case 'n':
            buf[n++] = '\n';
            break;
        case 'r':
            buf[n++] = '\r';
            break;
        case 't':
            buf[n++] = '\t';
            break;
        case 'u': {
            long hi = p->pos <= end ? read_hex4(p) : -1;
            if (hi < 0 || p->pos > end) {
                fail(p, "bad \\u escape");
                return false;
            }
            uint32_t cp = (uint32_t)hi;
            if (hi >= 0xDC00 && hi <= 0xDFFF) {
                fail(p, "lone low surrogate");
                return false;
            }
            if (hi >= 0xD800 && hi <= 0xDBFF) {
                if (end - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
                    fail(p, "lone high surrogate");
                    return false;
                }
                p->pos += 2;
                long lo = read_hex4(p);
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    fail(p, "bad surrogate pair");
                    return false;
                }
                cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
            }
            /* 6 input bytes give at most 3 output bytes, a 12-byte pair gives 4: fits. */
            n += put_utf8(buf + n, cp);
            break;
        }
        default:
            fail(p, "bad escape");
            return false;
        }
    }
    buf[n] = '\0';
    p->pos = end + 1; /* closing quote */
    *out = (const char *)buf;
    *out_len = n;
    return true;
}

static bool is_digit(unsigned char ch) { return ch >= '0' && ch <= '9'; }

static bool parse_number(parser *p, gr_jval *v) {
    size_t start = p->pos;
    bool integral = true;
    if (p->pos < p->len && p->s[p->pos] == '-') p->pos++;
    if (p->pos >= p->len || !is_digit(p->s[p->pos])) {
        fail(p, "invalid number");
        return false;
    }
    if (p->s[p->pos] == '0') {
        p->pos++;
    } else {
        while (p->pos < p->len && is_digit(p->s[p->pos])) p->pos++;
    }
    if (p->pos < p->len && p->s[p->pos] == '.') {
        integral = false;
        p->pos++;
        if (p->pos >= p->len || !is_digit(p->s[p->pos])) {
            fail(p, "invalid number");
            return false;
        }
        while (p->pos < p->len && is_digit(p->s[p->pos])) p->pos++;
    }
    if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        integral = false;
        p->pos++;
        if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
        if (p->pos >= p->len || !is_digit(p->s[p->pos])) {
            fail(p, "invalid number");
            return false;
        }
        while (p->pos < p->len && is_digit(p->s[p->pos])) p->pos++;
    }
    size_t n = p->pos - start;
    char *text = arena_alloc(p->doc, n + 1);
    if (!text) {
        fail(p, "out of memory");
        return false;
    }
    memcpy(text, p->s + start, n);
    text[n] = '\0';
    v->type = GR_JNUMBER;
    v->str = text;
    v->str_len = n;
    v->number = strtod(text, NULL);
    if (integral) {
        errno = 0;
        long long i = strtoll(text, NULL, 10);
        if (errno == 0) {
            v->is_integer = true;
            v->integer = i;
        }
    }
    return true;
}

static gr_jval *parse_value(parser *p, int depth);

static bool parse_container(parser *p, gr_jval *v, int depth, bool object) {
    if (depth >= GR_JSON_NESTING_MAX) {
        fail(p, "nesting too deep");
        return false;
    }
    v->type = object ? GR_JOBJECT : GR_JARRAY;
    unsigned char close = object ? '}' : ']';
    p->pos++;
    skip_space(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return true;
    }
    gr_jval **tail = &v->first_child;
    for (;;) {
        const char *key = NULL;
        size_t key_len = 0;
        if (object) {
            skip_space(p);
            if (p->pos >= p->len || p->s[p->pos] != '"') {
                fail(p, "expected member name");
                return false;
            }
            if (!parse_string(p, &key, &key_len)) return false;
            skip_space(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                fail(p, "expected ':'");
                return false;
            }
            p->pos++;
        }
        gr_jval *child = parse_value(p, depth + 1);
        if (!child) return false;
        child->key = key;
        child->key_len = key_len;
        *tail = child;
        tail = &child->next;
        v->child_count++;
        skip_space(p);
        if (p->pos >= p->len) {
            fail(p, object ? "unterminated object" : "unterminated array");
            return false;
        }
        unsigned char ch = p->s[p->pos++];
        if (ch == close) return true;
        if (ch != ',') {
            p->pos--;
            fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
            return false;
        }
    }
}

static gr_jval *parse_value(parser *p, int depth) {
    skip_space(p);
    if (p->pos >= p->len) {
        fail(p, "unexpected end of input");
        return NULL;
    }
    gr_jval *v = arena_alloc(p->doc, sizeof *v);
    if (!v) {
        fail(p, "out of memory");
        return NULL;
    }
    size_t start = p->pos;
    bool ok;
    switch (p->s[p->pos]) {
    case '{':
        ok = parse_container(p, v, depth, true);
        break;
    case '[':
        ok = parse_container(p, v, depth, false);
        break;
    case '"':
        v->type = GR_JSTRING;
        ok = parse_string(p, &v->str, &v->str_len);
        break;
    case 't':
        v->type = GR_JBOOL;
        v->boolean = true;
        ok = take_word(p, "true");
        break;
    case 'f':
        v->type = GR_JBOOL;
        ok = take_word(p, "false");
        break;
    case 'n':
        v->type = GR_JNULL;
        ok = take_word(p, "null");
        break;
    default:
        ok = parse_number(p, v);
        break;
    }
    if (!ok) return NULL;
    v->raw = (const char *)p->s + start;
    v->raw_len = p->pos - start;
    return v;
}

int gr_jdoc_parse(gr_jdoc *doc, const char *text, size_t len) {
    memset(doc, 0, sizeof *doc);
    gr_arena_init(&doc->arena, GR_JSON_ARENA_BYTES_MAX);
    parser p = {doc, (const unsigned char *)text, len, 0, false};
    if (len > GR_JSON_INPUT_BYTES_MAX) {
        fail(&p, "document too large");
        return -1;
    }
    gr_jval *root = parse_value(&p, 0);
    if (!root) return -1;
    skip_space(&p);
    if (p.pos != len) {
        fail(&p, "trailing bytes after the value");
        return -1;
    }
    doc->root = root;
    return 0;
}

void gr_jdoc_free(gr_jdoc *doc) {
    gr_arena_free(&doc->arena);
    doc->root = NULL;
}

const gr_jval *gr_jval_member(const gr_jval *obj, const char *name, size_t name_len) {
    if (!obj || obj->type != GR_JOBJECT) return NULL;
    for (const gr_jval *c = obj->first_child; c; c = c->next)
        if (c->key_len == name_len && memcmp(c->key, name, name_len) == 0) return c;
    return NULL;
}

const gr_jval *gr_jval_element(const gr_jval *arr, size_t index) {
    if (!arr || arr->type != GR_JARRAY) return NULL;
    const gr_jval *c = arr->first_child;
    for (size_t i = 0; c && i < index; i++) c = c->next;
    return c;
}
