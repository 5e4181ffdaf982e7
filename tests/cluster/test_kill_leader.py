"""kill -9 the leader under an idempotent acks=all load (RF 3, min.insync.replicas=2): every
acknowledged record is read back exactly once and in order per partition."""

import pytest

import cluster_harness
import delivery_check


ACKED_BEFORE = 500
ACKED_AFTER = 500


@pytest.mark.cluster(settings={"min.insync.replicas": "2"})
def test_kill_leader_loses_no_acknowledged_record(cluster, unique_topic):
    topic = cluster.create_topic(unique_topic("kill"), partitions=2, replication_factor=3)
    load = delivery_check.LoadProducer(cluster.bootstrap, topic, [0, 1])
    producing = cluster_harness.Background(load.run, "load producer")
    producing.start()
    try:
        load.wait_acked(ACKED_BEFORE, 60, "records acknowledged before the kill")
        victim = cluster.leader_broker(topic, 0)
        victim.kill9()
        new_leader = cluster.wait_leader_change(topic, 0, victim.id)
        assert new_leader in cluster.brokers and new_leader != victim.id
        load.wait_acked(load.log.acked_count() + ACKED_AFTER, 90,
                        "records acknowledged after the leader was killed")
    finally:
        left = producing.finish()
    assert left == 0, "%d records never got a delivery report" % left
    assert load.log.fatal is None, load.log.fatal
    victim.start()
    cluster.wait_full_isr(topic)
    report = delivery_check.check_producer(load, cluster.bootstrap)
    print("kill -9 leader:", report.line())
    assert report.ok(), report
