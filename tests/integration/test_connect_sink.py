"""gregor connect run: topics into SQL tables with EdgeLake-style mappings, exactly once.

Each test runs against SQLite and a PostgreSQL server it starts (connect_helpers.py).
"""

import json
import signal
import subprocess

import pytest

import helpers
from cli_helpers import EXIT_OK, Cli
from connect_helpers import assert_config_refused, make_db, postgres, wait_rows  # noqa: F401 - fixtures
from test_connect_sql import PING_ROWS, create_ping_sensor

CONNECTOR_STOP_TIMEOUT_S = 30


@pytest.fixture
def cli(gregor_bin, broker):
    return Cli(gregor_bin, broker)


class Connectors:
    """`gregor connect run FILE` processes owned by one test, stopped at teardown."""

    def __init__(self, gregor_bin, tmp_path):
        self.gregor_bin = gregor_bin
        self.tmp_path = tmp_path
        self.procs = []
        self.state_dir = tmp_path / "state"

    def write(self, text, name="connect.conf"):
        path = self.tmp_path / name
        path.write_text('state_dir = "%s"\n%s' % (self.state_dir, text))
        return path

    def start(self, path):
        log = open(self.tmp_path / ("connect%d.log" % len(self.procs)), "wb")
        p = subprocess.Popen([str(self.gregor_bin), "connect", "run", str(path)], stdout=log,
                             stderr=subprocess.STDOUT)
        self.procs.append((p, log))
        return p

    def stop(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(CONNECTOR_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return p.returncode

    def close(self):
        for p, log in self.procs:
            self.stop(p)
            log.close()


@pytest.fixture
def connectors(gregor_bin, tmp_path):
    c = Connectors(gregor_bin, tmp_path)
    yield c
    c.close()


def sink_conf(broker, topic, db, table="ping_sensor", extra=""):
    return """bootstrap = "%s"

[sink ping]
topics = "%s"
reset = "earliest"
db = "%s"
table = "%s"
column.device_name.string = "bring [device_name]"
column.parentelement.string = "bring [parentelement]"
column.parentelement.optional = true
column.webid.string = "bring [webid]"
column.timestamp.timestamp = "bring [timestamp]"
column.value.int = "bring [value]"
column.ratio.float = "bring [ratio]"
column.up.bool = "bring [up]"
column.up.optional = true
%s
""" % (broker.bootstrap, topic, db.url, table, extra)


def norm_ts(v):
    return str(v).replace("T", " ")


def test_edgelake_example_end_to_end(cli, broker, make_db, connectors, unique_topic):
    src, dst = make_db(), make_db()
    create_ping_sensor(src)
    topic = cli.create_topic(unique_topic("ping_data"))
    cli.ok("sql", "--db", src.url, "--topic", topic, "SELECT * FROM ping_sensor ORDER BY timestamp")
    connectors.start(connectors.write(sink_conf(broker, topic, dst, extra="batch.count = 2\n")))
    wait_rows(dst, "SELECT COUNT(*) FROM ping_sensor", len(PING_ROWS))
    got = dst.rows("SELECT device_name, parentelement, webid, timestamp, value, ratio, up FROM ping_sensor "
                   "ORDER BY timestamp")
    assert len(got) == len(PING_ROWS)
    for g, want in zip(got, PING_ROWS):
        assert g[0] == want[0] and g[1] == want[1] and g[2] == want[2]
        assert norm_ts(g[3]) == want[3]
        assert int(g[4]) == want[4] and float(g[5]) == want[5]
        if want[6] is None:
            assert g[6] is None
        else:
            assert g[6] in (want[6], int(want[6]), "t" if want[6] else "f")
    st = helpers.wait_until(lambda: [s for s in status(cli) if s["rows_inserted"] == 3], 30, 0.3, "status")
    assert st[0]["name"] == "ping" and st[0]["state"] == "running" and st[0]["records_in"] == 3
    assert st[0]["lag"] in (0, -1)


def status(cli):
    r = cli("connect", "status", "--json", "--state-dir", cli.state_dir)
    return r.json_lines() if r.rc == EXIT_OK else []


@pytest.fixture(autouse=True)
def _state_dir(request, tmp_path):
    if "cli" in request.fixturenames:
        request.getfixturevalue("cli").state_dir = tmp_path / "state"


def ping_record(i, **over):
    r = {"device_name": "dev%d" % i, "parentelement": None, "webid": "w%d" % i,
         "timestamp": "2023-03-01 00:00:%02d" % (i % 60), "value": i, "ratio": i / 2, "up": i % 2 == 0}
    r.update(over)
    return json.dumps(r)


def test_kill9_mid_batch_neither_loses_nor_duplicates(cli, broker, make_db, connectors, unique_topic):
    db = make_db()
    topic = cli.create_topic(unique_topic("k9"), 3)
    n = 3000
    cli.produce_lines(topic, ["%d|%s" % (i, ping_record(i)) for i in range(n)], "--key-separator", "|")
    path = connectors.write(sink_conf(broker, topic, db, extra="batch.count = 37\nbatch.time_ms = 50\n"))
    for _ in range(3):
        p = connectors.start(path)
        wait_rows(db, "SELECT COUNT(*) FROM ping_sensor", 1, 60)
        helpers.wait_until(lambda: int(db.rows("SELECT COUNT(*) FROM ping_sensor")[0][0]) > 0, 30, 0.01)
        p.kill()
        p.wait()
        if int(db.rows("SELECT COUNT(*) FROM ping_sensor")[0][0]) == n:
            break
    connectors.start(path)
    wait_rows(db, "SELECT COUNT(*) FROM ping_sensor", n, 120)
    values = sorted(int(r[0]) for r in db.rows("SELECT value FROM ping_sensor"))
    assert values == list(range(n)), "gaps or doubles after kill -9"


def test_bad_records_go_to_dead_letter_topic(cli, broker, make_db, connectors, unique_topic):
    db = make_db()
    topic = cli.create_topic(unique_topic("dl"))
    dlt = cli.create_topic(unique_topic("dlt"))
    lines = [ping_record(0), "{not json", ping_record(1, value="seven"), ping_record(2),
             json.dumps({"device_name": "x"}), ping_record(3, timestamp="yesterday"), ping_record(4)]
    cli.produce_lines(topic, lines)
    connectors.start(connectors.write(sink_conf(broker, topic, db, extra='dead_letter_topic = "%s"\n' % dlt)))
    wait_rows(db, "SELECT COUNT(*) FROM ping_sensor", 3)
    assert sorted(int(r[0]) for r in db.rows("SELECT value FROM ping_sensor")) == [0, 2, 4]
    dead = helpers.wait_until(lambda: len(cli.consume_all(dlt)) == 4 and cli.consume_all(dlt), 30, 0.5, "dlt")
    reasons = [{h["key"]: h["value"] for h in d["headers"]} for d in dead]
    assert [r["gregor.offset"] for r in reasons] == ["1", "2", "4", "5"]
    assert reasons[0]["gregor.error"].startswith("bad JSON")
    assert "wrong type" in reasons[1]["gregor.error"] and "[value]" in reasons[1]["gregor.error"]
    assert "missing required field [webid]" in reasons[2]["gregor.error"]
    assert "wrong type" in reasons[3]["gregor.error"] and "[timestamp]" in reasons[3]["gregor.error"]
    assert dead[0]["value"] == "{not json" and all(r["gregor.topic"] == topic for r in reasons)
    # Records are dead-lettered as they come and rows counted when their batch commits: wait for both.
    st = helpers.wait_until(lambda: [s for s in status(cli) if s["dead_lettered"] == 4 and s["rows_inserted"] == 3],
                            30, 0.3, "status")
    assert st[0]["last_error"]


def test_broker_restart_connector_carries_on(cli, broker, make_db, connectors, unique_topic):
    db = make_db()
    topic = cli.create_topic(unique_topic("rs"))
    cli.produce_lines(topic, [ping_record(i) for i in range(50)])
    connectors.start(connectors.write(sink_conf(broker, topic, db, extra="reconnect.interval_ms = 200\n"
                                                                          "reconnect.max_retries = 1000\n")))
    wait_rows(db, "SELECT COUNT(*) FROM ping_sensor", 50)
    broker.restart()
    cli.produce_lines(topic, [ping_record(i) for i in range(50, 100)])
    wait_rows(db, "SELECT COUNT(*) FROM ping_sensor", 100, 90)
    assert sorted(int(r[0]) for r in db.rows("SELECT value FROM ping_sensor")) == list(range(100))


@pytest.mark.parametrize("text,where", [
    ('[sink a]\ntopics = "t"\ndb = "sqlite:x.db"\ntable = "t"\ncolumn.v.integer = "bring [v]"\n',
     ":6: key 'column.v.integer': unknown type"),
    ('[sink a]\ntopics = "t"\ndb = "sqlite:x.db"\ntable = "t"\ncolumn.v.int = "bring [v]"\nbatch.count = lots\n',
     ":7: key 'batch.count': expected a whole number"),
    ('[sink a]\ntopics = "t"\ndb = "sqlite:x.db"\ntable = "t"\ncolumn.v.int = "bring [v]"\ntypo = 1\n',
     ":7: key 'typo': unknown key"),
    ('[sink a]\ntopics = "t\n', ":3: unterminated string"),
    ('[sink a]\ndb = "sqlite:x.db"\n', ":2: key 'topics': missing"),
])
def test_malformed_config_names_file_line_key(gregor_bin, tmp_path, text, where):
    assert_config_refused(gregor_bin, tmp_path, text, where)
