/* row_json.c: database values to JSON (see row_json.h). */
#include "connect/row_json.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "cli/json.h"

#define TIMESTAMP_TEXT_BYTES_MAX 64

static bool digits(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

void gr_timestamp_iso(const char *text, size_t len, char *buf, size_t cap) {
    if (cap == 0) return;
    size_t n = len < cap - 4 ? len : cap - 4;
    memcpy(buf, text, n);
    buf[n] = '\0';
    /* "YYYY-MM-DD HH..." -> "YYYY-MM-DDTHH..." */
    if (n >= 13 && digits(buf, 4) && buf[4] == '-' && buf[7] == '-' && buf[10] == ' ' && digits(buf + 11, 2))
        buf[10] = 'T';
    /* A zone of whole hours ("+02", "-05") -> "+02:00". */
    if (n >= 19 && buf[10] == 'T' && (buf[n - 3] == '+' || buf[n - 3] == '-') && digits(buf + n - 2, 2)) {
        memcpy(buf + n, ":00", 4);
    }
}

void gr_dbv_json_write(FILE *out, const gr_dbv *v) {
    switch (v->kind) {
    case GR_DBV_NULL:
        fputs("null", out);
        break;
    case GR_DBV_INT:
        fprintf(out, "%" PRId64, v->i);
        break;
    case GR_DBV_BOOL:
        fputs(v->i ? "true" : "false", out);
        break;
    case GR_DBV_FLOAT:
        if (isfinite(v->f))
            fprintf(out, "%.17g", v->f);
        else
            fputs("null", out);
        break;
    case GR_DBV_NUMERIC:
        /* NaN and the infinities are not JSON numbers. */
        if (v->len && strspn(v->text, "-+0123456789.eE") == v->len)
            fwrite(v->text, 1, v->len, out);
        else
            fputs("null", out);
        break;
    case GR_DBV_JSON:
        fwrite(v->text, 1, v->len, out);
        break;
    case GR_DBV_TIMESTAMP: {
        char iso[TIMESTAMP_TEXT_BYTES_MAX];
        gr_timestamp_iso(v->text, v->len, iso, sizeof iso);
        fputc('"', out);
        gr_json_escape(out, iso, strlen(iso));
        fputc('"', out);
        break;
    }
    case GR_DBV_BLOB:
        fputc('"', out);
        gr_base64_write(out, (const uint8_t *)v->text, v->len);
        fputc('"', out);
        break;
    default:
        fputc('"', out);
        gr_json_escape(out, v->text, v->len);
        fputc('"', out);
        break;
    }
}

void gr_row_json_write(FILE *out, int columns, const char *const *names, const gr_dbv *values) {
    fputc('{', out);
    for (int c = 0; c < columns; c++) {
        if (c) fputc(',', out);
        fputc('"', out);
        gr_json_escape(out, names[c], strlen(names[c]));
        fputs("\":", out);
        gr_dbv_json_write(out, &values[c]);
        if (values[c].kind == GR_DBV_BLOB) {
            fputc(',', out);
            fputc('"', out);
            gr_json_escape(out, names[c], strlen(names[c]));
            fputs("_encoding\":\"base64\"", out);
        }
    }
    fputc('}', out);
}

size_t gr_dbv_text(const gr_dbv *v, char *buf, size_t cap) {
    int n;
    switch (v->kind) {
    case GR_DBV_NULL:
        n = snprintf(buf, cap, "%s", "");
        break;
    case GR_DBV_INT:
        n = snprintf(buf, cap, "%" PRId64, v->i);
        break;
    case GR_DBV_BOOL:
        n = snprintf(buf, cap, "%s", v->i ? "true" : "false");
        break;
    case GR_DBV_FLOAT:
        n = snprintf(buf, cap, "%.17g", v->f);
        break;
    case GR_DBV_TIMESTAMP:
        gr_timestamp_iso(v->text, v->len, buf, cap);
        n = (int)strlen(buf);
        break;
    default:
        n = snprintf(buf, cap, "%.*s", (int)v->len, v->text);
        break;
    }
    if (n < 0) n = 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}
