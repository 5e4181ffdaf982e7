#!/usr/bin/env python3
"""End-to-end latency: time from handing a record to the producer until a consumer receives it.

One record in flight at a time (a ping-pong), so the number is the broker's produce path plus
the wake-up of a waiting fetch, not queueing. The producer sends at once (linger.ms=0); the
consumer holds a long-poll fetch open (fetch.wait.max.ms) that the broker must complete when the
record lands. Prints one JSON object with percentiles in milliseconds.

usage: e2e_latency.py --bootstrap HOST:PORT --topic T [--count 1000] [--record-size 1024]
                      [--acks 1|all] [--warmup 20] [--deadline-s 120]
"""

import argparse
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

ROUND_TRIP_TIMEOUT_S = 10.0
ADMIN_TIMEOUT_S = 30.0
COUNT_MAX = 1_000_000


def percentile(sorted_values, p):
    if not sorted_values:
        return None
    i = min(len(sorted_values) - 1, max(0, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[i]


def ensure_topic(bootstrap, topic):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)],
                                  request_timeout=ADMIN_TIMEOUT_S)
    try:
        futures[topic].result(timeout=ADMIN_TIMEOUT_S)
    except KafkaException as e:
        if "TOPIC_ALREADY_EXISTS" not in str(e):
            raise
    deadline = time.monotonic() + ADMIN_TIMEOUT_S
    while time.monotonic() < deadline:
        md = admin.list_topics(topic=topic, timeout=5)
        t = md.topics.get(topic)
        if t is not None and t.error is None and t.partitions and all(p.leader >= 0 for p in t.partitions.values()):
            return
        time.sleep(0.05)
    raise RuntimeError(f"topic {topic} has no leader after {ADMIN_TIMEOUT_S}s")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--record-size", type=int, default=1024)
    ap.add_argument("--acks", default="1", choices=["0", "1", "all"])
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--deadline-s", type=float, default=120.0)
    a = ap.parse_args()
    count = min(max(a.count, 1), COUNT_MAX)
    deadline = time.monotonic() + a.deadline_s

    ensure_topic(a.bootstrap, a.topic)
    producer = Producer({"bootstrap.servers": a.bootstrap, "acks": a.acks, "linger.ms": 0})
    consumer = Consumer({"bootstrap.servers": a.bootstrap, "group.id": "bench-e2e", "enable.auto.commit": False,
                         "fetch.wait.max.ms": 500, "fetch.min.bytes": 1, "enable.partition.eof": False})
    # The end of the partition as it is now: every record read after this one is ours.
    low, high = consumer.get_watermark_offsets(TopicPartition(a.topic, 0), timeout=ADMIN_TIMEOUT_S)
    consumer.assign([TopicPartition(a.topic, 0, high)])
    payload = b"x" * a.record_size

    latencies = []
    for i in range(a.warmup + count):
        if time.monotonic() > deadline:
            print(f"e2e_latency: deadline passed after {len(latencies)} round trips", file=sys.stderr)
            break
        t0 = time.perf_counter_ns()
        producer.produce(a.topic, value=payload, partition=0)
        producer.poll(0)
        got = None
        trip_deadline = time.monotonic() + ROUND_TRIP_TIMEOUT_S
        while got is None and time.monotonic() < trip_deadline:
            m = consumer.poll(0.5)
            if m is None:
                producer.poll(0)
                continue
            if m.error():
                raise KafkaException(m.error())
            got = time.perf_counter_ns()
        if got is None:
            print(f"e2e_latency: record {i} not received within {ROUND_TRIP_TIMEOUT_S}s", file=sys.stderr)
            sys.exit(1)
        producer.poll(0)
        if i >= a.warmup:
            latencies.append((got - t0) / 1e6)
    producer.flush(10)
    consumer.close()
    if not latencies:
        sys.exit(1)
    s = sorted(latencies)
    print(json.dumps({
        "count": len(s), "acks": a.acks, "record_size": a.record_size,
        "avg_ms": round(sum(s) / len(s), 4), "p50_ms": round(percentile(s, 50), 4),
        "p99_ms": round(percentile(s, 99), 4), "p99_9_ms": round(percentile(s, 99.9), 4),
        "max_ms": round(s[-1], 4),
    }))


if __name__ == "__main__":
    main()
