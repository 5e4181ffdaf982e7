"""The ISR follows the followers: a stopped (SIGSTOP) follower leaves it after
replica.lag.time.max.ms while records keep arriving, acks=all producers then get
NOT_ENOUGH_REPLICAS from a topic with min.insync.replicas=3 (acks=1 still works), and after
SIGCONT the follower catches up and rejoins, after which acks=all succeeds again."""

import time

import pytest
from confluent_kafka import KafkaError, Producer

import cluster_harness


# A session long enough that the stopped follower keeps it: what shrinks the ISR is the lag rule,
# not the session expiry.
SETTINGS = {"replica.lag.time.max.ms": "2000", "zookeeper.session.timeout.ms": "30000"}
SHRINK_TIMEOUT_S = 25.0
REJOIN_TIMEOUT_S = 60.0
RECORDS_PER_ROUND = 5


def producer(bootstrap, acks):
    # No retries: a refusal comes back to the test as it is.
    return Producer({"bootstrap.servers": bootstrap, "acks": acks, "retries": 0,
                     "enable.idempotence": False, "message.timeout.ms": 15000,
                     "request.timeout.ms": 10000, "linger.ms": 0,
                     "socket.connection.setup.timeout.ms": 5000,
                     "topic.metadata.refresh.interval.ms": 1000})


def produce_round(p, topic, tag, count=RECORDS_PER_ROUND, timeout_s=30.0):
    """Sends `count` records and returns their delivery errors (None for success)."""
    results = []
    for i in range(count):
        p.produce(topic, value=("%s-%d" % (tag, i)).encode(), partition=0,
                  on_delivery=lambda err, msg: results.append(err))
    left = p.flush(timeout_s)
    assert left == 0, "%d records got no delivery report within %.0fs" % (left, timeout_s)
    return results


@pytest.mark.cluster(settings=SETTINGS)
def test_stopped_follower_leaves_isr_and_rejoins(cluster, unique_topic):
    topic = cluster.create_topic(unique_topic("isr"), partitions=1, replication_factor=3,
                                 config={"min.insync.replicas": "3"})
    state = cluster.partition_state(topic, 0)
    leader = state["leader"]
    controller = cluster.controller_id()
    candidates = [b for b in cluster.followers(topic, 0) if b.id != controller] or \
        cluster.followers(topic, 0)
    follower = candidates[0]
    acks_all = producer(cluster.bootstrap, "all")
    acks_one = producer(cluster.bootstrap, "1")
    assert produce_round(acks_all, topic, "full") == [None] * RECORDS_PER_ROUND

    follower.pause()
    try:
        # The leader only tells a follower is behind when there is something to be behind on.
        def shrunk():
            assert all(e is None for e in produce_round(acks_one, topic, "while-stopped", 1))
            s = cluster.partition_state(topic, 0)
            return follower.id not in s["isr"]

        cluster_harness.wait_for(shrunk, SHRINK_TIMEOUT_S,
                                 "broker %d to leave the ISR while stopped" % follower.id, 0.3)
        s = cluster.partition_state(topic, 0)
        assert s["leader"] == leader and set(s["isr"]) == set(cluster.assignment(topic)[0]) - {follower.id}

        errors = produce_round(acks_all, topic, "too-few")
        assert errors and all(e is not None for e in errors), errors
        assert all(e.code() == KafkaError.NOT_ENOUGH_REPLICAS for e in errors), \
            [e.name() for e in errors]
        assert produce_round(acks_one, topic, "acks1") == [None] * RECORDS_PER_ROUND
    finally:
        follower.resume()

    cluster.wait_isr(topic, 0, cluster.assignment(topic)[0], REJOIN_TIMEOUT_S)
    deadline = time.monotonic() + 30.0
    while True:  # the producer's metadata may still name the ISR as it was for a moment
        errors = produce_round(acks_all, topic, "rejoined")
        if errors == [None] * RECORDS_PER_ROUND or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert errors == [None] * RECORDS_PER_ROUND, [e and e.name() for e in errors]
