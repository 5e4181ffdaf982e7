"""Time to the first answered request: poll a port with ApiVersions until a response arrives.

Owns no client library on purpose: the probe must be cheap enough to run every millisecond
while a broker starts, and must not depend on anything the broker under test also uses.
"""

import socket
import struct
import time

API_VERSIONS_KEY = 18
PROBE_CLIENT_ID = b"bench-probe"
PROBE_INTERVAL_S = 0.001
RESPONSE_MAX_BYTES = 1024 * 1024


def api_versions_frame(correlation_id):
    """ApiVersions v0: the one request every broker answers, ready or not for anything else."""
    body = struct.pack(">hhih", API_VERSIONS_KEY, 0, correlation_id, len(PROBE_CLIENT_ID)) + PROBE_CLIENT_ID
    return struct.pack(">i", len(body)) + body


def _recv_exact(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return bytes(data)


def ask(host, port, timeout_s, correlation_id=7):
    """One ApiVersions round trip. True when a well-formed answer came back in time."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as sock:
            # Polling a port nobody listens on yet can connect a socket to itself (its ephemeral
            # source port happened to be that port), which would also steal the port from the
            # broker. Bench ports lie below the ephemeral range; this is the second guard.
            if sock.getsockname() == sock.getpeername():
                return False
            sock.settimeout(timeout_s)
            sock.sendall(api_versions_frame(correlation_id))
            size = struct.unpack(">i", _recv_exact(sock, 4))[0]
            if size < 4 or size > RESPONSE_MAX_BYTES:
                return False
            body = _recv_exact(sock, size)
            return struct.unpack(">i", body[:4])[0] == correlation_id
    except (OSError, ConnectionError, struct.error):
        return False


def wait_first_answer(host, port, deadline, clock=time.monotonic, is_alive=None):
    """Polls about every millisecond until an answer; returns clock() at the answer, or None
    once `deadline` (in clock's terms) passes or is_alive() says the process has died."""
    attempt = 0
    while clock() < deadline and attempt < 10_000_000:
        attempt += 1
        if is_alive is not None and not is_alive():
            return None
        left = max(0.001, deadline - clock())
        if ask(host, port, timeout_s=left, correlation_id=attempt & 0x7FFFFFFF):
            return clock()
        time.sleep(PROBE_INTERVAL_S)
    return None
