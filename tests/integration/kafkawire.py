"""Minimal Kafka wire-protocol helpers for tests: raw frames over a socket.

Client libraries never send malformed bytes, so bad-input tests need a way to write
arbitrary frames and observe whether the broker answers or closes the connection. The same
helpers give a readiness probe (ApiVersions) that does not depend on any client library, which
scripts/apache-kafka also uses:  python3 kafkawire.py wait HOST:PORT TIMEOUT_S
"""

import socket
import struct
import sys
import time

API_PRODUCE = 0
API_FETCH = 1
API_LIST_OFFSETS = 2
API_METADATA = 3
API_API_VERSIONS = 18
API_CREATE_TOPICS = 19

DEFAULT_TIMEOUT_S = 10.0
MAX_TEST_FRAME_BYTES = 64 * 1024 * 1024  # refuse to buffer absurd sizes from a broken broker


# ---- primitive encoders -------------------------------------------------------------------

def i8(v):
    return struct.pack(">b", v)


def i16(v):
    return struct.pack(">h", v)


def i32(v):
    return struct.pack(">i", v)


def i64(v):
    return struct.pack(">q", v)


def uvarint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def string(s):
    """Classic nullable STRING: int16 length, -1 for None."""
    if s is None:
        return i16(-1)
    b = s.encode() if isinstance(s, str) else s
    return i16(len(b)) + b


def compact_string(s):
    """COMPACT_NULLABLE_STRING: uvarint length+1, 0 for None."""
    if s is None:
        return uvarint(0)
    b = s.encode() if isinstance(s, str) else s
    return uvarint(len(b) + 1) + b


def array(items):
    """Classic ARRAY of pre-encoded items; None encodes as a null array."""
    if items is None:
        return i32(-1)
    return i32(len(items)) + b"".join(items)


def compact_array(items):
    if items is None:
        return uvarint(0)
    return uvarint(len(items) + 1) + b"".join(items)


EMPTY_TAGS = uvarint(0)


# ---- frames ---------------------------------------------------------------------------------

def request_header(api_key, api_version, correlation_id, client_id="gregor-test", flexible=False):
    """Request header v1 (classic) or v2 (flexible: trailing tagged fields)."""
    h = i16(api_key) + i16(api_version) + i32(correlation_id) + string(client_id)
    if flexible:
        h += EMPTY_TAGS
    return h


def frame(payload):
    """Prefix a payload with its int32 size."""
    return i32(len(payload)) + payload


def request_frame(api_key, api_version, correlation_id, body=b"", client_id="gregor-test",
                  flexible=False):
    return frame(request_header(api_key, api_version, correlation_id, client_id, flexible) + body)


def split_bootstrap(bootstrap):
    host, _, port = bootstrap.rpartition(":")
    return host.strip("[]"), int(port)


class RawConn:
    """One TCP connection that sends arbitrary bytes and reads size-prefixed frames."""

    def __init__(self, bootstrap, timeout_s=DEFAULT_TIMEOUT_S):
        host, port = split_bootstrap(bootstrap)
        self.sock = socket.create_connection((host, port), timeout=timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout_s = timeout_s
        self.next_correlation_id = 1

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        """Write bytes as they are. Returns False if the peer already closed."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError):
            return False

    def send_request(self, api_key, api_version, body=b"", flexible=False, client_id="gregor-test",
                     correlation_id=None):
        """Send a well-framed request; returns the correlation id used."""
        if correlation_id is None:
            correlation_id = self.next_correlation_id
            self.next_correlation_id += 1
        self.send_raw(request_frame(api_key, api_version, correlation_id, body, client_id, flexible))
        return correlation_id

    def _recv_exact(self, n, deadline):
        buf = bytearray()
        while len(buf) < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no complete frame from broker in time")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(n - len(buf))
            except socket.timeout:
                raise TimeoutError("no complete frame from broker in time") from None
            except ConnectionResetError:
                return None
            if not chunk:
                return None
            buf += chunk
        return bytes(buf)

    def recv_frame(self, timeout_s=None):
        """Next response frame without its size prefix; None if the broker closed the
        connection; raises TimeoutError if nothing complete arrives in time."""
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        head = self._recv_exact(4, deadline)
        if head is None:
            return None
        (size,) = struct.unpack(">i", head)
        if size < 0 or size > MAX_TEST_FRAME_BYTES:
            raise ValueError("response frame size %d out of range" % size)
        return self._recv_exact(size, deadline)

    def is_closed_by_peer(self, timeout_s=None):
        """True if the broker closes the connection (EOF or reset) within the timeout,
        discarding any frames it sends first; False if it stays open and silent."""
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except ConnectionResetError:
                return True
            if not chunk:
                return True


# ---- decoding helpers -----------------------------------------------------------------------

class Reader:
    """Bounds-checked reader for response bodies (raises ValueError when short)."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise ValueError("response truncated")
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def i8(self):
        return struct.unpack(">b", self.take(1))[0]

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def string(self):
        n = self.i16()
        return None if n < 0 else self.take(n).decode()

    def uvarint(self):
        shift = 0
        value = 0
        for _ in range(5):
            b = self.take(1)[0]
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7
        raise ValueError("varint too long")

    def remaining(self):
        return len(self.data) - self.pos


def parse_api_versions_v0(payload):
    """Decode an ApiVersions v0 response frame (header v0 + body).
    Returns (correlation_id, error_code, {api_key: (min, max)})."""
    r = Reader(payload)
    correlation_id = r.i32()
    error = r.i16()
    count = r.i32()
    if count < 0 or count > 1000:
        raise ValueError("bad api count %d" % count)
    apis = {}
    for _ in range(count):
        key = r.i16()
        apis[key] = (r.i16(), r.i16())
    return correlation_id, error, apis


def api_versions(bootstrap, timeout_s=DEFAULT_TIMEOUT_S):
    """Ask the broker for its supported API ranges (ApiVersions v0)."""
    with RawConn(bootstrap, timeout_s) as c:
        cid = c.send_request(API_API_VERSIONS, 0)
        payload = c.recv_frame()
        if payload is None:
            raise ConnectionError("broker closed the connection on ApiVersions")
        got_cid, error, apis = parse_api_versions_v0(payload)
        if got_cid != cid:
            raise ValueError("correlation id %d, expected %d" % (got_cid, cid))
        if error != 0:
            raise ValueError("ApiVersions error %d" % error)
        return apis


def metadata_broker_count(bootstrap, timeout_s=DEFAULT_TIMEOUT_S):
    """Number of brokers in a Metadata v1 response for no topics (empty array)."""
    with RawConn(bootstrap, timeout_s) as c:
        c.send_request(API_METADATA, 1, array([]))
        payload = c.recv_frame()
        if payload is None:
            raise ConnectionError("broker closed the connection on Metadata")
        r = Reader(payload)
        r.i32()  # correlation id
        return r.i32()


BATCH_RECORD_COUNT_OFFSET = 57  # bytes from the start of a v2 record batch to its record count
BATCH_HEADER_BYTES = 61


def fetch_batches(bootstrap, topic, partition, offset=0, max_bytes=1024 * 1024,
                  timeout_s=DEFAULT_TIMEOUT_S):
    """Fetch v4 from one partition; returns (error_code, high_watermark, batches) where each
    batch is a dict with base_offset, magic, attributes, compression (attributes & 7) and
    record_count. Lets tests see how records are stored, which client libraries hide."""
    body = (i32(-1) + i32(500) + i32(1) + i32(max_bytes) + i8(0)
            + array([string(topic) + array([i32(partition) + i64(offset) + i32(max_bytes)])]))
    with RawConn(bootstrap, timeout_s) as c:
        c.send_request(API_FETCH, 4, body)
        payload = c.recv_frame()
        if payload is None:
            raise ConnectionError("broker closed the connection on Fetch")
    r = Reader(payload)
    r.i32()  # correlation id
    r.i32()  # throttle time
    for _ in range(r.i32()):
        name = r.string()
        for _ in range(r.i32()):
            pidx = r.i32()
            error = r.i16()
            high_watermark = r.i64()
            r.i64()  # last stable offset
            aborted = r.i32()
            for _ in range(max(aborted, 0)):
                r.i64()
                r.i64()
            size = r.i32()
            records = r.take(size) if size > 0 else b""
            if name != topic or pidx != partition:
                continue
            batches = []
            pos = 0
            while pos + BATCH_HEADER_BYTES <= len(records):
                base_offset, batch_len = struct.unpack_from(">qi", records, pos)
                if pos + 12 + batch_len > len(records):
                    break  # partial batch at the end of the fetch
                magic = records[pos + 16]
                (attributes,) = struct.unpack_from(">h", records, pos + 21)
                (count,) = struct.unpack_from(">i", records, pos + BATCH_RECORD_COUNT_OFFSET)
                batches.append({"base_offset": base_offset, "magic": magic,
                                "attributes": attributes, "compression": attributes & 7,
                                "record_count": count})
                pos += 12 + batch_len
            return error, high_watermark, batches
    raise ValueError("partition %s-%d missing from Fetch response" % (topic, partition))


def probe(bootstrap, timeout_s=2.0, require_metadata=True):
    """True if the broker answers ApiVersions (and, with require_metadata, lists at least one
    broker in a Metadata response: a starting Kafka answers ApiVersions a little earlier)."""
    try:
        api_versions(bootstrap, timeout_s)
        return not require_metadata or metadata_broker_count(bootstrap, timeout_s) >= 1
    except (OSError, ValueError, TimeoutError):
        return False


def wait_ready(bootstrap, timeout_s, alive=None, interval_s=0.1, require_metadata=True):
    """Poll until probe() succeeds. `alive` is an optional callable; when it returns False
    (the broker process died) waiting stops early. Returns True when ready."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            return False
        if probe(bootstrap, min(2.0, max(0.1, deadline - time.monotonic())), require_metadata):
            return True
        time.sleep(interval_s)
    return False


def _main(argv):
    if len(argv) == 4 and argv[1] == "wait":
        return 0 if wait_ready(argv[2], float(argv[3])) else 1
    if len(argv) == 3 and argv[1] == "probe":
        return 0 if probe(argv[2]) else 1
    sys.stderr.write("usage: kafkawire.py wait HOST:PORT TIMEOUT_S | probe HOST:PORT\n")
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
