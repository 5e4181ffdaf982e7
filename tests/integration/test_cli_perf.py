"""gregor perf produce | consume: small runs with --json (no timing thresholds)."""

import pytest

import helpers
from cli_helpers import EXIT_NOT_FOUND, EXIT_USAGE, Cli


@pytest.fixture
def cli(gregor_bin, broker):
    return Cli(gregor_bin, broker)


def check_latencies(lat):
    for k in ("avg", "min", "max", "p50", "p95", "p99", "p99_9"):
        assert lat[k] >= 0
    assert lat["min"] <= lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["p99_9"] <= lat["max"]


def test_perf_produce_then_consume(cli, unique_topic):
    topic = unique_topic("perf")  # perf produce creates it
    r = cli.ok("perf", "produce", topic, "--num-records", "3000", "--record-size", "200",
               "--partitions", "3", "--producers", "2", "--json")
    res = r.json()
    assert res["records"] == 3000 and res["failed"] == 0
    assert res["bytes"] == 3000 * 200 and res["producers"] == 2
    assert res["records_per_sec"] > 0 and res["mb_per_sec"] > 0
    check_latencies(res["latency_ms"])
    d = cli.ok("topic", "describe", topic, "--json").json()["topics"][0]
    assert d["partition_count"] == 3
    assert sum(p["latest_offset"] for p in d["partitions"]) == 3000

    res = cli.ok("perf", "consume", topic, "--num-records", "3000", "--json").json()
    assert res["records"] == 3000 and res["bytes"] == 3000 * 200
    assert res["time_to_first_record_ms"] >= 0 and res["records_per_sec"] > 0

    group = helpers.unique_group("perf")
    res = cli.ok("perf", "consume", topic, "--num-records", "3000", "--group", group, "--json").json()
    assert res["records"] == 3000


def test_perf_produce_text_and_options(cli, unique_topic):
    topic = cli.create_topic(unique_topic("perftxt"))
    r = cli.ok("perf", "produce", topic, "--num-records", "500", "--record-size", "10", "--acks", "1",
               "--compression", "lz4", "--throughput", "1000")
    assert "500 records sent" in r.stdout and "99.9th" in r.stdout
    r = cli.ok("perf", "produce", topic, "--duration", "1", "--throughput", "200", "--json")
    assert r.json()["records"] > 0
    r = cli.ok("perf", "consume", topic, "--timeout-ms", "3000")
    assert "records consumed" in r.stdout


def test_perf_errors(cli, unique_topic):
    r = cli("perf", "consume", unique_topic("missing"), "--num-records", "1")
    assert r.rc == EXIT_NOT_FOUND, r
    for args in (["perf"], ["perf", "produce", "t"], ["perf", "produce", "t", "--num-records", "1",
                 "--duration", "1"], ["perf", "produce", "t", "--num-records", "0"],
                 ["perf", "produce", "t", "--num-records", "1", "--producers", "1000"],
                 ["perf", "consume"]):
        r = cli(*args)
        assert r.rc == EXIT_USAGE, r
        assert "usage: gregor perf" in r.stderr, r
