"""ElectLeaders, AlterPartitionReassignments and ListPartitionReassignments on a single node, where
the broker is every partition's only replica and leader: answered as Kafka answers them for a
one-broker cluster (no election is ever needed, a partition can only be "moved" onto this broker,
and no reassignment is ever in progress)."""

import kafkawire as kw
from kafkawire import EMPTY_TAGS, compact_array, compact_string, i32

API_ELECT_LEADERS = 43
API_ALTER_PARTITION_REASSIGNMENTS = 45
API_LIST_PARTITION_REASSIGNMENTS = 46
NONE = 0
UNKNOWN_TOPIC_OR_PARTITION = 3
INVALID_REPLICA_ASSIGNMENT = 39
ELECTION_NOT_NEEDED = 84
NO_REASSIGNMENT_IN_PROGRESS = 85


def compact_str(r):
    n = r.uvarint()
    return None if n == 0 else r.take(n - 1).decode()


def skip_tags(r):
    for _ in range(r.uvarint()):
        r.uvarint()
        r.take(r.uvarint())


def call(conn, key, version, body):
    cid = conn.send_request(key, version, body, flexible=True)
    payload = conn.recv_frame()
    assert payload is not None, "broker closed the connection"
    r = kw.Reader(payload)
    assert r.i32() == cid
    skip_tags(r)  # response header v1
    return r


def create_topic(bootstrap, topic):
    from confluent_kafka.admin import AdminClient, NewTopic

    a = AdminClient({"bootstrap.servers": bootstrap})
    a.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)


def node_id(bootstrap):
    from confluent_kafka.admin import AdminClient

    (only,) = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=30).brokers
    return only


def reassign(conn, topic, partition, replicas):
    replicas_field = compact_array(None if replicas is None else [i32(x) for x in replicas])
    part = i32(partition) + replicas_field + EMPTY_TAGS
    body = i32(30000) + compact_array([compact_string(topic) + compact_array([part]) + EMPTY_TAGS]) + EMPTY_TAGS
    r = call(conn, API_ALTER_PARTITION_REASSIGNMENTS, 0, body)
    r.i32()  # throttle
    assert r.i16() == NONE
    compact_str(r)
    assert r.uvarint() - 1 == 1
    assert compact_str(r) == topic
    assert r.uvarint() - 1 == 1
    assert r.i32() == partition
    return r.i16()


def test_reassignments_on_a_single_node(broker, raw_conn, unique_topic):
    topic = unique_topic("move")
    create_topic(broker.bootstrap, topic)
    conn = raw_conn()
    node = node_id(broker.bootstrap)
    assert reassign(conn, topic, 0, [node]) == NONE
    assert reassign(conn, topic, 0, [node + 1]) == INVALID_REPLICA_ASSIGNMENT
    assert reassign(conn, topic, 0, [node, node]) == INVALID_REPLICA_ASSIGNMENT
    assert reassign(conn, topic, 0, None) == NO_REASSIGNMENT_IN_PROGRESS
    assert reassign(conn, topic, 5, [node]) == UNKNOWN_TOPIC_OR_PARTITION

    r = call(conn, API_LIST_PARTITION_REASSIGNMENTS, 0, i32(30000) + compact_array(None) + EMPTY_TAGS)
    r.i32()
    assert r.i16() == NONE
    compact_str(r)
    assert r.uvarint() - 1 == 0  # nothing in progress


def test_no_election_is_needed_on_a_single_node(broker, unique_topic):
    from confluent_kafka import KafkaError, TopicPartition
    from confluent_kafka import ElectionType
    from confluent_kafka.admin import AdminClient

    topic = unique_topic("elect")
    create_topic(broker.bootstrap, topic)
    a = AdminClient({"bootstrap.servers": broker.bootstrap})
    for election in (ElectionType.PREFERRED, ElectionType.UNCLEAN):
        tps = [TopicPartition(topic, 0), TopicPartition(topic, 3)]
        results = a.elect_leaders(election, tps).result(30)
        assert results[tps[0]].code() == KafkaError.ELECTION_NOT_NEEDED
        assert results[tps[1]].code() == KafkaError.UNKNOWN_TOPIC_OR_PART
        # Every partition: those that need no election are left out.
        assert a.elect_leaders(election, None).result(30) == {}
