"""Fixtures of the cluster tests: a ZooKeeper server and a three-broker cluster per test.

GREGOR_CLUSTER_IMPL=gregor (default) runs Gregor brokers, =kafka-zk Apache Kafka 3.9 in ZooKeeper
mode (see cluster_harness.py). Per-test cluster settings:
    @pytest.mark.cluster(settings={"min.insync.replicas": "2"}, size=3, plain=False, chroot="/kafka")
`plain=True` drops the harness's short timeouts (the lecture's server.properties as written).
The logs of every broker and of ZooKeeper are attached to the report of a failed test.
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cluster_harness  # noqa: E402
import helpers  # noqa: E402

# Short timeouts so failover tests take seconds: a lost session expires after 6 s, a stalled
# follower leaves the ISR after 3 s. Given as ordinary broker settings.
FAST_SETTINGS = {
    "zookeeper.session.timeout.ms": "6000",
    "replica.lag.time.max.ms": "3000",
    "group.initial.rebalance.delay.ms": "0",
    "offsets.topic.num.partitions": "3",
    "auto.create.topics.enable": "false",
}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "cluster(settings=None, size=3, plain=False, chroot=''): how the `cluster` fixture is set up")


def pytest_collection_modifyitems(config, items):
    if cluster_harness.zookeeper_available():
        return
    skip = pytest.mark.skip(reason="ZooKeeper is not installed (Debian package `zookeeper`, "
                                   "installed by scripts/install-deps) or java is missing")
    for item in items:
        item.add_marker(skip)


def pytest_report_header(config):
    impl = cluster_harness.IMPL
    what = cluster_harness.gregor_bin() if impl == "gregor" else \
        "Apache Kafka %s (ZooKeeper mode)" % cluster_harness.KAFKA_ZK_VERSION
    return "cluster brokers: %s (%s)" % (impl, what)


def _remember(request, thing):
    request.node._cluster_parts = getattr(request.node, "_cluster_parts", []) + [thing]


@pytest.fixture
def zookeeper(request, tmp_path):
    zk = cluster_harness.ZooKeeperServer(tmp_path / "zk")
    _remember(request, zk)
    try:
        zk.start()
        yield zk
    finally:
        zk.stop()


@pytest.fixture
def cluster_factory(request, tmp_path, zookeeper):
    """cluster_factory(settings, size=3, plain=False, start=True) -> a Cluster; all are closed."""
    made = []
    if cluster_harness.IMPL == "gregor" and not cluster_harness.gregor_bin().exists():
        pytest.fail("%s not found: run `make` first" % cluster_harness.gregor_bin(), pytrace=False)

    def make(settings=None, size=3, plain=False, start=True, chroot=""):
        merged = {} if plain else dict(FAST_SETTINGS)
        merged.update(settings or {})
        c = cluster_harness.Cluster(zookeeper, tmp_path / ("cluster%d" % len(made)), size, merged,
                                    chroot=chroot)
        made.append(c)
        _remember(request, c)
        if start:
            c.start()
        return c

    try:
        yield make
    finally:
        for c in made:
            c.close()


@pytest.fixture
def cluster(request, cluster_factory):
    marker = request.node.get_closest_marker("cluster")
    kwargs = dict(marker.kwargs) if marker else {}
    return cluster_factory(kwargs.get("settings"), kwargs.get("size", 3), kwargs.get("plain", False),
                           chroot=kwargs.get("chroot", ""))


@pytest.fixture
def unique_topic(request):
    def make(prefix="t"):
        return helpers.unique_topic(prefix, request.node.name[:40])

    return make


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for part in getattr(item, "_cluster_parts", []):
            if isinstance(part, cluster_harness.Cluster):
                for b in part.brokers.values():
                    rep.sections.append(("broker %d log" % b.id, b.log_tail()))
            else:
                rep.sections.append(("zookeeper log", part.log_tail()))
