"""Acknowledged-record bookkeeping for failure tests and the soak: a continuous idempotent
acks=all producer, a reader of whole partitions, and the checker that compares the two.

Each record's value is b"RUN:PARTITION:SEQ", SEQ counting up per partition in send order, so the
log read back tells which acknowledged records are lost, duplicated or out of order.
"""

import threading
import time
import uuid

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition

PRODUCE_MESSAGE_TIMEOUT_MS = 120_000  # outlives any failover a test causes
READ_TIMEOUT_S = 90.0


def encode(run, partition, seq):
    return ("%s:%d:%d" % (run, partition, seq)).encode()


def decode(value):
    try:
        run, partition, seq = value.decode().split(":")
        return run, int(partition), int(seq)
    except (AttributeError, UnicodeDecodeError, ValueError):
        return None


class AckLog:
    """What the broker acknowledged (partition -> [(seq, offset)]) and what it refused."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}
        self.failed = []
        self.fatal = None

    def on_delivery(self, err, msg):
        d = decode(msg.value())
        with self.lock:
            if err is not None:
                self.failed.append((err.name() if hasattr(err, "name") else str(err), d))
            elif d is not None:
                self.acked.setdefault(msg.partition(), []).append((d[2], msg.offset()))

    def acked_count(self):
        with self.lock:
            return sum(len(v) for v in self.acked.values())

    def snapshot(self):
        with self.lock:
            return {p: list(v) for p, v in self.acked.items()}, list(self.failed)


class LoadProducer:
    """Idempotent acks=all producer sending to every partition in turn until stopped.

    run(stop_event) is meant for cluster_harness.Background; `in_flight` bounds the records
    not yet acknowledged so a stalled cluster does not grow the queue without bound."""

    def __init__(self, bootstrap, topic, partitions, in_flight=200, pause_s=0.002, max_records=None,
                 **extra):
        self.topic = topic
        self.partitions = list(partitions)
        self.run_id = uuid.uuid4().hex[:8]
        self.log = AckLog()
        self.sent = 0
        self.in_flight = in_flight
        self.pause_s = pause_s
        self.max_records = max_records
        conf = {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "acks": "all",
            "message.timeout.ms": PRODUCE_MESSAGE_TIMEOUT_MS,
            "linger.ms": 5,
            "socket.connection.setup.timeout.ms": 5000,
            "topic.metadata.refresh.interval.ms": 2000,
            "error_cb": self._on_error,
        }
        conf.update(extra)
        self.producer = Producer(conf)
        self._next_seq = {p: 0 for p in self.partitions}

    def _on_error(self, err):
        if err.fatal():
            self.log.fatal = err.str()

    def run(self, stop_event):
        i = 0
        try:
            while not stop_event.is_set() and self.log.fatal is None:
                if self.max_records is not None and self.sent >= self.max_records:
                    break
                if self.sent - len(self.log.failed) - self.log.acked_count() >= self.in_flight:
                    self.producer.poll(0.05)
                    continue
                p = self.partitions[i % len(self.partitions)]
                i += 1
                value = encode(self.run_id, p, self._next_seq[p])
                try:
                    self.producer.produce(self.topic, value=value, partition=p,
                                          on_delivery=self.log.on_delivery)
                except BufferError:
                    self.producer.poll(0.05)
                    i -= 1
                    continue
                self._next_seq[p] += 1
                self.sent += 1
                self.producer.poll(0)
                if self.pause_s:
                    time.sleep(self.pause_s)
        finally:
            left = self.producer.flush(PRODUCE_MESSAGE_TIMEOUT_MS / 1000.0 + 10)
        return left

    def wait_acked(self, count, timeout_s, what="acknowledged records"):
        deadline = time.monotonic() + timeout_s
        while self.log.acked_count() < count:
            if self.log.fatal:
                raise AssertionError("producer fatal error: %s" % self.log.fatal)
            if time.monotonic() > deadline:
                raise AssertionError("only %d of %d %s within %.0fs (failed: %s)" % (
                    self.log.acked_count(), count, what, timeout_s, self.log.failed[:5]))
            time.sleep(0.05)


def read_partitions(bootstrap, topic, partitions, timeout_s=READ_TIMEOUT_S):
    """{partition: [(offset, value)]}: everything from the start to the high watermark."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader-" + uuid.uuid4().hex[:8],
                  "enable.auto.commit": False, "auto.offset.reset": "earliest",
                  "enable.partition.eof": True, "socket.connection.setup.timeout.ms": 5000})
    try:
        deadline = time.monotonic() + timeout_s
        ends = {}
        for p in partitions:
            while True:
                try:
                    ends[p] = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                    break
                except Exception:  # noqa: BLE001 - no leader yet: retried until the deadline
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)
        out = {p: [] for p in partitions}
        pending = {p for p in partitions if ends[p] > 0}
        c.assign([TopicPartition(topic, p, 0) for p in partitions])
        while pending:
            if time.monotonic() > deadline:
                raise AssertionError("reading %s: partitions %s not read to their end %s" % (
                    topic, sorted(pending), {p: ends[p] for p in pending}))
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error() is not None:
                if m.error().code() == KafkaError._PARTITION_EOF:
                    if m.offset() >= ends[m.partition()]:
                        pending.discard(m.partition())
                    continue
                if m.error().retriable() or m.error().code() in (
                        KafkaError.NOT_LEADER_OR_FOLLOWER, KafkaError._TRANSPORT):
                    continue
                raise AssertionError("reading %s: %s" % (topic, m.error()))
            out[m.partition()].append((m.offset(), m.value()))
            if m.offset() + 1 >= ends[m.partition()]:
                pending.discard(m.partition())
        return out
    finally:
        c.close()


class Report:
    """Counts of acknowledged records lost, duplicated and out of order, per topic read back."""

    def __init__(self):
        self.acked = 0
        self.lost = 0
        self.duplicated = 0
        self.reordered = 0
        self.moved = 0  # read back at another offset than acknowledged (informational)
        self.examples = []

    def ok(self):
        return self.lost == 0 and self.duplicated == 0 and self.reordered == 0

    def line(self):
        return "acked=%d lost=%d duplicated=%d reordered=%d" % (
            self.acked, self.lost, self.duplicated, self.reordered)

    def __str__(self):
        text = self.line()
        if self.examples:
            text += "\n  " + "\n  ".join(self.examples[:20])
        return text


def check(run_id, acked, read, report=None):
    """Compare acknowledged records of producer `run_id` with what was read back.

    acked: {partition: [(seq, offset)]}; read: {partition: [(offset, value)]}.
    lost: acknowledged, never read; duplicated: read more than once (extra copies);
    reordered: read after a record with a higher sequence number of the same partition."""
    report = report or Report()
    for p, acks in acked.items():
        report.acked += len(acks)
        seen = {}
        order = []
        for offset, value in read.get(p, []):
            d = decode(value)
            if d is None or d[0] != run_id:
                continue
            if d[1] != p:
                report.examples.append("seq %d of partition %d read in partition %d" % (d[2], d[1], p))
            seen.setdefault(d[2], []).append(offset)
            order.append(d[2])
        for seq, offset in acks:
            offsets = seen.get(seq)
            if not offsets:
                report.lost += 1
                report.examples.append("lost: partition %d seq %d (acked at offset %d)" % (p, seq, offset))
                continue
            if len(offsets) > 1:
                report.duplicated += len(offsets) - 1
                report.examples.append("duplicated: partition %d seq %d at offsets %s" % (p, seq, offsets))
            if offsets[0] != offset:
                report.moved += 1
        acked_seqs = {seq for seq, _ in acks}
        highest = -1
        first_seen = set()
        for seq in order:
            if seq in first_seen:  # a copy: counted as duplicated above
                continue
            first_seen.add(seq)
            if seq < highest and seq in acked_seqs:
                report.reordered += 1
                report.examples.append("reordered: partition %d seq %d after seq %d" % (p, seq, highest))
            highest = max(highest, seq)
    return report


def check_producer(load, bootstrap, timeout_s=READ_TIMEOUT_S):
    """Read the load's partitions back and check every acknowledged record."""
    acked, _ = load.log.snapshot()
    read = read_partitions(bootstrap, load.topic, load.partitions, timeout_s)
    return check(load.run_id, acked, read)
