"""gregor connect run with [pipeline NAME] sections: topics into a topic, at least once.

Input is produced and output read with confluent-kafka (a real librdkafka client); the pipeline
runs as its own `gregor connect run FILE` process (the Connectors fixture of test_connect_sink).
"""

import json
import re
import time
from pathlib import Path

import pytest

import helpers
from cli_helpers import EXIT_OK, Cli
from connect_helpers import assert_config_refused
from test_connect_sink import Connectors, connectors  # noqa: F401 - fixture

confluent_kafka = pytest.importorskip("confluent_kafka")

ROOT = Path(__file__).resolve().parents[2]
ECHO_EXAMPLE = ROOT / "examples" / "connect" / "echo.conf"
READ_TIMEOUT_S = 90
FLUSH_TIMEOUT_S = 30


@pytest.fixture
def cli(gregor_bin, broker, tmp_path):
    c = Cli(gregor_bin, broker)
    c.state_dir = tmp_path / "state"
    return c


def produce(broker, topic, events):
    """events: dicts with value and optional key, headers, partition, timestamp."""
    p = confluent_kafka.Producer({"bootstrap.servers": broker.bootstrap, "acks": "all"})
    failed = []

    def report(err, msg):
        if err:
            failed.append(err)

    for e in events:
        kw = {k: e[k] for k in ("key", "headers", "partition", "timestamp") if e.get(k) is not None}
        p.produce(topic, e["value"], on_delivery=report, **kw)
    assert p.flush(FLUSH_TIMEOUT_S) == 0 and not failed, failed


def partitions_of(broker, topic):
    c = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "meta"})
    try:
        return sorted(c.list_topics(topic, timeout=30).topics[topic].partitions)
    finally:
        c.close()


def read_topic(broker, topic, want, timeout_s=READ_TIMEOUT_S):
    """Every record of `topic` from the beginning once at least `want` are there (all of them)."""
    c = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": helpers.unique_group(),
                                  "enable.auto.commit": False, "enable.partition.eof": True})
    parts = partitions_of(broker, topic)
    out = []
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            ends = {p: c.get_watermark_offsets(confluent_kafka.TopicPartition(topic, p), timeout=10)[1]
                    for p in parts}
            if sum(ends.values()) >= want:
                break
            time.sleep(0.2)
        c.assign([confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING) for p in parts])
        pending = {p for p in parts if ends[p] > 0}
        while pending and time.monotonic() < deadline:
            m = c.poll(1.0)
            if m is None:
                continue
            if m.error():
                if m.error().code() == confluent_kafka.KafkaError._PARTITION_EOF:
                    pending.discard(m.partition())
                continue
            out.append(m)
    finally:
        c.close()
    assert len(out) >= want, "only %d of %d records in %s" % (len(out), want, topic)
    return out


def committed(broker, group, topic):
    """The group's committed offset per partition (-1001 when none)."""
    c = confluent_kafka.Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group})
    try:
        parts = [confluent_kafka.TopicPartition(topic, p) for p in partitions_of(broker, topic)]
        return {tp.partition: tp.offset for tp in c.committed(parts, timeout=30)}
    finally:
        c.close()


def status(cli):
    r = cli("connect", "status", "--json", "--state-dir", cli.state_dir)
    return r.json_lines() if r.rc == EXIT_OK else []


def pipeline_conf(broker, src, dst, name="pipe", extra="", group=None):
    return """bootstrap = "%s"

[pipeline %s]
topics = "%s"
group = "%s"
reset = "earliest"
output_topic = "%s"
%s
""" % (broker.bootstrap, name, src, group or "g-" + name + "-" + src, dst, extra)


def echo_conf(broker, src, dst, state_dir):
    """The example file of docs/connect.md, pointed at this test's broker and topics."""
    text = ECHO_EXAMPLE.read_text()
    text = text.replace('"127.0.0.1:9092"', '"%s"' % broker.bootstrap)
    text = re.sub(r'(?m)^state_dir = .*$', 'state_dir = "%s"' % state_dir, text)
    text = re.sub(r'(?m)^topics = .*$', 'topics = "%s"' % src, text)
    text = re.sub(r'(?m)^output_topic = "[^"]*"', 'output_topic = "%s"' % dst, text)
    return text


def test_echo_example_carries_key_headers_partition(cli, broker, connectors, unique_topic, tmp_path):
    src = cli.create_topic(unique_topic("echo_in"), 3)
    dst = cli.create_topic(unique_topic("echo_out"), 3)
    path = tmp_path / "echo.conf"
    path.write_text(echo_conf(broker, src, dst, cli.state_dir))
    events = []
    for i in range(40):
        e = {"value": json.dumps({"n": i, "text": "event %d" % i}).encode(), "partition": i % 3,
             "headers": [("trace", b"t%d" % i), ("kind", b"k%d" % (i % 2))], "timestamp": 1700000000000 + i}
        if i % 5:
            e["key"] = b"key-%d" % i
        events.append(e)
    produce(broker, src, events)
    connectors.start(path)
    out = read_topic(broker, dst, len(events))
    assert len(out) == len(events), "duplicates in a run without failures"
    by_n = {json.loads(m.value())["n"]: m for m in out}
    assert sorted(by_n) == list(range(40))
    for i, e in enumerate(events):
        m = by_n[i]
        assert json.loads(m.value()) == json.loads(e["value"])
        assert m.key() == e.get("key", b"echo"), "key carried, default key when there was none"
        assert m.partition() == e["partition"]
        assert m.timestamp()[1] == e["timestamp"]
        headers = m.headers()
        assert headers[:2] == e["headers"], "input headers carried in order"
        origin = dict(headers)["echo-origin"].decode()
        assert re.fullmatch(r"%s/%d@\d+" % (re.escape(src), e["partition"]), origin)
    ends = {p: 0 for p in range(3)}
    for e in events:
        ends[e["partition"]] += 1
    helpers.wait_until(lambda: committed(broker, "echo", src) == ends, 30, 0.3, "offsets committed")
    st = helpers.wait_until(lambda: [s for s in status(cli) if s["records_out"] == 40], 30, 0.3, "status")
    assert st[0]["type"] == "pipeline" and st[0]["state"] == "running"
    assert st[0]["records_in"] == 40 and st[0]["errors"] == 0
    helpers.wait_until(lambda: [s for s in status(cli) if s["lag"] == 0], 30, 0.3, "lag 0")
    table = cli.ok("connect", "status", "--state-dir", cli.state_dir).stdout
    assert "echo" in table and "pipeline" in table and "running" in table


def test_metadata_set_by_templates(cli, broker, connectors, unique_topic):
    src = cli.create_topic(unique_topic("md_in"), 2)
    dst = cli.create_topic(unique_topic("md_out"), 2)
    produce(broker, src, [{"value": b'{"n": 0}', "key": b"a", "partition": 1, "timestamp": 1600000000000,
                           "headers": [("dropped", b"x")]}])
    connectors.start(connectors.write(pipeline_conf(broker, src, dst, extra="""output.key = "{key}@{partition}"
output.headers = "none"
output.partition = 0
output.timestamp = "now"
header.ts = "{timestamp}"
header.where = "{topic}:{partition}:{offset} {{literal}}"
""")))
    [m] = read_topic(broker, dst, 1)
    assert m.key() == b"a@1" and m.partition() == 0
    assert m.headers() == [("ts", b"1600000000000"), ("where", ("%s:1:0 {literal}" % src).encode())]
    assert m.timestamp()[1] > 1600000000000, "output.timestamp = now"


def values_of_arrays(records):
    return [json.loads(m.value()) for m in records]


def test_batch_by_count_as_json_array(cli, broker, connectors, unique_topic):
    src = cli.create_topic(unique_topic("cnt_in"))
    dst = cli.create_topic(unique_topic("cnt_out"))
    produce(broker, src, [{"value": json.dumps({"n": i}).encode()} for i in range(5)])
    p = connectors.start(connectors.write(pipeline_conf(
        broker, src, dst, extra='batch.count = 2\nbatch.time_ms = 3600000\nbatch.emit = "array"\n')))
    out = read_topic(broker, dst, 2)
    assert values_of_arrays(out) == [[{"n": 0}, {"n": 1}], [{"n": 2}, {"n": 3}]]
    helpers.wait_until(lambda: committed(broker, "g-pipe-" + src, src) == {0: 4}, 30, 0.3, "4 committed")
    assert connectors.stop(p) == EXIT_OK
    out = read_topic(broker, dst, 3)
    assert values_of_arrays(out)[2] == [{"n": 4}], "stopping flushes the partial batch"
    assert committed(broker, "g-pipe-" + src, src) == {0: 5}


def test_batch_by_time(cli, broker, connectors, unique_topic):
    src = cli.create_topic(unique_topic("time_in"))
    dst = cli.create_topic(unique_topic("time_out"))
    connectors.start(connectors.write(pipeline_conf(
        broker, src, dst, extra='batch.count = 1000\nbatch.time_ms = 300\nbatch.emit = "array"\n')))
    produce(broker, src, [{"value": json.dumps({"n": i}).encode()} for i in range(3)])
    # batch.count is never reached: whatever comes out was sent because the batch got old.
    got = helpers.wait_until(lambda: (lambda g: len(g) == 3 and g)(
        [e for batch in values_of_arrays(read_topic(broker, dst, 1)) for e in batch]), 60, 0.3, "3 events")
    assert got == [{"n": i} for i in range(3)]


def test_raw_codec(cli, broker, connectors, unique_topic):
    src = cli.create_topic(unique_topic("raw_in"))
    raw_out = cli.create_topic(unique_topic("raw_out"))
    str_out = cli.create_topic(unique_topic("str_out"))
    values = [b"not json at all", b"\xff\xfe\x00binary", b'{"a": 1}', b""]
    produce(broker, src, [{"value": v, "key": b"k"} for v in values])
    text = pipeline_conf(broker, src, raw_out, "raw", 'codec.in = "raw"\ncodec.out = "raw"\nbatch.count = 3\n')
    text += pipeline_conf(broker, src, str_out, "str", 'codec.in = "raw"\ncodec.out = "json"\n').split("\n", 1)[1]
    connectors.start(connectors.write(text))
    assert [m.value() or b"" for m in read_topic(broker, raw_out, 4)] == values, "raw bytes pass as they are"
    strings = read_topic(broker, str_out, 3)
    assert [json.loads(m.value()) for m in strings] == ["not json at all", '{"a": 1}', ""]
    st = helpers.wait_until(lambda: [s for s in status(cli) if s["name"] == "str" and s["errors"] == 1], 30,
                            0.3, "status")
    assert "not UTF-8" in st[0]["last_error"] and "offset 1" in st[0]["last_error"]


def test_bad_json_input_is_counted_and_skipped(cli, broker, connectors, unique_topic):
    src = cli.create_topic(unique_topic("bj_in"))
    dst = cli.create_topic(unique_topic("bj_out"))
    produce(broker, src, [{"value": v} for v in [b'{"n": 0}', b"{oops", b'{"n": 2}']])
    connectors.start(connectors.write(pipeline_conf(broker, src, dst, extra="batch.count = 3\n")))
    assert [json.loads(m.value()) for m in read_topic(broker, dst, 2)] == [{"n": 0}, {"n": 2}]
    st = helpers.wait_until(lambda: [s for s in status(cli) if s["errors"] == 1], 30, 0.3, "status")
    assert "bad JSON" in st[0]["last_error"]
    helpers.wait_until(lambda: committed(broker, "g-pipe-" + src, src) == {0: 3}, 30, 0.3, "commit past it")


def ids_of(records):
    return [json.loads(m.value())["id"] for m in records]


def test_kill9_mid_stream_loses_nothing(cli, broker, connectors, unique_topic):
    src = cli.create_topic(unique_topic("k9_in"), 2)
    dst = cli.create_topic(unique_topic("k9_out"), 2)
    n = 3000
    produce(broker, src, [{"value": json.dumps({"id": i}).encode(), "partition": i % 2} for i in range(n)])
    # A killed member stays in the group until its session times out: keep that short (kafka.*).
    path = connectors.write(pipeline_conf(broker, src, dst, group="k9", extra="batch.count = 7\n"
                                          "batch.time_ms = 50\nkafka.session.timeout.ms = 6000\n"))

    def done():
        return sum(max(o, 0) for o in committed(broker, "k9", src).values())

    for _ in range(3):
        before = done()
        p = connectors.start(path)
        helpers.wait_until(lambda: done() > before or done() == n, 60, 0.02, "a commit")
        p.kill()
        p.wait()
        offs = committed(broker, "k9", src)
        out = set(ids_of(read_topic(broker, dst, 0)))
        # Everything below a committed offset is in the output: no commit ran ahead of its acks.
        for part, off in offs.items():
            below = {i for i in range(n) if i % 2 == part and i // 2 < off}
            assert below <= out, "offset %d of partition %d committed before its output" % (off, part)
        if len(out) == n:
            break
    connectors.start(path)
    helpers.wait_until(lambda: committed(broker, "k9", src) == {0: n // 2, 1: n // 2}, READ_TIMEOUT_S, 0.3,
                       "all committed")
    out = ids_of(read_topic(broker, dst, n))
    assert set(out) == set(range(n)), "records lost after kill -9"


def test_broker_restart_pipeline_carries_on(cli, broker, connectors, unique_topic):
    src = cli.create_topic(unique_topic("rs_in"))
    dst = cli.create_topic(unique_topic("rs_out"))
    produce(broker, src, [{"value": json.dumps({"id": i}).encode()} for i in range(50)])
    connectors.start(connectors.write(pipeline_conf(
        broker, src, dst, extra="batch.count = 5\nreconnect.interval_ms = 200\nreconnect.max_retries = 1000\n")))
    read_topic(broker, dst, 50)
    broker.stop()
    helpers.wait_until(lambda: [s for s in status(cli) if s["state"] == "reconnecting"], 60, 0.3, "reconnecting")
    broker.start()
    produce(broker, src, [{"value": json.dumps({"id": i}).encode()} for i in range(50, 100)])
    out = ids_of(read_topic(broker, dst, 100))
    assert set(out) == set(range(100)), "records lost across the broker restart"
    helpers.wait_until(lambda: [s for s in status(cli) if s["records_in"] >= 100 and s["state"] == "running"],
                       60, 0.3, "running again")


def test_brokers_gone_past_the_policy_fail_the_pipeline(cli, broker, connectors, unique_topic):
    src = cli.create_topic(unique_topic("gone_in"))
    dst = cli.create_topic(unique_topic("gone_out"))
    produce(broker, src, [{"value": b'{"id": 0}'}])
    p = connectors.start(connectors.write(pipeline_conf(
        broker, src, dst, extra="reconnect.interval_ms = 200\nreconnect.max_retries = 2\n")))
    read_topic(broker, dst, 1)
    broker.stop()
    assert p.wait(60) == 4, "exit 4: brokers unreachable"
    assert "brokers unreachable" in (connectors.tmp_path / "connect0.log").read_text()


def test_metrics_published_to_a_topic(cli, broker, connectors, unique_topic):
    src = cli.create_topic(unique_topic("m_in"))
    dst = cli.create_topic(unique_topic("m_out"))
    metrics = cli.create_topic(unique_topic("metrics"))
    produce(broker, src, [{"value": b'{"id": %d}' % i} for i in range(3)])
    connectors.start(connectors.write(pipeline_conf(
        broker, src, dst, extra='metrics_interval_s = 1\nmetrics_topic = "%s"\n' % metrics)))
    read_topic(broker, dst, 3)

    def counted():
        got = [json.loads(m.value()) for m in read_topic(broker, metrics, 1)]
        return [g for g in got if g["records_out"] == 3] or False

    m = helpers.wait_until(counted, 60, 0.5, "metrics with the records out")[0]
    assert m["type"] == "pipeline" and m["name"] == "pipe" and m["records_in"] == 3


def test_failed_events_committed_past_when_not_retried(cli, broker, connectors, unique_topic):
    """Partition 1 of the input has no counterpart in the one-partition output: its events fail."""
    src = cli.create_topic(unique_topic("nr_in"), 2)
    dst = cli.create_topic(unique_topic("nr_out"), 1)
    produce(broker, src, [{"value": json.dumps({"id": i}).encode(), "partition": i % 2} for i in range(10)])
    connectors.start(connectors.write(pipeline_conf(
        broker, src, dst, group="nr", extra="batch.count = 4\nretry_failed_events = false\n")))
    helpers.wait_until(lambda: committed(broker, "nr", src) == {0: 5, 1: 5}, 60, 0.3, "committed past")
    assert sorted(ids_of(read_topic(broker, dst, 5))) == [0, 2, 4, 6, 8]
    st = helpers.wait_until(lambda: [s for s in status(cli) if s["errors"] >= 5 and s["records_out"] == 5], 30,
                            0.3, "errors counted")
    assert st[0]["records_in"] == 10 and st[0]["state"] == "running"


def test_failed_events_retried_then_pipeline_fails(cli, broker, connectors, unique_topic):
    src = cli.create_topic(unique_topic("rt_in"), 2)
    dst = cli.create_topic(unique_topic("rt_out"), 1)
    produce(broker, src, [{"value": json.dumps({"id": i}).encode(), "partition": 1} for i in range(3)])
    p = connectors.start(connectors.write(pipeline_conf(
        broker, src, dst, group="rt", extra="reconnect.interval_ms = 100\nreconnect.max_retries = 2\n")))
    assert p.wait(60) == 1
    assert committed(broker, "rt", src)[1] < 0, "nothing committed past an event never delivered"
    err = status(cli)[0]["last_error"]
    assert "delivery to" in err or "produce to" in err, err


@pytest.mark.parametrize("text,where", [
    ('[pipeline a]\ntopics = "t"\noutput_topic = "o"\nguarantee = "exactly_once"\n',
     ":5: key 'guarantee': exactly_once needs transactions"),
    ('[pipeline a]\ntopics = "t"\n', ":2: key 'output_topic': missing"),
    ('[pipeline a]\ntopics = "t"\noutput_topic = "o"\ncodec.in = "avro"\n',
     ":5: key 'codec.in': expected one of json, raw"),
    ('[pipeline a]\ntopics = "t"\noutput_topic = "o"\nheader.x = "{nope}"\n',
     ":5: key 'header.x': unknown field '{nope}'"),
    ('[pipeline a]\ntopics = "t"\noutput_topic = "o"\noutput.key = "{key"\n',
     ":5: key 'output.key': '{' without '}'"),
    ('[pipeline a]\ntopics = "t"\noutput_topic = "o"\ncodec.out = "raw"\nbatch.emit = "array"\n',
     ":6: key 'batch.emit': array needs codec.out = json"),
    ('[pipeline a]\ntopics = "t"\noutput_topic = "o"\noutput.partition = "-3"\n',
     ":5: key 'output.partition': expected carry, auto or a partition number"),
    ('[pipeline a]\ntopics = "t"\noutput_topic = "o"\nbatch.count = 0\n',
     ":5: key 'batch.count': expected a whole number"),
    ('[pipeline a]\ntopics = "t"\noutput_topic = "o"\ntypo = 1\n', ":5: key 'typo': unknown key"),
    ('[pipe a]\ntopics = "t"\n', ":2: section [pipe a]: unknown kind 'pipe'"),
    ('[pipeline a]\ntopics = "t"\noutput_topic = "o"\nkafka.no.such.setting = "1"\n',
     ":5: key 'kafka.no.such.setting': No such configuration property"),
    ('[pipeline a]\ntopics = "t"\noutput_topic = "o"\nkafka.linger.ms = "soon"\n',
     ":5: key 'kafka.linger.ms': "),
])
def test_malformed_config_names_file_line_key(gregor_bin, tmp_path, text, where):
    assert_config_refused(gregor_bin, tmp_path, text, where)
