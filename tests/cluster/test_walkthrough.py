"""The lecture's walkthrough: three brokers whose server.properties set only broker.id, listeners,
log.dirs and zookeeper.connect; a topic NEWS with 2 partitions replicated 3 times, described
(Leader, Replicas, Isr), written with a console producer given all three brokers and read by a
console consumer in a group. Once with Kafka's own tools, once with the gregor tools."""

import re

import pytest

import cluster_harness
import cli_helpers
import helpers


LINES = ["news item %d" % i for i in range(20)]


def parse_describe(text):
    """{partition: (leader, replicas, isr)} from `kafka-topics --describe` output."""
    out = {}
    pattern = re.compile(r"Partition:\s*(\d+)\s+Leader:\s*(-?\d+)\s+Replicas:\s*([\d,]+)\s+"
                         r"Isr:\s*([\d,]*)")
    for line in text.splitlines():
        m = pattern.search(line)
        if m:
            out[int(m.group(1))] = (int(m.group(2)), [int(x) for x in m.group(3).split(",")],
                                    [int(x) for x in m.group(4).split(",") if x])
    return out


def assert_replicated_as_zookeeper_says(cluster, topic, described):
    assert sorted(described) == [0, 1], described
    assignment = cluster.assignment(topic)
    for p, (leader, replicas, isr) in described.items():
        assert sorted(replicas) == sorted(cluster.brokers), described
        assert replicas == assignment[p], (described, assignment)
        assert sorted(isr) == sorted(replicas), described
        assert leader == cluster.zk_leader(topic, p), (described, cluster.partition_state(topic, p))


def ok(r):
    assert r.returncode == 0, "rc %s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
        r.returncode, r.stdout[-3000:], r.stderr[-3000:])
    return r


@pytest.mark.cluster(plain=True)
def test_walkthrough_with_kafka_tools(cluster):
    for b in cluster.brokers.values():
        assert set(b.properties()) == {"broker.id", "listeners", "log.dirs", "zookeeper.connect"}
    boot = cluster.bootstrap
    ok(cluster.kafka_tool("kafka-topics", ["--bootstrap-server", boot, "--create", "--topic", "NEWS",
                                           "--partitions", "2", "--replication-factor", "3"]))
    cluster.wait_topic_ready("NEWS", 2)
    described = parse_describe(ok(cluster.kafka_tool(
        "kafka-topics", ["--bootstrap-server", boot, "--describe", "--topic", "NEWS"])).stdout)
    assert_replicated_as_zookeeper_says(cluster, "NEWS", described)

    ok(cluster.kafka_tool("kafka-console-producer", ["--broker-list", boot, "--topic", "NEWS",
                                                     "--producer-property", "acks=all"],
                          stdin="".join(line + "\n" for line in LINES)))
    group = helpers.unique_group("news-readers")
    r = ok(cluster.kafka_tool("kafka-console-consumer", [
        "--bootstrap-server", boot, "--topic", "NEWS", "--group", group, "--from-beginning",
        "--max-messages", str(len(LINES)), "--timeout-ms", "60000"]))
    assert sorted(r.stdout.splitlines()) == sorted(LINES)
    # The group committed what it read: nothing is left for it.
    r = ok(cluster.kafka_tool("kafka-consumer-groups", ["--bootstrap-server", boot, "--describe",
                                                         "--group", group]))
    lags = [line.split()[5] for line in r.stdout.splitlines() if line.startswith(group)]
    assert lags and all(lag == "0" for lag in lags), r.stdout


@pytest.mark.cluster(plain=True)
def test_walkthrough_with_gregor_tools(cluster):
    gregor = cluster_harness.gregor_bin()
    zk = cluster.zk.connect

    def run(*args, stdin=None):
        r = cli_helpers.run(gregor, args, stdin=stdin)
        assert r.rc == cli_helpers.EXIT_OK, r
        return r

    run("topic", "create", "NEWS", "--partitions", "2", "--replication-factor", "3",
        "--zookeeper", zk)
    cluster.wait_topic_ready("NEWS", 2)
    d = run("topic", "describe", "NEWS", "--zookeeper", zk, "--json").json()["topics"][0]
    described = {p["partition"]: (p["leader"], p["replicas"], p["isr"]) for p in d["partitions"]}
    assert_replicated_as_zookeeper_says(cluster, "NEWS", described)

    r = run("produce", "NEWS", "-b", cluster.bootstrap, stdin="".join(x + "\n" for x in LINES))
    assert "delivered %d records, failed 0" % len(LINES) in r.stderr, r
    group = helpers.unique_group("news-readers")
    r = run("consume", "NEWS", "--group", group, "--from-beginning", "--count", str(len(LINES)),
            "--timeout-ms", "60000", "--zookeeper", zk)
    assert sorted(r.lines()) == sorted(LINES)
