"""What the compatibility suite runs: the scenarios (with the matrix features they count for and
the topics they need), and the clients (how to start each driver and which scenarios apply to it).

Scenario topics are named PREFIX-SCENARIO with PREFIX = cx<run id>-<client id>; the runner creates
the listed ones on both brokers before any driver starts (the brokers run with
auto.create.topics.enable=false, so producing to an unknown topic is an error case of its own).
"""

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = ROOT / ".cache" / "compat"
KAFKA_VERSION = os.environ.get("KAFKA_VERSION", "4.3.1")
KAFKA_LIBS = ROOT / ".cache" / "apache-kafka" / KAFKA_VERSION / "libs"
VENV_PY = str(ROOT / ".venv" / "bin" / "python")
DEBIAN_PY = "/usr/bin/python3"

FEATURES = ["produce", "consume", "groups", "admin", "idempotence", "transactions", "compression", "headers"]

DATA = ROOT / "tests" / "compat" / "scenario_data.json"

# name -> features it counts for, topic it needs (partitions, configs) or None, time limit.
SCENARIO_TIMEOUT_S = 60
SCENARIOS = {
    "roundtrip": {"features": ["produce", "consume"], "topic": (1, {})},
    "headers": {"features": ["headers"], "topic": (1, {})},
    "compression_gzip": {"features": ["compression"], "topic": (1, {})},
    "compression_snappy": {"features": ["compression"], "topic": (1, {})},
    "compression_lz4": {"features": ["compression"], "topic": (1, {})},
    "compression_zstd": {"features": ["compression"], "topic": (1, {})},
    "idempotent": {"features": ["idempotence"], "topic": (1, {})},
    "list_offsets": {"features": ["consume"], "topic": (1, {})},
    "admin_topics": {"features": ["admin"], "topic": None},
    "describe_configs": {"features": ["admin"], "topic": (1, "topic_configs")},
    "alter_configs": {"features": ["admin"], "topic": (1, {})},
    "group": {"features": ["groups"], "topic": (4, {}), "timeout_s": 120},
    "group_admin": {"features": ["groups"], "topic": (2, {}), "timeout_s": 90},
    "transactions": {"features": ["transactions"], "topic": (1, {})},
    "error_unknown_topic": {"features": ["produce"], "topic": None},
    "error_invalid_topic": {"features": ["admin"], "topic": None},
    "error_out_of_range": {"features": ["consume"], "topic": (1, {})},
    "error_future_timestamp": {"features": ["produce"], "topic": (1, {})},
    # Probes: observations about the broker rather than a client feature; not in the matrix.
    "lz4_dependent_blocks": {"features": [], "topic": (1, {})},
    "corrupt_compressed_batch": {"features": [], "topic": (1, {})},
}

PROBES = ["lz4_dependent_blocks", "corrupt_compressed_batch"]
ALL = [s for s in SCENARIOS if s not in PROBES]
COMPRESSION = ["compression_gzip", "compression_snappy", "compression_lz4", "compression_zstd"]


def _java_cmd():
    cp = os.pathsep.join([str(CACHE / "java" / "classes"), str(KAFKA_LIBS / "*")])
    return ["java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
            "-Dlog4j2.configurationFile=" + str(HERE / "java" / "log4j2.properties"),
            "-cp", cp, "CompatDriver"]


def _drv(name):
    return str(HERE / "drivers" / name)


# id (used in topic names and known_differences.json), matrix name, command, scenarios.
CLIENTS = [
    {"id": "kcat", "name": "kcat (librdkafka)", "cmd": [VENV_PY, _drv("kcat_driver.py")],
     "scenarios": ["roundtrip", "headers"] + COMPRESSION + ["idempotent", "list_offsets", "group",
                                                           "error_unknown_topic", "error_out_of_range"]},
    {"id": "confluent-pypi", "name": "confluent-kafka-python (PyPI)", "cmd": [VENV_PY, _drv("confluent_driver.py")],
     "scenarios": ALL},
    {"id": "confluent-debian", "name": "confluent-kafka-python (Debian)",
     "cmd": [DEBIAN_PY, _drv("confluent_driver.py")], "scenarios": ALL},
    {"id": "kafka-python-pypi", "name": "kafka-python (PyPI)", "cmd": [VENV_PY, _drv("kafka_python_driver.py")],
     "scenarios": ALL},
    {"id": "kafka-python-debian", "name": "kafka-python (Debian)",
     "cmd": [DEBIAN_PY, _drv("kafka_python_driver.py")], "scenarios": [s for s in ALL if s != "transactions"]},
    {"id": "kafkajs", "name": "kafkajs", "cmd": ["node", str(HERE / "js" / "driver.js")],
     "scenarios": ALL + ["lz4_dependent_blocks"]},
    {"id": "franz-go", "name": "franz-go", "cmd": [str(CACHE / "bin" / "franz")], "scenarios": ALL},
    {"id": "sarama", "name": "sarama", "cmd": [str(CACHE / "bin" / "sarama")], "scenarios": ALL},
    {"id": "java", "name": "Apache Kafka Java client", "cmd": _java_cmd(), "scenarios": ALL},
    {"id": "wire", "name": "hand-made requests (probes)", "cmd": [VENV_PY, _drv("wire_driver.py")],
     "scenarios": ["corrupt_compressed_batch"]},
    {"id": "kafka-cli", "name": "Apache Kafka CLI tools", "cmd": [VENV_PY, _drv("cli_driver.py")],
     "scenarios": ["roundtrip", "headers"] + COMPRESSION + ["idempotent", "list_offsets", "admin_topics",
                                                           "describe_configs", "alter_configs", "group",
                                                           "group_admin", "error_unknown_topic",
                                                           "error_invalid_topic"]},
]


def client_by_id(cid):
    for c in CLIENTS:
        if c["id"] == cid:
            return c
    raise KeyError(cid)
