"""What a run measures and how much: the quick and full plans.

Counts are sized so --quick finishes in about three minutes and the full run in about a quarter
of an hour on a small machine; every load also has its own deadline (see loads.py).
"""

RECORD_SIZE_BYTES = 1024

# (acks, partitions, producers) for the throughput matrix.
PRODUCE_MATRIX = [(acks, parts, prods) for acks in ("1", "all") for parts in (1, 16) for prods in (1, 4)]

PLANS = {
    "quick": {
        "produce_records": 50_000,
        "produce_reps": 1,
        "latency_rate_per_s": 5_000,
        "latency_records": 10_000,
        "consume_records": 100_000,
        "consume_reps": 1,
        "e2e_count": 300,
        "gregor_starts": 5,
        "kafka_extra_starts": 0,
        "disk_total_mb": 64,
        "settle_s": 0.2,
        "idle_settle_s": 2,
        "deadline_s": 15 * 60,
    },
    "full": {
        "produce_records": 400_000,
        "produce_reps": 3,
        "latency_rate_per_s": 5_000,
        "latency_records": 50_000,
        "consume_records": 1_000_000,
        "consume_reps": 3,
        "e2e_count": 3_000,
        "gregor_starts": 20,
        "kafka_extra_starts": 2,
        "disk_total_mb": 512,
        "settle_s": 1.0,
        "idle_settle_s": 5,
        "deadline_s": 75 * 60,
    },
}
