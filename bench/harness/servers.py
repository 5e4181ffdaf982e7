"""The three servers a benchmark run talks to: Gregor, Apache Kafka and the do-nothing sink.

Each knows how to start (measuring the time to its first answered request), where its process
is (for /proc memory readings) and how to stop. Every pid started here is also written to a
pid directory so bench/run's EXIT trap can stop whatever an interrupted run leaves behind.
"""

import os
import signal
import subprocess
import threading
import time

from . import probe

HOST = "127.0.0.1"
GREGOR_START_TIMEOUT_S = 20
GREGOR_STOP_TIMEOUT_S = 20
KAFKA_START_TIMEOUT_S = 120
KAFKA_STOP_TIMEOUT_S = 60
SINK_START_TIMEOUT_S = 10
MEMORY_SAMPLE_INTERVAL_S = 0.2

# The settings scripts/apache-kafka gives the reference broker, mirrored so both run alike.
GREGOR_MIRRORED_SETTINGS = [
    "num.partitions=1",
    "offsets.topic.num.partitions=1",
    "group.initial.rebalance.delay.ms=0",
]


def read_memory_kb(pid):
    """VmRSS and VmHWM of a process in kB (None when it is gone)."""
    out = {"rss_kb": None, "hwm_kb": None}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    out["rss_kb"] = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    out["hwm_kb"] = int(line.split()[1])
    except OSError:
        pass
    return out


def process_start_boottime_s(pid):
    """When a process was exec'd, in CLOCK_BOOTTIME seconds (resolution: one clock tick)."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22 of the whole line


def boottime():
    return time.clock_gettime(time.CLOCK_BOOTTIME)


class PidBook:
    """Pids this run started, one file each, for the shell trap of bench/run."""

    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)

    def add(self, pid):
        with open(os.path.join(self.directory, str(pid)), "w") as f:
            f.write(str(pid))

    def remove(self, pid):
        try:
            os.unlink(os.path.join(self.directory, str(pid)))
        except OSError:
            pass


def _terminate(proc, timeout_s):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout_s)


class Gregor:
    name = "gregor"

    def __init__(self, binary, port, data_dir, log_path, pids):
        self.binary, self.port, self.data_dir, self.log_path, self.pids = binary, port, data_dir, log_path, pids
        self.proc = None
        self.bootstrap = f"{HOST}:{port}"

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self):
        """Starts the broker; returns seconds from exec to the first answered ApiVersions."""
        os.makedirs(self.data_dir, exist_ok=True)
        cmd = [self.binary, "broker", "--override", f"listeners=PLAINTEXT://{HOST}:{self.port}",
               "--override", f"log.dirs={self.data_dir}"]
        for kv in GREGOR_MIRRORED_SETTINGS:
            cmd += ["--override", kv]
        log = open(self.log_path, "ab")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        log.close()
        self.pids.add(self.proc.pid)
        answered = probe.wait_first_answer(HOST, self.port, t0 + GREGOR_START_TIMEOUT_S,
                                           is_alive=lambda: self.proc.poll() is None)
        if answered is None:
            self.stop()
            raise RuntimeError(f"gregor did not answer on {self.bootstrap} (log: {self.log_path})")
        return answered - t0

    def stop(self):
        if self.proc:
            _terminate(self.proc, GREGOR_STOP_TIMEOUT_S)
            self.pids.remove(self.proc.pid)
            self.proc = None


class Kafka:
    name = "kafka"

    def __init__(self, script, port, log_path):
        self.script, self.port, self.log_path = script, port, log_path
        self.env = dict(os.environ, KAFKA_PORT=str(port))
        self.bootstrap = f"{HOST}:{port}"
        self.pid = None

    def _running_pid(self):
        out = subprocess.run([self.script, "status"], env=self.env, capture_output=True, text=True, timeout=30)
        if out.returncode != 0:
            return None
        # "running: pid N, bootstrap HOST:PORT, Kafka VERSION"
        return int(out.stdout.split("pid", 1)[1].split(",", 1)[0])

    def version(self):
        out = subprocess.run([self.script, "status"], env=self.env, capture_output=True, text=True, timeout=30)
        return out.stdout.rsplit("Kafka", 1)[-1].strip() if out.returncode == 0 else "?"

    def start(self):
        """Starts Kafka through scripts/apache-kafka (storage format excluded); returns seconds
        from the JVM's exec (its /proc start time) to the first answered ApiVersions."""
        if self._running_pid():
            raise RuntimeError(f"a Kafka already runs on port {self.port}; pick another with --kafka-port")
        log = open(self.log_path, "ab")
        starter = subprocess.Popen([self.script, "start"], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        answered = probe.wait_first_answer(HOST, self.port, boottime() + KAFKA_START_TIMEOUT_S, clock=boottime,
                                           is_alive=lambda: starter.poll() in (None, 0))
        try:
            starter.wait(timeout=KAFKA_START_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(starter.pid, signal.SIGKILL)
            starter.wait()
        self.pid = self._running_pid()
        if answered is None or self.pid is None or starter.returncode != 0:
            self.stop()
            raise RuntimeError(f"Kafka did not start on {self.bootstrap} (log: {self.log_path})")
        return answered - process_start_boottime_s(self.pid)

    def stop(self):
        subprocess.run([self.script, "stop"], env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=KAFKA_STOP_TIMEOUT_S + 30)
        self.pid = None


class Sink:
    name = "sink"

    def __init__(self, binary, record_size, max_seconds, pids):
        self.binary, self.record_size, self.max_seconds, self.pids = binary, record_size, max_seconds, pids
        self.proc = None
        self.bootstrap = None

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def start(self):
        self.proc = subprocess.Popen([self.binary, "--port", "0", "--record-size", str(self.record_size),
                                      "--max-seconds", str(int(self.max_seconds))],
                                     stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
                                     start_new_session=True)
        self.pids.add(self.proc.pid)
        timer = threading.Timer(SINK_START_TIMEOUT_S, self.proc.kill)
        timer.start()
        line = self.proc.stdout.readline()
        timer.cancel()
        if not line.startswith("port "):
            self.stop()
            raise RuntimeError("the sink did not start")
        self.bootstrap = f"{HOST}:{int(line.split()[1])}"

    def stop(self):
        if self.proc:
            _terminate(self.proc, 10)
            self.pids.remove(self.proc.pid)
            self.proc = None


class MemorySampler:
    """Largest VmRSS seen while a load runs, sampled on a background thread."""

    def __init__(self, pid):
        self.pid = pid
        self.max_rss_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(MEMORY_SAMPLE_INTERVAL_S):
            rss = read_memory_kb(self.pid)["rss_kb"]
            if rss:
                self.max_rss_kb = max(self.max_rss_kb, rss)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
