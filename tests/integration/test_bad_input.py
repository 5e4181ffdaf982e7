"""Malformed and hostile requests get Kafka's answer (an error code or a closed connection) and
never crash, hang or disturb the broker.

Bytes are written by hand (kafkawire.py, kafka_wire.py) because client libraries never send
such things. Every expectation was checked against Apache Kafka 4.3 first; where Kafka does
something other than the obvious, the test asserts what Kafka does and says so. Throughout
each test a confluent-kafka producer streams to its own topic on the same broker: all its
records must be acknowledged, and at the end the broker must still be running and answering.
"""

import random
import threading
import time

import pytest

import kafka_wire as w
import kafkawire as kw
import stream_check as sc

ANSWER_WAIT_S = 10.0          # bound on waiting for an answer or a close
BACKGROUND_START_ACKS = 10    # the background producer is flowing before the test starts
BACKGROUND_RUN_S = 240.0
BACKGROUND_MAX_RECORDS = 200_000
BACKGROUND_FLUSH_S = 60.0
JOIN_S = 10.0
KAFKA_DEFAULT_REQUEST_MAX_BYTES = 104_857_600   # socket.request.max.bytes default
KAFKA_DEFAULT_MESSAGE_MAX_BYTES = 1_048_588     # message.max.bytes default


# ---- the producer that must not notice anything ----------------------------------------------

class BackgroundProducer:
    def __init__(self, bootstrap, topic):
        self.topic = topic
        self.log = sc.DeliveryLog()
        self.client_errors = []
        # Small requests, so the test with socket.request.max.bytes=1024 does not refuse them.
        self.p = sc.producer(bootstrap, **{
            "linger.ms": 1,
            "batch.size": 400,
            "message.max.bytes": 1000,
            "message.timeout.ms": 60_000,
            "error_cb": self.client_errors.append,
        })
        self.sent = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="background-producer", daemon=True)
        self._thread.start()

    def _run(self):
        deadline = time.monotonic() + BACKGROUND_RUN_S
        while not self._stop.is_set() and self.sent < BACKGROUND_MAX_RECORDS and time.monotonic() < deadline:
            try:
                self.p.produce(self.topic, value=b"background-%d" % self.sent, on_delivery=self.log.callback)
            except BufferError:
                self.p.poll(0.05)
                continue
            self.sent += 1
            self.p.poll(0.002)

    def wait_flowing(self):
        deadline = time.monotonic() + sc.OP_TIMEOUT_S
        while self.log.acked_count() < BACKGROUND_START_ACKS and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.log.acked_count() >= BACKGROUND_START_ACKS, "background producer not flowing"

    def stop_and_check(self):
        self._stop.set()
        self._thread.join(JOIN_S)
        assert not self._thread.is_alive(), "background producer thread did not stop"
        remaining = self.p.flush(BACKGROUND_FLUSH_S)
        assert remaining == 0, "background producer: %d records unanswered" % remaining
        assert not self.log.failed, "background producer failures: %r" % self.log.failed[:5]
        assert len(self.log.acked) == self.sent
        assert not self.client_errors, "background producer saw errors: %r" % self.client_errors[:5]


@pytest.fixture(autouse=True)
def undisturbed(broker, unique_topic):
    topic = unique_topic("background")
    sc.create_topic(broker.bootstrap, topic, 2)
    bg = BackgroundProducer(broker.bootstrap, topic)
    bg.wait_flowing()
    yield bg
    bg.stop_and_check()
    if not broker.external:
        assert broker.is_running(), "the broker process is gone"
    apis = kw.api_versions(broker.bootstrap)
    assert kw.API_PRODUCE in apis and kw.API_API_VERSIONS in apis


# ---- helpers ----------------------------------------------------------------------------------

def outcome(conn, timeout_s=ANSWER_WAIT_S):
    """What the broker did after a request: ("frame", payload) if it answered, ("closed", None)
    if it closed the connection without answering, ("open", None) if neither happened."""
    try:
        payload = conn.recv_frame(timeout_s)
    except TimeoutError:
        return "open", None
    return ("closed", None) if payload is None else ("frame", payload)


def assert_closed(conn, what):
    kind, payload = outcome(conn)
    assert kind == "closed", "%s: expected the connection to be closed, got %s %r" % (
        what, kind, payload[:32] if payload else None)


def assert_broker_answers(broker):
    assert kw.api_versions(broker.bootstrap, ANSWER_WAIT_S)


def metadata_request_of_size(frame_bytes, correlation_id=1):
    """A valid Metadata v4 request (empty topic list: no topics) whose frame, size prefix
    excluded, is exactly `frame_bytes` long; the client id takes up the slack."""
    body = w.metadata_body([], False)
    fixed = len(kw.request_header(kw.API_METADATA, w.METADATA_VERSION, correlation_id, "")) + len(body)
    client_id = "c" * (frame_bytes - fixed)
    payload = kw.request_header(kw.API_METADATA, w.METADATA_VERSION, correlation_id, client_id) + body
    assert len(payload) == frame_bytes
    return kw.frame(payload)


# ---- framing ----------------------------------------------------------------------------------

def test_truncated_frame(broker, raw_conn):
    # The size promises 100 bytes, 10 arrive. While that connection waits, others are served.
    stalled = raw_conn()
    stalled.send_raw(kw.i32(100) + b"\x00" * 10)
    assert_broker_answers(broker)
    stalled.close()
    assert_broker_answers(broker)
    # Same again, but the client closes right away.
    c = raw_conn()
    c.send_raw(kw.i32(100) + b"\x00\x12\x00\x00\x00\x00\x00\x07ab")
    c.close()
    assert_broker_answers(broker)


def test_frame_sent_one_byte_at_a_time(raw_conn):
    c = raw_conn()
    request = kw.request_frame(kw.API_API_VERSIONS, 0, 41)
    for i in range(len(request)):
        assert c.send_raw(request[i:i + 1])
        time.sleep(0.002)  # separate segments; nothing is measured
    kind, payload = outcome(c)
    assert kind == "frame"
    cid, error, apis = kw.parse_api_versions_v0(payload)
    assert (cid, error) == (41, 0) and kw.API_API_VERSIONS in apis


@pytest.mark.parametrize("size", [0x7FFFFFFF, -1, -0x80000000, KAFKA_DEFAULT_REQUEST_MAX_BYTES + 1, 0],
                         ids=["int32-max", "minus-1", "int32-min", "over-default-max", "zero"])
def test_absurd_frame_size_closes_connection(broker, raw_conn, size):
    # Kafka closes as soon as it reads the size: negative and above socket.request.max.bytes
    # (default 100 MiB) are refused without reading further. A zero-length frame has no room
    # for a request header, and Kafka closes on it too.
    c = raw_conn()
    c.send_raw(kw.i32(size) + b"\x00\x03\x00\x04")
    assert_closed(c, "frame size %d" % size)
    assert_broker_answers(broker)


@pytest.mark.broker_config({"socket.request.max.bytes": "1024"})
def test_frame_over_socket_request_max_bytes(broker, raw_conn):
    # Exactly the limit is fine (Kafka refuses sizes strictly greater than it).
    c = raw_conn()
    c.send_raw(metadata_request_of_size(1024, correlation_id=7))
    kind, payload = outcome(c)
    assert kind == "frame", "a 1024-byte request under a 1024-byte limit: %s" % kind
    assert kw.Reader(payload).i32() == 7
    # One byte more closes the connection (the whole frame is sent, so the broker may decide
    # on the size alone, as Kafka does, or after reading).
    c = raw_conn()
    c.send_raw(metadata_request_of_size(1025, correlation_id=8))
    assert_closed(c, "1025-byte frame, socket.request.max.bytes=1024")
    assert_broker_answers(broker)


# ---- headers and versions -------------------------------------------------------------------

@pytest.mark.parametrize("api_key", [9999, 100, -1])
def test_unknown_api_key_closes_connection(raw_conn, api_key):
    c = raw_conn()
    c.send_request(api_key, 0, b"\x00" * 8)
    assert_closed(c, "API key %d" % api_key)


@pytest.mark.parametrize("version", [99, 0x7FFF])
def test_api_versions_unsupported_version_gets_v0_error_answer(raw_conn, version):
    # A client newer than the broker asks with a version the broker does not know: the answer
    # is a v0 body (header v0) with UNSUPPORTED_VERSION and the broker's own ApiVersions range,
    # so the client can retry lower on the same connection. The request header is v2 (flexible),
    # as for every ApiVersions version >= 3.
    c = raw_conn()
    cid = c.send_request(kw.API_API_VERSIONS, version, b"\x00", flexible=True)
    kind, payload = outcome(c)
    assert kind == "frame", "ApiVersions v%d: %s" % (version, kind)
    got_cid, error, apis = kw.parse_api_versions_v0(payload)
    assert got_cid == cid
    assert error == w.UNSUPPORTED_VERSION
    assert list(apis) == [kw.API_API_VERSIONS], "Kafka lists only ApiVersions itself: %r" % apis
    low, high = apis[kw.API_API_VERSIONS]
    assert low == 0 and high >= 3
    # The connection stays usable: retry with the highest version the broker named.
    body = kw.compact_string("gregor-tests") + kw.compact_string("1.0") + kw.EMPTY_TAGS
    cid = c.send_request(kw.API_API_VERSIONS, 3, body, flexible=True)
    kind, payload = outcome(c)
    assert kind == "frame"
    r = kw.Reader(payload)
    assert r.i32() == cid and r.i16() == 0


@pytest.mark.parametrize("api_key", [kw.API_METADATA, kw.API_PRODUCE, kw.API_FETCH],
                         ids=["metadata", "produce", "fetch"])
def test_unsupported_version_of_other_api_closes_connection(raw_conn, api_key):
    # Only ApiVersions has an error answer for an unknown version; for any other API Kafka
    # cannot know the response layout and closes the connection.
    c = raw_conn()
    c.send_request(api_key, 99, b"\x00" * 16, flexible=True)
    assert_closed(c, "API %d v99" % api_key)


GARBAGE_TARGETS = [  # (api key, version, flexible header)
    (kw.API_PRODUCE, 9, True), (kw.API_PRODUCE, 7, False),
    (kw.API_FETCH, 12, True), (kw.API_FETCH, 4, False),
    (kw.API_LIST_OFFSETS, 7, True), (kw.API_METADATA, 12, True), (kw.API_METADATA, 4, False),
    (10, 4, True),   # FindCoordinator
    (11, 9, True),   # JoinGroup
    (kw.API_API_VERSIONS, 3, True), (kw.API_CREATE_TOPICS, 7, True),
    (22, 4, True),   # InitProducerId
    (32, 4, True),   # DescribeConfigs
]
GARBAGE_LENGTHS = [0, 1, 3, 9, 64, 500]


@pytest.mark.parametrize("api_key,version,flexible", GARBAGE_TARGETS,
                         ids=["%d-v%d" % (k, v) for k, v, _ in GARBAGE_TARGETS])
def test_garbage_body_after_valid_header(broker, raw_conn, api_key, version, flexible):
    # Either an answer to this request or a closed connection; never silence or a crash.
    # (Kafka closes on every one of these: the body does not parse.)
    rnd = random.Random(api_key * 1000 + version)
    for n in GARBAGE_LENGTHS:
        c = raw_conn()
        cid = c.send_request(api_key, version, bytes(rnd.randrange(256) for _ in range(n)), flexible=flexible)
        kind, payload = outcome(c)
        assert kind != "open", "API %d v%d with %d garbage bytes: no answer, no close" % (api_key, version, n)
        if kind == "frame":
            assert kw.Reader(payload).i32() == cid
        c.close()
    assert_broker_answers(broker)


# ---- Produce errors ---------------------------------------------------------------------------

PRODUCE_VERSIONS = [3, 7, 9]


@pytest.mark.parametrize("version", PRODUCE_VERSIONS)
def test_produce_batch_with_bad_crc_is_corrupt_message(broker, raw_conn, unique_topic, version):
    topic = unique_topic("crc")
    sc.create_topic(broker.bootstrap, topic, 1)
    c = raw_conn()
    good = w.record_batch([b"first", b"second"])
    r = w.produce(c, version, topic, 0, good)
    assert (r["error"], r["base_offset"]) == (w.NONE, 0), "a well-formed batch must be accepted: %r" % r
    r = w.produce(c, version, topic, 0, w.with_bad_crc(good))
    assert r is not None, "closed the connection instead of answering CORRUPT_MESSAGE"
    assert r["error"] == w.CORRUPT_MESSAGE, r
    r = w.produce(c, version, topic, 0, w.record_batch([b"third"]))
    assert (r["error"], r["base_offset"]) == (w.NONE, 2), r
    assert [v for _, _, v in sc.read_partition(broker.bootstrap, topic, 0)] == [b"first", b"second", b"third"]


@pytest.mark.parametrize("version", PRODUCE_VERSIONS)
def test_produce_to_invalid_topic_name(raw_conn, version):
    # Kafka answers UNKNOWN_TOPIC_OR_PARTITION (3) here, not INVALID_TOPIC_EXCEPTION (17):
    # Produce never creates topics, and it checks existence before anything looks at the
    # name. (17 is what Metadata says for such a name; see the next test.)
    c = raw_conn()
    for name in ["bad/name!", "..", "a" * 250]:
        r = w.produce(c, version, name, 0, w.record_batch([b"x"]))
        assert r is not None, "closed the connection on a Produce to %r" % name
        assert r["error"] == w.UNKNOWN_TOPIC_OR_PARTITION, (name, r)


def test_metadata_for_invalid_topic_name_is_invalid_topic(raw_conn):
    c = raw_conn()
    names = ["bad/name!", "..", "a" * 250]
    errors = w.metadata_topic_errors(c, names, allow_auto_topic_creation=True)
    assert errors == {n: w.INVALID_TOPIC_EXCEPTION for n in names}


@pytest.mark.parametrize("version", PRODUCE_VERSIONS)
def test_record_larger_than_max_message_bytes(broker, raw_conn, unique_topic, version):
    topic = unique_topic("big")
    sc.create_topic(broker.bootstrap, topic, 1, {"max.message.bytes": "1024"})
    c = raw_conn()
    r = w.produce(c, version, topic, 0, w.record_batch([b"x" * 2000]))
    assert r is not None and r["error"] == w.MESSAGE_TOO_LARGE, r
    r = w.produce(c, version, topic, 0, w.record_batch([b"small"]))
    assert (r["error"], r["base_offset"]) == (w.NONE, 0), r


def test_record_larger_than_default_message_max_bytes(broker, raw_conn, unique_topic):
    topic = unique_topic("huge")
    sc.create_topic(broker.bootstrap, topic, 1)
    c = raw_conn(timeout_s=30.0)
    r = w.produce(c, 9, topic, 0, w.record_batch([b"x" * (KAFKA_DEFAULT_MESSAGE_MAX_BYTES + 100)]))
    assert r is not None and r["error"] == w.MESSAGE_TOO_LARGE, r
