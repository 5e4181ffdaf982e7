/*
 * output.h: what the tools print for people: aligned tables, colour on terminals, error lines.
 *
 * Tables are collected first and printed at the end, because column widths depend on every row.
 * Colour (bold headers, red errors) is used only when the stream is a terminal and NO_COLOR is not
 * set, so pipes and files always get plain text. Machine output lives in json.h.
 */
#ifndef GREGOR_CLI_OUTPUT_H
#define GREGOR_CLI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GR_TABLE_COLUMNS_MAX 16

typedef struct gr_table {
    int columns;
    const char *headers[GR_TABLE_COLUMNS_MAX];
    char **cells; /* rows * columns strings, row-major */
    size_t rows;
    size_t cap_rows;
    int next_col; /* column the next gr_table_cell fills */
    bool oom;
} gr_table;

/* `headers` has `columns` entries (string literals, not copied); columns <= GR_TABLE_COLUMNS_MAX. */
void gr_table_init(gr_table *t, int columns, const char *const *headers);
void gr_table_free(gr_table *t);
/* Appends a cell to the current row; a row is complete after `columns` cells. */
void gr_table_cell(gr_table *t, const char *text);
void gr_table_cellf(gr_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gr_table_cell_i64(gr_table *t, int64_t v);
/* Prints "-" for negative values (unknown offsets and lags). */
void gr_table_cell_offset(gr_table *t, int64_t v);
/* Left-aligned columns, two spaces apart; the header bold on a terminal. */
void gr_table_print(const gr_table *t, FILE *out);

bool gr_out_is_tty(FILE *f);
bool gr_out_color(FILE *f);

/* "gregor <command>: error: <message>" on stderr (red "error" on a terminal). */
void gr_err(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void gr_warn(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
