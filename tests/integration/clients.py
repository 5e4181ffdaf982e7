"""One small interface over the two Python Kafka clients, so each scenario is written once and
runs with kafka-python and confluent-kafka, in whatever versions this interpreter has (the
current PyPI ones in .venv, Debian's older ones under /usr/bin/python3).

Every wait is bounded by a timeout; adapters raise AssertionError with a readable message when a
client reports an error or does not finish in time.
"""

import collections
import time
import uuid

OP_TIMEOUT_S = 30.0

Record = collections.namedtuple("Record", "partition offset key value timestamp_ms")


def _version_tuple(text):
    out = []
    for part in text.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        out.append(int(digits) if digits else 0)
    return tuple(out)


class KafkaPythonClient:
    name = "kafka-python"

    def __init__(self, bootstrap):
        import kafka

        self.kafka = kafka
        self.version = kafka.__version__
        self.modern = _version_tuple(self.version) >= (2, 1)
        self.bootstrap = bootstrap
        self._admin = None
        self._closers = []

    # -- admin ----------------------------------------------------------------------------------

    def admin(self):
        if self._admin is None:
            self._admin = self.kafka.KafkaAdminClient(bootstrap_servers=self.bootstrap,
                                                      request_timeout_ms=int(OP_TIMEOUT_S * 1000))
            self._closers.append(self._admin.close)
        return self._admin

    def create_topic(self, topic, partitions, configs=None):
        configs = {k: str(v) for k, v in (configs or {}).items()}
        if self.modern:
            self.admin().create_topics({topic: {"num_partitions": partitions, "replication_factor": 1,
                                                "configs": configs}},
                                       timeout_ms=int(OP_TIMEOUT_S * 1000))
            return
        from kafka.admin import NewTopic

        resp = self.admin().create_topics(
            [NewTopic(topic, partitions, 1, topic_configs=configs)],
            timeout_ms=int(OP_TIMEOUT_S * 1000))
        for err in resp.topic_errors:
            assert err[1] == 0, "CreateTopics %s failed: %r" % (topic, err)

    def delete_topic(self, topic):
        if self.modern:
            self.admin().delete_topics([topic], timeout_ms=int(OP_TIMEOUT_S * 1000))
            return
        resp = self.admin().delete_topics([topic], timeout_ms=int(OP_TIMEOUT_S * 1000))
        for err in resp.topic_error_codes:
            assert err[1] == 0, "DeleteTopics %s failed: %r" % (topic, err)

    def list_topics(self):
        return set(self.admin().list_topics())

    def partitions(self, topic):
        """Partition ids of `topic` from the admin client's describe, [] if it does not exist."""
        for t in self.admin().describe_topics([topic]):
            name = t.get("name", t.get("topic"))
            if name != topic or t.get("error_code", 0) != 0:
                continue
            return sorted(p.get("partition_index", p.get("partition")) for p in t["partitions"])
        return []

    def topic_config(self, topic, key):
        from kafka.admin import ConfigResource, ConfigResourceType

        res = ConfigResource(ConfigResourceType.TOPIC, topic)
        got = self.admin().describe_configs([res])
        if isinstance(got, dict):  # 2.1+: {'topic': {name: {key: {...}}}}
            entry = got.get("topic", {}).get(topic, {}).get(key)
            if entry is None:
                return None
            return entry.get("value") if isinstance(entry, dict) else entry
        for resp in got:  # 2.0.2: list of DescribeConfigsResponse
            for resource in resp.resources:
                error_code, _msg, _rtype, rname, entries = resource[:5]
                assert error_code == 0, "DescribeConfigs %s failed: %r" % (topic, resource)
                if rname != topic:
                    continue
                for e in entries:
                    if e[0] == key:
                        return e[1]
        return None

    # -- produce / consume ----------------------------------------------------------------------

    def produce(self, topic, records, compression=None):
        """records: dicts with key, value and optional partition / timestamp_ms.
        Returns [(partition, offset)] in input order."""
        p = self.kafka.KafkaProducer(bootstrap_servers=self.bootstrap, acks="all",
                                     compression_type=compression, linger_ms=20,
                                     request_timeout_ms=int(OP_TIMEOUT_S * 1000),
                                     max_block_ms=int(OP_TIMEOUT_S * 1000))
        try:
            futures = [p.send(topic, key=r.get("key"), value=r.get("value"),
                              partition=r.get("partition"), timestamp_ms=r.get("timestamp_ms"))
                       for r in records]
            p.flush(timeout=OP_TIMEOUT_S)
            out = []
            for f in futures:
                md = f.get(timeout=OP_TIMEOUT_S)
                out.append((md.partition, md.offset))
            return out
        finally:
            p.close(timeout=OP_TIMEOUT_S)

    def _consumer(self):
        return self.kafka.KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None,
                                        enable_auto_commit=False, auto_offset_reset="earliest",
                                        fetch_max_wait_ms=100,
                                        request_timeout_ms=int(OP_TIMEOUT_S * 1000) + 5000)

    def consume(self, topic, partitions, count, start=None, timeout_s=OP_TIMEOUT_S):
        """Read `count` records from the given partitions, from the beginning or from
        start={partition: offset}. Returns them sorted by (partition, offset)."""
        TopicPartition = self.kafka.TopicPartition
        c = self._consumer()
        try:
            tps = [TopicPartition(topic, p) for p in partitions]
            c.assign(tps)
            if start is None:
                c.seek_to_beginning(*tps)
            else:
                for tp in tps:
                    c.seek(tp, start[tp.partition])
            got = []
            deadline = time.monotonic() + timeout_s
            while len(got) < count and time.monotonic() < deadline:
                for tp, msgs in c.poll(timeout_ms=200).items():
                    for m in msgs:
                        got.append(Record(tp.partition, m.offset, m.key, m.value, m.timestamp))
            assert len(got) >= count, "consumed %d of %d records in %.0fs" % (
                len(got), count, timeout_s)
            return sorted(got, key=lambda r: (r.partition, r.offset))
        finally:
            c.close()

    def offsets_for_times(self, topic, partitions, timestamp_ms):
        """{partition: first offset with timestamp >= timestamp_ms, or None}."""
        TopicPartition = self.kafka.TopicPartition
        c = self._consumer()
        try:
            got = c.offsets_for_times({TopicPartition(topic, p): timestamp_ms for p in partitions})
            return {tp.partition: (v.offset if v is not None else None) for tp, v in got.items()}
        finally:
            c.close()

    def end_offsets(self, topic, partitions):
        TopicPartition = self.kafka.TopicPartition
        c = self._consumer()
        try:
            got = c.end_offsets([TopicPartition(topic, p) for p in partitions])
            return {tp.partition: off for tp, off in got.items()}
        finally:
            c.close()

    def close(self):
        for fn in reversed(self._closers):
            try:
                fn()
            except Exception:  # noqa: BLE001 - teardown must not mask the test's result
                pass
        self._closers = []
        self._admin = None


class ConfluentClient:
    name = "confluent-kafka"

    def __init__(self, bootstrap):
        import confluent_kafka

        self.ck = confluent_kafka
        self.version = confluent_kafka.version()[0]
        self.bootstrap = bootstrap
        self._admin = None

    def admin(self):
        if self._admin is None:
            from confluent_kafka.admin import AdminClient

            self._admin = AdminClient({"bootstrap.servers": self.bootstrap})
        return self._admin

    @staticmethod
    def _wait_futures(futures, what):
        for key, f in futures.items():
            try:
                f.result(timeout=OP_TIMEOUT_S)
            except Exception as e:  # noqa: BLE001 - turned into a test failure with context
                raise AssertionError("%s %s failed: %r" % (what, key, e)) from e

    def create_topic(self, topic, partitions, configs=None):
        from confluent_kafka.admin import NewTopic

        nt = NewTopic(topic, num_partitions=partitions, replication_factor=1,
                      config={k: str(v) for k, v in (configs or {}).items()})
        self._wait_futures(self.admin().create_topics([nt], operation_timeout=OP_TIMEOUT_S),
                           "CreateTopics")

    def delete_topic(self, topic):
        self._wait_futures(self.admin().delete_topics([topic], operation_timeout=OP_TIMEOUT_S),
                           "DeleteTopics")

    def list_topics(self):
        return set(self.admin().list_topics(timeout=OP_TIMEOUT_S).topics)

    def partitions(self, topic):
        md = self.admin().list_topics(timeout=OP_TIMEOUT_S).topics.get(topic)
        if md is None or md.error is not None:
            return []
        return sorted(md.partitions)

    def topic_config(self, topic, key):
        from confluent_kafka.admin import ConfigResource

        res = ConfigResource("topic", topic)
        futures = self.admin().describe_configs([res], request_timeout=OP_TIMEOUT_S)
        for f in futures.values():
            entries = f.result(timeout=OP_TIMEOUT_S)
            if key in entries:
                return entries[key].value
        return None

    def produce(self, topic, records, compression=None):
        conf = {"bootstrap.servers": self.bootstrap, "acks": "all", "linger.ms": 20,
                "message.timeout.ms": int(OP_TIMEOUT_S * 1000)}
        if compression:
            conf["compression.type"] = compression
        p = self.ck.Producer(conf)
        results = [None] * len(records)
        errors = []

        def on_delivery(i):
            def cb(err, msg):
                if err is not None:
                    errors.append((i, err))
                else:
                    results[i] = (msg.partition(), msg.offset())
            return cb

        for i, r in enumerate(records):
            kwargs = {"key": r.get("key"), "value": r.get("value"), "on_delivery": on_delivery(i)}
            if r.get("partition") is not None:
                kwargs["partition"] = r["partition"]
            if r.get("timestamp_ms") is not None:
                kwargs["timestamp"] = r["timestamp_ms"]
            p.produce(topic, **kwargs)
            p.poll(0)
        remaining = p.flush(OP_TIMEOUT_S)
        assert remaining == 0, "%d records still undelivered after %.0fs" % (remaining, OP_TIMEOUT_S)
        assert not errors, "delivery errors: %r" % errors[:5]
        return results

    def _consumer(self):
        return self.ck.Consumer({"bootstrap.servers": self.bootstrap,
                                 "group.id": "gregor-test-" + uuid.uuid4().hex[:8],
                                 "enable.auto.commit": False, "auto.offset.reset": "earliest",
                                 "fetch.wait.max.ms": 100})

    def consume(self, topic, partitions, count, start=None, timeout_s=OP_TIMEOUT_S):
        TopicPartition = self.ck.TopicPartition
        c = self._consumer()
        try:
            c.assign([TopicPartition(topic, p, self.ck.OFFSET_BEGINNING if start is None
                                     else start[p]) for p in partitions])
            got = []
            deadline = time.monotonic() + timeout_s
            while len(got) < count and time.monotonic() < deadline:
                m = c.poll(0.2)
                if m is None:
                    continue
                assert m.error() is None, "consumer error: %s" % m.error()
                got.append(Record(m.partition(), m.offset(), m.key(), m.value(), m.timestamp()[1]))
            assert len(got) >= count, "consumed %d of %d records in %.0fs" % (
                len(got), count, timeout_s)
            return sorted(got, key=lambda r: (r.partition, r.offset))
        finally:
            c.close()

    def offsets_for_times(self, topic, partitions, timestamp_ms):
        TopicPartition = self.ck.TopicPartition
        c = self._consumer()
        try:
            got = c.offsets_for_times([TopicPartition(topic, p, timestamp_ms) for p in partitions],
                                      timeout=OP_TIMEOUT_S)
            return {tp.partition: (tp.offset if tp.offset >= 0 else None) for tp in got}
        finally:
            c.close()

    def end_offsets(self, topic, partitions):
        TopicPartition = self.ck.TopicPartition
        c = self._consumer()
        try:
            return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=OP_TIMEOUT_S)[1]
                    for p in partitions}
        finally:
            c.close()

    def close(self):
        self._admin = None  # AdminClient has no close(); dropping it frees its handle


CLIENT_CLASSES = {"kafka-python": KafkaPythonClient, "confluent-kafka": ConfluentClient}


def client_id(name):
    """Test id for a client, with the version this interpreter has (shows the generation)."""
    try:
        if name == "kafka-python":
            import kafka

            return "kafka-python-" + kafka.__version__
        import confluent_kafka

        return "confluent-kafka-" + confluent_kafka.version()[0]
    except ImportError:
        return name + "-missing"
