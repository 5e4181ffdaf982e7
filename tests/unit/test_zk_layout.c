/*
 * test_zk_layout.c: the znode documents of cluster mode. Each encoder must write exactly what
 * Apache Kafka 3.9 (ZooKeeper mode) writes (the samples below were read from a Kafka cluster),
 * each decoder must read Kafka's documents back, and malformed documents must be refused.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster/topics.h"
#include "cluster/zk_layout.h"
#include "test_check.h"

/* Written by Kafka 3.9.1. */
static const char kafka_broker[] =
    "{\"features\":{},\"listener_security_protocol_map\":{\"PLAINTEXT\":\"PLAINTEXT\"},\"endpoints\":[\"PLAINTEXT:/"
    "/127.0.0.1:38075\"],\"jmx_port\":-1,\"port\":38075,\"host\":\"127.0.0.1\",\"version\":5,\"timestamp\":"
    "\"1796622234707\"}";
static const char kafka_topic[] = "{\"partitions\":{\"0\":[0,1,2],\"1\":[2,0,1]},\"topic_id\":\"cuU9SzSyQceiVvJuVVgHCA\","
                                  "\"adding_replicas\":{},\"removing_replicas\":{},\"version\":3}";
static const char kafka_state[] = "{\"controller_epoch\":1,\"leader\":2,\"version\":1,\"leader_epoch\":0,\"isr\":[2,0,1]}";
static const char kafka_controller[] =
    "{\"version\":2,\"brokerid\":2,\"timestamp\":\"1796622234180\",\"kraftControllerEpoch\":-1}";
static const char kafka_cluster_id[] = "{\"version\":\"1\",\"id\":\"d9fDfCW-TAu4AhyLQc455A\"}";
static const char kafka_config[] = "{\"version\":1,\"config\":{\"retention.ms\":\"7200000\"}}";
static const char kafka_change[] = "{\"version\":2,\"entity_path\":\"topics/ref\"}";
static const char kafka_pid_block[] = "{\"version\":1,\"broker\":1,\"block_start\":\"0\",\"block_end\":\"999\"}";

static bool buf_is(gr_buf *b, const char *expected) {
    bool ok = b->len == strlen(expected) && !memcmp(b->data, expected, b->len);
    if (!ok) fprintf(stderr, "got:      %.*s\nexpected: %s\n", (int)b->len, (const char *)b->data, expected);
    gr_buf_reset(b);
    return ok;
}

static void test_broker(gr_buf *b) {
    gr_cluster_broker br;
    CHECK(gr_zkl_broker_decode(kafka_broker, strlen(kafka_broker), 0, &br));
    CHECK(!strcmp(br.host, "127.0.0.1") && br.port == 38075 && br.rack[0] == '\0' && br.id == 0);
    gr_zkl_broker_encode(b, &br, 1796622234707LL);
    CHECK(buf_is(b, kafka_broker));
    snprintf(br.rack, sizeof br.rack, "r\"1");
    gr_zkl_broker_encode(b, &br, 5);
    gr_cluster_broker back;
    CHECK(gr_zkl_broker_decode((const char *)b->data, b->len, 7, &back) && !strcmp(back.rack, "r\"1"));
    gr_buf_reset(b);
    /* Version 1 registrations have only host and port; an SSL-only listener list falls back too. */
    const char *v1 = "{\"jmx_port\":-1,\"host\":\"h1\",\"version\":1,\"port\":9092}";
    CHECK(gr_zkl_broker_decode(v1, strlen(v1), 3, &back) && !strcmp(back.host, "h1") && back.port == 9092);
    const char *v6 = "{\"endpoints\":[\"CLIENT://[::1]:9093\"],\"listener_security_protocol_map\":{\"CLIENT\":"
                     "\"PLAINTEXT\"}}";
    CHECK(gr_zkl_broker_decode(v6, strlen(v6), 3, &back) && !strcmp(back.host, "::1") && back.port == 9093);
    const char *bad[] = {"", "[]", "{\"host\":\"h\"}", "{\"host\":\"h\",\"port\":70000}", "{\"endpoints\":[1]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(!gr_zkl_broker_decode(bad[i], strlen(bad[i]), 0, &back));
}

static void test_topic(gr_buf *b) {
    gr_cluster_topic t = {0};
    CHECK(gr_zkl_topic_decode(kafka_topic, strlen(kafka_topic), &t));
    CHECK_EQ_INT(t.partition_count, 2);
    CHECK_EQ_INT(t.partitions[1].state.replica_count, 3);
    CHECK_EQ_INT(t.partitions[1].state.replicas[0], 2);
    CHECK_EQ_INT(t.partitions[0].state.leader, -1);
    char id[23];
    gr_topic_id_to_base64(t.id, id);
    CHECK(!strcmp(id, "cuU9SzSyQceiVvJuVVgHCA"));
    gr_zkl_topic_encode(b, &t);
    CHECK(buf_is(b, kafka_topic));
    /* A reassignment in progress (KIP-455) round-trips. */
    t.partitions[0].adding_count = 1;
    t.partitions[0].adding[0] = 3;
    t.partitions[0].removing_count = 1;
    t.partitions[0].removing[0] = 0;
    gr_zkl_topic_encode(b, &t);
    gr_cluster_topic back = {0};
    CHECK(gr_zkl_topic_decode((const char *)b->data, b->len, &back));
    CHECK(back.partitions && back.partitions[0].adding_count == 1 && back.partitions[0].adding[0] == 3 &&
          back.partitions[0].removing[0] == 0 && back.partitions[1].adding_count == 0);
    gr_buf_reset(b);
    free(back.partitions);
    free(t.partitions);
    /* Before Kafka 2.8 there was no topic id. */
    const char *old = "{\"version\":1,\"partitions\":{\"0\":[1]}}";
    CHECK(gr_zkl_topic_decode(old, strlen(old), &t) && t.partition_count == 1);
    free(t.partitions);
    const char *bad[] = {
        "{\"partitions\":{}}",
        "{\"partitions\":{\"1\":[1]}}",                /* a gap */
        "{\"partitions\":{\"0\":[1],\"0\":[2]}}",      /* twice */
        "{\"partitions\":{\"00\":[1]}}",
        "{\"partitions\":{\"0\":[-1]}}",
        "{\"partitions\":{\"0\":[1]},\"adding_replicas\":{\"5\":[1]}}",
        "{\"partitions\":{\"0\":[1]},\"topic_id\":\"short\"}",
        "{\"partitions\":{\"0\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(!gr_zkl_topic_decode(bad[i], strlen(bad[i]), &t));
        CHECK(t.partitions == NULL);
    }
}

static void test_state(gr_buf *b) {
    gr_partition_state s;
    CHECK(gr_zkl_state_decode(kafka_state, strlen(kafka_state), &s));
    CHECK(s.leader == 2 && s.leader_epoch == 0 && s.controller_epoch == 1 && s.isr_count == 3 && s.isr[2] == 1);
    gr_zkl_state_encode(b, &s);
    CHECK(buf_is(b, kafka_state));
    const char *no_leader = "{\"controller_epoch\":3,\"leader\":-1,\"version\":1,\"leader_epoch\":7,\"isr\":[1]}";
    CHECK(gr_zkl_state_decode(no_leader, strlen(no_leader), &s) && s.leader == -1 && s.leader_epoch == 7);
    const char *bad[] = {"{\"leader\":1}", "{\"controller_epoch\":1,\"leader\":-2,\"leader_epoch\":0,\"isr\":[]}",
                         "{\"controller_epoch\":1,\"leader\":1,\"leader_epoch\":0,\"isr\":{}}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CHECK(!gr_zkl_state_decode(bad[i], strlen(bad[i]), &s));
}

static void test_small_nodes(gr_buf *b) {
    int32_t id, epoch;
    CHECK(gr_zkl_controller_decode(kafka_controller, strlen(kafka_controller), &id) && id == 2);
    gr_zkl_controller_encode(b, 2, 1796622234180LL);
    CHECK(buf_is(b, kafka_controller));
    const char *v1 = "{\"version\":1,\"brokerid\":4,\"timestamp\":\"1\"}";
    CHECK(gr_zkl_controller_decode(v1, strlen(v1), &id) && id == 4);
    CHECK(gr_zkl_controller_epoch_decode("17", 2, &epoch) && epoch == 17);
    CHECK(!gr_zkl_controller_epoch_decode("-1", 2, &epoch) && !gr_zkl_controller_epoch_decode("x", 1, &epoch));
    gr_zkl_controller_epoch_encode(b, 17);
    CHECK(buf_is(b, "17"));

    char cid[64];
    CHECK(gr_zkl_cluster_id_decode(kafka_cluster_id, strlen(kafka_cluster_id), cid, sizeof cid));
    CHECK(!strcmp(cid, "d9fDfCW-TAu4AhyLQc455A"));
    gr_zkl_cluster_id_encode(b, cid);
    CHECK(buf_is(b, kafka_cluster_id));

    gr_properties p;
    gr_properties_init(&p);
    CHECK(gr_zkl_config_decode(kafka_config, strlen(kafka_config), &p));
    CHECK(p.count == 1 && !strcmp(gr_properties_get(&p, "retention.ms"), "7200000"));
    gr_zkl_config_encode(b, &p);
    CHECK(buf_is(b, kafka_config));
    CHECK(!gr_zkl_config_decode("{\"config\":{\"a\":1}}", 18, &p));
    gr_properties_free(&p);
    gr_zkl_config_change_encode(b, "ref");
    CHECK(buf_is(b, kafka_change));

    int64_t end;
    CHECK(gr_zkl_producer_ids_decode(kafka_pid_block, strlen(kafka_pid_block), &end) && end == 999);
    gr_zkl_producer_ids_encode(b, 1, 0, 999);
    CHECK(buf_is(b, kafka_pid_block));
}

static void test_admin_nodes(gr_buf *b) {
    /* As kafka-reassign-partitions and kafka-preferred-replica-election of the ZooKeeper era write them. */
    const char *reassign = "{\"version\":1,\"partitions\":[{\"topic\":\"t\",\"partition\":1,\"replicas\":[3,1]}]}";
    gr_zkl_partition_ref *refs;
    int n;
    CHECK(gr_zkl_reassign_decode(reassign, strlen(reassign), &refs, &n) && n == 1);
    CHECK(!strcmp(refs[0].topic, "t") && refs[0].partition == 1 && refs[0].replica_count == 2 && refs[0].replicas[0] == 3);
    gr_zkl_reassign_encode(b, refs, n);
    CHECK(buf_is(b, reassign));
    free(refs);
    const char *preferred = "{\"version\":1,\"partitions\":[{\"topic\":\"t\",\"partition\":0}]}";
    CHECK(gr_zkl_preferred_decode(preferred, strlen(preferred), &refs, &n) && n == 1 && refs[0].partition == 0);
    gr_zkl_preferred_encode(b, refs, n);
    CHECK(buf_is(b, preferred));
    free(refs);
    CHECK(!gr_zkl_reassign_decode(preferred, strlen(preferred), &refs, &n)); /* no replicas */
    CHECK(!gr_zkl_preferred_decode("{\"partitions\":[{\"topic\":1}]}", 28, &refs, &n));
}

static void test_paths(void) {
    char p[GR_ZKL_PATH_MAX];
    CHECK(gr_zkl_state_path(p, sizeof p, "t", 3) && !strcmp(p, "/brokers/topics/t/partitions/3/state"));
    CHECK(gr_zkl_broker_path(p, sizeof p, 12) && !strcmp(p, "/brokers/ids/12"));
    CHECK(!gr_zkl_topic_path(p, 10, "a-long-topic-name"));
}

int main(void) {
    gr_buf b;
    gr_buf_init(&b);
    test_broker(&b);
    test_topic(&b);
    test_state(&b);
    test_small_nodes(&b);
    test_admin_nodes(&b);
    test_paths();
    gr_buf_free(&b);
    if (test_failures) fprintf(stderr, "test_zk_layout: %d failures\n", test_failures);
    return test_failures ? 1 : 0;
}
