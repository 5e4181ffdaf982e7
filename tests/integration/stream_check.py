"""confluent-kafka helpers for the robustness tests (idempotence, durability, bad input): create a
topic and wait until every partition has a leader, read a partition back completely, and
produce while collecting delivery reports. Every wait has a deadline.
"""

import threading
import time
import uuid

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

OP_TIMEOUT_S = 30.0
READ_TIMEOUT_S = 90.0
POLL_S = 0.5
CONSUME_BATCH = 1000


def create_topic(bootstrap, topic, partitions, config=None):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, partitions, 1, config=dict(config or {}))],
                                  operation_timeout=OP_TIMEOUT_S)
    futures[topic].result(OP_TIMEOUT_S)
    wait_leaders(bootstrap, topic, partitions, admin)


def wait_leaders(bootstrap, topic, partitions, admin=None):
    """Creation may finish asynchronously (it does on Kafka): wait until Metadata shows a
    leader for every partition."""
    admin = admin or AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.monotonic() + OP_TIMEOUT_S
    state = None
    while time.monotonic() < deadline:
        try:
            md = admin.list_topics(topic, timeout=5)
            t = md.topics.get(topic)
            state = t
            if t is not None and t.error is None and len(t.partitions) == partitions and all(
                    p.leader >= 0 and p.error is None for p in t.partitions.values()):
                return
        except KafkaException as e:
            state = e
        time.sleep(0.1)
    raise AssertionError("topic %s has no leader for all %d partitions: %r" % (topic, partitions, state))


def consumer(bootstrap, **extra):
    conf = {
        "bootstrap.servers": bootstrap,
        # Older confluent-kafka releases insist on a group id even for assign(); nothing is
        # committed (no subscribe, auto commit off).
        "group.id": "check-" + uuid.uuid4().hex[:10],
        "enable.auto.commit": False,
        "auto.offset.reset": "error",
    }
    conf.update(extra)
    return Consumer(conf)


def read_partition(bootstrap, topic, partition, timeout_s=READ_TIMEOUT_S):
    """All records of one partition from its start to its current high watermark, as a list
    of (offset, key, value)."""
    c = consumer(bootstrap)
    try:
        _, high = c.get_watermark_offsets(TopicPartition(topic, partition), timeout=OP_TIMEOUT_S)
        out = []
        if high <= 0:
            return out
        c.assign([TopicPartition(topic, partition, OFFSET_BEGINNING)])
        deadline = time.monotonic() + timeout_s
        last = -1
        while last < high - 1:
            if time.monotonic() > deadline:
                raise AssertionError("%s-%d: read up to offset %d of %d in %.0fs" % (
                    topic, partition, last, high, timeout_s))
            for m in c.consume(CONSUME_BATCH, POLL_S):
                if m.error():
                    raise AssertionError("%s-%d: consume error %s" % (topic, partition, m.error()))
                out.append((m.offset(), m.key(), m.value()))
                last = m.offset()
        return out
    finally:
        c.close()


class DeliveryLog:
    """Delivery reports of one producer: acknowledged (partition, offset, value) and failures.
    Callbacks run on the thread that calls poll()/flush(), so a lock keeps readers safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = []
        self.failed = []

    def callback(self, err, msg):
        with self.lock:
            if err is not None:
                self.failed.append((err, msg.partition(), msg.value()))
            else:
                self.acked.append((msg.partition(), msg.offset(), msg.value()))

    def acked_count(self):
        with self.lock:
            return len(self.acked)

    def done_count(self):
        """Records with a delivery report, good or bad."""
        with self.lock:
            return len(self.acked) + len(self.failed)


def producer(bootstrap, **extra):
    conf = {"bootstrap.servers": bootstrap, "acks": "all"}
    conf.update(extra)
    return Producer(conf)


def produce_with_backpressure(p, topic, value, partition=None, key=None, on_delivery=None,
                              deadline=None):
    """produce(), serving delivery reports and retrying while the local queue is full."""
    kwargs = {"value": value, "on_delivery": on_delivery}
    if partition is not None:
        kwargs["partition"] = partition
    if key is not None:
        kwargs["key"] = key
    while True:
        try:
            p.produce(topic, **kwargs)
            return
        except BufferError:
            if deadline is not None and time.monotonic() > deadline:
                raise AssertionError("producer queue stayed full until the deadline")
            p.poll(0.05)
