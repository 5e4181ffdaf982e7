"""What the broker acknowledged survives a crash, a clean restart and a torn log tail.

- kill -9 in the middle of an acks=all stream, at several points of the stream: after a restart
  every acknowledged record is where its acknowledgement said (same partition, same offset,
  same bytes). Unacknowledged records may or may not be there.
- SIGTERM and start again: records, partitions and topic configs are all still there and the
  log continues at the same offset.
- A torn tail: after kill -9, bytes that are not a whole valid batch are appended to the active
  segment (as a write cut short by a crash leaves them). The broker must start, serve every
  earlier record and keep appending right after them.

These need a broker the test owns (kill9/stop/start) and skip against GREGOR_TEST_BOOTSTRAP.
"""

import os
import random
import signal
import time

import pytest

import kafka_wire
import stream_check as sc

RUN_DEADLINE_S = 240.0
VALUE_PAD = b"d" * 200


def _value(i):
    return b"%08d:" % i + VALUE_PAD


def _index(value):
    return int(value.split(b":", 1)[0])


def _stored(bootstrap, topic, partitions):
    """{(partition, offset): value} of everything in the topic."""
    out = {}
    for part in range(partitions):
        for offset, _, value in sc.read_partition(bootstrap, topic, part):
            out[(part, offset)] = value
    return out


def _assert_acked_present(log, stored):
    missing = [(p, o, _index(v)) for p, o, v in log.acked if stored.get((p, o)) != v]
    assert not missing, "%d acknowledged records lost or changed after the crash (first: %r)" % (
        len(missing), missing[:5])
    strangers = [k for k, v in stored.items() if not v.endswith(VALUE_PAD)]
    assert not strangers, "records that were never produced: %r" % strangers[:5]


# ---- kill -9 mid-stream -----------------------------------------------------------------------

STREAM_RECORDS = 30_000
STREAM_PARTITIONS = 3
WHILE_DOWN_RECORDS = 2_000   # produced (queued in the client) while the broker is dead
MAX_UNANSWERED = 2_000


@pytest.mark.parametrize("kill_after_acked", [200, 5_000, 20_000])
def test_acknowledged_records_survive_kill9(broker, unique_topic, kill_after_acked):
    topic = unique_topic("crash")
    sc.create_topic(broker.bootstrap, topic, STREAM_PARTITIONS)
    log = sc.DeliveryLog()
    client_errors = []
    deadline = time.monotonic() + RUN_DEADLINE_S
    p = sc.producer(broker.bootstrap, **{
        "linger.ms": 5,
        "message.timeout.ms": 90_000,      # long enough to wait through the restart
        "reconnect.backoff.ms": 50,
        "reconnect.backoff.max.ms": 500,
        "error_cb": client_errors.append,
    })
    killed_at = None
    restarted = False
    acked_before_kill = 0
    for i in range(STREAM_RECORDS):
        # Keep the stream paced by the broker (a bounded number unanswered), so the kill lands
        # mid-stream; while the broker is down, records just queue up in the client.
        if killed_at is None or restarted:
            while i - log.done_count() > MAX_UNANSWERED and time.monotonic() < deadline:
                p.poll(0.01)
        sc.produce_with_backpressure(p, topic, _value(i), partition=i % STREAM_PARTITIONS,
                                     on_delivery=log.callback, deadline=deadline)
        p.poll(0)
        if killed_at is None and log.acked_count() >= kill_after_acked:
            broker.kill9()  # requests are in flight; nothing is flushed or closed cleanly
            killed_at = i
            acked_before_kill = log.acked_count()
        elif killed_at is not None and not restarted and i >= killed_at + WHILE_DOWN_RECORDS:
            broker.start()
            restarted = True
    assert killed_at is not None, "the stream ended before %d acknowledgements" % kill_after_acked
    if not restarted:
        broker.start()
    remaining = p.flush(max(1.0, deadline - time.monotonic()))
    assert remaining == 0, "%d records neither delivered nor failed by the deadline" % remaining
    assert acked_before_kill >= kill_after_acked
    fatal = [e for e in client_errors if e.fatal()]
    assert not fatal, "fatal producer errors: %r" % fatal

    sc.wait_leaders(broker.bootstrap, topic, STREAM_PARTITIONS)
    stored = _stored(broker.bootstrap, topic, STREAM_PARTITIONS)
    _assert_acked_present(log, stored)
    assert len(log.acked) > acked_before_kill, "nothing was acknowledged after the restart"


# ---- clean stop -----------------------------------------------------------------------------

CLEAN_RECORDS = 5_000
CLEAN_MORE = 500
CLEAN_PARTITIONS = 2
CLEAN_RETENTION_MS = "7200000"


def _produce_acked(bootstrap, topic, values, partition_of):
    log = sc.DeliveryLog()
    p = sc.producer(bootstrap, **{"linger.ms": 5})
    deadline = time.monotonic() + RUN_DEADLINE_S
    for n, v in enumerate(values):
        sc.produce_with_backpressure(p, topic, v, partition=partition_of(n), on_delivery=log.callback,
                                     deadline=deadline)
        p.poll(0)
    assert p.flush(max(1.0, deadline - time.monotonic())) == 0
    assert not log.failed, "delivery failures: %r" % log.failed[:5]
    return log


def _topic_config(bootstrap, topic, key):
    from confluent_kafka.admin import AdminClient, ConfigResource

    admin = AdminClient({"bootstrap.servers": bootstrap})
    res = ConfigResource("topic", topic)
    config = admin.describe_configs([res])[res].result(sc.OP_TIMEOUT_S)
    return config[key].value if key in config else None


def test_clean_restart_keeps_records_partitions_and_configs(broker, unique_topic):
    topic = unique_topic("clean")
    sc.create_topic(broker.bootstrap, topic, CLEAN_PARTITIONS, {"retention.ms": CLEAN_RETENTION_MS})
    values = [_value(i) for i in range(CLEAN_RECORDS)]
    _produce_acked(broker.bootstrap, topic, values, lambda n: n % CLEAN_PARTITIONS)

    # 0, or 128+SIGTERM as a JVM (Apache Kafka) reports a clean shutdown; -SIGTERM would mean
    # the signal killed the process without any shutdown handling.
    code = broker.stop()
    assert code in (0, 128 + signal.SIGTERM), "exit status %r after SIGTERM" % code
    broker.start()

    sc.wait_leaders(broker.bootstrap, topic, CLEAN_PARTITIONS)
    assert _topic_config(broker.bootstrap, topic, "retention.ms") == CLEAN_RETENTION_MS
    ends = {}
    for part in range(CLEAN_PARTITIONS):
        records = sc.read_partition(broker.bootstrap, topic, part)
        assert [v for _, _, v in records] == values[part::CLEAN_PARTITIONS]
        assert [o for o, _, _ in records] == list(range(len(records)))
        ends[part] = len(records)

    # The log goes on where it stopped.
    more = [_value(CLEAN_RECORDS + i) for i in range(CLEAN_MORE)]
    log = _produce_acked(broker.bootstrap, topic, more, lambda n: 0)
    assert sorted(o for _, o, _ in log.acked) == list(range(ends[0], ends[0] + CLEAN_MORE))


# ---- torn tail ------------------------------------------------------------------------------

TORN_RECORDS = 2_000
TORN_MORE = 300
GARBAGE_BYTES = 4096


def _garbage(kind):
    rnd = random.Random(20240611)
    if kind == "random":
        return bytes(rnd.randrange(256) for _ in range(GARBAGE_BYTES))
    if kind == "zeros":  # blocks allocated by the file system but never written
        return bytes(GARBAGE_BYTES)
    # A batch whose write stopped half way: a valid header promising more bytes than follow.
    batch = kafka_wire.record_batch([b"torn-%d" % i + VALUE_PAD for i in range(40)])
    return batch[:len(batch) // 2]


def _active_segment(data_dir, topic):
    part_dir = os.path.join(str(data_dir), "%s-0" % topic)
    logs = sorted(f for f in os.listdir(part_dir) if f.endswith(".log"))
    assert logs, "no segment files in %s: %r" % (part_dir, os.listdir(part_dir))
    return os.path.join(part_dir, logs[-1])


@pytest.mark.parametrize("kind", ["random", "zeros", "half_batch"])
def test_torn_tail_is_cut_off_on_start(broker, unique_topic, kind):
    topic = unique_topic("torn")
    sc.create_topic(broker.bootstrap, topic, 1)
    values = [_value(i) for i in range(TORN_RECORDS)]
    _produce_acked(broker.bootstrap, topic, values, lambda n: 0)

    broker.kill9()
    segment = _active_segment(broker.data_dir, topic)
    with open(segment, "ab") as f:
        f.write(_garbage(kind))
    broker.start()

    sc.wait_leaders(broker.bootstrap, topic, 1)
    records = sc.read_partition(broker.bootstrap, topic, 0)
    assert [v for _, _, v in records] == values
    assert [o for o, _, _ in records] == list(range(TORN_RECORDS))

    more = [_value(TORN_RECORDS + i) for i in range(TORN_MORE)]
    log = _produce_acked(broker.bootstrap, topic, more, lambda n: 0)
    assert sorted(o for _, o, _ in log.acked) == list(range(TORN_RECORDS, TORN_RECORDS + TORN_MORE))
    records = sc.read_partition(broker.bootstrap, topic, 0)
    assert [v for _, _, v in records] == values + more
