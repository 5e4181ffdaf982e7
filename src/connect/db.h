/*
 * db.h: the database a connector reads from or writes to, behind one small interface.
 *
 * A URL picks the backend: `sqlite:PATH` (embedded, libsqlite3) or `postgresql://...` /
 * `postgres://...` (a server, libpq). Both libraries are loaded at run time (dynlib.h). Values
 * cross the interface as gr_dbv: typed cells whose text, when there is any, is borrowed. SQL
 * statements use $1, $2 ... placeholders, which both backends understand.
 */
#ifndef GREGOR_CONNECT_DB_H
#define GREGOR_CONNECT_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum gr_dbv_kind {
    GR_DBV_NULL,
    GR_DBV_INT,
    GR_DBV_FLOAT,
    GR_DBV_BOOL,
    GR_DBV_TEXT,
    GR_DBV_NUMERIC,   /* a decimal number as text (PostgreSQL numeric) */
    GR_DBV_TIMESTAMP, /* ISO-8601 text */
    GR_DBV_JSON,      /* JSON text */
    GR_DBV_BLOB,
} gr_dbv_kind;

typedef struct gr_dbv {
    gr_dbv_kind kind;
    int64_t i; /* INT, BOOL */
    double f;  /* FLOAT */
    const char *text;
    size_t len;
} gr_dbv;

/* The column types of a mapping, and what each becomes in CREATE TABLE. */
typedef enum gr_coltype {
    GR_COL_TIMESTAMP,
    GR_COL_INT,
    GR_COL_FLOAT,
    GR_COL_STRING,
    GR_COL_BOOL,
    GR_COL_JSON
} gr_coltype;

typedef struct gr_db gr_db;

/* Called per result row; names and values have `columns` entries. Return non-zero to stop. */
typedef int (*gr_db_row_fn)(void *ud, int columns, const char *const *names, const gr_dbv *values);

typedef struct gr_db_ops {
    int (*exec)(gr_db *db, const char *sql, const gr_dbv *params, int count);
    int (*query)(gr_db *db, const char *sql, const gr_dbv *params, int count, gr_db_row_fn fn, void *ud);
    /* Inserts rows * columns cells (row-major) into table(columns...). */
    int (*insert)(gr_db *db, const char *table, const char *const *columns, int column_count,
                  const gr_dbv *cells, size_t rows);
    const char *(*sql_type)(gr_coltype type);
    void (*close)(gr_db *db);
} gr_db_ops;

struct gr_db {
    const gr_db_ops *ops;
    const char *backend;  /* "sqlite" or "postgresql" */
    char error[512];      /* the last failure */
    bool connection_lost; /* the last failure was the connection, not the statement */
};

/* Opens the database named by `url`; returns NULL with a message in err. */
gr_db *gr_db_open(const char *url, char *err, size_t err_size);
static inline int gr_db_exec(gr_db *db, const char *sql) { return db->ops->exec(db, sql, NULL, 0); }
void gr_db_close(gr_db *db);

gr_db *gr_db_sqlite_open(const char *path, char *err, size_t err_size);
gr_db *gr_db_postgres_open(const char *conninfo, char *err, size_t err_size);

/* True when `name` can be used as a table or column name (quoted in SQL). */
bool gr_db_identifier_ok(const char *name);

#endif
