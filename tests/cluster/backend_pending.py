"""Skip marker for cluster tests while Gregor's ZooKeeper back end is not built in: a broker
binary that still carries the stub's refusal cannot form a cluster. Remove with the stub."""

import pytest

import cluster_harness

STUB_REFUSAL = b"cluster mode is not available"


def stub_only():
    if cluster_harness.IMPL != "gregor":
        return False
    try:
        return STUB_REFUSAL in cluster_harness.gregor_bin().read_bytes()
    except OSError:
        return False


skip_until_backend = pytest.mark.skipif(
    stub_only(), reason="waits for the ZooKeeper back end (src/cluster/cluster.c is still the stub)")
