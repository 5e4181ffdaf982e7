"""Requests carrying the client's idea of the leader epoch: -1 means "don't check", an epoch
newer than the partition's is UNKNOWN_LEADER_EPOCH (75), checked with ListOffsets v4."""

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from kafkawire import RawConn, Reader, array, i8, i32, i64, string

UNKNOWN_LEADER_EPOCH = 75
LATEST = -1


def list_offsets_v4(bootstrap, topic, current_leader_epoch):
    body = i32(-1) + i8(0) + array([string(topic) + array([i32(0) + i32(current_leader_epoch) + i64(LATEST)])])
    with RawConn(bootstrap) as conn:
        conn.send_request(2, 4, body)
        r = Reader(conn.recv_frame())
    r.i32()  # correlation id
    r.i32()  # throttle time
    assert r.i32() == 1
    r.take(r.i16())  # topic name
    assert r.i32() == 1
    assert r.i32() == 0  # partition
    error = r.i16()
    r.i64()  # timestamp
    offset = r.i64()
    return error, offset


@pytest.mark.parametrize("epoch, expected", [(-1, 0), (1000, UNKNOWN_LEADER_EPOCH)])
def test_list_offsets_checks_leader_epoch(broker, unique_topic, epoch, expected):
    topic = unique_topic("epoch")
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})  # kept alive until the topic exists
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    error, offset = list_offsets_v4(broker.bootstrap, topic, epoch)
    assert error == expected
    if expected == 0:
        assert offset == 0
