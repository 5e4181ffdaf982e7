"""gregor sql: a query's result set into a topic, and the source mode that publishes new rows only.

Runs against SQLite files and a PostgreSQL server the test starts (connect_helpers.py).
"""

import json

import pytest

from cli_helpers import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Cli
from connect_helpers import make_db, postgres  # noqa: F401 - fixtures

PING_ROWS = [
    ("ADVA FSP3000R7", "62e71893", "F1AbEfLb", "2022-01-01 10:00:00.123", 3, 1.5, True),
    ("VM Lab", None, "F1AbEfLc", "2022-01-01 10:00:01", 12, -0.25, False),
    ("Catalyst 3500XL", "68ae8bef", "F1AbEfLd", "2022-01-02 23:59:59", -7, 0.0, None),
]


@pytest.fixture
def cli(gregor_bin, broker):
    return Cli(gregor_bin, broker)


def create_ping_sensor(db, rows=PING_ROWS):
    db.execute("CREATE TABLE ping_sensor (device_name TEXT, parentelement TEXT, webid TEXT, "
               "timestamp TIMESTAMP, value INTEGER, ratio REAL, up BOOLEAN)")
    for r in rows:
        vals = ", ".join("NULL" if v is None else
                         ("TRUE" if v else "FALSE") if isinstance(v, bool) else
                         repr(v) if isinstance(v, (int, float)) else "'%s'" % v for v in r)
        db.execute("INSERT INTO ping_sensor VALUES (%s)" % vals)


def test_query_rows_become_json_records(cli, make_db, unique_topic):
    db = make_db()
    create_ping_sensor(db)
    topic = cli.create_topic(unique_topic("ping_data"))
    r = cli.ok("sql", "--db", db.url, "--topic", topic, "--key", "webid",
               "SELECT * FROM ping_sensor ORDER BY timestamp")
    assert "published 3 rows" in r.stderr, r
    recs = cli.consume_all(topic)
    assert [x["key"] for x in recs] == [p[2] for p in PING_ROWS]
    values = [json.loads(x["value"]) for x in recs]
    assert values[0] == {"device_name": "ADVA FSP3000R7", "parentelement": "62e71893", "webid": "F1AbEfLb",
                         "timestamp": "2022-01-01T10:00:00.123", "value": 3, "ratio": 1.5, "up": True}
    assert values[1]["parentelement"] is None and values[1]["up"] is False
    assert values[1]["timestamp"] == "2022-01-01T10:00:01"
    assert values[2]["value"] == -7 and values[2]["up"] is None and values[2]["ratio"] == 0.0


def test_query_error_names_it(cli, make_db, unique_topic):
    db = make_db()
    topic = cli.create_topic(unique_topic("t"))
    r = cli("sql", "--db", db.url, "--topic", topic, "SELECT * FROM no_such_table")
    assert r.rc == EXIT_FAILED, r
    assert "query failed" in r.stderr and "no_such_table" in r.stderr, r


def test_bad_arguments(cli, tmp_path):
    r = cli("sql", "--topic", "t", "SELECT 1")
    assert r.rc == EXIT_USAGE and "--db is required" in r.stderr, r
    r = cli("sql", "--db", "mysql://x", "--topic", "t", "SELECT 1")
    assert r.rc == EXIT_FAILED and "expected sqlite:PATH or postgresql://" in r.stderr, r
    r = cli("sql", "--db", "sqlite:%s" % (tmp_path / "x.db"), "--topic", "t", "--track", "id", "SELECT 1")
    assert r.rc == EXIT_USAGE and "--state" in r.stderr, r


def test_unreachable_broker_fails_naming_the_error(gregor_bin, tmp_path):
    from cli_helpers import run, unreachable_bootstrap
    db_path = tmp_path / "s.db"
    import sqlite3
    con = sqlite3.connect(str(db_path))
    con.execute("CREATE TABLE t (a INTEGER)")
    con.execute("INSERT INTO t VALUES (1)")
    con.commit()
    con.close()
    r = run(gregor_bin, ["sql", "--db", "sqlite:%s" % db_path, "--topic", "t", "-X", "message.timeout.ms=2000",
                         "SELECT * FROM t"], unreachable_bootstrap())
    assert r.rc == EXIT_FAILED, r
    assert "row 1:" in r.stderr and "0 of 1 rows delivered" in r.stderr, r


def test_track_publishes_only_new_rows_and_remembers(cli, make_db, unique_topic, tmp_path):
    db = make_db()
    db.execute("CREATE TABLE readings (id INTEGER, v TEXT)")
    db.execute("INSERT INTO readings VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    topic = cli.create_topic(unique_topic("src"))
    state = tmp_path / "readings.pos"
    args = ("sql", "--db", db.url, "--topic", topic, "--track", "id", "--state", state,
            "SELECT id, v FROM readings")
    cli.ok(*args)
    assert json.loads(state.read_text()) == {"column": "id", "kind": "int", "value": "3"}
    cli.ok(*args)  # nothing new: nothing published
    db.execute("INSERT INTO readings VALUES (4, 'd'), (5, 'e')")
    r = cli.ok(*args[:-1], "--interval-ms", "200", "--polls", "3", args[-1])
    assert "published 2 rows" in r.stderr, r
    got = [json.loads(x["value"]) for x in cli.consume_all(topic)]
    assert got == [{"id": i, "v": v} for i, v in zip(range(1, 6), "abcde")]
    assert json.loads(state.read_text())["value"] == "5"
