"""The group coordinator's APIs on the wire, request by request, including bad input.

Client libraries hide most error paths (they retry, rejoin, never send stale generations on
purpose), so these tests speak the protocol directly with hand-written frames and check the
error codes Kafka returns. They run unchanged against Apache Kafka (GREGOR_TEST_BOOTSTRAP),
which is how the expected codes were checked.
"""

import struct
import time
import uuid

import pytest

import helpers
from kafkawire import (EMPTY_TAGS, RawConn, Reader, array, compact_array, compact_string, i8, i16, i32,
                       i64, string, uvarint)

API_OFFSET_COMMIT = 8
API_OFFSET_FETCH = 9
API_FIND_COORDINATOR = 10
API_JOIN_GROUP = 11
API_HEARTBEAT = 12
API_LEAVE_GROUP = 13
API_SYNC_GROUP = 14
API_DESCRIBE_GROUPS = 15
API_LIST_GROUPS = 16
API_DELETE_GROUPS = 42
API_OFFSET_DELETE = 47

NONE = 0
UNKNOWN_TOPIC_OR_PARTITION = 3
COORDINATOR_NOT_AVAILABLE = 15
ILLEGAL_GENERATION = 22
INCONSISTENT_GROUP_PROTOCOL = 23
INVALID_GROUP_ID = 24
UNKNOWN_MEMBER_ID = 25
INVALID_SESSION_TIMEOUT = 26
REBALANCE_IN_PROGRESS = 27
INVALID_REQUEST = 42
NON_EMPTY_GROUP = 68
GROUP_ID_NOT_FOUND = 69
MEMBER_ID_REQUIRED = 79
FENCED_INSTANCE_ID = 82
GROUP_SUBSCRIBED_TO_TOPIC = 86

JOIN_TIMEOUT_S = 30.0  # a join can wait for the initial rebalance delay and the rebalance timeout
SESSION_MS = 10000
REBALANCE_MS = 15000


def bytes_(b):
    return i32(len(b)) + b


def compact_bytes(b):
    return uvarint(len(b) + 1) + b


class R(Reader):
    """Reader with the compact forms too."""

    def compact_string(self):
        n = self.uvarint()
        return None if n == 0 else self.take(n - 1).decode()

    def bytes_(self):
        n = self.i32()
        return None if n < 0 else self.take(n)

    def compact_bytes(self):
        n = self.uvarint()
        return None if n == 0 else self.take(n - 1)

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


def call(conn, api, version, body, flexible=False, timeout_s=JOIN_TIMEOUT_S):
    """Send one request; return a reader positioned after the response header."""
    cid = conn.send_request(api, version, body, flexible=flexible)
    payload = conn.recv_frame(timeout_s)
    assert payload is not None, "broker closed the connection"
    r = R(payload)
    assert r.i32() == cid
    if flexible:
        r.tags()
    return r


def subscription(topics):
    """ConsumerProtocolSubscription v0 as the Java consumer writes it."""
    return i16(0) + array([string(t) for t in topics]) + i32(-1)


def assignment(topic, partitions):
    return i16(0) + array([string(topic) + array([i32(p) for p in partitions])]) + i32(-1)


# ---- requests -------------------------------------------------------------------------------

def join_v4(conn, group, member_id, protocols=(("range", b"meta"),), session_ms=SESSION_MS,
            protocol_type="consumer", instance_id=None, version=4):
    """JoinGroup v4 (v5 with an instance id). Returns (error, generation, protocol, leader, member, members)."""
    body = string(group) + i32(session_ms) + i32(REBALANCE_MS) + string(member_id)
    if version >= 5:
        body += string(instance_id)
    body += string(protocol_type) + array([string(n) + bytes_(m) for n, m in protocols])
    r = call(conn, API_JOIN_GROUP, version, body)
    r.i32()  # throttle
    error, generation = r.i16(), r.i32()
    protocol, leader, member = r.string(), r.string(), r.string()
    members = []
    for _ in range(r.i32()):
        mid = r.string()
        if version >= 5:
            r.string()
        members.append((mid, r.bytes_()))
    return error, generation, protocol, leader, member, members


def join_until_member(conn, group, **kw):
    """v4+ join: the first answer is MEMBER_ID_REQUIRED with an id to come back with."""
    error, _, _, _, member, _ = join_v4(conn, group, "", **kw)
    assert error == MEMBER_ID_REQUIRED and member
    return join_v4(conn, group, member, **kw)


def sync_v3(conn, group, generation, member_id, assignments=(), instance_id=None):
    body = (string(group) + i32(generation) + string(member_id) + string(instance_id)
            + array([string(m) + bytes_(a) for m, a in assignments]))
    r = call(conn, API_SYNC_GROUP, 3, body)
    r.i32()
    return r.i16(), r.bytes_()


def sync_v5(conn, group, generation, member_id, protocol_type, protocol_name, assignments=()):
    body = (compact_string(group) + i32(generation) + compact_string(member_id) + compact_string(None)
            + compact_string(protocol_type) + compact_string(protocol_name)
            + compact_array([compact_string(m) + compact_bytes(a) + EMPTY_TAGS for m, a in assignments])
            + EMPTY_TAGS)
    r = call(conn, API_SYNC_GROUP, 5, body, flexible=True)
    r.i32()
    error = r.i16()
    return error, r.compact_string(), r.compact_string(), r.compact_bytes()


def heartbeat_v3(conn, group, generation, member_id, instance_id=None):
    r = call(conn, API_HEARTBEAT, 3, string(group) + i32(generation) + string(member_id) + string(instance_id))
    r.i32()
    return r.i16()


def leave_v3(conn, group, members):
    """members: [(member_id, instance_id)]. Returns (error, [(member, instance, error)])."""
    r = call(conn, API_LEAVE_GROUP, 3, string(group) + array([string(m) + string(i) for m, i in members]))
    r.i32()
    error = r.i16()
    return error, [(r.string(), r.string(), r.i16()) for _ in range(r.i32())]


def leave_v1(conn, group, member_id):
    r = call(conn, API_LEAVE_GROUP, 1, string(group) + string(member_id))
    r.i32()
    return r.i16()


def commit_v7(conn, group, generation, member_id, offsets, instance_id=None):
    """offsets: {(topic, partition): (offset, metadata)} -> {(topic, partition): error}."""
    by_topic = {}
    for (t, p), v in offsets.items():
        by_topic.setdefault(t, []).append((p, v))
    topics = [string(t) + array([i32(p) + i64(o) + i32(-1) + string(md) for p, (o, md) in ps])
              for t, ps in by_topic.items()]
    r = call(conn, API_OFFSET_COMMIT, 7,
             string(group) + i32(generation) + string(member_id) + string(instance_id) + array(topics))
    r.i32()
    out = {}
    for _ in range(r.i32()):
        t = r.string()
        for _ in range(r.i32()):
            p = r.i32()
            out[(t, p)] = r.i16()
    return out


def commit_v2(conn, group, generation, member_id, topic, partition, offset, retention_ms=-1):
    body = (string(group) + i32(generation) + string(member_id) + i64(retention_ms)
            + array([string(topic) + array([i32(partition) + i64(offset) + string("v2")])]))
    r = call(conn, API_OFFSET_COMMIT, 2, body)
    assert r.i32() == 1
    r.string()
    assert r.i32() == 1
    r.i32()
    return r.i16()


def fetch_v1(conn, group, topic, partitions):
    r = call(conn, API_OFFSET_FETCH, 1, string(group) + array([string(topic) + array([i32(p) for p in partitions])]))
    out = {}
    for _ in range(r.i32()):
        t = r.string()
        for _ in range(r.i32()):
            p = r.i32()
            out[(t, p)] = (r.i64(), r.string(), r.i16())
    return out


def fetch_v5_all(conn, group):
    """OffsetFetch v5 with null topics: every committed offset. Returns (error, {tp: (offset, epoch, md)})."""
    r = call(conn, API_OFFSET_FETCH, 5, string(group) + i32(-1))
    r.i32()
    out = {}
    for _ in range(r.i32()):
        t = r.string()
        for _ in range(r.i32()):
            p = r.i32()
            out[(t, p)] = (r.i64(), r.i32(), r.string(), r.i16())
    return r.i16(), out


def fetch_v8(conn, groups):
    """groups: {group: [(topic, [partitions])] or None}. Returns {group: (error, {tp: (offset, epoch, md, err)})}."""
    body = compact_array([
        compact_string(g) + (compact_array(None) if ts is None else compact_array(
            [compact_string(t) + compact_array([i32(p) for p in ps]) + EMPTY_TAGS for t, ps in ts])) + EMPTY_TAGS
        for g, ts in groups.items()]) + i8(0) + EMPTY_TAGS
    r = call(conn, API_OFFSET_FETCH, 8, body, flexible=True)
    r.i32()
    out = {}
    for _ in range(r.uvarint() - 1):
        g = r.compact_string()
        offsets = {}
        for _ in range(r.uvarint() - 1):
            t = r.compact_string()
            for _ in range(r.uvarint() - 1):
                p = r.i32()
                offsets[(t, p)] = (r.i64(), r.i32(), r.compact_string(), r.i16())
                r.tags()
            r.tags()
        out[g] = (r.i16(), offsets)
        r.tags()
    return out


def find_coordinator(conn, key, key_type=0, version=1):
    if version == 0:
        r = call(conn, API_FIND_COORDINATOR, 0, string(key))
        return r.i16(), r.i32(), r.string(), r.i32()
    if version < 3:
        r = call(conn, API_FIND_COORDINATOR, version, string(key) + i8(key_type))
        r.i32()
        error = r.i16()
        r.string()
        return error, r.i32(), r.string(), r.i32()
    r = call(conn, API_FIND_COORDINATOR, 4, i8(key_type) + compact_array([compact_string(key)]) + EMPTY_TAGS,
             flexible=True)
    r.i32()
    assert r.uvarint() == 2
    assert r.compact_string() == key
    node, host, port, error = r.i32(), r.compact_string(), r.i32(), r.i16()
    return error, node, host, port


def list_groups_v4(conn, states=()):
    r = call(conn, API_LIST_GROUPS, 4, compact_array([compact_string(s) for s in states]) + EMPTY_TAGS,
             flexible=True)
    r.i32()
    error = r.i16()
    groups = {}
    for _ in range(r.uvarint() - 1):
        g, ptype, state = r.compact_string(), r.compact_string(), r.compact_string()
        r.tags()
        groups[g] = (ptype, state)
    return error, groups


def list_groups_v5(conn, types=()):
    r = call(conn, API_LIST_GROUPS, 5, compact_array([]) + compact_array([compact_string(t) for t in types])
             + EMPTY_TAGS, flexible=True)
    r.i32()
    error = r.i16()
    groups = {}
    for _ in range(r.uvarint() - 1):
        g, ptype, state, gtype = r.compact_string(), r.compact_string(), r.compact_string(), r.compact_string()
        r.tags()
        groups[g] = (ptype, state, gtype)
    return error, groups


def list_groups_v0(conn):
    r = call(conn, API_LIST_GROUPS, 0, b"")
    error = r.i16()
    return error, {r.string(): r.string() for _ in range(r.i32())}


def describe_v0(conn, groups):
    r = call(conn, API_DESCRIBE_GROUPS, 0, array([string(g) for g in groups]))
    out = {}
    for _ in range(r.i32()):
        error, gid, state, ptype, pdata = r.i16(), r.string(), r.string(), r.string(), r.string()
        members = []
        for _ in range(r.i32()):
            members.append((r.string(), r.string(), r.string(), r.bytes_(), r.bytes_()))
        out[gid] = (error, state, ptype, pdata, members)
    return out


def delete_groups_v0(conn, groups):
    r = call(conn, API_DELETE_GROUPS, 0, array([string(g) for g in groups]))
    r.i32()
    return {r.string(): r.i16() for _ in range(r.i32())}


def offset_delete(conn, group, topic, partitions):
    r = call(conn, API_OFFSET_DELETE, 0, string(group) + array([string(topic) + array([i32(p) for p in partitions])]))
    error = r.i16()
    r.i32()
    out = {}
    for _ in range(r.i32()):
        t = r.string()
        for _ in range(r.i32()):
            p = r.i32()
            out[(t, p)] = r.i16()
    return error, out


# ---- fixtures -------------------------------------------------------------------------------

@pytest.fixture
def group():
    return helpers.unique_group("wire")


def create_topics(bootstrap, names, partitions=4):
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    for name, f in admin.create_topics([NewTopic(n, partitions, 1) for n in names]).items():
        f.result(30)


@pytest.fixture
def topic(broker, unique_topic):
    """A 4-partition topic (commits are only taken for partitions that exist)."""
    name = unique_topic("wire")
    create_topics(broker.bootstrap, [name])
    return name


@pytest.fixture
def conn(broker):
    c = RawConn(broker.bootstrap, JOIN_TIMEOUT_S)
    assert find_coordinator(c, "warm-up")[0] == NONE  # makes __consumer_offsets exist
    yield c
    c.close()


def stable_single_member(conn, group):
    """Joins alone and syncs; returns (member_id, generation)."""
    error, generation, protocol, leader, member, members = join_until_member(conn, group)
    assert error == NONE and leader == member and protocol == "range"
    assert [m for m, _ in members] == [member]
    error, got = sync_v3(conn, group, generation, member, [(member, b"assigned")])
    assert error == NONE and got == b"assigned"
    return member, generation


# ---- tests ----------------------------------------------------------------------------------

def test_find_coordinator_versions(conn, broker):
    host, port = broker.bootstrap.rsplit(":", 1)
    for version in (0, 1, 2, 4):
        error, node, h, p = find_coordinator(conn, "any-group", 0, version)
        assert error == NONE and node >= 0 and p == int(port)
    # Transactions are another coordinator; an unknown key type is a bad request.
    assert find_coordinator(conn, "txn", 1, 1)[0] in (NONE, COORDINATOR_NOT_AVAILABLE)
    assert find_coordinator(conn, "x", 7, 1)[0] == INVALID_REQUEST


def test_join_sync_heartbeat_commit_leave(conn, group, topic):
    member, generation = stable_single_member(conn, group)
    assert heartbeat_v3(conn, group, generation, member) == NONE
    assert heartbeat_v3(conn, group, generation + 1, member) == ILLEGAL_GENERATION
    assert heartbeat_v3(conn, group, generation, "not-a-member") == UNKNOWN_MEMBER_ID
    assert heartbeat_v3(conn, "no-such-group-" + group, generation, member) == UNKNOWN_MEMBER_ID

    tp = (topic, 0)
    assert commit_v7(conn, group, generation, member, {tp: (42, "md")}) == {tp: NONE}
    # Only partitions that exist take offsets.
    assert commit_v7(conn, group, generation, member, {(topic, 9): (1, ""), ("no-such-" + topic, 0): (1, "")}) == {
        (topic, 9): UNKNOWN_TOPIC_OR_PARTITION, ("no-such-" + topic, 0): UNKNOWN_TOPIC_OR_PARTITION}
    assert commit_v7(conn, group, generation - 1, member, {tp: (43, "")}) == {tp: ILLEGAL_GENERATION}
    assert commit_v7(conn, group, generation, "stranger", {tp: (43, "")}) == {tp: UNKNOWN_MEMBER_ID}
    # Without a generation a commit is only taken while the group is empty.
    assert commit_v7(conn, group, -1, "", {tp: (44, "")}) == {tp: UNKNOWN_MEMBER_ID}
    assert fetch_v1(conn, group, tp[0], [0, 1]) == {tp: (42, "md", NONE), (tp[0], 1): (-1, "", NONE)}

    assert leave_v1(conn, group, member) == NONE
    assert heartbeat_v3(conn, group, generation, member) == UNKNOWN_MEMBER_ID
    assert leave_v1(conn, group, member) == UNKNOWN_MEMBER_ID
    # Empty now: commits without generation are fine, and survive as the group's offsets.
    assert commit_v7(conn, group, -1, "", {tp: (45, "admin")}) == {tp: NONE}
    assert fetch_v1(conn, group, tp[0], [0]) == {tp: (45, "admin", NONE)}


def test_join_rejects_bad_timeouts_and_protocols(conn, broker, group):
    for session_ms in (0, 1, 24 * 3600 * 1000):
        assert join_v4(conn, group, "", session_ms=session_ms)[0] == INVALID_SESSION_TIMEOUT
    assert join_v4(conn, group, "", protocols=())[0] == INCONSISTENT_GROUP_PROTOCOL
    assert join_v4(conn, group, "", protocol_type="")[0] == INCONSISTENT_GROUP_PROTOCOL
    assert join_v4(conn, "", "")[0] == INVALID_GROUP_ID
    assert join_v4(conn, group, "made-up-member")[0] == UNKNOWN_MEMBER_ID

    member, generation = stable_single_member(conn, group)
    other = RawConn(broker.bootstrap, JOIN_TIMEOUT_S)
    try:
        # Another protocol type, or no protocol in common with the group.
        assert join_v4(other, group, "", protocol_type="connect")[0] == INCONSISTENT_GROUP_PROTOCOL
        assert join_v4(other, group, "", protocols=(("roundrobin", b""),))[0] == INCONSISTENT_GROUP_PROTOCOL
    finally:
        other.close()
    # SyncGroup v5 names its protocol; the broker checks it.
    error, _, _, _ = sync_v5(conn, group, generation, member, "consumer", "roundrobin")
    assert error == INCONSISTENT_GROUP_PROTOCOL
    error, ptype, pname, got = sync_v5(conn, group, generation, member, "consumer", "range")
    assert (error, ptype, pname, got) == (NONE, "consumer", "range", b"assigned")
    assert sync_v3(conn, group, generation + 5, member)[0] == ILLEGAL_GENERATION
    assert leave_v1(conn, group, member) == NONE


def test_second_member_triggers_rebalance(broker, group, topic):
    a = RawConn(broker.bootstrap, JOIN_TIMEOUT_S)
    b = RawConn(broker.bootstrap, JOIN_TIMEOUT_S)
    try:
        member_a, gen1 = stable_single_member(a, group)
        # b's join parks until a rejoins; a learns of the rebalance from its heartbeat.
        error, _, _, _, b_id, _ = join_v4(b, group, "")
        assert error == MEMBER_ID_REQUIRED
        b.send_request(API_JOIN_GROUP, 4, string(group) + i32(SESSION_MS) + i32(REBALANCE_MS) + string(b_id)
                       + string("consumer") + array([string("range") + bytes_(b"b")]))
        deadline = time.monotonic() + JOIN_TIMEOUT_S
        hb = NONE
        while hb != REBALANCE_IN_PROGRESS and time.monotonic() < deadline:
            hb = heartbeat_v3(a, group, gen1, member_a)
            time.sleep(0.05)
        assert hb == REBALANCE_IN_PROGRESS
        # Commits from the old generation are still taken while the group prepares.
        tp = (topic, 0)
        assert commit_v7(a, group, gen1, member_a, {tp: (1, "")}) == {tp: NONE}
        error, gen2, protocol, leader, me, members = join_v4(a, group, member_a)
        assert error == NONE and gen2 == gen1 + 1 and me == member_a
        payload = b.recv_frame(JOIN_TIMEOUT_S)
        rb = R(payload)
        rb.i32()
        rb.i32()
        assert rb.i16() == NONE and rb.i32() == gen2
        assert leader in (member_a, b_id)
        if leader == member_a:
            assert sorted(m for m, _ in members) == sorted([member_a, b_id])
        # Until the leader syncs, commits are refused and heartbeats are fine.
        assert commit_v7(a, group, gen2, member_a, {tp: (2, "")}) == {tp: REBALANCE_IN_PROGRESS}
        assert heartbeat_v3(a, group, gen2, member_a) == NONE
        leader_conn, follower_conn = (a, b) if leader == member_a else (b, a)
        follower = b_id if leader == member_a else member_a
        follower_conn.send_request(API_SYNC_GROUP, 3, string(group) + i32(gen2) + string(follower) + string(None)
                                   + array([]))
        err, _ = sync_v3(leader_conn, group, gen2, leader, [(member_a, assignment("t", [0])),
                                                            (b_id, assignment("t", [1]))])
        assert err == NONE
        rf = R(follower_conn.recv_frame(JOIN_TIMEOUT_S))
        rf.i32()
        rf.i32()
        assert rf.i16() == NONE
        assert rf.bytes_() == assignment("t", [1] if follower == b_id else [0])
        assert commit_v7(a, group, gen2, member_a, {tp: (3, "")}) == {tp: NONE}
        # Batched leave (v3) of both members, one of them unknown.
        error, results = leave_v3(a, group, [(member_a, None), ("ghost", None), (b_id, None)])
        assert error == NONE
        assert [e for _, _, e in results] == [NONE, UNKNOWN_MEMBER_ID, NONE]
    finally:
        a.close()
        b.close()


def test_static_member_rejoins_without_rebalance(conn, broker, group):
    instance = "instance-" + uuid.uuid4().hex[:6]
    kw = dict(instance_id=instance, version=5)
    error, generation, _, leader, member, _ = join_v4(conn, group, "", **kw)
    assert error == NONE and member.startswith(instance)  # static members need no second round
    assert sync_v3(conn, group, generation, member, [(member, b"mine")], instance)[0] == NONE

    other = RawConn(broker.bootstrap, JOIN_TIMEOUT_S)
    try:
        # The same instance restarts: a new member id, the same generation and assignment.
        error, gen2, _, _, member2, _ = join_v4(other, group, "", **kw)
        assert error == NONE and gen2 == generation and member2 != member
        assert sync_v3(other, group, gen2, member2, [], instance) == (NONE, b"mine")
        # The old incarnation is fenced.
        assert heartbeat_v3(conn, group, generation, member, instance) == FENCED_INSTANCE_ID
        assert heartbeat_v3(other, group, gen2, member2, instance) == NONE
        # Admin removal by instance id alone.
        error, results = leave_v3(other, group, [("", instance)])
        assert error == NONE and results[0][2] == NONE
    finally:
        other.close()


def test_offsets_fetch_shapes(conn, group, topic):
    assert commit_v7(conn, group, -1, "", {(topic, 0): (10, "zero"), (topic, 2): (12, None)}) == {
        (topic, 0): NONE, (topic, 2): NONE}
    assert commit_v2(conn, group, -1, "", topic, 1, 11, retention_ms=3600 * 1000) == NONE
    error, offsets = fetch_v5_all(conn, group)
    assert error == NONE
    assert offsets == {(topic, 0): (10, -1, "zero", NONE), (topic, 1): (11, -1, "v2", NONE),
                       (topic, 2): (12, -1, "", NONE)}
    other = helpers.unique_group("wire-empty")
    got = fetch_v8(conn, {group: [(topic, [0, 3])], other: None})
    assert got[group] == (NONE, {(topic, 0): (10, -1, "zero", NONE), (topic, 3): (-1, -1, "", NONE)})
    assert got[other] == (NONE, {})


def test_list_describe_delete(conn, group, broker, topic):
    member, generation = stable_single_member(conn, group)
    idle = helpers.unique_group("wire-idle")
    assert commit_v7(conn, idle, -1, "", {(topic, 0): (5, "")}) == {(topic, 0): NONE}

    error, groups = list_groups_v0(conn)
    assert error == NONE and groups.get(group) == "consumer" and groups.get(idle) == ""
    error, stable = list_groups_v4(conn, ["Stable"])
    assert error == NONE and group in stable and idle not in stable
    error, empty = list_groups_v4(conn, ["empty"])  # the filter ignores case
    assert idle in empty and group not in empty
    error, classic = list_groups_v5(conn, ["Classic"])
    assert error == NONE and classic.get(group) == ("consumer", "Stable", "classic")
    assert classic.get(idle) == ("", "Empty", "classic")
    error, modern = list_groups_v5(conn, ["consumer"])
    assert error == NONE and group not in modern and idle not in modern

    described = describe_v0(conn, [group, idle, "no-such-" + group])
    error, state, ptype, pdata, members = described[group]
    assert (error, state, ptype, pdata) == (NONE, "Stable", "consumer", "range")
    assert [(m[0], m[4]) for m in members] == [(member, b"assigned")]
    assert members[0][3] == b"meta"
    assert described[idle][:2] == (NONE, "Empty")
    assert described["no-such-" + group][:2] == (NONE, "Dead")

    # A group with members cannot be deleted, nor the offsets of a topic it consumes.
    assert delete_groups_v0(conn, [group, "no-such-" + group]) == {group: NON_EMPTY_GROUP,
                                                                  "no-such-" + group: GROUP_ID_NOT_FOUND}
    assert offset_delete(conn, "no-such-" + group, topic, [0])[0] == GROUP_ID_NOT_FOUND
    assert leave_v1(conn, group, member) == NONE
    assert delete_groups_v0(conn, [group]) == {group: NONE}
    assert describe_v0(conn, [group])[group][1] == "Dead"

    assert offset_delete(conn, idle, topic, [0, 1]) == (NONE, {(topic, 0): NONE, (topic, 1): NONE})
    assert fetch_v1(conn, idle, topic, [0]) == {(topic, 0): (-1, "", NONE)}


def test_offset_delete_refuses_subscribed_topic(conn, group, broker, topic, unique_topic):
    other = unique_topic("wire-other")
    create_topics(broker.bootstrap, [other])
    body_protocols = (("range", subscription([topic])),)
    error, generation, _, leader, member, _ = join_until_member(conn, group, protocols=body_protocols)
    assert error == NONE
    assert sync_v3(conn, group, generation, member, [(member, assignment(topic, [0]))])[0] == NONE
    assert commit_v7(conn, group, generation, member, {(topic, 0): (1, ""), (other, 0): (2, "")}) == {
        (topic, 0): NONE, (other, 0): NONE}
    assert offset_delete(conn, group, topic, [0]) == (NONE, {(topic, 0): GROUP_SUBSCRIBED_TO_TOPIC})
    assert offset_delete(conn, group, other, [0]) == (NONE, {(other, 0): NONE})
    assert leave_v1(conn, group, member) == NONE


@pytest.mark.parametrize("api,version", [(API_JOIN_GROUP, 4), (API_SYNC_GROUP, 3), (API_OFFSET_COMMIT, 7),
                                         (API_OFFSET_FETCH, 8), (API_LEAVE_GROUP, 3),
                                         (API_DESCRIBE_GROUPS, 5), (API_FIND_COORDINATOR, 4)])
def test_malformed_requests_are_refused(broker, api, version):
    """Malformed bodies get an error answer or a closed connection; the broker keeps serving."""
    flexible = (api, version) in ((API_OFFSET_FETCH, 8), (API_DESCRIBE_GROUPS, 5), (API_FIND_COORDINATOR, 4))
    bodies = [b"", b"\x00", b"\x00\x05ab", struct.pack(">h", 3) + b"abc" + b"\x7f\xff\xff\xff",
              b"\xff" * 64]
    for body in bodies:
        with RawConn(broker.bootstrap) as c:
            c.send_request(api, version, body, flexible=flexible)
            try:
                c.recv_frame(10)  # None (closed) or an error response: both are fine
            except TimeoutError:
                pytest.fail("no answer and no close for a malformed %d v%d request" % (api, version))
    with RawConn(broker.bootstrap) as c:
        assert find_coordinator(c, "still-alive")[0] == NONE


def test_oldest_versions_join_sync_heartbeat_leave(conn, group):
    """JoinGroup/SyncGroup/Heartbeat/LeaveGroup v0: no rebalance timeout (the session timeout
    stands in), no MEMBER_ID_REQUIRED round."""
    body = (string(group) + i32(SESSION_MS) + string("") + string("consumer")
            + array([string("range") + bytes_(b"v0")]))
    r = call(conn, API_JOIN_GROUP, 0, body)
    error, generation, protocol, leader, member = r.i16(), r.i32(), r.string(), r.string(), r.string()
    assert error == NONE and protocol == "range" and leader == member and member
    assert [(r.string(), r.bytes_()) for _ in range(r.i32())] == [(member, b"v0")]
    r = call(conn, API_SYNC_GROUP, 0, string(group) + i32(generation) + string(member)
             + array([string(member) + bytes_(b"all")]))
    assert (r.i16(), r.bytes_()) == (NONE, b"all")
    r = call(conn, API_HEARTBEAT, 0, string(group) + i32(generation) + string(member))
    assert r.i16() == NONE
    r = call(conn, API_LEAVE_GROUP, 0, string(group) + string(member))
    assert r.i16() == NONE
    r = call(conn, API_HEARTBEAT, 0, string(group) + i32(generation) + string(member))
    assert r.i16() == UNKNOWN_MEMBER_ID
