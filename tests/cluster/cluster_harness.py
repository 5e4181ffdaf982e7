"""A replicated cluster for tests: one ZooKeeper server and N brokers on free loopback ports.

The broker implementation is chosen by GREGOR_CLUSTER_IMPL:
  gregor    (default) `build/gregor broker FILE` (GREGOR_BIN selects another binary)
  kafka-zk  Apache Kafka 3.9 in ZooKeeper mode (the last line of Kafka that has it), fetched from
            Maven Central by scripts/apache-kafka into .cache; this is how the cluster tests prove
            they test Kafka's behaviour.
Every broker gets a server.properties that sets only broker.id, listeners, log.dirs and
zookeeper.connect, plus the settings a test asks for. ZooKeeper is Debian's `zookeeper` package.
Kafka's own command-line tools (same 3.9 jars) are run against either implementation.

Everything here is bounded: each wait has a deadline, each process is stopped by close().
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

import helpers  # noqa: E402
import kafkawire  # noqa: E402

IMPL = os.environ.get("GREGOR_CLUSTER_IMPL", "gregor").strip() or "gregor"
IMPLS = ("gregor", "kafka-zk")
KAFKA_ZK_VERSION = os.environ.get("KAFKA_ZK_VERSION", "3.9.1")
KAFKA_LIBS = ROOT / ".cache" / "apache-kafka" / KAFKA_ZK_VERSION / "libs"
KAFKA_HEAP = os.environ.get("KAFKA_ZK_HEAP", "384m")
LOG4J1_CONFIG = HERE / "log4j.properties"
LOG4J2_CONFIG = ROOT / "scripts" / "apache-kafka-deps" / "log4j2.properties"

ZK_JAR = Path("/usr/share/java/zookeeper.jar")  # Debian's; its manifest names its dependencies
ZK_LOG_BINDING = Path("/usr/share/java/slf4j-simple.jar")
ZK_START_TIMEOUT_S = 30.0
BROKER_START_TIMEOUT_S = 90.0 if IMPL == "kafka-zk" else 30.0
BROKER_STOP_TIMEOUT_S = 45.0
LOG_TAIL_BYTES = 32 * 1024

# Kafka's CLI tools (3.9 class names) for kafka_tool().
KAFKA_TOOL_CLASSES = {
    "kafka-topics": "org.apache.kafka.tools.TopicCommand",
    "kafka-console-producer": "kafka.tools.ConsoleProducer",
    "kafka-console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "kafka-consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "kafka-reassign-partitions": "org.apache.kafka.tools.reassign.ReassignPartitionsCommand",
    "kafka-leader-election": "org.apache.kafka.tools.LeaderElectionCommand",
    "kafka-configs": "kafka.admin.ConfigCommand",
}
KAFKA_TOOL_TIMEOUT_S = 120.0


def zookeeper_available():
    return ZK_JAR.exists() and shutil.which("java") is not None


def wait_for(condition, timeout_s, what, interval_s=0.1):
    """condition() until truthy (returned) or AssertionError naming `what` at the deadline."""
    return helpers.wait_until(condition, timeout_s, interval_s, what)


def _log_tail(path):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return ""
    if len(text) > LOG_TAIL_BYTES:
        text = "...\n" + text[-LOG_TAIL_BYTES:]
    return text


def _stop_process(proc, timeout_s, sig=signal.SIGTERM):
    """Signal (resuming it first if paused), wait, SIGKILL past the deadline. Returns the code."""
    if proc is None or proc.poll() is not None:
        return None if proc is None else proc.returncode
    try:
        proc.send_signal(signal.SIGCONT)
        proc.send_signal(sig)
        proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)
    except ProcessLookupError:
        pass
    return proc.returncode


class Pausable:
    """SIGSTOP/SIGCONT of `self.proc`: a stopped process keeps its sockets open but answers
    nothing, which is how a long GC pause or a frozen VM looks to its peers."""

    proc = None
    paused = False

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)
        self.paused = False


# -- ZooKeeper ------------------------------------------------------------------------------------


class ZooKeeperServer(Pausable):
    """A standalone ZooKeeper (Debian's jar) on a free port with its own data dir."""

    def __init__(self, tmp_dir, tick_ms=500):
        self.dir = Path(tmp_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = helpers.free_port()
        self.connect = "127.0.0.1:%d" % self.port
        self.tick_ms = tick_ms
        self.log_path = self.dir / "zookeeper.log"
        self.proc = None
        self.paused = False
        self._clients = []

    def _write_config(self):
        cfg = self.dir / "zoo.cfg"
        (self.dir / "data").mkdir(exist_ok=True)
        # Session timeouts a test may ask for: 2 ticks to 120 ticks (1 s .. 60 s at 500 ms).
        cfg.write_text("\n".join([
            "tickTime=%d" % self.tick_ms,
            "dataDir=%s" % (self.dir / "data"),
            "clientPortAddress=127.0.0.1",
            "clientPort=%d" % self.port,
            "minSessionTimeout=%d" % (2 * self.tick_ms),
            "maxSessionTimeout=%d" % (120 * self.tick_ms),
            "maxClientCnxns=0",
            "admin.enableServer=false",
            "4lw.commands.whitelist=ruok,srvr,stat",
            "",
        ]))
        return cfg

    def start(self):
        cfg = self._write_config()
        cp = str(ZK_JAR)
        if ZK_LOG_BINDING.exists():
            cp += ":" + str(ZK_LOG_BINDING)
        cmd = ["java", "-Xmx128m", "-Xms32m", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
               "-Dzookeeper.admin.enableServer=false", "-cp", cp,
               "org.apache.zookeeper.server.ZooKeeperServerMain", str(cfg)]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, cwd=str(self.dir),
                                         start_new_session=True)
        try:
            wait_for(lambda: self.proc.poll() is None and self.four_letter("ruok") == "imok",
                     ZK_START_TIMEOUT_S, "ZooKeeper to answer ruok on %s" % self.connect, 0.2)
            self.client().exists("/")  # a real session, not only a listening socket
        except Exception:
            self.stop()
            raise AssertionError("ZooKeeper did not start on %s\n%s" % (
                self.connect, _log_tail(self.log_path)))
        return self

    def four_letter(self, word, timeout_s=2.0):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout_s) as s:
                s.sendall(word.encode())
                chunks = []
                while True:
                    b = s.recv(4096)
                    if not b:
                        break
                    chunks.append(b)
                return b"".join(chunks).decode(errors="replace")
        except OSError:
            return ""

    def client(self, timeout_s=15.0):
        """A started kazoo client (closed by stop())."""
        from kazoo.client import KazooClient

        c = KazooClient(hosts=self.connect, timeout=timeout_s)
        c.start(timeout=timeout_s)
        self._clients.append(c)
        return c

    def stop(self):
        for c in self._clients:
            try:
                c.stop()
                c.close()
            except Exception:  # noqa: BLE001 - teardown goes on
                pass
        self._clients = []
        _stop_process(self.proc, 20.0)

    def log_tail(self):
        return "---- zookeeper %s ----\n%s" % (self.connect, _log_tail(self.log_path))


# -- brokers --------------------------------------------------------------------------------------


def gregor_bin():
    return Path(os.environ.get("GREGOR_BIN") or ROOT / "build" / "gregor")


def ensure_kafka_libs():
    """Fetch Kafka (ZooKeeper-mode line) once into .cache; shared by brokers and CLI tools."""
    if (KAFKA_LIBS / ".complete").exists():
        return KAFKA_LIBS
    env = dict(os.environ, KAFKA_VERSION=KAFKA_ZK_VERSION)
    r = subprocess.run([str(ROOT / "scripts" / "apache-kafka"), "fetch"], env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        raise AssertionError("could not fetch Kafka %s: %s" % (KAFKA_ZK_VERSION, r.stderr[-3000:]))
    return KAFKA_LIBS


def java_command(main_class, args, heap="256m", log_level="WARN"):
    """A JVM running `main_class` from the Kafka jars (two log bindings ship there: both set)."""
    return ["java", "-Xmx%s" % heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Djava.awt.headless=true", "-Dkafka.log.level=%s" % log_level,
            "-Dlog4j.configuration=file:%s" % LOG4J1_CONFIG,
            "-Dlog4j2.configurationFile=%s" % LOG4J2_CONFIG,
            "-cp", "%s/*" % ensure_kafka_libs(), main_class] + [str(a) for a in args]


class ClusterBroker(Pausable):
    """One broker process of a cluster: start, stop, kill, pause, resume, restart."""

    def __init__(self, cluster, broker_id, port):
        self.cluster = cluster
        self.id = broker_id
        self.port = port
        self.host = "127.0.0.1"
        self.bootstrap = "%s:%d" % (self.host, port)
        self.dir = cluster.dir / ("broker%d" % broker_id)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log_dir = cluster.dir / "data" / str(broker_id)
        self.props_path = self.dir / "server.properties"
        self.log_path = self.dir / "broker.log"
        self.proc = None
        self.paused = False

    def properties(self):
        props = {
            "broker.id": str(self.id),
            "listeners": "PLAINTEXT://%s" % self.bootstrap,
            "log.dirs": str(self.log_dir),
            "zookeeper.connect": self.cluster.zk.connect + self.cluster.chroot,
        }
        props.update({k: str(v) for k, v in self.cluster.settings.items()})
        return props

    def command(self):
        if self.cluster.impl == "kafka-zk":
            return java_command("kafka.Kafka", [self.props_path], heap=KAFKA_HEAP, log_level="INFO")
        return [str(gregor_bin()), "broker", str(self.props_path)]

    def launch(self):
        """Start the process without waiting (see wait_ready)."""
        if self.is_running():
            raise RuntimeError("broker %d already running" % self.id)
        self.props_path.write_text("".join("%s=%s\n" % kv for kv in self.properties().items()))
        cmd = self.command()
        with open(self.log_path, "ab") as log:
            log.write(("\n==== start %s ====\n" % " ".join(cmd)).encode())
            log.flush()
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, cwd=str(self.dir),
                                         start_new_session=True)
        self.paused = False

    def wait_ready(self, timeout_s=BROKER_START_TIMEOUT_S):
        """Answers ApiVersions and is registered in ZooKeeper."""
        deadline = time.monotonic() + timeout_s
        ok = kafkawire.wait_ready(self.bootstrap, timeout_s, alive=self.is_running,
                                  require_metadata=False)
        if ok:
            try:
                self.cluster.wait_registered([self.id], max(1.0, deadline - time.monotonic()))
            except AssertionError:
                ok = False
        if not ok:
            raise AssertionError("broker %d (%s) not ready within %.0fs (%s)\n%s" % (
                self.id, self.bootstrap, timeout_s,
                "running" if self.is_running() else "exit code %s" % self.proc.poll(),
                self.log_tail()))
        return self

    def start(self, timeout_s=BROKER_START_TIMEOUT_S):
        self.launch()
        return self.wait_ready(timeout_s)

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        if self.is_running():
            self.proc.kill()
            self.proc.wait(BROKER_STOP_TIMEOUT_S)
        self.paused = False

    def terminate(self, timeout_s=BROKER_STOP_TIMEOUT_S):
        """SIGTERM (controlled shutdown) and wait for the exit; returns the exit code."""
        if not self.is_running():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise AssertionError("broker %d ignored SIGTERM for %.0fs\n%s" % (
                self.id, timeout_s, self.log_tail()))
        return self.proc.returncode

    def restart(self, timeout_s=BROKER_START_TIMEOUT_S):
        self.terminate()
        return self.start(timeout_s)

    def close(self):
        _stop_process(self.proc, BROKER_STOP_TIMEOUT_S)
        self.paused = False

    def log_tail(self):
        return "---- broker %d (%s) ----\n%s" % (self.id, self.bootstrap, _log_tail(self.log_path))


SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


class Cluster:
    """N brokers (ids 0..N-1) sharing one ZooKeeper, plus the assertions tests make on them."""

    def __init__(self, zk, tmp_dir, size=3, settings=None, impl=IMPL, chroot=""):
        if impl not in IMPLS:
            raise AssertionError("GREGOR_CLUSTER_IMPL=%r: expected one of %s" % (impl, IMPLS))
        self.impl = impl
        self.zk = zk
        self.dir = Path(tmp_dir)
        self.settings = dict(settings or {})
        self.chroot = chroot
        self.brokers = {}
        for broker_id in range(size):
            self.brokers[broker_id] = ClusterBroker(self, broker_id, helpers.free_port())
        self._zk_client = None
        self._admins = []

    @property
    def bootstrap(self):
        return ",".join(b.bootstrap for b in self.brokers.values())

    def live_bootstrap(self):
        return ",".join(b.bootstrap for b in self.brokers.values() if b.is_running() and not b.paused)

    def start(self):
        for b in self.brokers.values():  # all at once: a broker does not wait for the others
            b.launch()
        for b in self.brokers.values():
            b.wait_ready()
        self.wait_brokers_seen()
        return self

    def wait_brokers_seen(self, timeout_s=60.0):
        """Until every broker's Metadata lists all brokers: a topic created before the controller
        has seen them all would get too few replicas (as Kafka answers too)."""
        want = set(self.brokers)

        def seen_by(admin):
            try:
                return set(admin.list_topics(timeout=5).brokers) >= want
            except Exception:  # noqa: BLE001 - not answering yet: try again
                return False

        for b in self.brokers.values():
            admin = self.admin(b.bootstrap)
            wait_for(lambda: seen_by(admin), timeout_s, "broker %d to see brokers %s" % (b.id, sorted(want)), 0.2)

    def close(self):
        for admin in self._admins:
            del admin
        self._admins = []
        for b in self.brokers.values():
            b.close()
        self.check_sanitizer_reports()

    def check_sanitizer_reports(self):
        """A broker built with sanitizers (GREGOR_BIN=build-asan/gregor) reports memory errors and
        undefined behaviour in its log even when the test passed: those fail the test."""
        for b in self.brokers.values():
            try:
                text = Path(b.log_path).read_text(errors="replace")
            except OSError:
                continue
            for marker in SANITIZER_MARKERS:
                at = text.find(marker)
                if at >= 0:
                    raise AssertionError("broker %d: %s\n%s" % (b.id, marker, text[at:at + 6000]))

    def log_tails(self):
        return "\n".join(b.log_tail() for b in self.brokers.values())

    # -- ZooKeeper view -------------------------------------------------------------------------

    @property
    def zkc(self):
        if self._zk_client is None:
            self._zk_client = self.zk.client()
            if self.chroot:
                self._zk_client.chroot = self.chroot
        return self._zk_client

    def zk_json(self, path):
        """(parsed JSON, ZnodeStat) of a znode, or (None, None) if it does not exist."""
        from kazoo.exceptions import NoNodeError

        try:
            data, stat = self.zkc.get(path)
        except NoNodeError:
            return None, None
        return (json.loads(data.decode()) if data else None), stat

    def registered_ids(self):
        from kazoo.exceptions import NoNodeError

        try:
            return {int(x) for x in self.zkc.get_children("/brokers/ids")}
        except NoNodeError:
            return set()

    def wait_registered(self, ids, timeout_s=60.0):
        ids = set(ids)
        return wait_for(lambda: ids <= self.registered_ids(), timeout_s,
                        "brokers %s registered under /brokers/ids" % sorted(ids))

    def wait_unregistered(self, broker_id, timeout_s=60.0):
        return wait_for(lambda: broker_id not in self.registered_ids(), timeout_s,
                        "broker %d gone from /brokers/ids" % broker_id)

    def controller_id(self):
        data, _ = self.zk_json("/controller")
        return None if data is None else data.get("brokerid")

    def partition_state(self, topic, partition):
        """The state znode: {'leader', 'leader_epoch', 'isr', 'controller_epoch', 'version'}."""
        data, _ = self.zk_json("/brokers/topics/%s/partitions/%d/state" % (topic, partition))
        return data

    def assignment(self, topic):
        """{partition: [replica ids]} from /brokers/topics/T."""
        data, _ = self.zk_json("/brokers/topics/%s" % topic)
        if data is None:
            return None
        return {int(p): r for p, r in data["partitions"].items()}

    def zk_leader(self, topic, partition):
        s = self.partition_state(topic, partition)
        return None if s is None else s["leader"]

    def broker(self, broker_id):
        return self.brokers[broker_id]

    def leader_broker(self, topic, partition):
        return self.brokers[self.zk_leader(topic, partition)]

    def followers(self, topic, partition):
        s = self.partition_state(topic, partition)
        return [self.brokers[i] for i in s["isr"] if i != s["leader"]]

    # -- client view ----------------------------------------------------------------------------

    def admin(self, bootstrap=None):
        from confluent_kafka.admin import AdminClient

        a = AdminClient({"bootstrap.servers": bootstrap or self.bootstrap,
                         "socket.connection.setup.timeout.ms": 5000})
        self._admins.append(a)
        return a

    def metadata(self, topic, bootstrap=None, timeout_s=10.0):
        """{partition: (leader, replicas, isr)} as a Metadata response (from `bootstrap`) says."""
        md = self.admin(bootstrap).list_topics(topic, timeout=timeout_s)
        t = md.topics.get(topic)
        if t is None or t.error is not None:
            return None
        return {p.id: (p.leader, list(p.replicas), sorted(p.isrs)) for p in t.partitions.values()}

    def create_topic(self, topic, partitions=1, replication_factor=3, config=None,
                     replica_assignment=None, timeout_s=60.0):
        from confluent_kafka.admin import NewTopic

        if replica_assignment is not None:
            # confluent-kafka refuses any NewTopic with replica_assignment ("a default partition
            # count and a replica assignment are mutually exclusive"): Kafka's tool sends it.
            args = ["--bootstrap-server", self.bootstrap, "--create", "--topic", topic,
                    "--replica-assignment",
                    ",".join(":".join(str(r) for r in rs) for rs in replica_assignment)]
            for k, v in (config or {}).items():
                args += ["--config", "%s=%s" % (k, v)]
            r = self.kafka_tool("kafka-topics", args)
            if r.returncode != 0:
                raise AssertionError("kafka-topics --create %s failed:\n%s%s" % (
                    topic, r.stdout[-2000:], r.stderr[-2000:]))
            self.wait_topic_ready(topic, len(replica_assignment), timeout_s)
            return topic
        else:
            nt = NewTopic(topic, num_partitions=partitions, replication_factor=replication_factor,
                          config={k: str(v) for k, v in (config or {}).items()})
        futures = self.admin().create_topics([nt], operation_timeout=timeout_s,
                                             request_timeout=timeout_s)
        futures[topic].result(timeout_s)
        self.wait_topic_ready(topic, partitions, timeout_s)
        return topic

    def wait_topic_ready(self, topic, partitions, timeout_s=60.0):
        """Every partition has a leader and a full ISR in ZooKeeper, and Metadata agrees."""
        def ready():
            assignment = self.assignment(topic)
            if assignment is None or len(assignment) != partitions:
                return False
            for p, replicas in assignment.items():
                s = self.partition_state(topic, p)
                if s is None or s["leader"] < 0 or set(s["isr"]) != set(replicas):
                    return False
            md = self.metadata(topic)
            return md is not None and len(md) == partitions and all(
                md[p][0] == self.zk_leader(topic, p) for p in md)

        return wait_for(ready, timeout_s, "topic %s ready (leaders, full ISR)" % topic, 0.2)

    def wait_leader_change(self, topic, partition, old_leader, timeout_s=60.0):
        """The new leader's id once ZooKeeper names a live leader other than `old_leader`."""
        def changed():
            s = self.partition_state(topic, partition)
            if s and s["leader"] >= 0 and s["leader"] != old_leader:
                return s["leader"] + 1  # truthy for broker 0 too
            return None

        return wait_for(changed, timeout_s, "%s-%d to get a leader other than %s" % (
            topic, partition, old_leader), 0.1) - 1

    def wait_isr(self, topic, partition, expected, timeout_s=60.0):
        expected = set(expected)

        def matches():
            s = self.partition_state(topic, partition)
            return s is not None and set(s["isr"]) == expected

        wait_for(matches, timeout_s, "ISR of %s-%d to be %s" % (topic, partition, sorted(expected)),
                 0.1)
        return self.partition_state(topic, partition)

    def wait_full_isr(self, topic, timeout_s=90.0):
        for p, replicas in self.assignment(topic).items():
            self.wait_isr(topic, p, replicas, timeout_s)

    # -- Kafka's command-line tools -------------------------------------------------------------

    def kafka_tool(self, name, args, stdin=None, timeout_s=KAFKA_TOOL_TIMEOUT_S):
        """Run a Kafka CLI tool (3.9 jars); returns CompletedProcess with text output."""
        cmd = java_command(KAFKA_TOOL_CLASSES[name], args)
        return subprocess.run(cmd, input=stdin if stdin is not None else "", capture_output=True,
                              text=True, timeout=timeout_s, cwd=str(self.dir))


class Background(threading.Thread):
    """A daemon thread running fn(stop_event); join() re-raises what it raised."""

    def __init__(self, fn, name="background"):
        super().__init__(name=name, daemon=True)
        self.fn = fn
        self.stop_event = threading.Event()
        self.error = None
        self.result = None

    def run(self):
        try:
            self.result = self.fn(self.stop_event)
        except BaseException as e:  # noqa: BLE001 - re-raised by finish()
            self.error = e

    def finish(self, timeout_s=120.0):
        self.stop_event.set()
        self.join(timeout_s)
        if self.is_alive():
            raise AssertionError("%s did not stop within %.0fs" % (self.name, timeout_s))
        if self.error is not None:
            raise self.error
        return self.result
