"""Fixtures for the integration tests: a Gregor broker per test, on a free loopback port.

`broker` starts `build/gregor broker` with a fresh data dir and waits until it answers
ApiVersions. Its output goes to broker.log in the test's tmp dir and is attached to the report
of a failing test. With GREGOR_TEST_BOOTSTRAP=HOST:PORT the tests run against that broker
instead (e.g. Apache Kafka from scripts/apache-kafka) and tests that stop or restart the broker
are skipped. GREGOR_BIN selects another binary (e.g. the ASan build).

Per-test broker settings: @pytest.mark.broker_config({"log.segment.bytes": "1048576"}).
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import clients  # noqa: E402
import helpers  # noqa: E402
import kafkawire  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXTERNAL_BOOTSTRAP = os.environ.get("GREGOR_TEST_BOOTSTRAP", "").strip()
BROKER_START_TIMEOUT_S = 30.0
BROKER_STOP_TIMEOUT_S = 20.0
LOG_TAIL_BYTES = 64 * 1024

# Signals that mean the broker crashed rather than was stopped by us.
CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGILL, signal.SIGFPE}
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "broker_config(settings): extra server properties for the `broker` fixture")
    config.addinivalue_line(
        "markers", "python_clients: uses the Python client libraries (run again with Debian's)")


def pytest_collection_modifyitems(config, items):
    """Tests that use the client fixtures are the ones worth repeating with the other client
    generation; scripts/run-integration selects them with -m python_clients."""
    for item in items:
        if {"kafka_client", "all_clients"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.python_clients)


def _gregor_bin_path():
    return Path(os.environ.get("GREGOR_BIN") or ROOT / "build" / "gregor")


class Broker:
    """A Gregor broker process owned by one test (or an external broker when `external`)."""

    def __init__(self, gregor_bin, tmp_dir, settings=None, external_bootstrap=None):
        self.external = external_bootstrap is not None
        self.gregor_bin = gregor_bin
        self.tmp_dir = Path(tmp_dir)
        self.settings = dict(settings or {})
        self.proc = None
        self.log_path = self.tmp_dir / "broker.log"
        self.crash_note = None  # set when the process died by itself
        self.stopped_by_us = False
        if self.external:
            self.bootstrap = external_bootstrap
            self.host, self.port = kafkawire.split_bootstrap(external_bootstrap)
            self.data_dir = None
        else:
            self.host = "127.0.0.1"
            self.port = helpers.free_port(self.host)
            self.bootstrap = "%s:%d" % (self.host, self.port)
            self.data_dir = self.tmp_dir / "data"
            self.data_dir.mkdir(parents=True, exist_ok=True)

    # -- lifecycle ----------------------------------------------------------------------------

    def _require_own(self, what):
        if self.external:
            pytest.skip("%s needs a broker this test owns (GREGOR_TEST_BOOTSTRAP is set)" % what)

    def command(self):
        cmd = [str(self.gregor_bin), "broker"]
        overrides = {
            "listeners": "PLAINTEXT://%s:%d" % (self.host, self.port),
            "log.dirs": str(self.data_dir),
        }
        overrides.update(self.settings)
        for k, v in overrides.items():
            cmd += ["--override", "%s=%s" % (k, v)]
        return cmd

    def start(self, timeout_s=BROKER_START_TIMEOUT_S):
        """Start the process (again) on the same port and data dir; wait until it answers."""
        self._require_own("start()")
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("broker already running")
        with open(self.log_path, "ab") as log:
            log.write(("\n==== start %s ====\n" % " ".join(self.command())).encode())
            log.flush()
            self.stopped_by_us = False
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, cwd=str(self.tmp_dir))
        ok = kafkawire.wait_ready(self.bootstrap, timeout_s, alive=lambda: self.proc.poll() is None,
                                  require_metadata=False)
        if not ok:
            code = self.proc.poll()
            self._kill()
            pytest.fail("gregor broker did not answer ApiVersions on %s within %.0fs (%s)\n%s" % (
                self.bootstrap, timeout_s,
                "exit code %s" % code if code is not None else "still running",
                self.log_tail()), pytrace=False)
        return self

    def stop(self, timeout_s=BROKER_STOP_TIMEOUT_S):
        """SIGTERM and wait for a clean exit. Returns the exit code."""
        self._require_own("stop()")
        if self.proc is None:
            return None
        self._note_if_crashed()
        if self.proc.poll() is None:
            self.stopped_by_us = True
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self._kill()
                pytest.fail("gregor broker did not exit within %.0fs of SIGTERM\n%s" % (
                    timeout_s, self.log_tail()), pytrace=False)
        return self.proc.returncode

    def kill9(self):
        """SIGKILL: a crash from the broker's point of view (nothing flushed, no cleanup)."""
        self._require_own("kill9()")
        self._note_if_crashed()
        self._kill()

    def restart(self, timeout_s=BROKER_START_TIMEOUT_S):
        self.stop()
        return self.start(timeout_s)

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None

    # -- internals ----------------------------------------------------------------------------

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.stopped_by_us = True
            self.proc.kill()
            try:
                self.proc.wait(BROKER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                pass

    def _note_if_crashed(self):
        """Remember when the broker died on its own (crash or early exit) before we stopped it."""
        if (self.proc is not None and not self.stopped_by_us and self.proc.poll() is not None
                and self.crash_note is None):
            self.crash_note = "gregor broker exited by itself with code %s" % self.proc.returncode

    def log_text(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self):
        text = self.log_text()
        if len(text) > LOG_TAIL_BYTES:
            text = "...\n" + text[-LOG_TAIL_BYTES:]
        return "---- %s ----\n%s" % (self.log_path, text)

    def close(self):
        """Teardown: stop the process; report crashes and sanitizer findings."""
        if self.external or self.proc is None:
            return None
        self._note_if_crashed()
        problem = self.crash_note
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(BROKER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._kill()
                problem = problem or "gregor broker ignored SIGTERM for %.0fs" % BROKER_STOP_TIMEOUT_S
            code = self.proc.returncode
            if code is not None and code < 0 and -code in CRASH_SIGNALS:
                problem = problem or "gregor broker crashed on shutdown (signal %d)" % -code
        log = self.log_text()
        for marker in SANITIZER_MARKERS:
            if marker in log:
                problem = problem or "sanitizer report in the broker log (%r)" % marker
        return problem


@pytest.fixture
def gregor_bin():
    path = _gregor_bin_path()
    if not path.exists():
        pytest.fail("%s not found: run `make` first" % path, pytrace=False)
    return path


@pytest.fixture
def broker(request, tmp_path):
    marker = request.node.get_closest_marker("broker_config")
    settings = dict(marker.args[0]) if marker and marker.args else {}
    if marker:
        settings.update(marker.kwargs)
    if EXTERNAL_BOOTSTRAP:
        if settings:
            pytest.skip("needs broker settings %r; GREGOR_TEST_BOOTSTRAP is set" % settings)
        yield Broker(None, tmp_path, external_bootstrap=EXTERNAL_BOOTSTRAP)
        return
    path = _gregor_bin_path()
    if not path.exists():
        pytest.fail("%s not found: run `make` first" % path, pytrace=False)
    b = Broker(path, tmp_path, settings)
    request.node._gregor_brokers = getattr(request.node, "_gregor_brokers", []) + [b]
    try:
        b.start()
        yield b
    finally:
        problem = b.close()
    if problem:
        pytest.fail("%s\n%s" % (problem, b.log_tail()), pytrace=False)


@pytest.fixture
def broker_factory(request, tmp_path):
    """Start extra brokers (own ports and data dirs) with given settings:
    broker_factory({"auto.create.topics.enable": "false"})."""
    started = []

    def make(settings=None, start=True):
        if EXTERNAL_BOOTSTRAP:
            pytest.skip("starts its own broker; GREGOR_TEST_BOOTSTRAP is set")
        d = tmp_path / ("broker%d" % len(started))
        d.mkdir()
        b = Broker(_gregor_bin_path(), d, settings)
        started.append(b)
        request.node._gregor_brokers = getattr(request.node, "_gregor_brokers", []) + [b]
        if start:
            b.start()
        return b

    yield make
    problems = [p for p in (b.close() for b in started) if p]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def unique_topic(request):
    """unique_topic(prefix) -> a topic name no other test uses."""
    test_name = request.node.name

    def make(prefix="t"):
        return helpers.unique_topic(prefix, test_name[:60])

    return make


@pytest.fixture
def raw_conn(broker):
    """raw_conn() -> a new kafkawire.RawConn to the broker; all are closed at teardown."""
    conns = []

    def make(timeout_s=kafkawire.DEFAULT_TIMEOUT_S):
        c = kafkawire.RawConn(broker.bootstrap, timeout_s)
        conns.append(c)
        return c

    yield make
    for c in conns:
        c.close()


def _make_client(name, bootstrap):
    try:
        return clients.CLIENT_CLASSES[name](bootstrap)
    except ImportError as e:
        pytest.skip("%s is not installed for %s: %s" % (name, sys.executable, e))


@pytest.fixture(params=sorted(clients.CLIENT_CLASSES), ids=clients.client_id)
def kafka_client(request, broker):
    """Each Python client in the version this interpreter has; the test id names it
    (e.g. [kafka-python-2.0.2] under Debian's python, [kafka-python-3.0.12] in .venv)."""
    c = _make_client(request.param, broker.bootstrap)
    yield c
    c.close()


@pytest.fixture
def all_clients(broker):
    """Every available Python client, for cross-client checks."""
    made = [_make_client(name, broker.bootstrap) for name in sorted(clients.CLIENT_CLASSES)]
    yield made
    for c in made:
        c.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attach the broker log to the report of a failed test."""
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for b in getattr(item, "_gregor_brokers", []):
            rep.sections.append(("gregor broker log (%s)" % b.bootstrap, b.log_tail()))


def pytest_report_header(config):
    if EXTERNAL_BOOTSTRAP:
        return "broker: external at %s" % EXTERNAL_BOOTSTRAP
    return "broker: %s (one per test)" % _gregor_bin_path()

