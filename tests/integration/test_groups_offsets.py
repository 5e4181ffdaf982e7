"""Committed offsets with the Python clients: durable across kill -9, resumed by a restarted
consumer, and working with kafka-python's old protocol versions (JoinGroup v2, OffsetCommit
v2, FindCoordinator v0) as well as librdkafka's.

Marked python_clients, so scripts/run-integration runs them with Debian's older packages too.
"""

import threading
import time

import pytest

import helpers

PARTITIONS = 2
RECORDS_PER_PARTITION = 50
OP_TIMEOUT_S = 60.0

pytestmark = pytest.mark.python_clients


def create_and_fill(bootstrap, topic):
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept alive until the result is in
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(PARTITIONS * RECORDS_PER_PARTITION):
        p.produce(topic, value=b"%d" % i, partition=i % PARTITIONS)
    assert p.flush(30) == 0


def confluent_consumer(bootstrap, group, **extra):
    from confluent_kafka import Consumer

    conf = {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "session.timeout.ms": 6000}
    conf.update(extra)
    conf = {k: v for k, v in conf.items() if v is not None}
    return Consumer(conf)


def first_offsets(consumer, topic, want=PARTITIONS):
    """Subscribes and returns {partition: offset of the first record read}."""
    consumer.subscribe([topic])
    first = {}
    deadline = time.monotonic() + OP_TIMEOUT_S
    while len(first) < want and time.monotonic() < deadline:
        m = consumer.poll(0.2)
        if m is not None and not m.error():
            first.setdefault(m.partition(), m.offset())
    return first


def committed(consumer, topic):
    from confluent_kafka import TopicPartition

    got = consumer.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=30)
    return {tp.partition: tp.offset for tp in got}


def test_committed_offsets_survive_kill9(broker, unique_topic):
    from confluent_kafka import TopicPartition

    topic = unique_topic("offsets")
    group = helpers.unique_group("kill9")
    create_and_fill(broker.bootstrap, topic)

    c = confluent_consumer(broker.bootstrap, group)
    assert first_offsets(c, topic) == {0: 0, 1: 0}
    c.commit(offsets=[TopicPartition(topic, 0, 20), TopicPartition(topic, 1, 30)], asynchronous=False)
    c.close()

    # The commit was answered, so it is on disk: a crash right now must not lose it.
    broker.kill9()
    broker.start()

    c = confluent_consumer(broker.bootstrap, group)
    try:
        assert committed(c, topic) == {0: 20, 1: 30}
        assert first_offsets(c, topic) == {0: 20, 1: 30}  # the restarted consumer resumes there
    finally:
        c.close()


@pytest.mark.parametrize("protocol", ["classic", "consumer"])
def test_consumer_carries_on_across_broker_restart(broker, unique_topic, protocol):
    """A member carries on when the broker restarts under it: the group comes back from
    __consumer_offsets with its members (classic and KIP-848 alike), the consumer reconnects,
    reads what comes next and goes on committing."""
    import confluent_kafka
    from confluent_kafka import Producer

    extra = {"enable.auto.commit": True, "auto.commit.interval.ms": 200}
    if protocol == "consumer":
        if confluent_kafka.libversion()[1] < 0x020C0000:
            pytest.skip("librdkafka before 2.12 has no group.protocol=consumer")
        extra["group.protocol"] = "consumer"
        extra["session.timeout.ms"] = None  # the broker's setting under KIP-848
    topic = unique_topic("offsets")
    group = helpers.unique_group("restart")
    create_and_fill(broker.bootstrap, topic)
    c = confluent_consumer(broker.bootstrap, group, **extra)
    try:
        seen = set()
        c.subscribe([topic])
        deadline = time.monotonic() + OP_TIMEOUT_S
        while len(seen) < PARTITIONS * RECORDS_PER_PARTITION and time.monotonic() < deadline:
            m = c.poll(0.2)
            if m is not None and not m.error():
                seen.add((m.partition(), m.offset()))
        assert len(seen) == PARTITIONS * RECORDS_PER_PARTITION
        broker.restart()
        p = Producer({"bootstrap.servers": broker.bootstrap})
        for i in range(10):
            p.produce(topic, value=b"after-%d" % i, partition=i % PARTITIONS)
        assert p.flush(30) == 0
        after = set()
        deadline = time.monotonic() + OP_TIMEOUT_S
        while len(after) < 10 and time.monotonic() < deadline:
            m = c.poll(0.2)
            if m is not None and not m.error() and m.value().startswith(b"after-"):
                after.add(m.value())
        assert len(after) == 10

        def committed_all():
            c.commit(asynchronous=False)
            return committed(c, topic) == {p: RECORDS_PER_PARTITION + 5 for p in range(PARTITIONS)}

        helpers.wait_until(committed_all, OP_TIMEOUT_S, interval_s=0.5, what="offsets committed after the restart")
    finally:
        c.close()


def test_kafka_python_group_commits(broker, unique_topic):
    import kafka
    from kafka import TopicPartition
    from kafka.structs import OffsetAndMetadata

    topic = unique_topic("offsets")
    group = helpers.unique_group("kafka-python")
    create_and_fill(broker.bootstrap, topic)
    consumer = kafka.KafkaConsumer(topic, bootstrap_servers=broker.bootstrap, group_id=group,
                                   auto_offset_reset="earliest", enable_auto_commit=False,
                                   consumer_timeout_ms=1000)
    try:
        seen = set()
        deadline = time.monotonic() + OP_TIMEOUT_S
        while len(seen) < PARTITIONS * RECORDS_PER_PARTITION and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                seen.update((r.partition, r.offset) for r in records)
        assert len(seen) == PARTITIONS * RECORDS_PER_PARTITION
        assert sorted(tp.partition for tp in consumer.assignment()) == [0, 1]
        consumer.commit()
        tp0 = TopicPartition(topic, 0)
        assert consumer.committed(tp0) == RECORDS_PER_PARTITION
        # An explicit offset with metadata.
        try:
            meta = OffsetAndMetadata(7, "kp-meta", -1)  # kafka-python 2.2+: (offset, metadata, leader_epoch)
        except TypeError:
            meta = OffsetAndMetadata(7, "kp-meta")
        consumer.commit({tp0: meta})
        assert consumer.committed(tp0) == 7
    finally:
        consumer.close()
    # Another client sees the same offsets.
    c = confluent_consumer(broker.bootstrap, group)
    try:
        assert committed(c, topic) == {0: 7, 1: RECORDS_PER_PARTITION}
    finally:
        c.close()


def test_kafka_python_two_members_split(broker, unique_topic):
    """Each member polls in its own thread: kafka-python 2.0's poll blocks while it rejoins."""
    import kafka

    topic = unique_topic("offsets")
    group = helpers.unique_group("kp-split")
    create_and_fill(broker.bootstrap, topic)
    consumers = [kafka.KafkaConsumer(topic, bootstrap_servers=broker.bootstrap, group_id=group,
                                     auto_offset_reset="earliest", session_timeout_ms=10000,
                                     heartbeat_interval_ms=500) for _ in range(2)]
    stop = threading.Event()
    assigned = [[], []]

    def run(i):
        deadline = time.monotonic() + OP_TIMEOUT_S
        while not stop.is_set() and time.monotonic() < deadline:
            consumers[i].poll(timeout_ms=100)
            assigned[i] = sorted(tp.partition for tp in consumers[i].assignment())

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(2)]
    for t in threads:
        t.start()
    try:
        helpers.wait_until(lambda: sorted(assigned) == [[0], [1]], OP_TIMEOUT_S, interval_s=0.05,
                           what="kafka-python members splitting")
    finally:
        stop.set()
        for t in threads:
            t.join(OP_TIMEOUT_S)
        for c in consumers:
            c.close()


@pytest.mark.broker_config({"offsets.retention.minutes": "1", "offsets.retention.check.interval.ms": "500"})
def test_offsets_of_unused_group_expire(broker, unique_topic):
    """offsets.retention.minutes: a group nobody uses loses its offsets, then disappears."""
    from confluent_kafka import TopicPartition

    topic = unique_topic("offsets")
    group = helpers.unique_group("expire")
    create_and_fill(broker.bootstrap, topic)
    c = confluent_consumer(broker.bootstrap, group)
    try:
        c.commit(offsets=[TopicPartition(topic, 0, 3)], asynchronous=False)
        assert committed(c, topic)[0] == 3
        # One minute of retention, checked twice a second (bounded wait, no timing assertion).
        helpers.wait_until(lambda: committed(c, topic)[0] < 0, 150, interval_s=2, what="the offset expiring")
    finally:
        c.close()
