#!/usr/bin/env python3
"""Rows/s from a topic into SQLite and PostgreSQL through `gregor connect run`, against a plain
batched INSERT loop into the same SQLite schema (Python's sqlite3, one transaction per batch) as
the ceiling. Starts its own broker (and PostgreSQL with --postgres) on free loopback ports.

    bench/connect_sink.py [--records N] [--batch N] [--postgres]
"""

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
import helpers  # noqa: E402
import kafkawire  # noqa: E402
from connect_helpers import Postgres  # noqa: E402

GREGOR = str(ROOT / "build" / "gregor")
COLUMNS = [("timestamp", "timestamp"), ("device", "string"), ("value", "int"), ("ratio", "float")]


def record(i):
    return json.dumps({"timestamp": "2024-01-01 00:00:%02d" % (i % 60), "device": "dev%d" % (i % 100),
                       "value": i, "ratio": i / 3})


def run_sink(tmp, bootstrap, topic, url, n, batch, count_rows):
    conf = tmp / ("%s.conf" % abs(hash(url)))
    cols = "\n".join('column.%s.%s = "bring [%s]"' % (c, t, c) for c, t in COLUMNS)
    conf.write_text('bootstrap = "%s"\nstate_dir = "%s"\n[sink bench]\ntopics = "%s"\nreset = "earliest"\n'
                    'db = "%s"\ntable = "readings"\nbatch.count = %d\nbatch.time_ms = 200\n%s\n'
                    % (bootstrap, tmp / "state", topic, url, batch, cols))
    p = subprocess.Popen([GREGOR, "connect", "run", str(conf)], stderr=subprocess.DEVNULL)
    try:
        # Measured from the first committed batch, so start-up and the group join do not count.
        first = helpers.wait_until(lambda: count_rows() or False, 600, 0.01, "first rows")
        start = time.monotonic()
        helpers.wait_until(lambda: count_rows() >= n, 600, 0.05, "rows")
        return (n - first) / (time.monotonic() - start)
    finally:
        p.terminate()
        p.wait(30)


def sqlite_count(path):
    def count():
        try:
            con = sqlite3.connect(str(path), timeout=30)
            try:
                return con.execute("SELECT COUNT(*) FROM readings").fetchone()[0]
            finally:
                con.close()
        except sqlite3.Error:
            return 0
    return count


def plain_loop(path, n, batch):
    rows = [json.loads(record(i)) for i in range(n)]
    con = sqlite3.connect(str(path))
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE readings (timestamp TIMESTAMP NOT NULL, device TEXT NOT NULL, value INTEGER NOT NULL, "
                "ratio REAL NOT NULL)")
    start = time.monotonic()
    for i in range(0, n, batch):
        with con:
            con.executemany("INSERT INTO readings VALUES (?, ?, ?, ?)",
                            [(r["timestamp"], r["device"], r["value"], r["ratio"]) for r in rows[i:i + batch]])
    con.close()
    return n / (time.monotonic() - start)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=200000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--postgres", action="store_true")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gregor-bench-connect-"))
    port = helpers.free_port()
    bootstrap = "127.0.0.1:%d" % port
    broker = subprocess.Popen([GREGOR, "broker", "--override", "listeners=PLAINTEXT://%s" % bootstrap,
                               "--override", "log.dirs=%s" % (tmp / "data")], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    pg = None
    try:
        kafkawire.wait_ready(bootstrap, 30, alive=lambda: broker.poll() is None, require_metadata=False)
        subprocess.run([GREGOR, "topic", "create", "readings", "-b", bootstrap], check=True,
                       stdout=subprocess.DEVNULL)
        data = "".join(record(i) + "\n" for i in range(a.records)).encode()
        subprocess.run([GREGOR, "produce", "readings", "-b", bootstrap], input=data, check=True,
                       stderr=subprocess.DEVNULL)
        print("records: %d, batch.count: %d" % (a.records, a.batch))
        print("plain batched INSERT loop (sqlite3):  %8.0f rows/s" % plain_loop(tmp / "plain.db", a.records, a.batch))
        db = tmp / "sink.db"
        print("gregor connect, topic -> SQLite:     %8.0f rows/s" %
              run_sink(tmp, bootstrap, "readings", "sqlite:%s" % db, a.records, a.batch, sqlite_count(db)))
        if a.postgres:
            pg = Postgres().start()
            pgdb = pg.new_db()

            def pg_count():
                try:
                    return int(pgdb.rows("SELECT COUNT(*) FROM readings")[0][0])
                except AssertionError:
                    return 0
            print("gregor connect, topic -> PostgreSQL: %8.0f rows/s" %
                  run_sink(tmp, bootstrap, "readings", pgdb.url, a.records, a.batch, pg_count))
    finally:
        if pg:
            pg.stop()
        broker.terminate()
        broker.wait(30)
        subprocess.run(["rm", "-rf", str(tmp)])


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
