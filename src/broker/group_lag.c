/* group_lag.c: see group_lag.h. */
#include "broker/group_lag.h"

#include <string.h>

#include "broker/broker.h"
#include "group/coordinator.h"

static bool same(gr_str a, const char *b) {
    size_t n = strlen(b);
    return (size_t)a.len == n && !memcmp(a.ptr, b, n);
}

int32_t gr_group_list(gr_broker *b, gr_arena *a, gr_list_groups_response_listed_group **out) {
    gr_list_groups_request req;
    gr_list_groups_request_init(&req);
    gr_list_groups_response res;
    gr_list_groups_response_init(&res);
    res.groups.count = 0;
    *out = NULL;
    if (!b->groups || gr_gc_list_groups(b->groups, &req, 5, a, &res) != GR_ERR_NONE || res.groups.count < 0)
        return 0;
    *out = res.groups.items;
    return res.groups.count;
}

int32_t gr_group_lag(gr_broker *b, gr_str group_id, gr_arena *a, gr_lag_row **out) {
    *out = NULL;
    if (!b->groups) return -1;
    gr_gc_fetched *rows = NULL;
    int32_t n = 0;
    if (gr_gc_fetch_offsets(b->groups, group_id, (gr_str){"", 0}, -1, NULL, -1, a, &rows, &n) != GR_ERR_NONE)
        return -1;
    gr_lag_row *lag = n ? gr_arena_alloc(a, (size_t)n * sizeof *lag) : NULL;
    if (n && !lag) return -1;
    int32_t count = 0;
    gr_topic *topic = NULL;
    for (int32_t i = 0; i < n; i++) {
        if (rows[i].error != GR_ERR_NONE || rows[i].offset < 0) continue;
        if (topic && !same(rows[i].topic, topic->name)) {
            gr_topic_release(topic);
            topic = NULL;
        }
        if (!topic) topic = gr_topics_get(b->topics, rows[i].topic);
        gr_partition *p = topic ? gr_topic_partition(topic, rows[i].partition) : NULL;
        gr_lag_row *r = &lag[count++];
        r->topic = rows[i].topic;
        r->partition = rows[i].partition;
        r->committed = rows[i].offset;
        r->end = p && p->log ? gr_plog_end_offset(p->log) : -1;
        r->lag = r->end > r->committed ? r->end - r->committed : 0;
    }
    if (topic) gr_topic_release(topic);
    *out = lag;
    return count;
}
