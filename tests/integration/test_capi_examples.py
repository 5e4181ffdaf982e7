"""libgregor (docs/libgregor.md) end to end: the seed demo of each example (C, Python through
ctypes, Go through cgo) against a Gregor broker, the bad-input program against a broker (also
the ASan builds of it and of the C example when `make asan` made them), and `make install`
with DESTDIR whose pkg-config file builds the C example.

The seed demo: topics animals and plants, keyed records with a header, delivery reports, group
dyalog reads everything and commits by hand, its lag table shows 0, group dyalog-again reads
everything again, the topics are deleted. Each example checks this itself and exits 0.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build"
EXAMPLES = ROOT / "examples"
LIBRARY = BUILD / "libgregor.so.0"
RUN_TIMEOUT_S = 180
BUILD_TIMEOUT_S = 300


def run_checked(cmd, what, **kwargs):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                          timeout=kwargs.pop("timeout", RUN_TIMEOUT_S), **kwargs)
    assert proc.returncode == 0, "%s failed (exit %d)\n--- stdout\n%s\n--- stderr\n%s" % (
        what, proc.returncode, proc.stdout[-8000:], proc.stderr[-8000:])
    return proc.stdout


def assert_seed_demo_output(out):
    assert "seed demo passed" in out
    for group in ("dyalog", "dyalog-again"):
        assert "lag of %s is 0 on all 5 partitions" % group in out, out


def test_c_seed_demo(broker):
    assert_seed_demo_output(run_checked([BUILD / "libgregor_seed_demo", broker.bootstrap], "C seed demo"))


def test_python_ctypes_seed_demo(broker):
    out = run_checked([sys.executable, EXAMPLES / "python" / "seed_demo.py", LIBRARY, broker.bootstrap],
                      "Python (ctypes) seed demo")
    assert_seed_demo_output(out)


def test_go_cgo_seed_demo(broker, tmp_path):
    go = shutil.which("go")
    assert go, "Go is needed for the cgo example (scripts/install-deps installs golang-go)"
    binary = tmp_path / "libgregor-seed-demo"
    # The toolchain at hand builds it (the module asks for Go 1.19, Debian 12's), nothing is fetched.
    env = dict(os.environ, GOTOOLCHAIN="local", GOFLAGS="-mod=mod", CGO_ENABLED="1",
               CGO_CFLAGS="-I%s" % (ROOT / "src" / "capi"),
               CGO_LDFLAGS="-L%s -Wl,-rpath,%s" % (BUILD, BUILD))
    run_checked([go, "build", "-o", binary, "."], "building the Go example", cwd=EXAMPLES / "go", env=env,
                timeout=BUILD_TIMEOUT_S)
    assert_seed_demo_output(run_checked([binary, broker.bootstrap], "Go (cgo) seed demo"))


def test_bad_input_with_broker(broker):
    run_checked([BUILD / "test_capi_bad_input", broker.bootstrap], "bad-input test")


ASAN_ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=1",
                UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")


@pytest.mark.skipif(not (ROOT / "build-asan" / "test_capi_bad_input").exists(),
                    reason="needs the ASan build (make asan)")
def test_bad_input_with_broker_under_asan(broker):
    run_checked([ROOT / "build-asan" / "test_capi_bad_input", broker.bootstrap], "bad-input test (ASan)",
                env=ASAN_ENV)


@pytest.mark.skipif(not (ROOT / "build-asan" / "libgregor_seed_demo").exists(),
                    reason="needs the ASan build (make asan)")
def test_c_seed_demo_under_asan(broker):
    out = run_checked([ROOT / "build-asan" / "libgregor_seed_demo", broker.bootstrap], "C seed demo (ASan)",
                      env=ASAN_ENV)
    assert_seed_demo_output(out)


def test_install_with_destdir_and_pkg_config(broker, tmp_path):
    stage = tmp_path / "stage"
    run_checked(["make", "-C", ROOT, "install", "PREFIX=/opt/gregor", "DESTDIR=%s" % stage, "BUILD=%s" % BUILD],
                "make install", timeout=BUILD_TIMEOUT_S)
    prefix = stage / "opt" / "gregor"
    assert (prefix / "include" / "gregor_client.h").is_file()
    pcs = list(prefix.glob("lib*/**/pkgconfig/gregor-client.pc"))
    assert len(pcs) == 1, list(prefix.rglob("*"))
    libdir = pcs[0].parent.parent
    assert os.readlink(libdir / "libgregor.so") == "libgregor.so.0"
    assert os.readlink(libdir / "libgregor.so.0") == "libgregor.so.0.1.0"
    env = dict(os.environ, PKG_CONFIG_PATH=str(pcs[0].parent))
    flags = run_checked(["pkg-config", "--cflags", "--libs", "gregor-client"], "pkg-config", env=env).split()
    demo = tmp_path / "seed_demo"
    run_checked(["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-o", demo, EXAMPLES / "c" / "seed_demo.c"]
                + flags + ["-Wl,-rpath,%s" % libdir], "compiling the C example against the install")
    assert_seed_demo_output(run_checked([demo, broker.bootstrap], "installed C seed demo"))
