"""How a Produce request's records field is framed into record batches (Produce v3+).

Kafka takes exactly one record batch per partition (ProduceRequest.validateRecords): a second
whole batch is INVALID_RECORD, no whole batch at all is INVALID_RECORD, a batch Length below
14 or an unknown magic is CORRUPT_MESSAGE, an old-format (magic 0/1) batch is INVALID_RECORD,
and zstd before Produce v7 is UNSUPPORTED_COMPRESSION_TYPE. Bytes after the batch that do not
make a second whole batch are dropped and the batch is stored. Every expectation here was
checked against Apache Kafka 4.3 (run with GREGOR_TEST_BOOTSTRAP to check again).
"""

import struct

import pytest

import kafka_wire as w
import stream_check as sc

INVALID_RECORD = 87
UNSUPPORTED_COMPRESSION_TYPE = 76
CODEC_ZSTD = 4
PRODUCE_VERSIONS = [3, 7, 9]


def _with_codec_bits(batch, codec):
    """The batch with its codec bits set (contents unchanged) and the CRC redone."""
    b = bytearray(batch)
    b[22] = (b[22] & ~7) | codec
    b[w.BATCH_CRC_OFFSET:w.BATCH_CRC_OFFSET + 4] = struct.pack(">I", w.crc32c(bytes(b[21:])))
    return bytes(b)


def _with_magic(batch, magic):
    return batch[:16] + bytes([magic]) + batch[17:]


FIRST = w.record_batch([b"first-a", b"first-b"])
SECOND = w.record_batch([b"second"])

# (name, records, expected error) for every version.
REFUSED = [
    ("two-batches", FIRST + SECOND, INVALID_RECORD),
    ("second-batch-bad-crc", FIRST + w.with_bad_crc(SECOND), INVALID_RECORD),
    ("second-batch-magic-1", FIRST + _with_magic(SECOND, 1), INVALID_RECORD),
    ("second-batch-magic-7", FIRST + _with_magic(SECOND, 7), w.CORRUPT_MESSAGE),
    ("second-batch-length-5", FIRST + struct.pack(">qi", 0, 5) + bytes(30), w.CORRUPT_MESSAGE),
    ("torn-batch", FIRST[:-3], INVALID_RECORD),
    ("five-bytes", FIRST[:5], INVALID_RECORD),
    ("header-only", FIRST[:17], INVALID_RECORD),
    ("magic-7", _with_magic(FIRST, 7), w.CORRUPT_MESSAGE),
    ("length-5", struct.pack(">qi", 0, 5) + bytes(30), w.CORRUPT_MESSAGE),
]


@pytest.mark.parametrize("version", PRODUCE_VERSIONS)
def test_produce_records_framing(broker, raw_conn, unique_topic, version):
    topic = unique_topic("framing")
    sc.create_topic(broker.bootstrap, topic, 1)
    c = raw_conn()
    for name, records, want in REFUSED:
        r = w.produce(c, version, topic, 0, records)
        assert r is not None, "%s: connection closed instead of an answer" % name
        assert (r["error"], r["base_offset"]) == (want, -1), (name, r)
    # Nothing of the refused requests was stored.
    assert sc.read_partition(broker.bootstrap, topic, 0) == []

    # Trailing bytes that are no whole batch: the batch is stored, the bytes dropped.
    stored = []
    for tail in (5, 12, 20):
        r = w.produce(c, version, topic, 0, FIRST + SECOND[:tail])
        assert (r["error"], r["base_offset"]) == (w.NONE, len(stored)), (tail, r)
        stored += [b"first-a", b"first-b"]
    assert [v for _, _, v in sc.read_partition(broker.bootstrap, topic, 0)] == stored

    # zstd needs Produce v7 (the codec bits are enough: the check comes before decompression).
    if version < 7:
        r = w.produce(c, version, topic, 0, _with_codec_bits(FIRST, CODEC_ZSTD))
        assert (r["error"], r["base_offset"]) == (UNSUPPORTED_COMPRESSION_TYPE, -1), r
