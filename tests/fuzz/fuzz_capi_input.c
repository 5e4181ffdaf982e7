/*
 * fuzz_capi_input.c: libgregor's decoders of caller input, through its public API, on arbitrary
 * bytes: header blocks (gregor_produce) and topic / topic:partition:offset lists
 * (gregor_subscribe, gregor_assign). A foreign caller can hand over anything; every input must
 * give a result code, never a crash. The first byte picks the decoder. The clients point at a
 * closed port, so nothing leaves the process; the producer's queue holds one record, after which
 * gregor_produce still parses the block and then reports the full queue.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gregor_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int64_t client(int kind) {
    static const char *const settings[][2] = {
        {"bootstrap.servers", "127.0.0.1:1"},
        {"log_level", "0"},
        {"queue.buffering.max.messages", "1"},
        {"group.id", "fuzz"},
    };
    int64_t config, handle = 0;
    char errstr[256];
    assert(gregor_config_new(&config) == GREGOR_OK);
    for (size_t i = 0; i < sizeof settings / sizeof settings[0]; i++) {
        if (kind == 0 && i == 3) continue; /* group.id is a consumer's */
        if (kind == 1 && i == 2) continue; /* the queue bound is a producer's */
        assert(gregor_config_set(config, settings[i][0], settings[i][1], errstr, sizeof errstr) == GREGOR_OK);
    }
    if (kind == 0)
        assert(gregor_producer_new(config, &handle, errstr, sizeof errstr) == GREGOR_OK);
    else
        assert(gregor_consumer_new(config, &handle, errstr, sizeof errstr) == GREGOR_OK);
    gregor_close(config);
    return handle;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int64_t producer, consumer;
    if (!producer) producer = client(0);
    if (!consumer) consumer = client(1);
    if (size == 0) return 0;
    uint8_t which = data[0] % 3;
    data++, size--;
    if (which == 0) {
        int64_t id = -1;
        int32_t rc = gregor_produce(producer, "fuzz", GREGOR_PARTITION_ANY, "k", 1, "v", 1,
                                    size ? data : NULL, size, &id);
        assert(rc != GREGOR_OK || id > 0);
        return 0;
    }
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    int32_t rc = which == 1 ? gregor_subscribe(consumer, text) : gregor_assign(consumer, text);
    assert(rc != GREGOR_ERR_BAD_HANDLE);
    free(text);
    return 0;
}
