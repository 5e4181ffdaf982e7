#!/usr/bin/env python3
"""Log cleaner throughput and what a running cleaning does to produce latency. Prints JSON.

One broker (build/gregor) on a fresh data directory. A topic is filled with --mb MiB of updates
to --keys keys (values of --value-bytes) while its cleanup.policy is still "delete", so nothing
is cleaned; then produce latency (acks=all, one record at a time) is sampled on a second topic:
first with the broker idle, then right after the first topic is switched to "compact", while
the cleaner rewrites it. Cleaner throughput is the segment bytes of one cleaning divided by its
duration, both from the broker's log line ("cleaned N segment(s) of B bytes in T ms").

usage: compaction.py [--mb 256] [--keys 10000] [--value-bytes 1000] [--samples 2000]
"""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

ROOT = Path(__file__).resolve().parent.parent
CLEANED = re.compile(r"cleaned (\d+) segment\(s\) of (\d+) bytes in (\d+) ms, rewrote (\d+) into (\d+) bytes"
                     r", deleted (\d+)")
TIMEOUT_S = 600


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc):
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit("broker exited early")
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("broker did not start")


def fill(bootstrap, topic, total, keys, value_bytes):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.size": 262144,
                  "compression.type": "none", "acks": "1"})
    value = os.urandom(value_bytes // 2).hex().encode()[:value_bytes]
    n = total // (value_bytes + 8)
    for i in range(n):
        while True:
            try:
                p.produce(topic, key=b"key-%06d" % (i % keys), value=value, partition=0)
                break
            except BufferError:
                p.poll(0.05)
        if i % 10000 == 0:
            p.poll(0)
    assert p.flush(TIMEOUT_S) == 0
    return n


def latencies(bootstrap, topic, samples, stop_when=None):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "acks": "all"})
    out = []
    for i in range(samples):
        t = time.perf_counter()
        p.produce(topic, key=b"k%d" % (i % 100), value=b"x" * 100, partition=0)
        assert p.flush(30) == 0
        out.append((time.perf_counter() - t) * 1000)
        if stop_when and stop_when():
            break
        time.sleep(0.002)
    out.sort()
    return {"samples": len(out), "p50_ms": round(out[len(out) // 2], 3),
            "p99_ms": round(out[min(len(out) - 1, int(len(out) * 0.99))], 3), "max_ms": round(out[-1], 3)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=256)
    ap.add_argument("--keys", type=int, default=10000)
    ap.add_argument("--value-bytes", type=int, default=1000)
    ap.add_argument("--samples", type=int, default=2000)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gregor-bench-compaction-"))
    port = free_port()
    bootstrap = "127.0.0.1:%d" % port
    log_path = tmp / "broker.log"
    cmd = [str(ROOT / "build" / "gregor"), "broker", "--override", "listeners=PLAINTEXT://%s" % bootstrap,
           "--override", "log.dirs=%s" % (tmp / "data"), "--override", "log.cleaner.backoff.ms=200"]
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_port(port, proc)
        admin = AdminClient({"bootstrap.servers": bootstrap})
        topics = [NewTopic("bench-compacted", 1, 1, config={"cleanup.policy": "delete", "retention.ms": "-1",
                                                             "segment.bytes": str(16 * 1024 * 1024)}),
                  NewTopic("bench-latency", 1, 1)]
        for f in admin.create_topics(topics).values():
            f.result(30)
        time.sleep(1)
        records = fill(bootstrap, "bench-compacted", a.mb * 1024 * 1024, a.keys, a.value_bytes)
        idle = latencies(bootstrap, "bench-latency", a.samples)

        def cleaned():
            return CLEANED.search(log_path.read_text(errors="replace"))

        res = ConfigResource(ConfigResource.Type.TOPIC, "bench-compacted",
                             set_config={"cleanup.policy": "compact", "min.cleanable.dirty.ratio": "0.01",
                                         "segment.bytes": str(16 * 1024 * 1024)})
        for f in admin.alter_configs([res]).values():
            f.result(30)
        during = latencies(bootstrap, "bench-latency", a.samples * 100, stop_when=cleaned)
        deadline = time.monotonic() + TIMEOUT_S
        while not cleaned() and time.monotonic() < deadline:
            time.sleep(0.2)
        m = cleaned()
        if not m:
            sys.exit("no cleaning within %ds" % TIMEOUT_S)
        segs, seg_bytes, ms, rewritten, out_bytes, deleted = (int(x) for x in m.groups())
        print(json.dumps({
            "records": records, "keys": a.keys, "value_bytes": a.value_bytes,
            "cleaning": {"segments": segs, "segment_bytes": seg_bytes, "ms": ms, "rewritten": rewritten,
                         "deleted": deleted, "bytes_after": out_bytes,
                         "mb_per_s": round(seg_bytes / (1024 * 1024) / max(ms, 1) * 1000, 1)},
            "produce_idle": idle, "produce_during_cleaning": during,
        }))
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
