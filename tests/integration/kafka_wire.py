"""Hand-written encoders for the few requests the bad-input tests send, and decoders for their
responses. Client libraries only ever send well-formed requests, so a test that wants a record
batch with a wrong CRC, an oversized record or a version the broker does not know has to build
the bytes itself. Framing, the socket wrapper and primitive encoders come from kafkawire.py;
this file adds record batches (magic 2, CRC-32C), Produce (v3-v9) and Metadata (v4).
"""

import struct

import kafkawire as kw

API_PRODUCE = kw.API_PRODUCE
API_METADATA = kw.API_METADATA
API_API_VERSIONS = kw.API_API_VERSIONS
PRODUCE_FIRST_FLEXIBLE_VERSION = 9
METADATA_VERSION = 4
RECORD_BATCH_MAGIC = 2
BATCH_CRC_OFFSET = 17      # bytes from the start of a batch to its CRC field
BATCH_CRC_COVERS_FROM = 21  # the CRC covers attributes .. end of batch

# Kafka error codes the tests assert (names as in Kafka's Errors enum).
NONE = 0
CORRUPT_MESSAGE = 2
UNKNOWN_TOPIC_OR_PARTITION = 3
MESSAGE_TOO_LARGE = 10
INVALID_TOPIC_EXCEPTION = 17
UNSUPPORTED_VERSION = 35


# ---- CRC-32C (Castagnoli), as record batches use -------------------------------------------

def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


# ---- record batch v2 --------------------------------------------------------------------------

def varint(v):
    """Zigzag VARINT/VARLONG."""
    return kw.uvarint((v << 1) ^ (v >> 63))


def _bytes_field(b):
    return varint(-1) if b is None else varint(len(b)) + b


def record(offset_delta, key, value, headers=(), timestamp_delta=0):
    body = (kw.i8(0) + varint(timestamp_delta) + varint(offset_delta) + _bytes_field(key)
            + _bytes_field(value) + varint(len(headers)))
    for hk, hv in headers:
        body += _bytes_field(hk.encode()) + _bytes_field(hv)
    return varint(len(body)) + body


def record_batch(values, key=None, timestamp_ms=1_700_000_000_000):
    """One uncompressed batch of records with the given values (bytes), no producer id."""
    records = b"".join(record(i, key, v) for i, v in enumerate(values))
    after_crc = (kw.i16(0)                      # attributes: no compression, CreateTime
                 + kw.i32(len(values) - 1)      # last offset delta
                 + kw.i64(timestamp_ms) + kw.i64(timestamp_ms)
                 + kw.i64(-1) + kw.i16(-1) + kw.i32(-1)  # producer id, epoch, base sequence
                 + kw.i32(len(values)) + records)
    crc = struct.pack(">I", crc32c(after_crc))
    after_length = kw.i32(-1) + kw.i8(RECORD_BATCH_MAGIC) + crc + after_crc  # leader epoch -1
    return kw.i64(0) + kw.i32(len(after_length)) + after_length


def with_bad_crc(batch):
    """The same batch with its stored CRC off by one bit (the contents stay intact)."""
    b = bytearray(batch)
    b[BATCH_CRC_OFFSET + 3] ^= 0x01
    return bytes(b)


# ---- Produce --------------------------------------------------------------------------------

def produce_body(version, topic, partition, records, acks=-1, timeout_ms=30_000):
    """ProduceRequest v3..v9: one topic, one partition, `records` as the RECORDS field."""
    if version >= PRODUCE_FIRST_FLEXIBLE_VERSION:
        part = kw.i32(partition) + kw.uvarint(len(records) + 1) + records + kw.EMPTY_TAGS
        topic_data = kw.compact_string(topic) + kw.compact_array([part]) + kw.EMPTY_TAGS
        return (kw.compact_string(None) + kw.i16(acks) + kw.i32(timeout_ms)
                + kw.compact_array([topic_data]) + kw.EMPTY_TAGS)
    part = kw.i32(partition) + kw.i32(len(records)) + records
    topic_data = kw.string(topic) + kw.array([part])
    return kw.string(None) + kw.i16(acks) + kw.i32(timeout_ms) + kw.array([topic_data])


class _Reader(kw.Reader):
    """kafkawire.Reader plus the compact forms of flexible versions."""

    def compact_string(self):
        n = self.uvarint()
        return None if n == 0 else self.take(n - 1).decode()

    def skip_tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())

    def array_count(self, flexible):
        return self.uvarint() - 1 if flexible else self.i32()

    def str_(self, flexible):
        return self.compact_string() if flexible else self.string()


def parse_produce_response(payload, version):
    """-> (correlation_id, [{topic, partition, error, base_offset, error_message}])."""
    flexible = version >= PRODUCE_FIRST_FLEXIBLE_VERSION
    r = _Reader(payload)
    correlation_id = r.i32()
    if flexible:
        r.skip_tags()
    out = []
    for _ in range(r.array_count(flexible)):
        topic = r.str_(flexible)
        for _ in range(r.array_count(flexible)):
            p = {"topic": topic, "partition": r.i32(), "error": r.i16(), "base_offset": r.i64()}
            r.i64()  # log append time
            if version >= 5:
                r.i64()  # log start offset
            p["error_message"] = None
            if version >= 8:
                for _ in range(r.array_count(flexible)):  # record errors
                    r.i32()
                    r.str_(flexible)
                    if flexible:
                        r.skip_tags()
                p["error_message"] = r.str_(flexible)
            if flexible:
                r.skip_tags()
            out.append(p)
        if flexible:
            r.skip_tags()
    return correlation_id, out


def produce(conn, version, topic, partition, records, timeout_s=None):
    """Send one Produce request on a kafkawire.RawConn. Returns the partition result dict, or
    None if the broker closed the connection instead of answering."""
    cid = conn.send_request(API_PRODUCE, version, produce_body(version, topic, partition, records),
                            flexible=version >= PRODUCE_FIRST_FLEXIBLE_VERSION)
    payload = conn.recv_frame(timeout_s)
    if payload is None:
        return None
    got_cid, results = parse_produce_response(payload, version)
    assert got_cid == cid, "correlation id %d, expected %d" % (got_cid, cid)
    assert len(results) == 1, "expected one partition result, got %r" % (results,)
    return results[0]


# ---- Metadata v4 ----------------------------------------------------------------------------

def metadata_body(topics, allow_auto_topic_creation):
    return kw.array([kw.string(t) for t in topics]) + kw.i8(1 if allow_auto_topic_creation else 0)


def metadata_topic_errors(conn, topics, allow_auto_topic_creation=True):
    """Metadata v4 for `topics`: returns {topic: error_code}, or None if the connection closed."""
    cid = conn.send_request(API_METADATA, METADATA_VERSION, metadata_body(topics, allow_auto_topic_creation))
    payload = conn.recv_frame()
    if payload is None:
        return None
    r = _Reader(payload)
    assert r.i32() == cid
    r.i32()  # throttle time
    for _ in range(r.i32()):  # brokers
        r.i32()
        r.string()
        r.i32()
        r.string()
    r.string()  # cluster id
    r.i32()     # controller id
    errors = {}
    for _ in range(r.i32()):
        error = r.i16()
        name = r.string()
        r.i8()  # internal
        for _ in range(r.i32()):  # partitions
            r.i16()
            r.i32()
            r.i32()
            for _ in range(2):  # replicas, isr
                for _ in range(r.i32()):
                    r.i32()
        errors[name] = error
    return errors
