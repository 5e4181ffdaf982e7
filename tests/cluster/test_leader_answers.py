"""What leaders and followers answer, over the raw wire (non-flexible versions, so each field is
visible here): followers refuse consumers' ListOffsets, OffsetForLeaderEpoch and Fetch with
NOT_LEADER_OR_FOLLOWER; the leader answers latest with the high watermark and
OffsetForLeaderEpoch from its leader epoch cache, which after a failover still knows where the
old epoch ended."""

import pytest
from confluent_kafka import Producer

import cluster_harness
import kafkawire
from kafkawire import Reader, array, i8, i32, i64, string


NOT_LEADER_OR_FOLLOWER = 6
CONSUMER = -1
LATEST = -1
FIRST_RECORDS = 20
MORE_RECORDS = 10


def call(bootstrap, api_key, version, body):
    with kafkawire.RawConn(bootstrap) as c:
        cid = c.send_request(api_key, version, body)
        frame = c.recv_frame()
    assert frame is not None, "broker %s closed the connection" % bootstrap
    r = Reader(frame)
    assert r.i32() == cid
    return r


def list_offsets_latest(bootstrap, topic):
    """ListOffsets v1: (error, offset) of partition 0."""
    body = i32(CONSUMER) + array([string(topic) + array([i32(0) + i64(LATEST)])])
    r = call(bootstrap, 2, 1, body)
    assert r.i32() == 1 and r.string() == topic and r.i32() == 1
    assert r.i32() == 0
    error = r.i16()
    r.i64()  # timestamp
    return error, r.i64()


def offset_for_leader_epoch(bootstrap, topic, epoch):
    """OffsetForLeaderEpoch v3 as a consumer asks: (error, epoch, end offset) of partition 0."""
    body = i32(CONSUMER) + array([string(topic) + array([i32(0) + i32(-1) + i32(epoch)])])
    r = call(bootstrap, 23, 3, body)
    r.i32()  # throttle
    assert r.i32() == 1 and r.string() == topic and r.i32() == 1
    error = r.i16()
    assert r.i32() == 0
    return error, r.i32(), r.i64()


def fetch_error(bootstrap, topic):
    """Fetch v4 from offset 0 as a consumer: the partition's error code."""
    body = (i32(CONSUMER) + i32(0) + i32(1) + i32(1 << 20) + i8(0) +
            array([string(topic) + array([i32(0) + i64(0) + i32(1 << 20)])]))
    r = call(bootstrap, 1, 4, body)
    r.i32()  # throttle
    assert r.i32() == 1 and r.string() == topic and r.i32() == 1
    assert r.i32() == 0
    return r.i16()


def produce(bootstrap, topic, count):
    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                  "message.timeout.ms": 60000, "socket.connection.setup.timeout.ms": 5000,
                  "topic.metadata.refresh.interval.ms": 1000})
    errors = []
    for i in range(count):
        p.produce(topic, value=b"v%d" % i, partition=0,
                  on_delivery=lambda err, msg: err and errors.append(err))
    assert p.flush(90) == 0 and not errors, errors


@pytest.mark.cluster(settings={"min.insync.replicas": "2"})
def test_followers_refuse_and_leader_answers_from_epoch_cache(cluster, unique_topic):
    topic = cluster.create_topic(unique_topic("answers"), partitions=1, replication_factor=3)
    produce(cluster.bootstrap, topic, FIRST_RECORDS)
    state = cluster.partition_state(topic, 0)
    leader = cluster.brokers[state["leader"]]
    first_epoch = state["leader_epoch"]
    for f in cluster.followers(topic, 0):
        assert list_offsets_latest(f.bootstrap, topic)[0] == NOT_LEADER_OR_FOLLOWER
        assert offset_for_leader_epoch(f.bootstrap, topic, first_epoch)[0] == NOT_LEADER_OR_FOLLOWER
        assert fetch_error(f.bootstrap, topic) == NOT_LEADER_OR_FOLLOWER
    assert list_offsets_latest(leader.bootstrap, topic) == (0, FIRST_RECORDS)
    assert offset_for_leader_epoch(leader.bootstrap, topic, first_epoch) == (0, first_epoch, FIRST_RECORDS)
    assert fetch_error(leader.bootstrap, topic) == 0

    leader.kill9()
    new_leader = cluster.brokers[cluster.wait_leader_change(topic, 0, leader.id)]
    produce(cluster.live_bootstrap(), topic, MORE_RECORDS)
    new_epoch = cluster.partition_state(topic, 0)["leader_epoch"]
    assert new_epoch > first_epoch
    total = FIRST_RECORDS + MORE_RECORDS
    # The old epoch ended where the new leader's began; the new one runs to the log end.
    assert offset_for_leader_epoch(new_leader.bootstrap, topic, first_epoch) == (0, first_epoch, FIRST_RECORDS)
    assert offset_for_leader_epoch(new_leader.bootstrap, topic, new_epoch) == (0, new_epoch, total)
    cluster_harness.wait_for(lambda: list_offsets_latest(new_leader.bootstrap, topic) == (0, total), 30,
                             "the new leader's high watermark at %d" % total)
    leader.start()
    cluster.wait_full_isr(topic)
    assert offset_for_leader_epoch(leader.bootstrap, topic, first_epoch)[0] == NOT_LEADER_OR_FOLLOWER
