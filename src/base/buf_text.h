/* buf_text.h: formatted text into a gr_buf, for the admin listener's pages (metrics, JSON). */
#ifndef GREGOR_BASE_BUF_TEXT_H
#define GREGOR_BASE_BUF_TEXT_H

#include "base/buf.h"
#include "base/reader.h"

void gr_buf_printf(gr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal (quotes included); control bytes escaped as \u00XX. */
void gr_buf_put_json_string(gr_buf *b, gr_str s);
/* A Prometheus label value (no quotes): backslash, quote and newline escaped. */
void gr_buf_put_label_value(gr_buf *b, gr_str s);

#endif
