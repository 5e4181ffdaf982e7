"""Compatibility scenarios with kafka-python (pure Python client).

Runs under the current PyPI release (3.x, .venv) and Debian's 2.0.2 (/usr/bin/python3). Their
admin APIs differ a lot, so admin helpers below accept either shape; scenarios the old release
cannot express (idempotence, transactions, group admin) are reported as n/a there.
Output contract: drivers/common.py.
"""

import re
import threading
import time

import common
import kafka
import kafka.errors as Errors
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewPartitions, NewTopic

T = common.OP_TIMEOUT_S
T_MS = int(T * 1000)


def vtuple(text):
    return tuple(int("".join(ch for ch in p if ch.isdigit()) or 0) for p in text.split("."))


MODERN = vtuple(kafka.__version__) >= (2, 1)


def ename(e):
    """Kafka error name of a kafka-python exception (class attribute `message`) or the class name."""
    name = getattr(type(e), "message", None)
    return name if isinstance(name, str) else type(e).__name__


def code_name(code):
    return Errors.for_code(code).message if code else "NONE"


def err_value_name(err):
    """An error returned as a value (class, instance or None) -> its Kafka error name."""
    if err is None or err is Errors.NoError or isinstance(err, Errors.NoError):
        return "NONE"
    if isinstance(err, type):
        return getattr(err, "message", None) or err.__name__
    if isinstance(err, str):  # kafka-python 3 reports some results as text
        m = re.match(r"\[Error (-?\d+)\]", err)
        if m:
            return code_name(int(m.group(1)))
        if err in ("OK", "NoError"):
            return "NONE"
        cls = getattr(Errors, err, None)
        return getattr(cls, "message", None) or err
    return ename(err)


def producer(ctx, **kw):
    kw.setdefault("linger_ms", 20)
    kw.setdefault("request_timeout_ms", 10000)
    kw.setdefault("max_block_ms", 10000)
    return KafkaProducer(bootstrap_servers=ctx.bootstrap, **kw)


def produce(ctx, records, topic=None, partition=0, **kw):
    p = producer(ctx, **kw)
    try:
        futs = []
        for r in records:
            # kafka-python only sends bytes header values: a null one is left out.
            headers = [(k, common.enc(v)) for k, v in r.get("headers") or [] if v is not None]
            futs.append(p.send(topic or ctx.topic, key=common.enc(r["key"]), value=common.enc(r["value"]),
                               partition=partition, timestamp_ms=r["ts"], headers=headers or None))
        p.flush(T)
        out = []
        for f in futs:
            try:
                md = f.get(T)
                out.append([md.partition, md.offset])
            except Errors.KafkaError as e:
                out.append(ename(e))
        return out
    finally:
        p.close(timeout=5)


def consumer(ctx, **kw):
    kw.setdefault("enable_auto_commit", False)
    kw.setdefault("auto_offset_reset", "earliest")
    kw.setdefault("request_timeout_ms", 20000)
    return KafkaConsumer(bootstrap_servers=ctx.bootstrap, **kw)


def as_record(m):
    return common.record(m.partition, m.offset, m.key, m.value, m.headers, m.timestamp,
                         "create" if m.timestamp_type == 0 else "append")


def consume(ctx, count, topic=None, partition=0, offset=0, wait_s=T, **kw):
    c = consumer(ctx, **kw)
    out = []
    try:
        tp = TopicPartition(topic or ctx.topic, partition)
        c.assign([tp])
        c.seek(tp, offset)
        end = common.deadline(wait_s)
        while len(out) < count and time.monotonic() < end:
            try:
                batch = c.poll(timeout_ms=200)
            except Errors.KafkaError as e:
                out.append({"error": ename(e)})
                break
            for msgs in batch.values():
                out.extend(as_record(m) for m in msgs)
    finally:
        c.close()
    return out[:count] if out and "error" not in out[-1] else out


def roundtrip_like(ctx, records, **kw):
    return {"produced": produce(ctx, records, **kw), "consumed": consume(ctx, len(records))}


def s_roundtrip(ctx):
    return roundtrip_like(ctx, ctx.data["roundtrip"])


def s_headers(ctx):
    return roundtrip_like(ctx, ctx.data["headers"])


def compression(codec):
    def s(ctx):
        return roundtrip_like(ctx, common.compression_records(ctx.data), compression_type=codec, linger_ms=100)
    return s


def s_idempotent(ctx):
    if not MODERN:
        raise common.Skip("kafka-python %s has no idempotent producer" % kafka.__version__)
    return roundtrip_like(ctx, common.idempotent_records(ctx.data), enable_idempotence=True, acks="all")


def s_list_offsets(ctx):
    d = ctx.data["list_offsets"]
    produce(ctx, common.list_offsets_records(ctx.data))
    c = consumer(ctx)
    tp = TopicPartition(ctx.topic, 0)
    try:
        by_time = c.offsets_for_times({tp: d["query_ts"]})[tp]
        after = c.offsets_for_times({tp: d["future_ts"]})[tp]
        return {"earliest": c.beginning_offsets([tp])[tp], "latest": c.end_offsets([tp])[tp],
                "by_time": [by_time.offset, by_time.timestamp] if by_time else None,
                "after_last": [after.offset, after.timestamp] if after else None}
    finally:
        c.close()


def admin(ctx):
    return KafkaAdminClient(bootstrap_servers=ctx.bootstrap, request_timeout_ms=T_MS)


def topic_result_errors(resp):
    """[(name, code)] from a CreateTopics/DeleteTopics result in either client generation."""
    if isinstance(resp, dict):
        return [(t.get("name"), t.get("error_code", 0)) for t in resp.get("topics", [])]
    rows = getattr(resp, "topic_errors", None) or getattr(resp, "topic_error_codes", None) or []
    return [(r[0], r[1]) for r in rows]


def create_topic(a, name, partitions, configs=None):
    kw = {"raise_errors": False} if MODERN else {}
    try:
        resp = a.create_topics([NewTopic(name, partitions, 1, topic_configs=configs or {})], timeout_ms=T_MS, **kw)
    except Errors.KafkaError as e:
        return ename(e)
    return code_name(dict(topic_result_errors(resp)).get(name, 0))


def delete_topic(a, name):
    kw = {"raise_errors": False} if MODERN else {}
    try:
        resp = a.delete_topics([name], timeout_ms=T_MS, **kw)
    except Errors.KafkaError as e:
        return ename(e)
    return code_name(dict(topic_result_errors(resp)).get(name, 0))


def create_partitions(a, name, count):
    try:
        if MODERN:
            resp = a.create_partitions({name: count}, timeout_ms=T_MS, raise_errors=False)
        else:
            resp = a.create_partitions({name: NewPartitions(count)}, timeout_ms=T_MS)
    except Errors.KafkaError as e:
        return ename(e)
    rows = getattr(resp, "results", None) or getattr(resp, "topic_errors", None) or []
    for r in rows:
        code = getattr(r, "error_code", None)
        if code is None:
            code = r[1]
        return code_name(code)
    return "no result"


def describe_topic(a, name):
    try:
        ts = a.describe_topics([name])
    except Errors.KafkaError as e:
        return ename(e)
    for t in ts:
        if t.get("name", t.get("topic")) != name:
            continue
        if t.get("error_code", 0):
            return code_name(t["error_code"])
        parts = []
        for p in t["partitions"]:
            parts.append({"id": p.get("partition_index", p.get("partition")),
                          "leader": p.get("leader_id", p.get("leader")),
                          "replicas": list(p.get("replica_nodes", p.get("replicas")) or []),
                          "isr": list(p.get("isr_nodes", p.get("isr")) or []),
                          "error": code_name(p.get("error_code", 0))})
        return {"partitions": sorted(parts, key=lambda p: p["id"])}
    return "absent"


def s_admin_topics(ctx):
    d = ctx.data["admin"]
    a = admin(ctx)
    t = ctx.topic
    try:
        out = {"create": create_topic(a, t, d["partitions"], d["configs"])}
        common.wait_until(lambda: isinstance(describe_topic(a, t), dict))
        out["create_again"] = create_topic(a, t, 1)
        out["describe"] = describe_topic(a, t)
        out["create_partitions"] = create_partitions(a, t, d["new_partitions"])
        common.wait_until(lambda: (lambda x: isinstance(x, dict) and len(x["partitions"]) == d["new_partitions"])(
            describe_topic(a, t)))
        out["describe_after"] = describe_topic(a, t)
        out["shrink_partitions"] = create_partitions(a, t, 2)
        out["listed"] = t in a.list_topics()
        out["delete"] = delete_topic(a, t)
        out["gone_from_list"] = bool(common.wait_until(lambda: t not in a.list_topics()))
        out["describe_deleted"] = describe_topic(a, t)
        out["delete_again"] = delete_topic(a, t)
        return out
    finally:
        a.close()


SOURCE_NAMES = {1: "DYNAMIC_TOPIC_CONFIG", 2: "DYNAMIC_BROKER_CONFIG", 3: "DYNAMIC_DEFAULT_BROKER_CONFIG",
                4: "STATIC_BROKER_CONFIG", 5: "DEFAULT_CONFIG", 6: "DYNAMIC_BROKER_LOGGER_CONFIG"}


def topic_configs(a, name):
    """{name: (value, source name)} for every config of a topic."""
    from kafka.admin import ConfigResource, ConfigResourceType
    res = ConfigResource(ConfigResourceType.TOPIC, name)
    if MODERN:
        got = a.describe_configs([res], config_filter="all")["topic"][name]
        out = {}
        for k, v in got.items():
            src = v.get("config_source")
            if isinstance(src, int):
                src = SOURCE_NAMES.get(src, str(src))
            out[k] = (v.get("value"), getattr(src, "name", src))
        return out
    resp = a.describe_configs([res])[0]
    out = {}
    for r in resp.resources:
        # (error_code, error_message, resource_type, resource_name, config_entries)
        for e in r[4]:
            # v1+: (name, value, read_only, config_source, is_sensitive, synonyms)
            out[e[0]] = (e[1], SOURCE_NAMES.get(e[3], str(e[3])))
    return out


def s_describe_configs(ctx):
    a = admin(ctx)
    try:
        entries = topic_configs(a, ctx.topic)
    finally:
        a.close()
    return {"overrides": {n: v for n, (v, s) in entries.items() if s == "DYNAMIC_TOPIC_CONFIG"},
            "defaults": {n: {"value": entries[n][0], "source": entries[n][1]}
                         for n in ctx.data["described_defaults"] if n in entries},
            "names": sorted(entries)}


def alter(a, name, configs):
    from kafka.admin import ConfigResource, ConfigResourceType
    res = ConfigResource(ConfigResourceType.TOPIC, name, configs=dict(configs))
    try:
        if MODERN:
            got = a.alter_configs([res], raise_on_unknown=False)
            return err_value_name(got["topic"][name])
        resp = a.alter_configs([res])
        for r in resp.resources:
            return code_name(r[0])
    except Errors.KafkaError as e:
        return ename(e)
    return "no result"


def s_alter_configs(ctx):
    a = admin(ctx)
    try:
        out = {"alter": alter(a, ctx.topic, ctx.data["alter_configs"])}
        want = ctx.data["alter_configs"]  # Kafka applies it asynchronously: describe until it shows
        entries = common.wait_until(lambda: (lambda e: e if all(k in e and e[k][0] == v for k, v in want.items())
                                             else None)(topic_configs(a, ctx.topic))) or topic_configs(a, ctx.topic)
        out["after"] = {k: {"value": entries[k][0], "source": entries[k][1]} for k in ctx.data["alter_configs"]}
        out["alter_unknown_key"] = alter(a, ctx.topic, {"no.such.config": "1"})
        return out
    finally:
        a.close()


def s_group(ctx):
    """Two members, each polling on its own thread (kafka-python 2.0.2 blocks inside poll() while a
    rebalance waits for the other member, so one thread cannot drive both)."""
    d = ctx.data["group"]
    recs = common.group_records(ctx.data)
    for p in range(d["partitions"]):
        produce(ctx, [r for pp, r in recs if pp == p], partition=p)
    out, settled = group_attempt(ctx, ctx.topic + "-g")
    if not settled:
        # kafka-python 3.0.12 against Apache Kafka now and then leaves the second member without
        # partitions for the whole wait; one fresh group gets a second chance (same on both brokers).
        out, settled = group_attempt(ctx, ctx.topic + "-g2")
    return out


def group_attempt(ctx, gid):
    d = ctx.data["group"]
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.structs import OffsetAndMetadata
    # max_poll_interval_ms is also the rebalance timeout: a member slow to rejoin holds up a
    # rebalance for at most that long instead of kafka-python's default five minutes.
    kw = dict(group_id=gid, session_timeout_ms=10000, heartbeat_interval_ms=500, max_poll_interval_ms=10000,
              partition_assignment_strategy=[RangePartitionAssignor])
    n = d["members"]
    state = [{"assigned": [], "progress": {}, "seen": set(), "errors": [], "commit": None} for _ in range(n)]
    lock = threading.Lock()
    stop = threading.Event()

    def member(i):
        st = state[i]
        m = consumer(ctx, **kw)
        try:
            m.subscribe([ctx.topic])
            while not stop.is_set():
                try:
                    batch = m.poll(timeout_ms=100)
                except Errors.KafkaError as e:
                    with lock:
                        st["errors"].append(ename(e))
                    time.sleep(0.1)
                    continue
                mine = sorted(tp.partition for tp in m.assignment())
                with lock:
                    st["assigned"] = mine
                    st["progress"] = {p: o for p, o in st["progress"].items() if p in mine}
                    for msgs in batch.values():
                        for r in msgs:
                            st["seen"].add((r.partition, r.offset))
                            if r.partition in mine:
                                st["progress"][r.partition] = r.offset + 1
            with lock:
                offs = {TopicPartition(ctx.topic, p): (OffsetAndMetadata(st["progress"].get(p, 0), "", -1)
                                                       if MODERN else OffsetAndMetadata(st["progress"].get(p, 0), ""))
                        for p in st["assigned"]}
            if offs:
                try:
                    m.commit(offs)
                    st["commit"] = "NONE"
                except Errors.KafkaError as e:
                    st["commit"] = ename(e)
        finally:
            m.close(autocommit=False)

    def settled():
        with lock:
            a = [st["assigned"] for st in state]
            return (all(a) and sum(len(x) for x in a) == d["partitions"]
                    and all(st["progress"].get(p) == d["per_partition"] for st in state for p in st["assigned"]))

    threads = [threading.Thread(target=member, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    end = common.deadline(2 * T)
    first_end = common.deadline(T)
    while not settled() and time.monotonic() < end:
        with lock:
            anyone = any(st["assigned"] for st in state)
        if not anyone and time.monotonic() > first_end:
            break
        time.sleep(0.1)
    ok = settled()
    out = {}
    with lock:
        out["assignment_counts"] = sorted(len(st["assigned"]) for st in state)
        out["consumed_distinct"] = len(set().union(*[st["seen"] for st in state]))
        out["poll_errors"] = sorted(set(e for st in state for e in st["errors"]))
    stop.set()
    for t in threads:
        t.join(T)
    out["commits"] = sorted(st["commit"] for st in state if st["commit"])
    check = consumer(ctx, group_id=gid)
    try:
        out["committed"] = {str(p): check.committed(TopicPartition(ctx.topic, p)) for p in range(d["partitions"])}
    except Errors.KafkaError as e:
        out["committed"] = ename(e)
    finally:
        check.close(autocommit=False)
    return out, ok


def s_group_admin(ctx):
    if not MODERN:
        raise common.Skip("kafka-python %s: group admin calls not covered" % kafka.__version__)
    recs = common.group_records(ctx.data)
    parts = 2
    for p in range(parts):
        produce(ctx, [r for pp, r in recs if pp == p], partition=p)
    gid = ctx.topic + "-g"
    a = admin(ctx)
    c = consumer(ctx, group_id=gid, session_timeout_ms=10000, heartbeat_interval_ms=500)
    out = {}

    def state():
        try:
            g = a.describe_groups([gid])[gid]
        except Errors.KafkaError as e:
            return {"error": ename(e)}
        return {"state": g.get("group_state"), "protocol_type": g.get("protocol_type"),
                "assignor": g.get("protocol_data"), "error": err_value_name(g.get("error")),
                "members": sorted(assigned_count(m) for m in g.get("members", []))}

    def assigned_count(m):
        a = m.get("member_assignment") or {}
        items = a.get("assignment") or a.get("assigned_partitions") or []
        total = 0
        for it in items:
            parts = it.get("partitions") if isinstance(it, dict) else it[1]
            total += len(parts or [])
        return total
    try:
        c.subscribe([ctx.topic])
        got = 0
        end = common.deadline()
        want = parts * ctx.data["group"]["per_partition"]
        while got < want and time.monotonic() < end:
            try:
                got += sum(len(v) for v in c.poll(timeout_ms=200).values())
            except Errors.KafkaError as e:
                out["poll_error"] = ename(e)
                break
        out["consumed"] = got
        try:
            c.commit()
            out["commit"] = "NONE"
        except Errors.KafkaError as e:
            out["commit"] = ename(e)
        try:
            out["listed"] = gid in [g.get("group_id") for g in a.list_groups()]
        except Errors.KafkaError as e:
            out["listed"] = ename(e)
        out["while_member"] = state()
    finally:
        c.close(autocommit=False)
    out["after_close"] = state()
    try:
        offs = a.list_group_offsets({gid: None})[gid]
        out["offsets"] = {"t/%d" % tp.partition: om.offset for tp, om in offs.items() if tp.topic == ctx.topic}
    except Errors.KafkaError as e:
        out["offsets"] = ename(e)

    def delete():
        try:
            res = a.delete_groups([gid])
        except Errors.KafkaError as e:
            return ename(e)
        items = res.items() if isinstance(res, dict) else res
        for _g, err in items:
            return err_value_name(err)
        return "no result"
    out["delete"] = delete()
    out["delete_again"] = delete()
    out["after_delete"] = state()
    a.close()
    return out


def s_transactions(ctx):
    if not MODERN:
        raise common.Skip("kafka-python %s has no transactional producer" % kafka.__version__)
    recs = common.transaction_records(ctx.data)
    p = producer(ctx, transactional_id=ctx.topic + "-txn", transaction_timeout_ms=10000)
    out = {}
    try:
        try:
            p.init_transactions()
            out["init"] = "NONE"
        except Errors.KafkaError as e:
            out["init"] = ename(e)
            return out
        p.begin_transaction()
        for r in recs:
            p.send(ctx.topic, key=common.enc(r["key"]), value=common.enc(r["value"]), partition=0,
                   timestamp_ms=r["ts"])
        try:
            p.commit_transaction()
            out["commit"] = "NONE"
        except Errors.KafkaError as e:
            out["commit"] = ename(e)
            return out
    finally:
        p.close(timeout=5)
    out["consumed"] = consume(ctx, len(recs), isolation_level="read_committed")
    c = consumer(ctx)
    tp = TopicPartition(ctx.topic, 0)
    try:
        out["watermarks"] = [c.beginning_offsets([tp])[tp], c.end_offsets([tp])[tp]]
    finally:
        c.close()
    return out


def s_error_unknown_topic(ctx):
    try:
        res = produce(ctx, [{"key": "k", "value": "v", "ts": 1700000000000}], max_block_ms=5000)
        return {"delivery": res[0] if isinstance(res[0], str) else "NONE"}
    except Errors.KafkaError as e:
        return {"send": ename(e)}


def s_error_invalid_topic(ctx):
    bad = ctx.data["invalid_topic"]
    a = admin(ctx)
    out = {}
    try:
        out["create"] = create_topic(a, bad, 1)
    except Exception as e:  # client-side validation is an observable outcome too
        out["create"] = type(e).__name__
    finally:
        a.close()
    try:
        res = produce(ctx, [{"key": "k", "value": "v", "ts": 1700000000000}], topic=bad, max_block_ms=5000)
        out["produce"] = res[0] if isinstance(res[0], str) else "NONE"
    except Exception as e:
        out["produce"] = ename(e) if isinstance(e, Errors.KafkaError) else type(e).__name__
    return out


def s_error_future_timestamp(ctx):
    r = {"key": "future", "value": "timestamp in the year 2100", "ts": ctx.data["future_timestamp"]}
    return {"delivery": produce(ctx, [r])[0]}


def s_error_out_of_range(ctx):
    d = ctx.data["out_of_range"]
    produce(ctx, common.out_of_range_records(ctx.data))
    got = consume(ctx, 1, offset=d["fetch_offset"], wait_s=5, auto_offset_reset="none")
    out = {"no_reset": got[0].get("error", "record") if got else "nothing"}
    got = consume(ctx, 1, offset=d["fetch_offset"], auto_offset_reset="earliest")
    out["reset_earliest"] = got[0].get("o", got[0].get("error")) if got else "nothing"
    got = consume(ctx, 1, offset=d["fetch_offset"], wait_s=3, auto_offset_reset="latest")
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
    common.run(kafka.__version__, SCENARIOS)
