"""kcat (Debian's build on librdkafka 2.0.2) against the broker: metadata listing, producing
and consuming from the beginning, keys, compression and offset lookup by timestamp."""

import json
import shutil
import subprocess
import time

import pytest

from clients import ConfluentClient, KafkaPythonClient
from helpers import wait_until

KCAT_TIMEOUT_S = 60
KCAT = shutil.which("kcat") or shutil.which("kafkacat")

pytestmark = pytest.mark.skipif(KCAT is None, reason="kcat is not installed (scripts/install-deps)")


def kcat(broker, *args, stdin=None):
    """Run kcat with a bounded time; return stdout, fail the test with stderr on error."""
    cmd = [KCAT, "-b", broker.bootstrap, *args]
    res = subprocess.run(cmd, input=stdin, capture_output=True, timeout=KCAT_TIMEOUT_S)
    assert res.returncode == 0, "%s exited %d\nstderr:\n%s" % (
        " ".join(cmd), res.returncode, res.stderr.decode(errors="replace"))
    return res.stdout.decode()


def create_topic(broker, topic, partitions):
    try:
        admin = ConfluentClient(broker.bootstrap)
    except ImportError:
        admin = KafkaPythonClient(broker.bootstrap)
    try:
        admin.create_topic(topic, partitions)
        wait_until(lambda: admin.partitions(topic) == list(range(partitions)), what=topic)
    finally:
        admin.close()


def consume_all(broker, topic, *extra):
    """Everything in the topic from the beginning, as (partition, offset, key, value) rows."""
    out = kcat(broker, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
               "-f", "%p\t%o\t%k\t%s\n", *extra)
    rows = []
    for line in out.splitlines():
        p, o, k, v = line.split("\t", 3)
        rows.append((int(p), int(o), k, v))
    return rows


def test_metadata_lists_broker_and_topics(broker, unique_topic):
    topic = unique_topic("meta")
    create_topic(broker, topic, 3)

    info = json.loads(kcat(broker, "-L", "-J"))
    host, port = broker.bootstrap.rsplit(":", 1)
    assert any(b["name"] == "%s:%s" % (host, port) for b in info["brokers"]), info["brokers"]
    broker_ids = {b["id"] for b in info["brokers"]}
    topics = {t["topic"]: t for t in info["topics"]}
    assert topic in topics
    parts = topics[topic]["partitions"]
    assert sorted(p["partition"] for p in parts) == [0, 1, 2]
    assert all(p["leader"] in broker_ids for p in parts), parts

    text = kcat(broker, "-L", "-t", topic)
    assert "at %s:%s" % (host, port) in text
    assert 'topic "%s" with 3 partitions' % topic in text


def test_produce_then_consume_from_beginning(broker, unique_topic):
    topic = unique_topic("plain")
    lines = ["line %d" % i for i in range(50)]
    kcat(broker, "-P", "-t", topic, stdin=("\n".join(lines) + "\n").encode())
    rows = consume_all(broker, topic)
    assert [r[3] for r in rows] == lines
    assert [r[1] for r in rows] == list(range(50))
    assert {r[0] for r in rows} == {0}


def test_keys_pick_a_stable_partition(broker, unique_topic):
    topic = unique_topic("keyed")
    create_topic(broker, topic, 3)
    msgs = ["user%d:event %d" % (i % 7, i) for i in range(70)]
    kcat(broker, "-P", "-t", topic, "-K", ":", stdin=("\n".join(msgs) + "\n").encode())

    rows = consume_all(broker, topic)
    assert len(rows) == 70
    partitions_of = {}
    for p, _o, k, v in rows:
        partitions_of.setdefault(k, set()).add(p)
        assert v.startswith("event ")
    assert sorted(partitions_of) == ["user%d" % i for i in range(7)]
    assert all(len(ps) == 1 for ps in partitions_of.values()), partitions_of
    for key in partitions_of:
        events = [int(v.split()[1]) for _p, _o, k, v in rows if k == key]
        assert events == sorted(events)  # per-key order kept


@pytest.mark.parametrize("codec", ["gzip", "snappy", "lz4", "zstd"])
def test_compressed_produce(broker, unique_topic, codec):
    topic = unique_topic("kcat-" + codec)
    lines = ["%s payload %d %s" % (codec, i, "x" * 100) for i in range(100)]
    kcat(broker, "-P", "-t", topic, "-z", codec, stdin=("\n".join(lines) + "\n").encode())
    assert [r[3] for r in consume_all(broker, topic)] == lines


def test_query_offset_by_timestamp(broker, unique_topic):
    topic = unique_topic("kcat-ts")
    kcat(broker, "-P", "-t", topic, stdin=b"before\n")
    time.sleep(0.05)  # make the second batch's timestamp strictly later
    mid_ms = int(time.time() * 1000)
    time.sleep(0.05)
    kcat(broker, "-P", "-t", topic, stdin=b"after\n")

    out = kcat(broker, "-Q", "-t", "%s:0:%d" % (topic, mid_ms))
    # kcat prints "<topic> [0] offset 1"
    assert "%s [0] offset 1" % topic in out, out
