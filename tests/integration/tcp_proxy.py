"""A small threaded TCP proxy on 127.0.0.1 that a test controls, to break connections on purpose.

Clients connect to the proxy, the proxy connects to the broker and copies bytes both ways. The
test calls cut_all() to close every current connection on both sides at once, mid-stream: the
client sees its connection drop with requests in flight, and the broker sees its peer vanish,
so one cut covers a client-side and a broker-side disconnect. New connections are accepted
again right away (clients reconnect). cut_at_next_response() cuts at the worst moment for a
producer: the broker has handled a request (e.g. appended a Produce batch) but its answer is
thrown away, so the client must resend something the broker already has.

A Kafka client learns broker addresses from Metadata responses and would connect straight to
the broker after bootstrapping through the proxy. With rewrite_metadata=True the proxy parses
Metadata responses (every version, classic and flexible) and replaces each broker's host and
port with its own, so all traffic keeps flowing through it. This works with any single-node
broker, Gregor or Apache Kafka, without changing its advertised.listeners.
"""

import socket
import struct
import threading

ACCEPT_POLL_S = 0.2          # how often the accept loop checks for close()
COPY_CHUNK_BYTES = 64 * 1024
FRAME_MAX_BYTES = 128 * 1024 * 1024  # a larger size prefix means the stream is not Kafka: stop
CONNECT_TIMEOUT_S = 10.0
JOIN_TIMEOUT_S = 5.0
API_METADATA = 3
METADATA_FIRST_FLEXIBLE_VERSION = 9


class TcpProxy:
    def __init__(self, upstream, rewrite_metadata=False, listen_host="127.0.0.1"):
        """upstream: "HOST:PORT" of the broker."""
        host, _, port = upstream.rpartition(":")
        self.upstream = (host.strip("[]"), int(port))
        self.rewrite_metadata = rewrite_metadata
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((listen_host, 0))
        self._listener.listen(64)
        self._listener.settimeout(ACCEPT_POLL_S)
        self.host, self.port = self._listener.getsockname()[:2]
        self.address = "%s:%d" % (self.host, self.port)
        self._lock = threading.Lock()
        self._pairs = []           # [client_sock, upstream_sock] of live connections
        self._threads = []
        self._closed = threading.Event()
        self.accepted = 0          # connections accepted so far
        self.cuts = 0              # connections closed by cut_all()
        self.errors = []           # unexpected exceptions in pump threads (a test asserts none)
        self._armed = None         # (api_key, reset) of a pending cut_at_next_response()
        self._fired = threading.Event()
        self._acceptor = threading.Thread(target=self._accept_loop, name="proxy-accept", daemon=True)
        self._acceptor.start()

    # -- control --------------------------------------------------------------------------------

    def cut_all(self, reset=False):
        """Close every current connection on both sides. reset=True sends RST instead of FIN.
        Returns the number of connections cut."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for s in pair:
                _close(s, reset)
        self.cuts += len(pairs)
        return len(pairs)

    def cut_at_next_response(self, api_key, reset=False):
        """Arm a one-shot trigger: the next response to a request with `api_key` is dropped
        and every connection is cut. Needs the frame-aware mode (rewrite_metadata=True).
        wait_fired() tells when it happened."""
        if not self.rewrite_metadata:
            raise ValueError("cut_at_next_response needs rewrite_metadata=True (frame parsing)")
        with self._lock:
            self._fired.clear()
            self._armed = (api_key, reset)

    def wait_fired(self, timeout_s):
        return self._fired.wait(timeout_s)

    def live_connections(self):
        with self._lock:
            return len(self._pairs)

    def close(self):
        self._closed.set()
        self.cut_all()
        _close(self._listener, False)
        self._acceptor.join(JOIN_TIMEOUT_S)
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            t.join(JOIN_TIMEOUT_S)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- internals ------------------------------------------------------------------------------

    def _accept_loop(self):
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                up = socket.create_connection(self.upstream, timeout=CONNECT_TIMEOUT_S)
            except OSError:
                _close(client, True)
                continue
            for s in (client, up):
                s.settimeout(None)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pair = [client, up]
            with self._lock:
                if self._closed.is_set():
                    _close(client, True)
                    _close(up, True)
                    return
                self._pairs.append(pair)
                self.accepted += 1
            if self.rewrite_metadata:
                inflight = {}  # correlation id -> (api key, api version), per connection
                workers = [(self._pump_requests, (client, up, inflight, pair)),
                           (self._pump_responses, (up, client, inflight, pair))]
            else:
                workers = [(self._pump_bytes, (client, up, pair)), (self._pump_bytes, (up, client, pair))]
            for fn, args in workers:
                t = threading.Thread(target=fn, args=args, name="proxy-pump", daemon=True)
                with self._lock:
                    self._threads = [x for x in self._threads if x.is_alive()] + [t]
                t.start()

    def _drop(self, pair):
        """One direction ended: end the whole connection (both sockets)."""
        with self._lock:
            if pair in self._pairs:
                self._pairs.remove(pair)
        for s in pair:
            _close(s, False)

    def _pump_bytes(self, src, dst, pair):
        try:
            while True:
                data = src.recv(COPY_CHUNK_BYTES)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        self._drop(pair)

    def _pump_requests(self, src, dst, inflight, pair):
        """Client to broker, frame by frame, remembering each request's key and version."""
        try:
            while True:
                frame = _read_frame(src)
                if frame is None or len(frame) < 12:
                    break
                key, version, correlation_id = struct.unpack(">hhi", frame[4:12])
                inflight[correlation_id] = (key, version)
                dst.sendall(frame)
        except OSError:
            pass
        self._drop(pair)

    def _pump_responses(self, src, dst, inflight, pair):
        """Broker to client, frame by frame, rewriting broker addresses in Metadata responses."""
        try:
            while True:
                frame = _read_frame(src)
                if frame is None or len(frame) < 8:
                    break
                (correlation_id,) = struct.unpack(">i", frame[4:8])
                key, version = inflight.pop(correlation_id, (None, None))
                if self._take_trigger(key):
                    return  # cut_all() closed this connection too; the response is lost
                if key == API_METADATA:
                    frame = _rewrite_metadata(frame, version, self.host, self.port)
                dst.sendall(frame)
        except OSError:
            pass
        except (IndexError, struct.error) as e:  # a Metadata response this parser misread
            self.errors.append("metadata rewrite failed: %r" % (e,))
        self._drop(pair)

    def _take_trigger(self, api_key):
        with self._lock:
            armed = self._armed
            if armed is None or armed[0] != api_key:
                return False
            self._armed = None
        self.cut_all(reset=armed[1])
        self._fired.set()
        return True


def _close(s, reset):
    # shutdown() also wakes the pump thread blocked in recv() on this socket (close() alone
    # would not). For a reset, only the read side is shut (sends nothing), then close() with a
    # zero linger time sends RST.
    try:
        if reset:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.shutdown(socket.SHUT_RD)
        else:
            s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        s.close()
    except OSError:
        pass


def _recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(min(n - len(buf), COPY_CHUNK_BYTES))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _read_frame(s):
    """One whole frame including its size prefix, or None at end of stream."""
    head = _recv_exact(s, 4)
    if head is None:
        return None
    (size,) = struct.unpack(">i", head)
    if size < 0 or size > FRAME_MAX_BYTES:
        return None
    body = _recv_exact(s, size)
    return None if body is None else head + body


def _uvarint(data, pos):
    value = shift = 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7


def _put_uvarint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def _skip_tags(data, pos):
    count, pos = _uvarint(data, pos)
    for _ in range(count):
        _, pos = _uvarint(data, pos)
        size, pos = _uvarint(data, pos)
        pos += size
    return pos


def _rewrite_metadata(frame, version, host, port):
    """Return `frame` with every broker entry pointing at host:port. Layout (MetadataResponse):
    header [correlation id, tags if flexible], throttle_time_ms (v3+), brokers array of
    {node_id, host, port, rack (v1+), tags if flexible}, then the rest, copied unchanged."""
    flexible = version >= METADATA_FIRST_FLEXIBLE_VERSION
    data = frame[4:]
    pos = 4  # correlation id
    if flexible:
        pos = _skip_tags(data, pos)
    if version >= 3:
        pos += 4
    out = bytearray(data[:pos])
    if flexible:
        n, pos = _uvarint(data, pos)
        count = n - 1
        out += _put_uvarint(n)
    else:
        (count,) = struct.unpack(">i", data[pos:pos + 4])
        out += data[pos:pos + 4]
        pos += 4
    host_bytes = host.encode()
    for _ in range(max(count, 0)):
        out += data[pos:pos + 4]  # node id
        pos += 4
        if flexible:
            n, pos = _uvarint(data, pos)
            pos += n - 1
            out += _put_uvarint(len(host_bytes) + 1) + host_bytes
        else:
            (n,) = struct.unpack(">h", data[pos:pos + 2])
            pos += 2 + n
            out += struct.pack(">h", len(host_bytes)) + host_bytes
        pos += 4
        out += struct.pack(">i", port)
        rack_start = pos
        if version >= 1:
            if flexible:
                n, pos = _uvarint(data, pos)
                pos += max(n - 1, 0)
            else:
                (n,) = struct.unpack(">h", data[pos:pos + 2])
                pos += 2 + max(n, 0)
        if flexible:
            pos = _skip_tags(data, pos)
        out += data[rack_start:pos]
    out += data[pos:]
    return struct.pack(">i", len(out)) + bytes(out)
