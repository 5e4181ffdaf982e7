"""Consumer groups with kafkajs 2.2.4 (Node.js): two members split a topic and commit; the
admin API reads the offsets back. The package lives in tests/integration/js (installed by
scripts/install-deps with `npm ci`); the test is skipped without node or the package.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import helpers

JS_DIR = Path(__file__).resolve().parent / "js"
RUN_TIMEOUT_S = 120


@pytest.mark.skipif(shutil.which("node") is None or not (JS_DIR / "node_modules" / "kafkajs").is_dir(),
                    reason="needs node and kafkajs (npm ci --prefix tests/integration/js)")
def test_kafkajs_group_splits_and_commits(broker, unique_topic):
    topic = unique_topic("kafkajs")
    group = helpers.unique_group("kafkajs")
    proc = subprocess.run(["node", str(JS_DIR / "group_check.js"), broker.bootstrap, topic, group],
                          capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    assert lines, "no result from kafkajs (exit %d):\n%s\n%s" % (proc.returncode, proc.stdout, proc.stderr)
    result = json.loads(lines[-1])
    assert result["ok"], result
    assert result["listed"] and result["state"] == "Empty"
    assert sorted(result["assignments"]["a"] + result["assignments"]["b"]) == [0, 1, 2, 3]
