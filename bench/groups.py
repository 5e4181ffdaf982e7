#!/usr/bin/env python3
"""Consumer group timings against one broker (run it once per broker to compare):

  - join: a third member joins a stable group of two; time until all three own partitions;
  - death: one of three members is killed (SIGKILL); time until the other two own everything
    (bounded below by the session timeout, 6 s here);
  - commits: synchronous and pipelined (async) OffsetCommit throughput of one consumer on one
    group, each commit one partition, answered only once durable on the broker.

Members are librdkafka consumers (confluent-kafka, eager "range" assignment, heartbeats every
500 ms) in their own processes, so one can be killed like a crashed consumer.

  .venv/bin/python bench/groups.py --bootstrap 127.0.0.1:9092 [--rounds 3] [--seconds 5]
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid

PARTITIONS = 6
SESSION_TIMEOUT_MS = 6000
WAIT_S = 60.0


def member(bootstrap, group, topic):
    from confluent_kafka import Consumer

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "session.timeout.ms": SESSION_TIMEOUT_MS,
                  "heartbeat.interval.ms": 500, "partition.assignment.strategy": "range"})
    c.subscribe([topic])
    current = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        c.poll(0.05)
        now = sorted(tp.partition for tp in c.assignment())
        if now != current:
            current = now
            print(json.dumps(now), flush=True)


class Member:
    def __init__(self, bootstrap, group, topic):
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--member", bootstrap, group, topic],
                                     stdout=subprocess.PIPE, text=True)
        self.assignment = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.assignment = json.loads(line)

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


def split(members):
    owned = [p for m in members for p in m.assignment]
    return all(m.assignment for m in members) and sorted(owned) == list(range(PARTITIONS))


def wait(cond):
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.005)
    return False


def rebalance_round(bootstrap, topic):
    group = "bench-" + uuid.uuid4().hex[:8]
    a, b = Member(bootstrap, group, topic), Member(bootstrap, group, topic)
    members = [a, b]
    try:
        if not wait(lambda: split([a, b])):
            raise RuntimeError("two members never split the topic")
        time.sleep(1)
        t0 = time.monotonic()
        c = Member(bootstrap, group, topic)
        members.append(c)
        if not wait(lambda: split([a, b, c])):
            raise RuntimeError("the third member never got partitions")
        joined = time.monotonic() - t0
        time.sleep(1)
        t0 = time.monotonic()
        c.stop(signal.SIGKILL)
        members.remove(c)
        c.assignment = []
        if not wait(lambda: split([a, b])):
            raise RuntimeError("the dead member's partitions never moved")
        return joined, time.monotonic() - t0
    finally:
        for m in members:
            m.stop()


def commit_rate(bootstrap, topic, seconds, asynchronous):
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-commits-" + uuid.uuid4().hex[:8],
                  "enable.auto.commit": False})
    done = [0]
    inflight = threading.Semaphore(1000)

    def on_commit(err, partitions):
        inflight.release()
        if err is None:
            done[0] += 1

    if asynchronous:
        c = Consumer({"bootstrap.servers": bootstrap, "group.id": "bench-commits-" + uuid.uuid4().hex[:8],
                      "enable.auto.commit": False, "on_commit": on_commit})
    c.commit(offsets=[TopicPartition(topic, 0, 0)], asynchronous=False)  # coordinator found, group made
    n = 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        n += 1
        if asynchronous:
            while not inflight.acquire(timeout=0.001):
                c.poll(0)
            c.commit(offsets=[TopicPartition(topic, n % PARTITIONS, n)], asynchronous=True)
            c.poll(0)
        else:
            c.commit(offsets=[TopicPartition(topic, n % PARTITIONS, n)], asynchronous=False)
            done[0] += 1
    while asynchronous and time.monotonic() - t0 < seconds + 30 and done[0] < n:
        c.poll(0.01)
    elapsed = time.monotonic() - t0
    c.close()
    return done[0] / elapsed


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--member":
        member(*sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=5.0)
    args = ap.parse_args()
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = "bench-groups-" + uuid.uuid4().hex[:8]
    admin = AdminClient({"bootstrap.servers": args.bootstrap})
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)
    joins, deaths = [], []
    for _ in range(args.rounds):
        j, d = rebalance_round(args.bootstrap, topic)
        joins.append(j)
        deaths.append(d)
    sync_rate = commit_rate(args.bootstrap, topic, args.seconds, False)
    async_rate = commit_rate(args.bootstrap, topic, args.seconds, True)
    print(json.dumps({
        "join_stable_s_median": round(statistics.median(joins), 3), "join_stable_s": [round(x, 3) for x in joins],
        "death_stable_s_median": round(statistics.median(deaths), 3), "death_stable_s": [round(x, 3) for x in deaths],
        "commits_per_s_sync": round(sync_rate), "commits_per_s_async": round(async_rate),
    }))


if __name__ == "__main__":
    main()
