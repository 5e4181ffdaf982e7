"""Three client libraries each produce (idempotent, acks=all) and consume through a leader
change (kill -9 of the partition's leader, later restarted): every acknowledged record is read
back by the consumer that was reading during the change, exactly once and in order.

  librdkafka    confluent-kafka's Producer and Consumer
  kafka-python  KafkaProducer and KafkaConsumer
  Java          Kafka's own VerifiableProducer and console consumer (3.9 jars)
"""

import json
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, TopicPartition

import cluster_harness
import delivery_check


SETTINGS = {"min.insync.replicas": "2"}
BEFORE = 300  # records acknowledged before the kill
AFTER = 300   # and after it
ACK_TIMEOUT_S = 90.0
READ_TIMEOUT_S = 120.0


def kill_leader_during(cluster, topic, acked_count, what):
    """Waits for BEFORE acks, kills the leader, waits for the new one and AFTER more acks."""
    cluster_harness.wait_for(lambda: acked_count() >= BEFORE, ACK_TIMEOUT_S,
                             "%s: %d records acknowledged before the kill" % (what, BEFORE))
    victim = cluster.leader_broker(topic, 0)
    victim.kill9()
    cluster.wait_leader_change(topic, 0, victim.id)
    target = acked_count() + AFTER
    cluster_harness.wait_for(lambda: acked_count() >= target, ACK_TIMEOUT_S,
                             "%s: %d more records acknowledged after the kill" % (what, AFTER))
    return victim


class Reader:
    """A consumer thread reading partition 0 from the start through the failover."""

    def __init__(self, read_fn):
        self.records = []  # (offset, value)
        self.lock = threading.Lock()
        self.read_fn = read_fn
        self.done = threading.Event()
        self.error = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            self.read_fn(self)
        except BaseException as e:  # noqa: BLE001 - reported by finish()
            self.error = e

    def add(self, offset, value):
        with self.lock:
            self.records.append((offset, value))

    def count(self):
        with self.lock:
            return len(self.records)

    def finish(self, expected, timeout_s=READ_TIMEOUT_S):
        cluster_harness.wait_for(lambda: self.error is not None or self.count() >= expected,
                                 timeout_s, "the consumer to read %d records" % expected, 0.2)
        self.done.set()
        self.thread.join(30)
        if self.error is not None:
            raise self.error
        with self.lock:
            return {0: list(self.records)}


def assert_delivered(run_id, acked, read, what):
    report = delivery_check.check(run_id, acked, read)
    print("%s through a leader change:" % what, report.line())
    assert report.acked >= BEFORE + AFTER
    assert report.ok(), report


# -- librdkafka ---------------------------------------------------------------------------------


@pytest.mark.cluster(settings=SETTINGS)
def test_librdkafka_through_leader_change(cluster, unique_topic):
    topic = cluster.create_topic(unique_topic("rdk"), partitions=1, replication_factor=3)

    def read(reader):
        c = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "r-" + uuid.uuid4().hex[:6],
                      "enable.auto.commit": False, "auto.offset.reset": "earliest",
                      "socket.connection.setup.timeout.ms": 5000,
                      "topic.metadata.refresh.interval.ms": 2000})
        try:
            c.assign([TopicPartition(topic, 0, 0)])
            while not reader.done.is_set():
                m = c.poll(0.2)
                if m is None:
                    continue
                if m.error() is not None:
                    if m.error().retriable() or m.error().code() in (
                            KafkaError._PARTITION_EOF, KafkaError._TRANSPORT,
                            KafkaError.NOT_LEADER_OR_FOLLOWER):
                        continue
                    raise AssertionError("consumer: %s" % m.error())
                reader.add(m.offset(), m.value())
        finally:
            c.close()

    reader = Reader(read)
    reader.thread.start()
    load = delivery_check.LoadProducer(cluster.bootstrap, topic, [0])
    producing = cluster_harness.Background(load.run, "librdkafka producer")
    producing.start()
    try:
        victim = kill_leader_during(cluster, topic, load.log.acked_count, "librdkafka")
    finally:
        left = producing.finish()
    assert left == 0 and load.log.fatal is None, (left, load.log.fatal)
    acked, _ = load.log.snapshot()
    read = reader.finish(len(acked.get(0, [])))
    victim.start()
    assert_delivered(load.run_id, acked, read, "librdkafka")


# -- kafka-python -------------------------------------------------------------------------------


@pytest.mark.cluster(settings=SETTINGS)
def test_kafka_python_through_leader_change(cluster, unique_topic):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition as KTopicPartition

    topic = cluster.create_topic(unique_topic("kpy"), partitions=1, replication_factor=3)
    servers = cluster.bootstrap.split(",")

    def read(reader):
        c = KafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False,
                          auto_offset_reset="earliest", metadata_max_age_ms=2000,
                          request_timeout_ms=30000, reconnect_backoff_max_ms=1000)
        try:
            tp = KTopicPartition(topic, 0)
            c.assign([tp])
            c.seek(tp, 0)
            while not reader.done.is_set():
                for records in c.poll(timeout_ms=200).values():
                    for m in records:
                        reader.add(m.offset, m.value)
        finally:
            c.close()

    reader = Reader(read)
    reader.thread.start()
    run_id = uuid.uuid4().hex[:8]
    log = delivery_check.AckLog()
    p = KafkaProducer(bootstrap_servers=servers, acks="all", enable_idempotence=True,
                      retries=2 ** 31 - 1, max_in_flight_requests_per_connection=5,
                      request_timeout_ms=10000, delivery_timeout_ms=120000,
                      metadata_max_age_ms=2000, reconnect_backoff_max_ms=1000, linger_ms=5)

    def on_acked(seq, md):
        with log.lock:
            log.acked.setdefault(0, []).append((seq, md.offset))

    def on_failed(seq, e):
        with log.lock:
            log.failed.append((str(e), seq))

    def produce(stop):
        seq = 0
        while not stop.is_set():
            if seq - log.acked_count() - len(log.failed) >= 200:
                time.sleep(0.01)
                continue
            s = seq
            f = p.send(topic, value=delivery_check.encode(run_id, 0, s), partition=0)
            f.add_callback(on_acked, s)
            f.add_errback(on_failed, s)
            seq += 1
            time.sleep(0.002)
        p.flush(130)

    producing = cluster_harness.Background(produce, "kafka-python producer")
    producing.start()
    try:
        victim = kill_leader_during(cluster, topic, log.acked_count, "kafka-python")
    finally:
        producing.finish(180)
        p.close(10)
    acked, failed = log.snapshot()
    assert not failed, failed[:5]
    read = reader.finish(len(acked.get(0, [])))
    victim.start()
    assert_delivered(run_id, acked, read, "kafka-python")


# -- Java ---------------------------------------------------------------------------------------

JAVA_RECORDS = 3000
JAVA_THROUGHPUT = 150  # records/s


@pytest.mark.cluster(settings=SETTINGS)
def test_java_client_through_leader_change(cluster, unique_topic):
    topic = cluster.create_topic(unique_topic("java"), partitions=1, replication_factor=3)
    work = Path(tempfile.mkdtemp(dir=cluster.dir))
    config = work / "producer.properties"
    config.write_text("enable.idempotence=true\nacks=all\nretries=2147483647\n"
                      "delivery.timeout.ms=120000\nrequest.timeout.ms=10000\nmetadata.max.age.ms=2000\n")
    consumer_out = open(work / "consumer.out", "w")
    consumer = subprocess.Popen(cluster_harness.java_command(
        cluster_harness.KAFKA_TOOL_CLASSES["kafka-console-consumer"],
        ["--bootstrap-server", cluster.bootstrap, "--topic", topic, "--from-beginning",
         "--max-messages", JAVA_RECORDS, "--timeout-ms", "60000",
         "--consumer-property", "metadata.max.age.ms=2000"]),
        stdout=consumer_out, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
        start_new_session=True)
    producer = subprocess.Popen(cluster_harness.java_command(
        "org.apache.kafka.tools.VerifiableProducer",
        ["--bootstrap-server", cluster.bootstrap, "--topic", topic, "--max-messages", JAVA_RECORDS,
         "--throughput", JAVA_THROUGHPUT, "--acks", "-1", "--producer.config", config]),
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True,
        start_new_session=True)
    acked, failed = [], []

    def collect():
        for line in producer.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("name") == "producer_send_success":
                acked.append((int(ev["value"]), ev["offset"]))
            elif ev.get("name") == "producer_send_error":
                failed.append(ev)

    collector = threading.Thread(target=collect, daemon=True)
    collector.start()
    try:
        victim = kill_leader_during(cluster, topic, lambda: len(acked), "Java producer")
        producer.wait(JAVA_RECORDS / JAVA_THROUGHPUT + 150)
        collector.join(30)
        consumer.wait(READ_TIMEOUT_S)
    finally:
        for proc in (producer, consumer):
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        consumer_out.close()
    assert not failed, failed[:5]
    assert len(acked) == JAVA_RECORDS
    # The tool's log lines share its stdout; the records are the bare numbers.
    values = [line.strip() for line in (work / "consumer.out").read_text().splitlines()
              if line.strip().isdigit()]
    run_id = "java"
    read = {0: [(i, delivery_check.encode(run_id, 0, int(v))) for i, v in enumerate(values)]}
    victim.start()
    assert_delivered(run_id, {0: acked}, read, "Java client")
