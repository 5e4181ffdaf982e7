/*
 * test_group_offsets.c: where groups live in __consumer_offsets (Java's String.hashCode over
 * UTF-16, including characters outside the BMP), the committed-offsets table, and the
 * __consumer_offsets record formats written and read back (offsets, tombstones, group
 * metadata, KIP-848 group epochs) through a real record batch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group/offsets.h"
#include "group/placement.h"
#include "group/records.h"

#define CHECK(cond)                                                                                          \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                         \
            exit(1);                                                                                         \
        }                                                                                                    \
    } while (0)

static gr_str S(const char *s) { return gr_str_c(s); }

static void test_placement(void) {
    /* Values from Java: "abc".hashCode() == 96354 and so on. */
    CHECK(gr_java_utf16_hash("", 0) == 0);
    CHECK(gr_java_utf16_hash("abc", 3) == 96354);
    CHECK(gr_java_utf16_hash("my-group", 8) == -1906497762);
    CHECK(gr_java_utf16_hash("\xc3\xa9", 2) == 233);             /* U+00E9 */
    CHECK(gr_java_utf16_hash("\xf0\x9f\x98\x80", 4) == 1772899); /* U+1F600: a surrogate pair */
    const char *mixed = "group\xc3\xa9\xf0\x9f\x98\x80x";
    CHECK(gr_java_utf16_hash(mixed, strlen(mixed)) == -1423693589);
    CHECK(gr_group_partition_for("abc", 3, 50) == 4);
    CHECK(gr_group_partition_for("my-group", 8, 50) == 12);
    CHECK(gr_group_partition_for("console-consumer-12345", 22, 50) == 6);
    CHECK(gr_group_partition_for(mixed, strlen(mixed), 50) == 39);
    /* Broken UTF-8 must not crash or read past the end. */
    const char bad[] = {'\xf0', '\x9f', 'a', '\xc3'};
    (void)gr_java_utf16_hash(bad, sizeof bad);
    CHECK(gr_group_partition_for("x", 1, 1) == 0);
}

static void test_offsets_table(void) {
    gr_offsets o;
    gr_offsets_init(&o);
    for (int t = 0; t < 20; t++)
        for (int p = 0; p < 30; p++) {
            char topic[32];
            snprintf(topic, sizeof topic, "topic-%02d", t);
            gr_offset_value v = {.offset = t * 1000 + p,
                                 .leader_epoch = p,
                                 .metadata = S(p % 2 ? "odd" : "even"),
                                 .commit_timestamp_ms = 5,
                                 .expire_timestamp_ms = -1};
            CHECK(gr_offsets_put(&o, S(topic), p, &v) == 0);
        }
    CHECK(o.count == 600);
    gr_committed *e = gr_offsets_get(&o, S("topic-07"), 13);
    CHECK(e && e->offset == 7013 && e->leader_epoch == 13 && !strcmp(e->metadata, "odd"));
    gr_offset_value v = {.offset = 1,
                         .leader_epoch = -1,
                         .metadata = {NULL, -1},
                         .commit_timestamp_ms = 9,
                         .expire_timestamp_ms = -1};
    CHECK(gr_offsets_put(&o, S("topic-07"), 13, &v) == 0);
    e = gr_offsets_get(&o, S("topic-07"), 13);
    CHECK(e->offset == 1 && !strcmp(e->metadata, "") && o.count == 600);
    CHECK(gr_offsets_remove(&o, S("topic-07"), 13) && !gr_offsets_get(&o, S("topic-07"), 13));
    CHECK(!gr_offsets_remove(&o, S("topic-07"), 13));
    CHECK(gr_offsets_has_topic(&o, S("topic-19")) && !gr_offsets_has_topic(&o, S("topic-20")));
    uint32_t n;
    gr_committed **all = gr_offsets_sorted(&o, &n);
    CHECK(all && n == 599);
    for (uint32_t i = 1; i < n; i++) {
        int c = strcmp(all[i - 1]->topic, all[i]->topic);
        CHECK(c < 0 || (c == 0 && all[i - 1]->partition < all[i]->partition));
    }
    free(all);
    gr_offsets_free(&o);
}

static void test_records_roundtrip(void) {
    gr_offsets_batch ob;
    gr_offsets_batch_begin(&ob, 1234567);
    gr_offset_value v = {.offset = 42,
                         .leader_epoch = 7,
                         .metadata = S("meta"),
                         .commit_timestamp_ms = 1234567,
                         .expire_timestamp_ms = -1};
    gr_offsets_batch_add_offset(&ob, S("g"), S("orders"), 3, &v);
    v.expire_timestamp_ms = 99999999; /* an explicit retention: value version 1 */
    gr_offsets_batch_add_offset(&ob, S("g"), S("orders"), 4, &v);
    gr_offsets_batch_add_offset(&ob, S("g"), S("orders"), 5, NULL);
    gr_group_metadata_value gm;
    gr_group_metadata_value_init(&gm);
    gm.protocol_type = S("consumer");
    gm.generation = 9;
    gm.protocol = S("range");
    gm.leader = S("m1");
    gm.current_state_timestamp = 77;
    gr_group_metadata_value_member_metadata mm;
    gr_group_metadata_value_member_metadata_init(&mm);
    mm.member_id = S("m1");
    mm.group_instance_id = S("static-1");
    mm.client_id = S("c");
    mm.client_host = S("/127.0.0.1");
    mm.rebalance_timeout = 300000;
    mm.session_timeout = 45000;
    mm.subscription = (gr_bytes){(const uint8_t *)"sub", 3};
    mm.assignment = (gr_bytes){(const uint8_t *)"asg", 3};
    gm.members.items = &mm;
    gm.members.count = 1;
    gr_offsets_batch_add_group(&ob, S("g"), &gm);
    gr_offsets_batch_add_group(&ob, S("gone"), NULL);
    gr_offsets_batch_add_consumer_group(&ob, S("kg"), false, 12);
    size_t size = gr_offsets_batch_finish(&ob);
    CHECK(size > GR_BATCH_HEADER_BYTES);
    gr_batch_header h;
    CHECK(gr_batch_validate(ob.out.data, size, &h) == GR_BATCH_OK && h.records_count == 6);

    gr_record_iter it;
    CHECK(gr_record_iter_init(&it, ob.out.data, size) == 0);
    gr_arena a;
    gr_arena_init(&a, 1 << 20);
    gr_record rec;
    gr_offsets_record r;
    CHECK(gr_record_iter_next(&it, &rec) == 1 && rec.timestamp == 1234567);
    CHECK(rec.key.len > 2 && rec.key.ptr[0] == 0 && rec.key.ptr[1] == 1); /* key version 1 */
    CHECK(rec.value.ptr[0] == 0 && rec.value.ptr[1] == 3);                /* value version 3 */
    CHECK(gr_offsets_record_decode(rec.key, rec.value, &a, &r) == 0 && r.type == GR_OREC_OFFSET &&
          !r.tombstone);
    CHECK(gr_str_eq(r.offset_key.group, "g") && gr_str_eq(r.offset_key.topic, "orders") &&
          r.offset_key.partition == 3);
    CHECK(r.offset_value.offset == 42 && r.offset_value.leader_epoch == 7 &&
          gr_str_eq(r.offset_value.metadata, "meta"));
    CHECK(gr_record_iter_next(&it, &rec) == 1);
    CHECK(gr_offsets_record_decode(rec.key, rec.value, &a, &r) == 0 && r.value_version == 1);
    CHECK(r.offset_value.expire_timestamp == 99999999);
    CHECK(gr_record_iter_next(&it, &rec) == 1 && rec.value.len == -1);
    CHECK(gr_offsets_record_decode(rec.key, rec.value, &a, &r) == 0 && r.tombstone &&
          r.offset_key.partition == 5);
    CHECK(gr_record_iter_next(&it, &rec) == 1);
    CHECK(gr_offsets_record_decode(rec.key, rec.value, &a, &r) == 0 && r.type == GR_OREC_GROUP &&
          r.value_version == 3);
    CHECK(r.group_value.generation == 9 && gr_str_eq(r.group_value.protocol, "range"));
    CHECK(r.group_value.members.count == 1 &&
          gr_str_eq(r.group_value.members.items[0].group_instance_id, "static-1"));
    CHECK(r.group_value.members.items[0].assignment.len == 3);
    CHECK(gr_record_iter_next(&it, &rec) == 1);
    CHECK(gr_offsets_record_decode(rec.key, rec.value, &a, &r) == 0 && r.type == GR_OREC_GROUP &&
          r.tombstone);
    CHECK(gr_record_iter_next(&it, &rec) == 1);
    CHECK(gr_offsets_record_decode(rec.key, rec.value, &a, &r) == 0 && r.type == GR_OREC_CONSUMER_GROUP);
    CHECK(gr_str_eq(r.cg_key.group_id, "kg") && r.cg_value.epoch == 12);
    CHECK(gr_record_iter_next(&it, &rec) == 0);

    /* Malformed keys and values are refused, unknown record types ignored. */
    uint8_t junk[] = {0, 1, 0xff, 0xff, 0xff};
    CHECK(gr_offsets_record_decode((gr_bytes){junk, sizeof junk}, (gr_bytes){junk, 2}, &a, &r) != 0);
    uint8_t other[] = {0, 9, 0, 0};
    CHECK(gr_offsets_record_decode((gr_bytes){other, sizeof other}, (gr_bytes){NULL, -1}, &a, &r) == 0 &&
          r.type == GR_OREC_IGNORED);
    CHECK(gr_offsets_record_decode((gr_bytes){junk, 1}, (gr_bytes){NULL, -1}, &a, &r) != 0);
    gr_arena_free(&a);
    gr_offsets_batch_free(&ob);
}

int main(void) {
    test_placement();
    test_offsets_table();
    test_records_roundtrip();
    printf("test_group_offsets: ok\n");
    return 0;
}
