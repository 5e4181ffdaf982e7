"""Consumer groups rebalancing with real librdkafka consumers (confluent-kafka), with the
classic protocol (eager "range" and "cooperative-sticky" assignment by the group leader) and
the KIP-848 protocol (group.protocol=consumer, assignment by the broker).

Members run as separate processes (this file run as a script), so one can be killed with
SIGKILL like a crashed consumer. Each member prints JSON lines: its assignment whenever it
changes, every record it processes, and the result of committing that record's offset
(synchronously, after processing). The test then checks the group's promises:

- the members' assignments are disjoint and cover the topic once the group is stable;
- a new member gets partitions; a killed member's partitions move to the others;
- a record whose offset was committed after processing is never read again, so
  duplicates only come from a killed member's uncommitted work or a commit that failed.
"""

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

import helpers

pytestmark = pytest.mark.python_clients  # again with Debian's librdkafka 2.0

PARTITIONS = 4
SESSION_TIMEOUT_MS = 6000  # group.min.session.timeout.ms: the smallest a broker accepts by default
STABLE_TIMEOUT_S = 60.0
MEMBER_MAX_RUNTIME_S = 280.0
PRODUCE_INTERVAL_S = 0.02
KIP848 = "consumer-protocol"
# A crashed KIP-848 member is noticed after the broker's session timeout.
KIP848_CRASH_TIMEOUT_S = 120.0


# ---- the member process ---------------------------------------------------------------------

def member_main(bootstrap, group, topic, strategy):
    from confluent_kafka import Consumer, KafkaException

    def emit(**event):
        sys.stdout.write(json.dumps(event) + "\n")
        sys.stdout.flush()

    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    }
    if strategy == KIP848:
        conf["group.protocol"] = "consumer"  # the broker assigns; sessions are the broker's setting
    else:
        conf.update({"session.timeout.ms": SESSION_TIMEOUT_MS, "heartbeat.interval.ms": 500,
                     "partition.assignment.strategy": strategy})
    c = Consumer(conf)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    c.subscribe([topic])
    current = None
    deadline = time.monotonic() + MEMBER_MAX_RUNTIME_S
    while not stop and time.monotonic() < deadline:
        m = c.poll(0.1)
        now = sorted(tp.partition for tp in c.assignment())
        if now != current:
            current = now
            emit(event="assignment", partitions=now)
        if m is None or m.error():
            continue
        emit(event="record", p=m.partition(), o=m.offset())
        try:
            c.commit(message=m, asynchronous=False)
            emit(event="commit", p=m.partition(), o=m.offset(), ok=True)
        except KafkaException as e:
            emit(event="commit", p=m.partition(), o=m.offset(), ok=False, error=str(e))
    c.close()
    emit(event="closed")


# ---- the test side --------------------------------------------------------------------------

class Member:
    """One member process and the events it reported so far."""

    def __init__(self, name, bootstrap, group, topic, strategy):
        self.name = name
        self.proc = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "member", bootstrap, group, topic, strategy],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
        self.events = queue.Queue()
        self.assignment = []
        self.records = []  # (arrival time, (partition, offset))
        self.commits = {}  # (partition, offset) -> ok
        self.killed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                e = json.loads(line)
            except ValueError:
                continue
            e["at"] = time.monotonic()
            self.events.put(e)

    def drain(self):
        while True:
            try:
                e = self.events.get_nowait()
            except queue.Empty:
                return
            if e["event"] == "assignment":
                self.assignment = e["partitions"]
            elif e["event"] == "record":
                self.records.append((e["at"], (e["p"], e["o"])))
            elif e["event"] == "commit":
                self.commits[(e["p"], e["o"])] = e["ok"]

    def kill(self):
        self.killed = True
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.assignment = []

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.drain()


class Producer:
    """Produces keyed records round-robin over the partitions until stopped."""

    def __init__(self, bootstrap, topic):
        from confluent_kafka import Producer as P

        self.p = P({"bootstrap.servers": bootstrap, "linger.ms": 0})
        self.topic = topic
        self.sent = 0
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        deadline = time.monotonic() + MEMBER_MAX_RUNTIME_S
        while self.running and time.monotonic() < deadline:
            self.p.produce(self.topic, value=b"v%d" % self.sent, partition=self.sent % PARTITIONS)
            self.p.poll(0)
            self.sent += 1
            time.sleep(PRODUCE_INTERVAL_S)

    def stop(self):
        self.running = False
        self.thread.join(30)
        assert self.p.flush(30) == 0, "producer could not deliver everything"
        return self.sent


def stable_split(members):
    """True when the live members' assignments are non-empty, disjoint and cover the topic."""
    for m in members:
        m.drain()
    owned = [p for m in members for p in m.assignment]
    return (all(m.assignment for m in members) and sorted(owned) == list(range(PARTITIONS)))


@pytest.mark.parametrize("strategy", [
    "range", "cooperative-sticky",
    # A shorter broker session than Kafka's 45 s default keeps the crash part short.
    pytest.param(KIP848, marks=pytest.mark.broker_config({"group.consumer.session.timeout.ms": "10000"})),
])
def test_members_share_partitions_and_survive_a_crash(broker, unique_topic, strategy):
    import confluent_kafka
    from confluent_kafka.admin import AdminClient, NewTopic

    if strategy == KIP848 and confluent_kafka.libversion()[1] < 0x020C0000:
        pytest.skip("librdkafka before 2.12 has no group.protocol=consumer")

    topic = unique_topic("grp")
    group = helpers.unique_group("rebalance")
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)

    producer = Producer(broker.bootstrap, topic)
    members = []
    try:
        a = Member("a", broker.bootstrap, group, topic, strategy)
        b = Member("b", broker.bootstrap, group, topic, strategy)
        members = [a, b]
        helpers.wait_until(lambda: stable_split([a, b]), STABLE_TIMEOUT_S, what="two members splitting the topic")
        assert len(a.assignment) == 2 and len(b.assignment) == 2

        c = Member("c", broker.bootstrap, group, topic, strategy)
        members.append(c)
        helpers.wait_until(lambda: stable_split([a, b, c]), STABLE_TIMEOUT_S, what="three members sharing")

        # A crash: the broker notices when c's session runs out and gives its partitions away.
        lost = list(c.assignment)
        c.kill()
        crash_timeout = KIP848_CRASH_TIMEOUT_S if strategy == KIP848 else STABLE_TIMEOUT_S
        helpers.wait_until(lambda: stable_split([a, b]), crash_timeout, what="c's partitions moving on")
        assert set(lost) <= set(a.assignment) | set(b.assignment)

        sent = producer.stop()

        def all_read():
            for m in members:
                m.drain()
            seen = {rec for m in members for _, rec in m.records}
            return len(seen) >= sent

        helpers.wait_until(all_read, STABLE_TIMEOUT_S, what="every record consumed")
    finally:
        if producer.running:
            producer.running = False
        for m in members:
            if not m.killed:
                m.stop()

    # Every record read at least once; a record read again had not been committed the time before.
    reads = sorted(((at, rec, m) for m in members for at, rec in m.records), key=lambda r: r[0])
    last_reader = {}
    for _, rec, m in reads:
        prev = last_reader.get(rec)
        assert prev is None or prev.commits.get(rec) is not True, (
            "record %r was read again by %s although %s had committed it" % (rec, m.name, prev.name))
        last_reader[rec] = m
    assert len(last_reader) == sent


def test_two_groups_each_read_everything(broker, unique_topic):
    from confluent_kafka import Consumer, Producer as P
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = unique_topic("grp")
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)
    count = 200
    p = P({"bootstrap.servers": broker.bootstrap})
    for i in range(count):
        p.produce(topic, value=b"%d" % i, partition=i % PARTITIONS)
    assert p.flush(30) == 0

    consumers = []
    for g in ("one", "two"):
        c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": helpers.unique_group(g),
                      "auto.offset.reset": "earliest", "enable.auto.commit": True})
        c.subscribe([topic])
        consumers.append(c)
    try:
        seen = [set(), set()]
        deadline = time.monotonic() + STABLE_TIMEOUT_S
        while time.monotonic() < deadline and any(len(s) < count for s in seen):
            for c, s in zip(consumers, seen):
                m = c.poll(0.1)
                if m is not None and not m.error():
                    s.add((m.partition(), m.offset()))
        assert [len(s) for s in seen] == [count, count]
    finally:
        for c in consumers:
            c.close()


if __name__ == "__main__" and len(sys.argv) == 6 and sys.argv[1] == "member":
    member_main(*sys.argv[2:])
