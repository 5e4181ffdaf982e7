/* http_request.c: see http_request.h. */
#include "broker/http_request.h"

#include <stdbool.h>
#include <string.h>

static const char *find_head_end(const char *d, size_t len) {
    for (size_t i = 0; i + 3 < len; i++)
        if (d[i] == '\r' && d[i + 1] == '\n' && d[i + 2] == '\r' && d[i + 3] == '\n') return d + i;
    return NULL;
}

static int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Percent-decodes [p, end) into out; false on a bad escape, a NUL, or no room. */
static bool decode_path(const char *p, const char *end, char *out, size_t cap) {
    size_t n = 0;
    while (p < end) {
        int c = (unsigned char)*p++;
        if (c == '%') {
            if (end - p < 2 || hex(p[0]) < 0 || hex(p[1]) < 0) return false;
            c = hex(p[0]) * 16 + hex(p[1]);
            p += 2;
        }
        if (c == 0 || n + 1 >= cap) return false;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    return true;
}

static bool token_char(char c) { return c > 0x20 && c < 0x7f && !strchr("()<>@,;:\\\"/[]?={}", c); }

gr_http_parse_result gr_http_parse(const char *data, size_t len, gr_http_request *out) {
    size_t scan = len < GR_HTTP_HEAD_MAX_BYTES ? len : GR_HTTP_HEAD_MAX_BYTES;
    const char *end = find_head_end(data, scan);
    if (!end) return len >= GR_HTTP_HEAD_MAX_BYTES ? GR_HTTP_TOO_LARGE : GR_HTTP_INCOMPLETE;
    memset(out, 0, sizeof *out);
    /* Request line: METHOD SP target SP HTTP/1.x CRLF */
    const char *p = data, *line_end = memchr(data, '\r', (size_t)(end - data) + 1);
    if (!line_end || line_end[1] != '\n') return GR_HTTP_BAD;
    const char *sp1 = memchr(p, ' ', (size_t)(line_end - p));
    if (!sp1 || sp1 == p || (size_t)(sp1 - p) >= sizeof out->method) return GR_HTTP_BAD;
    for (const char *q = p; q < sp1; q++)
        if (!token_char(*q)) return GR_HTTP_BAD;
    memcpy(out->method, p, (size_t)(sp1 - p));
    const char *target = sp1 + 1;
    const char *sp2 = memchr(target, ' ', (size_t)(line_end - target));
    if (!sp2 || sp2 == target || target[0] != '/') return GR_HTTP_BAD;
    if ((size_t)(line_end - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/1.", 7) != 0 || sp2[8] < '0' ||
        sp2[8] > '9')
        return GR_HTTP_BAD;
    out->minor_version = sp2[8] - '0';
    size_t target_len = 0;
    for (const char *q = target; q < sp2; q++, target_len++)
        if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f) return GR_HTTP_BAD;
    const char *qmark = memchr(target, '?', target_len);
    const char *path_end = qmark ? qmark : sp2;
    if (!decode_path(target, path_end, out->path, sizeof out->path)) return GR_HTTP_BAD;
    if (qmark) {
        size_t qn = (size_t)(sp2 - qmark - 1);
        if (qn >= sizeof out->query) return GR_HTTP_BAD;
        memcpy(out->query, qmark + 1, qn);
    }
    /* Header lines: name ":" value CRLF, names as tokens; no obsolete line folding. */
    p = line_end + 2;
    while (p < end + 2) {
        const char *le = memchr(p, '\r', (size_t)(end + 2 - p));
        if (!le || le[1] != '\n') return GR_HTTP_BAD;
        if (le == p) break; /* the blank line */
        const char *colon = memchr(p, ':', (size_t)(le - p));
        if (!colon || colon == p) return GR_HTTP_BAD;
        for (const char *q = p; q < colon; q++)
            if (!token_char(*q)) return GR_HTTP_BAD;
        for (const char *q = colon + 1; q < le; q++)
            if ((unsigned char)*q < 0x20 && *q != '\t') return GR_HTTP_BAD;
        p = le + 2;
    }
    return GR_HTTP_OK;
}
