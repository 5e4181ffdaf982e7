/*
 * client.c: creating librdkafka handles and the bounded waits on the cluster (see client.h).
 */
#include "cli/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "cli/exit_codes.h"
#include "cli/output.h"
#include "cli/zk_bootstrap.h"

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    gr_client *c = opaque;
    (void)rk;
    snprintf(c->last_error, sizeof c->last_error, "%s", reason);
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN && !c->all_down_since_ms)
        c->all_down_since_ms = gr_mono_ms();
    if (err == RD_KAFKA_RESP_ERR__FATAL) c->fatal = true;
    if (c->common->verbose) fprintf(stderr, "gregor %s: librdkafka: %s\n", c->command, reason);
}

static void on_log(const rd_kafka_t *rk, int level, const char *facility, const char *line) {
    gr_client *c = rd_kafka_opaque(rk);
    if (c && c->common->verbose)
        fprintf(stderr, "gregor %s: librdkafka %d %s: %s\n", c->command, level, facility, line);
}

/* The security protocol whose listeners --zookeeper looks for: -X security.protocol's, if given. */
static const char *wanted_protocol(const gr_cli_common *common) {
    const char *protocol = "PLAINTEXT";
    for (int i = 0; i < common->conf_count; i++)
        if (!strcmp(common->conf[i].key, "security.protocol")) protocol = common->conf[i].value;
    return protocol;
}

static int set_conf(gr_client *c, rd_kafka_conf_t *conf, const char *key, const char *value, bool user) {
    char errstr[512];
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) == RD_KAFKA_CONF_OK) return 0;
    if (user) {
        gr_usage_error(c->common->tool, "-X %s=%s: %s", key, value, errstr);
        return GR_EXIT_USAGE;
    }
    gr_err(c->command, "setting %s=%s: %s", key, value, errstr);
    return GR_EXIT_FAILED;
}

int gr_client_open(gr_client *c, const gr_cli_common *common, rd_kafka_type_t type,
                   const char *const *defaults, void (*prepare)(rd_kafka_conf_t *conf, void *ud), void *ud) {
    memset(c, 0, sizeof *c);
    c->common = common;
    c->command = common->tool->command;
    c->bootstrap = common->bootstrap;
    if (common->zookeeper) {
        int zk_rc = gr_zk_bootstrap(c->command, common->zookeeper, wanted_protocol(common),
                                    common->request_timeout_ms, common->verbose, &c->zk_bootstrap);
        if (zk_rc) return zk_rc;
        c->bootstrap = c->zk_bootstrap;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char client_id[64];
    snprintf(client_id, sizeof client_id, "gregor-%s", c->command);
    for (char *p = client_id; *p; p++)
        if (*p == ' ') *p = '-';
    int rc = set_conf(c, conf, "client.id", client_id, false);
    if (!rc) rc = set_conf(c, conf, "bootstrap.servers", c->bootstrap, false);
    for (const char *const *d = defaults; !rc && d && d[0]; d += 2) rc = set_conf(c, conf, d[0], d[1], false);
    for (int i = 0; !rc && i < common->conf_count; i++)
        rc = set_conf(c, conf, common->conf[i].key, common->conf[i].value, true);
    if (rc) {
        rd_kafka_conf_destroy(conf);
        gr_client_close(c);
        return rc;
    }
    rd_kafka_conf_set_opaque(conf, c);
    rd_kafka_conf_set_error_cb(conf, on_error);
    rd_kafka_conf_set_log_cb(conf, on_log);
    if (prepare) prepare(conf, ud);
    char errstr[512];
    c->rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (!c->rk) {
        rd_kafka_conf_destroy(conf);
        gr_client_close(c);
        gr_err(c->command, "cannot create client: %s", errstr);
        return GR_EXIT_FAILED;
    }
    return 0;
}

void gr_client_close(gr_client *c) {
    if (c->rk) rd_kafka_destroy(c->rk);
    c->rk = NULL;
    free(c->zk_bootstrap);
    c->zk_bootstrap = NULL;
}

static void unreachable(gr_client *c, rd_kafka_resp_err_t err, bool early) {
    const char *why = c->last_error[0] ? c->last_error : rd_kafka_err2str(err);
    if (early)
        gr_err(c->command, "cannot reach the cluster at %s: %s", c->bootstrap, why);
    else
        gr_err(c->command, "cannot reach the cluster at %s within %d ms: %s", c->bootstrap,
               c->common->request_timeout_ms, why);
}

int gr_client_metadata(gr_client *c, const rd_kafka_metadata_t **out) {
    int64_t deadline = gr_mono_ms() + c->common->request_timeout_ms;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
    *out = NULL;
    for (int attempt = 0; attempt < 100000; attempt++) {
        int64_t left = deadline - gr_mono_ms();
        if (left <= 0) break;
        /* Short slices, so connection errors (served by rd_kafka_poll) can end the wait early. */
        int slice = left < GR_CLIENT_METADATA_SLICE_MS ? (int)left : GR_CLIENT_METADATA_SLICE_MS;
        err = rd_kafka_metadata(c->rk, 1, NULL, out, slice);
        if (!err) return 0;
        rd_kafka_poll(c->rk, 0);
        if (c->fatal) break;
        if (c->all_down_since_ms && gr_mono_ms() - c->all_down_since_ms >= GR_CLIENT_ALL_DOWN_GRACE_MS) break;
        if (err != RD_KAFKA_RESP_ERR__TIMED_OUT && err != RD_KAFKA_RESP_ERR__TRANSPORT &&
            err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
            break;
    }
    unreachable(c, err, gr_mono_ms() < deadline);
    return GR_EXIT_UNREACHABLE;
}

int gr_client_connect(gr_client *c, const gr_cli_common *common) {
    int rc = gr_client_open(c, common, RD_KAFKA_PRODUCER, NULL, NULL, NULL);
    if (rc) return rc;
    const rd_kafka_metadata_t *md;
    rc = gr_client_metadata(c, &md);
    if (!rc) rd_kafka_metadata_destroy(md);
    return rc;
}

const rd_kafka_metadata_topic_t *gr_metadata_topic(const rd_kafka_metadata_t *md, const char *name) {
    for (int i = 0; i < md->topic_cnt; i++)
        if (!strcmp(md->topics[i].topic, name)) return &md->topics[i];
    return NULL;
}

const rd_kafka_metadata_broker_t *gr_metadata_broker(const rd_kafka_metadata_t *md, int32_t id) {
    for (int i = 0; i < md->broker_cnt; i++)
        if (md->brokers[i].id == id) return &md->brokers[i];
    return NULL;
}

rd_kafka_AdminOptions_t *gr_client_admin_options(gr_client *c, rd_kafka_admin_op_t op) {
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(c->rk, op);
    char errstr[256];
    rd_kafka_AdminOptions_set_request_timeout(o, c->common->request_timeout_ms, errstr, sizeof errstr);
    /* Only some operations take an operation timeout; the others reject it, harmlessly. */
    rd_kafka_AdminOptions_set_operation_timeout(o, c->common->request_timeout_ms, errstr, sizeof errstr);
    return o;
}

rd_kafka_event_t *gr_client_admin_wait(gr_client *c, rd_kafka_queue_t *queue) {
    /* librdkafka ends the request itself at the request timeout; the margin covers its bookkeeping. */
    int64_t deadline = gr_mono_ms() + c->common->request_timeout_ms + 2000;
    for (int i = 0; i < 1000000; i++) {
        int64_t left = deadline - gr_mono_ms();
        if (left <= 0) break;
        rd_kafka_event_t *ev = rd_kafka_queue_poll(queue, left > 200 ? 200 : (int)left);
        rd_kafka_poll(c->rk, 0);
        if (!ev) continue;
        if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_ERROR ||
            rd_kafka_event_type(ev) == RD_KAFKA_EVENT_LOG) {
            rd_kafka_event_destroy(ev);
            continue;
        }
        return ev;
    }
    gr_err(c->command, "no answer from the cluster within %d ms", c->common->request_timeout_ms);
    return NULL;
}

static bool retriable(rd_kafka_resp_err_t err) {
    switch (err) {
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART: /* a topic created a moment ago */
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
        return true;
    default:
        return false;
    }
}

/*
 * ListOffsets for every element of `parts`, whose offset fields hold the timestamps to look up.
 * Leadership moves (and a just-created topic settling) are retried until the request timeout;
 * each round starts again from the original timestamps, which the previous round overwrote.
 */
static rd_kafka_resp_err_t list_offsets_retrying(gr_client *c, rd_kafka_topic_partition_list_t *parts) {
    if (parts->cnt == 0) return RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_topic_partition_list_t *asked = rd_kafka_topic_partition_list_copy(parts);
    int64_t deadline = gr_mono_ms() + c->common->request_timeout_ms;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
    for (int round = 0; round < 10000; round++) {
        int64_t left = deadline - gr_mono_ms();
        if (left <= 0) break;
        for (int i = 0; i < parts->cnt; i++) {
            parts->elems[i].offset = asked->elems[i].offset;
            parts->elems[i].err = RD_KAFKA_RESP_ERR_NO_ERROR;
        }
        err = rd_kafka_offsets_for_times(c->rk, parts, (int)left);
        bool again = retriable(err);
        for (int i = 0; !err && i < parts->cnt && !again; i++) again = retriable(parts->elems[i].err);
        if (!again) break;
        rd_kafka_poll(c->rk, GR_CLIENT_PROPAGATION_POLL_MS);
    }
    rd_kafka_topic_partition_list_destroy(asked);
    return err;
}

/*
 * ListOffsets takes a timestamp per partition; -1 asks for the latest offset and -2 for the
 * earliest, so offsets_for_times does the watermark lookup for many partitions in one round.
 */
rd_kafka_resp_err_t gr_client_list_offsets(gr_client *c, rd_kafka_topic_partition_list_t *parts,
                                           bool latest) {
    for (int i = 0; i < parts->cnt; i++)
        parts->elems[i].offset = latest ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
    return list_offsets_retrying(c, parts);
}

rd_kafka_resp_err_t gr_client_offsets_for_times(gr_client *c, rd_kafka_topic_partition_list_t *parts) {
    return list_offsets_retrying(c, parts);
}

bool gr_client_wait_topics(gr_client *c, const char *const *names, int count, bool present) {
    int64_t deadline = gr_mono_ms() + c->common->request_timeout_ms;
    for (int round = 0; round < 100000 && gr_mono_ms() < deadline; round++) {
        const rd_kafka_metadata_t *md = NULL;
        if (rd_kafka_metadata(c->rk, 1, NULL, &md, 1000) == 0) {
            bool all = true;
            for (int i = 0; i < count && all; i++) {
                const rd_kafka_metadata_topic_t *t = gr_metadata_topic(md, names[i]);
                if (!present) {
                    all = t == NULL || t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
                    continue;
                }
                all = t && !t->err && t->partition_cnt > 0;
                for (int k = 0; all && k < t->partition_cnt; k++) all = t->partitions[k].leader >= 0;
            }
            rd_kafka_metadata_destroy(md);
            if (all) return true;
        }
        rd_kafka_poll(c->rk, GR_CLIENT_PROPAGATION_POLL_MS);
    }
    return false;
}

int gr_client_ensure_topic(gr_client *c, const char *topic, int32_t partitions, int32_t replication,
                           bool *created) {
    *created = false;
    const rd_kafka_metadata_t *md;
    int rc = gr_client_metadata(c, &md);
    if (rc) return rc;
    const rd_kafka_metadata_topic_t *t = gr_metadata_topic(md, topic);
    bool exists = t && t->err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    rd_kafka_metadata_destroy(md);
    if (exists) return GR_EXIT_OK;
    char errstr[512];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, replication, errstr, sizeof errstr);
    if (!nt) {
        gr_err(c->command, "topic '%s': %s", topic, errstr);
        return GR_EXIT_FAILED;
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(c->rk);
    rd_kafka_AdminOptions_t *o = gr_client_admin_options(c, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_CreateTopics(c->rk, &nt, 1, o, q);
    rd_kafka_event_t *ev = gr_client_admin_wait(c, q);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    if (!ev) return GR_EXIT_UNREACHABLE;
    rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
    const char *why = rd_kafka_event_error_string(ev);
    if (!err) {
        size_t n = 0;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        if (n == 1) {
            err = rd_kafka_topic_result_error(res[0]);
            why = rd_kafka_topic_result_error_string(res[0]);
        }
    }
    if (err && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        gr_err(c->command, "creating topic '%s': %s", topic, why && *why ? why : rd_kafka_err2str(err));
        rd_kafka_event_destroy(ev);
        return GR_EXIT_FAILED;
    }
    rd_kafka_event_destroy(ev);
    *created = err == RD_KAFKA_RESP_ERR_NO_ERROR;
    const char *names[1] = {topic};
    if (!gr_client_wait_topics(c, names, 1, true)) {
        gr_err(c->command, "topic '%s' has no leader for every partition after %d ms", topic,
               c->common->request_timeout_ms);
        return GR_EXIT_UNREACHABLE;
    }
    return GR_EXIT_OK;
}

int gr_exit_for_error(rd_kafka_resp_err_t err) {
    switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
        return GR_EXIT_OK;
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
    case RD_KAFKA_RESP_ERR__UNKNOWN_GROUP:
        return GR_EXIT_NOT_FOUND;
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
        return GR_EXIT_UNREACHABLE;
    default:
        return GR_EXIT_FAILED;
    }
}
