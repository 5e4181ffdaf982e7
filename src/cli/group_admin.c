/*
 * group_admin.c: consumer-group admin requests (see group_admin.h).
 */
#include "cli/group_admin.h"

#include <string.h>

#include "cli/exit_codes.h"
#include "cli/output.h"

/* Runs one admin request already started on `q` and checks the event-level error. */
static int finish(gr_client *c, rd_kafka_queue_t *q, rd_kafka_AdminOptions_t *o, const char *what,
                  rd_kafka_event_t **out) {
    rd_kafka_event_t *ev = gr_client_admin_wait(c, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    *out = NULL;
    if (!ev) return GR_EXIT_UNREACHABLE;
    rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
    if (err) {
        gr_err(c->command, "%s: %s", what, rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return gr_exit_for_error(err);
    }
    *out = ev;
    return GR_EXIT_OK;
}

int gr_group_describe(gr_client *c, const char **groups, int count, rd_kafka_event_t **out) {
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    rd_kafka_AdminOptions_t *o = gr_client_admin_options(c, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
    rd_kafka_DescribeConsumerGroups(c->rk, groups, (size_t)count, o, q);
    return finish(c, q, o, "describing groups", out);
}

const rd_kafka_ConsumerGroupDescription_t *gr_group_find(rd_kafka_event_t *ev, const char *group) {
    size_t n = 0;
    const rd_kafka_ConsumerGroupDescription_t **d =
        rd_kafka_DescribeConsumerGroups_result_groups(rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rd_kafka_ConsumerGroupDescription_group_id(d[i]), group)) return d[i];
    return NULL;
}

bool gr_group_missing(const rd_kafka_ConsumerGroupDescription_t *d) {
    if (!d) return true;
    const rd_kafka_error_t *e = rd_kafka_ConsumerGroupDescription_error(d);
    if (e && rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) return true;
    return rd_kafka_ConsumerGroupDescription_state(d) == RD_KAFKA_CONSUMER_GROUP_STATE_DEAD &&
           rd_kafka_ConsumerGroupDescription_member_count(d) == 0;
}

int gr_group_committed(gr_client *c, const char *group, rd_kafka_topic_partition_list_t **out) {
    *out = NULL;
    rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group, NULL);
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    rd_kafka_AdminOptions_t *o = gr_client_admin_options(c, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
    rd_kafka_ListConsumerGroupOffsets(c->rk, &req, 1, o, q);
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    rd_kafka_event_t *ev;
    int rc = finish(c, q, o, "reading committed offsets", &ev);
    if (rc) return rc;
    size_t n = 0;
    const rd_kafka_group_result_t **g = rd_kafka_ListConsumerGroupOffsets_result_groups(
        rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
    if (n != 1) {
        rd_kafka_event_destroy(ev);
        gr_err(c->command, "reading committed offsets of '%s': no answer for the group", group);
        return GR_EXIT_FAILED;
    }
    const rd_kafka_error_t *e = rd_kafka_group_result_error(g[0]);
    if (e) {
        gr_err(c->command, "reading committed offsets of '%s': %s", group, rd_kafka_error_string(e));
        rc = gr_exit_for_error(rd_kafka_error_code(e));
        rd_kafka_event_destroy(ev);
        return rc;
    }
    const rd_kafka_topic_partition_list_t *parts = rd_kafka_group_result_partitions(g[0]);
    *out = parts ? rd_kafka_topic_partition_list_copy(parts) : rd_kafka_topic_partition_list_new(0);
    rd_kafka_event_destroy(ev);
    return GR_EXIT_OK;
}

int gr_group_alter_offsets(gr_client *c, const char *group, const rd_kafka_topic_partition_list_t *offsets) {
    rd_kafka_AlterConsumerGroupOffsets_t *req = rd_kafka_AlterConsumerGroupOffsets_new(group, offsets);
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    rd_kafka_AdminOptions_t *o = gr_client_admin_options(c, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS);
    rd_kafka_AlterConsumerGroupOffsets(c->rk, &req, 1, o, q);
    rd_kafka_AlterConsumerGroupOffsets_destroy(req);
    rd_kafka_event_t *ev;
    int rc = finish(c, q, o, "committing new offsets", &ev);
    if (rc) return rc;
    size_t n = 0;
    const rd_kafka_group_result_t **g = rd_kafka_AlterConsumerGroupOffsets_result_groups(
        rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_error_t *e = rd_kafka_group_result_error(g[i]);
        if (e) {
            gr_err(c->command, "committing offsets of '%s': %s", group, rd_kafka_error_string(e));
            rc = gr_exit_for_error(rd_kafka_error_code(e));
        }
        const rd_kafka_topic_partition_list_t *parts = rd_kafka_group_result_partitions(g[i]);
        for (int k = 0; parts && k < parts->cnt; k++) {
            if (!parts->elems[k].err) continue;
            gr_err(c->command, "committing %s[%d] of '%s': %s", parts->elems[k].topic,
                   parts->elems[k].partition, group, rd_kafka_err2str(parts->elems[k].err));
            rc = GR_EXIT_FAILED;
        }
    }
    rd_kafka_event_destroy(ev);
    return rc;
}
