"""gregor produce and gregor consume: round trips, formats, headers, errors."""

import base64
import time

import pytest

from cli_helpers import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, Cli


@pytest.fixture
def cli(gregor_bin, broker):
    return Cli(gregor_bin, broker)


def test_round_trip_keys_headers_json(cli, unique_topic):
    topic = cli.create_topic(unique_topic("rt"))
    cli.produce_lines(topic, ["k1:v1", "k2:hello world", "k3:"], "--key-separator", ":",
                      "--header", "source=test", "--header", "n=1")
    recs = cli.consume_all(topic)
    assert [(r["key"], r["value"]) for r in recs] == [("k1", "v1"), ("k2", "hello world"), ("k3", "")]
    for i, r in enumerate(recs):
        assert r["topic"] == topic and r["partition"] == 0 and r["offset"] == i
        assert r["headers"] == [{"key": "source", "value": "test"}, {"key": "n", "value": "1"}]
        assert isinstance(r["timestamp"], int) and r["timestamp"] > 0
        assert r["timestamp_type"] == "create_time"


def test_per_line_headers(cli, unique_topic):
    topic = cli.create_topic(unique_topic("hdr"))
    cli.produce_lines(topic, ["a:1,b:two\tk=v", "\tk2=v2", "c:\tk3=v3"], "--parse-headers",
                      "--key-separator", "=", "--header", "all=yes")
    recs = cli.consume_all(topic)
    assert [(r["key"], r["value"]) for r in recs] == [("k", "v"), ("k2", "v2"), ("k3", "v3")]
    assert recs[0]["headers"] == [{"key": "all", "value": "yes"}, {"key": "a", "value": "1"},
                                  {"key": "b", "value": "two"}]
    assert recs[1]["headers"] == [{"key": "all", "value": "yes"}]
    assert recs[2]["headers"] == [{"key": "all", "value": "yes"}, {"key": "c", "value": ""}]


def test_custom_header_separators(cli, unique_topic):
    topic = cli.create_topic(unique_topic("hsep"))
    cli.produce_lines(topic, ["x=1;y=2|value"], "--parse-headers", "--headers-delimiter", "|",
                      "--headers-separator", ";", "--headers-key-separator", "=")
    recs = cli.consume_all(topic)
    assert recs[0]["key"] is None and recs[0]["value"] == "value"
    assert recs[0]["headers"] == [{"key": "x", "value": "1"}, {"key": "y", "value": "2"}]


def test_value_and_kv_formats(cli, unique_topic):
    topic = cli.create_topic(unique_topic("fmt"))
    cli.produce_lines(topic, ["k1:v1", "k2:v2"], "--key-separator", ":")
    cli.produce_lines(topic, ["nokey"])
    r = cli.ok("consume", topic, "--from-beginning", "--until-end")
    assert r.lines() == ["v1", "v2", "nokey"]
    r = cli.ok("consume", topic, "--from-beginning", "--until-end", "--format", "kv",
               "--separator", " => ")
    assert r.lines() == ["k1 => v1", "k2 => v2", "null => nokey"]
    r = cli.ok("consume", topic, "--from-beginning", "--until-end", "--format", "kv")
    assert r.lines() == ["k1\tv1", "k2\tv2", "null\tnokey"]


def test_json_escaping_and_binary(cli, unique_topic):
    topic = cli.create_topic(unique_topic("esc"))
    text = 'quote " backslash \\ tab \t ctrl \x01 unicode \u00fc\u20ac\U0001F600'
    binary = b"\xff\xfe\x00\x01bin"
    data = b"k:" + text.encode() + b"\n" + b"b:" + binary + b"\n"
    r = cli.ok("produce", topic, "--key-separator", ":", stdin=data)
    assert "delivered 2 records, failed 0" in r.stderr
    recs = cli.consume_all(topic)
    assert recs[0]["value"] == text and "value_encoding" not in recs[0]
    assert recs[1]["value_encoding"] == "base64"
    assert base64.b64decode(recs[1]["value"]) == binary
    # The raw value format passes bytes through untouched.
    r = cli.ok("consume", topic, "--from-beginning", "--until-end")
    assert r.stdout_bytes == text.encode() + b"\n" + binary + b"\n"


def test_produce_reports_failed_lines(cli, unique_topic):
    topic = cli.create_topic(unique_topic("fail"))
    r = cli("produce", topic, "--key-separator", ":", stdin="a:1\nno separator\nb:2\n")
    assert r.rc == EXIT_FAILED, r
    assert "line 2: no key separator found" in r.stderr
    assert "delivered 2 records, failed 1" in r.stderr
    assert [x["value"] for x in cli.consume_all(topic)] == ["1", "2"]


def test_produce_from_file_to_partition_with_options(cli, unique_topic, tmp_path):
    topic = cli.create_topic(unique_topic("file"), 3)
    path = tmp_path / "in.txt"
    path.write_text("one\r\ntwo\nthree")  # CRLF and a last line without newline
    cli.ok("produce", topic, "--file", str(path), "--partition", "2", "--acks", "1",
           "--compression", "gzip")
    recs = cli.consume_all(topic)
    assert [(x["partition"], x["value"]) for x in recs] == [(2, "one"), (2, "two"), (2, "three")]
    recs = cli.consume_all(topic, "--partition", "2")
    assert len(recs) == 3


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_compression_codecs(cli, unique_topic, codec):
    topic = cli.create_topic(unique_topic("codec"))
    lines = ["record %d %s" % (i, "x" * (i % 50)) for i in range(200)]
    cli.produce_lines(topic, lines, "--compression", codec)
    assert [x["value"] for x in cli.consume_all(topic)] == lines


def test_acks_zero(cli, unique_topic):
    topic = cli.create_topic(unique_topic("acks0"))
    cli.produce_lines(topic, ["a", "b"], "--acks", "0")
    assert [x["value"] for x in cli.consume_all(topic)] == ["a", "b"]


def test_missing_topic(cli, unique_topic):
    missing = unique_topic("missing")
    r = cli("produce", missing, stdin="x\n")
    assert r.rc == EXIT_NOT_FOUND, r
    assert "does not exist" in r.stderr
    r = cli("consume", missing, "--timeout-ms", "1000")
    assert r.rc == EXIT_NOT_FOUND, r
    topic = cli.create_topic(unique_topic("onepart"))
    r = cli("produce", topic, "--partition", "5", stdin="x\n")
    assert r.rc == EXIT_NOT_FOUND, r
    r = cli("consume", topic, "--partition", "5", "--timeout-ms", "1000")
    assert r.rc == EXIT_NOT_FOUND, r


def test_start_positions(cli, unique_topic):
    topic = cli.create_topic(unique_topic("pos"))
    cli.produce_lines(topic, ["r%d" % i for i in range(10)])
    values = lambda r: [x["value"] for x in r.json_lines()]  # noqa: E731
    r = cli.ok("consume", topic, "--offset", "7", "--until-end", "--format", "json")
    assert values(r) == ["r7", "r8", "r9"]
    r = cli.ok("consume", topic, "--offset", "-2", "--until-end", "--format", "json")
    assert values(r) == ["r8", "r9"]
    r = cli.ok("consume", topic, "--offset", "earliest", "--count", "3", "--format", "json")
    assert values(r) == ["r0", "r1", "r2"]
    # Default start is the end: nothing old is printed.
    r = cli.ok("consume", topic, "--until-end")
    assert r.stdout == ""


def test_timestamp_start(cli, unique_topic):
    topic = cli.create_topic(unique_topic("ts"))
    cli.produce_lines(topic, ["old1", "old2"])
    recs = cli.consume_all(topic)
    cut = recs[-1]["timestamp"] + 1
    time.sleep(0.05)  # so new records get a later timestamp than `cut`
    cli.produce_lines(topic, ["new1", "new2"])
    r = cli.ok("consume", topic, "--timestamp", str(cut), "--until-end", "--format", "json")
    assert [x["value"] for x in r.json_lines()] == ["new1", "new2"]
    far_future = str(recs[-1]["timestamp"] + 10 ** 9)
    r = cli.ok("consume", topic, "--timestamp", far_future, "--until-end")
    assert r.stdout == ""


def test_until_end_on_empty_topic_and_many_partitions(cli, unique_topic):
    topic = cli.create_topic(unique_topic("empty"), 3)
    r = cli.ok("consume", topic, "--from-beginning", "--until-end")
    assert r.stdout == ""
    cli.produce_lines(topic, ["a", "b", "c", "d"], "--partition", "1")
    assert len(cli.consume_all(topic)) == 4


def test_multiple_topics(cli, unique_topic):
    t1 = cli.create_topic(unique_topic("m1"))
    t2 = cli.create_topic(unique_topic("m2"))
    cli.produce_lines(t1, ["x"])
    cli.produce_lines(t2, ["y"])
    r = cli.ok("consume", t1, t2, "--from-beginning", "--until-end", "--format", "json")
    assert sorted((x["topic"], x["value"]) for x in r.json_lines()) == [(t1, "x"), (t2, "y")]


def test_idle_timeout(cli, unique_topic):
    topic = cli.create_topic(unique_topic("idle"))
    cli.produce_lines(topic, ["only"])
    # Fewer records than --count before the idle timeout: the target was missed.
    r = cli("consume", topic, "--from-beginning", "--count", "5", "--timeout-ms", "2000")
    assert r.rc == EXIT_FAILED, r
    assert r.lines() == ["only"]
    # Without a target, the idle timeout is a normal end.
    r = cli("consume", topic, "--from-beginning", "--timeout-ms", "2000")
    assert r.rc == EXIT_OK, r
    assert r.lines() == ["only"]


def test_group_consume_commits_what_was_printed(cli, unique_topic):
    import helpers
    topic = cli.create_topic(unique_topic("grp"))
    cli.produce_lines(topic, ["r%d" % i for i in range(6)])
    group = helpers.unique_group("cli")
    r = cli.ok("consume", topic, "--group", group, "--from-beginning", "--count", "2")
    assert r.lines() == ["r0", "r1"]
    r = cli.ok("consume", topic, "--group", group, "--count", "3")
    assert r.lines() == ["r2", "r3", "r4"]
    r = cli.ok("consume", topic, "--group", group, "--until-end")
    assert r.lines() == ["r5"]


def test_consume_usage_errors(cli, unique_topic):
    for args in (["consume"], ["consume", "t", "--format", "xml"], ["consume", "t", "--offset", "x"],
                 ["consume", "t", "--group", "g", "--partition", "0"],
                 ["consume", "t", "--group", "g", "--offset", "5"],
                 ["consume", "t", "--separator", ":"], ["produce"], ["produce", "a", "b"],
                 ["produce", "t", "--acks", "2"], ["produce", "t", "--compression", "brotli"],
                 ["produce", "t", "--header", "novalue"]):
        r = cli(*args)
        assert r.rc == EXIT_USAGE, r
        assert "usage: gregor" in r.stderr, r
