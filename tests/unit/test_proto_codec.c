/*
 * test_proto_codec.c: the generated codecs' rules, each checked against bytes worked out by hand
 * from the message definitions: nulls in nullable and non-nullable fields, compact forms, tagged
 * fields (written only when set, unknown ones skipped), presence flags of tagged and nullable
 * structs, defaults for fields a version lacks, the header's never-compact client id, record
 * fields spliced from files, and hostile array counts.
 */
#include <string.h>

#include "proto/gen/messages.h"
#include "test_check.h"

#define CODEC_ARENA_BYTES (1u << 20)

static unsigned char expect_buf[512];

/* True when b holds exactly the bytes in hex; prints both when not. */
static bool bytes_are(const gr_buf *b, const char *hex) {
    size_t n = test_unhex(hex, expect_buf, sizeof expect_buf);
    if (b->len == n && memcmp(b->data, expect_buf, n) == 0) return true;
    fprintf(stderr, "  want %s\n  got  ", hex);
    for (size_t i = 0; i < b->len; i++) fprintf(stderr, "%02x", b->data[i]);
    fprintf(stderr, "\n");
    return false;
}

#define ENCODES_TO(type, version, msg, hex)                                                                  \
    do {                                                                                                     \
        gr_buf b_;                                                                                           \
        gr_buf_init(&b_);                                                                                    \
        type##_encode(&b_, version, msg);                                                                    \
        CHECK(bytes_are(&b_, hex));                                                                          \
        CHECK_EQ_INT(type##_size(version, msg), b_.len);                                                     \
        gr_buf_free(&b_);                                                                                    \
    } while (0)

static void test_strings_and_nulls(void) {
    gr_find_coordinator_request fc;
    gr_find_coordinator_request_init(&fc);
    fc.key = (gr_str){NULL, -1}; /* not nullable: written as empty */
    ENCODES_TO(gr_find_coordinator_request, 0, &fc, "0000");

    gr_produce_request p;
    gr_produce_request_init(&p);
    CHECK(p.transactional_id.len == -1); /* default null */
    p.acks = -1;
    p.timeout_ms = 1000;
    ENCODES_TO(gr_produce_request, 3, &p, "ffff ffff 000003e8 00000000");
    ENCODES_TO(gr_produce_request, 2, &p, "ffff 000003e8 00000000"); /* no transactional id before v3 */
    ENCODES_TO(gr_produce_request, 9, &p, "00 ffff 000003e8 01 00");
    p.topic_data.count = -1; /* not nullable: empty */
    ENCODES_TO(gr_produce_request, 9, &p, "00 ffff 000003e8 01 00");
    p.transactional_id = gr_str_c("tx");
    ENCODES_TO(gr_produce_request, 9, &p, "03 7478 ffff 000003e8 01 00");

    /* Null where the schema forbids it decodes as empty, so handlers never see it. */
    unsigned char in[] = {0xff, 0xff};
    gr_reader r = gr_reader_make(in, sizeof in);
    gr_arena a;
    gr_arena_init(&a, CODEC_ARENA_BYTES);
    CHECK_EQ_INT(gr_find_coordinator_request_decode(&r, &a, 0, &fc), 0);
    CHECK(fc.key.len == 0 && fc.key.ptr != NULL);
    gr_arena_free(&a);
}

static void test_tagged_fields(void) {
    gr_api_versions_response av;
    gr_api_versions_response_init(&av);
    CHECK_EQ_INT(av.finalized_features_epoch, -1);
    ENCODES_TO(gr_api_versions_response, 3, &av, "0000 01 00000000 00");
    av.zk_migration_ready = true;
    av.finalized_features_epoch = 5;
    ENCODES_TO(gr_api_versions_response, 3, &av, "0000 01 00000000 02 01 08 0000000000000005 03 01 01");
    ENCODES_TO(gr_api_versions_response, 2, &av, "0000 00000000 00000000"); /* no tags before v3 */

    /* Decoding: known tags land in fields, unknown ones are skipped. */
    unsigned char in[] = {0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01, 0x08, 0,    0,
                          0,    0,    0,    0,    0,    9,    0x07, 0x02, 0xaa, 0xbb, 0x09, 0x00};
    gr_arena a;
    gr_arena_init(&a, CODEC_ARENA_BYTES);
    gr_reader r = gr_reader_make(in, sizeof in);
    CHECK_EQ_INT(gr_api_versions_response_decode(&r, &a, 3, &av), 0);
    CHECK_EQ_INT(av.finalized_features_epoch, 9);
    CHECK(!av.zk_migration_ready);
    CHECK_EQ_INT(r.pos, sizeof in);

    /* A known tag whose payload is shorter than its value fails the decode. */
    unsigned char short_tag[] = {0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x00, 0x01};
    r = gr_reader_make(short_tag, sizeof short_tag);
    CHECK(gr_api_versions_response_decode(&r, &a, 3, &av) != 0);

    /* ApiVersions v3 request with an unknown tag. */
    unsigned char req[] = {0x02, 'a', 0x02, '1', 0x01, 0x07, 0x02, 0xaa, 0xaa};
    gr_api_versions_request avr;
    r = gr_reader_make(req, sizeof req);
    CHECK_EQ_INT(gr_api_versions_request_decode(&r, &a, 3, &avr), 0);
    CHECK(gr_str_eq(avr.client_software_name, "a") && gr_str_eq(avr.client_software_version, "1"));
    CHECK_EQ_INT(r.pos, sizeof req);
    gr_arena_free(&a);
}

static void test_tagged_struct_flag(void) {
    gr_produce_response_partition_produce_response part;
    gr_produce_response_partition_produce_response_init(&part);
    gr_produce_response_topic_produce_response topic;
    gr_produce_response_topic_produce_response_init(&topic);
    topic.name = gr_str_c("t");
    topic.partition_responses.items = &part;
    topic.partition_responses.count = 1;
    gr_produce_response resp;
    gr_produce_response_init(&resp);
    resp.responses.items = &topic;
    resp.responses.count = 1;
    const char *head = "02 0274 02 00000000 0000 0000000000000000 ffffffffffffffff ffffffffffffffff 01 00";
    char want[512];
    snprintf(want, sizeof want, "%s 00 00 00000000 00", head);
    ENCODES_TO(gr_produce_response, 10, &resp, want);
    part.has_current_leader = true;
    part.current_leader.leader_id = 3;
    part.current_leader.leader_epoch = 7;
    snprintf(want, sizeof want, "%s 01 00 09 00000003 00000007 00 00 00000000 00", head);
    ENCODES_TO(gr_produce_response, 10, &resp, want);
    snprintf(want, sizeof want, "%s 00 00 00000000 00", head); /* v9: the tag does not exist yet */
    ENCODES_TO(gr_produce_response, 9, &resp, want);

    gr_buf b;
    gr_buf_init(&b);
    gr_produce_response_encode(&b, 10, &resp);
    gr_arena a;
    gr_arena_init(&a, CODEC_ARENA_BYTES);
    gr_reader r = gr_reader_make(b.data, b.len);
    gr_produce_response back;
    CHECK_EQ_INT(gr_produce_response_decode(&r, &a, 10, &back), 0);
    CHECK(back.responses.count == 1 && back.responses.items[0].partition_responses.count == 1);
    if (back.responses.count == 1 && back.responses.items[0].partition_responses.count == 1) {
        const gr_produce_response_partition_produce_response *bp =
            &back.responses.items[0].partition_responses.items[0];
        CHECK(bp->has_current_leader);
        CHECK_EQ_INT(bp->current_leader.leader_epoch, 7);
    }
    gr_arena_free(&a);
    gr_buf_free(&b);

    /* A tagged nullable struct carries a presence varint inside its payload. */
    gr_consumer_group_member_metadata_value mv;
    gr_consumer_group_member_metadata_value_init(&mv);
    ENCODES_TO(gr_consumer_group_member_metadata_value, 0, &mv, "01 01 01 01 01 01 ffffffff 01 00");
    mv.has_classic_member_metadata = true;
    mv.classic_member_metadata.session_timeout_ms = 30000;
    ENCODES_TO(gr_consumer_group_member_metadata_value, 0, &mv,
               "01 01 01 01 01 01 ffffffff 01 01 00 07 01 00007530 01 00");
    gr_buf_init(&b);
    gr_consumer_group_member_metadata_value_encode(&b, 0, &mv);
    gr_arena_init(&a, CODEC_ARENA_BYTES);
    r = gr_reader_make(b.data, b.len);
    gr_consumer_group_member_metadata_value mback;
    CHECK_EQ_INT(gr_consumer_group_member_metadata_value_decode(&r, &a, 0, &mback), 0);
    CHECK(mback.has_classic_member_metadata);
    CHECK_EQ_INT(mback.classic_member_metadata.session_timeout_ms, 30000);
    gr_arena_free(&a);
    gr_buf_free(&b);
}

static void test_nullable_struct(void) {
    gr_describe_topic_partitions_request d;
    gr_describe_topic_partitions_request_init(&d);
    CHECK_EQ_INT(d.response_partition_limit, 2000);
    CHECK(!d.has_cursor);
    ENCODES_TO(gr_describe_topic_partitions_request, 0, &d, "01 000007d0 ff 00");
    d.has_cursor = true;
    d.cursor.topic_name = gr_str_c("t");
    d.cursor.partition_index = 1;
    ENCODES_TO(gr_describe_topic_partitions_request, 0, &d, "01 000007d0 01 0274 00000001 00 00");

    unsigned char in[] = {0x01, 0x00, 0x00, 0x00, 0x05, 0xff, 0x00};
    gr_arena a;
    gr_arena_init(&a, CODEC_ARENA_BYTES);
    gr_reader r = gr_reader_make(in, sizeof in);
    d.has_cursor = true;
    CHECK_EQ_INT(gr_describe_topic_partitions_request_decode(&r, &a, 0, &d), 0);
    CHECK(!d.has_cursor);
    CHECK_EQ_INT(d.response_partition_limit, 5);
    gr_arena_free(&a);
}

static void test_defaults_for_absent_fields(void) {
    /* Produce response v0: no log append time, no log start offset, no throttle time. */
    unsigned char in[] = {0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x2a};
    gr_arena a;
    gr_arena_init(&a, CODEC_ARENA_BYTES);
    gr_reader r = gr_reader_make(in, sizeof in);
    gr_produce_response m;
    CHECK_EQ_INT(gr_produce_response_decode(&r, &a, 0, &m), 0);
    CHECK_EQ_INT(r.pos, sizeof in);
    CHECK(m.responses.count == 1 && m.responses.items[0].partition_responses.count == 1);
    if (m.responses.count == 1 && m.responses.items[0].partition_responses.count == 1) {
        const gr_produce_response_partition_produce_response *p =
            &m.responses.items[0].partition_responses.items[0];
        CHECK_EQ_INT(p->index, 2);
        CHECK_EQ_INT(p->base_offset, 42);
        CHECK_EQ_INT(p->log_append_time_ms, -1);
        CHECK_EQ_INT(p->log_start_offset, -1);
        CHECK(p->error_message.len == -1);
    }
    CHECK_EQ_INT(m.throttle_time_ms, 0);

    gr_join_group_request j;
    gr_join_group_request_init(&j);
    CHECK_EQ_INT(j.rebalance_timeout_ms, -1);
    CHECK(j.group_instance_id.len == -1);
    gr_arena_free(&a);
}

static void test_header_client_id_never_compact(void) {
    gr_request_header h;
    gr_request_header_init(&h);
    h.request_api_key = 3;
    h.request_api_version = 9;
    h.correlation_id = 1;
    h.client_id = gr_str_c("ab");
    ENCODES_TO(gr_request_header, 2, &h, "0003 0009 00000001 0002 6162 00");
    ENCODES_TO(gr_request_header, 1, &h, "0003 0009 00000001 0002 6162");
    ENCODES_TO(gr_request_header, 0, &h, "0003 0009 00000001");
    h.client_id = (gr_str){NULL, -1};
    ENCODES_TO(gr_request_header, 2, &h, "0003 0009 00000001 ffff 00");
}

static void test_file_records(void) {
    gr_file_ref *f = gr_file_ref_new(-1);
    gr_fetch_response_partition_data part;
    gr_fetch_response_partition_data_init(&part);
    part.records = (gr_records){NULL, 100, f, 8192};
    gr_fetch_response_fetchable_topic_response topic;
    gr_fetch_response_fetchable_topic_response_init(&topic);
    topic.topic = gr_str_c("t");
    topic.partitions.items = &part;
    topic.partitions.count = 1;
    gr_fetch_response resp;
    gr_fetch_response_init(&resp);
    resp.responses.items = &topic;
    resp.responses.count = 1;

    gr_buf b;
    gr_buf_init(&b);
    gr_fetch_response_encode(&b, 12, &resp);
    CHECK_EQ_INT(gr_buf_total(&b), gr_fetch_response_size(12, &resp));
    CHECK_EQ_INT(b.splice_bytes, 100);
    CHECK_EQ_INT(b.nsplices, 1);
    if (b.nsplices == 1) {
        CHECK_EQ_INT(b.splices[0].offset, 8192);
        CHECK_EQ_INT(b.splices[0].length, 100);
        size_t at = b.splices[0].at;
        CHECK(at >= 1 && b.data[at - 1] == 101); /* compact length right before the file bytes */
        CHECK_EQ_INT(b.len - at, 3);             /* partition tags, topic tags, top tags */
    }
    gr_buf_free(&b);

    gr_buf_init(&b);
    gr_fetch_response_encode(&b, 11, &resp);
    CHECK_EQ_INT(gr_buf_total(&b), gr_fetch_response_size(11, &resp));
    if (b.nsplices == 1) {
        gr_reader r = gr_reader_make(b.data + b.splices[0].at - 4, 4);
        CHECK_EQ_INT(gr_read_i32(&r), 100); /* classic INT32 length before v12 */
    }
    gr_buf_free(&b);
    gr_file_ref_release(f);
}

static void test_hostile_counts(void) {
    gr_arena a;
    gr_arena_init(&a, CODEC_ARENA_BYTES);
    unsigned char huge[] = {0x7f, 0xff, 0xff, 0xff, 0, 0};
    gr_reader r = gr_reader_make(huge, sizeof huge);
    gr_metadata_request m;
    CHECK(gr_metadata_request_decode(&r, &a, 1, &m) != 0);
    CHECK_EQ_INT(a.used_bytes, 0);
    unsigned char compact_huge[] = {0xff, 0xff, 0xff, 0xff, 0x07, 0, 0};
    r = gr_reader_make(compact_huge, sizeof compact_huge);
    CHECK(gr_metadata_request_decode(&r, &a, 9, &m) != 0);
    CHECK_EQ_INT(a.used_bytes, 0);
    gr_arena_free(&a);

    /* 2000 empty group names: fine with room, a clean failure when the arena is too small. */
    enum { GROUPS = 2000 };
    static unsigned char many[4 + GROUPS * 2];
    many[0] = 0, many[1] = 0, many[2] = GROUPS >> 8, many[3] = GROUPS & 0xff;
    gr_describe_groups_request g;
    gr_arena_init(&a, CODEC_ARENA_BYTES);
    r = gr_reader_make(many, sizeof many);
    CHECK_EQ_INT(gr_describe_groups_request_decode(&r, &a, 0, &g), 0);
    CHECK_EQ_INT(g.groups.count, GROUPS);
    gr_arena_free(&a);
    gr_arena_init(&a, 16 * 1024);
    r = gr_reader_make(many, sizeof many);
    CHECK(gr_describe_groups_request_decode(&r, &a, 0, &g) != 0);
    gr_arena_free(&a);
    /* One byte short: the count no longer fits the bytes left. */
    gr_arena_init(&a, CODEC_ARENA_BYTES);
    r = gr_reader_make(many, sizeof many - 1);
    CHECK(gr_describe_groups_request_decode(&r, &a, 0, &g) != 0);
    gr_arena_free(&a);
}

int main(void) {
    test_strings_and_nulls();
    test_tagged_fields();
    test_tagged_struct_flag();
    test_nullable_struct();
    test_defaults_for_absent_fields();
    test_header_client_id_never_compact();
    test_file_records();
    test_hostile_counts();
    if (test_failures) fprintf(stderr, "test_proto_codec: %d failures\n", test_failures);
    return test_failures ? 1 : 0;
}
