"""Cluster administration through the brokers, as an admin client does it: topics created,
described, grown and deleted; topic configs altered and described; a partition reassigned to other
brokers and listed until done; a preferred leader election after the leader moved; and a consumer
group that keeps its committed offsets when its coordinator's broker is killed (-9)."""

import json

import pytest

import cluster_harness
import helpers


TIMEOUT_S = 60.0


def java_string_hash(s):
    """Java's String.hashCode (the text here is ASCII)."""
    h = 0
    for ch in s:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= (1 << 31) else h


def offsets_partition(group, partitions):
    h = java_string_hash(group)
    return (0 if h == -(1 << 31) else abs(h)) % partitions


def ok(r):
    assert r.returncode == 0, "rc %s\n--- stdout ---\n%s\n--- stderr ---\n%s" % (
        r.returncode, r.stdout[-3000:], r.stderr[-3000:])
    return r


def kafka_error(future):
    """The KafkaError a failed admin future raised (None if it succeeded)."""
    from confluent_kafka import KafkaException

    try:
        future.result(TIMEOUT_S)
    except KafkaException as e:
        return e.args[0]
    return None


def topic_config(cluster, topic, key):
    from confluent_kafka.admin import ConfigResource

    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    configs = cluster.admin().describe_configs([res], request_timeout=TIMEOUT_S)[res].result(TIMEOUT_S)
    return configs[key].value


def test_topics_created_described_grown_and_deleted(cluster, unique_topic):
    from confluent_kafka import KafkaError
    from confluent_kafka.admin import NewPartitions, NewTopic

    admin = cluster.admin()
    topic = unique_topic("admin")
    fs = admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=3,
                                       config={"retention.ms": "3600000"})],
                             operation_timeout=TIMEOUT_S, request_timeout=TIMEOUT_S)
    assert kafka_error(fs[topic]) is None
    cluster.wait_topic_ready(topic, 2)
    md = cluster.metadata(topic)
    assert sorted(md) == [0, 1]
    for p, (leader, replicas, isr) in md.items():
        assert sorted(replicas) == sorted(cluster.brokers) and replicas == cluster.assignment(topic)[p]
        assert leader == cluster.zk_leader(topic, p) and sorted(isr) == sorted(replicas)
    assert topic_config(cluster, topic, "retention.ms") == "3600000"
    assert sorted(cluster.zk_json("/config/topics/%s" % topic)[0]["config"]) == ["retention.ms"]

    # Kafka's refusals: the topic exists; more replicas than brokers; validate_only creates nothing.
    again = admin.create_topics([NewTopic(topic, 1, 1)], request_timeout=TIMEOUT_S)[topic]
    assert kafka_error(again).code() == KafkaError.TOPIC_ALREADY_EXISTS
    wide = unique_topic("wide")
    too_many = admin.create_topics([NewTopic(wide, 1, 4)], request_timeout=TIMEOUT_S)[wide]
    assert kafka_error(too_many).code() == KafkaError.INVALID_REPLICATION_FACTOR
    dry = unique_topic("dry")
    assert kafka_error(admin.create_topics([NewTopic(dry, 1, 3)], validate_only=True,
                                           request_timeout=TIMEOUT_S)[dry]) is None
    assert cluster.assignment(dry) is None and cluster.assignment(wide) is None

    grow = admin.create_partitions([NewPartitions(topic, 4)], operation_timeout=TIMEOUT_S,
                                   request_timeout=TIMEOUT_S)[topic]
    assert kafka_error(grow) is None
    cluster.wait_topic_ready(topic, 4)
    assert all(len(r) == 3 for r in cluster.assignment(topic).values())
    shrink = admin.create_partitions([NewPartitions(topic, 3)], request_timeout=TIMEOUT_S)[topic]
    assert kafka_error(shrink).code() == KafkaError.INVALID_PARTITIONS

    gone = admin.delete_topics([topic], operation_timeout=TIMEOUT_S, request_timeout=TIMEOUT_S)[topic]
    assert kafka_error(gone) is None
    cluster_harness.wait_for(lambda: cluster.assignment(topic) is None, TIMEOUT_S,
                             "%s gone from /brokers/topics" % topic, 0.2)
    cluster_harness.wait_for(lambda: topic not in cluster.admin().list_topics(timeout=10).topics,
                             TIMEOUT_S, "%s gone from Metadata" % topic, 0.2)
    missing = admin.delete_topics([topic], request_timeout=TIMEOUT_S)[topic]
    assert kafka_error(missing).code() == KafkaError.UNKNOWN_TOPIC_OR_PART


def test_topic_configs_altered_through_the_cluster(cluster, unique_topic):
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource

    topic = cluster.create_topic(unique_topic("cfg"), partitions=1, replication_factor=3)
    res = ConfigResource(ConfigResource.Type.TOPIC, topic, incremental_configs=[
        ConfigEntry("retention.ms", "7200000", incremental_operation=AlterConfigOpType.SET),
        ConfigEntry("cleanup.policy", "compact", incremental_operation=AlterConfigOpType.APPEND)])
    cluster.admin().incremental_alter_configs([res], request_timeout=TIMEOUT_S)[res].result(TIMEOUT_S)
    zk = cluster.zk_json("/config/topics/%s" % topic)[0]["config"]
    assert zk["retention.ms"] == "7200000" and zk["cleanup.policy"] == "delete,compact"
    # Every broker applies /config/topics/T: each one describes the new values.
    for b in cluster.brokers.values():
        cluster_harness.wait_for(
            lambda: topic_config_from(cluster, b, topic, "retention.ms") == "7200000", TIMEOUT_S,
            "broker %d to describe the new retention.ms" % b.id, 0.2)
    res = ConfigResource(ConfigResource.Type.TOPIC, topic, incremental_configs=[
        ConfigEntry("retention.ms", None, incremental_operation=AlterConfigOpType.DELETE)])
    cluster.admin().incremental_alter_configs([res], request_timeout=TIMEOUT_S)[res].result(TIMEOUT_S)
    assert "retention.ms" not in cluster.zk_json("/config/topics/%s" % topic)[0]["config"]


def topic_config_from(cluster, broker, topic, key):
    from confluent_kafka.admin import ConfigResource

    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    admin = cluster.admin(broker.bootstrap)
    return admin.describe_configs([res], request_timeout=TIMEOUT_S)[res].result(TIMEOUT_S)[key].value


def reassign_tool(cluster, *args):
    return ok(cluster.kafka_tool("kafka-reassign-partitions",
                                 ["--bootstrap-server", cluster.bootstrap] + list(args)))


def test_partition_reassigned_to_other_brokers(cluster, unique_topic):
    a, b, c = sorted(cluster.brokers)
    topic = cluster.create_topic(unique_topic("move"), replica_assignment=[[a, b]])
    plan = cluster.dir / "reassign.json"
    plan.write_text(json.dumps({"version": 1, "partitions": [
        {"topic": topic, "partition": 0, "replicas": [b, c]}]}))
    reassign_tool(cluster, "--execute", "--reassignment-json-file", str(plan))

    def done():
        r = reassign_tool(cluster, "--verify", "--reassignment-json-file", str(plan))
        return "Reassignment of partition %s-0 is completed" % topic in r.stdout

    cluster_harness.wait_for(done, 90, "reassignment of %s-0 to finish" % topic, 1.0)
    assert cluster.assignment(topic)[0] == [b, c]
    listed = reassign_tool(cluster, "--list").stdout
    assert "%s-0" % topic not in listed, listed
    cluster.wait_isr(topic, 0, [b, c])
    cluster_harness.wait_for(lambda: (cluster.metadata(topic) or {}).get(0, (0, []))[1] == [b, c],
                             TIMEOUT_S, "Metadata to show %s-0 on [%d, %d]" % (topic, b, c), 0.2)
    assert cluster.zk_leader(topic, 0) in (b, c)


def topic_led_away_from_its_preferred_leader(cluster, topic):
    """A one-partition topic on every broker whose preferred leader was stopped (its leadership
    moved) and started again (back in the ISR, not leading). Returns (topic, preferred)."""
    ids = sorted(cluster.brokers)
    topic = cluster.create_topic(topic, replica_assignment=[ids])
    preferred = ids[0]
    assert cluster.zk_leader(topic, 0) == preferred
    cluster.broker(preferred).terminate()
    cluster.wait_leader_change(topic, 0, preferred)
    cluster.broker(preferred).start()
    cluster.wait_isr(topic, 0, ids, 90)
    return topic, preferred


def test_preferred_leader_elected_after_the_leader_moved(cluster, unique_topic):
    from confluent_kafka import KafkaError, TopicPartition
    from confluent_kafka import ElectionType

    topic, preferred = topic_led_away_from_its_preferred_leader(cluster, unique_topic("elect"))
    assert cluster.zk_leader(topic, 0) != preferred

    r = ok(cluster.kafka_tool("kafka-leader-election", [
        "--bootstrap-server", cluster.bootstrap, "--election-type", "PREFERRED", "--topic", topic,
        "--partition", "0"]))
    assert "Successfully completed leader election (PREFERRED) for partitions %s-0" % topic in r.stdout
    cluster_harness.wait_for(lambda: cluster.zk_leader(topic, 0) == preferred, TIMEOUT_S,
                             "broker %d to lead %s-0 again" % (preferred, topic), 0.2)
    # Nothing left to do: ELECTION_NOT_NEEDED for the partition.
    tp = TopicPartition(topic, 0)
    fut = cluster.admin().elect_leaders(ElectionType.PREFERRED, [tp])
    results = fut.result(TIMEOUT_S)
    assert results[tp] is not None and results[tp].code() == KafkaError.ELECTION_NOT_NEEDED


@pytest.mark.cluster(settings={"offsets.topic.replication.factor": "3"})
def test_group_keeps_its_offsets_when_its_coordinator_dies(cluster, unique_topic):
    from confluent_kafka import Consumer, Producer, TopicPartition

    topic = cluster.create_topic(unique_topic("grp"), partitions=1, replication_factor=3)
    p = Producer({"bootstrap.servers": cluster.bootstrap, "acks": "all"})
    for i in range(20):
        p.produce(topic, value=b"r%d" % i)
    assert p.flush(TIMEOUT_S) == 0
    group = helpers.unique_group("coord")

    def consumer(bootstrap):
        return Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "session.timeout.ms": 10000})

    c = consumer(cluster.bootstrap)
    try:
        c.subscribe([topic])
        got = 0
        for _ in range(600):
            if got >= 10:
                break
            m = c.poll(0.1)
            if m is not None and m.error() is None:
                got += 1
        assert got >= 10
        c.commit(offsets=[TopicPartition(topic, 0, 10)], asynchronous=False)
    finally:
        c.close()

    index = offsets_partition(group, 3)
    coordinator = cluster.zk_leader("__consumer_offsets", index)
    described = cluster.admin().describe_consumer_groups([group], request_timeout=TIMEOUT_S)
    assert described[group].result(TIMEOUT_S).coordinator.id == coordinator
    cluster.broker(coordinator).kill9()
    new_coordinator = cluster.wait_leader_change("__consumer_offsets", index, coordinator)

    live = cluster.live_bootstrap()

    def committed():
        c2 = consumer(live)
        try:
            return c2.committed([TopicPartition(topic, 0)], timeout=10)[0].offset
        finally:
            c2.close()

    assert cluster_harness.wait_for(lambda: committed() == 10, 90,
                                    "the committed offset from the new coordinator", 1.0)
    described = cluster.admin(live).describe_consumer_groups([group], request_timeout=TIMEOUT_S)
    assert described[group].result(TIMEOUT_S).coordinator.id == new_coordinator


@pytest.mark.cluster(settings={"auto.leader.rebalance.enable": "true",
                               "leader.imbalance.check.interval.seconds": "2",
                               "leader.imbalance.per.broker.percentage": "0"})
def test_preferred_leader_comes_back_by_itself_with_auto_rebalance(cluster, unique_topic):
    topic, preferred = topic_led_away_from_its_preferred_leader(cluster, unique_topic("autobal"))
    # No tool, no request: the controller's imbalance check moves the leadership back.
    cluster_harness.wait_for(lambda: cluster.zk_leader(topic, 0) == preferred, 90,
                             "broker %d to lead %s-0 again by itself" % (preferred, topic), 0.5)
