"""Record timestamps on topics of both timestamp types, as real clients see them.

With message.timestamp.type=LogAppendTime the broker stamps every batch with its own clock: the
Produce response carries that time (log_append_time_ms), the stored batch has the LogAppendTime
attribute and that time as its MaxTimestamp, and consumers read it as every record's timestamp
whatever the producer set, compressed or not. CreateTime topics keep the producer's timestamps
and answer log_append_time_ms = -1. Timestamp lookups (ListOffsets) work on both.

confluent-kafka reports the response's log_append_time_ms as the delivery report's timestamp
(type LogAppendTime); a hand-made Produce v7 request checks the field itself.
"""

import struct
import time

import pytest
from confluent_kafka import (TIMESTAMP_CREATE_TIME, TIMESTAMP_LOG_APPEND_TIME, OFFSET_BEGINNING,
                             TopicPartition)

import kafka_wire as w
import kafkawire as kw
import stream_check as sc

RECORDS = 30
PRODUCER_TIMESTAMP_MS = 1_000_000_000_000   # 2001: far from any broker clock
CLOCK_SLACK_MS = 60_000                     # broker and test share a clock; allow for slow runs
BATCH_ATTR_LOG_APPEND_TIME = 0x08
FLUSH_S = 30.0
PRODUCE_V7 = 7


def _produce_all(bootstrap, topic, compression):
    """Produces RECORDS records with PRODUCER_TIMESTAMP_MS + i; returns the delivery reports as
    [(offset, timestamp_type, timestamp)] in offset order."""
    reports = []

    def on_delivery(err, msg):
        assert err is None, err
        reports.append((msg.offset(),) + tuple(msg.timestamp()))

    p = sc.producer(bootstrap, **{"compression.type": compression, "linger.ms": 20})
    for i in range(RECORDS):
        p.produce(topic, value=b"v%d" % i, partition=0, timestamp=PRODUCER_TIMESTAMP_MS + i,
                  on_delivery=on_delivery)
    assert p.flush(FLUSH_S) == 0, "records left unacknowledged"
    assert len(reports) == RECORDS
    return sorted(reports)


def _consume_all(bootstrap, topic):
    """[(offset, timestamp_type, timestamp)] of every record of partition 0."""
    c = sc.consumer(bootstrap)
    out = []
    try:
        c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        deadline = time.monotonic() + sc.READ_TIMEOUT_S
        while len(out) < RECORDS and time.monotonic() < deadline:
            for m in c.consume(RECORDS, sc.POLL_S):
                assert m.error() is None, m.error()
                out.append((m.offset(),) + tuple(m.timestamp()))
    finally:
        c.close()
    assert len(out) == RECORDS, "read %d of %d records" % (len(out), RECORDS)
    return out


def _offset_for_time(bootstrap, topic, timestamp_ms):
    c = sc.consumer(bootstrap)
    try:
        [tp] = c.offsets_for_times([TopicPartition(topic, 0, timestamp_ms)], timeout=sc.OP_TIMEOUT_S)
        return tp.offset
    finally:
        c.close()


@pytest.mark.parametrize("compression", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_log_append_time_topic(broker, unique_topic, compression):
    topic = unique_topic("lat-" + compression)
    sc.create_topic(broker.bootstrap, topic, 1, {"message.timestamp.type": "LogAppendTime"})
    before = int(time.time() * 1000)
    reports = _produce_all(broker.bootstrap, topic, compression)
    after = int(time.time() * 1000)

    # The Produce response's log_append_time_ms: the broker's clock, not the producer's.
    for offset, ts_type, ts in reports:
        assert ts_type == TIMESTAMP_LOG_APPEND_TIME, (offset, ts_type, ts)
        assert before - CLOCK_SLACK_MS <= ts <= after + CLOCK_SLACK_MS, (offset, ts, before, after)

    # Stored: every batch has the LogAppendTime bit; readers see the stamped time.
    error, high, batches = kw.fetch_batches(broker.bootstrap, topic, 0)
    assert (error, high) == (0, RECORDS)
    assert batches and all(b["attributes"] & BATCH_ATTR_LOG_APPEND_TIME for b in batches), batches
    consumed = _consume_all(broker.bootstrap, topic)
    assert [o for o, _, _ in consumed] == list(range(RECORDS))
    assert all(t == TIMESTAMP_LOG_APPEND_TIME for _, t, _ in consumed), consumed
    # Each record read back carries the time its batch was acknowledged with.
    assert [ts for _, _, ts in consumed] == [ts for _, _, ts in reports]

    # Lookups go by the stamped times: the producer's old timestamps find the first record, the
    # first stamp finds offset 0, anything after the last stamp finds nothing.
    assert _offset_for_time(broker.bootstrap, topic, PRODUCER_TIMESTAMP_MS) == 0
    assert _offset_for_time(broker.bootstrap, topic, reports[0][2]) == 0
    last_stamp = max(ts for _, _, ts in reports)
    first_of_last = min(o for o, _, ts in reports if ts == last_stamp)
    assert _offset_for_time(broker.bootstrap, topic, last_stamp) == first_of_last
    assert _offset_for_time(broker.bootstrap, topic, last_stamp + 1) == -1


@pytest.mark.parametrize("compression", ["none", "zstd"])
def test_create_time_topic_keeps_producer_timestamps(broker, unique_topic, compression):
    topic = unique_topic("ct-" + compression)
    sc.create_topic(broker.bootstrap, topic, 1, {"message.timestamp.type": "CreateTime"})
    reports = _produce_all(broker.bootstrap, topic, compression)
    want = [(i, TIMESTAMP_CREATE_TIME, PRODUCER_TIMESTAMP_MS + i) for i in range(RECORDS)]
    assert reports == want
    assert _consume_all(broker.bootstrap, topic) == want
    error, _, batches = kw.fetch_batches(broker.bootstrap, topic, 0)
    assert error == 0 and not any(b["attributes"] & BATCH_ATTR_LOG_APPEND_TIME for b in batches)
    assert _offset_for_time(broker.bootstrap, topic, PRODUCER_TIMESTAMP_MS + 17) == 17


def _produce_v7_log_append_time(conn, topic, records):
    """Produce v7 (acks=all) of `records` to partition 0 -> (error, base_offset, log_append_time_ms)."""
    cid = conn.send_request(w.API_PRODUCE, PRODUCE_V7, w.produce_body(PRODUCE_V7, topic, 0, records))
    payload = conn.recv_frame()
    assert payload is not None, "connection closed instead of a Produce response"
    r = kw.Reader(payload)
    assert r.i32() == cid
    assert r.i32() == 1 and r.string() == topic
    assert r.i32() == 1 and r.i32() == 0
    error, base_offset, log_append_time = r.i16(), r.i64(), r.i64()
    r.i64()  # log start offset
    return error, base_offset, log_append_time


def test_produce_response_log_append_time_field(broker, raw_conn, unique_topic):
    lat = unique_topic("lat-raw")
    ct = unique_topic("ct-raw")
    sc.create_topic(broker.bootstrap, lat, 1, {"message.timestamp.type": "LogAppendTime"})
    sc.create_topic(broker.bootstrap, ct, 1, {"message.timestamp.type": "CreateTime"})
    c = raw_conn()
    before = int(time.time() * 1000)
    error, base, stamp = _produce_v7_log_append_time(
        c, lat, w.record_batch([b"a", b"b"], timestamp_ms=PRODUCER_TIMESTAMP_MS))
    after = int(time.time() * 1000)
    assert (error, base) == (w.NONE, 0)
    assert before - CLOCK_SLACK_MS <= stamp <= after + CLOCK_SLACK_MS, (stamp, before, after)
    error, base, stamp = _produce_v7_log_append_time(
        c, ct, w.record_batch([b"a"], timestamp_ms=PRODUCER_TIMESTAMP_MS))
    assert (error, base, stamp) == (w.NONE, 0, -1)


def test_produce_batch_max_timestamp_is_rewritten(broker, raw_conn, unique_topic):
    # The stored batch's MaxTimestamp is the stamp (and its CRC still holds: consumers check it).
    topic = unique_topic("lat-maxts")
    sc.create_topic(broker.bootstrap, topic, 1, {"message.timestamp.type": "LogAppendTime"})
    c = raw_conn()
    error, _, stamp = _produce_v7_log_append_time(
        c, topic, w.record_batch([b"x", b"y", b"z"], timestamp_ms=PRODUCER_TIMESTAMP_MS))
    assert error == w.NONE
    body = (kw.i32(-1) + kw.i32(500) + kw.i32(1) + kw.i32(1 << 20) + kw.i8(0)
            + kw.array([kw.string(topic) + kw.array([kw.i32(0) + kw.i64(0) + kw.i32(1 << 20)])]))
    cid = c.send_request(kw.API_FETCH, 4, body)
    payload = c.recv_frame()
    assert payload is not None
    r = kw.Reader(payload)
    assert r.i32() == cid
    r.i32()  # throttle
    assert r.i32() == 1 and r.string() == topic and r.i32() == 1
    assert r.i32() == 0 and r.i16() == 0
    r.i64()
    r.i64()
    r.i32()  # aborted transactions: none (-1 or 0)
    records = r.take(r.i32())
    (length,) = struct.unpack_from(">i", records, 8)
    batch = records[:12 + length]
    (attributes,) = struct.unpack_from(">h", batch, 21)
    (base_ts, max_ts) = struct.unpack_from(">qq", batch, 27)
    (crc,) = struct.unpack_from(">I", batch, 17)
    assert attributes & BATCH_ATTR_LOG_APPEND_TIME
    assert max_ts == stamp
    assert base_ts == PRODUCER_TIMESTAMP_MS  # Kafka leaves the base timestamp as produced
    assert crc == w.crc32c(batch[21:])
