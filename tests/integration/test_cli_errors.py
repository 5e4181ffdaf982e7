"""Errors every tool shares: unreachable cluster, bad options, help, exit codes."""

import pytest

from cli_helpers import EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE, Cli, run, unreachable_bootstrap

# Each tool with arguments that would work against a reachable cluster.
TOOL_ARGS = [
    ["topic", "list"],
    ["topic", "describe", "t"],
    ["topic", "create", "t"],
    ["produce", "t"],
    ["consume", "t"],
    ["group", "list"],
    ["group", "describe", "g"],
    ["config", "get", "--topic", "t"],
    ["cluster"],
    ["perf", "produce", "t", "--num-records", "1"],
    ["perf", "consume", "t", "--num-records", "1"],
]

HELP_COMMANDS = [["topic", "create"], ["topic", "list"], ["topic", "describe"], ["topic", "delete"],
                 ["topic", "alter"], ["produce"], ["consume"], ["group", "list"],
                 ["group", "describe"], ["group", "reset-offsets"], ["group", "delete"],
                 ["config", "get"], ["config", "set"], ["cluster"], ["perf", "produce"],
                 ["perf", "consume"]]


@pytest.mark.parametrize("args", TOOL_ARGS, ids=lambda a: "-".join(a[:2]))
def test_unreachable_cluster(gregor_bin, args):
    bootstrap = unreachable_bootstrap()
    # The subprocess timeout is the bound: the tool must give up by itself well before it.
    r = run(gregor_bin, args + ["--request-timeout-ms", "3000"], bootstrap, stdin="x\n", timeout_s=60)
    assert r.rc == EXIT_UNREACHABLE, r
    assert "cannot reach the cluster" in r.stderr, r
    assert bootstrap in r.stderr


def test_unreachable_default_timeout(gregor_bin):
    r = run(gregor_bin, ["topic", "list"], unreachable_bootstrap(), timeout_s=60)
    assert r.rc == EXIT_UNREACHABLE, r


def test_bootstrap_from_environment(gregor_bin, broker):
    import os
    env = dict(os.environ, GREGOR_BOOTSTRAP=broker.bootstrap)
    r = run(gregor_bin, ["topic", "list"], None, env=env)
    assert r.rc == EXIT_OK, r


@pytest.mark.parametrize("args", HELP_COMMANDS, ids=lambda a: "-".join(a))
def test_help(gregor_bin, args):
    r = run(gregor_bin, args + ["--help"])
    assert r.rc == EXIT_OK, r
    assert r.stdout.startswith("usage: gregor %s" % " ".join(args))
    for common in ("--bootstrap-server", "-X", "--request-timeout-ms", "--json", "exit codes"):
        assert common in r.stdout, common


@pytest.mark.parametrize("tool", ["topic", "group", "config", "perf"])
def test_tool_help_lists_subcommands(gregor_bin, tool):
    r = run(gregor_bin, [tool, "--help"])
    assert r.rc == EXIT_OK and "sub-commands:" in r.stdout
    r = run(gregor_bin, [tool, "nosuch"])
    assert r.rc == EXIT_USAGE and "unknown sub-command" in r.stderr


def test_unknown_tool_and_top_level_help(gregor_bin):
    r = run(gregor_bin, ["nosuchtool"])
    assert r.rc == EXIT_USAGE, r
    r = run(gregor_bin, ["--help"])
    assert r.rc == EXIT_OK
    for tool in ("topic", "produce", "consume", "group", "config", "cluster", "perf"):
        assert "  %s " % tool in r.stdout


@pytest.mark.parametrize("args", [
    ["topic", "list", "--no-such-option"],
    ["topic", "list", "-Q"],
    ["topic", "list", "--json=yes"],
    ["topic", "list", "--request-timeout-ms", "soon"],
    ["topic", "list", "--request-timeout-ms"],
    ["topic", "list", "-X", "novalue"],
    ["topic", "list", "-X", "no.such.librdkafka.property=1"],
    ["consume", "t", "--count", "-1"],
])
def test_bad_options(gregor_bin, broker, args):
    r = run(gregor_bin, args, broker.bootstrap)
    assert r.rc == EXIT_USAGE, r
    assert "usage: gregor" in r.stderr and r.stdout == ""


def test_librdkafka_properties_pass_through(gregor_bin, broker, unique_topic):
    cli = Cli(gregor_bin, broker)
    topic = cli.create_topic(unique_topic("xprop"))
    cli.ok("produce", topic, "-X", "linger.ms=0", "-X", "batch.num.messages=1", stdin="a\nb\n")
    r = cli.ok("consume", topic, "--from-beginning", "--until-end", "-Xfetch.wait.max.ms=10")
    assert r.lines() == ["a", "b"]
