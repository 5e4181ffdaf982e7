"""Compatibility scenarios with confluent-kafka (librdkafka underneath).

Runs under the current PyPI release (.venv) and under Debian's older package (/usr/bin/python3);
features the older one lacks (incremental alter configs, admin list offsets) fall back to the
older API so the same scenario still runs. Output contract: drivers/common.py.
"""

import time

import common
import confluent_kafka
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

T = common.OP_TIMEOUT_S
TT = {confluent_kafka.TIMESTAMP_CREATE_TIME: "create", confluent_kafka.TIMESTAMP_LOG_APPEND_TIME: "append"}


def err_name(e):
    """Kafka error name from a KafkaException / KafkaError (or the exception text)."""
    if isinstance(e, KafkaException) and e.args and hasattr(e.args[0], "name"):
        return e.args[0].name()
    if hasattr(e, "name"):
        return e.name()
    return "%s: %s" % (type(e).__name__, e)


def base_conf(ctx, **extra):
    conf = {"bootstrap.servers": ctx.bootstrap, "socket.timeout.ms": 10000,
            "api.version.request.timeout.ms": 10000}
    conf.update(extra)
    return conf


def admin(ctx):
    return AdminClient(base_conf(ctx))


def produce(ctx, records, topic=None, partition=0, **conf):
    """Sends records (dicts from scenario_data) and returns [[partition, offset]] in send order."""
    conf.setdefault("linger.ms", 20)
    conf.setdefault("message.timeout.ms", 10000)
    p = Producer(base_conf(ctx, **conf))
    results = [None] * len(records)

    def done(i):
        def cb(err, msg):
            results[i] = err.name() if err else [msg.partition(), msg.offset()]
        return cb

    for i, r in enumerate(records):
        kwargs = {"partition": partition, "timestamp": r["ts"], "on_delivery": done(i)}
        if r.get("headers"):
            kwargs["headers"] = [(k, common.enc(v)) for k, v in r["headers"]]
        p.produce(topic or ctx.topic, key=common.enc(r["key"]), value=common.enc(r["value"]), **kwargs)
    left = p.flush(T)
    if left:
        raise RuntimeError("%d messages still in the queue after %.0fs" % (left, T))
    return results


def consume(ctx, count, topic=None, partition=0, offset=0, wait_s=T, **conf):
    """Reads `count` records from one partition starting at `offset` (no group: assign)."""
    base = {"group.id": "compat-assign-only", "enable.auto.commit": False,
            "auto.offset.reset": "earliest", "enable.partition.eof": False}
    base.update(conf)
    c = Consumer(base_conf(ctx, **base))
    out = []
    try:
        c.assign([TopicPartition(topic or ctx.topic, partition, offset)])
        end = common.deadline(wait_s)
        while len(out) < count and time.monotonic() < end:
            m = c.poll(common.POLL_INTERVAL_S)
            if m is None:
                continue
            if m.error():
                out.append({"error": m.error().name()})
                break
            tt, ts = m.timestamp()
            out.append(common.record(m.partition(), m.offset(), m.key(), m.value(), m.headers(), ts,
                                     TT.get(tt)))
    finally:
        c.close()
    return out


def roundtrip_like(ctx, records, **conf):
    produced = produce(ctx, records, **conf)
    return {"produced": produced, "consumed": consume(ctx, len(records))}


def s_roundtrip(ctx):
    return roundtrip_like(ctx, ctx.data["roundtrip"])


def s_headers(ctx):
    return roundtrip_like(ctx, ctx.data["headers"])


def compression(codec):
    def s(ctx):
        return roundtrip_like(ctx, common.compression_records(ctx.data), **{"compression.codec": codec,
                                                                             "linger.ms": 100})
    return s


def s_idempotent(ctx):
    return roundtrip_like(ctx, common.idempotent_records(ctx.data), **{"enable.idempotence": True,
                                                                       "acks": "all"})


def s_list_offsets(ctx):
    d = ctx.data["list_offsets"]
    produce(ctx, common.list_offsets_records(ctx.data))
    c = Consumer(base_conf(ctx, **{"group.id": "compat-assign-only", "enable.auto.commit": False}))
    try:
        low, high = c.get_watermark_offsets(TopicPartition(ctx.topic, 0), timeout=T)
        by_time = c.offsets_for_times([TopicPartition(ctx.topic, 0, d["query_ts"])], timeout=T)[0]
        after = c.offsets_for_times([TopicPartition(ctx.topic, 0, d["future_ts"])], timeout=T)[0]
        out = {"earliest": low, "latest": high, "by_time": by_time.offset, "after_last": after.offset}
    finally:
        c.close()
    # Admin ListOffsets (newer clients only) also reports the timestamp and max-timestamp lookups.
    a = admin(ctx)
    if hasattr(a, "list_offsets"):
        from confluent_kafka.admin import OffsetSpec
        tp = TopicPartition(ctx.topic, 0)
        specs = {"earliest": OffsetSpec.earliest(), "latest": OffsetSpec.latest(),
                 "max_timestamp": OffsetSpec.max_timestamp(), "by_time": OffsetSpec.for_timestamp(d["query_ts"])}
        adm = {}
        for name, spec in specs.items():
            try:
                info = a.list_offsets({tp: spec}, request_timeout=T)[tp].result(T)
                adm[name] = {"offset": info.offset, "ts": info.timestamp}
            except KafkaException as e:
                adm[name] = err_name(e)
        out["admin"] = adm
    return out


def future_error(f):
    try:
        f.result(T)
        return "NONE"
    except KafkaException as e:
        return err_name(e)


def describe_topic(a, topic):
    md = a.list_topics(topic=topic, timeout=T)
    t = md.topics.get(topic)
    if t is None:
        return "absent"
    if t.error is not None:
        return t.error.name()
    return {"partitions": [{"id": p.id, "leader": p.leader, "replicas": list(p.replicas), "isr": list(p.isrs),
                            "error": p.error.name() if p.error else "NONE"}
                           for p in sorted(t.partitions.values(), key=lambda p: p.id)]}


def wait_partitions(a, topic, n):
    return common.wait_until(lambda: (lambda d: isinstance(d, dict) and len(d["partitions"]) == n)(
        describe_topic(a, topic)))


def s_admin_topics(ctx):
    d = ctx.data["admin"]
    a = admin(ctx)
    t = ctx.topic
    out = {}
    new = NewTopic(t, d["partitions"], 1, config=d["configs"])
    out["create"] = future_error(a.create_topics([new], request_timeout=T)[t])
    wait_partitions(a, t, d["partitions"])
    out["create_again"] = future_error(a.create_topics([NewTopic(t, 1, 1)], request_timeout=T)[t])
    out["describe"] = describe_topic(a, t)
    out["create_partitions"] = future_error(
        a.create_partitions([NewPartitions(t, d["new_partitions"])], request_timeout=T)[t])
    wait_partitions(a, t, d["new_partitions"])
    out["describe_after"] = describe_topic(a, t)
    out["shrink_partitions"] = future_error(a.create_partitions([NewPartitions(t, 2)], request_timeout=T)[t])
    out["listed"] = t in a.list_topics(timeout=T).topics
    out["delete"] = future_error(a.delete_topics([t], request_timeout=T)[t])
    out["gone_from_list"] = bool(common.wait_until(lambda: t not in a.list_topics(timeout=T).topics))
    out["describe_deleted"] = describe_topic(a, t)
    out["delete_again"] = future_error(a.delete_topics([t], request_timeout=T)[t])
    md = a.list_topics(timeout=T)
    out["brokers"] = len(md.brokers)
    return out


def config_entries(a, topic):
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    return a.describe_configs([res], request_timeout=T)[res].result(T)


def source_name(entry):
    s = entry.source
    return getattr(confluent_kafka.admin.ConfigSource(s), "name", str(s)) if isinstance(s, int) else s.name


def summarize_configs(ctx, entries):
    return {
        "overrides": {n: e.value for n, e in entries.items() if source_name(e) == "DYNAMIC_TOPIC_CONFIG"},
        "defaults": {n: {"value": entries[n].value, "source": source_name(entries[n])}
                     for n in ctx.data["described_defaults"] if n in entries},
        "names": sorted(entries),
    }


def s_describe_configs(ctx):
    return summarize_configs(ctx, config_entries(admin(ctx), ctx.topic))


def s_alter_configs(ctx):
    a = admin(ctx)
    res = ConfigResource(ConfigResource.Type.TOPIC, ctx.topic)
    out = {}
    if hasattr(a, "incremental_alter_configs"):
        from confluent_kafka.admin import AlterConfigOpType, ConfigEntry
        for k, v in ctx.data["alter_configs"].items():
            res.add_incremental_config(ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET))
        out["alter"] = future_error(a.incremental_alter_configs([res], request_timeout=T)[res])
    else:
        for k, v in ctx.data["alter_configs"].items():
            res.set_config(k, v)
        out["alter"] = future_error(a.alter_configs([res], request_timeout=T)[res])
    # Kafka applies a config change asynchronously: describe until it shows (bounded).
    want = ctx.data["alter_configs"]
    entries = common.wait_until(lambda: (lambda e: e if all(k in e and e[k].value == v for k, v in want.items())
                                         else None)(config_entries(a, ctx.topic))) or config_entries(a, ctx.topic)
    out["after"] = {k: {"value": entries[k].value, "source": source_name(entries[k])}
                    for k in ctx.data["alter_configs"]}
    bad = ConfigResource(ConfigResource.Type.TOPIC, ctx.topic, set_config={"no.such.config": "1"})
    out["alter_unknown_key"] = future_error(a.alter_configs([bad], request_timeout=T)[bad])
    return out


def s_group(ctx):
    d = ctx.data["group"]
    recs = common.group_records(ctx.data)
    for p in range(d["partitions"]):
        produce(ctx, [r for pp, r in recs if pp == p], partition=p)
    gid = ctx.topic + "-g"
    conf = base_conf(ctx, **{"group.id": gid, "enable.auto.commit": False, "auto.offset.reset": "earliest",
                             "session.timeout.ms": 10000, "heartbeat.interval.ms": 500,
                             "partition.assignment.strategy": "range"})
    members = [Consumer(dict(conf)) for _ in range(d["members"])]
    assigned = [[] for _ in members]
    progress = [dict() for _ in members]  # partition -> next offset, since the latest assignment
    seen = set()

    def on_assign(i):
        def cb(consumer, parts):
            assigned[i] = sorted(tp.partition for tp in parts)
            progress[i] = {}
        return cb

    def on_revoke(i):
        def cb(consumer, parts):
            assigned[i] = []
            progress[i] = {}
        return cb

    out = {}
    try:
        for i, m in enumerate(members):
            m.subscribe([ctx.topic], on_assign=on_assign(i), on_revoke=on_revoke(i))

        def settled():
            return (all(assigned) and sum(len(a) for a in assigned) == d["partitions"]
                    and all(progress[i].get(p) == d["per_partition"] for i in range(len(members))
                            for p in assigned[i]))

        end = common.deadline(2 * T)
        first_end = common.deadline(T)  # nobody assigned anything by then: groups do not work
        errors = []
        while not settled() and time.monotonic() < end and (any(assigned) or time.monotonic() < first_end):
            for i, m in enumerate(members):
                msg = m.poll(0.1)
                if msg is None:
                    continue
                if msg.error():
                    errors.append(msg.error().name())
                    continue
                seen.add((msg.partition(), msg.offset()))
                if msg.partition() in assigned[i]:
                    progress[i][msg.partition()] = msg.offset() + 1
        out["assignment_counts"] = sorted(len(a) for a in assigned)
        out["consumed_distinct"] = len(seen)
        out["poll_errors"] = sorted(set(errors))
        commits = []
        for i, m in enumerate(members):
            offs = [TopicPartition(ctx.topic, p, progress[i].get(p, 0)) for p in assigned[i]]
            if offs:
                try:
                    m.commit(offsets=offs, asynchronous=False)
                    commits.append("NONE")
                except KafkaException as e:
                    commits.append(err_name(e))
        out["commits"] = sorted(commits)
    finally:
        for m in members:
            m.close()
    check = Consumer(dict(conf))
    try:
        got = check.committed([TopicPartition(ctx.topic, p) for p in range(d["partitions"])], timeout=T)
        out["committed"] = {str(tp.partition): tp.offset for tp in got}
    except KafkaException as e:
        out["committed"] = err_name(e)
    finally:
        check.close()
    return out


def group_state(a, gid):
    """What DescribeGroups tells about one group, in client-neutral terms."""
    try:
        d = a.describe_consumer_groups([gid], request_timeout=T)[gid].result(T)
    except KafkaException as e:
        return {"error": err_name(e)}
    state = getattr(d.state, "name", str(d.state))
    return {"state": state, "simple": d.is_simple_consumer_group, "assignor": d.partition_assignor,
            "members": sorted(len(m.assignment.topic_partitions) for m in d.members)}


def s_group_admin(ctx):
    a = admin(ctx)
    if not hasattr(a, "describe_consumer_groups"):
        raise common.Skip("this confluent-kafka has no consumer group admin API")
    from confluent_kafka import ConsumerGroupTopicPartitions
    recs = common.group_records(ctx.data)
    parts = 2  # the runner creates this scenario's topic with 2 partitions
    for p in range(parts):
        produce(ctx, [r for pp, r in recs if pp == p], partition=p)
    gid = ctx.topic + "-g"
    conf = base_conf(ctx, **{"group.id": gid, "enable.auto.commit": False, "auto.offset.reset": "earliest",
                             "session.timeout.ms": 10000, "heartbeat.interval.ms": 500,
                             "partition.assignment.strategy": "range"})
    want = parts * ctx.data["group"]["per_partition"]
    c = Consumer(conf)
    out = {}
    try:
        c.subscribe([ctx.topic])
        got = 0
        end = common.deadline()
        while got < want and time.monotonic() < end:
            m = c.poll(common.POLL_INTERVAL_S)
            if m is not None and not m.error():
                got += 1
        out["consumed"] = got
        try:
            c.commit(asynchronous=False)
            out["commit"] = "NONE"
        except KafkaException as e:
            out["commit"] = err_name(e)
        listed = a.list_consumer_groups(request_timeout=T).result(T)
        out["listed"] = gid in [g.group_id for g in listed.valid]
        out["while_member"] = group_state(a, gid)
    finally:
        c.close()
    out["after_close"] = group_state(a, gid)
    try:
        res = a.list_consumer_group_offsets([ConsumerGroupTopicPartitions(gid)], request_timeout=T)[gid].result(T)
        out["offsets"] = {"%s/%d" % (tp.topic == ctx.topic and "t" or tp.topic, tp.partition): tp.offset
                          for tp in res.topic_partitions}
    except KafkaException as e:
        out["offsets"] = err_name(e)
    out["delete"] = future_error(a.delete_consumer_groups([gid], request_timeout=T)[gid])
    out["delete_again"] = future_error(a.delete_consumer_groups([gid], request_timeout=T)[gid])
    out["after_delete"] = group_state(a, gid)
    out["never_existed"] = group_state(a, gid + "-none")
    return out


def s_transactions(ctx):
    recs = common.transaction_records(ctx.data)
    p = Producer(base_conf(ctx, **{"transactional.id": ctx.topic + "-txn", "transaction.timeout.ms": 10000,
                                   "message.timeout.ms": 10000}))
    out = {}
    try:
        p.init_transactions(T)
        out["init"] = "NONE"
    except KafkaException as e:
        out["init"] = err_name(e)
        return out
    p.begin_transaction()
    for r in recs:
        p.produce(ctx.topic, key=common.enc(r["key"]), value=common.enc(r["value"]), partition=0,
                  timestamp=r["ts"])
    try:
        p.commit_transaction(T)
        out["commit"] = "NONE"
    except KafkaException as e:
        out["commit"] = err_name(e)
        return out
    out["consumed"] = consume(ctx, len(recs), **{"isolation.level": "read_committed"})
    c = Consumer(base_conf(ctx, **{"group.id": "compat-assign-only"}))
    try:
        out["watermarks"] = list(c.get_watermark_offsets(TopicPartition(ctx.topic, 0), timeout=T))
    finally:
        c.close()
    return out


def s_error_unknown_topic(ctx):
    r = {"key": "k", "value": "v", "ts": 1700000000000}
    res = produce(ctx, [r], **{"message.timeout.ms": 5000, "topic.metadata.propagation.max.ms": 1000})
    return {"delivery": res[0] if isinstance(res[0], str) else "NONE"}


def s_error_invalid_topic(ctx):
    bad = ctx.data["invalid_topic"]
    a = admin(ctx)
    out = {"create": future_error(a.create_topics([NewTopic(bad, 1, 1)], request_timeout=T)[bad])}
    try:
        res = produce(ctx, [{"key": "k", "value": "v", "ts": 1700000000000}], topic=bad,
                      **{"message.timeout.ms": 5000, "topic.metadata.propagation.max.ms": 1000})
        out["produce"] = res[0] if isinstance(res[0], str) else "NONE"
    except KafkaException as e:
        out["produce"] = err_name(e)
    return out


def s_error_future_timestamp(ctx):
    r = {"key": "future", "value": "timestamp in the year 2100", "ts": ctx.data["future_timestamp"]}
    return {"delivery": produce(ctx, [r], **{"message.timeout.ms": 10000})[0]}


def s_error_out_of_range(ctx):
    d = ctx.data["out_of_range"]
    recs = common.out_of_range_records(ctx.data)
    produce(ctx, recs)
    got = consume(ctx, 1, offset=d["fetch_offset"], **{"auto.offset.reset": "error"})
    out = {"no_reset": got[0].get("error", "record") if got else "nothing"}
    got = consume(ctx, 1, offset=d["fetch_offset"], **{"auto.offset.reset": "earliest"})
    out["reset_earliest"] = got[0].get("o", got[0].get("error")) if got else "nothing"
    got = consume(ctx, 1, offset=d["fetch_offset"], wait_s=3, **{"auto.offset.reset": "latest"})
    out["reset_latest_records"] = len(got)
    return out


SCENARIOS = {
    "roundtrip": s_roundtrip,
    "headers": s_headers,
    "compression_gzip": compression("gzip"),
    "compression_snappy": compression("snappy"),
    "compression_lz4": compression("lz4"),
    "compression_zstd": compression("zstd"),
    "idempotent": s_idempotent,
    "list_offsets": s_list_offsets,
    "admin_topics": s_admin_topics,
    "describe_configs": s_describe_configs,
    "alter_configs": s_alter_configs,
    "group": s_group,
    "group_admin": s_group_admin,
    "transactions": s_transactions,
    "error_unknown_topic": s_error_unknown_topic,
    "error_invalid_topic": s_error_invalid_topic,
    "error_out_of_range": s_error_out_of_range,
    "error_future_timestamp": s_error_future_timestamp,
}

if __name__ == "__main__":
    v = getattr(confluent_kafka, "__version__", None) or confluent_kafka.version()[0]
    common.run("%s (librdkafka %s)" % (v, confluent_kafka.libversion()[0]), SCENARIOS)
