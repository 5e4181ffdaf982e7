"""gregor group list | describe | reset-offsets | delete, and lag after partial consumption."""

import subprocess

import pytest

import helpers
from cli_helpers import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_USAGE, Cli

RECORDS = 10
CONSUMED = 4


@pytest.fixture
def cli(gregor_bin, broker):
    return Cli(gregor_bin, broker)


@pytest.fixture
def lagging_group(cli, unique_topic):
    """A topic with RECORDS records over 2 partitions and a group that consumed CONSUMED."""
    topic = cli.create_topic(unique_topic("lag"), 2)
    cli.produce_lines(topic, ["k%d:v%d" % (i, i) for i in range(RECORDS)], "--key-separator", ":")
    group = helpers.unique_group("lag")
    r = cli.ok("consume", topic, "--group", group, "--from-beginning", "--count", CONSUMED)
    assert len(r.lines()) == CONSUMED
    return topic, group


def offsets_by_partition(desc):
    return {(o["topic"], o["partition"]): o for o in desc["offsets"]}


def test_describe_lag(cli, lagging_group):
    topic, group = lagging_group
    desc = cli.describe_group(group)
    assert desc["group"] == group
    assert desc["state"] == "Empty" and desc["members"] == []
    rows = offsets_by_partition(desc)
    ends = {p["partition"]: p["latest_offset"] for p in
            cli.ok("topic", "describe", topic, "--json").json()["topics"][0]["partitions"]}
    assert sum(ends.values()) == RECORDS
    committed = 0
    for part, end in ends.items():
        row = rows.get((topic, part))
        if row is None:  # nothing committed there: the group read nothing from it
            continue
        assert row["log_end_offset"] == end
        assert row["lag"] == end - row["current_offset"]
        assert row["consumer_id"] is None
        committed += row["current_offset"]
    assert committed == CONSUMED
    assert sum(r["lag"] for r in desc["offsets"]) + sum(
        end for part, end in ends.items() if (topic, part) not in rows) == RECORDS - CONSUMED

    text = cli.ok("group", "describe", group)
    lines = text.lines()
    assert lines[0].split() == ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET",
                                "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"]
    for line in lines[1:]:
        cols = line.split()
        assert cols[0] == group and cols[1] == topic and cols[6:] == ["-", "-", "-"]
    assert "has no active members" in text.stderr


def test_list_and_state(cli, lagging_group):
    _, group = lagging_group
    assert group in cli.ok("group", "list").lines()
    listed = {g["group"]: g for g in cli.ok("group", "list", "--json").json()["groups"]}
    assert listed[group]["state"] == "Empty"
    rows = [l.split() for l in cli.ok("group", "list", "--state").lines()]
    assert rows[0] == ["GROUP", "STATE"] and [group, "Empty"] in rows
    state = cli.ok("group", "describe", group, "--state").lines()
    assert state[0].split()[:2] == ["GROUP", "COORDINATOR"]
    assert state[1].split()[0] == group and "Empty" in state[1].split()
    members = cli.ok("group", "describe", group, "--members").lines()
    assert members[0].split() == ["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS",
                                  "ASSIGNMENT"]
    assert len(members) == 1


def test_reset_offsets(cli, lagging_group):
    topic, group = lagging_group

    def total_current():
        return sum(o["current_offset"] for o in cli.describe_group(group)["offsets"])

    # Dry run by default: prints the plan, changes nothing.
    r = cli.ok("group", "reset-offsets", group, "--topic", topic, "--to-earliest")
    assert r.lines()[0].split() == ["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"]
    assert sorted(l.split()[2] for l in r.lines()[1:]) == ["0", "1"]
    assert all(l.split()[3] == "0" for l in r.lines()[1:])
    assert total_current() == CONSUMED

    plan = cli.ok("group", "reset-offsets", group, "--topic", topic, "--to-earliest", "--execute",
                  "--json").json()
    assert plan["executed"] is True and {o["new_offset"] for o in plan["offsets"]} == {0}
    desc = cli.describe_group(group)
    assert total_current() == 0 and sum(o["lag"] for o in desc["offsets"]) == RECORDS

    cli.ok("group", "reset-offsets", group, "--topic", topic, "--to-latest", "--execute")
    assert sum(o["lag"] for o in cli.describe_group(group)["offsets"]) == 0
    assert total_current() == RECORDS

    cli.ok("group", "reset-offsets", group, "--all-topics", "--shift-by", "-1", "--execute")
    assert total_current() == RECORDS - 2

    # --to-offset is kept within each partition's earliest..latest.
    plan = cli.ok("group", "reset-offsets", group, "--topic", topic + ":0", "--to-offset", "1000000",
                  "--json").json()
    ends = {p["partition"]: p["latest_offset"] for p in
            cli.ok("topic", "describe", topic, "--json").json()["topics"][0]["partitions"]}
    assert plan["executed"] is False
    assert [(o["partition"], o["new_offset"]) for o in plan["offsets"]] == [(0, ends[0])]

    plan = cli.ok("group", "reset-offsets", group, "--topic", topic, "--to-datetime",
                  "1970-01-02T00:00:00Z", "--json").json()
    assert {o["new_offset"] for o in plan["offsets"]} == {0}
    plan = cli.ok("group", "reset-offsets", group, "--topic", topic, "--to-timestamp",
                  "32503680000000", "--json").json()  # year 3000: past the last record = the end
    assert {(o["partition"], o["new_offset"]) for o in plan["offsets"]} == set(ends.items())

    # The consumer resumes where the reset put it.
    cli.ok("group", "reset-offsets", group, "--topic", topic, "--to-earliest", "--execute")
    r = cli.ok("consume", topic, "--group", group, "--until-end")
    assert len(r.lines()) == RECORDS


def test_reset_refused_on_active_group(cli, gregor_bin, broker, lagging_group):
    topic, group = lagging_group
    proc = subprocess.Popen([str(gregor_bin), "consume", topic, "--group", group, "-b", broker.bootstrap],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        desc = cli.wait_group_members(group, 1)
        member = desc["members"][0]
        assert member["client_id"] == "gregor-consume"
        assert sorted(a["partition"] for a in member["assignment"]) == [0, 1]
        rows = offsets_by_partition(desc)
        assert {rows[(topic, p)]["consumer_id"] for p in (0, 1)} == {member["consumer_id"]}

        text = cli.ok("group", "describe", group, "--members").lines()
        assert len(text) == 2 and member["consumer_id"] in text[1]

        r = cli("group", "reset-offsets", group, "--topic", topic, "--to-earliest", "--execute")
        assert r.rc == EXIT_FAILED, r
        assert "active" in r.stderr
        r = cli("group", "delete", group)
        assert r.rc == EXIT_FAILED, r
    finally:
        proc.terminate()
        proc.wait(30)


def test_delete_group(cli, lagging_group):
    _, group = lagging_group
    r = cli.ok("group", "delete", group)
    assert "Deleted consumer group %s." % group in r.stdout
    r = cli("group", "describe", group)
    assert r.rc == EXIT_NOT_FOUND, r
    r = cli("group", "delete", group)
    assert r.rc == EXIT_NOT_FOUND, r


def test_missing_group_and_topic(cli, unique_topic):
    missing = helpers.unique_group("missing")
    r = cli("group", "describe", missing)
    assert r.rc == EXIT_NOT_FOUND, r
    assert "does not exist" in r.stderr
    r = cli("group", "reset-offsets", missing, "--topic", unique_topic("nope"), "--to-earliest")
    assert r.rc == EXIT_NOT_FOUND, r


def test_group_usage_errors(cli):
    for args in (["group"], ["group", "describe"], ["group", "describe", "g", "--members", "--state"],
                 ["group", "reset-offsets", "g", "--topic", "t"],
                 ["group", "reset-offsets", "g", "--to-earliest"],
                 ["group", "reset-offsets", "g", "--topic", "t", "--to-earliest", "--to-latest"],
                 ["group", "reset-offsets", "g", "--topic", "t", "--to-datetime", "yesterday"],
                 ["group", "reset-offsets", "g", "--topic", "t", "--all-topics", "--to-latest"],
                 ["group", "delete"]):
        r = cli(*args)
        assert r.rc == EXIT_USAGE, r
        assert "usage: gregor group" in r.stderr, r
