/* test_topic_config.c: topic keys as Kafka 4.x has them: validation and its messages, the form values
 * are shown in, the synonym chains DescribeConfigs lists, and what the store is given. */
#include <stdio.h>
#include <string.h>

#include "broker/config.h"
#include "cluster/topic_config.h"
#include "test_check.h"

#define CHECK_STR(a, b)                                                                                      \
    do {                                                                                                     \
        const char *sa_ = (a), *sb_ = (b);                                                                   \
        if (!sa_ || strcmp(sa_, sb_)) {                                                                      \
            test_failures++;                                                                                 \
            fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #a,                \
                    sa_ ? sa_ : "(null)", sb_);                                                              \
        }                                                                                                    \
    } while (0)

static void check_refused(const char *name, const char *value, const char *why_expected) {
    const char *why = NULL;
    char canon[256];
    CHECK(!gr_topic_config_check(name, value, canon, sizeof canon, &why));
    CHECK_STR(why, why_expected);
}

static void check_canon(const char *name, const char *value, const char *expected) {
    const char *why = NULL;
    char canon[256] = "";
    CHECK(gr_topic_config_check(name, value, canon, sizeof canon, &why));
    CHECK_STR(canon, expected);
}

static void test_validation(void) {
    check_refused("no.such.config", "1", "Unknown topic config name: no.such.config");
    check_refused("message.downconversion.enable", "true",
                  "Unknown topic config name: message.downconversion.enable");
    check_refused("retention.ms", "-2",
                  "Invalid value -2 for configuration retention.ms: Value must be at least -1");
    check_refused("retention.ms", "abc",
                  "Invalid value abc for configuration retention.ms: Not a number of type LONG");
    check_refused("segment.bytes", "1048575",
                  "Invalid value 1048575 for configuration segment.bytes: Value must be at least 1048576");
    check_refused("segment.bytes", "2147483648",
                  "Invalid value 2147483648 for configuration segment.bytes: Not a number of type INT");
    check_refused("compression.lz4.level", "18",
                  "Invalid value 18 for configuration compression.lz4.level: Value must be no more than 17");
    check_refused(
        "compression.gzip.level", "0",
        "Invalid value 0 for configuration compression.gzip.level: Value must be between 1 and 9 or equal "
        "to -1");
    check_refused(
        "min.cleanable.dirty.ratio", "1.1",
        "Invalid value 1.1 for configuration min.cleanable.dirty.ratio: Value must be no more than 1");
    check_refused(
        "preallocate", "yes",
        "Invalid value yes for configuration preallocate: Expected value to be either true or false");
    check_refused(
        "compression.type", "none",
        "Invalid value none for configuration compression.type: String must be one of: uncompressed, "
        "zstd, lz4, snappy, gzip, producer");
    check_refused(
        "cleanup.policy", "delete,Compact",
        "Invalid value Compact for configuration cleanup.policy: String must be one of: compact, delete");
    check_refused(
        "leader.replication.throttled.replicas", "0,a:b",
        "Invalid value [0, a:b] for configuration leader.replication.throttled.replicas: "
        "leader.replication.throttled.replicas must be the literal '*' or a list of replicas in the "
        "following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...");
    check_refused(
        "remote.storage.enable", "true",
        "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote "
        "log storage.");
    check_refused("local.retention.ms", "-3",
                  "Invalid value -3 for configuration local.retention.ms: Value must be at least -2");
    check_refused(
        "message.timestamp.after.max.ms", "-1",
        "Invalid value -1 for configuration message.timestamp.after.max.ms: Value must be at least 0");

    check_canon("retention.ms", " 100 ", "100");
    check_canon("retention.bytes", "-5", "-5");
    check_canon("preallocate", "True", "true");
    check_canon("min.cleanable.dirty.ratio", "0.50", "0.5");
    check_canon("min.cleanable.dirty.ratio", "1", "1.0");
    check_canon("min.cleanable.dirty.ratio", "0.0001", "1.0E-4");
    check_canon("cleanup.policy", "delete, compact", "delete,compact");
    check_canon("cleanup.policy", "", "");
    check_canon("leader.replication.throttled.replicas", " 0:1 , 1:2 ", "0:1,1:2");
    check_canon("follower.replication.throttled.replicas", "*", "*");
    check_canon("compression.zstd.level", "-131072", "-131072");
    check_canon("compression.gzip.level", "-1", "-1");
    check_canon("remote.storage.enable", "false", "false");
    CHECK_EQ_INT(gr_topic_config_type("cleanup.policy"), GR_CONFIG_TYPE_LIST);
    CHECK_EQ_INT(gr_topic_config_type("segment.bytes"), GR_CONFIG_TYPE_INT);
    CHECK_EQ_INT(gr_topic_config_type("no.such.config"), 0);
}

typedef struct found {
    const char *name;
    gr_config_entry e;
    char value[256];
    char syn[8][128];
    bool seen;
} found;

static bool capture(const gr_config_entry *e, void *ud) {
    found *f = ud;
    if (strcmp(e->name, f->name)) return true;
    f->e = *e;
    f->seen = true;
    snprintf(f->value, sizeof f->value, "%s", e->value ? e->value : "(null)");
    for (int i = 0; i < e->synonym_count && i < 8; i++)
        snprintf(f->syn[i], sizeof f->syn[i], "%d:%s=%s", e->synonyms[i].source, e->synonyms[i].name,
                 e->synonyms[i].value ? e->synonyms[i].value : "(null)");
    return true;
}

static found topic_entry(const gr_broker_config *b, const gr_properties *t, const char *name) {
    found f;
    memset(&f, 0, sizeof f);
    f.name = name;
    gr_topic_config_visit(b, t, capture, &f);
    CHECK(f.seen);
    return f;
}

static found broker_entry(const gr_broker_config *b, const char *name) {
    found f;
    memset(&f, 0, sizeof f);
    f.name = name;
    gr_broker_config_visit(b, capture, &f);
    CHECK(f.seen);
    return f;
}

static void apply(gr_broker_config *b, const char *key, const char *value) {
    gr_properties p;
    gr_properties_init(&p);
    gr_properties_set(&p, key, value);
    CHECK_EQ_INT(gr_broker_config_apply(b, &p), 0);
    gr_properties_free(&p);
}

static void test_synonyms(void) {
    gr_broker_config b;
    gr_broker_config_defaults(&b);
    /* Nothing set: log.retention.ms has no default, so Kafka's chain (which starts at it) is empty. */
    found f = topic_entry(&b, NULL, "retention.ms");
    CHECK_STR(f.value, "604800000");
    CHECK_EQ_INT(f.e.source, GR_CONFIG_SOURCE_DEFAULT);
    CHECK_EQ_INT(f.e.synonym_count, 0);
    f = topic_entry(&b, NULL, "segment.bytes");
    CHECK_EQ_INT(f.e.synonym_count, 1);
    CHECK_STR(f.syn[0], "5:log.segment.bytes=1073741824");
    f = topic_entry(&b, NULL, "flush.ms");
    CHECK_STR(f.value, "9223372036854775807");
    CHECK_EQ_INT(f.e.synonym_count, 0);
    f = topic_entry(&b, NULL, "remote.storage.enable");
    CHECK_STR(f.value, "false");
    CHECK_EQ_INT(f.e.synonym_count, 0);
    f = topic_entry(&b, NULL, "message.timestamp.after.max.ms");
    CHECK_STR(f.value, "3600000");
    CHECK_STR(f.syn[0], "5:log.message.timestamp.after.max.ms=3600000");
    f = topic_entry(&b, NULL, "min.cleanable.dirty.ratio");
    CHECK_STR(f.value, "0.5");
    CHECK_EQ_INT(f.e.type, GR_CONFIG_TYPE_DOUBLE);

    /* Static log.retention.ms: it, then the default of the coarsest key. */
    apply(&b, "log.retention.ms", "-1");
    f = topic_entry(&b, NULL, "retention.ms");
    CHECK_STR(f.value, "-1");
    CHECK_EQ_INT(f.e.source, GR_CONFIG_SOURCE_STATIC_BROKER);
    CHECK_EQ_INT(f.e.synonym_count, 2);
    CHECK_STR(f.syn[0], "4:log.retention.ms=-1");
    CHECK_STR(f.syn[1], "5:log.retention.hours=168");
    /* The broker resource: log.retention.hours does not list the finer static key. */
    f = broker_entry(&b, "log.retention.hours");
    CHECK_STR(f.value, "168");
    CHECK_EQ_INT(f.e.synonym_count, 1);
    CHECK_STR(f.syn[0], "5:log.retention.hours=168");
    f = broker_entry(&b, "log.retention.minutes");
    CHECK_STR(f.value, "(null)");
    CHECK_EQ_INT(f.e.synonym_count, 0);
    CHECK(f.e.read_only);

    /* A topic override comes first. */
    gr_properties t;
    gr_properties_init(&t);
    gr_properties_set(&t, "retention.ms", "12345");
    f = topic_entry(&b, &t, "retention.ms");
    CHECK_STR(f.value, "12345");
    CHECK_EQ_INT(f.e.source, GR_CONFIG_SOURCE_DYNAMIC_TOPIC);
    CHECK_EQ_INT(f.e.synonym_count, 3);
    CHECK_STR(f.syn[0], "1:retention.ms=12345");
    gr_properties_free(&t);

    /* Only a coarser key set: the value follows it, but Kafka's chain is empty and says DEFAULT. */
    gr_broker_config_defaults(&b);
    apply(&b, "log.retention.minutes", "600");
    f = topic_entry(&b, NULL, "retention.ms");
    CHECK_STR(f.value, "36000000");
    CHECK_EQ_INT(f.e.source, GR_CONFIG_SOURCE_DEFAULT);
    CHECK_EQ_INT(f.e.synonym_count, 0);

    /* Keys only reported: inherited with their unit, listed with their chain. */
    apply(&b, "log.roll.jitter.hours", "2");
    apply(&b, "log.flush.interval.ms", "5000");
    apply(&b, "log.cleaner.min.cleanable.ratio", "0.25");
    apply(&b, "unclean.leader.election.enable", "TRUE");
    f = topic_entry(&b, NULL, "segment.jitter.ms");
    CHECK_STR(f.value, "7200000");
    CHECK_EQ_INT(f.e.synonym_count, 0);
    f = topic_entry(&b, NULL, "flush.ms");
    CHECK_STR(f.value, "5000");
    CHECK_STR(f.syn[0], "4:log.flush.interval.ms=5000");
    CHECK_STR(f.syn[1], "5:log.flush.scheduler.interval.ms=9223372036854775807");
    f = topic_entry(&b, NULL, "min.cleanable.dirty.ratio");
    CHECK_STR(f.value, "0.25");
    f = topic_entry(&b, NULL, "unclean.leader.election.enable");
    CHECK_STR(f.value, "true");
    CHECK_STR(f.syn[0], "4:unclean.leader.election.enable=true");
    CHECK_STR(f.syn[1], "5:unclean.leader.election.enable=false");
    f = broker_entry(&b, "compression.gzip.level");
    CHECK_STR(f.value, "-1");
    CHECK_EQ_INT(f.e.type, GR_CONFIG_TYPE_INT);
}

static void test_bad_broker_values(void) {
    gr_broker_config b;
    gr_broker_config_defaults(&b);
    gr_properties p;
    const char *bad[][2] = {{"compression.gzip.level", "0"},
                            {"log.message.timestamp.after.max.ms", "-1"},
                            {"log.cleaner.min.cleanable.ratio", "2"},
                            {"log.preallocate", "maybe"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        gr_properties_init(&p);
        gr_properties_set(&p, bad[i][0], bad[i][1]);
        CHECK_EQ_INT(gr_broker_config_apply(&b, &p), -1);
        gr_properties_free(&p);
    }
}

static void test_to_log(void) {
    gr_broker_config b;
    gr_broker_config_defaults(&b);
    gr_log_config lc;
    gr_topic_config_to_log(&b, NULL, &lc);
    CHECK_EQ_INT(lc.timestamp_after_max_ms, 3600000);
    CHECK_EQ_INT(lc.timestamp_before_max_ms, INT64_MAX);
    CHECK_EQ_INT(lc.retention_ms, 7LL * 24 * 3600 * 1000);

    apply(&b, "log.message.timestamp.after.max.ms", "5");
    apply(&b, "log.retention.bytes", "1000");
    gr_properties t;
    gr_properties_init(&t);
    gr_properties_set(&t, "message.timestamp.before.max.ms", "60000");
    gr_topic_config_to_log(&b, &t, &lc);
    CHECK_EQ_INT(lc.timestamp_after_max_ms, 5);
    CHECK_EQ_INT(lc.timestamp_before_max_ms, 60000);
    CHECK_EQ_INT(lc.retention_bytes, 1000);

    /* Retention belongs to the delete policy: compact-only or empty keeps everything. */
    gr_properties_set(&t, "cleanup.policy", "compact");
    gr_topic_config_to_log(&b, &t, &lc);
    CHECK_EQ_INT(lc.retention_ms, -1);
    CHECK_EQ_INT(lc.retention_bytes, -1);
    gr_properties_set(&t, "cleanup.policy", "");
    gr_topic_config_to_log(&b, &t, &lc);
    CHECK_EQ_INT(lc.retention_ms, -1);
    gr_properties_set(&t, "cleanup.policy", "compact,delete");
    gr_topic_config_to_log(&b, &t, &lc);
    CHECK_EQ_INT(lc.retention_bytes, 1000);
    gr_properties_free(&t);
}

int main(void) {
    test_validation();
    test_synonyms();
    test_bad_broker_values();
    test_to_log();
    return test_failures != 0;
}
