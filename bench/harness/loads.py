"""The loads: each function runs one bounded client process and returns its numbers as a dict.

Clients: `gregor perf produce|consume` (librdkafka), Apache Kafka's own kafka-producer-perf-test
and kafka-consumer-perf-test (the Java client), bench/e2e_latency.py (produce -> consume round
trips) and bench/disk_sync.py (the disk's fdatasync bandwidth). Every process gets a deadline
and is killed with its whole process group when it passes it.
"""

import json
import os
import re
import signal
import subprocess
import time

MIN_RATE_RECORDS_PER_S = 2000  # deadlines assume at least this rate, plus a fixed allowance
DEADLINE_ALLOWANCE_S = 90


class LoadError(RuntimeError):
    pass


def deadline_for(records, allowance_s=DEADLINE_ALLOWANCE_S):
    return allowance_s + records / MIN_RATE_RECORDS_PER_S


def run_bounded(cmd, timeout_s, env=None):
    """Runs cmd in its own process group; returns (rc, stdout, stderr). Kills the group at the deadline."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True, env=env, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise LoadError(f"timed out after {timeout_s:.0f}s: {' '.join(cmd)}\n{err[-2000:]}")
    return proc.returncode, out, err


def _last_json(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    return None


class Clients:
    def __init__(self, gregor_bin, kafka_script, python, bench_dir, kafka_env):
        self.gregor_bin, self.kafka_script, self.python = gregor_bin, kafka_script, python
        self.bench_dir, self.kafka_env = bench_dir, kafka_env

    # ---- topics ----------------------------------------------------------------------------

    def create_topic(self, bootstrap, topic, partitions):
        rc, out, err = run_bounded([self.gregor_bin, "topic", "create", topic, "--partitions", str(partitions),
                                    "--if-not-exists", "-b", bootstrap], 60)
        if rc != 0:
            raise LoadError(f"creating {topic} on {bootstrap}: {err.strip()}")

    def delete_topic(self, bootstrap, topic):
        run_bounded([self.gregor_bin, "topic", "delete", topic, "--if-exists", "-b", bootstrap], 60)

    # ---- gregor perf -----------------------------------------------------------------------

    def gregor_produce(self, bootstrap, topic, records, record_size, acks, partitions, producers, rate=-1,
                       props=()):
        cmd = [self.gregor_bin, "perf", "produce", topic, "-b", bootstrap, "--num-records", str(records),
               "--record-size", str(record_size), "--acks", acks, "--partitions", str(partitions),
               "--producers", str(producers), "--throughput", str(rate), "--json"]
        for p in props:
            cmd += ["-X", p]
        timeout = deadline_for(records) + (records / rate if rate > 0 else 0)
        rc, out, err = run_bounded(cmd, timeout)
        res = _last_json(out)
        if rc != 0 or not res or res.get("failed"):
            raise LoadError(f"gregor perf produce on {bootstrap} failed (rc {rc}): {err.strip()[-2000:]}")
        lat = res["latency_ms"]
        return {"records_per_s": res["records_per_sec"], "mb_per_s": res["mb_per_sec"], "p50_ms": lat["p50"],
                "p99_ms": lat["p99"], "p99_9_ms": lat["p99_9"], "records": res["records"]}

    def gregor_consume(self, bootstrap, topic, records):
        cmd = [self.gregor_bin, "perf", "consume", topic, "-b", bootstrap, "--num-records", str(records),
               "--timeout-ms", "20000", "--json"]
        rc, out, err = run_bounded(cmd, deadline_for(records))
        res = _last_json(out)
        if rc != 0 or not res or res["records"] < records:
            raise LoadError(f"gregor perf consume on {bootstrap} failed (rc {rc}): {err.strip()[-2000:]}")
        # Reading speed from the first record to the last: librdkafka's start (metadata, group
        # coordinator, offset lookups) sometimes waits for one of its 500 ms timers, which says
        # nothing about the server. The tool's own figure, start included, is kept alongside.
        first_s = (res.get("time_to_first_record_ms") or 0) / 1000.0
        steady_s = res["elapsed_s"] - first_s
        if steady_s <= 0:
            steady_s = res["elapsed_s"]
        return {"records_per_s": res["records"] / steady_s, "mb_per_s": res["bytes"] / (1024 * 1024) / steady_s,
                "records": res["records"], "first_record_ms": res.get("time_to_first_record_ms"),
                "mb_per_s_with_start": res["mb_per_sec"]}

    # ---- Apache Kafka's perf tools ---------------------------------------------------------

    _PRODUCER_FINAL = re.compile(
        r"(\d+) (?:steady state )?records sent, ([\d.]+) records/sec \(([\d.]+) MB/sec\), ([\d.]+) ms avg latency, "
        r"([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99.9th")

    def kafka_produce(self, bootstrap, topic, records, record_size, acks, rate=-1, props=()):
        """Kafka's producer perf tool. The first fifth of the records warm the JVM up and are left
        out: the tool's "steady state" line (printed last) is the one parsed."""
        # props are "key=value" producer settings; they share one --command-property with acks
        # (a repeated flag would replace the earlier list).
        cmd = [self.kafka_script, "tool", "kafka-producer-perf-test", "--bootstrap-server", bootstrap,
               "--topic", topic, "--num-records", str(records), "--record-size", str(record_size),
               "--throughput", str(rate), "--warmup-records", str(records // 5),
               "--command-property", f"acks={acks}", *props]
        timeout = deadline_for(records) + (records / rate if rate > 0 else 0)
        rc, out, err = run_bounded(cmd, timeout, env=self.kafka_env)
        m = None
        for line in out.splitlines():
            m = self._PRODUCER_FINAL.search(line) or m
        if rc != 0 or not m:
            raise LoadError(f"kafka-producer-perf-test on {bootstrap} failed (rc {rc}): {(out + err)[-2000:]}")
        return {"records_per_s": float(m.group(2)), "mb_per_s": float(m.group(3)), "p50_ms": float(m.group(6)),
                "p99_ms": float(m.group(8)), "p99_9_ms": float(m.group(9)), "records": int(m.group(1))}

    def kafka_consume(self, bootstrap, topic, records, group):
        cmd = [self.kafka_script, "tool", "kafka-consumer-perf-test", "--bootstrap-server", bootstrap,
               "--topic", topic, "--num-records", str(records), "--group", group, "--timeout", "20000"]
        rc, out, err = run_bounded(cmd, deadline_for(records), env=self.kafka_env)
        # Header: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
        #         rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
        rows = [line.split(", ") for line in out.splitlines() if line.count(", ") >= 9 and "start.time" not in line]
        if rc != 0 or not rows:
            raise LoadError(f"kafka-consumer-perf-test on {bootstrap} failed (rc {rc}): {(out + err)[-2000:]}")
        f = rows[-1]
        consumed = int(f[4])
        if consumed < records:
            raise LoadError(f"kafka-consumer-perf-test on {bootstrap} read {consumed} of {records} records")
        # fetch.* leave out the group join, which is the rebalance delay rather than reading speed.
        return {"records_per_s": float(f[9]), "mb_per_s": float(f[8]), "records": consumed,
                "rebalance_ms": float(f[6])}

    # ---- bench tools -----------------------------------------------------------------------

    def e2e(self, bootstrap, topic, count, record_size, acks):
        cmd = [self.python, os.path.join(self.bench_dir, "e2e_latency.py"), "--bootstrap", bootstrap,
               "--topic", topic, "--count", str(count), "--record-size", str(record_size), "--acks", acks]
        rc, out, err = run_bounded(cmd, DEADLINE_ALLOWANCE_S + count * 0.05)
        res = _last_json(out)
        if rc != 0 or not res:
            raise LoadError(f"e2e_latency on {bootstrap} failed (rc {rc}): {err.strip()[-2000:]}")
        return res

    def disk_sync(self, directory, total_mb, chunk_kb):
        cmd = [self.python, os.path.join(self.bench_dir, "disk_sync.py"), "--dir", directory,
               "--total-mb", str(total_mb), "--chunk-kb", str(chunk_kb)]
        rc, out, err = run_bounded(cmd, 600)
        res = _last_json(out)
        if rc != 0 or not res:
            raise LoadError(f"disk_sync failed (rc {rc}): {err.strip()[-2000:]}")
        return res


def pause(seconds):
    """Lets the page cache writeback and the brokers' background work settle between loads."""
    time.sleep(seconds)
