/*
 * json_reader.c: the bounds-checked JSON scanner behind json_reader.h.
 *
 * scan_value() is the only place that understands the grammar: it returns the end of the value
 * that starts at p, or NULL. Everything else walks containers with it, so a range handed out
 * by gr_json_parse() is always re-scanned by the same checks.
 */
#include "base/json_reader.h"

#include <string.h>

static const char *skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Four hex digits at p (p + 4 <= end checked by the caller); -1 when not hex. */
static int32_t read_hex4(const char *p) {
    int32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_digit(p[i]);
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

static const char *scan_string(const char *p, const char *end) {
    if (p >= end || *p != '"') return NULL;
    for (p++; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') return p + 1;
        if (c < 0x20) return NULL;
        if (c != '\\') continue;
        if (++p >= end) return NULL;
        switch (*p) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            break;
        case 'u':
            if (end - p < 5 || read_hex4(p + 1) < 0) return NULL;
            p += 4;
            break;
        default:
            return NULL;
        }
    }
    return NULL;
}

static const char *scan_digits(const char *p, const char *end) {
    const char *start = p;
    while (p < end && *p >= '0' && *p <= '9') p++;
    return p > start ? p : NULL;
}

static const char *scan_number(const char *p, const char *end) {
    if (p < end && *p == '-') p++;
    if (p < end && *p == '0')
        p++;
    else if (!(p = scan_digits(p, end)))
        return NULL;
    if (p < end && *p == '.' && !(p = scan_digits(p + 1, end))) return NULL;
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (!(p = scan_digits(p, end))) return NULL;
    }
    return p;
}

static const char *scan_literal(const char *p, const char *end, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(end - p) < n || memcmp(p, word, n) != 0) return NULL;
    return p + n;
}

static const char *scan_value(const char *p, const char *end, int depth, gr_json_type *type);

/* An array or object starting at p (on its opening bracket). */
static const char *scan_container(const char *p, const char *end, int depth, bool object) {
    char close = object ? '}' : ']';
    gr_json_type ignored;
    p = skip_ws(p + 1, end);
    if (p < end && *p == close) return p + 1;
    for (size_t member = 0; member < (size_t)(end - p) + 1; member++) {
        if (object) {
            if (!(p = scan_string(p, end))) return NULL;
            p = skip_ws(p, end);
            if (p >= end || *p != ':') return NULL;
            p = skip_ws(p + 1, end);
        }
        if (!(p = scan_value(p, end, depth + 1, &ignored))) return NULL;
        p = skip_ws(p, end);
        if (p >= end) return NULL;
        if (*p == close) return p + 1;
        if (*p != ',') return NULL;
        p = skip_ws(p + 1, end);
    }
    return NULL;
}

static const char *scan_value(const char *p, const char *end, int depth, gr_json_type *type) {
    if (p >= end || depth >= GR_JSON_READER_DEPTH_MAX) return NULL;
    switch (*p) {
    case '{':
        *type = GR_JSON_OBJECT;
        return scan_container(p, end, depth, true);
    case '[':
        *type = GR_JSON_ARRAY;
        return scan_container(p, end, depth, false);
    case '"':
        *type = GR_JSON_STRING;
        return scan_string(p, end);
    case 't':
        *type = GR_JSON_BOOL;
        return scan_literal(p, end, "true");
    case 'f':
        *type = GR_JSON_BOOL;
        return scan_literal(p, end, "false");
    case 'n':
        *type = GR_JSON_NULL;
        return scan_literal(p, end, "null");
    default:
        *type = GR_JSON_NUMBER;
        return scan_number(p, end);
    }
}

bool gr_json_parse(const char *doc, size_t len, gr_json_value *out) {
    const char *end = doc + len;
    const char *p = skip_ws(doc, end);
    gr_json_type type;
    const char *value_end = scan_value(p, end, 0, &type);
    if (!value_end || skip_ws(value_end, end) != end) return false;
    out->type = type;
    out->ptr = p;
    out->len = (size_t)(value_end - p);
    return true;
}

/*
 * Walks to item `index` of a container: for an object, *key gets the member's key. A value
 * handed out by this file was scanned whole already, so a failure here means a forged range.
 */
static bool container_item(const gr_json_value *c, size_t index, gr_json_value *key, gr_json_value *out) {
    bool object = c->type == GR_JSON_OBJECT;
    if (!object && c->type != GR_JSON_ARRAY) return false;
    const char *end = c->ptr + c->len;
    const char *p = skip_ws(c->ptr + 1, end);
    for (size_t i = 0; p < end && i <= index && i < c->len; i++) {
        if (*p == (object ? '}' : ']')) return false;
        gr_json_value k = {GR_JSON_STRING, p, 0};
        if (object) {
            const char *key_end = scan_string(p, end);
            if (!key_end) return false;
            k.len = (size_t)(key_end - p);
            p = skip_ws(key_end, end);
            if (p >= end || *p != ':') return false;
            p = skip_ws(p + 1, end);
        }
        gr_json_value v;
        const char *value_end = scan_value(p, end, 1, &v.type);
        if (!value_end) return false;
        v.ptr = p;
        v.len = (size_t)(value_end - p);
        if (i == index) {
            if (key) *key = k;
            *out = v;
            return true;
        }
        p = skip_ws(value_end, end);
        if (p < end && *p == ',') p = skip_ws(p + 1, end);
    }
    return false;
}

bool gr_json_element(const gr_json_value *arr, size_t index, gr_json_value *out) {
    return arr->type == GR_JSON_ARRAY && container_item(arr, index, NULL, out);
}

bool gr_json_member_at(const gr_json_value *obj, size_t index, gr_json_value *key, gr_json_value *value) {
    return obj->type == GR_JSON_OBJECT && container_item(obj, index, key, value);
}

size_t gr_json_count(const gr_json_value *v) {
    gr_json_value key, item;
    size_t n = 0;
    while (n < v->len && container_item(v, n, &key, &item)) n++;
    return n;
}

bool gr_json_member(const gr_json_value *obj, const char *key, gr_json_value *out) {
    gr_json_value k, v;
    for (size_t i = 0; i < obj->len && gr_json_member_at(obj, i, &k, &v); i++)
        if (gr_json_string_equals(&k, key)) {
            *out = v;
            return true;
        }
    return false;
}

/* Appends code point cp as UTF-8 at out[*n], keeping room for the NUL. */
static bool put_utf8(char *out, size_t cap, size_t *n, uint32_t cp) {
    char b[4];
    size_t len;
    if (cp < 0x80) {
        b[0] = (char)cp;
        len = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        len = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        len = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        len = 4;
    }
    if (cap - *n <= len) return false;
    memcpy(out + *n, b, len);
    *n += len;
    return true;
}

/* The code point of the \u escape at p (on the 'u'), joining a surrogate pair; advances *p to
   the last hex digit read. Lone surrogates become U+FFFD. */
static uint32_t read_unicode_escape(const char **p, const char *end) {
    int32_t cp = read_hex4(*p + 1);
    *p += 4;
    if (cp >= 0xD800 && cp <= 0xDBFF && end - *p >= 7 && (*p)[1] == '\\' && (*p)[2] == 'u') {
        int32_t low = read_hex4(*p + 3);
        if (low >= 0xDC00 && low <= 0xDFFF) {
            *p += 6;
            return 0x10000 + (((uint32_t)cp - 0xD800) << 10) + ((uint32_t)low - 0xDC00);
        }
    }
    if (cp < 0 || (cp >= 0xD800 && cp <= 0xDFFF)) return 0xFFFD;
    return (uint32_t)cp;
}

bool gr_json_string(const gr_json_value *v, char *out, size_t cap) {
    if (v->type != GR_JSON_STRING || v->len < 2 || cap == 0) return false;
    const char *p = v->ptr + 1, *end = v->ptr + v->len - 1;
    size_t n = 0;
    for (; p < end; p++) {
        uint32_t cp;
        if (*p != '\\') {
            cp = (unsigned char)*p;
            if (cap - n <= 1) return false;
            out[n++] = *p;
            continue;
        }
        if (++p >= end) return false;
        switch (*p) {
        case 'b':
            cp = '\b';
            break;
        case 'f':
            cp = '\f';
            break;
        case 'n':
            cp = '\n';
            break;
        case 'r':
            cp = '\r';
            break;
        case 't':
            cp = '\t';
            break;
        case 'u':
            if (end - p < 5) return false;
            cp = read_unicode_escape(&p, end);
            break;
        default:
            cp = (unsigned char)*p;
            break;
        }
        if (cp == 0 || !put_utf8(out, cap, &n, cp)) return false;
    }
    out[n] = '\0';
    return true;
}

bool gr_json_string_equals(const gr_json_value *v, const char *s) {
    char buf[256];
    if (v->type != GR_JSON_STRING) return false;
    if (memchr(v->ptr, '\\', v->len) == NULL)
        return v->len >= 2 && v->len - 2 == strlen(s) && memcmp(v->ptr + 1, s, v->len - 2) == 0;
    return gr_json_string(v, buf, sizeof buf) && strcmp(buf, s) == 0;
}

bool gr_json_int(const gr_json_value *v, int64_t *out) {
    if (v->type != GR_JSON_NUMBER || v->len == 0) return false;
    const char *p = v->ptr, *end = v->ptr + v->len;
    bool negative = *p == '-';
    if (negative) p++;
    if (p >= end) return false;
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, acc = 0;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9') return false;
        uint64_t d = (uint64_t)(*p - '0');
        if (acc > (limit - d) / 10) return false;
        acc = acc * 10 + d;
    }
    *out = negative ? (acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc) : (int64_t)acc;
    return true;
}
