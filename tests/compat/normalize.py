"""Normalisation of scenario results before the Kafka and Gregor sides are compared.

Only things that legitimately differ between two brokers are rewritten: the broker's address and
port, its cluster id, topic ids, producer ids, and timestamps taken from the clock at run time
(CreateTime set by clients that cannot set it, LogAppendTime). Everything else must be equal.
"""

import re

# Keys whose values identify the broker instance or the run rather than the behaviour.
MASKED_KEYS = {"cluster_id", "topic_id", "producer_id", "producer_epoch", "member_id", "client_host",
               "port", "host", "consumer_id", "client_id"}
# Keys whose integer values are timestamps; ones near "now" come from a clock and are masked.
TIME_KEYS = {"ts", "timestamp", "time"}
RECENT_WINDOW_MS = 30 * 60 * 1000

UUID_RE = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")


class Context:
    """What is specific to one broker: its address and cluster id, and the run's time window."""

    def __init__(self, bootstrap, cluster_id, start_ms, end_ms):
        self.bootstrap = bootstrap
        self.port = bootstrap.rsplit(":", 1)[1]
        self.cluster_id = cluster_id
        self.start_ms = start_ms - RECENT_WINDOW_MS
        self.end_ms = end_ms + RECENT_WINDOW_MS

    def recent(self, v):
        return isinstance(v, int) and not isinstance(v, bool) and self.start_ms <= v <= self.end_ms

    def text(self, s):
        s = s.replace(self.bootstrap, "<broker>")
        s = re.sub(r"(?<![0-9])%s(?![0-9])" % re.escape(self.port), "<port>", s)
        if self.cluster_id:
            s = s.replace(self.cluster_id, "<cluster-id>")
        s = UUID_RE.sub("<uuid>", s)
        return s


# Lists of names compared as sets: a missing name shows up as its own path in the diff.
NAME_SET_KEYS = {"names", "topics", "groups"}


def normalize(value, ctx, key=None):
    if key in NAME_SET_KEYS and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return {ctx.text(v): "present" for v in value}
    if isinstance(value, dict):
        return {k: normalize(v, ctx, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v, ctx) for v in value]
    if key in MASKED_KEYS and value is not None:
        return "<masked>"
    if key in TIME_KEYS and ctx.recent(value):
        return "<recent>"
    if isinstance(value, str):
        return ctx.text(value)
    return value


def flatten(value, path="", out=None):
    """{"a": {"b": [1]}} -> {"a.b.0": 1}; empty containers keep a leaf so they still compare."""
    if out is None:
        out = {}
    if isinstance(value, dict) and value:
        for k, v in value.items():
            flatten(v, "%s.%s" % (path, k) if path else str(k), out)
    elif isinstance(value, list) and value:
        for i, v in enumerate(value):
            flatten(v, "%s.%d" % (path, i) if path else str(i), out)
    else:
        out[path] = value
    return out


def differing_paths(a, b):
    fa, fb = flatten(a), flatten(b)
    return sorted(p for p in set(fa) | set(fb) if fa.get(p, "<absent>") != fb.get(p, "<absent>"))
