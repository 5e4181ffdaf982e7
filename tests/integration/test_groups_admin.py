"""Group administration through the Python admin clients: listing and describing groups,
reading, altering and deleting committed offsets, deleting groups (librdkafka's
ListGroups/DescribeGroups/OffsetFetch/OffsetCommit/OffsetDelete/DeleteGroups paths and
kafka-python's).
"""

import time

import pytest

import helpers

pytestmark = pytest.mark.python_clients

PARTITIONS = 3
OP_TIMEOUT_S = 60.0


def create_topic(bootstrap, topic):
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)


def test_confluent_admin_group_lifecycle(broker, unique_topic):
    from confluent_kafka import Consumer, TopicPartition
    from confluent_kafka.admin import AdminClient

    try:
        from confluent_kafka import ConsumerGroupTopicPartitions
    except ImportError:
        pytest.skip("this confluent-kafka has no consumer group admin API (added in 1.9)")

    topic = unique_topic("admin")
    group = helpers.unique_group("admin")
    create_topic(broker.bootstrap, topic)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})

    # Offsets set by the admin client for a group nobody is in yet.
    want = [TopicPartition(topic, p, 100 + p) for p in range(PARTITIONS)]
    futures = admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(group, want)])
    futures[group].result(30)
    got = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group].result(30)
    assert sorted((tp.partition, tp.offset) for tp in got.topic_partitions) == [(p, 100 + p) for p in range(PARTITIONS)]

    listed = admin.list_consumer_groups().result(30)
    assert group in [g.group_id for g in listed.valid]

    # A member: the group is Stable and described with its member and assignment.
    c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group, "client.id": "admin-test-member",
                  "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    try:
        deadline = time.monotonic() + OP_TIMEOUT_S
        while len(c.assignment()) < PARTITIONS and time.monotonic() < deadline:
            c.poll(0.1)
        assert len(c.assignment()) == PARTITIONS
        desc = admin.describe_consumer_groups([group])[group].result(30)
        assert str(desc.state).endswith("STABLE")
        assert len(desc.members) == 1 and desc.members[0].client_id == "admin-test-member"
        assert sorted(tp.partition for tp in desc.members[0].assignment.topic_partitions) == list(range(PARTITIONS))
        # Not deletable while it has a member.
        with pytest.raises(Exception):
            admin.delete_consumer_groups([group])[group].result(30)
    finally:
        c.close()

    admin.delete_consumer_groups([group])[group].result(30)
    listed = admin.list_consumer_groups().result(30)
    assert group not in [g.group_id for g in listed.valid]


def test_kafka_python_admin_groups(broker, unique_topic):
    import kafka
    from kafka import TopicPartition
    from kafka.admin import KafkaAdminClient

    topic = unique_topic("admin")
    group = helpers.unique_group("kp-admin")
    create_topic(broker.bootstrap, topic)
    consumer = kafka.KafkaConsumer(bootstrap_servers=broker.bootstrap, group_id=group, enable_auto_commit=False)
    try:
        from kafka.structs import OffsetAndMetadata

        tp = TopicPartition(topic, 1)
        try:
            consumer.commit({tp: OffsetAndMetadata(5, "", -1)})
        except TypeError:
            consumer.commit({tp: OffsetAndMetadata(5, "")})
    finally:
        consumer.close()
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        if hasattr(admin, "list_groups"):  # kafka-python 2.1+
            assert group in [g["group_id"] for g in admin.list_groups()]
            offsets = admin.list_group_offsets(group)[group]
            described = admin.describe_groups([group])[group]
            assert described["group_state"] == "Empty" and described["protocol_type"] == ""
            assert described["error"] is None
        else:  # kafka-python 2.0
            assert group in [g[0] for g in admin.list_consumer_groups()]
            offsets = admin.list_consumer_group_offsets(group)
            assert admin.describe_consumer_groups([group])[0].state == "Empty"
        assert offsets[TopicPartition(topic, 1)].offset == 5
    finally:
        admin.close()
