"""The facts a benchmark entry must carry to mean anything: machine, disk and versions."""

import ctypes
import os
import platform
import subprocess


def _run(cmd, cwd=None):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=cwd)
        return (out.stdout + out.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _mem_total_gib():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / (1024 * 1024), 1)
    except OSError:
        pass
    return None


def _disk(path):
    """Device, file system and whether the kernel calls it rotational."""
    line = _run(["df", "--output=source,fstype", path]).splitlines()
    source, fstype = (line[-1].split() + ["?", "?"])[:2] if line else ("?", "?")
    dev = os.path.basename(source)
    rotational = "?"
    for candidate in (dev, dev.rstrip("0123456789"), dev.rstrip("0123456789").rstrip("p")):
        p = f"/sys/block/{candidate}/queue/rotational"
        if os.path.exists(p):
            with open(p) as f:
                rotational = "rotational" if f.read().strip() == "1" else "non-rotational"
            break
    return f"{source} ({fstype}, {rotational})"


def _librdkafka_version():
    try:
        lib = ctypes.CDLL("librdkafka.so.1")
        lib.rd_kafka_version_str.restype = ctypes.c_char_p
        return lib.rd_kafka_version_str().decode()
    except (OSError, AttributeError):
        return "?"


def _gregor_version(root):
    commit = _run(["git", "rev-parse", "--short", "HEAD"], cwd=root) or "?"
    dirty = _run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root)
    return f"commit {commit}" + (" with uncommitted changes" if dirty else "")


def describe(args):
    py = _run([args.python, "-c", "import confluent_kafka as c; v = c.version(); "
                "print(v[0] if isinstance(v, tuple) else v, c.libversion()[0])"]).split()
    java = _run(["java", "-version"]).splitlines()
    return {
        "cpu": f"{os.cpu_count()} x {_cpu_model()}",
        "memory_gib": _mem_total_gib(),
        "disk": _disk(args.work_dir),
        "kernel": platform.release(),
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "kafka_heap": os.environ.get("KAFKA_HEAP", "512m"),
        "gregor": _gregor_version(args.root),
        "librdkafka": _librdkafka_version(),
        "java": java[0] if java else "?",
        "confluent_kafka": f"{py[0]} (librdkafka {py[1]})" if len(py) == 2 else "?",
    }
