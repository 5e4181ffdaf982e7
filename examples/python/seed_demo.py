#!/usr/bin/env python3
"""The libgregor seed demo in Python, through ctypes only (no Kafka package).

    seed_demo.py LIBRARY BOOTSTRAP      e.g. seed_demo.py build/libgregor.so.0 127.0.0.1:9092

Creates topics animals and plants, produces keyed records with a header, reads their delivery
reports, consumes everything in group dyalog with a manual commit (growing its buffers when
libgregor reports they are too small), checks that the group's lag table shows 0, reads
everything again in a second group, and deletes the topics. Exits 0 when every check holds.
"""

import ctypes
import struct
import sys
from ctypes import POINTER, byref, c_char_p, c_int32, c_int64, c_size_t, c_void_p

OK = 0
ERR_BUFFER_TOO_SMALL = -1002
ERR_TIMED_OUT = -1004
PARTITION_ANY = -1
TIMEOUT_MS = 10000
CONSUME_ATTEMPTS_MAX = 60

RECORDS = [
    ("animals", "cat", "meows"), ("animals", "dog", "barks"), ("animals", "emu", "runs"),
    ("animals", "fox", "yips"), ("animals", "gnu", "grazes"), ("animals", "yak", "grunts"),
    ("plants", "fern", "uncurls"), ("plants", "oak", "grows slowly"), ("plants", "ivy", "climbs"),
    ("plants", "moss", "spreads"),
]

# Every function of gregor_client.h this demo calls: (name, argument types); all return int32.
SIGNATURES = {
    "gregor_error_message": [c_int32, c_char_p, c_size_t],
    "gregor_config_new": [POINTER(c_int64)],
    "gregor_config_set": [c_int64, c_char_p, c_char_p, c_char_p, c_size_t],
    "gregor_close": [c_int64],
    "gregor_producer_new": [c_int64, POINTER(c_int64), c_char_p, c_size_t],
    "gregor_produce": [c_int64, c_char_p, c_int32, c_void_p, c_size_t, c_void_p, c_size_t, c_void_p,
                       c_size_t, POINTER(c_int64)],
    "gregor_delivery_poll": [c_int64, c_int32, POINTER(c_int64), POINTER(c_int32), POINTER(c_int32),
                             POINTER(c_int64)],
    "gregor_flush": [c_int64, c_int32],
    "gregor_header_append": [c_void_p, c_size_t, POINTER(c_size_t), c_char_p, c_void_p, c_size_t],
    "gregor_consumer_new": [c_int64, POINTER(c_int64), c_char_p, c_size_t],
    "gregor_subscribe": [c_int64, c_char_p],
    "gregor_consume": [c_int64, c_int32, c_char_p, c_size_t, POINTER(c_size_t), POINTER(c_int32),
                       POINTER(c_int64), c_void_p, c_size_t, POINTER(c_int64), c_void_p, c_size_t,
                       POINTER(c_int64), POINTER(c_int64), c_void_p, c_size_t, POINTER(c_size_t)],
    "gregor_commit": [c_int64, c_int32],
    "gregor_committed": [c_int64, c_char_p, c_int32, c_int32, POINTER(c_int64)],
    "gregor_admin_new": [c_int64, POINTER(c_int64), c_char_p, c_size_t],
    "gregor_topic_create": [c_int64, c_char_p, c_int32, c_int32, c_int32, c_char_p, c_size_t],
    "gregor_topic_delete": [c_int64, c_char_p, c_int32, c_char_p, c_size_t],
    "gregor_topics_list": [c_int64, c_int32, c_char_p, c_size_t, POINTER(c_size_t)],
    "gregor_group_describe": [c_int64, c_char_p, c_int32, c_char_p, c_size_t, POINTER(c_size_t)],
}


class DemoFailed(Exception):
    pass


class Gregor:
    """The library with typed functions; call() raises on any result but OK."""

    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        for name, argtypes in SIGNATURES.items():
            fn = getattr(self.lib, name)
            fn.argtypes = argtypes
            fn.restype = c_int32
        self.lib.gregor_version.restype = c_char_p
        self.lib.gregor_rdkafka_version.restype = c_char_p

    def message(self, code):
        buf = ctypes.create_string_buffer(256)
        self.lib.gregor_error_message(code, buf, len(buf))
        return buf.value.decode()

    def call(self, what, name, *args):
        rc = getattr(self.lib, name)(*args)
        if rc != OK:
            raise DemoFailed("%s: %s (%d)" % (what, self.message(rc), rc))

    def new_client(self, kind, bootstrap, group=None):
        config = c_int64()
        self.call("config", "gregor_config_new", byref(config))
        errstr = ctypes.create_string_buffer(256)
        settings = {"bootstrap.servers": bootstrap}
        if group:
            settings.update({"group.id": group, "enable.auto.commit": "false", "auto.offset.reset": "earliest"})
        try:
            for key, value in settings.items():
                rc = self.lib.gregor_config_set(config, key.encode(), value.encode(), errstr, len(errstr))
                if rc != OK:
                    raise DemoFailed("config %s: %s" % (key, errstr.value.decode()))
            handle = c_int64()
            rc = getattr(self.lib, "gregor_%s_new" % kind)(config, byref(handle), errstr, len(errstr))
            if rc != OK:
                raise DemoFailed("%s: %s" % (kind, errstr.value.decode()))
            return handle.value
        finally:
            self.lib.gregor_close(config)

    def text_out(self, what, name, *args):
        """Calls a function that writes text into (out, out_size, out_len), growing out once."""
        out_len = c_size_t()
        out = ctypes.create_string_buffer(64)
        rc = getattr(self.lib, name)(*args, out, len(out), byref(out_len))
        if rc == ERR_BUFFER_TOO_SMALL:
            out = ctypes.create_string_buffer(out_len.value)
            rc = getattr(self.lib, name)(*args, out, len(out), byref(out_len))
        if rc != OK:
            raise DemoFailed("%s: %s (%d)" % (what, self.message(rc), rc))
        return out.value.decode()


def produce_all(g, bootstrap):
    producer = g.new_client("producer", bootstrap)
    headers = ctypes.create_string_buffer(64)
    headers_len = c_size_t(0)
    g.call("header", "gregor_header_append", headers, len(headers), byref(headers_len), b"origin", b"seed", 4)
    ids = []
    for topic, key, value in RECORDS:
        message_id = c_int64()
        g.call("produce", "gregor_produce", producer, topic.encode(), PARTITION_ANY, key.encode(), len(key),
               value.encode(), len(value), headers, headers_len.value, byref(message_id))
        ids.append(message_id.value)
    g.call("flush", "gregor_flush", producer, TIMEOUT_MS)
    for _ in RECORDS:
        message_id, error, partition, offset = c_int64(), c_int32(), c_int32(), c_int64()
        g.call("delivery report", "gregor_delivery_poll", producer, TIMEOUT_MS, byref(message_id), byref(error),
               byref(partition), byref(offset))
        if message_id.value not in ids:
            raise DemoFailed("delivery report for unknown message id %d" % message_id.value)
        if error.value != OK:
            raise DemoFailed("delivery: %s (%d)" % (g.message(error.value), error.value))
        topic, key, value = RECORDS[ids.index(message_id.value)]
        print("delivered %s/%s -> %s [%d] @ %d" % (key, value, topic, partition.value, offset.value))
    g.call("close producer", "gregor_close", producer)


def parse_headers(block):
    """A header block: per entry uint32 name length, uint32 value length (host order), name, value."""
    headers, at = [], 0
    while at < len(block):
        name_len, value_len = struct.unpack_from("=II", block, at)
        at += 8
        name = block[at:at + name_len].decode()
        at += name_len
        if value_len == 0xFFFFFFFF:
            headers.append((name, None))
            continue
        headers.append((name, block[at:at + value_len]))
        at += value_len
    return headers


def consume_all(g, bootstrap, group):
    consumer = g.new_client("consumer", bootstrap, group)
    g.call("subscribe", "gregor_subscribe", consumer, b"animals,plants")
    # Deliberately small buffers: libgregor reports the sizes and keeps the message.
    sizes = {"topic": 4, "key": 2, "payload": 2, "headers": 0}
    bufs = {name: ctypes.create_string_buffer(max(size, 1)) for name, size in sizes.items()}
    topic_len, headers_len = c_size_t(), c_size_t()
    partition, offset, key_len, payload_len, timestamp = c_int32(), c_int64(), c_int64(), c_int64(), c_int64()
    seen, grown, attempts = set(), 0, 0
    while len(seen) < len(RECORDS) and attempts < CONSUME_ATTEMPTS_MAX:
        attempts += 1
        rc = g.lib.gregor_consume(consumer, 1000, bufs["topic"], sizes["topic"], byref(topic_len), byref(partition),
                                  byref(offset), bufs["key"], sizes["key"], byref(key_len), bufs["payload"],
                                  sizes["payload"], byref(payload_len), byref(timestamp), bufs["headers"],
                                  sizes["headers"], byref(headers_len))
        if rc == ERR_TIMED_OUT:
            continue
        if rc == ERR_BUFFER_TOO_SMALL:
            needed = {"topic": topic_len.value, "key": key_len.value, "payload": payload_len.value,
                      "headers": headers_len.value}
            for name, size in needed.items():
                sizes[name] = max(size, 0)
                bufs[name] = ctypes.create_string_buffer(max(size, 1))
            grown += 1
            attempts -= 1  # the same message comes again
            continue
        if rc != OK:
            raise DemoFailed("consume: %s (%d)" % (g.message(rc), rc))
        topic = bufs["topic"].value.decode()
        key = bufs["key"].raw[:key_len.value].decode()
        payload = bufs["payload"].raw[:payload_len.value].decode()
        record = (topic, key, payload)
        if record not in RECORDS:
            raise DemoFailed("unexpected record %r in %s [%d] @ %d" % (record, topic, partition.value, offset.value))
        if parse_headers(bufs["headers"].raw[:headers_len.value]) != [("origin", b"seed")]:
            raise DemoFailed("wrong headers for key %s" % key)
        if timestamp.value <= 0:
            raise DemoFailed("no timestamp for key %s" % key)
        seen.add(record)
        print("%s consumed %s [%d] @ %d: %s = %s" % (group, topic, partition.value, offset.value, key, payload))
    if len(seen) < len(RECORDS):
        raise DemoFailed("%s read %d of %d records" % (group, len(seen), len(RECORDS)))
    if not grown:
        raise DemoFailed("the small buffers were never reported too small")
    g.call("commit", "gregor_commit", consumer, 0)
    committed = c_int64()
    g.call("committed", "gregor_committed", consumer, b"plants", 0, TIMEOUT_MS, byref(committed))
    print("%s committed plants [0] at %d" % (group, committed.value))
    g.call("close consumer", "gregor_close", consumer)


def check_lag(g, admin, group):
    table = g.text_out("describe group", "gregor_group_describe", admin, group.encode(), TIMEOUT_MS)
    print("lag of %s:\n%s" % (group, table), end="")
    rows = [line.split("\t") for line in table.splitlines()[1:]]
    for topic, partition, _committed, _high, lag in rows:
        if int(lag) != 0:
            raise DemoFailed("%s [%s] lags by %s" % (topic, partition, lag))
    committed_total = sum(int(row[2]) for row in rows)
    if committed_total != len(RECORDS):
        raise DemoFailed("committed offsets add up to %d, not %d" % (committed_total, len(RECORDS)))
    print("lag of %s is 0 on all %d partitions" % (group, len(rows)))


def main(argv):
    if len(argv) != 3:
        raise DemoFailed("usage: seed_demo.py LIBRARY BOOTSTRAP")
    g, bootstrap = Gregor(argv[1]), argv[2]
    print("libgregor %s on librdkafka %s" % (g.lib.gregor_version().decode(),
                                            g.lib.gregor_rdkafka_version().decode()))
    admin = g.new_client("admin", bootstrap)
    errstr = ctypes.create_string_buffer(256)
    for topic, partitions in (("animals", 3), ("plants", 2)):
        if g.lib.gregor_topic_create(admin, topic.encode(), partitions, -1, TIMEOUT_MS, errstr, len(errstr)) != OK:
            raise DemoFailed("create %s: %s" % (topic, errstr.value.decode()))
    topics = g.text_out("list topics", "gregor_topics_list", admin, TIMEOUT_MS)
    print("topics:\n%s" % topics, end="")
    if "animals\t3\n" not in topics or "plants\t2\n" not in topics:
        raise DemoFailed("topics missing from the list")

    produce_all(g, bootstrap)
    consume_all(g, bootstrap, "dyalog")
    check_lag(g, admin, "dyalog")
    consume_all(g, bootstrap, "dyalog-again")
    check_lag(g, admin, "dyalog-again")

    for topic in ("animals", "plants"):
        if g.lib.gregor_topic_delete(admin, topic.encode(), TIMEOUT_MS, errstr, len(errstr)) != OK:
            raise DemoFailed("delete %s: %s" % (topic, errstr.value.decode()))
    g.call("close admin", "gregor_close", admin)
    print("seed demo passed")


if __name__ == "__main__":
    try:
        main(sys.argv)
    except DemoFailed as e:
        print("seed_demo.py: %s" % e, file=sys.stderr)
        sys.exit(1)
