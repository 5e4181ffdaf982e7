#!/usr/bin/env python3
"""Three brokers on this machine, side by side in one run: Gregor (coordinated by ZooKeeper)
against Apache Kafka 4.x in KRaft mode (three combined broker+controller nodes), optionally also
Kafka 3.9 in ZooKeeper mode.

For each implementation, one after the other on the same machine:
  start      seconds from launching the three brokers until all answer and are registered
  produce    replicated produce with acks=all, replication factor 3, min.insync.replicas=2,
             `gregor perf produce` (librdkafka): records/s, MiB/s, p50/p99 latency
  failover   a producer sends one acks=all record every 2 ms to a one-partition topic; the
             partition's leader is killed with SIGKILL; "resumed" is the time from the kill to
             the first record acknowledged after it, "gap" the longest time between two
             acknowledgements around it. Detection takes the failure-detection timeout: the
             ZooKeeper session for Gregor and Kafka-ZK, broker.session.timeout.ms for KRaft;
             both are set to the same value (--session-timeout-ms) for a fair comparison.
  memory     resident memory (RSS) of each broker after the produce run

  bench/cluster.py [--impls gregor,kafka-kraft[,kafka-zk]] [--records N] [--record-size B]
                   [--session-timeout-ms MS] [--append]

Results print as a table with ratios (Gregor / Kafka); --append adds it to docs/benchmarks.md.
Everything started is stopped on exit; data lives in a temporary directory.
"""

import argparse
import base64
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "cluster"))
sys.path.insert(0, str(ROOT / "tests" / "integration"))

import cluster_harness  # noqa: E402
import helpers  # noqa: E402
import kafkawire  # noqa: E402

KRAFT_VERSION = os.environ.get("KAFKA_VERSION", "4.3.1")
KRAFT_LIBS = ROOT / ".cache" / "apache-kafka" / KRAFT_VERSION / "libs"
KAFKA_HEAP = os.environ.get("KAFKA_HEAP", "512m")
START_TIMEOUT_S = 120.0
FAILOVER_SEND_INTERVAL_S = 0.002
FAILOVER_BEFORE_S = 3.0
FAILOVER_DEADLINE_S = 90.0


def rss_kb(pid):
    """Resident memory of a process and its children (a JVM may fork nothing; gregor neither)."""
    try:
        for line in Path("/proc/%d/status" % pid).read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


class KraftNode(cluster_harness.Pausable):
    """One Kafka KRaft node acting as broker and controller."""

    def __init__(self, cluster, node_id, port, controller_port):
        self.cluster = cluster
        self.id = node_id
        self.host = "127.0.0.1"
        self.port = port
        self.controller_port = controller_port
        self.bootstrap = "%s:%d" % (self.host, port)
        self.dir = cluster.dir / ("node%d" % node_id)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.props_path = self.dir / "server.properties"
        self.log_path = self.dir / "broker.log"
        self.proc = None
        self.paused = False

    def java(self, main_class, args, heap):
        return ["java", "-Xmx%s" % heap, "-Xms%s" % heap, "-Djava.awt.headless=true",
                "-Dlog4j2.configurationFile=%s" % (ROOT / "scripts" / "apache-kafka-deps" / "log4j2.properties"),
                "-Dkafka.log.level=WARN", "-cp", "%s/*" % KRAFT_LIBS, main_class] + [str(a) for a in args]

    def write_config(self, voters, settings):
        props = {
            "process.roles": "broker,controller",
            "node.id": str(self.id),
            "controller.quorum.voters": voters,
            "listeners": "PLAINTEXT://%s,CONTROLLER://%s:%d" % (self.bootstrap, self.host, self.controller_port),
            "advertised.listeners": "PLAINTEXT://%s" % self.bootstrap,
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(self.dir / "data"),
        }
        props.update(settings)
        self.props_path.write_text("".join("%s=%s\n" % kv for kv in props.items()))

    def format(self, cluster_id):
        r = subprocess.run(self.java("kafka.tools.StorageTool", ["format", "--cluster-id=%s" % cluster_id,
                                                                 "-c", self.props_path], "256m"),
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError("formatting node %d failed: %s" % (self.id, r.stderr[-2000:]))

    def launch(self):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.java("kafka.Kafka", [self.props_path], KAFKA_HEAP),
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        if self.is_running():
            self.proc.kill()
            self.proc.wait(timeout=30)

    def close(self):
        if self.is_running():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)


class KraftCluster:
    impl = "kafka-kraft"

    def __init__(self, tmp_dir, settings):
        self.dir = Path(tmp_dir)
        self.brokers = {}
        for i in range(3):
            self.brokers[i] = KraftNode(self, i, helpers.free_port(), helpers.free_port())
        voters = ",".join("%d@127.0.0.1:%d" % (n.id, n.controller_port) for n in self.brokers.values())
        for n in self.brokers.values():
            n.write_config(voters, settings)

    @property
    def bootstrap(self):
        return ",".join(b.bootstrap for b in self.brokers.values())

    def start(self):
        if not (KRAFT_LIBS / ".complete").exists():
            subprocess.run([str(ROOT / "scripts" / "apache-kafka"), "fetch"], check=True, timeout=900,
                           env=dict(os.environ, KAFKA_VERSION=KRAFT_VERSION))
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        for n in self.brokers.values():
            n.format(cluster_id)
        t0 = time.monotonic()
        for n in self.brokers.values():
            n.launch()
        for n in self.brokers.values():
            if not kafkawire.wait_ready(n.bootstrap, START_TIMEOUT_S, alive=n.is_running, require_metadata=False):
                raise RuntimeError("KRaft node %d did not start:\n%s" % (n.id, n.log_path.read_text()[-3000:]))
        wait_brokers(self.bootstrap, 3)
        return time.monotonic() - t0

    def close(self):
        for n in self.brokers.values():
            n.close()


class HarnessCluster:
    """Gregor or Kafka-ZK through the cluster tests' harness (one ZooKeeper, three brokers)."""

    def __init__(self, impl, tmp_dir, settings):
        self.impl = impl
        self.zk = cluster_harness.ZooKeeperServer(Path(tmp_dir) / "zk").start()
        self.cluster = cluster_harness.Cluster(self.zk, Path(tmp_dir) / "cluster", 3, settings, impl=impl)
        self.brokers = self.cluster.brokers

    @property
    def bootstrap(self):
        return self.cluster.bootstrap

    def start(self):
        t0 = time.monotonic()
        for b in self.brokers.values():
            b.launch()
        for b in self.brokers.values():
            b.wait_ready(START_TIMEOUT_S)
        wait_brokers(self.bootstrap, 3)
        return time.monotonic() - t0

    def close(self):
        try:
            self.cluster.close()
        finally:
            self.zk.stop()


def admin(bootstrap):
    from confluent_kafka.admin import AdminClient
    return AdminClient({"bootstrap.servers": bootstrap})


def wait_brokers(bootstrap, n, timeout_s=START_TIMEOUT_S):
    a = admin(bootstrap)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if len(a.list_topics(timeout=5).brokers) >= n:
                return
        except Exception:
            pass
        time.sleep(0.2)
    raise RuntimeError("fewer than %d brokers in Metadata after %.0fs" % (n, timeout_s))


def create_topic(bootstrap, name, partitions):
    from confluent_kafka.admin import NewTopic
    a = admin(bootstrap)
    fut = a.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=3,
                                    config={"min.insync.replicas": "2"})], operation_timeout=30)
    fut[name].result(60)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        md = a.list_topics(name, timeout=5).topics.get(name)
        if md and not md.error and len(md.partitions) == partitions and all(
                p.leader >= 0 and len(p.isrs) == 3 for p in md.partitions.values()):
            return md
        time.sleep(0.2)
    raise RuntimeError("topic %s not fully replicated within 60s" % name)


def leader_of(bootstrap, topic, partition):
    md = admin(bootstrap).list_topics(topic, timeout=10).topics[topic]
    return md.partitions[partition].leader


def run_produce(bootstrap, records, size):
    topic = "bench-replicated"
    create_topic(bootstrap, topic, 6)
    cmd = [str(cluster_harness.gregor_bin()), "perf", "produce", topic, "-b", bootstrap, "--num-records",
           str(records), "--record-size", str(size), "--acks", "all", "--json",
           "-X", "linger.ms=5", "-X", "enable.idempotence=true"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        raise RuntimeError("perf produce failed: %s" % r.stderr[-2000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def run_failover(c):
    """Kill -9 the leader of a one-partition topic under a steady acks=all load; produce has
    resumed when a record sent after the kill is acknowledged."""
    from confluent_kafka import Producer
    topic = "bench-failover"
    create_topic(c.bootstrap, topic, 1)
    acked = []  # (send time, acknowledgement time) of successful records
    lock = threading.Lock()
    p = Producer({"bootstrap.servers": c.bootstrap, "acks": "all", "enable.idempotence": True,
                  "linger.ms": 0, "message.timeout.ms": int(FAILOVER_DEADLINE_S * 1000),
                  "topic.metadata.refresh.interval.ms": 1000, "retry.backoff.ms": 50,
                  "retry.backoff.max.ms": 200, "reconnect.backoff.max.ms": 200})

    def delivery(sent_at):
        def on_delivery(err, _msg):
            if err is None:
                with lock:
                    acked.append((sent_at, time.monotonic()))
        return on_delivery

    stop = time.monotonic() + FAILOVER_DEADLINE_S
    killed_at = None
    victim = None
    n = 0
    while time.monotonic() < stop:
        p.produce(topic, b"x" * 100, partition=0, on_delivery=delivery(time.monotonic()))
        n += 1
        p.poll(0)
        now = time.monotonic()
        if killed_at is None and acked and now - acked[0][1] > FAILOVER_BEFORE_S:
            victim = leader_of(c.bootstrap, topic, 0)
            c.brokers[victim].kill9()
            killed_at = time.monotonic()
        if killed_at is not None:
            with lock:
                after = [a for s_, a in acked if s_ > killed_at]
            if len(after) > 200:
                break
        time.sleep(FAILOVER_SEND_INTERVAL_S)
    p.flush(30)
    if killed_at is None:
        raise RuntimeError("no record was acknowledged before the kill")
    with lock:
        times = sorted(a for _, a in acked)
        # Records sent after the kill can only be acknowledged by the new leader.
        after = sorted(a for s_, a in acked if s_ > killed_at)
    if not after:
        raise RuntimeError("produce did not resume within %.0fs of the kill" % FAILOVER_DEADLINE_S)
    gaps = [b - a for a, b in zip(times, times[1:])]
    return {"resumed_s": after[0] - killed_at, "gap_s": max(gaps), "sent": n, "acked": len(times),
            "victim": victim}


def measure(impl, args, tmp):
    settings = {"min.insync.replicas": "2", "offsets.topic.replication.factor": "3"}
    if impl == "kafka-kraft":
        settings.update({"broker.session.timeout.ms": str(args.session_timeout_ms),
                         "broker.heartbeat.interval.ms": str(max(100, args.session_timeout_ms // 4)),
                         "group.initial.rebalance.delay.ms": "0"})
        c = KraftCluster(tmp, settings)
    else:
        settings["zookeeper.session.timeout.ms"] = str(args.session_timeout_ms)
        c = HarnessCluster(impl, tmp, settings)
    try:
        out = {"impl": impl, "start_s": c.start()}
        prod = run_produce(c.bootstrap, args.records, args.record_size)
        out["produce"] = prod
        pids = [b.proc.pid for b in c.brokers.values() if b.is_running()]
        out["rss_mb"] = [rss_kb(pid) / 1024.0 for pid in pids]
        out["failover"] = run_failover(c)
        return out
    finally:
        c.close()


def fmt_table(results, args):
    def get(r, *path):
        v = r
        for k in path:
            v = v.get(k) if isinstance(v, dict) else None
        return v

    rows = [
        ("start, 3 brokers (s)", lambda r: r["start_s"], "%.2f", False),
        ("acks=all records/s", lambda r: get(r, "produce", "records_per_sec"), "%.0f", True),
        ("acks=all MiB/s", lambda r: get(r, "produce", "mb_per_sec"), "%.1f", True),
        ("acks=all p50 latency (ms)", lambda r: get(r, "produce", "latency_ms", "p50"), "%.1f", False),
        ("acks=all p99 latency (ms)", lambda r: get(r, "produce", "latency_ms", "p99"), "%.1f", False),
        ("failover: produce resumed after (s)", lambda r: r["failover"]["resumed_s"], "%.2f", False),
        ("failover: longest gap (s)", lambda r: r["failover"]["gap_s"], "%.2f", False),
        ("RSS per broker after the run (MB)", lambda r: max(r["rss_mb"]) if r["rss_mb"] else 0, "%.1f", False),
    ]
    impls = [r["impl"] for r in results]
    ref = next((r for r in results if r["impl"] == "kafka-kraft"), None)
    head = "| | " + " | ".join(impls) + (" | gregor / kafka-kraft |" if ref and "gregor" in impls else " |")
    lines = [head, "|---" * (len(impls) + 1 + (1 if ref and "gregor" in impls else 0)) + "|"]
    g = next((r for r in results if r["impl"] == "gregor"), None)
    for name, fn, f, _higher in rows:
        vals = []
        for r in results:
            try:
                v = fn(r)
                vals.append(f % v if v is not None else "n/a")
            except Exception:
                vals.append("n/a")
        line = "| %s | %s |" % (name, " | ".join(vals))
        if ref and g:
            try:
                line += " %.2f |" % (fn(g) / fn(ref))
            except Exception:
                line += " n/a |"
        lines.append(line)
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--impls", default="gregor,kafka-kraft")
    ap.add_argument("--records", type=int, default=500000)
    ap.add_argument("--record-size", type=int, default=100)
    ap.add_argument("--session-timeout-ms", type=int, default=6000)
    ap.add_argument("--append", action="store_true", help="append the table to docs/benchmarks.md")
    args = ap.parse_args()
    results = []
    for impl in args.impls.split(","):
        tmp = tempfile.mkdtemp(prefix="gregor-bench-cluster-")
        try:
            print("== %s" % impl, file=sys.stderr, flush=True)
            r = measure(impl.strip(), args, tmp)
            print(json.dumps(r), file=sys.stderr, flush=True)
            results.append(r)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    table = fmt_table(results, args)
    cmd = "bench/cluster.py --impls %s --records %d --record-size %d --session-timeout-ms %d" % (
        args.impls, args.records, args.record_size, args.session_timeout_ms)
    text = ("\n## Three brokers: replicated produce and failover (%s)\n\n`%s` on one machine (%d cores); "
            "replication factor 3, min.insync.replicas=2, acks=all, idempotent producer, 6 partitions; "
            "failure detection %d ms for every implementation.\n\n%s\n" % (
                datetime.date.today().isoformat(), cmd, os.cpu_count() or 0, args.session_timeout_ms, table))
    print(text)
    if args.append:
        with open(ROOT / "docs" / "benchmarks.md", "a") as f:
            f.write(text)


if __name__ == "__main__":
    main()
