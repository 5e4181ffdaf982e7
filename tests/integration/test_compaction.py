"""Log compaction (cleanup.policy=compact) as a confluent-kafka consumer sees it.

Many updates to few keys, each round in its own segment (segment.ms rolls them), plus
tombstones: once the cleaner has run, a consumer from the beginning reads exactly the newest value
of each live key, in offset order. A broker killed with SIGKILL while it cleans (the
GREGOR_CLEANER_PAUSE_MS hook slows each segment swap down) loses nothing: after restarting, every
key still reads as its newest value. Records without a key are refused on compacted topics with
INVALID_RECORD, as Kafka refuses them.
"""

import random
import time

import pytest
from confluent_kafka import KafkaError
from confluent_kafka.admin import AdminClient, ConfigResource

import stream_check as sc

KEYS = 10
ROUNDS = 12
ROLL_MS = 100              # segment.ms: a pause longer than this makes the next round roll
ROUND_PAUSE_S = 0.15
DEADLINE_S = 90.0
SENTINEL = b"sentinel"     # keeps rolling the active segment so everything before it is cleanable
COMPACTED = {"cleanup.policy": "compact", "segment.ms": str(ROLL_MS),
             "min.cleanable.dirty.ratio": "0.01", "delete.retention.ms": "0"}
FAST_CLEANER = {"log.cleaner.backoff.ms": "100"}
FLUSH_S = 30.0


def _produce(p, topic, key, value):
    errors = []
    p.produce(topic, key=key, value=value, partition=0,
              on_delivery=lambda err, msg: errors.append(err) if err else None)
    assert p.flush(FLUSH_S) == 0, "record left unacknowledged"
    assert not errors, errors


def _produce_rounds(bootstrap, topic, deleted, compression="none"):
    """ROUNDS rounds of updates to KEYS keys (one batch a round), then tombstones for `deleted`;
    returns the newest value of every key (None for deleted ones)."""
    p = sc.producer(bootstrap, **{"linger.ms": 0, "compression.type": compression})
    newest = {}
    for r in range(ROUNDS):
        for k in range(KEYS):
            key = b"k%d" % k
            newest[key] = b"k%d-r%d" % (k, r)
            p.produce(topic, key=key, value=newest[key], partition=0)
        assert p.flush(FLUSH_S) == 0
        time.sleep(ROUND_PAUSE_S)
    for k in deleted:
        key = b"k%d" % k
        p.produce(topic, key=key, value=None, partition=0)
        newest[key] = None
    assert p.flush(FLUSH_S) == 0
    return p, newest


def _newest_view(records):
    """The last value per key as a reader sees it, ignoring the sentinel."""
    view = {}
    for _, key, value in records:
        if key != SENTINEL:
            view[key] = value
    return view


def _expected_records(newest):
    return [(key, value) for key, value in newest.items() if value is not None]


def _compacted(records, newest):
    """Exactly the newest value of each live key, in offset order, then sentinels."""
    body = [(k, v) for _, k, v in records if k != SENTINEL]
    return body == _expected_records(newest)


def _wait_compacted(broker, topic, p, newest):
    deadline = time.monotonic() + DEADLINE_S
    records = []
    for _ in range(int(DEADLINE_S / ROUND_PAUSE_S)):
        if time.monotonic() > deadline:
            break
        time.sleep(ROUND_PAUSE_S)
        _produce(p, topic, SENTINEL, b"x")  # rolls the previous segment; makes new dirty data
        records = sc.read_partition(broker.bootstrap, topic, 0)
        if _compacted(records, newest):
            return records
    raise AssertionError("not compacted within %.0fs; read %r\n%s" % (DEADLINE_S, records, broker.log_tail()))


@pytest.mark.broker_config(FAST_CLEANER)
@pytest.mark.parametrize("compression", ["none", "lz4"])
def test_consumer_sees_newest_value_of_each_live_key(broker, unique_topic, compression):
    """With lz4 the cleaner decompresses, filters and recompresses each batch."""
    topic = unique_topic("compact")
    sc.create_topic(broker.bootstrap, topic, 1, COMPACTED)
    p, newest = _produce_rounds(broker.bootstrap, topic, deleted=[3, 7], compression=compression)
    records = _wait_compacted(broker, topic, p, newest)
    offsets = [o for o, _, _ in records]
    assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)
    # Offsets are kept, never reused: the newest records sit where they were produced.
    assert offsets[0] >= (ROUNDS - 1) * KEYS
    assert _newest_view(records) == {k: v for k, v in newest.items() if v is not None}


def test_keyless_record_is_refused(broker, unique_topic):
    topic = unique_topic("compact-nokey")
    sc.create_topic(broker.bootstrap, topic, 1, COMPACTED)
    p = sc.producer(broker.bootstrap)
    reports = []
    p.produce(topic, value=b"no key", partition=0, on_delivery=lambda err, msg: reports.append(err))
    assert p.flush(FLUSH_S) == 0
    assert len(reports) == 1 and reports[0] is not None
    assert reports[0].code() == KafkaError.INVALID_RECORD, reports[0]
    _produce(p, topic, b"k", b"with key")  # the topic still takes keyed records
    assert [(k, v) for _, k, v in sc.read_partition(broker.bootstrap, topic, 0)] == [(b"k", b"with key")]


def _alter(bootstrap, topic, configs):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    res = ConfigResource(ConfigResource.Type.TOPIC, topic, set_config=configs)
    for f in admin.alter_configs([res]).values():
        f.result(sc.OP_TIMEOUT_S)


def _wait_for_file(directory, pattern, broker):
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if list(directory.glob(pattern)):
            return
        assert broker.is_running(), broker.log_tail()
        time.sleep(0.01)
    raise AssertionError("no %s in %s within %.0fs\n%s" % (pattern, directory, DEADLINE_S, broker.log_tail()))


def _one_round(bootstrap, topic, newest, tag):
    """New values for every live key (new dirty data), then a sentinel that rolls their segment."""
    p = sc.producer(bootstrap, **{"linger.ms": 0})
    for key, value in list(newest.items()):
        if value is not None:
            newest[key] = key + b"-" + tag
            p.produce(topic, key=key, value=newest[key], partition=0)
    assert p.flush(FLUSH_S) == 0
    time.sleep(ROUND_PAUSE_S)
    _produce(p, topic, SENTINEL, b"x")


def _check_nothing_lost(broker, topic, newest):
    view = _newest_view(sc.read_partition(broker.bootstrap, topic, 0))
    live = {k: v for k, v in newest.items() if v is not None}
    # Every live key still reads as its newest value; a deleted one is gone or a tombstone.
    assert {k: view.get(k) for k in live} == live, view
    assert all(view.get(k) is None for k, v in newest.items() if v is None), view


def test_kill9_during_cleaning_loses_nothing(broker_factory, unique_topic, monkeypatch):
    """The data is written before compaction is switched on, so the first cleaning has all of it
    to do. Kills: twice while a cleaned copy waits to be swapped in (the pause hook holds it),
    then at random moments."""
    monkeypatch.setenv("GREGOR_CLEANER_PAUSE_MS", "400")
    broker = broker_factory(FAST_CLEANER)
    topic = unique_topic("compact-kill")
    sc.create_topic(broker.bootstrap, topic, 1, {"cleanup.policy": "delete", "retention.ms": "-1",
                                                 "segment.ms": str(ROLL_MS)})
    p, newest = _produce_rounds(broker.bootstrap, topic, deleted=[5])
    time.sleep(ROUND_PAUSE_S)
    _produce(p, topic, SENTINEL, b"x")
    _alter(broker.bootstrap, topic, COMPACTED)
    part_dir = broker.data_dir / ("%s-0" % topic)
    rng = random.Random(12)
    for i in range(5):
        if i < 2:
            _wait_for_file(part_dir, "*.log.cleaned", broker)
        else:
            time.sleep(rng.uniform(0.05, 1.0))
        broker.kill9()
        broker.start()
        assert not list(part_dir.glob("*.log.swap"))
        _check_nothing_lost(broker, topic, newest)
        _one_round(broker.bootstrap, topic, newest, b"after-kill-%d" % i)
    assert "removing the unfinished cleaned copy" in broker.log_text()
    monkeypatch.delenv("GREGOR_CLEANER_PAUSE_MS")
    broker.stop()
    broker.start()
    p = sc.producer(broker.bootstrap, **{"linger.ms": 0})
    _wait_compacted(broker, topic, p, newest)
