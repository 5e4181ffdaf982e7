/*
 * db_postgres.c: the PostgreSQL backend (libpq, loaded at run time).
 *
 * Statements go as PQexecParams with text parameters, results come back as text and are typed
 * by their column's type OID (so a timestamp becomes ISO-8601, a number stays a number). A batch
 * of rows is one multi-row INSERT per chunk, one round trip instead of one per row. After a
 * failure the connection status says whether the server went away (connection_lost), which the
 * connectors turn into a reconnect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect/db.h"
#include "connect/dynlib.h"

#define PG_PARAMS_MAX 32767
#define PG_INSERT_ROWS_MAX 1000
#define PG_QUERY_COLUMNS_MAX 256
#define PG_NUMBER_TEXT_BYTES 32

typedef struct PGconn PGconn;
typedef struct PGresult PGresult;
typedef unsigned int Oid;
enum { CONNECTION_OK = 0 };
enum { PGRES_COMMAND_OK = 1, PGRES_TUPLES_OK = 2 };
/* Type OIDs (pg_type.dat). */
enum {
    OID_BOOL = 16,
    OID_BYTEA = 17,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23,
    OID_OID = 26,
    OID_JSON = 114,
    OID_FLOAT4 = 700,
    OID_FLOAT8 = 701,
    OID_DATE = 1082,
    OID_TIMESTAMP = 1114,
    OID_TIMESTAMPTZ = 1184,
    OID_NUMERIC = 1700,
    OID_JSONB = 3802,
};

static struct {
    PGconn *(*connectdb)(const char *);
    int (*status)(const PGconn *);
    char *(*error_message)(const PGconn *);
    void (*finish)(PGconn *);
    PGresult *(*exec_params)(PGconn *, const char *, int, const Oid *, const char *const *, const int *,
                             const int *, int);
    int (*result_status)(const PGresult *);
    char *(*result_error_message)(const PGresult *);
    void (*clear)(PGresult *);
    int (*ntuples)(const PGresult *);
    int (*nfields)(const PGresult *);
    char *(*fname)(const PGresult *, int);
    Oid (*ftype)(const PGresult *, int);
    char *(*getvalue)(const PGresult *, int, int);
    int (*getisnull)(const PGresult *, int, int);
    int (*getlength)(const PGresult *, int, int);
    void *(*set_notice_processor)(PGconn *, void (*)(void *, const char *), void *);
} api;
static int api_loaded;

static int load_api(char *err, size_t err_size) {
    if (api_loaded) return 0;
    static const char *const sonames[] = {"libpq.so.5", "libpq.so", NULL};
    const gr_dynsym syms[] = {
        {"PQconnectdb", (void **)&api.connectdb},
        {"PQstatus", (void **)&api.status},
        {"PQerrorMessage", (void **)&api.error_message},
        {"PQfinish", (void **)&api.finish},
        {"PQexecParams", (void **)&api.exec_params},
        {"PQresultStatus", (void **)&api.result_status},
        {"PQresultErrorMessage", (void **)&api.result_error_message},
        {"PQclear", (void **)&api.clear},
        {"PQntuples", (void **)&api.ntuples},
        {"PQnfields", (void **)&api.nfields},
        {"PQfname", (void **)&api.fname},
        {"PQftype", (void **)&api.ftype},
        {"PQgetvalue", (void **)&api.getvalue},
        {"PQgetisnull", (void **)&api.getisnull},
        {"PQgetlength", (void **)&api.getlength},
        {"PQsetNoticeProcessor", (void **)&api.set_notice_processor},
    };
    if (gr_dynlib_load(sonames, "libpq5", syms, sizeof syms / sizeof syms[0], err, err_size) < 0) return -1;
    api_loaded = 1;
    return 0;
}

typedef struct pg_db {
    gr_db base;
    PGconn *conn;
    char *insert_sql; /* scratch for multi-row INSERT text */
    size_t insert_sql_cap;
} pg_db;

/* libpq messages end with a newline; errors fit one line in our reports. */
static void set_error(pg_db *d, const char *what, const char *msg) {
    snprintf(d->base.error, sizeof d->base.error, "postgresql: %s: %s", what, msg ? msg : "unknown error");
    size_t n = strlen(d->base.error);
    while (n && (d->base.error[n - 1] == '\n' || d->base.error[n - 1] == ' ')) d->base.error[--n] = '\0';
    for (char *p = d->base.error; *p; p++)
        if (*p == '\n') *p = ' ';
    d->base.connection_lost = api.status(d->conn) != CONNECTION_OK;
}

static void ignore_notice(void *ud, const char *message) {
    (void)ud;
    (void)message;
}

/* Renders a parameter as libpq text; numbers go to `scratch` (PG_NUMBER_TEXT_BYTES). */
static const char *param_text(const gr_dbv *v, char *scratch) {
    switch (v->kind) {
    case GR_DBV_NULL:
        return NULL;
    case GR_DBV_INT:
        snprintf(scratch, PG_NUMBER_TEXT_BYTES, "%lld", (long long)v->i);
        return scratch;
    case GR_DBV_BOOL:
        return v->i ? "true" : "false";
    case GR_DBV_FLOAT:
        snprintf(scratch, PG_NUMBER_TEXT_BYTES, "%.17g", v->f);
        return scratch;
    default:
        return v->text;
    }
}

static gr_dbv cell_value(const PGresult *res, int row, int c) {
    gr_dbv v = {0};
    if (api.getisnull(res, row, c)) return v;
    v.text = api.getvalue(res, row, c);
    v.len = (size_t)api.getlength(res, row, c);
    switch (api.ftype(res, c)) {
    case OID_BOOL:
        v.kind = GR_DBV_BOOL;
        v.i = v.text[0] == 't';
        break;
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID:
        v.kind = GR_DBV_INT;
        v.i = strtoll(v.text, NULL, 10);
        break;
    case OID_FLOAT4:
    case OID_FLOAT8:
        v.kind = GR_DBV_FLOAT;
        v.f = strtod(v.text, NULL);
        break;
    case OID_NUMERIC:
        v.kind = GR_DBV_NUMERIC;
        break;
    case OID_DATE:
    case OID_TIMESTAMP:
    case OID_TIMESTAMPTZ:
        v.kind = GR_DBV_TIMESTAMP;
        break;
    case OID_JSON:
    case OID_JSONB:
        v.kind = GR_DBV_JSON;
        break;
    default:
        v.kind = GR_DBV_TEXT;
        break;
    }
    return v;
}

static int run(pg_db *d, const char *sql, const gr_dbv *params, int count, gr_db_row_fn fn, void *ud) {
    if (count > PG_PARAMS_MAX) {
        snprintf(d->base.error, sizeof d->base.error, "postgresql: too many parameters");
        return -1;
    }
    const char **values = count ? calloc((size_t)count, sizeof *values) : NULL;
    char *scratch = count ? malloc((size_t)count * PG_NUMBER_TEXT_BYTES) : NULL;
    if (count && (!values || !scratch)) {
        free(values);
        free(scratch);
        snprintf(d->base.error, sizeof d->base.error, "postgresql: out of memory");
        return -1;
    }
    for (int i = 0; i < count; i++)
        values[i] = param_text(&params[i], scratch + (size_t)i * PG_NUMBER_TEXT_BYTES);
    PGresult *res = api.exec_params(d->conn, sql, count, NULL, values, NULL, NULL, 0);
    free(values);
    free(scratch);
    int st = res ? api.result_status(res) : -1;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        set_error(d, "statement failed", res ? api.result_error_message(res) : api.error_message(d->conn));
        if (res) api.clear(res);
        return -1;
    }
    d->base.connection_lost = false;
    if (fn && st == PGRES_TUPLES_OK) {
        int columns = api.nfields(res), rows = api.ntuples(res);
        if (columns > PG_QUERY_COLUMNS_MAX) columns = PG_QUERY_COLUMNS_MAX;
        const char *names[PG_QUERY_COLUMNS_MAX];
        gr_dbv cells[PG_QUERY_COLUMNS_MAX];
        for (int c = 0; c < columns; c++) names[c] = api.fname(res, c);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < columns; c++) cells[c] = cell_value(res, r, c);
            if (fn(ud, columns, names, cells)) break;
        }
    }
    api.clear(res);
    return 0;
}

static int pg_exec(gr_db *db, const char *sql, const gr_dbv *params, int count) {
    return run((pg_db *)db, sql, params, count, NULL, NULL);
}

static int pg_query(gr_db *db, const char *sql, const gr_dbv *params, int count, gr_db_row_fn fn, void *ud) {
    return run((pg_db *)db, sql, params, count, fn, ud);
}

static int append(pg_db *d, size_t *len, const char *fmt, const char *s, int n) {
    for (int attempt = 0; attempt < 2; attempt++) {
        size_t room = d->insert_sql_cap - *len;
        int w =
            s ? snprintf(d->insert_sql + *len, room, fmt, s) : snprintf(d->insert_sql + *len, room, fmt, n);
        if (w >= 0 && (size_t)w < room) {
            *len += (size_t)w;
            return 0;
        }
        size_t cap = d->insert_sql_cap * 2 + (size_t)w + 64;
        char *grown = realloc(d->insert_sql, cap);
        if (!grown) return -1;
        d->insert_sql = grown;
        d->insert_sql_cap = cap;
    }
    return -1;
}

static int pg_insert(gr_db *db, const char *table, const char *const *columns, int column_count,
                     const gr_dbv *cells, size_t rows) {
    pg_db *d = (pg_db *)db;
    size_t chunk = (size_t)(PG_PARAMS_MAX / column_count);
    if (chunk > PG_INSERT_ROWS_MAX) chunk = PG_INSERT_ROWS_MAX;
    for (size_t first = 0; first < rows; first += chunk) {
        size_t n = rows - first < chunk ? rows - first : chunk;
        size_t len = 0;
        int bad = append(d, &len, "INSERT INTO \"%s\" (", table, 0);
        for (int c = 0; c < column_count && !bad; c++) {
            if (c) bad |= append(d, &len, "%s", ", ", 0);
            bad |= append(d, &len, "\"%s\"", columns[c], 0);
        }
        bad |= append(d, &len, "%s", ") VALUES ", 0);
        int param = 1;
        for (size_t r = 0; r < n && !bad; r++) {
            bad |= append(d, &len, "%s", r ? ", (" : "(", 0);
            for (int c = 0; c < column_count && !bad; c++) {
                if (c) bad |= append(d, &len, "%s", ", ", 0);
                bad |= append(d, &len, "$%d", NULL, param++);
            }
            bad |= append(d, &len, "%s", ")", 0);
        }
        if (bad) {
            snprintf(db->error, sizeof db->error, "postgresql: out of memory");
            return -1;
        }
        if (run(d, d->insert_sql, cells + first * (size_t)column_count, (int)(n * (size_t)column_count), NULL,
                NULL) < 0)
            return -1;
    }
    return 0;
}

static const char *pg_sql_type(gr_coltype t) {
    switch (t) {
    case GR_COL_TIMESTAMP:
        return "TIMESTAMP";
    case GR_COL_INT:
        return "BIGINT";
    case GR_COL_FLOAT:
        return "DOUBLE PRECISION";
    case GR_COL_BOOL:
        return "BOOLEAN";
    case GR_COL_JSON:
        return "JSONB";
    default:
        return "TEXT";
    }
}

static void pg_close(gr_db *db) {
    pg_db *d = (pg_db *)db;
    if (d->conn) api.finish(d->conn);
    free(d->insert_sql);
    free(d);
}

static const gr_db_ops pg_ops = {pg_exec, pg_query, pg_insert, pg_sql_type, pg_close};

gr_db *gr_db_postgres_open(const char *conninfo, char *err, size_t err_size) {
    if (load_api(err, err_size) < 0) return NULL;
    pg_db *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, err_size, "out of memory");
        return NULL;
    }
    d->base.ops = &pg_ops;
    d->base.backend = "postgresql";
    d->conn = api.connectdb(conninfo);
    if (!d->conn || api.status(d->conn) != CONNECTION_OK) {
        if (d->conn) {
            set_error(d, "cannot connect", api.error_message(d->conn));
            snprintf(err, err_size, "%s", d->base.error);
        } else {
            snprintf(err, err_size, "postgresql: out of memory");
        }
        pg_close(&d->base);
        return NULL;
    }
    api.set_notice_processor(d->conn, ignore_notice, NULL);
    if (run(d, "SET datestyle = 'ISO, YMD'", NULL, 0, NULL, NULL) < 0) {
        snprintf(err, err_size, "%s", d->base.error);
        pg_close(&d->base);
        return NULL;
    }
    return &d->base;
}
