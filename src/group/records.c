/* records.c: writing and reading __consumer_offsets records (see records.h). */
#include "group/records.h"

#include <string.h>

#define OFFSET_COMMIT_VALUE_VERSION_MAX 4
#define GROUP_METADATA_VALUE_VERSION_MAX 4
#define CONSUMER_GROUP_METADATA_VALUE_VERSION_MAX 0

void gr_offsets_batch_begin(gr_offsets_batch *ob, int64_t now_ms) {
    memset(ob, 0, sizeof *ob);
    gr_buf_init(&ob->out);
    gr_buf_init(&ob->key);
    gr_buf_init(&ob->value);
    ob->timestamp_ms = now_ms;
    gr_batch_builder_opts o;
    gr_batch_builder_opts_init(&o);
    gr_batch_builder_begin(&ob->builder, &ob->out, &o);
}

static void add_record(gr_offsets_batch *ob, bool tombstone) {
    gr_bytes k = {ob->key.data, (int32_t)ob->key.len};
    gr_bytes v = tombstone ? (gr_bytes){NULL, -1} : (gr_bytes){ob->value.data, (int32_t)ob->value.len};
    gr_batch_builder_add(&ob->builder, ob->timestamp_ms, k, v, NULL, 0);
    ob->count++;
    gr_buf_reset(&ob->key);
    gr_buf_reset(&ob->value);
}

void gr_offsets_batch_add_offset(gr_offsets_batch *ob, gr_str group, gr_str topic, int32_t partition,
                                 const gr_offset_value *v) {
    gr_offset_commit_key k;
    gr_offset_commit_key_init(&k);
    k.group = group;
    k.topic = topic;
    k.partition = partition;
    gr_buf_put_i16(&ob->key, GR_OFFSETS_KEY_OFFSET_COMMIT);
    gr_offset_commit_key_encode(&ob->key, GR_OFFSETS_KEY_OFFSET_COMMIT, &k);
    if (v) {
        /* Kafka writes version 1 only when the commit carried its own retention (expire time). */
        int16_t version = v->expire_timestamp_ms >= 0 ? GR_OFFSET_COMMIT_VALUE_VERSION_EXPIRING
                                                      : GR_OFFSET_COMMIT_VALUE_VERSION;
        gr_offset_commit_value val;
        gr_offset_commit_value_init(&val);
        val.offset = v->offset;
        val.leader_epoch = v->leader_epoch;
        val.metadata = v->metadata.len >= 0 && v->metadata.ptr ? v->metadata : (gr_str){"", 0};
        val.commit_timestamp = v->commit_timestamp_ms;
        val.expire_timestamp = v->expire_timestamp_ms;
        gr_buf_put_i16(&ob->value, version);
        gr_offset_commit_value_encode(&ob->value, version, &val);
    }
    add_record(ob, v == NULL);
}

void gr_offsets_batch_add_group(gr_offsets_batch *ob, gr_str group, const gr_group_metadata_value *v) {
    gr_group_metadata_key k;
    gr_group_metadata_key_init(&k);
    k.group = group;
    gr_buf_put_i16(&ob->key, GR_OFFSETS_KEY_GROUP_METADATA);
    gr_group_metadata_key_encode(&ob->key, GR_OFFSETS_KEY_GROUP_METADATA, &k);
    if (v) {
        gr_buf_put_i16(&ob->value, GR_GROUP_METADATA_VALUE_VERSION);
        gr_group_metadata_value_encode(&ob->value, GR_GROUP_METADATA_VALUE_VERSION, v);
    }
    add_record(ob, v == NULL);
}

void gr_offsets_batch_add_consumer_group(gr_offsets_batch *ob, gr_str group, bool tombstone, int32_t epoch) {
    gr_consumer_group_metadata_key k;
    gr_consumer_group_metadata_key_init(&k);
    k.group_id = group;
    gr_buf_put_i16(&ob->key, GR_OFFSETS_KEY_CONSUMER_GROUP_METADATA);
    gr_consumer_group_metadata_key_encode(&ob->key, GR_OFFSETS_KEY_CONSUMER_GROUP_METADATA, &k);
    if (!tombstone) {
        gr_consumer_group_metadata_value v;
        gr_consumer_group_metadata_value_init(&v);
        v.epoch = epoch;
        gr_buf_put_i16(&ob->value, 0);
        gr_consumer_group_metadata_value_encode(&ob->value, 0, &v);
    }
    add_record(ob, tombstone);
}

void gr_offsets_batch_add_cg_member(gr_offsets_batch *ob, gr_str group, gr_str member,
                                    const gr_consumer_group_member_metadata_value *v) {
    gr_consumer_group_member_metadata_key k;
    gr_consumer_group_member_metadata_key_init(&k);
    k.group_id = group;
    k.member_id = member;
    gr_buf_put_i16(&ob->key, GR_OFFSETS_KEY_CONSUMER_GROUP_MEMBER);
    gr_consumer_group_member_metadata_key_encode(&ob->key, GR_OFFSETS_KEY_CONSUMER_GROUP_MEMBER, &k);
    if (v) {
        gr_buf_put_i16(&ob->value, 0);
        gr_consumer_group_member_metadata_value_encode(&ob->value, 0, v);
    }
    add_record(ob, v == NULL);
}

void gr_offsets_batch_add_cg_assignment(gr_offsets_batch *ob, gr_str group, gr_str member,
                                        const gr_consumer_group_current_member_assignment_value *v) {
    gr_consumer_group_current_member_assignment_key k;
    gr_consumer_group_current_member_assignment_key_init(&k);
    k.group_id = group;
    k.member_id = member;
    gr_buf_put_i16(&ob->key, GR_OFFSETS_KEY_CONSUMER_GROUP_MEMBER_ASSIGNMENT);
    gr_consumer_group_current_member_assignment_key_encode(
        &ob->key, GR_OFFSETS_KEY_CONSUMER_GROUP_MEMBER_ASSIGNMENT, &k);
    if (v) {
        gr_buf_put_i16(&ob->value, 0);
        gr_consumer_group_current_member_assignment_value_encode(&ob->value, 0, v);
    }
    add_record(ob, v == NULL);
}

size_t gr_offsets_batch_finish(gr_offsets_batch *ob) {
    if (ob->count == 0) return 0;
    size_t n = gr_batch_builder_finish(&ob->builder);
    if (ob->out.oom || ob->key.oom || ob->value.oom) return 0;
    return n;
}

void gr_offsets_batch_free(gr_offsets_batch *ob) {
    gr_buf_free(&ob->out);
    gr_buf_free(&ob->key);
    gr_buf_free(&ob->value);
}

int gr_offsets_record_decode(gr_bytes key, gr_bytes value, gr_arena *a, gr_offsets_record *out) {
    memset(out, 0, sizeof *out);
    if (key.len < 2 || !key.ptr) return -1;
    gr_reader kr = gr_reader_make(key.ptr, (size_t)key.len);
    int16_t key_version = gr_read_i16(&kr);
    out->tombstone = value.len < 0 || !value.ptr;
    gr_reader vr = gr_reader_make(out->tombstone ? (const uint8_t *)"" : value.ptr,
                                  out->tombstone ? 0 : (size_t)value.len);
    int16_t vv = out->tombstone ? 0 : gr_read_i16(&vr);
    if (vr.err || vv < 0) return -1;
    out->value_version = vv;
    switch (key_version) {
    case 0:
    case 1:
        out->type = GR_OREC_OFFSET;
        if (gr_offset_commit_key_decode(&kr, a, key_version, &out->offset_key) != 0) return -1;
        if (out->tombstone) return 0;
        if (vv > OFFSET_COMMIT_VALUE_VERSION_MAX) return -1;
        return gr_offset_commit_value_decode(&vr, a, vv, &out->offset_value) != 0 ? -1 : 0;
    case GR_OFFSETS_KEY_GROUP_METADATA:
        out->type = GR_OREC_GROUP;
        if (gr_group_metadata_key_decode(&kr, a, key_version, &out->group_key) != 0) return -1;
        if (out->tombstone) return 0;
        if (vv > GROUP_METADATA_VALUE_VERSION_MAX) return -1;
        return gr_group_metadata_value_decode(&vr, a, vv, &out->group_value) != 0 ? -1 : 0;
    case GR_OFFSETS_KEY_CONSUMER_GROUP_METADATA:
        out->type = GR_OREC_CONSUMER_GROUP;
        if (gr_consumer_group_metadata_key_decode(&kr, a, key_version, &out->cg_key) != 0) return -1;
        if (out->tombstone) return 0;
        if (vv > CONSUMER_GROUP_METADATA_VALUE_VERSION_MAX) return -1;
        return gr_consumer_group_metadata_value_decode(&vr, a, vv, &out->cg_value) != 0 ? -1 : 0;
    case GR_OFFSETS_KEY_CONSUMER_GROUP_MEMBER:
        out->type = GR_OREC_CG_MEMBER;
        if (gr_consumer_group_member_metadata_key_decode(&kr, a, key_version, &out->member_key) != 0)
            return -1;
        if (out->tombstone) return 0;
        if (vv != 0) return -1;
        return gr_consumer_group_member_metadata_value_decode(&vr, a, vv, &out->member_value) != 0 ? -1 : 0;
    case GR_OFFSETS_KEY_CONSUMER_GROUP_MEMBER_ASSIGNMENT:
        out->type = GR_OREC_CG_ASSIGNMENT;
        if (gr_consumer_group_current_member_assignment_key_decode(&kr, a, key_version,
                                                                   &out->assignment_key) != 0)
            return -1;
        if (out->tombstone) return 0;
        if (vv != 0) return -1;
        return gr_consumer_group_current_member_assignment_value_decode(&vr, a, vv, &out->assignment_value) !=
                       0
                   ? -1
                   : 0;
    default:
        out->type = GR_OREC_IGNORED;
        return 0;
    }
}
