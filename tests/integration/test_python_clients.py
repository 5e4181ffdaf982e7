"""Topics, keyed records, consuming from the start or from a timestamp, and all four
compression codecs, through real Python clients over real sockets.

Each test runs once per client (kafka-python, confluent-kafka); scripts/run-integration runs
this file under .venv (current PyPI releases) and again under Debian's python3 (older releases),
and the test ids carry the client version.
"""

import time

import pytest

import kafkawire
from helpers import wait_until

CODECS = ["gzip", "snappy", "lz4", "zstd"]
CODEC_IDS = {"gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}  # record batch attributes & 7


def _is_kafka_error(exc, class_name, code_name):
    """kafka-python raises e.g. TopicAlreadyExistsError; the confluent adapter wraps a
    KafkaError whose text has code=TOPIC_ALREADY_EXISTS."""
    return class_name in type(exc).__name__ or ("code=%s," % code_name) in str(exc)


# ---- topics ---------------------------------------------------------------------------------

def test_create_describe_delete_topic(kafka_client, unique_topic):
    topic = unique_topic("admin")
    kafka_client.create_topic(topic, partitions=3)
    wait_until(lambda: kafka_client.partitions(topic) == [0, 1, 2], what="3 partitions of " + topic)
    assert topic in kafka_client.list_topics()

    kafka_client.delete_topic(topic)
    wait_until(lambda: topic not in kafka_client.list_topics(), what=topic + " to disappear")
    assert kafka_client.partitions(topic) == []


def test_topic_config_set_at_creation_is_described(kafka_client, unique_topic):
    topic = unique_topic("cfg")
    kafka_client.create_topic(topic, partitions=1, configs={"retention.ms": 7200000})
    wait_until(lambda: kafka_client.partitions(topic) == [0], what=topic)
    assert kafka_client.topic_config(topic, "retention.ms") == "7200000"


def test_create_existing_topic_fails(kafka_client, unique_topic):
    topic = unique_topic("dup")
    kafka_client.create_topic(topic, partitions=1)
    with pytest.raises(Exception) as ei:
        kafka_client.create_topic(topic, partitions=1)
    assert _is_kafka_error(ei.value, "TopicAlreadyExists", "TOPIC_ALREADY_EXISTS"), repr(ei.value)


def test_delete_unknown_topic_fails(kafka_client, unique_topic):
    topic = unique_topic("nosuch")
    with pytest.raises(Exception) as ei:
        kafka_client.delete_topic(topic)
    assert _is_kafka_error(ei.value, "UnknownTopicOrPartition", "UNKNOWN_TOPIC_OR_PART"), repr(ei.value)


# ---- keyed records ---------------------------------------------------------------------------

def test_same_key_same_partition(kafka_client, unique_topic):
    topic = unique_topic("keys")
    kafka_client.create_topic(topic, partitions=3)
    wait_until(lambda: kafka_client.partitions(topic) == [0, 1, 2], what=topic)

    keys = [("key-%d" % k).encode() for k in range(12)]
    records = [{"key": key, "value": ("%s/%d" % (key.decode(), n)).encode()}
               for n in range(5) for key in keys]
    placed = kafka_client.produce(topic, records)

    by_key = {}
    for rec, (partition, _offset) in zip(records, placed):
        by_key.setdefault(rec["key"], set()).add(partition)
    assert all(len(parts) == 1 for parts in by_key.values()), by_key
    used = {next(iter(parts)) for parts in by_key.values()}
    assert len(used) >= 2, "12 keys all hashed to partition %s" % used

    # Offsets per partition are dense from 0 and follow send order.
    per_partition = {}
    for partition, offset in placed:
        per_partition.setdefault(partition, []).append(offset)
    for partition, offsets in per_partition.items():
        assert offsets == list(range(len(offsets))), (partition, offsets)

    got = kafka_client.consume(topic, [0, 1, 2], count=len(records))
    assert len(got) == len(records)
    expected = {(p, o): rec for rec, (p, o) in zip(records, placed)}
    for r in got:
        rec = expected[(r.partition, r.offset)]
        assert (r.key, r.value) == (rec["key"], rec["value"])
    # Within a key, values come back in the order they were produced.
    for key in keys:
        values = [r.value for r in got if r.key == key]
        assert values == [("%s/%d" % (key.decode(), n)).encode() for n in range(5)]


def test_explicit_partition(kafka_client, unique_topic):
    topic = unique_topic("part")
    kafka_client.create_topic(topic, partitions=3)
    wait_until(lambda: kafka_client.partitions(topic) == [0, 1, 2], what=topic)
    records = [{"key": None, "value": b"v%d" % i, "partition": 2} for i in range(7)]
    placed = kafka_client.produce(topic, records)
    assert placed == [(2, i) for i in range(7)]
    assert kafka_client.end_offsets(topic, [0, 1, 2]) == {0: 0, 1: 0, 2: 7}
    got = kafka_client.consume(topic, [2], count=7)
    assert [r.value for r in got] == [b"v%d" % i for i in range(7)]


# ---- consuming --------------------------------------------------------------------------------

def test_consume_from_beginning(kafka_client, unique_topic):
    topic = unique_topic("begin")
    kafka_client.create_topic(topic, partitions=1)
    wait_until(lambda: kafka_client.partitions(topic) == [0], what=topic)
    records = [{"key": b"k%d" % i, "value": b"value-%d" % i} for i in range(100)]
    records.append({"key": b"tombstone", "value": None})
    records.append({"key": None, "value": b"no key"})
    kafka_client.produce(topic, records)

    got = kafka_client.consume(topic, [0], count=len(records))
    assert [r.offset for r in got] == list(range(len(records)))
    assert [(r.key, r.value) for r in got] == [(rec["key"], rec["value"]) for rec in records]


def test_consume_from_timestamp(kafka_client, unique_topic):
    topic = unique_topic("ts")
    kafka_client.create_topic(topic, partitions=1)
    wait_until(lambda: kafka_client.partitions(topic) == [0], what=topic)
    # Explicit CreateTime timestamps one second apart, an hour in the past (within retention).
    base_ms = (int(time.time()) - 3600) * 1000
    records = [{"key": b"k", "value": b"at+%ds" % i, "timestamp_ms": base_ms + i * 1000}
               for i in range(10)]
    kafka_client.produce(topic, records)

    assert kafka_client.offsets_for_times(topic, [0], base_ms - 1) == {0: 0}
    assert kafka_client.offsets_for_times(topic, [0], base_ms) == {0: 0}
    assert kafka_client.offsets_for_times(topic, [0], base_ms + 4500) == {0: 5}
    assert kafka_client.offsets_for_times(topic, [0], base_ms + 9000) == {0: 9}
    assert kafka_client.offsets_for_times(topic, [0], base_ms + 9001) == {0: None}

    start = kafka_client.offsets_for_times(topic, [0], base_ms + 4500)
    got = kafka_client.consume(topic, [0], count=5, start=start)
    assert [r.offset for r in got] == [5, 6, 7, 8, 9]
    assert [r.value for r in got] == [b"at+%ds" % i for i in range(5, 10)]
    assert [r.timestamp_ms for r in got] == [base_ms + i * 1000 for i in range(5, 10)]


# ---- compression ------------------------------------------------------------------------------

def _require_codec(client, codec):
    if client.name == "kafka-python":
        import kafka.codec

        has = {"gzip": kafka.codec.has_gzip, "snappy": kafka.codec.has_snappy,
               "lz4": kafka.codec.has_lz4, "zstd": kafka.codec.has_zstd}[codec]
        if not has():
            pytest.skip("kafka-python %s has no %s library in this interpreter"
                        % (client.version, codec))


@pytest.mark.parametrize("codec", CODECS)
def test_compression_roundtrip(kafka_client, all_clients, unique_topic, broker, codec):
    _require_codec(kafka_client, codec)
    topic = unique_topic(codec)
    kafka_client.create_topic(topic, partitions=1)
    wait_until(lambda: kafka_client.partitions(topic) == [0], what=topic)
    # Repetitive values compress well; keys let the check catch reordering within a batch.
    records = [{"key": b"key-%03d" % i, "value": (b"%s record %03d " % (codec.encode(), i)) * 20}
               for i in range(200)]
    placed = kafka_client.produce(topic, records, compression=codec)
    assert [o for _, o in placed] == list(range(200))

    # The broker keeps the producer's compressed batches as they are.
    error, high_watermark, batches = kafkawire.fetch_batches(broker.bootstrap, topic, 0)
    assert error == 0 and high_watermark == 200
    assert batches, "Fetch returned no record batches"
    assert {b["compression"] for b in batches} == {CODEC_IDS[codec]}, batches

    # Every client can read what this one wrote.
    for reader in all_clients:
        _require_codec(reader, codec)
        got = reader.consume(topic, [0], count=200)
        assert [(r.offset, r.key, r.value) for r in got] == [
            (i, rec["key"], rec["value"]) for i, rec in enumerate(records)], reader.name


def test_mixed_codecs_in_one_partition(kafka_client, unique_topic):
    topic = unique_topic("mixed")
    kafka_client.create_topic(topic, partitions=1)
    wait_until(lambda: kafka_client.partitions(topic) == [0], what=topic)
    expected = []
    for codec in [None] + CODECS:
        if codec is not None:
            try:
                _require_codec(kafka_client, codec)
            except pytest.skip.Exception:
                continue
        batch = [{"key": None, "value": b"%s-%d" % ((codec or "none").encode(), i)} for i in range(20)]
        kafka_client.produce(topic, batch, compression=codec)
        expected += [r["value"] for r in batch]
    got = kafka_client.consume(topic, [0], count=len(expected))
    assert [r.value for r in got] == expected
    assert [r.offset for r in got] == list(range(len(expected)))


def test_produce_to_new_topic_auto_creates_it(kafka_client, unique_topic):
    topic = unique_topic("auto")
    placed = kafka_client.produce(topic, [{"key": b"a", "value": b"first"}])
    assert placed[0][1] == 0
    assert topic in kafka_client.list_topics()
    got = kafka_client.consume(topic, [placed[0][0]], count=1)
    assert (got[0].key, got[0].value) == (b"a", b"first")
