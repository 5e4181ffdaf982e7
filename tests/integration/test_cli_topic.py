"""gregor topic create | list | describe | delete | alter against the broker."""

import pytest

from cli_helpers import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, Cli


@pytest.fixture
def cli(gregor_bin, broker):
    return Cli(gregor_bin, broker)


def test_create_list_describe_delete(cli, unique_topic):
    topic = unique_topic("topic")
    r = cli.ok("topic", "create", topic, "--partitions", "3", "--replication-factor", "1",
               "--config", "retention.ms=3600000", "--config", "cleanup.policy=delete")
    assert "Created topic %s." % topic in r.stdout

    assert topic in cli.ok("topic", "list").lines()
    assert topic in cli.ok("topic", "list", "--json").json()["topics"]

    d = cli.ok("topic", "describe", topic, "--json").json()["topics"]
    assert len(d) == 1 and d[0]["name"] == topic
    assert d[0]["partition_count"] == 3
    assert d[0]["replication_factor"] == 1
    assert d[0]["configs"]["retention.ms"] == "3600000"
    parts = d[0]["partitions"]
    assert sorted(p["partition"] for p in parts) == [0, 1, 2]
    for p in parts:
        assert p["leader"] >= 0
        assert p["replicas"] == [p["leader"]]
        assert p["isr"] == [p["leader"]]
        assert p["earliest_offset"] == 0 and p["latest_offset"] == 0

    text = cli.ok("topic", "describe", topic).stdout
    assert "PartitionCount: 3" in text
    assert "retention.ms=3600000" in text
    header = [l for l in text.splitlines() if l.startswith("PARTITION")][0]
    assert header.split() == ["PARTITION", "LEADER", "REPLICAS", "ISR", "EARLIEST-OFFSET",
                              "LATEST-OFFSET"]

    r = cli.ok("topic", "delete", topic)
    assert "Deleted topic %s." % topic in r.stdout
    assert topic not in cli.ok("topic", "list").lines()


def test_describe_shows_latest_offsets(cli, unique_topic):
    topic = cli.create_topic(unique_topic("offsets"), 2)
    cli.produce_lines(topic, ["a", "b", "c"], "--partition", "1")
    parts = {p["partition"]: p for p in
             cli.ok("topic", "describe", topic, "--json").json()["topics"][0]["partitions"]}
    assert parts[0]["latest_offset"] == 0
    assert parts[1]["latest_offset"] == 3
    assert parts[1]["earliest_offset"] == 0


def test_create_existing_fails_unless_if_not_exists(cli, unique_topic):
    topic = cli.create_topic(unique_topic("dup"))
    r = cli("topic", "create", topic)
    assert r.rc == EXIT_FAILED, r
    assert "already exists" in r.stderr
    cli.ok("topic", "create", topic, "--if-not-exists")


def test_missing_topic_is_an_error(cli, unique_topic):
    missing = unique_topic("missing")
    r = cli("topic", "describe", missing)
    assert r.rc == EXIT_NOT_FOUND, r
    assert "does not exist" in r.stderr and missing in r.stderr

    r = cli("topic", "delete", missing)
    assert r.rc == EXIT_NOT_FOUND, r
    cli.ok("topic", "delete", missing, "--if-exists")

    r = cli("topic", "alter", missing, "--partitions", "2")
    assert r.rc == EXIT_NOT_FOUND, r


def test_describe_reports_missing_but_shows_the_rest(cli, unique_topic):
    topic = cli.create_topic(unique_topic("present"))
    r = cli("topic", "describe", topic, unique_topic("absent"), "--json")
    assert r.rc == EXIT_NOT_FOUND, r
    assert [t["name"] for t in r.json()["topics"]] == [topic]


def test_alter_partitions_and_configs(cli, unique_topic):
    topic = cli.create_topic(unique_topic("alter"), 1, "--config", "retention.ms=7200000")
    cli.ok("topic", "alter", topic, "--partitions", "4", "--config", "segment.ms=3600000")
    d = cli.ok("topic", "describe", topic, "--json").json()["topics"][0]
    assert d["partition_count"] == 4
    # AlterConfigs replaces the whole set; the tool must keep what it was not asked to change.
    assert d["configs"]["retention.ms"] == "7200000"
    assert d["configs"]["segment.ms"] == "3600000"

    cli.ok("topic", "alter", topic, "--delete-config", "retention.ms")
    d = cli.ok("topic", "describe", topic, "--json").json()["topics"][0]
    assert "retention.ms" not in d["configs"]
    assert d["configs"]["segment.ms"] == "3600000"

    r = cli("topic", "alter", topic, "--partitions", "2")  # cannot shrink
    assert r.rc == EXIT_FAILED, r


def test_usage_errors(cli, unique_topic):
    for args in (["topic"], ["topic", "nosuch"], ["topic", "create"],
                 ["topic", "create", "x", "--partitions", "zero"],
                 ["topic", "create", "x", "--bogus"], ["topic", "alter", "x"],
                 ["topic", "list", "extra"]):
        r = cli(*args)
        assert r.rc == EXIT_USAGE, r
        assert "usage: gregor topic" in r.stderr, r
        assert r.stdout == "", r
    r = cli("topic", "create", "--help")
    assert r.rc == EXIT_OK and "usage: gregor topic create" in r.stdout
