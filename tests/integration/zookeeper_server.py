"""A ZooKeeper server (Debian's `zookeeper` package) owned by one test.

Standalone mode on a free loopback port with a fresh data dir; the admin HTTP server is off so
nothing else binds. Ready when it answers the `ruok` four-letter command with `imok`. Its output
goes to zookeeper.log beside the data dir.
"""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import helpers

ZOOKEEPER_JAR = Path("/usr/share/java/zookeeper.jar")
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
PROBE_TIMEOUT_S = 1.0


def available():
    """Why a ZooKeeper server cannot be started here, or None when it can."""
    if not ZOOKEEPER_JAR.exists():
        return "%s missing (Debian package zookeeper)" % ZOOKEEPER_JAR
    if not shutil.which("java"):
        return "java missing"
    return None


def four_letter(host, port, word):
    """Sends a four-letter command; returns the answer, or '' when nothing answers."""
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S) as s:
            s.sendall(word.encode())
            s.shutdown(socket.SHUT_WR)
            chunks = []
            for _ in range(64):
                data = s.recv(4096)
                if not data:
                    break
                chunks.append(data)
            return b"".join(chunks).decode("utf-8", "replace")
    except OSError:
        return ""


class ZooKeeperServer:
    """port: a fixed port (benchmarks keep theirs below the ephemeral range), else a free one."""

    def __init__(self, tmp_dir, port=None):
        self.dir = Path(tmp_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.host = "127.0.0.1"
        self.port = port or helpers.free_port(self.host)
        self.connect = "%s:%d" % (self.host, self.port)
        self.log_path = self.dir / "zookeeper.log"
        self.proc = None

    def start(self):
        data = self.dir / "data"
        data.mkdir(exist_ok=True)
        cfg = self.dir / "zoo.cfg"
        cfg.write_text("\n".join([
            "tickTime=500",
            "dataDir=%s" % data,
            "clientPort=%d" % self.port,
            "clientPortAddress=%s" % self.host,
            "admin.enableServer=false",
            "4lw.commands.whitelist=ruok,srvr",
            "maxClientCnxns=0",
            "",
        ]))
        cmd = ["java", "-Xmx256m", "-cp", str(ZOOKEEPER_JAR),
               "org.apache.zookeeper.server.ZooKeeperServerMain", str(cfg)]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         cwd=str(self.dir), env=dict(os.environ), start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if four_letter(self.host, self.port, "ruok") == "imok":
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("ZooKeeper did not start on %s:\n%s" % (self.connect, self.log_tail()))

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_S)

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def log_tail(self, limit=8000):
        try:
            return self.log_path.read_text(errors="replace")[-limit:]
        except OSError:
            return ""
