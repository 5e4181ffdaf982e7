"""A broker that loses its ZooKeeper session (paused past the session timeout) gives up its
leaderships, fences itself and rejoins; a rolling restart of all three brokers while a producer
keeps writing and a consumer group keeps reading. Nothing acknowledged is lost either way."""

import threading
import time
import uuid

import pytest

import cluster_harness
import delivery_check

SETTINGS = {"min.insync.replicas": "2"}
ACKED_BETWEEN_STEPS = 200
STEP_TIMEOUT_S = 90.0
CONSUME_TIMEOUT_S = 120.0


@pytest.mark.cluster(settings=SETTINGS)
def test_broker_that_lost_its_session_fences_itself_and_rejoins(cluster, unique_topic):
    topic = cluster.create_topic(unique_topic("session"), partitions=1, replication_factor=3)
    load = delivery_check.LoadProducer(cluster.bootstrap, topic, [0])
    producing = cluster_harness.Background(load.run, "load producer")
    producing.start()
    try:
        load.wait_acked(ACKED_BETWEEN_STEPS, 60, "records acknowledged before the pause")
        victim = cluster.leader_broker(topic, 0)
        victim.pause()
        try:
            # Past the session timeout ZooKeeper drops the registration; the controller moves
            # the leadership to an ISR member.
            cluster.wait_unregistered(victim.id, STEP_TIMEOUT_S)
            new_leader = cluster.wait_leader_change(topic, 0, victim.id, STEP_TIMEOUT_S)
            assert new_leader != victim.id
            load.wait_acked(load.log.acked_count() + ACKED_BETWEEN_STEPS, STEP_TIMEOUT_S,
                            "records acknowledged while the old leader was paused")
        finally:
            victim.resume()
        # Back: a new session, registered again, a follower of the new leader, in the ISR again.
        cluster.wait_registered([victim.id], STEP_TIMEOUT_S)
        cluster.wait_isr(topic, 0, cluster.assignment(topic)[0], STEP_TIMEOUT_S)
        assert cluster.zk_leader(topic, 0) != victim.id
        load.wait_acked(load.log.acked_count() + ACKED_BETWEEN_STEPS, STEP_TIMEOUT_S,
                        "records acknowledged after the old leader came back")
    finally:
        left = producing.finish()
    assert_delivered(load, left)
    # The old leader answers as a follower: its Metadata names the new leader.
    md = cluster.metadata(topic, bootstrap=victim.bootstrap)
    assert md and md[0][0] == cluster.zk_leader(topic, 0), md
    assert_read_back(load, cluster.bootstrap, "session loss")


def assert_delivered(load, left):
    assert left == 0, "%d records never got a delivery report" % left
    assert load.log.fatal is None, load.log.fatal


def assert_read_back(load, bootstrap, what):
    """Every record the load got acknowledged is in the log once, in order."""
    report = delivery_check.check_producer(load, bootstrap)
    print(what + ":", report.line())
    assert report.ok(), report


class GroupReader:
    """A consumer in a group, reading and committing until stopped; what it read by value."""

    def __init__(self, bootstrap, topic):
        from confluent_kafka import Consumer

        self.topic = topic
        self.values = set()
        self.lock = threading.Lock()
        self.errors = []
        self.consumer = Consumer({
            "bootstrap.servers": bootstrap, "group.id": "rolling-" + uuid.uuid4().hex[:8],
            "auto.offset.reset": "earliest", "enable.auto.commit": True,
            "auto.commit.interval.ms": 500, "session.timeout.ms": 10000,
            "socket.connection.setup.timeout.ms": 5000, "topic.metadata.refresh.interval.ms": 2000})
        self.consumer.subscribe([topic])

    def run(self, stop_event):
        try:
            while not stop_event.is_set():
                m = self.consumer.poll(0.2)
                if m is None:
                    continue
                if m.error() is not None:
                    if not m.error().retriable():
                        with self.lock:
                            self.errors.append(str(m.error()))
                    continue
                with self.lock:
                    self.values.add(m.value())
        finally:
            self.consumer.close()

    def seen(self):
        with self.lock:
            return set(self.values)


@pytest.mark.cluster(settings=SETTINGS)
def test_rolling_restart_under_a_producer_and_a_group(cluster, unique_topic):
    topic = cluster.create_topic(unique_topic("rolling"), partitions=3, replication_factor=3)
    load = delivery_check.LoadProducer(cluster.bootstrap, topic, [0, 1, 2])
    reader = GroupReader(cluster.bootstrap, topic)
    producing = cluster_harness.Background(load.run, "load producer")
    reading = cluster_harness.Background(reader.run, "group reader")
    producing.start()
    reading.start()
    try:
        load.wait_acked(ACKED_BETWEEN_STEPS, 60, "records acknowledged before the restarts")
        for broker_id in sorted(cluster.brokers):
            b = cluster.broker(broker_id)
            code = b.terminate()  # SIGTERM: controlled shutdown moves its leaderships first
            # Gregor exits 0 after a controlled shutdown; a JVM stopped by SIGTERM exits 143.
            assert code in (0, 143), "broker %d exited with %s" % (broker_id, code)
            load.wait_acked(load.log.acked_count() + ACKED_BETWEEN_STEPS, STEP_TIMEOUT_S,
                            "records acknowledged while broker %d was down" % broker_id)
            b.start()
            cluster.wait_full_isr(topic, STEP_TIMEOUT_S)
        load.wait_acked(load.log.acked_count() + ACKED_BETWEEN_STEPS, STEP_TIMEOUT_S,
                        "records acknowledged after the rolling restart")
    finally:
        left = producing.finish()
    assert_delivered(load, left)
    acked, _ = load.log.snapshot()
    want = {delivery_check.encode(load.run_id, p, seq) for p, acks in acked.items() for seq, _ in acks}
    deadline = time.monotonic() + CONSUME_TIMEOUT_S
    while not want <= reader.seen() and time.monotonic() < deadline:
        time.sleep(0.5)
    reading.finish()
    missing = want - reader.seen()
    assert not missing, "the group never read %d acknowledged records, e.g. %s" % (
        len(missing), sorted(missing)[:5])
    assert not reader.errors, reader.errors[:5]
    assert_read_back(load, cluster.bootstrap, "rolling restart")


@pytest.mark.cluster(settings=SETTINGS)
def test_zookeeper_unreachable_then_back(cluster, unique_topic):
    """ZooKeeper stopped for less than the session timeout: the leaders keep serving acks=all
    (the ISR does not change, so nothing needs recording); stopped for longer than the session
    timeout: the sessions may expire (ZooKeeper decides when it runs again), the brokers then
    fence themselves and register again. The cluster comes back whole and nothing acknowledged
    is lost either way."""
    import signal

    topic = cluster.create_topic(unique_topic("zkdown"), partitions=2, replication_factor=3)
    load = delivery_check.LoadProducer(cluster.bootstrap, topic, [0, 1])
    producing = cluster_harness.Background(load.run, "load producer")
    producing.start()
    zk = cluster.zk.proc
    try:
        load.wait_acked(ACKED_BETWEEN_STEPS, 60, "records acknowledged before ZooKeeper stopped")
        zk.send_signal(signal.SIGSTOP)
        try:
            load.wait_acked(load.log.acked_count() + ACKED_BETWEEN_STEPS, 4.0,
                            "records acknowledged while ZooKeeper was stopped (within the session)")
        finally:
            zk.send_signal(signal.SIGCONT)
        load.wait_acked(load.log.acked_count() + ACKED_BETWEEN_STEPS, STEP_TIMEOUT_S,
                        "records acknowledged after ZooKeeper came back")

        zk.send_signal(signal.SIGSTOP)
        try:
            time.sleep(10.0)  # past the 6 s session timeout of every broker
        finally:
            zk.send_signal(signal.SIGCONT)
        cluster.wait_registered(cluster.brokers, STEP_TIMEOUT_S)
        cluster_harness.wait_for(lambda: cluster.controller_id() in cluster.brokers, STEP_TIMEOUT_S,
                                 "a controller after ZooKeeper came back")
        cluster.wait_full_isr(topic, STEP_TIMEOUT_S)
        load.wait_acked(load.log.acked_count() + ACKED_BETWEEN_STEPS, STEP_TIMEOUT_S,
                        "records acknowledged after ZooKeeper came back again")
    finally:
        left = producing.finish()
    assert_delivered(load, left)
    assert_read_back(load, cluster.bootstrap, "ZooKeeper down")
