/*
 * test_cli_format.c: the client tools' pure pieces, without a broker: JSON escaping, UTF-8
 * checks and base64; the latency histogram's buckets and percentiles; number, date-time and
 * option parsing; and the ApiVersions response parser on good and malformed bytes.
 *
 * The tools link librdkafka and unit tests link only the core library, so the few files under
 * test (none of which use librdkafka) are compiled into this program directly.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/cli/api_versions.c"
#include "../../src/cli/json.c"
#include "../../src/cli/latency_histogram.c"
#include "../../src/cli/options.c"
#include "test_check.h"

/* Runs fn with a JSON writer on a memory stream; returns the text (caller frees). */
static char *json_text(void (*fn)(gr_json *j)) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    gr_json j;
    gr_json_init(&j, f);
    fn(&j);
    fclose(f);
    return buf;
}

static void write_record(gr_json *j) {
    gr_json_obj_begin(j);
    gr_json_kstr(j, "s", "q\" b\\ n\n t\t c\x01 del\x7f u\xc3\xbc");
    gr_json_ki64(j, "i", -42);
    gr_json_kbool(j, "b", true);
    gr_json_key(j, "n");
    gr_json_null(j);
    gr_json_bytes_field(j, "text", "ok", 2);
    gr_json_bytes_field(j, "bin", "\xff\x00\x01", 3);
    gr_json_bytes_field(j, "none", NULL, 0);
    gr_json_key(j, "arr");
    gr_json_arr_begin(j);
    gr_json_i64(j, 1);
    gr_json_obj_begin(j);
    gr_json_obj_end(j);
    gr_json_arr_begin(j);
    gr_json_arr_end(j);
    gr_json_arr_end(j);
    gr_json_kf64(j, "nan", NAN);
    gr_json_kf64(j, "f1", 1178480.5);
    gr_json_kf64(j, "f2", 3.0);
    gr_json_kf64(j, "f3", -0.25);
    gr_json_obj_end(j);
    gr_json_newline(j);
}

static void test_json(void) {
    char *t = json_text(write_record);
    const char *want =
        "{\"s\":\"q\\\" b\\\\ n\\n t\\t c\\u0001 del\\u007f u\xc3\xbc\",\"i\":-42,\"b\":true,"
        "\"n\":null,\"text\":\"ok\",\"bin\":\"/wAB\",\"bin_encoding\":\"base64\",\"none\":null,"
        "\"arr\":[1,{},[]],\"nan\":null,\"f1\":1178480.5,\"f2\":3,\"f3\":-0.25}\n";
    CHECK(strcmp(t, want) == 0);
    if (strcmp(t, want)) fprintf(stderr, "got  %s\nwant %s\n", t, want);
    free(t);
}

static void test_utf8_and_base64(void) {
    CHECK(gr_utf8_valid((const uint8_t *)"", 0));
    CHECK(gr_utf8_valid((const uint8_t *)"plain", 5));
    CHECK(gr_utf8_valid((const uint8_t *)"\xe2\x82\xac", 3));      /* euro sign */
    CHECK(gr_utf8_valid((const uint8_t *)"\xf0\x9f\x98\x80", 4));  /* emoji */
    CHECK(!gr_utf8_valid((const uint8_t *)"\xe2\x82", 2));         /* truncated */
    CHECK(!gr_utf8_valid((const uint8_t *)"\xc0\xaf", 2));         /* overlong */
    CHECK(!gr_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!gr_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    CHECK(!gr_utf8_valid((const uint8_t *)"\xff", 1));
    static const struct {
        const char *in, *out;
    } cases[] = {{"", ""},        {"f", "Zg=="},        {"fo", "Zm8="},
                 {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        gr_base64_write(f, (const uint8_t *)cases[i].in, strlen(cases[i].in));
        fclose(f);
        CHECK(strcmp(buf, cases[i].out) == 0);
        free(buf);
    }
}

static void test_histogram_buckets(void) {
    int prev = -1;
    for (int64_t v = 0; v < 100000; v++) {
        int b = gr_hist_bucket(v);
        CHECK(b == prev || b == prev + 1);
        CHECK(gr_hist_bucket_low(b) <= v && v < gr_hist_bucket_low(b) + gr_hist_bucket_width(b));
        prev = b;
    }
    int last = gr_hist_bucket(INT64_MAX);
    CHECK(last < GR_HIST_BUCKETS);
    CHECK(gr_hist_bucket(-5) == 0);
    /* Relative bucket width stays within 1/32 above the exact range. */
    for (int b = GR_HIST_SUB_BUCKETS; b <= last; b++)
        CHECK(gr_hist_bucket_width(b) * GR_HIST_SUB_BUCKETS <= gr_hist_bucket_low(b));
}

static void test_histogram_percentiles(void) {
    static gr_hist h, a, b;
    gr_hist_init(&h);
    CHECK_EQ_INT(gr_hist_percentile(&h, 99), 0);
    for (int64_t v = 1; v <= 100000; v++) gr_hist_record(&h, v * 1000);
    CHECK_EQ_INT(h.total, 100000);
    CHECK_EQ_INT(h.min, 1000);
    CHECK_EQ_INT(h.max, 100000000);
    const double ps[] = {50, 95, 99, 99.9};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        double exact = ps[i] / 100.0 * 100000 * 1000;
        double got = (double)gr_hist_percentile(&h, ps[i]);
        CHECK(fabs(got - exact) <= exact / 32.0);
    }
    CHECK_EQ_INT(gr_hist_percentile(&h, 100), 100000000);
    CHECK_EQ_INT(gr_hist_percentile(&h, 0), 1000);
    CHECK(fabs(gr_hist_mean(&h) - 50000.5 * 1000) < 1.0);
    /* Merging two halves gives the same answer as recording everything in one. */
    gr_hist_init(&a);
    gr_hist_init(&b);
    for (int64_t v = 1; v <= 100000; v++) gr_hist_record(v % 2 ? &a : &b, v * 1000);
    gr_hist_merge(&a, &b);
    CHECK(memcmp(a.counts, h.counts, sizeof h.counts) == 0);
    CHECK_EQ_INT(a.min, h.min);
    CHECK_EQ_INT(a.max, h.max);
    CHECK_EQ_INT(gr_hist_percentile(&a, 99), gr_hist_percentile(&h, 99));
}

static void test_numbers_and_dates(void) {
    int64_t v;
    CHECK(gr_parse_i64("42", 0, 100, &v) == 0 && v == 42);
    CHECK(gr_parse_i64("-1", -1, 100, &v) == 0 && v == -1);
    CHECK(gr_parse_i64("101", 0, 100, &v) < 0);
    CHECK(gr_parse_i64("4x", 0, 100, &v) < 0);
    CHECK(gr_parse_i64("", 0, 100, &v) < 0);
    CHECK(gr_parse_i64(" 4", 0, 100, &v) < 0);
    CHECK(gr_parse_i64("99999999999999999999", 0, INT64_MAX, &v) < 0);
    CHECK(gr_parse_datetime_ms("2024-05-01T00:00:00Z", &v) == 0 && v == 1714521600000LL);
    CHECK(gr_parse_datetime_ms("2024-05-01T02:00:00.250+02:00", &v) == 0 && v == 1714521600250LL);
    CHECK(gr_parse_datetime_ms("2024-05-01T00:00:00.5-0130", &v) == 0 && v == 1714521600500LL + 5400000);
    CHECK(gr_parse_datetime_ms("2024-05-01T00:00Z", &v) == 0 && v == 1714521600000LL);
    CHECK(gr_parse_datetime_ms("1970-01-01T00:00:00Z", &v) == 0 && v == 0);
    CHECK(gr_parse_datetime_ms("2024-13-01T00:00:00Z", &v) < 0);
    CHECK(gr_parse_datetime_ms("2024-05-01", &v) < 0);
    CHECK(gr_parse_datetime_ms("2024-05-01T00:00:00Q", &v) < 0);
    CHECK(gr_parse_datetime_ms("yesterday", &v) < 0);
    char key[8];
    const char *value;
    CHECK(gr_split_kv("a=b=c", key, sizeof key, &value) == 0 && !strcmp(key, "a") && !strcmp(value, "b=c"));
    CHECK(gr_split_kv("=x", key, sizeof key, &value) < 0);
    CHECK(gr_split_kv("novalue", key, sizeof key, &value) < 0);
    CHECK(gr_split_kv("waytoolongkey=1", key, sizeof key, &value) < 0);
}

typedef struct seen_opts {
    int count;
    const char *n;
    bool flag;
} seen_opts;

static int on_test_opt(void *ud, int id, const char *v, gr_cli_common *c) {
    seen_opts *s = ud;
    (void)c;
    s->count++;
    if (id == 1) s->n = v;
    if (id == 2) s->flag = true;
    return 0;
}

static void test_option_parser(void) {
    static const gr_opt_spec specs[] = {
        {1, "num", 'n', "N", "a number"},
        {2, "flag", 'f', NULL, "a flag"},
        {0, NULL, 0, NULL, NULL},
    };
    static const gr_tool_help help = {"test", "[options]", NULL, NULL};
    char *argv[] = {"pos1",  "--num=5", "-b", "h:1", "-Xa.b=c", "-f", "-X",
                    "d=e=f", "--json",  "-",  "--",  "--num",   NULL};
    gr_cli_common c;
    seen_opts s = {0, NULL, false};
    CHECK(gr_cli_parse(12, argv, &help, specs, on_test_opt, &s, &c) == GR_PARSE_OK);
    CHECK(s.count == 2 && s.n && !strcmp(s.n, "5") && s.flag);
    CHECK(!strcmp(c.bootstrap, "h:1"));
    CHECK(c.json);
    CHECK(c.conf_count == 2 && !strcmp(c.conf[0].key, "a.b") && !strcmp(c.conf[0].value, "c"));
    CHECK(!strcmp(c.conf[1].key, "d") && !strcmp(c.conf[1].value, "e=f"));
    CHECK(c.arg_count == 3 && !strcmp(c.args[0], "pos1") && !strcmp(c.args[1], "-") &&
          !strcmp(c.args[2], "--num"));
    gr_cli_common_free(&c);

    fprintf(stderr, "(the next usage errors are expected)\n");
    char *bad1[] = {"--nope", NULL};
    CHECK(gr_cli_parse(1, bad1, &help, specs, on_test_opt, &s, &c) == GR_PARSE_USAGE);
    gr_cli_common_free(&c);
    char *bad2[] = {"--num", NULL};
    CHECK(gr_cli_parse(1, bad2, &help, specs, on_test_opt, &s, &c) == GR_PARSE_USAGE);
    gr_cli_common_free(&c);
    char *bad3[] = {"--flag=1", NULL};
    CHECK(gr_cli_parse(1, bad3, &help, specs, on_test_opt, &s, &c) == GR_PARSE_USAGE);
    gr_cli_common_free(&c);
    char *bad4[] = {"-X", "noequals", NULL};
    CHECK(gr_cli_parse(2, bad4, &help, specs, on_test_opt, &s, &c) == GR_PARSE_USAGE);
    gr_cli_common_free(&c);
}

static void test_api_versions_parse(void) {
    unsigned char buf[64];
    gr_api_versions *v = malloc(sizeof *v);
    /* correlation id 7, no error, 2 entries: Produce 0..9, ApiVersions 0..3 */
    size_t n = test_unhex("00000007 0000 00000002 0000 0000 0009 0012 0000 0003", buf, sizeof buf);
    CHECK(gr_api_versions_parse(buf, n, 7, v) == 0);
    CHECK(v->count == 2 && v->error_code == 0);
    CHECK(v->ranges[1].key == 18 && v->ranges[1].min == 0 && v->ranges[1].max == 3);
    CHECK(gr_api_versions_parse(buf, n, 8, v) < 0);     /* wrong correlation id */
    CHECK(gr_api_versions_parse(buf, n - 1, 7, v) < 0); /* truncated */
    n = test_unhex("00000007 0000 7fffffff 0000", buf, sizeof buf);
    CHECK(gr_api_versions_parse(buf, n, 7, v) < 0); /* count far beyond the bytes */
    n = test_unhex("00000007 0023 ffffffff", buf, sizeof buf);
    CHECK(gr_api_versions_parse(buf, n, 7, v) == 0 && v->error_code == 35 && v->count == 0);
    CHECK(!strcmp(gr_api_key_name(0), "Produce") && !strcmp(gr_api_key_name(18), "ApiVersions"));
    CHECK(gr_api_key_name(-1) == NULL && gr_api_key_name(30000) == NULL);
    free(v);
}

int main(void) {
    test_json();
    test_utf8_and_base64();
    test_histogram_buckets();
    test_histogram_percentiles();
    test_numbers_and_dates();
    test_option_parser();
    test_api_versions_parse();
    if (test_failures) fprintf(stderr, "%d check(s) failed\n", test_failures);
    return test_failures != 0;
}
