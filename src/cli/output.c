/*
 * output.c: tables, terminal detection and error lines (see output.h).
 */
#include "cli/output.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void gr_table_init(gr_table *t, int columns, const char *const *headers) {
    memset(t, 0, sizeof *t);
    if (columns > GR_TABLE_COLUMNS_MAX) columns = GR_TABLE_COLUMNS_MAX;
    t->columns = columns;
    for (int i = 0; i < columns; i++) t->headers[i] = headers[i];
}

void gr_table_free(gr_table *t) {
    size_t n = t->rows * (size_t)t->columns + (size_t)t->next_col;
    for (size_t i = 0; i < n; i++) free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

void gr_table_cell(gr_table *t, const char *text) {
    if (t->oom) return;
    if (t->next_col == 0 && t->rows == t->cap_rows) {
        size_t cap = t->cap_rows ? t->cap_rows * 2 : 16;
        char **cells = realloc(t->cells, cap * (size_t)t->columns * sizeof *cells);
        if (!cells) {
            t->oom = true;
            return;
        }
        t->cells = cells;
        t->cap_rows = cap;
    }
    char *copy = strdup(text ? text : "-");
    if (!copy) {
        t->oom = true;
        return;
    }
    t->cells[t->rows * (size_t)t->columns + (size_t)t->next_col] = copy;
    if (++t->next_col == t->columns) {
        t->next_col = 0;
        t->rows++;
    }
}

void gr_table_cellf(gr_table *t, const char *fmt, ...) {
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    gr_table_cell(t, tmp);
}

void gr_table_cell_i64(gr_table *t, int64_t v) { gr_table_cellf(t, "%lld", (long long)v); }

void gr_table_cell_offset(gr_table *t, int64_t v) {
    if (v < 0)
        gr_table_cell(t, "-");
    else
        gr_table_cell_i64(t, v);
}

void gr_table_print(const gr_table *t, FILE *out) {
    size_t width[GR_TABLE_COLUMNS_MAX];
    for (int c = 0; c < t->columns; c++) width[c] = strlen(t->headers[c]);
    for (size_t r = 0; r < t->rows; r++)
        for (int c = 0; c < t->columns; c++) {
            size_t w = strlen(t->cells[r * (size_t)t->columns + (size_t)c]);
            if (w > width[c]) width[c] = w;
        }
    bool color = gr_out_color(out);
    if (color) fputs("\033[1m", out);
    for (int c = 0; c < t->columns; c++) {
        if (c + 1 < t->columns)
            fprintf(out, "%-*s  ", (int)width[c], t->headers[c]);
        else
            fputs(t->headers[c], out);
    }
    if (color) fputs("\033[0m", out);
    fputc('\n', out);
    for (size_t r = 0; r < t->rows; r++) {
        for (int c = 0; c < t->columns; c++) {
            const char *cell = t->cells[r * (size_t)t->columns + (size_t)c];
            if (c + 1 < t->columns)
                fprintf(out, "%-*s  ", (int)width[c], cell);
            else
                fputs(cell, out);
        }
        fputc('\n', out);
    }
    if (t->oom) fputs("(output truncated: out of memory)\n", out);
}

bool gr_out_is_tty(FILE *f) { return isatty(fileno(f)) == 1; }

bool gr_out_color(FILE *f) {
    const char *no_color = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    if (no_color && *no_color) return false;
    if (term && !strcmp(term, "dumb")) return false;
    return gr_out_is_tty(f);
}

static void vmessage(const char *command, const char *label, const char *color, const char *fmt, va_list ap) {
    fflush(stdout);
    bool c = gr_out_color(stderr);
    fprintf(stderr, "gregor %s: %s%s%s: ", command, c ? color : "", label, c ? "\033[0m" : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void gr_err(const char *command, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmessage(command, "error", "\033[1;31m", fmt, ap);
    va_end(ap);
}

void gr_warn(const char *command, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vmessage(command, "warning", "\033[1;33m", fmt, ap);
    va_end(ap);
}
