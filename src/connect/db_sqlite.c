/*
 * db_sqlite.c: the SQLite backend (libsqlite3, loaded at run time).
 *
 * A busy timeout lets a writer and readers of the same file (a sink and a query) wait for each
 * other instead of failing; sinks also switch the file to WAL mode. The prepared INSERT of
 * the last table is kept, since a connector inserts into one table over and over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/db.h"
#include "connect/dynlib.h"

#define SQLITE_BUSY_TIMEOUT_MS 10000
#define SQLITE_INSERT_SQL_BYTES_MAX 16384

/* The parts of sqlite3.h's ABI used here (stable since SQLite 3.x). */
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
enum { SQLITE_OK = 0, SQLITE_ROW = 100, SQLITE_DONE = 101 };
enum { SQLITE_INTEGER = 1, SQLITE_FLOAT = 2, SQLITE_TEXT = 3, SQLITE_BLOB = 4, SQLITE_NULL = 5 };
enum { SQLITE_OPEN_READWRITE = 0x2, SQLITE_OPEN_CREATE = 0x4, SQLITE_OPEN_NOMUTEX = 0x8000 };
#define SQLITE_TRANSIENT_DESTRUCTOR ((void (*)(void *))(intptr_t)-1)

static struct {
    int (*open_v2)(const char *, sqlite3 **, int, const char *);
    int (*close_v2)(sqlite3 *);
    const char *(*errmsg)(sqlite3 *);
    int (*busy_timeout)(sqlite3 *, int);
    int (*prepare_v2)(sqlite3 *, const char *, int, sqlite3_stmt **, const char **);
    int (*step)(sqlite3_stmt *);
    int (*reset)(sqlite3_stmt *);
    int (*finalize)(sqlite3_stmt *);
    int (*clear_bindings)(sqlite3_stmt *);
    int (*bind_null)(sqlite3_stmt *, int);
    int (*bind_int64)(sqlite3_stmt *, int, long long);
    int (*bind_double)(sqlite3_stmt *, int, double);
    int (*bind_text)(sqlite3_stmt *, int, const char *, int, void (*)(void *));
    int (*bind_blob)(sqlite3_stmt *, int, const void *, int, void (*)(void *));
    int (*column_count)(sqlite3_stmt *);
    const char *(*column_name)(sqlite3_stmt *, int);
    const char *(*column_decltype)(sqlite3_stmt *, int);
    int (*column_type)(sqlite3_stmt *, int);
    long long (*column_int64)(sqlite3_stmt *, int);
    double (*column_double)(sqlite3_stmt *, int);
    const unsigned char *(*column_text)(sqlite3_stmt *, int);
    const void *(*column_blob)(sqlite3_stmt *, int);
    int (*column_bytes)(sqlite3_stmt *, int);
} api;
static int api_loaded;

static int load_api(char *err, size_t err_size) {
    if (api_loaded) return 0;
    static const char *const sonames[] = {"libsqlite3.so.0", "libsqlite3.so", NULL};
    const gr_dynsym syms[] = {
        {"sqlite3_open_v2", (void **)&api.open_v2},
        {"sqlite3_close_v2", (void **)&api.close_v2},
        {"sqlite3_errmsg", (void **)&api.errmsg},
        {"sqlite3_busy_timeout", (void **)&api.busy_timeout},
        {"sqlite3_prepare_v2", (void **)&api.prepare_v2},
        {"sqlite3_step", (void **)&api.step},
        {"sqlite3_reset", (void **)&api.reset},
        {"sqlite3_finalize", (void **)&api.finalize},
        {"sqlite3_clear_bindings", (void **)&api.clear_bindings},
        {"sqlite3_bind_null", (void **)&api.bind_null},
        {"sqlite3_bind_int64", (void **)&api.bind_int64},
        {"sqlite3_bind_double", (void **)&api.bind_double},
        {"sqlite3_bind_text", (void **)&api.bind_text},
        {"sqlite3_bind_blob", (void **)&api.bind_blob},
        {"sqlite3_column_count", (void **)&api.column_count},
        {"sqlite3_column_name", (void **)&api.column_name},
        {"sqlite3_column_decltype", (void **)&api.column_decltype},
        {"sqlite3_column_type", (void **)&api.column_type},
        {"sqlite3_column_int64", (void **)&api.column_int64},
        {"sqlite3_column_double", (void **)&api.column_double},
        {"sqlite3_column_text", (void **)&api.column_text},
        {"sqlite3_column_blob", (void **)&api.column_blob},
        {"sqlite3_column_bytes", (void **)&api.column_bytes},
    };
    if (gr_dynlib_load(sonames, "libsqlite3-0", syms, sizeof syms / sizeof syms[0], err, err_size) < 0)
        return -1;
    api_loaded = 1;
    return 0;
}

typedef struct sqlite_db {
    gr_db base;
    sqlite3 *handle;
    sqlite3_stmt *insert_stmt;
    char insert_sql[SQLITE_INSERT_SQL_BYTES_MAX];
} sqlite_db;

static int fail(sqlite_db *d, const char *what) {
    snprintf(d->base.error, sizeof d->base.error, "sqlite: %s: %s", what, api.errmsg(d->handle));
    return -1;
}

static int bind_value(sqlite3_stmt *st, int index, const gr_dbv *v) {
    switch (v->kind) {
    case GR_DBV_NULL:
        return api.bind_null(st, index);
    case GR_DBV_INT:
    case GR_DBV_BOOL:
        return api.bind_int64(st, index, v->i);
    case GR_DBV_FLOAT:
        return api.bind_double(st, index, v->f);
    case GR_DBV_BLOB:
        return api.bind_blob(st, index, v->text, (int)v->len, SQLITE_TRANSIENT_DESTRUCTOR);
    default:
        return api.bind_text(st, index, v->text, (int)v->len, SQLITE_TRANSIENT_DESTRUCTOR);
    }
}

static int bind_all(sqlite3_stmt *st, const gr_dbv *params, int count) {
    for (int i = 0; i < count; i++)
        if (bind_value(st, i + 1, &params[i]) != SQLITE_OK) return -1;
    return 0;
}

/* Declared types that mean "this text is a point in time" or "this integer is a truth value". */
static bool decl_has(const char *decl, const char *word) { return decl && strcasestr(decl, word) != NULL; }

static gr_dbv column_value(sqlite3_stmt *st, int c) {
    gr_dbv v = {0};
    const char *decl = api.column_decltype(st, c);
    switch (api.column_type(st, c)) {
    case SQLITE_INTEGER:
        v.kind = decl_has(decl, "BOOL") ? GR_DBV_BOOL : GR_DBV_INT;
        v.i = api.column_int64(st, c);
        break;
    case SQLITE_FLOAT:
        v.kind = GR_DBV_FLOAT;
        v.f = api.column_double(st, c);
        break;
    case SQLITE_TEXT:
        v.kind = decl_has(decl, "TIME") || decl_has(decl, "DATE") ? GR_DBV_TIMESTAMP
                 : decl_has(decl, "JSON")                         ? GR_DBV_JSON
                                                                  : GR_DBV_TEXT;
        v.text = (const char *)api.column_text(st, c);
        v.len = (size_t)api.column_bytes(st, c);
        break;
    case SQLITE_BLOB:
        v.kind = GR_DBV_BLOB;
        v.text = api.column_blob(st, c);
        v.len = (size_t)api.column_bytes(st, c);
        break;
    default:
        v.kind = GR_DBV_NULL;
        break;
    }
    return v;
}

#define SQLITE_QUERY_COLUMNS_MAX 256

static int run(gr_db *db, const char *sql, const gr_dbv *params, int count, gr_db_row_fn fn, void *ud) {
    sqlite_db *d = (sqlite_db *)db;
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    if (api.prepare_v2(d->handle, sql, -1, &st, &tail) != SQLITE_OK) return fail(d, "prepare");
    if (!st) return 0; /* empty statement */
    if (bind_all(st, params, count) < 0) {
        api.finalize(st);
        return fail(d, "bind");
    }
    int columns = api.column_count(st), rc;
    if (columns > SQLITE_QUERY_COLUMNS_MAX) columns = SQLITE_QUERY_COLUMNS_MAX;
    const char *names[SQLITE_QUERY_COLUMNS_MAX];
    gr_dbv values[SQLITE_QUERY_COLUMNS_MAX];
    for (int c = 0; c < columns; c++) names[c] = api.column_name(st, c);
    while ((rc = api.step(st)) == SQLITE_ROW) {
        if (!fn) continue;
        for (int c = 0; c < columns; c++) values[c] = column_value(st, c);
        if (fn(ud, columns, names, values)) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE) {
        fail(d, "step");
        api.finalize(st);
        return -1;
    }
    api.finalize(st);
    return 0;
}

static int sqlite_exec(gr_db *db, const char *sql, const gr_dbv *params, int count) {
    return run(db, sql, params, count, NULL, NULL);
}

static int sqlite_query(gr_db *db, const char *sql, const gr_dbv *params, int count, gr_db_row_fn fn,
                        void *ud) {
    return run(db, sql, params, count, fn, ud);
}

static int build_insert_sql(char *out, size_t cap, const char *table, const char *const *columns, int n) {
    int len = snprintf(out, cap, "INSERT INTO \"%s\" (", table);
    for (int c = 0; c < n && len > 0 && (size_t)len < cap; c++)
        len += snprintf(out + len, cap - (size_t)len, "%s\"%s\"", c ? ", " : "", columns[c]);
    if (len > 0 && (size_t)len < cap) len += snprintf(out + len, cap - (size_t)len, ") VALUES (");
    for (int c = 0; c < n && len > 0 && (size_t)len < cap; c++)
        len += snprintf(out + len, cap - (size_t)len, "%s$%d", c ? ", " : "", c + 1);
    if (len > 0 && (size_t)len < cap) len += snprintf(out + len, cap - (size_t)len, ")");
    return len > 0 && (size_t)len < cap ? 0 : -1;
}

static int sqlite_insert(gr_db *db, const char *table, const char *const *columns, int column_count,
                         const gr_dbv *cells, size_t rows) {
    sqlite_db *d = (sqlite_db *)db;
    char sql[SQLITE_INSERT_SQL_BYTES_MAX];
    if (build_insert_sql(sql, sizeof sql, table, columns, column_count) < 0) {
        snprintf(db->error, sizeof db->error, "sqlite: INSERT statement too long");
        return -1;
    }
    if (!d->insert_stmt || strcmp(sql, d->insert_sql) != 0) {
        if (d->insert_stmt) api.finalize(d->insert_stmt);
        d->insert_stmt = NULL;
        if (api.prepare_v2(d->handle, sql, -1, &d->insert_stmt, NULL) != SQLITE_OK)
            return fail(d, "prepare insert");
        memcpy(d->insert_sql, sql, strlen(sql) + 1);
    }
    sqlite3_stmt *st = d->insert_stmt;
    for (size_t r = 0; r < rows; r++) {
        if (bind_all(st, cells + r * (size_t)column_count, column_count) < 0) {
            api.reset(st);
            return fail(d, "bind");
        }
        int rc = api.step(st);
        api.reset(st);
        api.clear_bindings(st);
        if (rc != SQLITE_DONE) return fail(d, "insert");
    }
    return 0;
}

static const char *sqlite_sql_type(gr_coltype t) {
    switch (t) {
    case GR_COL_TIMESTAMP:
        return "TIMESTAMP";
    case GR_COL_INT:
        return "INTEGER";
    case GR_COL_FLOAT:
        return "REAL";
    case GR_COL_BOOL:
        return "BOOLEAN";
    case GR_COL_JSON:
        return "TEXT"; /* (a JSON type name would get numeric affinity) */
    default:
        return "TEXT";
    }
}

static void sqlite_close(gr_db *db) {
    sqlite_db *d = (sqlite_db *)db;
    if (d->insert_stmt) api.finalize(d->insert_stmt);
    if (d->handle) api.close_v2(d->handle);
    free(d);
}

static const gr_db_ops sqlite_ops = {sqlite_exec, sqlite_query, sqlite_insert, sqlite_sql_type, sqlite_close};

gr_db *gr_db_sqlite_open(const char *path, char *err, size_t err_size) {
    if (load_api(err, err_size) < 0) return NULL;
    sqlite_db *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    d->base.ops = &sqlite_ops;
    d->base.backend = "sqlite";
    if (api.open_v2(path, &d->handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                    NULL) != SQLITE_OK) {
        snprintf(err, err_size, "sqlite: cannot open %s: %s", path,
                 d->handle ? api.errmsg(d->handle) : "out of memory");
        sqlite_close(&d->base);
        return NULL;
    }
    api.busy_timeout(d->handle, SQLITE_BUSY_TIMEOUT_MS);
    return &d->base;
}
