/*
 * test_bad_input.c: libgregor given bad input (null, forged, stale and wrong-kind handles, NULL
 * pointers, tiny buffers, unknown config keys, malformed header blocks and partition lists)
 * answers with error codes and text, never a crash. ctest runs it without a broker (and
 * `make asan` under ASan); with a bootstrap argument it also checks, against that broker, that
 * a message too big for the buffers is reported with its sizes and kept for the next call, that
 * commits are read back, and that admin calls report Kafka's errors and the sizes they need.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test_check.h"
#include "gregor_client.h"

#define NOWHERE "127.0.0.1:1"
#define RACE_THREADS 4
#define RACE_CALLS 2000

static int64_t config_for(const char *bootstrap) {
    int64_t config = 0;
    char errstr[256];
    CHECK_EQ_INT(gregor_config_new(&config), GREGOR_OK);
    CHECK_EQ_INT(gregor_config_set(config, "bootstrap.servers", bootstrap, errstr, sizeof errstr), GREGOR_OK);
    CHECK_EQ_INT(gregor_config_set(config, "log_level", "0", errstr, sizeof errstr), GREGOR_OK);
    return config;
}

static void test_handles(void) {
    const int64_t forged[] = {0, -1, 1, 65535, (int64_t)1 << 40, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        CHECK_EQ_INT(gregor_close(forged[i]), GREGOR_ERR_BAD_HANDLE);
        CHECK_EQ_INT(gregor_produce(forged[i], "t", -1, "k", 1, "v", 1, NULL, 0, NULL),
                     GREGOR_ERR_BAD_HANDLE);
        CHECK_EQ_INT(gregor_flush(forged[i], 0), GREGOR_ERR_BAD_HANDLE);
        CHECK_EQ_INT(gregor_subscribe(forged[i], "t"), GREGOR_ERR_BAD_HANDLE);
        CHECK_EQ_INT(gregor_commit(forged[i], 0), GREGOR_ERR_BAD_HANDLE);
        CHECK_EQ_INT(gregor_topics_list(forged[i], 0, NULL, 0, NULL), GREGOR_ERR_BAD_HANDLE);
        CHECK_EQ_INT(gregor_partitions_list(forged[i], "t", 0, NULL, 0, NULL), GREGOR_ERR_BAD_HANDLE);
        CHECK_EQ_INT(gregor_committed(forged[i], "t", 0, 0, &(int64_t){0}), GREGOR_ERR_BAD_HANDLE);
        CHECK_EQ_INT(gregor_consume(forged[i], 0, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL, 0, NULL,
                                    NULL, NULL, 0, NULL),
                     GREGOR_ERR_BAD_HANDLE);
    }
    int64_t config = config_for(NOWHERE), stale = config;
    CHECK(config > 0);
    CHECK_EQ_INT(gregor_close(config), GREGOR_OK);
    CHECK_EQ_INT(gregor_close(stale), GREGOR_ERR_BAD_HANDLE);
    char errstr[64];
    CHECK_EQ_INT(gregor_config_set(stale, "acks", "all", errstr, sizeof errstr), GREGOR_ERR_BAD_HANDLE);
    int64_t producer = 1;
    CHECK_EQ_INT(gregor_producer_new(stale, &producer, errstr, sizeof errstr), GREGOR_ERR_BAD_HANDLE);
    CHECK_EQ_INT(producer, 0);
    CHECK(strlen(errstr) > 0);
    int64_t reused = config_for(NOWHERE); /* may take the same slot, never the same id */
    CHECK(reused != stale);
    CHECK_EQ_INT(gregor_config_set(stale, "acks", "all", NULL, 0), GREGOR_ERR_BAD_HANDLE);

    /* A handle of the wrong kind is refused by every call of the other kinds. */
    CHECK_EQ_INT(gregor_produce(reused, "t", -1, NULL, 0, NULL, 0, NULL, 0, NULL), GREGOR_ERR_BAD_HANDLE);
    CHECK_EQ_INT(gregor_producer_new(reused, &producer, errstr, sizeof errstr), GREGOR_OK);
    CHECK_EQ_INT(gregor_subscribe(producer, "t"), GREGOR_ERR_BAD_HANDLE);
    CHECK_EQ_INT(gregor_group_describe(producer, "g", 0, NULL, 0, NULL), GREGOR_ERR_BAD_HANDLE);
    CHECK_EQ_INT(gregor_config_set(producer, "acks", "all", errstr, sizeof errstr), GREGOR_ERR_BAD_HANDLE);
    CHECK_EQ_INT(gregor_close(producer), GREGOR_OK);
    CHECK_EQ_INT(gregor_delivery_poll(producer, 0, NULL, NULL, NULL, NULL), GREGOR_ERR_BAD_HANDLE);
    CHECK_EQ_INT(gregor_close(reused), GREGOR_OK);
    CHECK_EQ_INT(gregor_config_new(NULL), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_producer_new(1, NULL, NULL, 0), GREGOR_ERR_BAD_ARGUMENT);
}

static void test_config(void) {
    int64_t config = config_for(NOWHERE);
    char errstr[256];
    CHECK_EQ_INT(gregor_config_set(config, "no.such.key", "1", errstr, sizeof errstr), GREGOR_ERR_CONFIG);
    CHECK(strstr(errstr, "no.such.key") != NULL);
    CHECK_EQ_INT(gregor_config_set(config, "acks", "sometimes", errstr, sizeof errstr), GREGOR_ERR_CONFIG);
    CHECK(strlen(errstr) > 0);
    char tiny[4] = "xyz";
    CHECK_EQ_INT(gregor_config_set(config, "no.such.key", "1", tiny, 1), GREGOR_ERR_CONFIG);
    CHECK_EQ_INT(tiny[0], '\0');
    CHECK_EQ_INT(tiny[1], 'y');
    CHECK_EQ_INT(gregor_config_set(config, "no.such.key", "1", NULL, 0), GREGOR_ERR_CONFIG);
    CHECK_EQ_INT(gregor_config_set(config, NULL, "1", errstr, sizeof errstr), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_config_set(config, "acks", NULL, errstr, sizeof errstr), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_close(config), GREGOR_OK);

    char text[256];
    CHECK_EQ_INT(gregor_error_message(GREGOR_ERR_BAD_HANDLE, text, sizeof text), GREGOR_OK);
    CHECK(strstr(text, "handle") != NULL);
    CHECK_EQ_INT(gregor_error_message(3, text, sizeof text), GREGOR_OK); /* Kafka's UNKNOWN_TOPIC_OR_PART */
    CHECK(strlen(text) > 0);
    CHECK_EQ_INT(gregor_error_message(-424242, text, 2), GREGOR_OK);
    CHECK(strlen(text) <= 1);
    CHECK_EQ_INT(gregor_error_message(GREGOR_ERR_TIMED_OUT, NULL, 0), GREGOR_OK);
}

static void test_producer_arguments(void) {
    int64_t config = config_for(NOWHERE), producer = 0;
    char errstr[256];
    CHECK_EQ_INT(gregor_producer_new(config, &producer, errstr, sizeof errstr), GREGOR_OK);
    int64_t id = -5;
    CHECK_EQ_INT(gregor_produce(producer, NULL, -1, "k", 1, "v", 1, NULL, 0, &id), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(id, 0);
    CHECK_EQ_INT(gregor_produce(producer, "", -1, "k", 1, "v", 1, NULL, 0, &id), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_produce(producer, "t", -7, "k", 1, "v", 1, NULL, 0, &id), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_produce(producer, "t", -1, NULL, 5, "v", 1, NULL, 0, &id), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_produce(producer, "t", -1, "k", 1, NULL, 9, NULL, 0, &id), GREGOR_ERR_BAD_ARGUMENT);

    unsigned char block[32];
    size_t used = 0;
    CHECK_EQ_INT(gregor_header_append(block, sizeof block, &used, "name", "value", 5), GREGOR_OK);
    CHECK_EQ_INT(used, 8 + 4 + 5);
    CHECK_EQ_INT(gregor_header_append(block, sizeof block, &used, "second", "too long for the rest", 21),
                 GREGOR_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ_INT(used, 8 + 4 + 5);
    CHECK_EQ_INT(gregor_header_append(block, sizeof block, &used, NULL, "v", 1), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_header_append(block, 4, &used, "n", "v", 1),
                 GREGOR_ERR_BAD_ARGUMENT); /* used > size */
    CHECK_EQ_INT(gregor_header_append(block, sizeof block, &used, "n", NULL, 0), GREGOR_OK);
    /* Truncated and overlong header blocks are refused; a good one is queued. */
    for (size_t cut = 1; cut < used; cut++)
        if (cut != 17)
            CHECK_EQ_INT(gregor_produce(producer, "t", -1, "k", 1, "v", 1, block, cut, &id),
                         GREGOR_ERR_BAD_ARGUMENT);
    uint32_t huge[2] = {8, 0x7fffffff};
    CHECK_EQ_INT(gregor_produce(producer, "t", -1, "k", 1, "v", 1, huge, sizeof huge, &id),
                 GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_produce(producer, "t", -1, "k", 1, "v", 1, NULL, 3, &id), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_produce(producer, "t", -1, "k", 1, "v", 1, block, used, &id), GREGOR_OK);
    CHECK_EQ_INT(id, 1);
    CHECK_EQ_INT(gregor_produce(producer, "t", 0, NULL, 0, NULL, 0, NULL, 0, &id), GREGOR_OK);
    CHECK_EQ_INT(id, 2);
    CHECK_EQ_INT(gregor_delivery_poll(producer, 0, NULL, NULL, NULL, NULL), GREGOR_ERR_TIMED_OUT);
    CHECK_EQ_INT(gregor_flush(producer, 10), GREGOR_ERR_TIMED_OUT);
    CHECK_EQ_INT(gregor_close(producer), GREGOR_OK); /* undelivered records are dropped */

    /* A full queue is librdkafka's error, with headers or without (which once crashed). */
    CHECK_EQ_INT(gregor_config_set(config, "queue.buffering.max.messages", "1", errstr, sizeof errstr),
                 GREGOR_OK);
    CHECK_EQ_INT(gregor_producer_new(config, &producer, errstr, sizeof errstr), GREGOR_OK);
    CHECK_EQ_INT(gregor_produce(producer, "t", 0, "k", 1, "v", 1, NULL, 0, &id), GREGOR_OK);
    CHECK_EQ_INT(gregor_produce(producer, "t", 0, "k", 1, "v", 1, NULL, 0, &id), -184); /* _QUEUE_FULL */
    CHECK_EQ_INT(id, 0);
    CHECK_EQ_INT(gregor_produce(producer, "t", 0, "k", 1, "v", 1, block, used, &id), -184);
    CHECK_EQ_INT(gregor_close(producer), GREGOR_OK);
    CHECK_EQ_INT(gregor_close(config), GREGOR_OK);
}

static void test_consumer_arguments(void) {
    int64_t config = config_for(NOWHERE), consumer = 0;
    char errstr[256];
    CHECK_EQ_INT(gregor_config_set(config, "group.id", "bad-input", errstr, sizeof errstr), GREGOR_OK);
    CHECK_EQ_INT(gregor_consumer_new(config, &consumer, errstr, sizeof errstr), GREGOR_OK);
    CHECK_EQ_INT(gregor_subscribe(consumer, NULL), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_subscribe(consumer, ""), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_subscribe(consumer, ",,"), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_subscribe(consumer, "t:0"), GREGOR_ERR_BAD_ARGUMENT);
    const char *bad_lists[] = {"t", "t:", "t:x", "t:-1", "t:0:", "t:0:zz", ":0", "t:99999999999", "t:0:1:2"};
    for (size_t i = 0; i < sizeof bad_lists / sizeof bad_lists[0]; i++)
        CHECK_EQ_INT(gregor_assign(consumer, bad_lists[i]), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_assign(consumer, "t:0:-2,t:1,u:3:17"), GREGOR_OK);
    CHECK_EQ_INT(gregor_assign(consumer, ""), GREGOR_OK);

    char topic[8];
    size_t topic_len = 0;
    CHECK_EQ_INT(gregor_consume(consumer, 0, NULL, 8, &topic_len, NULL, NULL, NULL, 0, NULL, NULL, 0, NULL,
                                NULL, NULL, 0, NULL),
                 GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_consume(consumer, 0, topic, sizeof topic, &topic_len, NULL, NULL, NULL, 0, NULL, NULL,
                                0, NULL, NULL, NULL, 0, NULL),
                 GREGOR_ERR_TIMED_OUT);
    int64_t offset = 0;
    CHECK_EQ_INT(gregor_committed(consumer, "t", 0, 0, NULL), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_committed(consumer, NULL, 0, 0, &offset), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_commit_offset(consumer, "t", -1, 5, 0), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_commit_offset(consumer, "t", 0, -5, 0), GREGOR_ERR_BAD_ARGUMENT);
    CHECK(gregor_commit(consumer, 0) != GREGOR_OK); /* nothing consumed */
    CHECK_EQ_INT(gregor_close(consumer), GREGOR_OK);
    CHECK_EQ_INT(gregor_close(config), GREGOR_OK);
}

static void test_admin_arguments(void) {
    int64_t config = config_for(NOWHERE), admin = 0;
    char errstr[256], out[4];
    size_t out_len = 0;
    CHECK_EQ_INT(gregor_admin_new(config, &admin, errstr, sizeof errstr), GREGOR_OK);
    CHECK_EQ_INT(gregor_topic_create(admin, NULL, 1, -1, 100, errstr, sizeof errstr),
                 GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_topic_create(admin, "t", -3, -1, 100, errstr, sizeof errstr),
                 GREGOR_ERR_BAD_ARGUMENT);
    CHECK(strlen(errstr) > 0);
    CHECK_EQ_INT(gregor_topic_delete(admin, "", 100, errstr, sizeof errstr), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_group_describe(admin, NULL, 100, out, sizeof out, &out_len), GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_partitions_list(admin, NULL, 100, out, sizeof out, &out_len),
                 GREGOR_ERR_BAD_ARGUMENT);
    CHECK_EQ_INT(gregor_partitions_list(admin, "t", -1, out, sizeof out, &out_len), GREGOR_ERR_BAD_ARGUMENT);
    /* No broker answers: an error, not a hang or a crash. */
    CHECK(gregor_topic_create(admin, "t", 1, -1, 300, errstr, sizeof errstr) != GREGOR_OK);
    CHECK(gregor_topics_list(admin, 300, out, sizeof out, &out_len) != GREGOR_OK);
    CHECK(gregor_partitions_list(admin, "t", 300, out, sizeof out, &out_len) != GREGOR_OK);
    CHECK_EQ_INT(gregor_close(admin), GREGOR_OK);
    CHECK_EQ_INT(gregor_close(config), GREGOR_OK);
}

/* Threads using a config handle while the main thread closes it: every call either works or
 * gets GREGOR_ERR_BAD_HANDLE. */
static void *use_config(void *arg) {
    int64_t config = *(int64_t *)arg;
    long bad = 0;
    for (int i = 0; i < RACE_CALLS; i++) {
        int32_t rc = gregor_config_set(config, "client.id", "racer", NULL, 0);
        if (rc != GREGOR_OK && rc != GREGOR_ERR_BAD_HANDLE) bad++;
    }
    return (void *)bad;
}

static void test_close_race(void) {
    int64_t config = config_for(NOWHERE);
    pthread_t threads[RACE_THREADS];
    for (int i = 0; i < RACE_THREADS; i++) pthread_create(&threads[i], NULL, use_config, &config);
    CHECK_EQ_INT(gregor_close(config), GREGOR_OK);
    for (int i = 0; i < RACE_THREADS; i++) {
        void *bad;
        pthread_join(threads[i], &bad);
        CHECK_EQ_INT((long)bad, 0);
    }
}

/* Threads producing (and polling reports) on one producer while the main thread closes it:
 * every call works, finds the queue full, or gets GREGOR_ERR_BAD_HANDLE once it is closed. */
static void *use_producer(void *arg) {
    int64_t producer = *(int64_t *)arg;
    long bad = 0;
    for (int i = 0; i < RACE_CALLS; i++) {
        int64_t id;
        int32_t rc = gregor_produce(producer, "race", GREGOR_PARTITION_ANY, "k", 1, "v", 1, NULL, 0, &id);
        if (rc != GREGOR_OK && rc != -184 /* _QUEUE_FULL */ && rc != GREGOR_ERR_BAD_HANDLE) bad++;
        rc = gregor_delivery_poll(producer, 0, NULL, NULL, NULL, NULL);
        if (rc != GREGOR_OK && rc != GREGOR_ERR_TIMED_OUT && rc != GREGOR_ERR_BAD_HANDLE) bad++;
    }
    return (void *)bad;
}

static void test_producer_close_race(void) {
    int64_t config = config_for(NOWHERE), producer;
    char errstr[256];
    CHECK_EQ_INT(gregor_producer_new(config, &producer, errstr, sizeof errstr), GREGOR_OK);
    pthread_t threads[RACE_THREADS];
    for (int i = 0; i < RACE_THREADS; i++) pthread_create(&threads[i], NULL, use_producer, &producer);
    int64_t id;
    for (int i = 0; i < RACE_CALLS / 4; i++)
        gregor_produce(producer, "race", 0, NULL, 0, "v", 1, NULL, 0, &id);
    CHECK_EQ_INT(gregor_close(producer), GREGOR_OK);
    for (int i = 0; i < RACE_THREADS; i++) {
        void *bad;
        pthread_join(threads[i], &bad);
        CHECK_EQ_INT((long)bad, 0);
    }
    CHECK_EQ_INT(gregor_close(config), GREGOR_OK);
}

/* Against a broker: a message too big for the buffers is reported with its sizes, kept, and
 * returned whole once the buffers are big enough. */
static void test_small_buffers(const char *bootstrap) {
    int64_t config = config_for(bootstrap), producer, consumer, id;
    char errstr[256];
    CHECK_EQ_INT(gregor_producer_new(config, &producer, errstr, sizeof errstr), GREGOR_OK);
    char payload[3000];
    memset(payload, 'p', sizeof payload);
    unsigned char block[64];
    size_t block_len = 0;
    CHECK_EQ_INT(gregor_header_append(block, sizeof block, &block_len, "h", "hv", 2), GREGOR_OK);
    CHECK_EQ_INT(gregor_produce(producer, "small-buffers", 0, "key", 3, payload, sizeof payload, block,
                                block_len, &id),
                 GREGOR_OK);
    CHECK_EQ_INT(gregor_flush(producer, 10000), GREGOR_OK);
    int32_t error = -1, partition = -1;
    int64_t offset = -1;
    CHECK_EQ_INT(gregor_delivery_poll(producer, 1000, &id, &error, &partition, &offset), GREGOR_OK);
    CHECK_EQ_INT(error, 0);
    CHECK_EQ_INT(gregor_close(producer), GREGOR_OK);

    CHECK_EQ_INT(gregor_config_set(config, "group.id", "small-buffers", errstr, sizeof errstr), GREGOR_OK);
    CHECK_EQ_INT(gregor_consumer_new(config, &consumer, errstr, sizeof errstr), GREGOR_OK);
    char assignment[64]; /* from the record just written, in case the topic has older ones */
    snprintf(assignment, sizeof assignment, "small-buffers:0:%lld", (long long)offset);
    CHECK_EQ_INT(gregor_assign(consumer, assignment), GREGOR_OK);
    char topic[64], key[8], got[4000], headers[64];
    size_t topic_len = 0, headers_len = 0;
    int64_t key_len = 0, payload_len = 0, timestamp = 0, at = -1;
    int32_t rc = GREGOR_ERR_TIMED_OUT;
    for (int i = 0; i < 30 && rc == GREGOR_ERR_TIMED_OUT; i++) /* sizes only: every buffer NULL */
        rc = gregor_consume(consumer, 1000, NULL, 0, &topic_len, &partition, &at, NULL, 0, &key_len, NULL, 0,
                            &payload_len, &timestamp, NULL, 0, &headers_len);
    CHECK_EQ_INT(rc, GREGOR_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ_INT(topic_len, strlen("small-buffers") + 1);
    CHECK_EQ_INT(key_len, 3);
    CHECK_EQ_INT(payload_len, sizeof payload);
    CHECK_EQ_INT(headers_len, 8 + 1 + 2);
    CHECK_EQ_INT(at, offset);
    /* One byte short in one buffer at a time: still kept. */
    CHECK_EQ_INT(gregor_consume(consumer, 0, topic, topic_len - 1, &topic_len, NULL, NULL, key, 8, &key_len,
                                got, sizeof got, &payload_len, NULL, headers, sizeof headers, &headers_len),
                 GREGOR_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ_INT(gregor_consume(consumer, 0, topic, sizeof topic, &topic_len, NULL, NULL, key, 8, &key_len,
                                got, sizeof payload - 1, &payload_len, NULL, headers, sizeof headers,
                                &headers_len),
                 GREGOR_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ_INT(gregor_consume(consumer, 0, topic, sizeof topic, &topic_len, NULL, NULL, key, 8, &key_len,
                                got, sizeof got, &payload_len, NULL, headers, headers_len - 1, &headers_len),
                 GREGOR_ERR_BUFFER_TOO_SMALL);
    at = -1;
    CHECK_EQ_INT(gregor_consume(consumer, 0, topic, sizeof topic, &topic_len, &partition, &at, key, 8,
                                &key_len, got, sizeof got, &payload_len, &timestamp, headers, sizeof headers,
                                &headers_len),
                 GREGOR_OK);
    CHECK_EQ_INT(at, offset);
    CHECK(strcmp(topic, "small-buffers") == 0);
    CHECK(memcmp(key, "key", 3) == 0);
    CHECK(memcmp(got, payload, sizeof payload) == 0);
    CHECK(memcmp(headers + 8, "hhv", 3) == 0);
    CHECK(timestamp > 0);
    CHECK_EQ_INT(gregor_consume(consumer, 200, topic, sizeof topic, &topic_len, NULL, NULL, key, 8, &key_len,
                                got, sizeof got, &payload_len, NULL, headers, sizeof headers, &headers_len),
                 GREGOR_ERR_TIMED_OUT);
    /* Commits: all consumed (not waiting), then one partition's offset (waiting), read back. */
    int64_t committed = -1;
    CHECK_EQ_INT(gregor_commit(consumer, 1), GREGOR_OK);
    CHECK_EQ_INT(gregor_commit_offset(consumer, "small-buffers", 0, offset, 0), GREGOR_OK);
    CHECK_EQ_INT(gregor_committed(consumer, "small-buffers", 0, 10000, &committed), GREGOR_OK);
    CHECK_EQ_INT(committed, offset);
    CHECK_EQ_INT(gregor_commit_offset(consumer, "small-buffers", 0, offset + 1, 0), GREGOR_OK);
    CHECK_EQ_INT(gregor_committed(consumer, "small-buffers", 0, 10000, &committed), GREGOR_OK);
    CHECK_EQ_INT(committed, offset + 1);
    CHECK_EQ_INT(gregor_close(consumer), GREGOR_OK);
    CHECK_EQ_INT(gregor_close(config), GREGOR_OK);
}

/* Against a broker: admin calls on a topic of their own, their errors and needed sizes. */
static void test_admin_with_broker(const char *bootstrap) {
    int64_t config = config_for(bootstrap), admin;
    char errstr[256], out[256];
    size_t out_len = 0;
    CHECK_EQ_INT(gregor_admin_new(config, &admin, errstr, sizeof errstr), GREGOR_OK);
    CHECK_EQ_INT(gregor_topic_create(admin, "capi-admin", 2, -1, 10000, errstr, sizeof errstr), GREGOR_OK);
    CHECK_EQ_INT(gregor_topic_create(admin, "capi-admin", 2, -1, 10000, errstr, sizeof errstr),
                 36); /* Kafka's TOPIC_ALREADY_EXISTS, with its text */
    CHECK(strlen(errstr) > 0);
    CHECK_EQ_INT(gregor_partitions_list(admin, "capi-admin", 10000, out, 3, &out_len),
                 GREGOR_ERR_BUFFER_TOO_SMALL);
    size_t needed = out_len;
    CHECK(needed > 3);
    CHECK_EQ_INT(gregor_partitions_list(admin, "capi-admin", 10000, out, needed, &out_len), GREGOR_OK);
    CHECK_EQ_INT(out_len, needed);
    CHECK_EQ_INT(strlen(out) + 1, needed);
    int id0, id1, leader;
    long long low, high;
    CHECK_EQ_INT(sscanf(out, "%d\t%d\t%lld\t%lld\n%d", &id0, &leader, &low, &high, &id1), 5);
    CHECK_EQ_INT(id0, 0);
    CHECK_EQ_INT(id1, 1);
    CHECK_EQ_INT(high, 0);
    CHECK_EQ_INT(gregor_partitions_list(admin, "capi-no-such-topic", 10000, out, sizeof out, &out_len), 3);
    CHECK_EQ_INT(gregor_group_describe(admin, "capi-no-such-group", 10000, out, sizeof out, &out_len),
                 GREGOR_ERR_NOT_FOUND);
    CHECK_EQ_INT(gregor_topic_delete(admin, "capi-admin", 10000, errstr, sizeof errstr), GREGOR_OK);
    CHECK_EQ_INT(gregor_topic_delete(admin, "capi-admin", 10000, errstr, sizeof errstr), 3);
    CHECK_EQ_INT(gregor_close(admin), GREGOR_OK);
    CHECK_EQ_INT(gregor_close(config), GREGOR_OK);
}

int main(int argc, char **argv) {
    test_handles();
    test_config();
    test_producer_arguments();
    test_consumer_arguments();
    test_admin_arguments();
    test_close_race();
    test_producer_close_race();
    if (argc > 1) test_small_buffers(argv[1]);
    if (argc > 1) test_admin_with_broker(argv[1]);
    if (test_failures) fprintf(stderr, "%d checks failed\n", test_failures);
    return test_failures != 0;
}
