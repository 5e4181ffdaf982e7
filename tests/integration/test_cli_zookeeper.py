"""`--zookeeper HOST:PORT[/chroot]`: the tools find the brokers in ZooKeeper.

Each test starts its own ZooKeeper server and writes a broker registration the way Kafka does
(/brokers/ids/N, Kafka's JSON) pointing at the test's broker, so the tools are checked against
the layout itself and not against a particular broker's way of registering.
"""

import json

import pytest

import zookeeper_server
from cli_helpers import EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE, run, unreachable_bootstrap

ZK_CONNECT_TIMEOUT_S = 30.0


@pytest.fixture
def zookeeper(tmp_path):
    why = zookeeper_server.available()
    if why:
        pytest.skip(why)
    server = zookeeper_server.ZooKeeperServer(tmp_path / "zookeeper")
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def zk_client(zookeeper):
    from kazoo.client import KazooClient  # only in .venv (tests/integration/requirements.txt)

    client = KazooClient(hosts=zookeeper.connect, timeout=ZK_CONNECT_TIMEOUT_S)
    client.start(timeout=ZK_CONNECT_TIMEOUT_S)
    try:
        yield client
    finally:
        client.stop()
        client.close()


def registration(bootstrap, listener="PLAINTEXT"):
    """Kafka's broker registration (version 5) for a broker at HOST:PORT."""
    host, port = bootstrap.rsplit(":", 1)
    return json.dumps({
        "listener_security_protocol_map": {listener: "PLAINTEXT"},
        "endpoints": ["%s://%s:%s" % (listener, host, port)],
        "jmx_port": -1, "port": int(port), "host": host, "version": 5, "timestamp": "1765065600000",
    }).encode()


def register(zk_client, broker, chroot="", broker_id=1, listener="PLAINTEXT"):
    zk_client.create("%s/brokers/ids/%d" % (chroot, broker_id), registration(broker.bootstrap, listener),
                     makepath=True)


def gregor(gregor_bin, *args, timeout_s=90.0):
    return run(gregor_bin, args, timeout_s=timeout_s)


def test_topic_lifecycle_through_zookeeper(gregor_bin, broker, zookeeper, zk_client, unique_topic):
    register(zk_client, broker)
    zk = ["--zookeeper", zookeeper.connect]
    topic = unique_topic("news")
    # The lecture's spelling: --topic instead of a positional name, and a replication factor.
    r = gregor(gregor_bin, "topic", "create", "--topic", topic, "--partitions", "2", "--replication-factor",
               "1", *zk)
    assert r.rc == EXIT_OK, r
    assert "Created topic %s." % topic in r.stdout

    r = gregor(gregor_bin, "topic", "list", *zk)
    assert r.rc == EXIT_OK and topic in r.lines(), r

    r = gregor(gregor_bin, "topic", "describe", "--topic", topic, "--json", *zk)
    assert r.rc == EXIT_OK, r
    [described] = r.json()["topics"]
    assert described["name"] == topic and described["partition_count"] == 2

    r = gregor(gregor_bin, "topic", "delete", "--topic", topic, *zk)
    assert r.rc == EXIT_OK, r
    r = gregor(gregor_bin, "topic", "list", *zk)
    assert r.rc == EXIT_OK and topic not in r.lines(), r


def test_chroot_is_where_the_brokers_are_looked_up(gregor_bin, broker, zookeeper, zk_client, unique_topic):
    register(zk_client, broker, chroot="/kafka/east", listener="INTERNAL")
    topic = unique_topic("chroot")
    r = gregor(gregor_bin, "topic", "create", topic, "--zookeeper", zookeeper.connect + "/kafka/east")
    assert r.rc == EXIT_OK, r
    r = gregor(gregor_bin, "topic", "describe", topic, "--zookeeper", zookeeper.connect + "/kafka/east")
    assert r.rc == EXIT_OK and topic in r.stdout, r

    # Without the chroot (or with another one) there is no /brokers/ids: nobody to talk to.
    for connect in (zookeeper.connect, zookeeper.connect + "/kafka/west"):
        r = gregor(gregor_bin, "topic", "list", "--zookeeper", connect)
        assert r.rc == EXIT_UNREACHABLE, r
        assert "no brokers registered in ZooKeeper" in r.stderr, r


def test_unusable_registrations_are_skipped(gregor_bin, broker, zookeeper, zk_client):
    zk_client.create("/brokers/ids/7", b"{not json", makepath=True)
    zk_client.create("/brokers/ids/8", json.dumps({"endpoints": ["SSL://h:9093"]}).encode())
    r = gregor(gregor_bin, "topic", "list", "--zookeeper", zookeeper.connect)
    assert r.rc == EXIT_UNREACHABLE, r
    assert "broker 7 has no readable PLAINTEXT endpoint" in r.stderr, r

    register(zk_client, broker, broker_id=9)
    r = gregor(gregor_bin, "topic", "list", "--zookeeper", zookeeper.connect)
    assert r.rc == EXIT_OK, r
    assert "broker 8 has no readable PLAINTEXT endpoint" in r.stderr, r


def test_unreachable_zookeeper_fails_within_the_request_timeout(gregor_bin):
    dead = unreachable_bootstrap()
    r = gregor(gregor_bin, "topic", "list", "--zookeeper", dead, "--request-timeout-ms", "1500", timeout_s=30.0)
    assert r.rc == EXIT_UNREACHABLE, r
    assert "cannot reach ZooKeeper at %s within 1500 ms" % dead in r.stderr, r


def test_zookeeper_and_bootstrap_server_exclude_each_other(gregor_bin):
    r = gregor(gregor_bin, "topic", "list", "--zookeeper", unreachable_bootstrap(), "-b", unreachable_bootstrap())
    assert r.rc == EXIT_USAGE, r
    assert "either --bootstrap-server or --zookeeper" in r.stderr, r


def test_other_tools_take_zookeeper(gregor_bin, broker, zookeeper, zk_client):
    register(zk_client, broker)
    for args in (("cluster",), ("group", "list"), ("config", "get", "--broker", "1")):
        r = gregor(gregor_bin, *args, "--zookeeper", zookeeper.connect)
        assert r.rc == EXIT_OK, r
