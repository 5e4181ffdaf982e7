/*
 * test_proto_vectors.c: the generated codecs against frames from real clients and a real broker
 * (tests/unit/proto_client_vectors.h).
 *
 * Every frame must decode completely at its version, and encoding the decoded message must give
 * back the very same bytes, with size() agreeing: the codecs read and write what Kafka and its
 * clients read and write. A few fields are then checked by value.
 */
#include <string.h>

#include "proto/gen/api_table.h"
#include "proto/gen/messages.h"
#include "proto/header.h"
#include "proto_client_vectors.h"
#include "test_check.h"

#define VECTOR_MAX_BYTES 4096
#define VECTOR_ARENA_BYTES (16u * 1024u * 1024u)

typedef struct decoded {
    unsigned char bytes[VECTOR_MAX_BYTES];
    size_t len;
    size_t body; /* offset of the body within bytes */
    gr_arena arena;
    void *msg;
    gr_request_header_info header;
} decoded;

/* Decodes vector i into d; returns 0 when the frame decoded completely. */
static int decode_vector(const client_vector *v, decoded *d) {
    d->len = test_unhex(v->hex, d->bytes, sizeof d->bytes);
    CHECK(d->len <= sizeof d->bytes);
    const gr_api_schema *s = gr_api_schema_find(v->api_key);
    CHECK(s != NULL);
    if (!s) return -1;
    gr_reader r = gr_reader_make(d->bytes, d->len);
    if (v->is_request) {
        CHECK_EQ_INT(gr_request_header_parse(&r, &d->header), GR_HEADER_OK);
        CHECK_EQ_INT(d->header.api_key, v->api_key);
        CHECK_EQ_INT(d->header.api_version, v->api_version);
        CHECK_EQ_INT(d->header.header_version, gr_request_header_version(v->api_key, v->api_version));
    } else {
        gr_read_i32(&r); /* correlation id */
        if (gr_response_header_version(v->api_key, v->api_version) == 1)
            gr_read_tagged_fields(&r, NULL, NULL);
        CHECK(!r.err);
    }
    d->body = r.pos;
    gr_arena_init(&d->arena, VECTOR_ARENA_BYTES);
    d->msg = gr_arena_alloc(&d->arena, v->is_request ? s->request_struct_size : s->response_struct_size);
    int rc = v->is_request ? s->decode_request(&r, &d->arena, v->api_version, d->msg)
                           : s->decode_response(&r, &d->arena, v->api_version, d->msg);
    if (rc != 0 || r.pos != d->len) {
        fprintf(stderr, "%s %s key %d v%d: decode rc %d at %zu of %zu\n", v->source,
                v->is_request ? "request" : "response", v->api_key, v->api_version, rc, r.pos, d->len);
        return -1;
    }
    return 0;
}

static void check_reencode(const client_vector *v, decoded *d) {
    const gr_api_schema *s = gr_api_schema_find(v->api_key);
    gr_buf b;
    gr_buf_init(&b);
    size_t predicted;
    if (v->is_request) {
        s->encode_request(&b, v->api_version, d->msg);
        predicted = s->size_request(v->api_version, d->msg);
    } else {
        s->encode_response(&b, v->api_version, d->msg);
        predicted = s->size_response(v->api_version, d->msg);
    }
    size_t want = d->len - d->body;
    int same =
        b.len == want && predicted == want && (want == 0 || memcmp(b.data, d->bytes + d->body, want) == 0);
    if (!same)
        fprintf(stderr, "%s %s key %d v%d: re-encoding differs (%zu bytes, size() %zu, want %zu)\n",
                v->source, v->is_request ? "request" : "response", v->api_key, v->api_version, b.len,
                predicted, want);
    CHECK(same);
    gr_buf_free(&b);
}

static const client_vector *find_vector(bool is_request, int16_t key, int16_t version,
                                        const char *source_prefix) {
    for (size_t i = 0; i < CLIENT_VECTOR_COUNT; i++) {
        const client_vector *v = &client_vectors[i];
        if (v->is_request == is_request && v->api_key == key && v->api_version == version &&
            strncmp(v->source, source_prefix, strlen(source_prefix)) == 0)
            return v;
    }
    fprintf(stderr, "no vector for key %d v%d from %s\n", key, version, source_prefix);
    CHECK(0);
    return NULL;
}

static bool str_is(gr_str s, const char *c) { return gr_str_eq(s, c); }

static void check_values(void) {
    static decoded d;
    const client_vector *v;

    /* librdkafka opens with ApiVersions v3 (flexible body, header v2, client id still INT16). */
    if ((v = find_vector(true, GR_API_API_VERSIONS, 3, "librdkafka 2.0.2 (kcat")) &&
        decode_vector(v, &d) == 0) {
        gr_api_versions_request *m = d.msg;
        CHECK_EQ_INT(d.header.header_version, 2);
        CHECK(str_is(m->client_software_name, "librdkafka"));
        CHECK(m->client_software_version.len > 0);
        gr_arena_free(&d.arena);
    }
    /* kafka-python's probe: ApiVersions v0 and Metadata v0 (empty list = all topics), then Metadata v1. */
    if ((v = find_vector(true, GR_API_API_VERSIONS, 0, "kafka-python")) && decode_vector(v, &d) == 0) {
        CHECK_EQ_INT(d.header.header_version, 1);
        CHECK(str_is(d.header.client_id, "kp-capture"));
        gr_arena_free(&d.arena);
    }
    if ((v = find_vector(true, GR_API_METADATA, 0, "kafka-python")) && decode_vector(v, &d) == 0) {
        gr_metadata_request *m = d.msg;
        CHECK_EQ_INT(m->topics.count, 0);
        gr_arena_free(&d.arena);
    }
    if ((v = find_vector(true, GR_API_METADATA, 1, "kafka-python")) && decode_vector(v, &d) == 0) {
        gr_metadata_request *m = d.msg;
        CHECK(m->topics.count == -1 || m->topics.count == 1);
        gr_arena_free(&d.arena);
    }
    /* Produce v7 from librdkafka: one topic, one partition, one record batch of magic 2. */
    if ((v = find_vector(true, GR_API_PRODUCE, 7, "librdkafka 2.0.2 (kcat")) && decode_vector(v, &d) == 0) {
        gr_produce_request *m = d.msg;
        CHECK_EQ_INT(m->topic_data.count, 1);
        if (m->topic_data.count == 1) {
            CHECK_EQ_INT(m->topic_data.items[0].partition_data.count, 1);
            const gr_records *rec = &m->topic_data.items[0].partition_data.items[0].records;
            CHECK(rec->len > 61);
            if (rec->len > 61) CHECK_EQ_INT(rec->ptr[16], 2); /* magic */
        }
        CHECK(m->transactional_id.len == -1);
        gr_arena_free(&d.arena);
    }
    /* Kafka's ApiVersions v3 answer: tagged feature fields decoded, the key-18 entry present. */
    if ((v = find_vector(false, GR_API_API_VERSIONS, 3, "Apache Kafka")) && decode_vector(v, &d) == 0) {
        gr_api_versions_response *m = d.msg;
        CHECK_EQ_INT(m->error_code, 0);
        bool has_self = false;
        for (int32_t i = 0; i < m->api_keys.count; i++)
            has_self |= m->api_keys.items[i].api_key == GR_API_API_VERSIONS;
        CHECK(has_self);
        CHECK(m->supported_features.count > 0);
        CHECK(m->finalized_features_epoch != -1);
        gr_arena_free(&d.arena);
    }
    /* A Fetch answer that carried a record batch. */
    if ((v = find_vector(false, GR_API_FETCH, 4, "Apache Kafka")) && decode_vector(v, &d) == 0) {
        gr_fetch_response *m = d.msg;
        CHECK(m->responses.count == 1 && m->responses.items[0].partitions.count == 1);
        if (m->responses.count == 1 && m->responses.items[0].partitions.count == 1) {
            const gr_records *rec = &m->responses.items[0].partitions.items[0].records;
            CHECK(rec->len > 61);
            if (rec->len > 61) CHECK_EQ_INT(rec->ptr[16], 2);
        }
        gr_arena_free(&d.arena);
    }
}

int main(void) {
    static decoded d;
    int requests = 0, responses = 0;
    for (size_t i = 0; i < CLIENT_VECTOR_COUNT; i++) {
        const client_vector *v = &client_vectors[i];
        int rc = decode_vector(v, &d);
        CHECK_EQ_INT(rc, 0);
        if (rc == 0) check_reencode(v, &d);
        gr_arena_free(&d.arena);
        if (v->is_request)
            requests++;
        else
            responses++;
    }
    check_values();
    printf("client vectors: %d requests, %d responses, %d failures\n", requests, responses, test_failures);
    return test_failures ? 1 : 0;
}
