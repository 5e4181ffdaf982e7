"""Running the `gregor` client tools from tests (used by test_cli_*.py).

Every run is bounded by a timeout; output is captured as bytes and decoded leniently, since
consumed records may hold arbitrary bytes.
"""

import json
import subprocess

import helpers

TOOL_TIMEOUT_S = 90.0

# Exit codes documented in docs/tools.md.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_UNREACHABLE = 4


class Result:
    def __init__(self, args, proc):
        self.args = args
        self.rc = proc.returncode
        self.stdout_bytes = proc.stdout
        self.stdout = proc.stdout.decode("utf-8", "replace")
        self.stderr = proc.stderr.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.stdout)

    def json_lines(self):
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]

    def lines(self):
        return self.stdout.splitlines()

    def __repr__(self):
        return "gregor %s -> rc %s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
            " ".join(self.args), self.rc, self.stdout[-4000:], self.stderr[-4000:])


def run(gregor_bin, args, bootstrap=None, stdin=None, timeout_s=TOOL_TIMEOUT_S, env=None):
    """gregor ARGS [-b BOOTSTRAP]; stdin may be bytes or str."""
    cmd = [str(gregor_bin)] + [str(a) for a in args]
    if bootstrap:
        cmd += ["-b", bootstrap]
    if isinstance(stdin, str):
        stdin = stdin.encode()
    proc = subprocess.run(cmd, input=stdin if stdin is not None else b"", stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout_s, env=env)
    return Result([str(a) for a in args], proc)


class Cli:
    """Binds the binary and the broker: cli("topic", "list") -> Result."""

    def __init__(self, gregor_bin, broker):
        self.gregor_bin = gregor_bin
        self.broker = broker

    def __call__(self, *args, stdin=None, timeout_s=TOOL_TIMEOUT_S):
        return run(self.gregor_bin, args, self.broker.bootstrap, stdin, timeout_s)

    def ok(self, *args, stdin=None, timeout_s=TOOL_TIMEOUT_S):
        """Runs and asserts exit 0."""
        r = self(*args, stdin=stdin, timeout_s=timeout_s)
        assert r.rc == EXIT_OK, r
        return r

    def create_topic(self, topic, partitions=1, *extra):
        self.ok("topic", "create", topic, "--partitions", partitions, *extra)
        return topic

    def produce_lines(self, topic, lines, *extra):
        data = "".join(line + "\n" for line in lines)
        r = self.ok("produce", topic, *extra, stdin=data)
        assert "delivered %d records, failed 0" % len(lines) in r.stderr, r
        return r

    def consume_all(self, topic, *extra):
        """Everything in the topic as JSON records (no group)."""
        r = self.ok("consume", topic, "--from-beginning", "--until-end", "--format", "json",
                    "--timeout-ms", "30000", *extra)
        return r.json_lines()

    def describe_group(self, group):
        r = self.ok("group", "describe", group, "--json")
        groups = r.json()["groups"]
        assert len(groups) == 1, r
        return groups[0]

    def wait_group_members(self, group, count, timeout_s=60.0):
        def members():
            r = self("group", "describe", group, "--json")
            if r.rc != EXIT_OK:
                return False
            g = r.json()["groups"][0]
            return g if len(g["members"]) == count and g["state"] == "Stable" else False

        return helpers.wait_until(members, timeout_s, 0.5, "group %s to have %d members" % (group, count))


def unreachable_bootstrap():
    """A loopback address where nothing listens (a port that was free a moment ago)."""
    return "127.0.0.1:%d" % helpers.free_port()
