/*
 * row_json.h: a database row as one JSON object, the way `gregor sql` publishes it.
 *
 * Column names are the fields; numbers stay numbers, NULL is null, booleans are true/false,
 * timestamps are ISO-8601 ("2024-05-01T10:00:00.5", zone "+00:00" when the database gave one),
 * JSON columns are embedded as JSON, blobs are base64 with a "<name>_encoding" sibling.
 */
#ifndef GREGOR_CONNECT_ROW_JSON_H
#define GREGOR_CONNECT_ROW_JSON_H

#include <stdio.h>

#include "connect/db.h"

/* Writes the row's object to `out` (no newline). */
void gr_row_json_write(FILE *out, int columns, const char *const *names, const gr_dbv *values);
/* Writes one value as JSON. */
void gr_dbv_json_write(FILE *out, const gr_dbv *v);
/* A value as plain text (for record keys); returns the length written to buf (NUL-terminated). */
size_t gr_dbv_text(const gr_dbv *v, char *buf, size_t cap);
/* Rewrites a database timestamp ("2024-05-01 10:00:00+02") as ISO-8601 into buf. */
void gr_timestamp_iso(const char *text, size_t len, char *buf, size_t cap);

#endif
