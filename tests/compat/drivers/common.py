"""Shared plumbing of the Python client drivers (confluent-kafka, kafka-python, kcat, Kafka CLI).

A driver runs a list of scenarios against one broker and prints one JSON line per scenario:
{"scenario": NAME, "result": {...}} or {"scenario": NAME, "exception": "..."}; the very first line
is {"version": "..."}. The results hold only what a user of the client can observe (records,
offsets, error names), in the same shape for every client, so tests/compat/compat.py can compare
the line from Apache Kafka with the line from Gregor.
"""

import argparse
import json
import sys
import time
import traceback

# Every wait inside a scenario ends by this deadline; the runner has a longer one per scenario.
OP_TIMEOUT_S = 15.0
POLL_INTERVAL_S = 0.2


def parse_args(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--prefix", required=True, help="topic name prefix; scenario topics are PREFIX-SCENARIO")
    ap.add_argument("--scenarios", required=True, help="comma-separated scenario names")
    ap.add_argument("--data", required=True, help="scenario_data.json")
    return ap.parse_args(argv)


def load_data(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def emit(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=True, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def text(b):
    """Bytes from the wire as the string the scenario sent (None stays None)."""
    if b is None:
        return None
    if isinstance(b, str):
        return b
    return bytes(b).decode("utf-8", errors="replace")


def enc(s):
    return None if s is None else s.encode("utf-8")


def record(p, o, k, v, headers, ts, tt):
    return {"p": p, "o": o, "k": text(k), "v": text(v),
            "h": [[hk, text(hv)] for hk, hv in (headers or [])], "ts": ts, "tt": tt}


# -- the records each scenario sends (same rules in every driver) --------------------------------

def compression_records(data):
    c = data["compression"]
    filler = c["filler"] * c["filler_repeat"]
    return [{"key": "%s%d" % (c["key_prefix"], i), "value": "%s%d-%s" % (c["value_prefix"], i, filler),
             "ts": c["ts"], "headers": []} for i in range(c["count"])]


def idempotent_records(data):
    c = data["idempotent"]
    return [{"key": "%s%d" % (c["key_prefix"], i), "value": "%s%d" % (c["value_prefix"], i),
             "ts": c["ts"] + i, "headers": []} for i in range(c["count"])]


def list_offsets_records(data):
    c = data["list_offsets"]
    return [{"key": "t%d" % i, "value": "at +%d ms" % d, "ts": c["ts"] + d, "headers": []}
            for i, d in enumerate(c["ts_deltas"])]


def group_records(data):
    """(partition, record) pairs: per_partition records for each partition."""
    c = data["group"]
    out = []
    for p in range(c["partitions"]):
        for j in range(c["per_partition"]):
            out.append((p, {"key": "g-%d-%d" % (p, j), "value": "group %d %d" % (p, j),
                            "ts": c["ts"] + p * 10 + j, "headers": []}))
    return out


def transaction_records(data):
    c = data["transactions"]
    return [{"key": "tx%d" % i, "value": "txn-%d" % i, "ts": c["ts"] + i, "headers": []}
            for i in range(c["count"])]


def out_of_range_records(data):
    c = data["out_of_range"]
    return [{"key": "r%d" % i, "value": "r-%d" % i, "ts": c["ts"] + i, "headers": []}
            for i in range(c["count"])]


def with_headers(recs):
    for r in recs:
        r.setdefault("headers", [])
    return recs


class Skip(Exception):
    """Raised by a scenario this client (version) cannot express; the runner marks it n/a."""


def deadline(seconds=OP_TIMEOUT_S):
    return time.monotonic() + seconds


def wait_until(pred, seconds=OP_TIMEOUT_S, interval_s=POLL_INTERVAL_S):
    """Polls pred() until it returns a true value or the time is up; returns the last value."""
    end = deadline(seconds)
    while True:
        value = pred()
        if value or time.monotonic() >= end:
            return value
        time.sleep(interval_s)


def run(version, scenarios, argv=None):
    """Main loop of a driver: `scenarios` maps name -> fn(ctx) returning the result dict."""
    args = parse_args(argv)
    ctx = argparse.Namespace(bootstrap=args.bootstrap, prefix=args.prefix, data=load_data(args.data))
    emit({"version": version})
    for name in [s for s in args.scenarios.split(",") if s]:
        ctx.topic = "%s-%s" % (args.prefix, name)
        fn = scenarios.get(name)
        if fn is None:
            emit({"scenario": name, "exception": "scenario not implemented by this driver"})
            continue
        started = time.monotonic()
        try:
            emit({"scenario": name, "result": fn(ctx)})
        except Skip as e:
            emit({"scenario": name, "skipped": str(e)})
        except Exception as e:  # the runner shows the message; the traceback goes to the log
            traceback.print_exc()
            emit({"scenario": name, "exception": "%s: %s" % (type(e).__name__, e)})
        log("scenario %s took %.1fs" % (name, time.monotonic() - started))
