/* lag_history.c: see lag_history.h. */
#include "broker/lag_history.h"

#include <stdio.h>
#include <string.h>

#include "base/buf_text.h"
#include "broker/broker.h"
#include "broker/group_lag.h"
#include "group/coordinator.h"

#define SAMPLE_ARENA_LIMIT_BYTES (16u * 1024u * 1024u)

static gr_lag_series *series_for(gr_lag_history *h, gr_str group) {
    for (int i = 0; i < h->series_count; i++)
        if ((size_t)group.len == strlen(h->series[i].group) &&
            !memcmp(h->series[i].group, group.ptr, (size_t)group.len))
            return &h->series[i];
    if (h->series_count == GR_LAG_HISTORY_GROUPS || (size_t)group.len >= sizeof h->series[0].group)
        return NULL;
    gr_lag_series *s = &h->series[h->series_count++];
    snprintf(s->group, sizeof s->group, "%.*s", (int)group.len, group.ptr);
    for (int i = 0; i < GR_LAG_HISTORY_POINTS; i++) s->lag[i] = -1;
    return s;
}

void gr_lag_history_sample(gr_lag_history *h, gr_broker *b, int64_t now_wall_ms) {
    int slot = h->next;
    h->at_ms[slot] = now_wall_ms;
    for (int i = 0; i < h->series_count; i++) h->series[i].lag[slot] = -1;
    if (b->groups) {
        gr_arena a;
        gr_arena_init(&a, SAMPLE_ARENA_LIMIT_BYTES);
        gr_list_groups_response_listed_group *groups;
        int32_t group_count = gr_group_list(b, &a, &groups);
        for (int32_t g = 0; g < group_count; g++) {
            gr_lag_series *s = series_for(h, groups[g].group_id);
            if (!s) continue;
            gr_lag_row *rows;
            int32_t n = gr_group_lag(b, groups[g].group_id, &a, &rows);
            int64_t total = 0;
            for (int32_t r = 0; r < n; r++) total += rows[r].lag;
            s->lag[slot] = n < 0 ? -1 : total;
        }
        gr_arena_free(&a);
    }
    h->next = (slot + 1) % GR_LAG_HISTORY_POINTS;
    if (h->filled < GR_LAG_HISTORY_POINTS) h->filled++;
}

void gr_lag_history_json(const gr_lag_history *h, gr_buf *out) {
    int first = (h->next - h->filled + GR_LAG_HISTORY_POINTS) % GR_LAG_HISTORY_POINTS;
    gr_buf_printf(out, "{\"interval_ms\":%d,\"times_ms\":[", GR_LAG_HISTORY_INTERVAL_MS);
    for (int i = 0; i < h->filled; i++)
        gr_buf_printf(out, "%s%lld", i ? "," : "", (long long)h->at_ms[(first + i) % GR_LAG_HISTORY_POINTS]);
    gr_buf_printf(out, "],\"groups\":[");
    for (int s = 0; s < h->series_count; s++) {
        gr_buf_printf(out, "%s{\"group\":", s ? "," : "");
        gr_buf_put_json_string(out, (gr_str){h->series[s].group, (int32_t)strlen(h->series[s].group)});
        gr_buf_printf(out, ",\"lag\":[");
        for (int i = 0; i < h->filled; i++) {
            int64_t v = h->series[s].lag[(first + i) % GR_LAG_HISTORY_POINTS];
            if (v < 0)
                gr_buf_printf(out, "%snull", i ? "," : "");
            else
                gr_buf_printf(out, "%s%lld", i ? "," : "", (long long)v);
        }
        gr_buf_printf(out, "]}");
    }
    gr_buf_printf(out, "]}");
}
