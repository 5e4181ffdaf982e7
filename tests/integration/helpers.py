"""Small helpers shared by the integration tests (no fixtures here; see conftest.py)."""

import re
import socket
import time
import uuid

TOPIC_NAME_MAX_CHARS = 249  # Kafka's limit on topic name length


def unique_topic(prefix="t", test_name=None):
    """A topic name no other test (or earlier run against a shared broker) uses."""
    parts = [prefix]
    if test_name:
        parts.append(test_name)
    parts.append(uuid.uuid4().hex[:10])
    name = re.sub(r"[^a-zA-Z0-9._-]+", "_", "-".join(parts))
    return name[-TOPIC_NAME_MAX_CHARS:]


def unique_group(prefix="g"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def free_port(host="127.0.0.1"):
    """A TCP port that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout_s=30.0, interval_s=0.1, what="condition"):
    """Poll predicate() until it returns a truthy value; return it, or raise AssertionError
    naming `what` when the deadline passes. Exceptions from predicate count as 'not yet'
    until the deadline, then the last one is re-raised for context."""
    deadline = time.monotonic() + timeout_s
    last_exc = None
    while True:
        try:
            value = predicate()
            if value:
                return value
            last_exc = None
        except Exception as e:  # noqa: BLE001 - retried, reported at the deadline
            last_exc = e
        if time.monotonic() >= deadline:
            if last_exc is not None:
                raise AssertionError("timed out after %.0fs waiting for %s" % (timeout_s, what)) \
                    from last_exc
            raise AssertionError("timed out after %.0fs waiting for %s" % (timeout_s, what))
        time.sleep(interval_s)
