"""Soak of the replicated cluster (`make soak`): faults in random rounds under an idempotent
acks=all load, then every acknowledged record is checked.

Rounds, chosen at random for SOAK_SECONDS (default 600): kill -9 a partition's leader (restarted
after a while), SIGSTOP a follower past replica.lag.time.max.ms (then SIGCONT), SIGTERM a random
broker and restart it. Between rounds the cluster gets back to full ISRs. At the end prints
`soak: rounds=N acked=N lost=N duplicated=N reordered=N` and exits 0 only if all three are 0.

    SOAK_SECONDS=120 SOAK_SEED=7 .venv/bin/python tests/cluster/soak.py
GREGOR_CLUSTER_IMPL=kafka-zk runs the same rounds against Apache Kafka.
"""

import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cluster_harness  # noqa: E402
import delivery_check  # noqa: E402

SETTINGS = {
    "zookeeper.session.timeout.ms": "6000",
    "replica.lag.time.max.ms": "3000",
    "min.insync.replicas": "2",
    "auto.create.topics.enable": "false",
    "offsets.topic.num.partitions": "3",
}
PARTITIONS = 3
RECOVER_TIMEOUT_S = 120.0


def kill_leader(cluster, topic, rng):
    p = rng.randrange(PARTITIONS)
    victim = cluster.leader_broker(topic, p)
    victim.kill9()
    cluster.wait_leader_change(topic, p, victim.id)
    time.sleep(rng.uniform(1, 5))
    victim.start()
    return "kill -9 leader %d of partition %d" % (victim.id, p)


def stop_follower(cluster, topic, rng):
    p = rng.randrange(PARTITIONS)
    followers = cluster.followers(topic, p)
    if not followers:
        return "no follower to stop"
    victim = rng.choice(followers)
    victim.pause()
    try:
        time.sleep(rng.uniform(2, 8))
    finally:
        victim.resume()
    return "SIGSTOP follower %d of partition %d" % (victim.id, p)


def restart_broker(cluster, topic, rng):
    victim = cluster.brokers[rng.choice(sorted(cluster.brokers))]
    victim.restart()
    return "restart broker %d" % victim.id


def expire_session(cluster, topic, rng):
    p = rng.randrange(PARTITIONS)
    victim = cluster.leader_broker(topic, p)
    victim.pause()
    try:
        cluster.wait_unregistered(victim.id, RECOVER_TIMEOUT_S)  # past the session timeout
    finally:
        victim.resume()
    cluster.wait_registered([victim.id], RECOVER_TIMEOUT_S)
    return "session of leader %d of partition %d expired" % (victim.id, p)


ROUNDS = (kill_leader, stop_follower, restart_broker, expire_session)


def main():
    code, tmp = run()
    if code == 0:
        shutil.rmtree(tmp, ignore_errors=True)  # the logs are kept when something went wrong
    return code


def run():
    seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    seed = int(os.environ.get("SOAK_SEED", str(int(time.time()))))
    rng = random.Random(seed)
    if not cluster_harness.zookeeper_available():
        print("soak: ZooKeeper or java missing (scripts/install-deps)")
        return 2, None
    tmp = Path(tempfile.mkdtemp(prefix="gregor-soak-"))
    zk = cluster_harness.ZooKeeperServer(tmp / "zk")
    cluster = None
    producing = None
    rounds = 0
    print("soak: %s for %.0fs, seed %d, logs in %s" % (cluster_harness.IMPL, seconds, seed, tmp))
    try:
        zk.start()
        cluster = cluster_harness.Cluster(zk, tmp / "cluster", 3, SETTINGS).start()
        topic = cluster.create_topic("soak", partitions=PARTITIONS, replication_factor=3)
        load = delivery_check.LoadProducer(cluster.bootstrap, topic, range(PARTITIONS))
        producing = cluster_harness.Background(load.run, "soak producer")
        producing.start()
        load.wait_acked(100, 60, "records acknowledged before the first round")
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            fault = rng.choice(ROUNDS)
            what = fault(cluster, topic, rng)
            rounds += 1
            cluster.wait_full_isr(topic, RECOVER_TIMEOUT_S)
            before = load.log.acked_count()
            load.wait_acked(before + 50, RECOVER_TIMEOUT_S, "records acknowledged after: " + what)
            print("soak: round %d: %s; acked %d" % (rounds, what, load.log.acked_count()), flush=True)
        left = producing.finish(180)
        producing = None
        if left or load.log.fatal:
            print("soak: producer: %d records without a delivery report, fatal error %s" % (
                left, load.log.fatal))
        report = delivery_check.check_producer(load, cluster.bootstrap, 180)
        print("soak: rounds=%d %s" % (rounds, report.line()))
        if not report.ok():
            print(report)
        return (0 if report.ok() and not left and not load.log.fatal else 1), tmp
    except Exception:  # noqa: BLE001 - reported, and the exit code says it
        traceback.print_exc()
        print("soak: rounds=%d aborted" % rounds)
        if cluster is not None:
            print(cluster.log_tails()[-20000:])
        return 1, tmp
    finally:
        if producing is not None:
            try:
                producing.finish(30)
            except Exception:  # noqa: BLE001 - teardown goes on
                pass
        if cluster is not None:
            cluster.close()
        zk.stop()


if __name__ == "__main__":
    sys.exit(main())
