/* buf_text.c: see buf_text.h. */
#include "base/buf_text.h"

#include <stdarg.h>
#include <stdio.h>

void gr_buf_printf(gr_buf *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        gr_buf_put(b, small, (size_t)n);
        return;
    }
    if (!gr_buf_reserve(b, (size_t)n + 1)) return;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void gr_buf_put_json_string(gr_buf *b, gr_str s) {
    gr_buf_put(b, "\"", 1);
    for (int32_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            gr_buf_put(b, esc, 2);
        } else if (c < 0x20) {
            gr_buf_printf(b, "\\u%04x", c);
        } else {
            gr_buf_put(b, &s.ptr[i], 1);
        }
    }
    gr_buf_put(b, "\"", 1);
}

void gr_buf_put_label_value(gr_buf *b, gr_str s) {
    for (int32_t i = 0; i < s.len; i++) {
        char c = s.ptr[i];
        if (c == '\\' || c == '"')
            gr_buf_put(b, (char[]){'\\', c}, 2);
        else if (c == '\n')
            gr_buf_put(b, "\\n", 2);
        else
            gr_buf_put(b, &c, 1);
    }
}
