"""A broker asked for protection it cannot give refuses to start and names the key, instead of
serving every API to clients that never authenticated (TLS, SASL and ACLs are not provided)."""

import socket
import subprocess

import pytest

import helpers
from conftest import _gregor_bin_path as gregor_binary

START_TIMEOUT_S = 20

REFUSED = [
    ({"listeners": "SASL_PLAINTEXT://127.0.0.1:{port}", "sasl.enabled.mechanisms": "PLAIN"}, "'listeners'"),
    ({"listeners": "SSL://127.0.0.1:{port}"}, "'listeners'"),
    ({"listeners": "PLAINTEXT://127.0.0.1:{port},SASL_SSL://127.0.0.1:{port2}"}, "'listeners'"),
    ({"listeners": "INTERNAL://127.0.0.1:{port}",
      "listener.security.protocol.map": "INTERNAL:SASL_PLAINTEXT"}, "'listeners'"),
    ({"listeners": "PLAINTEXT://127.0.0.1:{port}", "security.inter.broker.protocol": "SASL_SSL"},
     "'security.inter.broker.protocol'"),
    ({"listeners": "PLAINTEXT://127.0.0.1:{port}",
      "authorizer.class.name": "kafka.security.authorizer.AclAuthorizer"}, "'authorizer.class.name'"),
]


@pytest.mark.parametrize("settings,key", REFUSED, ids=[k + "-" + str(i) for i, (_, k) in enumerate(REFUSED)])
def test_unhonourable_security_settings_refuse_start(tmp_path, settings, key):
    port, port2 = helpers.free_port(), helpers.free_port()
    cmd = [str(gregor_binary()), "broker", "--override", "log.dirs=%s" % (tmp_path / "data")]
    for k, v in settings.items():
        cmd += ["--override", "%s=%s" % (k, v.format(port=port, port2=port2))]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=START_TIMEOUT_S)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "configuration key %s" % key in proc.stderr, proc.stderr
    # Nothing listens on the port it was asked to protect.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
