"""Probes with hand-made requests (no client library): record batches a well-behaved client never
sends, to see whether the broker validates what it stores the way Apache Kafka does. Produce v3,
one batch per request, built here byte by byte. Output contract: drivers/common.py.
"""

import gzip
import struct
import sys
from pathlib import Path

import common

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "integration"))
import kafkawire as kw  # noqa: E402

PRODUCE_API = 0
PRODUCE_VERSION = 3
GZIP_ATTRIBUTE = 1


def crc32c(data):
    poly, crc = 0x82F63B78, 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (poly if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def varint(v):
    v = (v << 1) ^ (v >> 63)
    out = b""
    while True:
        b, v = v & 0x7F, v >> 7
        if not v:
            return out + bytes([b])
        out += bytes([b | 0x80])


def record(delta, key, value):
    body = b"\x00" + varint(0) + varint(delta) + varint(len(key)) + key + varint(len(value)) + value + varint(0)
    return varint(len(body)) + body


def batch(payload, attributes, count, ts):
    """Record batch v2 with a correct CRC over whatever payload it is given."""
    after_crc = struct.pack(">hiqqqhii", attributes, count - 1, ts, ts, -1, -1, -1, count) + payload
    body = struct.pack(">ib", 0, 2) + struct.pack(">I", crc32c(after_crc)) + after_crc
    return struct.pack(">qi", 0, len(body)) + body


def produce(ctx, raw):
    req = (kw.i16(-1) + kw.i16(-1) + kw.i32(5000) + kw.i32(1) + kw.string(ctx.topic) + kw.i32(1) + kw.i32(0)
           + kw.i32(len(raw)) + raw)
    with kw.RawConn(ctx.bootstrap, timeout_s=common.OP_TIMEOUT_S) as c:
        c.send_request(PRODUCE_API, PRODUCE_VERSION, req)
        resp = c.recv_frame(common.OP_TIMEOUT_S)
    if resp is None:
        return "connection closed"
    r = kw.Reader(resp[4:])
    r.i32(), r.string(), r.i32(), r.i32()
    code, offset = r.i16(), r.i64()
    return {"error_code": code, "base_offset": offset}


def s_corrupt_compressed_batch(ctx):
    ts = 1700000000800
    one = record(0, b"k", b"v")
    return {
        # gzip attribute, but the payload is not gzip at all
        "gzip_garbage": produce(ctx, batch(b"this is not gzip data", GZIP_ATTRIBUTE, 1, ts)),
        # valid gzip holding one record while the header claims three
        "gzip_count_mismatch": produce(ctx, batch(gzip.compress(one), GZIP_ATTRIBUTE, 3, ts)),
        # the same lie without compression (both brokers check this one)
        "plain_count_mismatch": produce(ctx, batch(one, 0, 3, ts)),
    }


if __name__ == "__main__":
    common.run("Produce v%d by hand" % PRODUCE_VERSION, {"corrupt_compressed_batch": s_corrupt_compressed_batch})
