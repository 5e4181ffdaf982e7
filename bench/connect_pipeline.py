#!/usr/bin/env python3
"""Records/s through a topic -> topic pipeline (`gregor connect run` with a [pipeline] section),
next to `gregor perf produce` and `gregor perf consume` against the same broker in the same run.
Starts its own broker on a free loopback port; needs confluent-kafka (the .venv) to watch the
output topic's high watermark.

    .venv/bin/python bench/connect_pipeline.py [--records N] [--batch N] [--size BYTES]

Pipelines measured: raw -> raw (the perf records as they are) and json -> json (JSON records of
about the same size), one record out per event, partitions carried; each with batch.count = N
(offsets committed once per batch, after its delivery reports) and with batch.count = 2 (the
echo example's batching). Rates are counted from the first output record to the last, so the
group join at start-up does not count.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import confluent_kafka

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import helpers  # noqa: E402
import kafkawire  # noqa: E402

GREGOR = str(ROOT / "build" / "gregor")
RUN_TIMEOUT_S = 900


def gregor(*args, stdin=None):
    r = subprocess.run([GREGOR, *args], input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       check=True, timeout=RUN_TIMEOUT_S)
    return r.stdout.decode()


def perf(bootstrap, *args):
    return json.loads(gregor("perf", *args, "-b", bootstrap, "--json").strip().splitlines()[-1])


def output_count(watcher, topic):
    try:
        return watcher.get_watermark_offsets(confluent_kafka.TopicPartition(topic, 0), timeout=5)[1]
    except confluent_kafka.KafkaException:
        return 0


def run_pipeline(tmp, bootstrap, src, dst, codec, batch, n):
    gregor("topic", "create", dst, "-b", bootstrap)
    conf = tmp / ("%s.conf" % dst)
    conf.write_text('bootstrap = "%s"\nstate_dir = "%s"\n[pipeline bench]\ntopics = "%s"\ngroup = "%s"\n'
                    'reset = "earliest"\noutput_topic = "%s"\ncodec.in = "%s"\ncodec.out = "%s"\n'
                    'batch.count = %d\nbatch.time_ms = 100\n' % (bootstrap, tmp / "state", src, dst, dst,
                                                                 codec, codec, batch))
    watcher = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": "watch"})
    p = subprocess.Popen([GREGOR, "connect", "run", str(conf)], stderr=subprocess.DEVNULL)
    try:
        first = helpers.wait_until(lambda: output_count(watcher, dst) or False, 120, 0.01, "first output")
        start = time.monotonic()
        helpers.wait_until(lambda: output_count(watcher, dst) >= n, RUN_TIMEOUT_S, 0.05, "all output")
        return (n - first) / (time.monotonic() - start)
    finally:
        p.terminate()
        p.wait(30)
        watcher.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--size", type=int, default=100)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gregor-bench-pipeline-"))
    bootstrap = "127.0.0.1:%d" % helpers.free_port()
    broker = subprocess.Popen([GREGOR, "broker", "--override", "listeners=PLAINTEXT://%s" % bootstrap,
                               "--override", "log.dirs=%s" % (tmp / "data")], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        kafkawire.wait_ready(bootstrap, 30, alive=lambda: broker.poll() is None, require_metadata=False)
        n, size = a.records, a.size
        prod = perf(bootstrap, "produce", "raw_in", "-n", str(n), "-s", str(size), "-p", "1")
        cons = perf(bootstrap, "consume", "raw_in", "-n", str(n))
        gregor("topic", "create", "json_in", "-b", bootstrap)
        pad = "x" * max(0, size - 30)
        lines = "".join(json.dumps({"id": i, "pad": pad}) + "\n" for i in range(n)).encode()
        gregor("produce", "json_in", "-b", bootstrap, stdin=lines)
        print("records: %d of %d bytes, one partition" % (n, size))
        print("gregor perf produce (acks=all):                 %9.0f records/s" % prod["records_per_sec"])
        print("gregor perf consume:                            %9.0f records/s" % cons["records_per_sec"])
        for codec in ("raw", "json"):
            for batch in (a.batch, 2):
                rate = run_pipeline(tmp, bootstrap, "%s_in" % codec, "%s_out_%d" % (codec, batch), codec,
                                    batch, n)
                print("pipeline %-4s -> %-4s, batch.count = %-5d      %9.0f records/s" % (codec, codec, batch,
                                                                                         rate))
    finally:
        broker.terminate()
        broker.wait(30)
        subprocess.run(["rm", "-rf", str(tmp)])


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
