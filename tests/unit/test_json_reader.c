/*
 * test_json_reader.c: the JSON reader on well-formed and malformed documents, and the choice of
 * a broker's address from Kafka's /brokers/ids/N registration (versions 1 to 5 of its layout).
 *
 * zk_bootstrap.c lives with the client tools; its registration parser uses only the core library,
 * so the file (with output.c for its error lines) is compiled into this program directly.
 */
#include <stdint.h>
#include <string.h>

#include "../../src/cli/output.c"
#include "../../src/cli/zk_bootstrap.c"
#include "base/json_reader.h"
#include "test_check.h"

static bool parse(const char *text, gr_json_value *v) { return gr_json_parse(text, strlen(text), v); }

static void test_well_formed(void) {
    gr_json_value doc, v, e, k;
    char s[64];
    int64_t n;
    CHECK(parse(" {\"a\": [1, -2, 3.5e2, true, null, \"x\\\"y\"], \"b\": {\"c\": -9223372036854775808}} ",
                &doc));
    CHECK(doc.type == GR_JSON_OBJECT);
    CHECK_EQ_INT(gr_json_count(&doc), 2);
    CHECK(gr_json_member(&doc, "a", &v) && v.type == GR_JSON_ARRAY);
    CHECK_EQ_INT(gr_json_count(&v), 6);
    CHECK(gr_json_element(&v, 1, &e) && gr_json_int(&e, &n) && n == -2);
    CHECK(gr_json_element(&v, 2, &e) && e.type == GR_JSON_NUMBER && !gr_json_int(&e, &n));
    CHECK(gr_json_element(&v, 3, &e) && e.type == GR_JSON_BOOL);
    CHECK(gr_json_element(&v, 4, &e) && e.type == GR_JSON_NULL);
    CHECK(gr_json_element(&v, 5, &e) && gr_json_string(&e, s, sizeof s) && strcmp(s, "x\"y") == 0);
    CHECK(!gr_json_element(&v, 6, &e));
    CHECK(gr_json_member(&doc, "b", &v) && gr_json_member(&v, "c", &e) && gr_json_int(&e, &n) &&
          n == INT64_MIN);
    CHECK(!gr_json_member(&doc, "c", &v));
    CHECK(gr_json_member_at(&doc, 1, &k, &v) && gr_json_string_equals(&k, "b"));
    CHECK(parse("[]", &v) && gr_json_count(&v) == 0 && !gr_json_element(&v, 0, &e));
    CHECK(parse("{}", &v) && !gr_json_member(&v, "a", &e));
    /* Escapes: \u00e9 is two bytes of UTF-8, a surrogate pair four; an escaped key still matches. */
    CHECK(parse("{\"k\\u0065y\": \"\\u00e9\\ud83d\\ude00\\n\"}", &doc));
    CHECK(gr_json_member(&doc, "key", &v) && gr_json_string(&v, s, sizeof s));
    CHECK(strcmp(s, "\xc3\xa9\xf0\x9f\x98\x80\n") == 0);
    CHECK(!gr_json_string(&v, s, 4)); /* does not fit */
    CHECK(parse("\"a\\u0000b\"", &v) && !gr_json_string(&v, s, sizeof s));
    CHECK(parse("9223372036854775807", &v) && gr_json_int(&v, &n) && n == INT64_MAX);
    CHECK(parse("9223372036854775808", &v) && !gr_json_int(&v, &n));
}

static void test_malformed(void) {
    static const char *const bad[] = {
        "",        " ",          "{",          "}",         "[1,]",
        "{\"a\"}", "{\"a\":}",   "{\"a\":1,}", "{a:1}",     "[1 2]",
        "01",      "-",          "1.",         "1e",        "tru",
        "nul",     "\"abc",      "\"\\x\"",    "\"\\u12\"", "\"tab\there\"",
        "[1] [2]", "{\"a\":1}x",
    };
    gr_json_value v;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse(bad[i], &v)) {
            test_failures++;
            fprintf(stderr, "accepted malformed JSON: '%s'\n", bad[i]);
        }
    }
    char deep[2 * GR_JSON_READER_DEPTH_MAX + 3];
    size_t n = 0;
    for (int i = 0; i < GR_JSON_READER_DEPTH_MAX + 1; i++) deep[n++] = '[';
    for (int i = 0; i < GR_JSON_READER_DEPTH_MAX + 1; i++) deep[n++] = ']';
    deep[n] = '\0';
    CHECK(!parse(deep, &v));                     /* nesting past the cap */
    CHECK(gr_json_parse("[1]", 2, &v) == false); /* the length bounds the scan, not a NUL */
}

static void test_registration(void) {
    char out[128];
    const char *v5 = "{\"listener_security_protocol_map\":{\"PLAINTEXT\":\"PLAINTEXT\",\"SECURE\":\"SSL\"},"
                     "\"endpoints\":[\"SECURE://h1:9093\",\"PLAINTEXT://h1:9092\"],\"rack\":\"r1\","
                     "\"jmx_port\":-1,\"port\":9092,\"host\":\"h1\",\"version\":5,\"timestamp\":\"1\"}";
    CHECK(gr_zk_registration_endpoint(v5, strlen(v5), "PLAINTEXT", out, sizeof out) &&
          !strcmp(out, "h1:9092"));
    CHECK(gr_zk_registration_endpoint(v5, strlen(v5), "ssl", out, sizeof out) && !strcmp(out, "h1:9093"));
    CHECK(!gr_zk_registration_endpoint(v5, strlen(v5), "SASL_SSL", out, sizeof out));
    /* A listener named for its protocol needs no map; an empty host means this machine. */
    const char *nomap = "{\"endpoints\":[\"PLAINTEXT://:9094\"],\"version\":4}";
    CHECK(gr_zk_registration_endpoint(nomap, strlen(nomap), "PLAINTEXT", out, sizeof out));
    CHECK(!strcmp(out, "localhost:9094"));
    const char *v6 = "{\"endpoints\":[\"PLAINTEXT://[::1]:9095\"]}";
    CHECK(gr_zk_registration_endpoint(v6, strlen(v6), "PLAINTEXT", out, sizeof out) &&
          !strcmp(out, "[::1]:9095"));
    const char *v1 = "{\"jmx_port\":-1,\"timestamp\":\"1\",\"host\":\"old\",\"version\":1,\"port\":9096}";
    CHECK(gr_zk_registration_endpoint(v1, strlen(v1), "PLAINTEXT", out, sizeof out) &&
          !strcmp(out, "old:9096"));
    static const char *const unusable[] = {
        "{\"endpoints\":[\"PLAINTEXT://h:\"]}",
        "{\"endpoints\":[\"PLAINTEXT://h:90x2\"]}",
        "{\"endpoints\":[\"h:9092\"]}",
        "{\"endpoints\":[7]}",
        "{\"host\":\"h\",\"port\":70000}",
        "{\"host\":\"\",\"port\":9092}",
        "[\"PLAINTEXT://h:9092\"]",
        "{\"endpoints\":[\"PLAINTEXT://h:9092\"]",
    };
    for (size_t i = 0; i < sizeof unusable / sizeof unusable[0]; i++)
        CHECK(!gr_zk_registration_endpoint(unusable[i], strlen(unusable[i]), "PLAINTEXT", out, sizeof out));
    CHECK(!gr_zk_registration_endpoint(v5, strlen(v5), "PLAINTEXT", out, 4)); /* does not fit */
}

int main(void) {
    test_well_formed();
    test_malformed();
    test_registration();
    if (test_failures) fprintf(stderr, "test_json_reader: %d failures\n", test_failures);
    return test_failures ? 1 : 0;
}
