"""The admin listener (admin.listeners): /metrics scraped with prometheus_client's parser after
real clients produced and consumed, the JSON API against the Kafka admin view of the same state,
and bad HTTP input that must not disturb Kafka clients."""
import json
import socket
import time
import urllib.error
import urllib.request

import pytest

# Installed in .venv by scripts/install-deps; Debian's interpreter (the python_clients suite) may lack it.
text_string_to_metric_families = pytest.importorskip("prometheus_client.parser").text_string_to_metric_families

import helpers
import kafkawire

ADMIN_PORT = helpers.free_port()
ADMIN = {"admin.listeners": "http://127.0.0.1:%d" % ADMIN_PORT}
HTTP_TIMEOUT_S = 10
RECORDS = 200


def get(path):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (ADMIN_PORT, path), timeout=HTTP_TIMEOUT_S) as r:
        return r.status, r.headers, r.read()


def scrape():
    status, headers, body = get("/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def sample(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def produce(bootstrap, topic, count, partitions=1):
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, partitions, 1)])[topic].result(timeout=30)
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    values = [("value-%05d" % i).encode() for i in range(count)]
    for i, v in enumerate(values):
        p.produce(topic, v, partition=i % partitions)
    assert p.flush(30) == 0
    return values


def consume_and_commit(bootstrap, topic, group, count):
    """Consumes `count` records of partition 0 and commits the next offset."""
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        got = 0
        deadline = time.monotonic() + 30
        while got < count and time.monotonic() < deadline:
            for m in c.consume(count - got, timeout=1):
                assert not m.error()
                got += 1
        assert got == count
        c.commit(offsets=[TopicPartition(topic, 0, count)], asynchronous=False)
    finally:
        c.close()


@pytest.mark.broker_config(ADMIN)
def test_metrics_count_what_clients_produced_and_fetched(broker, unique_topic):
    topic = unique_topic("m")
    values = produce(broker.bootstrap, topic, RECORDS)
    s = scrape()
    assert sample(s, "gregor_topic_produced_records_total", topic=topic) == RECORDS
    # Batches hold the records plus framing: at least the values' bytes, less than ten times them.
    produced = sample(s, "gregor_topic_produced_bytes_total", topic=topic)
    assert sum(len(v) for v in values) < produced < 10 * sum(len(v) for v in values) + 1000
    assert sample(s, "gregor_partition_log_end_offset", topic=topic, partition="0") == RECORDS
    assert sample(s, "gregor_partition_size_bytes", topic=topic, partition="0") >= produced
    assert sample(s, "gregor_requests_total", api="Produce") >= 1
    assert sample(s, "gregor_request_duration_seconds_count", api="Produce") == sample(
        s, "gregor_requests_total", api="Produce")
    assert sample(s, "gregor_request_duration_seconds_bucket", api="Produce", le="+Inf") == sample(
        s, "gregor_requests_total", api="Produce")
    assert sample(s, "gregor_uptime_seconds") > 0
    assert sample(s, "gregor_resident_memory_bytes") > 0

    consume_and_commit(broker.bootstrap, topic, "g-" + topic, RECORDS)
    s = scrape()
    # Everything appended was sent back at least once by Fetch.
    assert sample(s, "gregor_topic_fetched_bytes_total", topic=topic) >= produced
    assert sample(s, "gregor_log_sync_duration_seconds_count") >= 1  # the commit was synced


@pytest.mark.broker_config(ADMIN)
def test_open_connections_gauge_follows_clients(broker, raw_conn):
    # The fixture's own start-up probe may still be closing.
    helpers.wait_until(lambda: sample(scrape(), "gregor_connections_open") == 0, timeout_s=10,
                       what="no connections")
    before = 0
    conns = [raw_conn() for _ in range(3)]
    for c in conns:
        api_versions(c)
    assert sample(scrape(), "gregor_connections_open") == before + 3
    for c in conns:
        c.close()
    helpers.wait_until(lambda: sample(scrape(), "gregor_connections_open") == before, timeout_s=10,
                       what="connections closed")


@pytest.mark.broker_config(ADMIN)
def test_group_lag_matches_kafka_view(broker, unique_topic):
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
    from confluent_kafka.admin import AdminClient

    topic = unique_topic("lag")
    group = "g-" + topic
    produce(broker.bootstrap, topic, RECORDS)
    consume_and_commit(broker.bootstrap, topic, group, RECORDS // 2)

    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    fut = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group, [TopicPartition(topic, 0)])])
    committed = fut[group].result(timeout=30).topic_partitions[0].offset
    assert committed == RECORDS // 2
    lag = RECORDS - committed
    assert sample(scrape(), "gregor_group_lag", group=group, topic=topic) == lag

    groups = json.loads(get("/api/groups")[2])["groups"]
    mine = [g for g in groups if g["group_id"] == group]
    assert len(mine) == 1
    assert mine[0]["lag"] == lag
    assert mine[0]["offsets"] == [{"topic": topic, "partition": 0, "committed": committed, "end": RECORDS,
                                   "lag": lag}]
    listed = admin.list_consumer_groups().result(timeout=30).valid
    kafka_state = {g.group_id: g.state.name for g in listed}[group]
    assert mine[0]["state"].upper() == kafka_state.upper()


@pytest.mark.broker_config(ADMIN)
def test_json_api_matches_kafka_admin(broker, unique_topic):
    from confluent_kafka import TopicPartition
    from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType

    topic = unique_topic("api")
    produce(broker.bootstrap, topic, 30, partitions=3)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    md = admin.list_topics(timeout=30)

    brokers = json.loads(get("/api/brokers")[2])
    assert sorted(b["id"] for b in brokers["brokers"]) == sorted(md.brokers)
    assert brokers["controller_id"] == md.controller_id

    topics = {t["name"]: t for t in json.loads(get("/api/topics")[2])["topics"]}
    assert topic in topics
    assert sorted(p["partition"] for p in topics[topic]["partitions"]) == sorted(md.topics[topic].partitions)
    from confluent_kafka import Consumer
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "wm-" + topic})
    try:
        for p in topics[topic]["partitions"]:
            low, high = c.get_watermark_offsets(TopicPartition(topic, p["partition"]), timeout=30)
            assert (p["log_start_offset"], p["high_watermark"]) == (low, high)
    finally:
        c.close()
    assert sum(p["high_watermark"] for p in topics[topic]["partitions"]) == 30

    res = ConfigResource(ResourceType.TOPIC, topic, set_config={"retention.ms": "123456"})
    admin.alter_configs([res])[res].result(timeout=30)
    described = admin.describe_configs([ConfigResource(ResourceType.TOPIC, topic)])
    entries = list(described.values())[0].result(timeout=30)
    overridden = {k: e.value for k, e in entries.items() if e.source == 1}  # DYNAMIC_TOPIC_CONFIG
    assert json.loads(get("/api/configs/topic/" + topic)[2])["configs"] == overridden
    with pytest.raises(urllib.error.HTTPError) as e:
        get("/api/configs/topic/no-such-topic-here")
    assert e.value.code == 404


@pytest.mark.broker_config(ADMIN)
def test_health_and_ready(broker):
    assert json.loads(get("/health")[2]) == {"status": "live"}
    status, _, body = get("/ready")
    assert status == 200 and json.loads(body)["ready"] is True


def api_versions(conn):
    conn.send_request(kafkawire.API_API_VERSIONS, 0)
    assert conn.recv_frame() is not None, "broker closed the Kafka connection"


def raw_http(data, read=True):
    s = socket.create_connection(("127.0.0.1", ADMIN_PORT), timeout=HTTP_TIMEOUT_S)
    try:
        s.sendall(data)
        if not read:
            return s
        out = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out
            out += chunk
    finally:
        if read:
            s.close()


@pytest.mark.broker_config(ADMIN)
def test_bad_http_is_answered_and_kafka_keeps_serving(broker, raw_conn, unique_topic):
    kafka = raw_conn()
    api_versions(kafka)
    # A slow client holds a slot without finishing its request head; others are still served.
    slow = [raw_http(b"GET /metrics HTTP/1.1\r\nHost: x\r\n", read=False) for _ in range(4)]
    try:
        assert raw_http(b"garbage\r\n\r\n").startswith(b"HTTP/1.1 400 ")
        assert raw_http(b"GET /metrics HTTP/9\r\n\r\n").startswith(b"HTTP/1.1 400 ")
        assert raw_http(b"GET /nothing HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 404 ")
        assert raw_http(b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n").startswith(b"HTTP/1.1 405 ")
        assert raw_http(b"GET /%zz HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 400 ")
        assert raw_http(b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n").startswith(b"HTTP/1.1 431 ")
        assert raw_http(b"\x00\xff" * 100 + b"\r\n\r\n").startswith(b"HTTP/1.1 400 ")
        api_versions(kafka)  # the Kafka connection was not disturbed
        assert get("/health")[0] == 200
    finally:
        for s in slow:
            s.close()
    produce(broker.bootstrap, unique_topic("after"), 10)


def test_admin_listener_off_by_default(broker):
    assert "admin listener" not in broker.log_text()


@pytest.mark.parametrize("value", ["127.0.0.1:1", "http://nohost", "https://127.0.0.1:1",
                                   "http://127.0.0.1:1,http://127.0.0.1:2", "http://127.0.0.1:99999"])
def test_bad_admin_listeners_refuses_start(gregor_bin, tmp_path, value):
    import subprocess
    r = subprocess.run([str(gregor_bin), "broker", "--override", "log.dirs=%s" % (tmp_path / "d"),
                        "--override", "listeners=PLAINTEXT://127.0.0.1:%d" % helpers.free_port(),
                        "--override", "admin.listeners=" + value], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "admin.listeners" in r.stderr


@pytest.mark.broker_config(ADMIN)
def test_gregor_top_once_shows_topics_and_lag(broker, gregor_bin, unique_topic):
    import cli_helpers

    topic = unique_topic("top")
    group = "g-" + topic
    produce(broker.bootstrap, topic, RECORDS)
    consume_and_commit(broker.bootstrap, topic, group, RECORDS // 4)
    url = "http://127.0.0.1:%d" % ADMIN_PORT
    r = cli_helpers.run(gregor_bin, ["top", "--admin", url, "--interval", "0.5", "--once"])
    assert r.rc == 0, r
    lines = r.stdout.splitlines()
    assert lines[0].startswith("gregor top  " + url)
    assert lines[2].split()[:2] == ["TOPIC", "PRODUCED"]
    row = [l.split() for l in lines if l.startswith(topic + " ")]
    # Nothing produced during the interval: rates 0, and the total so far.
    assert row == [[topic, "0.0", "0.000", "0.000", str(RECORDS)]]
    lag = [l.split() for l in lines if l.startswith(group + " ")]
    assert lag == [[group, topic, str(RECORDS - RECORDS // 4)]]


def test_gregor_top_refuses_bad_url(gregor_bin):
    import cli_helpers
    r = cli_helpers.run(gregor_bin, ["top", "--admin", "localhost:1", "--once"])
    assert r.rc == 2 and "usage" in r.stderr
    r = cli_helpers.run(gregor_bin, ["top", "--admin", "http://127.0.0.1:%d" % helpers.free_port(), "--once"])
    assert r.rc == 1 and "cannot connect" in r.stderr


@pytest.mark.broker_config(ADMIN)
def test_console_page_and_lag_history(broker, unique_topic):
    status, headers, body = get("/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    page = body.decode()
    assert "Gregor console" in page and "/api/lag-history" in page
    # Self-contained: nothing loaded from another origin (the SVG namespace is not a fetch).
    assert "src=" not in page and "href=" not in page

    topic = unique_topic("hist")
    group = "g-" + topic
    produce(broker.bootstrap, topic, RECORDS)
    consume_and_commit(broker.bootstrap, topic, group, RECORDS // 2)

    def sampled():
        h = json.loads(get("/api/lag-history")[2])
        assert len(h["times_ms"]) >= 1 and h["interval_ms"] > 0
        mine = [g for g in h["groups"] if g["group"] == group]
        return mine and len(mine[0]["lag"]) == len(h["times_ms"]) and mine[0]["lag"][-1] == RECORDS // 2

    # The history is sampled every few seconds: wait for a sample taken after the commit.
    helpers.wait_until(sampled, timeout_s=30, interval_s=0.5, what="a lag sample of the group")


@pytest.mark.broker_config(ADMIN)
def test_slow_client_is_closed_at_its_deadline(broker, raw_conn):
    kafka = raw_conn()
    # Every slot taken by clients that never finish their request head (slowloris).
    slow = [raw_http(b"GET /metrics HTTP/1.1\r\nX-Slow: ", read=False) for _ in range(16)]
    try:
        api_versions(kafka)
        for s in slow:
            s.settimeout(30)  # the broker's deadline is 10 s from accept
            assert s.recv(100) == b""  # closed without an answer
        assert get("/health")[0] == 200  # the slots are free again
        api_versions(kafka)
    finally:
        for s in slow:
            s.close()
