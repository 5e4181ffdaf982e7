"""bench/run's engine: runs every measurement against Gregor, Apache Kafka and the sink in one
run, alternating between them row by row so that drift on a shared machine hits all of them,
then writes the raw numbers (JSON) and the ratio tables (Markdown).

Invoked by bench/run, which builds what is needed and passes the paths; see bench/run --help.
"""

import argparse
import json
import os
import signal
import socket
import sys
import time

from . import machine, report
from .loads import Clients, LoadError
from .plan import PLANS, PRODUCE_MATRIX, RECORD_SIZE_BYTES
from .servers import Gregor, Kafka, MemorySampler, PidBook, Sink, read_memory_kb

# Ports below the kernel's ephemeral range (32768+ by default), so that no client's source port
# can be one of them while the start-up probe polls it.
KAFKA_PORT_DEFAULT = 31592
GREGOR_PORTS = range(31600, 32700)
_next_port = [GREGOR_PORTS.start]


def free_port():
    for _ in range(len(GREGOR_PORTS)):
        port = _next_port[0]
        _next_port[0] = port + 1 if port + 1 < GREGOR_PORTS.stop else GREGOR_PORTS.start
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError(f"no free port in {GREGOR_PORTS.start}-{GREGOR_PORTS.stop - 1}")


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Run:
    def __init__(self, args, plan):
        self.args, self.plan = args, plan
        self.work = args.work_dir
        self.pids = PidBook(args.pid_dir)
        kafka_env = dict(os.environ, KAFKA_PORT=str(args.kafka_port))
        self.clients = Clients(args.gregor, args.kafka_script, args.python, args.bench_dir, kafka_env)
        self.results = []  # one dict per measurement (or failure)
        self.facts = {"startup_s": {"gregor": [], "kafka": []}, "memory": {}}
        self.deadline = time.monotonic() + plan["deadline_s"]
        self.gregor = self.kafka = self.sink = None
        self.seq = 0

    # ---- helpers ---------------------------------------------------------------------------

    def out_of_time(self):
        return time.monotonic() > self.deadline

    def settle(self):
        os.sync()  # the previous load's dirty pages are not written back during the next one
        time.sleep(self.plan["settle_s"])

    def topic(self, prefix):
        self.seq += 1
        return f"{prefix}-{self.seq}"

    def measure(self, kind, client, cfg, target, fn):
        rec = {"kind": kind, "client": client, "target": target, **cfg}
        if self.out_of_time():
            rec["error"] = "skipped: the run's deadline passed"
        else:
            try:
                rec.update(fn())
            except (LoadError, RuntimeError, OSError) as e:
                rec["error"] = str(e).strip().splitlines()[0][:300] if str(e).strip() else type(e).__name__
        self.results.append(rec)
        shown = {k: v for k, v in rec.items() if k in ("mb_per_s", "records_per_s", "p99_ms", "error")}
        log(f"{kind} {client} {cfg} {target}: {shown}")
        return rec

    def brokers(self):
        return [s for s in (self.gregor, self.kafka) if s]

    def targets(self):
        return [s for s in (self.gregor, self.kafka, self.sink) if s]

    # ---- sections --------------------------------------------------------------------------

    def disk(self):
        log("disk: fdatasync bandwidth")
        d = os.path.join(self.work, "disk")
        os.makedirs(d, exist_ok=True)
        for chunk_kb in (1024, 64):
            total = self.plan["disk_total_mb"] if chunk_kb == 1024 else max(16, self.plan["disk_total_mb"] // 8)
            rec = self.measure("disk", "disk_sync", {"chunk_kb": chunk_kb}, "disk",
                               lambda: self.clients.disk_sync(d, total, chunk_kb))
            self.facts.setdefault("disk", {})[chunk_kb] = rec

    def startup(self):
        """Gregor started and stopped repeatedly, Kafka too in the full plan, interleaved; the
        long-running instances' starts are samples as well. Gregor's data directory is created by
        one unmeasured start first, as Kafka's storage is formatted before its measured starts."""
        n = self.plan["gregor_starts"]
        k = self.plan["kafka_extra_starts"] if not self.args.no_kafka else 0
        data_dir = os.path.join(self.work, "startup-data")
        first = Gregor(self.args.gregor, free_port(), data_dir, os.path.join(self.work, "gregor-startup.log"), self.pids)
        try:
            first.start()
        finally:
            first.stop()
        for i in range(n):
            if self.out_of_time():
                break
            g = Gregor(self.args.gregor, free_port(), data_dir, os.path.join(self.work, "gregor-startup.log"),
                       self.pids)
            try:
                self.facts["startup_s"]["gregor"].append(g.start())
            except RuntimeError as e:
                log(f"startup: {e}")
            finally:
                g.stop()
            if i < k:
                kafka = Kafka(self.args.kafka_script, self.args.kafka_port, os.path.join(self.work, "kafka.log"))
                try:
                    self.facts["startup_s"]["kafka"].append(kafka.start())
                except RuntimeError as e:
                    log(f"startup: {e}")
                finally:
                    kafka.stop()
        log(f"startup: {self.facts['startup_s']}")

    def start_servers(self):
        self.gregor = Gregor(self.args.gregor, free_port(), os.path.join(self.work, "gregor-data"),
                             os.path.join(self.work, "gregor.log"), self.pids)
        self.gregor.start()  # a first start (it creates the data directory): not a start-up sample
        if not self.args.no_kafka:
            self.kafka = Kafka(self.args.kafka_script, self.args.kafka_port, os.path.join(self.work, "kafka.log"))
            try:
                self.facts["startup_s"]["kafka"].append(self.kafka.start())
            except RuntimeError as e:  # go on without it: Gregor against the sink still tells something
                self.kafka = None
                self.facts["kafka_failed"] = str(e)
                log(f"Kafka: {e}")
        self.sink = Sink(self.args.sink, RECORD_SIZE_BYTES, self.plan["deadline_s"] + 600, self.pids)
        self.sink.start()
        time.sleep(self.plan["idle_settle_s"])
        for s in self.brokers():
            self.facts["memory"][s.name] = {"idle": read_memory_kb(s.pid)}
        log(f"idle memory: {self.facts['memory']}")

    def produce(self):
        n, reps = self.plan["produce_records"], self.plan["produce_reps"]
        for acks, parts, prods in PRODUCE_MATRIX:
            cfg = {"acks": acks, "partitions": parts, "producers": prods}
            for _ in range(reps):
                for t in self.targets():
                    topic = self.topic(f"prod-{t.name}")
                    self.measure("produce", "gregor-perf", cfg, t.name,
                                 lambda: self.clients.gregor_produce(t.bootstrap, topic, n, RECORD_SIZE_BYTES, acks,
                                                                     parts, prods))
                    if t is not self.sink:
                        self.clients.delete_topic(t.bootstrap, topic)
                    self.settle()
        if self.args.no_java:
            return
        # Kafka's producer perf tool drives one producer per process: the 1-producer rows only.
        for acks, parts, prods in PRODUCE_MATRIX:
            if prods != 1:
                continue
            cfg = {"acks": acks, "partitions": parts, "producers": prods}
            for _ in range(reps):
                for t in self.brokers():
                    topic = self.topic(f"jprod-{t.name}")

                    def run(t=t, topic=topic):
                        self.clients.create_topic(t.bootstrap, topic, parts)
                        return self.clients.kafka_produce(t.bootstrap, topic, n, RECORD_SIZE_BYTES, acks)

                    self.measure("produce", "kafka-perf", cfg, t.name, run)
                    self.clients.delete_topic(t.bootstrap, topic)
                    self.settle()

    def latency(self):
        """Latency where the broker, not the client's queue, decides it: a fixed rate well below
        saturation and no lingering in the client."""
        rate, n = self.plan["latency_rate_per_s"], self.plan["latency_records"]
        for acks in ("1", "all"):
            cfg = {"acks": acks, "partitions": 1, "producers": 1, "rate_per_s": rate}
            for t in self.targets():
                topic = self.topic(f"lat-{t.name}")
                self.measure("latency", "gregor-perf", cfg, t.name,
                             lambda: self.clients.gregor_produce(t.bootstrap, topic, n, RECORD_SIZE_BYTES, acks, 1, 1,
                                                                 rate=rate, props=["linger.ms=0"]))
                if t is not self.sink:
                    self.clients.delete_topic(t.bootstrap, topic)
                self.settle()
            if self.args.no_java:
                continue
            for t in self.brokers():
                topic = self.topic(f"jlat-{t.name}")

                def run(t=t, topic=topic):
                    self.clients.create_topic(t.bootstrap, topic, 1)
                    return self.clients.kafka_produce(t.bootstrap, topic, n, RECORD_SIZE_BYTES, acks, rate=rate,
                                                      props=["linger.ms=0"])

                self.measure("latency", "kafka-perf", cfg, t.name, run)
                self.clients.delete_topic(t.bootstrap, topic)
                self.settle()

    def consume(self):
        n, reps = self.plan["consume_records"], self.plan["consume_reps"]
        for parts in (1, 16):
            cfg = {"partitions": parts}
            topics = {}
            for t in self.targets():
                topics[t.name] = self.topic(f"cons-{t.name}")
                try:
                    if t is self.sink:  # the sink serves any offset from memory: the topic need only exist
                        self.clients.create_topic(t.bootstrap, topics[t.name], parts)
                    else:
                        self.clients.gregor_produce(t.bootstrap, topics[t.name], n, RECORD_SIZE_BYTES, "1", parts, 1)
                except LoadError as e:
                    log(f"consume: filling {topics[t.name]} on {t.name} failed: {e}")
                self.settle()
            for _ in range(reps):
                for t in self.targets():
                    self.measure("consume", "gregor-perf", cfg, t.name,
                                 lambda: self.clients.gregor_consume(t.bootstrap, topics[t.name], n))
                    self.settle()
            if not self.args.no_java:
                for rep in range(reps):
                    for t in self.brokers():
                        group = f"bench-{self.seq}-{parts}-{rep}-{t.name}"
                        self.measure("consume", "kafka-perf", cfg, t.name,
                                     lambda: self.clients.kafka_consume(t.bootstrap, topics[t.name], n, group))
                        self.settle()
            for t in self.brokers():
                self.clients.delete_topic(t.bootstrap, topics[t.name])

    def e2e(self):
        count = self.plan["e2e_count"]
        for acks in ("1", "all"):
            for t in self.brokers():
                topic = self.topic(f"e2e-{t.name}")
                self.measure("e2e", "e2e_latency", {"acks": acks}, t.name,
                             lambda: self.clients.e2e(t.bootstrap, topic, count, RECORD_SIZE_BYTES, acks))
                self.clients.delete_topic(t.bootstrap, topic)
                self.settle()

    def loads(self):
        samplers = [MemorySampler(s.pid) for s in self.brokers()]
        for m in samplers:
            m.__enter__()
        try:
            sections = [("produce", self.produce), ("latency", self.latency), ("consume", self.consume),
                        ("e2e", self.e2e)]
            for name, fn in sections:
                if self.args.only and name not in self.args.only:
                    continue
                log(f"section {name}")
                fn()
        finally:
            for m in samplers:
                m.__exit__(None, None, None)
            for s, m in zip(self.brokers(), samplers):
                mem = read_memory_kb(s.pid)
                self.facts["memory"].setdefault(s.name, {})["loaded"] = {"max_rss_kb": m.max_rss_kb,
                                                                         "hwm_kb": mem["hwm_kb"],
                                                                         "rss_after_kb": mem["rss_kb"]}

    def stop_all(self):
        for s in (self.sink, self.gregor, self.kafka):
            if s:
                try:
                    s.stop()
                except Exception as e:  # keep stopping the others
                    log(f"stopping {s.name}: {e}")


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="bench/run", description="Gregor vs Apache Kafka vs a do-nothing sink.")
    ap.add_argument("--quick", action="store_true", help="small counts (about 3 minutes)")
    ap.add_argument("--append", dest="append", action="store_true", default=None,
                    help="append the tables to docs/benchmarks.md (the default for a full run)")
    ap.add_argument("--no-append", dest="append", action="store_false", help="only print the tables")
    ap.add_argument("--kafka-port", type=int, default=int(os.environ.get("BENCH_KAFKA_PORT", KAFKA_PORT_DEFAULT)))
    ap.add_argument("--no-kafka", action="store_true", help="leave Apache Kafka out (harness checks)")
    ap.add_argument("--no-java", action="store_true", help="leave Kafka's Java perf tools out")
    ap.add_argument("--only", action="append", choices=["produce", "latency", "consume", "e2e"],
                    help="run only this load section (repeatable); disk, start-up and memory always run")
    # Paths, passed by bench/run.
    for name in ("root", "gregor", "sink", "kafka-script", "python", "bench-dir", "work-dir", "pid-dir", "doc"):
        ap.add_argument(f"--{name}", required=True, help=argparse.SUPPRESS)
    ap.add_argument("--command", required=True, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    mode = "quick" if args.quick else "full"
    plan = PLANS[mode]
    append = args.append if args.append is not None else mode == "full"
    os.makedirs(args.work_dir, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    started = time.time()
    run = Run(args, plan)
    info = machine.describe(args)
    log(f"{mode} run; work directory {args.work_dir}")
    failed = None
    try:
        run.disk()
        run.startup()
        run.start_servers()
        info["kafka"] = run.kafka.version() if run.kafka else "not run"
        run.loads()
    except (RuntimeError, LoadError) as e:
        failed = str(e)
        log(f"run stopped: {e}")
    finally:
        run.stop_all()
    data = {"mode": mode, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)),
            "duration_s": round(time.time() - started, 1), "command": args.command, "machine": info,
            "plan": plan, "facts": run.facts, "results": run.results, "failed": failed}
    with open(os.path.join(args.work_dir, "results.json"), "w") as f:
        json.dump(data, f, indent=1, default=str)
    md = report.render(data)
    print(md)
    if append:
        report.append(args.doc, md)
        log(f"appended to {args.doc}")
    log(f"raw results: {os.path.join(args.work_dir, 'results.json')}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
