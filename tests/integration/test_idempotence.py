"""The idempotent producer gets every record in exactly once and in order, even when its
connections are cut with requests in flight.

librdkafka (enable.idempotence=true, acks=all, up to 5 requests in flight per connection)
produces through tcp_proxy.TcpProxy, which the test tells to cut every connection several times
mid-stream. Rounds alternate between two kinds of cut: at an arbitrary moment (requests may or
may not have reached the broker), and right after the broker answered a Produce request, whose
answer the proxy throws away (the batch is stored, but the producer does not know). The producer
then resends the batches it has no answer for, with the same producer id and sequence numbers;
the broker must append the ones it never got and recognise the ones it already has
(DUPLICATE_SEQUENCE_NUMBER or the original offsets), never writing a batch twice or out of
order. Each record carries its partition's sequence number, so reading the partitions back
shows any loss, duplicate or reordering.

The proxy rewrites broker addresses in Metadata responses to its own, so the client keeps going
through it after bootstrapping; this runs unchanged against Apache Kafka (GREGOR_TEST_BOOTSTRAP).
"""

import time

import pytest

import stream_check as sc
from tcp_proxy import TcpProxy

RECORD_COUNT = 20_000
PARTITIONS = 4
ROUNDS = 6                 # one cut per round, mid-round
API_PRODUCE = 0
VALUE_PAD = b"p" * 100
RUN_DEADLINE_S = 240.0
ROUND_ACK_WAIT_S = 60.0


def _value(partition, seq):
    return b"%d:%d:" % (partition, seq) + VALUE_PAD


def _parse(value):
    partition, seq, _ = value.split(b":", 2)
    return int(partition), int(seq)


@pytest.mark.parametrize("reset", [False, True], ids=["close", "reset"])
def test_idempotent_producer_exactly_once_across_cut_connections(broker, unique_topic, reset):
    topic = unique_topic("idem")
    sc.create_topic(broker.bootstrap, topic, PARTITIONS)
    client_errors = []
    log = sc.DeliveryLog()
    next_seq = [0] * PARTITIONS
    cut_connections = []
    lost_answer_cuts = 0
    deadline = time.monotonic() + RUN_DEADLINE_S

    with TcpProxy(broker.bootstrap, rewrite_metadata=True) as proxy:
        p = sc.producer(proxy.address, **{
            "enable.idempotence": True,
            "max.in.flight.requests.per.connection": 5,
            "linger.ms": 2,
            "batch.num.messages": 200,        # many small requests, so cuts find some in flight
            "message.timeout.ms": 120_000,    # outlives every cut: nothing may time out
            "reconnect.backoff.ms": 10,
            "reconnect.backoff.max.ms": 200,
            "error_cb": client_errors.append,
        })
        per_round = RECORD_COUNT // ROUNDS

        def produce_range(lo, hi):
            for i in range(lo, hi):
                part = i % PARTITIONS
                sc.produce_with_backpressure(p, topic, _value(part, next_seq[part]), partition=part,
                                             on_delivery=log.callback, deadline=deadline)
                next_seq[part] += 1
                p.poll(0)

        for rnd in range(ROUNDS):
            first = per_round * rnd
            last = RECORD_COUNT if rnd == ROUNDS - 1 else first + per_round
            middle = (first + last) // 2
            round_deadline = min(deadline, time.monotonic() + ROUND_ACK_WAIT_S)
            if rnd % 2:
                # Armed before this round's records exist, so their answers are still to come.
                before = proxy.cuts
                proxy.cut_at_next_response(API_PRODUCE, reset=reset)
                produce_range(first, last)
                while not proxy.wait_fired(0.005) and time.monotonic() < round_deadline:
                    p.poll(0)
                assert proxy.wait_fired(0), "round %d: no Produce response to cut at" % rnd
                lost_answer_cuts += 1
                cut_connections.append(proxy.cuts - before)
            else:
                # Cut once part of the round is acknowledged, with the rest queued or in flight.
                produce_range(first, middle)
                while log.acked_count() < (first + middle) // 2 and time.monotonic() < round_deadline:
                    p.poll(0.005)
                cut_connections.append(proxy.cut_all(reset=reset))
                produce_range(middle, last)
        remaining = p.flush(max(1.0, deadline - time.monotonic()))
        accepted = proxy.accepted
        assert proxy.errors == [], proxy.errors

    fatal = [e for e in client_errors if e.fatal()]
    assert not fatal, "fatal producer errors: %r" % fatal
    assert remaining == 0, "%d records still undelivered at the deadline" % remaining
    assert not log.failed, "delivery failures (first 5): %r" % log.failed[:5]
    assert len(log.acked) == RECORD_COUNT
    assert sum(cut_connections) >= ROUNDS, "cuts closed too few connections: %r" % cut_connections
    assert lost_answer_cuts == ROUNDS // 2
    assert accepted > 1, "the producer never reconnected through the proxy"

    acked_offset = {value: offset for _, offset, value in log.acked}
    for part in range(PARTITIONS):
        records = sc.read_partition(broker.bootstrap, topic, part)
        seqs = [_parse(v) for _, _, v in records]
        wrong = [s for s in seqs if s[0] != part]
        assert not wrong, "partition %d holds records of other partitions: %r" % (part, wrong[:5])
        got = [s for _, s in seqs]
        expected = list(range(next_seq[part]))
        if got != expected:
            dups = len(got) - len(set(got))
            missing = sorted(set(expected) - set(got))
            raise AssertionError(
                "partition %d: %d records, expected %d; %d duplicates, missing %r..., first "
                "out-of-order position %r" % (
                    part, len(got), len(expected), dups, missing[:10],
                    next((i for i, (a, b) in enumerate(zip(got, expected)) if a != b), None)))
        offsets = [o for o, _, _ in records]
        assert offsets == list(range(len(records))), "partition %d: offsets not contiguous" % part
        # The offset each acknowledgement reported is where the record really is.
        for offset, _, value in records:
            assert acked_offset[value] == offset, "%r acknowledged at offset %d, stored at %d" % (
                value[:20], acked_offset[value], offset)
