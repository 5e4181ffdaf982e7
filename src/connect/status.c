/* status.c: connector status records, their files and `gregor connect status` (see status.h). */
#include "connect/status.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/clock.h"
#include "cli/exit_codes.h"
#include "cli/json.h"
#include "cli/options.h"
#include "cli/output.h"
#include "connect/durable_file.h"
#include "connect/json_decode.h"

#define STATUS_FILE_BYTES_MAX 16384
#define STATUS_SUFFIX ".status.json"
#define STATUS_DIR_DEFAULT "gregor-connect-state"

void gr_status_init(gr_connector_status *st, const char *name, const char *type) {
    memset(st, 0, sizeof *st);
    pthread_mutex_init(&st->lock, NULL);
    snprintf(st->name, sizeof st->name, "%s", name);
    st->type = type;
    st->state = "starting";
    st->lag = -1;
    st->started_ms = gr_wall_ms();
}

void gr_status_set_state(gr_connector_status *st, const char *state) {
    pthread_mutex_lock(&st->lock);
    st->state = state;
    pthread_mutex_unlock(&st->lock);
}

void gr_status_error(gr_connector_status *st, const char *fmt, ...) {
    pthread_mutex_lock(&st->lock);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->last_error, sizeof st->last_error, fmt, ap);
    va_end(ap);
    st->errors++;
    pthread_mutex_unlock(&st->lock);
}

void gr_status_write_json(gr_connector_status *st, FILE *out) {
    pthread_mutex_lock(&st->lock);
    gr_json j;
    gr_json_init(&j, out);
    gr_json_obj_begin(&j);
    gr_json_kstr(&j, "name", st->name);
    gr_json_kstr(&j, "type", st->type);
    gr_json_kstr(&j, "state", st->state);
    gr_json_ki64(&j, "pid", (int64_t)getpid());
    gr_json_ki64(&j, "records_in", st->records_in);
    gr_json_ki64(&j, "records_out", st->records_out);
    gr_json_ki64(&j, "rows_inserted", st->rows_inserted);
    gr_json_ki64(&j, "dead_lettered", st->dead_lettered);
    gr_json_ki64(&j, "errors", st->errors);
    gr_json_ki64(&j, "lag", st->lag);
    gr_json_kstr(&j, "last_error", st->last_error[0] ? st->last_error : NULL);
    gr_json_ki64(&j, "started_ms", st->started_ms);
    gr_json_ki64(&j, "updated_ms", gr_wall_ms());
    gr_json_obj_end(&j);
    pthread_mutex_unlock(&st->lock);
}

int gr_status_save(gr_connector_status *st, const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s%s", dir, st->name, STATUS_SUFFIX);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return -1;
    gr_status_write_json(st, f);
    fputc('\n', f);
    fclose(f);
    int rc = gr_file_replace(path, buf, len, false);
    free(buf);
    return rc;
}

/* ---- gregor connect status ---------------------------------------------------------------- */

enum { OPT_STATE_DIR };

static const gr_opt_spec specs[] = {
    {OPT_STATE_DIR, "state-dir", 0, "DIR",
     "where the connectors write their status (default: " STATUS_DIR_DEFAULT ")"},
    {0, NULL, 0, NULL, NULL},
};

static const gr_tool_help help = {
    "connect status", "[--state-dir DIR] [--json]",
    "Shows every connector that wrote a status in DIR: state (running, reconnecting, failed, or\n"
    "stopped when its process is gone), records in and out, rows inserted, dead-lettered records,\n"
    "errors, lag and the last error. --json prints one JSON object per connector.",
    NULL};

static int on_opt(void *ud, int id, const char *v, gr_cli_common *c) {
    (void)c;
    if (id == OPT_STATE_DIR) *(const char **)ud = v;
    return 0;
}

static const char *jstr(const gr_jval *obj, const char *name) {
    const gr_jval *v = gr_jval_member(obj, name, strlen(name));
    return v && v->type == GR_JSTRING ? v->str : "";
}

static int64_t jint(const gr_jval *obj, const char *name) {
    const gr_jval *v = gr_jval_member(obj, name, strlen(name));
    return v && v->type == GR_JNUMBER && v->is_integer ? v->integer : -1;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int gr_tool_connect_status(int argc, char **argv) {
    const char *dir = STATUS_DIR_DEFAULT;
    gr_cli_common common;
    int p = gr_cli_parse(argc, argv, &help, specs, on_opt, &dir, &common);
    int rc = p == GR_PARSE_HELP ? GR_EXIT_OK : GR_EXIT_USAGE;
    if (p != GR_PARSE_OK) goto out;
    DIR *d = opendir(dir);
    if (!d) {
        gr_err(help.command, "cannot read %s: %s", dir, strerror(errno));
        rc = errno == ENOENT ? GR_EXIT_NOT_FOUND : GR_EXIT_FAILED;
        goto out;
    }
    char *names[256];
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) && count < 256) {
        size_t n = strlen(e->d_name), s = strlen(STATUS_SUFFIX);
        if (n > s && !strcmp(e->d_name + n - s, STATUS_SUFFIX)) names[count++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)count, sizeof names[0], by_name);
    static const char *const headers[] = {"NAME", "TYPE",          "STATE",  "IN",  "OUT",
                                          "ROWS", "DEAD-LETTERED", "ERRORS", "LAG", "LAST-ERROR"};
    gr_table t;
    gr_table_init(&t, 10, headers);
    for (int i = 0; i < count; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len;
        char *text = gr_file_read_all(path, STATUS_FILE_BYTES_MAX, &len);
        gr_jdoc doc;
        if (!text || gr_jdoc_parse(&doc, text, len) < 0 || doc.root->type != GR_JOBJECT) {
            if (text) gr_jdoc_free(&doc);
            free(text);
            continue;
        }
        int64_t pid = jint(doc.root, "pid");
        bool alive = pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
        const char *state = alive ? jstr(doc.root, "state") : "stopped";
        if (common.json) {
            gr_json j;
            gr_json_init(&j, stdout);
            gr_json_obj_begin(&j);
            for (const gr_jval *m = doc.root->first_child; m; m = m->next) {
                gr_json_key(&j, m->key);
                if (!strcmp(m->key, "state"))
                    gr_json_str(&j, state);
                else {
                    fwrite(m->raw, 1, m->raw_len, stdout);
                    j.after_key = false; /* the raw value stood for the key's value */
                }
            }
            gr_json_obj_end(&j);
            gr_json_newline(&j);
        } else {
            gr_table_cell(&t, jstr(doc.root, "name"));
            gr_table_cell(&t, jstr(doc.root, "type"));
            gr_table_cell(&t, state);
            gr_table_cell_i64(&t, jint(doc.root, "records_in"));
            gr_table_cell_i64(&t, jint(doc.root, "records_out"));
            gr_table_cell_i64(&t, jint(doc.root, "rows_inserted"));
            gr_table_cell_i64(&t, jint(doc.root, "dead_lettered"));
            gr_table_cell_i64(&t, jint(doc.root, "errors"));
            gr_table_cell_offset(&t, jint(doc.root, "lag"));
            gr_table_cell(&t, *jstr(doc.root, "last_error") ? jstr(doc.root, "last_error") : "-");
        }
        gr_jdoc_free(&doc);
        free(text);
    }
    if (!common.json) gr_table_print(&t, stdout);
    gr_table_free(&t);
    for (int i = 0; i < count; i++) free(names[i]);
    rc = GR_EXIT_OK;
out:
    gr_cli_common_free(&common);
    return rc;
}
