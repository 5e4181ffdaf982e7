"""Records and topics outlive the broker process: a clean stop (SIGTERM) and a kill -9.
These need a broker the test owns, so they skip when GREGOR_TEST_BOOTSTRAP is set."""

import pytest

from helpers import wait_until


@pytest.mark.parametrize("how", ["sigterm", "kill9"])
def test_records_survive_restart(broker, kafka_client, unique_topic, how):
    if broker.external:
        pytest.skip("restarts the broker; GREGOR_TEST_BOOTSTRAP is set")
    topic = unique_topic("restart")
    kafka_client.create_topic(topic, partitions=2)
    wait_until(lambda: kafka_client.partitions(topic) == [0, 1], what=topic)
    records = [{"key": b"k%d" % i, "value": b"v%d" % i, "partition": i % 2} for i in range(40)]
    kafka_client.produce(topic, records)  # acks=all: on disk before the answer

    if how == "sigterm":
        assert broker.stop() == 0, "broker did not exit cleanly on SIGTERM"
    else:
        broker.kill9()
    broker.start()
    # kafka-python 2.0.2's admin client fails its first request on a connection the restart cut
    # (with any broker) instead of retrying: start with fresh clients, as an application would.
    kafka_client.close()

    assert kafka_client.partitions(topic) == [0, 1]
    assert kafka_client.end_offsets(topic, [0, 1]) == {0: 20, 1: 20}
    got = kafka_client.consume(topic, [0, 1], count=40)
    assert sorted((r.key, r.value) for r in got) == sorted((r["key"], r["value"]) for r in records)
