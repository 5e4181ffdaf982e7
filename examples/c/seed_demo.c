/*
 * seed_demo.c: the libgregor seed demo in C.
 *
 *   seed_demo BOOTSTRAP
 *
 * Creates topics animals and plants, produces keyed records with a header, reads their delivery
 * reports, consumes everything in group dyalog with a manual commit (growing its buffers when
 * libgregor reports they are too small), checks that the group's lag table shows 0, reads
 * everything again in a second group, and deletes the topics. Exits 0 when every check holds.
 */
#define _POSIX_C_SOURCE 200809L /* strtok_r */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gregor_client.h"

#define TIMEOUT_MS 10000
#define CONSUME_ATTEMPTS_MAX 60
#define RECORD_COUNT 10

static const char *const RECORDS[RECORD_COUNT][3] = {
    {"animals", "cat", "meows"},   {"animals", "dog", "barks"},       {"animals", "emu", "runs"},
    {"animals", "fox", "yips"},    {"animals", "gnu", "grazes"},      {"animals", "yak", "grunts"},
    {"plants", "fern", "uncurls"}, {"plants", "oak", "grows slowly"}, {"plants", "ivy", "climbs"},
    {"plants", "moss", "spreads"},
};

static void fail(const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    fprintf(stderr, "seed_demo: ");
    vfprintf(stderr, format, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(1);
}

/* Exits with the code's text unless rc is GREGOR_OK. */
static void check(int32_t rc, const char *what) {
    if (rc == GREGOR_OK) return;
    char text[256];
    gregor_error_message(rc, text, sizeof text);
    fail("%s: %s (%d)", what, text, rc);
}

static int64_t new_config(const char *bootstrap, const char *group) {
    int64_t config;
    char errstr[256];
    check(gregor_config_new(&config), "config");
    check(gregor_config_set(config, "bootstrap.servers", bootstrap, errstr, sizeof errstr), errstr);
    if (group) {
        check(gregor_config_set(config, "group.id", group, errstr, sizeof errstr), errstr);
        check(gregor_config_set(config, "enable.auto.commit", "false", errstr, sizeof errstr), errstr);
        check(gregor_config_set(config, "auto.offset.reset", "earliest", errstr, sizeof errstr), errstr);
    }
    return config;
}

static void produce_all(const char *bootstrap) {
    int64_t config = new_config(bootstrap, NULL), producer;
    char errstr[256];
    check(gregor_producer_new(config, &producer, errstr, sizeof errstr), errstr);
    gregor_close(config);
    unsigned char headers[64];
    size_t headers_len = 0;
    check(gregor_header_append(headers, sizeof headers, &headers_len, "origin", "seed", 4), "header");
    int64_t ids[RECORD_COUNT];
    for (int i = 0; i < RECORD_COUNT; i++) {
        const char *topic = RECORDS[i][0], *key = RECORDS[i][1], *value = RECORDS[i][2];
        check(gregor_produce(producer, topic, GREGOR_PARTITION_ANY, key, strlen(key), value, strlen(value),
                             headers, headers_len, &ids[i]),
              "produce");
    }
    check(gregor_flush(producer, TIMEOUT_MS), "flush");
    for (int n = 0; n < RECORD_COUNT; n++) {
        int64_t id, offset;
        int32_t error, partition;
        check(gregor_delivery_poll(producer, TIMEOUT_MS, &id, &error, &partition, &offset),
              "delivery report");
        if (id < ids[0] || id > ids[RECORD_COUNT - 1])
            fail("delivery report for unknown message id %lld", (long long)id);
        check(error, "delivery");
        const char *const *r = RECORDS[id - ids[0]];
        printf("delivered %s/%s -> %s [%d] @ %lld\n", r[1], r[2], r[0], partition, (long long)offset);
    }
    gregor_close(producer);
}

/* Reads until every record was seen once; returns how many arrived. */
static int consume_all(const char *bootstrap, const char *group) {
    int64_t config = new_config(bootstrap, group), consumer;
    char errstr[256];
    check(gregor_consumer_new(config, &consumer, errstr, sizeof errstr), errstr);
    gregor_close(config);
    check(gregor_subscribe(consumer, "animals,plants"), "subscribe");
    /* Deliberately small buffers: libgregor reports the sizes and keeps the message. */
    size_t key_size = 2, payload_size = 2, headers_size = 0, topic_size = 4;
    char *topic = malloc(topic_size), *key = malloc(key_size), *payload = malloc(payload_size);
    char *headers = NULL;
    int seen[RECORD_COUNT] = {0}, got = 0, grown = 0;
    for (int attempt = 0; got < RECORD_COUNT && attempt < CONSUME_ATTEMPTS_MAX; attempt++) {
        size_t topic_len, headers_len;
        int64_t offset, key_len, payload_len, timestamp_ms;
        int32_t partition;
        int32_t rc = gregor_consume(consumer, 1000, topic, topic_size, &topic_len, &partition, &offset, key,
                                    key_size, &key_len, payload, payload_size, &payload_len, &timestamp_ms,
                                    headers, headers_size, &headers_len);
        if (rc == GREGOR_ERR_TIMED_OUT) continue;
        if (rc == GREGOR_ERR_BUFFER_TOO_SMALL) {
            topic = realloc(topic, topic_size = topic_len);
            key = realloc(key, key_size = (size_t)key_len);
            payload = realloc(payload, payload_size = (size_t)payload_len);
            headers = realloc(headers, headers_size = headers_len);
            grown++;
            attempt--; /* the same message comes again */
            continue;
        }
        check(rc, "consume");
        int match = -1;
        for (int i = 0; i < RECORD_COUNT; i++)
            if (!strcmp(RECORDS[i][0], topic) && (size_t)key_len == strlen(RECORDS[i][1]) &&
                !memcmp(RECORDS[i][1], key, (size_t)key_len))
                match = i;
        if (match < 0) fail("unexpected record in %s [%d] @ %lld", topic, partition, (long long)offset);
        if ((size_t)payload_len != strlen(RECORDS[match][2]) ||
            memcmp(payload, RECORDS[match][2], (size_t)payload_len))
            fail("wrong payload for key %s", RECORDS[match][1]);
        /* One header, origin=seed: uint32 name length, uint32 value length, name, value. */
        uint32_t lens[2];
        if (headers_len != 8 + 6 + 4 || (memcpy(lens, headers, 8), lens[0] != 6 || lens[1] != 4) ||
            memcmp(headers + 8, "originseed", 10))
            fail("wrong headers for key %s", RECORDS[match][1]);
        if (timestamp_ms <= 0) fail("no timestamp for key %s", RECORDS[match][1]);
        if (!seen[match]++) got++;
        printf("%s consumed %s [%d] @ %lld: %.*s = %.*s\n", group, topic, partition, (long long)offset,
               (int)key_len, key, (int)payload_len, payload);
    }
    if (got < RECORD_COUNT) fail("%s read %d of %d records", group, got, RECORD_COUNT);
    if (!grown) fail("the small buffers were never reported too small");
    check(gregor_commit(consumer, 0), "commit");
    int64_t committed;
    check(gregor_committed(consumer, "plants", 0, TIMEOUT_MS, &committed), "committed");
    printf("%s committed plants [0] at %lld\n", group, (long long)committed);
    check(gregor_close(consumer), "close consumer");
    free(topic);
    free(key);
    free(payload);
    free(headers);
    return got;
}

/* Prints the group's lag table and checks that every partition is read to its end. */
static void check_lag(int64_t admin, const char *group) {
    char table[4096];
    size_t table_len;
    check(gregor_group_describe(admin, group, TIMEOUT_MS, table, sizeof table, &table_len), "describe group");
    printf("lag of %s:\n%s", group, table);
    int64_t committed_total = 0, rows = 0;
    char *save = NULL;
    strtok_r(table, "\n", &save); /* group, state, members */
    for (char *line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char topic[256];
        int partition;
        long long committed, high, lag;
        if (sscanf(line, "%255s %d %lld %lld %lld", topic, &partition, &committed, &high, &lag) != 5)
            fail("bad lag line: %s", line);
        if (lag != 0) fail("%s [%d] lags by %lld", topic, partition, lag);
        committed_total += committed;
        rows++;
    }
    if (committed_total != RECORD_COUNT)
        fail("committed offsets add up to %lld, not %d", (long long)committed_total, RECORD_COUNT);
    printf("lag of %s is 0 on all %lld partitions\n", group, (long long)rows);
}

/* Prints the partitions of animals and checks that they hold its six records. */
static void check_partitions(int64_t admin) {
    char table[1024];
    size_t table_len;
    check(gregor_partitions_list(admin, "animals", TIMEOUT_MS, table, sizeof table, &table_len),
          "list partitions");
    printf("partitions of animals:\n%s", table);
    long long records = 0;
    int rows = 0;
    char *save = NULL;
    for (char *line = strtok_r(table, "\n", &save); line; line = strtok_r(NULL, "\n", &save), rows++) {
        int partition, leader;
        long long low, high;
        if (sscanf(line, "%d %d %lld %lld", &partition, &leader, &low, &high) != 4 || partition != rows)
            fail("bad partition line: %s", line);
        records += high - low;
    }
    if (rows != 3 || records != 6) fail("animals has %d partitions and %lld records", rows, records);
}

int main(int argc, char **argv) {
    if (argc != 2) fail("usage: seed_demo BOOTSTRAP");
    const char *bootstrap = argv[1];
    printf("libgregor %s on librdkafka %s\n", gregor_version(), gregor_rdkafka_version());
    int64_t config = new_config(bootstrap, NULL), admin;
    char errstr[256], list[4096];
    size_t list_len;
    check(gregor_admin_new(config, &admin, errstr, sizeof errstr), errstr);
    gregor_close(config);
    check(gregor_topic_create(admin, "animals", 3, -1, TIMEOUT_MS, errstr, sizeof errstr), errstr);
    check(gregor_topic_create(admin, "plants", 2, -1, TIMEOUT_MS, errstr, sizeof errstr), errstr);
    check(gregor_topics_list(admin, TIMEOUT_MS, list, sizeof list, &list_len), "list topics");
    printf("topics:\n%s", list);
    if (!strstr(list, "animals\t3\n") || !strstr(list, "plants\t2\n")) fail("topics missing from the list");

    produce_all(bootstrap);
    check_partitions(admin);
    consume_all(bootstrap, "dyalog");
    check_lag(admin, "dyalog");
    consume_all(bootstrap, "dyalog-again");
    check_lag(admin, "dyalog-again");

    check(gregor_topic_delete(admin, "animals", TIMEOUT_MS, errstr, sizeof errstr), errstr);
    check(gregor_topic_delete(admin, "plants", TIMEOUT_MS, errstr, sizeof errstr), errstr);
    check(gregor_close(admin), "close admin");
    printf("seed demo passed\n");
    return 0;
}
