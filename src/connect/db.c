/* db.c: picks the backend of a database URL (see db.h). */
#include "connect/db.h"

#include <stdio.h>
#include <string.h>

gr_db *gr_db_open(const char *url, char *err, size_t err_size) {
    if (!strncmp(url, "sqlite:", 7)) {
        const char *path = url + 7;
        if (!strncmp(path, "//", 2)) path += 2; /* sqlite:///abs/path and sqlite://rel */
        if (!*path) {
            snprintf(err, err_size, "database URL '%s' has no path", url);
            return NULL;
        }
        return gr_db_sqlite_open(path, err, err_size);
    }
    if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11))
        return gr_db_postgres_open(url, err, err_size);
    snprintf(err, err_size, "database URL '%s': expected sqlite:PATH or postgresql://...", url);
    return NULL;
}

void gr_db_close(gr_db *db) {
    if (db) db->ops->close(db);
}

bool gr_db_identifier_ok(const char *name) {
    if (!name || !*name || strlen(name) > 63) return false;
    for (const char *p = name; *p; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_'))
            return false;
    }
    return true;
}
