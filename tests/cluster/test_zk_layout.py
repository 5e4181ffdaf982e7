"""Kafka's ZooKeeper layout, JSON as Kafka writes it, so zkCli habits read a cluster as expected:
/brokers/ids/N, /brokers/topics/T, .../partitions/P/state, /controller, /controller_epoch,
/cluster/id, /config/topics/T; a new controller when the controller dies; producer-id blocks;
a second broker with a taken id; a chroot."""

import pytest

import cli_helpers
import cluster_harness


def test_znodes_of_brokers_topics_and_controller(cluster, unique_topic):
    zk = cluster.zkc
    topic = cluster.create_topic(unique_topic("layout"), partitions=2, replication_factor=3,
                                 config={"retention.ms": "3600000"})

    assert cluster.registered_ids() == set(cluster.brokers)
    for b in cluster.brokers.values():
        reg, stat = cluster.zk_json("/brokers/ids/%d" % b.id)
        assert stat.ephemeralOwner != 0, "registration of broker %d is not ephemeral" % b.id
        assert "PLAINTEXT://%s" % b.bootstrap in reg["endpoints"], reg
        assert reg["host"] == b.host and reg["port"] == b.port, reg
        assert reg["listener_security_protocol_map"]["PLAINTEXT"] == "PLAINTEXT", reg
        assert isinstance(reg["version"], int) and isinstance(reg["jmx_port"], int), reg
        assert int(reg["timestamp"]) > 0, reg

    assignment, _ = cluster.zk_json("/brokers/topics/%s" % topic)
    assert sorted(assignment["partitions"]) == ["0", "1"], assignment
    for replicas in assignment["partitions"].values():
        assert sorted(replicas) == sorted(cluster.brokers), assignment
    assert isinstance(assignment["version"], int), assignment
    # Preferred leaders are spread: the two partitions do not start on the same broker.
    assert assignment["partitions"]["0"][0] != assignment["partitions"]["1"][0], assignment

    assert sorted(zk.get_children("/brokers/topics/%s/partitions" % topic)) == ["0", "1"]
    controller_epoch = int(zk.get("/controller_epoch")[0].decode())
    assert controller_epoch >= 1
    for p in (0, 1):
        state = cluster.partition_state(topic, p)
        assert set(state) >= {"controller_epoch", "leader", "version", "leader_epoch", "isr"}, state
        assert state["leader"] in cluster.brokers, state
        assert sorted(state["isr"]) == sorted(cluster.brokers), state
        assert state["leader_epoch"] >= 0 and state["version"] >= 1, state
        assert 1 <= state["controller_epoch"] <= controller_epoch, state

    controller, stat = cluster.zk_json("/controller")
    assert controller["brokerid"] in cluster.brokers, controller
    assert stat.ephemeralOwner != 0, "/controller is not ephemeral"
    assert isinstance(controller["version"], int) and int(controller["timestamp"]) > 0, controller

    cluster_id, _ = cluster.zk_json("/cluster/id")
    assert isinstance(cluster_id["id"], str) and cluster_id["id"], cluster_id
    assert str(cluster_id["version"]) == "1", cluster_id
    # The id brokers give clients is the one in ZooKeeper.
    assert cluster.admin().describe_cluster().result(30).cluster_id == cluster_id["id"]

    config, _ = cluster.zk_json("/config/topics/%s" % topic)
    assert config["config"].get("retention.ms") == "3600000", config
    assert isinstance(config["version"], int), config


def test_controller_moves_when_the_controller_dies(cluster):
    old = cluster.controller_id()
    old_epoch = int(cluster.zkc.get("/controller_epoch")[0].decode())
    cluster.broker(old).kill9()

    def new_controller():
        c = cluster.controller_id()
        return c is not None and c != old and c in cluster.brokers

    cluster_harness.wait_for(new_controller, 60, "a controller other than broker %d" % old)
    assert int(cluster.zkc.get("/controller_epoch")[0].decode()) > old_epoch
    cluster.broker(old).start()
    assert cluster.registered_ids() == set(cluster.brokers)


def test_producer_ids_come_in_blocks_unique_across_brokers(cluster, unique_topic):
    """Each broker takes its producer ids from /latest_producer_id_block, so idempotent producers
    bootstrapped on different brokers never share an id (a leader would take one for the other)."""
    from confluent_kafka import Producer

    topic = cluster.create_topic(unique_topic("pids"), partitions=1, replication_factor=3)
    blocks = {}
    for b in cluster.brokers.values():
        p = Producer({"bootstrap.servers": b.bootstrap, "enable.idempotence": True,
                      "message.timeout.ms": 30000})
        p.produce(topic, b"x")
        assert p.flush(60) == 0
        del p
        block, stat = cluster.zk_json("/latest_producer_id_block")
        assert block is not None, "no /latest_producer_id_block after an idempotent producer"
        assert block["version"] == 1 and block["broker"] in cluster.brokers, block
        start, end = block["block_start"], block["block_end"]
        assert isinstance(start, str) and isinstance(end, str), block  # strings, as Kafka writes
        blocks[stat.version] = (int(start), int(end))
    ranges = sorted(blocks.values())
    for (s1, e1), (s2, _) in zip(ranges, ranges[1:]):
        assert s1 <= e1 < s2, ranges


def test_a_second_broker_with_the_same_id_refuses_to_start(cluster, tmp_path):
    twin = cluster_harness.ClusterBroker(cluster, 0, cluster_harness.helpers.free_port())
    twin.dir = tmp_path / "twin"
    twin.dir.mkdir()
    twin.log_dir = tmp_path / "twin-data"
    twin.props_path = twin.dir / "server.properties"
    twin.log_path = twin.dir / "broker.log"
    twin.launch()
    try:
        twin.proc.wait(cluster_harness.BROKER_START_TIMEOUT_S)
    except Exception:  # noqa: BLE001 - still running: the assertion below says so
        pass
    finally:
        running = twin.is_running()
        twin.close()
    assert not running and twin.proc.returncode != 0, twin.log_tail()
    # The first broker 0 keeps its registration.
    reg, stat = cluster.zk_json("/brokers/ids/0")
    assert reg["port"] == cluster.broker(0).port, reg


@pytest.mark.cluster(chroot="/kafka")
def test_a_chroot_holds_the_whole_cluster(cluster, unique_topic):
    """zookeeper.connect=host:port/kafka: every node lives under /kafka (created if missing), the
    root stays clean, and a tool given the same connect string finds the cluster."""
    from kazoo.exceptions import NoNodeError

    topic = cluster.create_topic(unique_topic("chroot"), partitions=1, replication_factor=3)
    root = cluster.zk.client()  # no chroot: sees the whole tree
    assert {int(x) for x in root.get_children("/kafka/brokers/ids")} == set(cluster.brokers)
    assert topic in root.get_children("/kafka/brokers/topics")
    for outside in ("/brokers", "/controller", "/cluster"):
        with pytest.raises(NoNodeError):
            root.get_children(outside)
    if cluster_harness.IMPL == "gregor":
        r = cli_helpers.run(cluster_harness.gregor_bin(),
                            ["topic", "describe", topic, "--zookeeper", cluster.zk.connect + "/kafka", "--json"])
        assert r.rc == cli_helpers.EXIT_OK, r
        assert r.json()["topics"][0]["partitions"][0]["leader"] in cluster.brokers, r
