/*
 * test_net_splice.c: replies that carry file ranges (sendfile path).
 * Memory parts and file parts are interleaved within a reply and across
 * pipelined replies; a big reply crosses many socket-buffer fulls; a file that
 * turns out shorter than the reply announced closes the connection; file
 * references are released once sent or dropped.
 */
#include <fcntl.h>

#include "base/file_ref.h"
#include "test_net_util.h"

#define FILE_BYTES (20 * 1024 * 1024)

static gr_file_ref *file;
static uint8_t *file_copy;
static atomic_int closes;

/* Reply layouts, chosen by the request's first byte:
   'A': "hdr" + file[1000, 5000) + "mid" + file[0, 10) + file[77, 177) + "end"
   'B': file[0, FILE_BYTES) alone (after the size prefix)
   'T': announces file[FILE_BYTES - 100, +1000): the file ends 900 bytes early */
static void build(gr_buf *b, char kind) {
    gr_buf_init(b);
    if (kind == 'A') {
        gr_buf_put_i32(b, 3 + 4000 + 3 + 10 + 100 + 3);
        gr_buf_put(b, "hdr", 3);
        gr_buf_add_file(b, file, 1000, 4000);
        gr_buf_put(b, "mid", 3);
        gr_buf_add_file(b, file, 0, 10);
        gr_buf_add_file(b, file, 77, 100);
        gr_buf_put(b, "end", 3);
    } else if (kind == 'B') {
        gr_buf_put_i32(b, FILE_BYTES);
        gr_buf_add_file(b, file, 0, FILE_BYTES);
    } else {
        gr_buf_put_i32(b, 4 + 1000);
        gr_buf_put(b, "head", 4);
        gr_buf_add_file(b, file, FILE_BYTES - 100, 1000);
    }
}

static void expect_a(int fd) {
    uint32_t len;
    uint8_t *got = test_recv_frame(fd, &len);
    CHECK(got && len == 3 + 4000 + 3 + 10 + 100 + 3);
    const uint8_t *p = got;
    CHECK(memcmp(p, "hdr", 3) == 0);
    p += 3;
    CHECK(memcmp(p, file_copy + 1000, 4000) == 0);
    p += 4000;
    CHECK(memcmp(p, "mid", 3) == 0);
    p += 3;
    CHECK(memcmp(p, file_copy, 10) == 0);
    p += 10;
    CHECK(memcmp(p, file_copy + 77, 100) == 0);
    p += 100;
    CHECK(memcmp(p, "end", 3) == 0);
    free(got);
}

static void on_request(gr_conn *c, uint8_t *frame, size_t len, uint64_t seq, void *ud) {
    char kind = len ? (char)frame[0] : 'A';
    free(frame);
    gr_buf b;
    build(&b, kind);
    gr_conn_reply(c, seq, &b);
}

static void on_close(gr_conn *c, void *ud) { atomic_fetch_add(&closes, 1); }

static bool wait_refs(int want) {
    int64_t end = gr_mono_ms() + TEST_DEADLINE_MS;
    while (atomic_load(&file->refs) != want && gr_mono_ms() < end) test_sleep_ms(1);
    return atomic_load(&file->refs) == want;
}

int main(void) {
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/gregor-test-net-splice-XXXXXX", dir && *dir ? dir : "/tmp");
    int ffd = mkstemp(path);
    CHECK(ffd >= 0);
    unlink(path);
    file_copy = malloc(FILE_BYTES);
    CHECK(file_copy);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < FILE_BYTES; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        file_copy[i] = (uint8_t)x;
    }
    CHECK(write(ffd, file_copy, FILE_BYTES) == FILE_BYTES);
    file = gr_file_ref_new(ffd);
    CHECK(file);

    gr_server_config cfg;
    gr_server_config_defaults(&cfg);
    cfg.loops = 2;
    gr_server_handlers h = {NULL, on_request, on_close};
    test_server t;
    test_server_start(&t, &cfg, &h, NULL, "127.0.0.1");

    /* Interleaved memory and file parts; ten pipelined replies, the middle one huge. */
    int fd = test_connect("127.0.0.1", t.port);
    CHECK(fd >= 0);
    for (int i = 0; i < 10; i++) CHECK(test_send_frame(fd, i == 5 ? "B" : "A", 1) == 0);
    for (int i = 0; i < 10; i++) {
        if (i != 5) {
            expect_a(fd);
            continue;
        }
        uint32_t len;
        uint8_t *got = test_recv_frame(fd, &len);
        CHECK(got && len == FILE_BYTES && memcmp(got, file_copy, FILE_BYTES) == 0);
        free(got);
    }
    CHECK(wait_refs(1)); /* every reference taken by the replies was released once sent */

    /* Truncated file: the frame cannot be completed, so the connection is closed. */
    CHECK(test_send_frame(fd, "A", 1) == 0);
    CHECK(test_send_frame(fd, "T", 1) == 0);
    expect_a(fd);
    uint8_t hdr[8];
    CHECK(test_read_all(fd, hdr, 8) == 0); /* size prefix and "head" were sent... */
    CHECK(test_get_be32(hdr) == 1004 && memcmp(hdr + 4, "head", 4) == 0);
    CHECK(test_wait_closed(fd)); /* ...then 100 file bytes and EOF */
    close(fd);
    CHECK(test_wait_flag(&closes, 1));
    CHECK(wait_refs(1));

    /* A client that goes away with a big reply queued: references are dropped on close. */
    fd = test_connect("127.0.0.1", t.port);
    CHECK(fd >= 0);
    for (int i = 0; i < 4; i++) CHECK(test_send_frame(fd, "B", 1) == 0);
    test_sleep_ms(50);
    close(fd);
    CHECK(test_wait_flag(&closes, 2));
    CHECK(wait_refs(1));

    test_server_stop(&t);
    gr_file_ref_release(file);
    free(file_copy);
    printf("test_net_splice ok\n");
    return 0;
}
