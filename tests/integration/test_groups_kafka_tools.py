"""Apache Kafka's own command-line tools against the broker: kafka-topics, the console
producer and consumer (with a group), and kafka-consumer-groups (--list, --describe with its
offset/lag table, --reset-offsets, --delete). The tools come from the cached Kafka jars
(scripts/apache-kafka tool); without Java or the jars the tests are skipped.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

import helpers

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "scripts" / "apache-kafka"
TOOL_TIMEOUT_S = 120
PARTITIONS = 3


def have_tools():
    libs = list((ROOT / ".cache" / "apache-kafka").glob("*/libs/.complete"))
    return shutil.which("java") is not None and bool(libs)


pytestmark = pytest.mark.skipif(not have_tools(), reason="needs java and the Kafka jars (scripts/apache-kafka fetch)")


def tool(name, bootstrap, *args, stdin=None, check=True):
    proc = subprocess.run([str(TOOL), "tool", name, "--bootstrap-server", bootstrap, *args], input=stdin,
                          capture_output=True, text=True, timeout=TOOL_TIMEOUT_S)
    if check:
        assert proc.returncode == 0, "%s %s failed (%d):\n%s\n%s" % (name, args, proc.returncode, proc.stdout,
                                                                     proc.stderr)
    return proc.stdout


def describe_rows(bootstrap, group):
    """kafka-consumer-groups --describe as {partition: (current, log_end, lag)} for the group's rows."""
    out = tool("kafka-consumer-groups", bootstrap, "--describe", "--group", group)
    rows = {}
    header = None
    for line in out.splitlines():
        cols = line.split()
        if cols[:2] == ["GROUP", "TOPIC"]:
            header = cols
            continue
        if header and len(cols) >= 6 and cols[0] == group:
            row = dict(zip(header, cols))
            num = lambda v: None if v == "-" else int(v)  # noqa: E731
            rows[int(row["PARTITION"])] = (num(row["CURRENT-OFFSET"]), num(row["LOG-END-OFFSET"]), num(row["LAG"]))
    return rows


def test_topics_console_tools_and_consumer_groups(broker, unique_topic):
    bs = broker.bootstrap
    topic = unique_topic("tools")
    group = helpers.unique_group("tools")

    tool("kafka-topics", bs, "--create", "--topic", topic, "--partitions", str(PARTITIONS),
         "--replication-factor", "1")
    assert topic in tool("kafka-topics", bs, "--list").split()
    described = tool("kafka-topics", bs, "--describe", "--topic", topic)
    assert "PartitionCount: %d" % PARTITIONS in described

    lines = ["k%d:message-%d" % (i, i) for i in range(30)]
    tool("kafka-console-producer", bs, "--topic", topic, "--property", "parse.key=true",
         "--property", "key.separator=:", stdin="\n".join(lines) + "\n")

    out = tool("kafka-console-consumer", bs, "--topic", topic, "--from-beginning", "--group", group,
               "--max-messages", "30", "--timeout-ms", "60000")
    assert sorted(out.split()) == sorted("message-%d" % i for i in range(30))

    assert group in tool("kafka-consumer-groups", bs, "--list").split()
    rows = describe_rows(bs, group)
    assert sorted(rows) == list(range(PARTITIONS))
    assert sum(end for _, end, _ in rows.values()) == 30
    for current, end, lag in rows.values():
        assert (current is None and end == 0) or (current == end and lag == 0)

    # Five more records: the table shows them as lag.
    tool("kafka-console-producer", bs, "--topic", topic, stdin="".join("late-%d\n" % i for i in range(5)))
    rows = describe_rows(bs, group)
    assert sum(end for _, end, _ in rows.values()) == 35
    assert sum(lag or 0 for _, _, lag in rows.values()) == 5
    for current, end, lag in rows.values():
        assert lag == end - (current or 0)

    # Back to the start, then gone.
    out = tool("kafka-consumer-groups", bs, "--reset-offsets", "--to-earliest", "--execute", "--group", group,
               "--topic", topic)
    assert group in out
    rows = describe_rows(bs, group)
    assert all(current == 0 and lag == end for current, end, lag in rows.values())
    out = tool("kafka-consumer-groups", bs, "--delete", "--group", group)
    assert "successful" in out
    assert group not in tool("kafka-consumer-groups", bs, "--list").split()


def test_consumer_groups_describe_active_members(broker, unique_topic):
    """--describe --members and --state while a consumer is in the group."""
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    bs = broker.bootstrap
    topic = unique_topic("tools")
    group = helpers.unique_group("tools-live")
    admin = AdminClient({"bootstrap.servers": bs})
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)
    p = Producer({"bootstrap.servers": bs})
    for i in range(9):
        p.produce(topic, value=b"x", partition=i % PARTITIONS)
    assert p.flush(30) == 0
    c = Consumer({"bootstrap.servers": bs, "group.id": group, "auto.offset.reset": "earliest",
                  "client.id": "tools-client"})
    c.subscribe([topic])
    try:
        helpers.wait_until(lambda: c.poll(0.2) is not None and len(c.assignment()) == PARTITIONS, 60,
                           interval_s=0, what="the consumer getting its partitions")
        state = tool("kafka-consumer-groups", bs, "--describe", "--group", group, "--state")
        assert "Stable" in state
        members = tool("kafka-consumer-groups", bs, "--describe", "--group", group, "--members")
        assert "tools-client" in members
    finally:
        c.close()
