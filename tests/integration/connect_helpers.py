"""Databases for the connector tests (test_connect_*.py): SQLite files and a PostgreSQL server.

`Postgres` runs a throwaway server from Debian's postgresql package: initdb into a fresh data dir,
listening on a free loopback port, trust authentication, stopped by the fixture's finalizer.
PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user in a dir that
user owns. `Db` hides the two backends behind one small interface: the URL for gregor, a way to
run SQL and get rows back (sqlite3 module, or psql).
"""

import os
import pwd
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest

import helpers

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_START_TIMEOUT_S = 60
PG_STOP_TIMEOUT_S = 30
PSQL_TIMEOUT_S = 60


class SqliteDb:
    kind = "sqlite"

    def __init__(self, path):
        self.path = Path(path)
        self.url = "sqlite:%s" % self.path

    def execute(self, sql):
        con = sqlite3.connect(str(self.path), timeout=30)
        try:
            con.executescript(sql)
            con.commit()
        finally:
            con.close()

    def rows(self, sql):
        con = sqlite3.connect(str(self.path), timeout=30)
        try:
            return [tuple(r) for r in con.execute(sql).fetchall()]
        finally:
            con.close()


class Postgres:
    """A PostgreSQL server owned by one test; databases are created with new_db()."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="gregor-pg-"))
        self.data = self.dir / "data"
        self.port = helpers.free_port()
        self.as_user = None
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL as")
            self.as_user = "postgres"
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        self.started = False
        self.count = 0

    def _cmd(self, args):
        if self.as_user:
            return ["runuser", "-u", self.as_user, "--"] + args
        return args

    def start(self):
        if not (PG_BIN / "initdb").exists():
            pytest.skip("PostgreSQL server binaries missing (%s): run scripts/install-deps" % PG_BIN)
        subprocess.run(self._cmd([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U",
                                  "postgres", "--no-sync", "-E", "UTF8"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       timeout=PG_START_TIMEOUT_S)
        opts = "-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=on" % (self.port, self.dir)
        subprocess.run(self._cmd([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l",
                                  str(self.dir / "server.log"), "-o", opts, "-w", "-t",
                                  str(PG_START_TIMEOUT_S), "start"]),
                       check=True, stdout=subprocess.DEVNULL, timeout=PG_START_TIMEOUT_S + 10)
        self.started = True
        return self

    def stop(self):
        if self.started:
            subprocess.run(self._cmd([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                                      "-t", str(PG_STOP_TIMEOUT_S), "stop"]),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=PG_STOP_TIMEOUT_S + 10)
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def url(self, db="postgres"):
        return "postgresql://postgres@127.0.0.1:%d/%s" % (self.port, db)

    def psql(self, sql, db="postgres"):
        r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1",
                            self.url(db), "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=PSQL_TIMEOUT_S)
        if r.returncode != 0:
            raise AssertionError("psql failed: %s\n%s" % (sql, r.stderr.decode(errors="replace")))
        return r.stdout.decode()

    def new_db(self):
        self.count += 1
        name = "db%d" % self.count
        self.psql("CREATE DATABASE %s" % name)
        return PostgresDb(self, name)


class PostgresDb:
    kind = "postgresql"

    def __init__(self, server, name):
        self.server = server
        self.name = name
        self.url = server.url(name)

    def execute(self, sql):
        self.server.psql(sql, self.name)

    def rows(self, sql):
        out = self.server.psql(sql, self.name)
        return [tuple(None if v == "" else v for v in line.split("\x1f"))
                for line in out.splitlines() if line]


@pytest.fixture(scope="module")
def postgres():
    pg = Postgres()
    try:
        pg.start()
    except subprocess.CalledProcessError as e:
        pg.stop()
        pytest.fail("PostgreSQL did not start: %s" % (e.stderr or b"").decode(errors="replace"))
    yield pg
    pg.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def make_db(request, tmp_path):
    """make_db() -> a new empty database of the parametrized backend."""
    made = [0]

    def make():
        made[0] += 1
        if request.param == "sqlite":
            return SqliteDb(tmp_path / ("db%d.sqlite" % made[0]))
        return request.getfixturevalue("postgres").new_db()

    return make


def wait_rows(db, sql, want, timeout_s=60.0):
    """Waits until `sql` returns `want` rows' count (first column of a COUNT query)."""
    def ok():
        try:
            n = int(db.rows(sql)[0][0])
        except Exception:  # table not created yet
            return False
        return n >= want and n

    return helpers.wait_until(ok, timeout_s, 0.2, "%s to reach %d" % (sql, want))


def assert_config_refused(gregor_bin, tmp_path, text, where):
    """`gregor connect run` on a file of `text` (after one comment line) exits 2 naming `where`."""
    from cli_helpers import EXIT_USAGE, run
    path = tmp_path / "bad.conf"
    path.write_text("# connectors\n" + text)
    r = run(gregor_bin, ["connect", "run", str(path)])
    assert r.rc == EXIT_USAGE, r
    assert str(path) + where in r.stderr, r
