"""Compatibility scenarios with Apache Kafka's own command-line tools (kafka-topics,
kafka-console-producer/-consumer, kafka-get-offsets, kafka-configs, kafka-consumer-groups), run as
a user runs them: one JVM per command, against the jars scripts/apache-kafka fetched.

What is compared is what the tools print, normalised: exit codes, output lines (topic ids and
consumer ids masked), and the exception class names in error output (their messages often quote
the broker's free-text error message, which is not part of the protocol contract).
Output contract: drivers/common.py.
"""

import os
import re
import subprocess
from pathlib import Path

import common

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
LIBS = ROOT / ".cache" / "apache-kafka" / os.environ.get("KAFKA_VERSION", "4.3.1") / "libs"
LOG4J = HERE.parent / "java" / "log4j2.properties"
TOOL_TIMEOUT_S = 40

CLASSES = {
    "kafka-topics": "org.apache.kafka.tools.TopicCommand",
    "kafka-console-producer": "org.apache.kafka.tools.ConsoleProducer",
    "kafka-console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "kafka-consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "kafka-get-offsets": "org.apache.kafka.tools.GetOffsetShell",
    "kafka-configs": "kafka.admin.ConfigCommand",
}
NULL = "<null>"
# Columns of kafka-consumer-groups output that name a client instance rather than a behaviour.
INSTANCE_COLUMNS = {"CONSUMER-ID", "HOST", "CLIENT-ID"}


def tool(ctx, name, args, stdin="", timeout=TOOL_TIMEOUT_S):
    cmd = ["java", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
           "-Dlog4j2.configurationFile=" + str(LOG4J), "-cp", str(LIBS / "*"), CLASSES[name],
           "--bootstrap-server", ctx.bootstrap] + list(args)
    try:
        p = subprocess.run(cmd, input=stdin.encode("utf-8"), capture_output=True, timeout=timeout)
        code, out, err = p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        code, out, err = -9, (e.stdout or b"").decode("utf-8", "replace"), (e.stderr or b"").decode("utf-8", "replace")
    common.log("$ %s %s -> %s\n%s%s" % (name, " ".join(args), code, out, err))
    return code, out, err


def exceptions(text):
    """Exception class names mentioned in tool output, in order of first appearance."""
    seen = []
    for m in re.finditer(r"\b((?:[a-z]+\.)+[A-Z][A-Za-z]*(?:Exception|Error))\b", text):
        name = m.group(1).rsplit(".", 1)[1]
        if name not in seen:
            seen.append(name)
    return seen


def clean_lines(text):
    """Output lines; an error line keeps its prefix only (the rest quotes the broker's free-text
    message, compared through the exception class instead)."""
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("Option --property is deprecated"):
            continue
        line = re.sub(r"TopicId: \S+", "TopicId: <id>", line)
        line = re.sub(r"^(Error while executing [a-z ]+command)\s*:.*", r"\1", line)
        out.append(line.rstrip())
    return out


def fields(line):
    """'Topic: t\tPartition: 0\tLeader: 1' -> {"Topic": "t", "Partition": "0", "Leader": "1"}."""
    out = {}
    for part in line.strip().split("\t"):
        if ":" in part:
            k, v = part.split(":", 1)
            out[k.strip()] = v.strip()
    if "Configs" in out:
        out["Configs"] = dict(kv.split("=", 1) for kv in out["Configs"].split(",") if "=" in kv)
    return out


def parse_describe(lines):
    """kafka-topics --describe: the topic line and one dict per partition line."""
    res = {"topic": None, "partitions": [], "other": []}
    for line in lines:
        if line.startswith("Topic:"):
            res["topic"] = fields(line)
        elif line.startswith("\tTopic:") or line.startswith("Topic: ") and "Partition:" in line:
            res["partitions"].append(fields(line))
        else:
            res["other"].append(line)
    return res


def parse_configs(lines):
    """kafka-configs --describe: {name: {value, sensitive, synonyms}} plus the heading lines."""
    res = {"headings": [], "configs": {}}
    for line in lines:
        m = re.match(r"\s+(\S+?)=(.*?) sensitive=(\S+) synonyms=\{(.*)\}$", line)
        if m:
            syn = [x.strip() for x in m.group(4).split(", ") if x.strip()]
            res["configs"][m.group(1)] = {"value": m.group(2), "sensitive": m.group(3), "synonyms": syn}
        else:
            res["headings"].append(line)
    return res


def outcome(code, out, err, keep_out=True):
    res = {"exit": code, "errors": exceptions(out + "\n" + err)}
    if keep_out:
        res["out"] = clean_lines(out)
    return res


def produce(ctx, records, extra=(), topic=None, headers=False):
    """Console producer, one line per record: [headers TAB] key TAB value, null as NULL marker."""
    lines = []
    for r in records:
        fields = []
        if headers:
            hs = r.get("headers") or []
            fields.append(",".join(k if v is None else "%s:%s" % (k, v) for k, v in hs) if hs else "")
        fields.append(NULL if r["key"] is None else r["key"])
        fields.append(NULL if r["value"] is None else r["value"])
        lines.append("\t".join(fields))
    args = ["--topic", topic or ctx.topic, "--reader-property", "parse.key=true",
            "--reader-property", "null.marker=" + NULL, "--producer-property", "linger.ms=50"]
    if headers:
        args += ["--reader-property", "parse.headers=true"]
    code, out, err = tool(ctx, "kafka-console-producer", args + list(extra), stdin="\n".join(lines) + "\n")
    return outcome(code, out, err, keep_out=False)


def parse_consumed(out):
    recs = []
    for line in out.splitlines():
        m = re.match(r"(CreateTime|LogAppendTime):(-?\d+)\tPartition:(\d+)\tOffset:(\d+)\t(.*?)\t(.*?)\t(.*)$", line)
        if not m:
            continue
        hs = [] if m.group(5) == "NO_HEADERS" else [h.split(":", 1) if ":" in h else [h, None]
                                                     for h in m.group(5).split(",")]
        hs = [[k, None if v == NULL else v] for k, v in hs]
        k = None if m.group(6) == NULL else m.group(6)
        v = None if m.group(7) == NULL else m.group(7)
        recs.append(common.record(int(m.group(3)), int(m.group(4)), k, v, hs, int(m.group(2)),
                                  "create" if m.group(1) == "CreateTime" else "append"))
    return recs


FORMAT = ["--formatter-property", "print.key=true", "--formatter-property", "print.headers=true",
          "--formatter-property", "print.offset=true", "--formatter-property", "print.partition=true",
          "--formatter-property", "print.timestamp=true", "--formatter-property", "null.literal=" + NULL]


def consume(ctx, count, offset="earliest", extra=(), wait_ms=15000):
    args = ["--topic", ctx.topic, "--partition", "0", "--offset", str(offset), "--max-messages", str(count),
            "--timeout-ms", str(wait_ms)] + FORMAT + list(extra)
    code, out, err = tool(ctx, "kafka-console-consumer", args)
    res = outcome(code, out, err, keep_out=False)
    res["records"] = parse_consumed(out)
    return res


def roundtrip_like(ctx, records, extra=(), headers=False):
    return {"produce": produce(ctx, records, extra, headers=headers), "consumed": consume(ctx, len(records))}


def s_roundtrip(ctx):
    # The console producer takes every line as a whole record, so the empty key/value cases are
    # expressible; it cannot set timestamps (they come from the clock and are masked).
    return roundtrip_like(ctx, ctx.data["roundtrip"])


def s_headers(ctx):
    return roundtrip_like(ctx, ctx.data["headers"], headers=True)


def compression(codec):
    def s(ctx):
        return roundtrip_like(ctx, common.compression_records(ctx.data), ["--compression-codec", codec])
    return s


def s_idempotent(ctx):
    return roundtrip_like(ctx, common.idempotent_records(ctx.data),
                          ["--producer-property", "enable.idempotence=true", "--producer-property", "acks=all"])


def s_list_offsets(ctx):
    produce(ctx, common.list_offsets_records(ctx.data))
    out = {}
    # No max-timestamp lookup here: console-produced records carry clock timestamps, so which of
    # them holds the largest one differs from run to run.
    for name, t in (("earliest", "-2"), ("latest", "-1"), ("by_clock_time", "1")):
        code, o, err = tool(ctx, "kafka-get-offsets", ["--topic", ctx.topic, "--time", t])
        out[name] = outcome(code, o, err)
    return out


def describe(ctx, topic):
    res = outcome(*tool(ctx, "kafka-topics", ["--describe", "--topic", topic]))
    res["describe"] = parse_describe(res.pop("out"))
    return res


def s_admin_topics(ctx):
    d = ctx.data["admin"]
    t = ctx.topic
    cfg = []
    for k, v in d["configs"].items():
        cfg += ["--config", "%s=%s" % (k, v)]
    out = {"create": outcome(*tool(ctx, "kafka-topics", ["--create", "--topic", t, "--partitions",
                                                          str(d["partitions"]), "--replication-factor", "1"] + cfg))}
    out["create_again"] = outcome(*tool(ctx, "kafka-topics", ["--create", "--topic", t, "--partitions", "1"]))
    out["describe"] = describe(ctx, t)
    out["alter_partitions"] = outcome(*tool(ctx, "kafka-topics", ["--alter", "--topic", t, "--partitions",
                                                                  str(d["new_partitions"])]))
    common.wait_until(lambda: len(describe(ctx, t)["describe"]["partitions"]) == d["new_partitions"], seconds=20)
    out["describe_after"] = describe(ctx, t)
    out["shrink_partitions"] = outcome(*tool(ctx, "kafka-topics", ["--alter", "--topic", t, "--partitions", "2"]))
    code, o, err = tool(ctx, "kafka-topics", ["--list"])
    out["listed"] = t in o.split()
    out["delete"] = outcome(*tool(ctx, "kafka-topics", ["--delete", "--topic", t]))
    out["describe_deleted"] = describe(ctx, t)
    return out


def configs(ctx, *args):
    res = outcome(*tool(ctx, "kafka-configs", ["--entity-type", "topics", "--entity-name", ctx.topic] + list(args)))
    res.update(parse_configs(res.pop("out")))
    return res


def s_describe_configs(ctx):
    return {"dynamic": configs(ctx, "--describe"), "all": configs(ctx, "--describe", "--all")}


def s_alter_configs(ctx):
    add = ",".join("%s=%s" % kv for kv in ctx.data["alter_configs"].items())
    keys = list(ctx.data["alter_configs"])
    # Kafka applies a config change asynchronously: describe until it shows (bounded).
    out = {"add": configs(ctx, "--alter", "--add-config", add)}
    out["after_add"] = common.wait_until(
        lambda: (lambda r: r if all(k in r["configs"] for k in keys) else None)(configs(ctx, "--describe")),
        seconds=20) or configs(ctx, "--describe")
    out["add_unknown"] = configs(ctx, "--alter", "--add-config", "no.such.config=1")
    out["delete"] = configs(ctx, "--alter", "--delete-config", ",".join(keys))
    out["after_delete"] = common.wait_until(
        lambda: (lambda r: r if not any(k in r["configs"] for k in keys) else None)(configs(ctx, "--describe")),
        seconds=20) or configs(ctx, "--describe")
    return out


def group_table(text):
    """kafka-consumer-groups tables as row dicts (instance columns masked)."""
    rows, header = [], None
    for line in text.splitlines():
        cells = line.split()
        if not cells:
            header = None
            continue
        if cells[0] == "GROUP":
            header = cells
            continue
        if header and len(cells) == len(header):
            rows.append({h: ("<instance>" if h in INSTANCE_COLUMNS and c != "-" else c) for h, c in zip(header, cells)})
    return sorted(rows, key=lambda r: (r.get("TOPIC", ""), r.get("PARTITION", "")))


def groups(ctx, *args):
    code, out, err = tool(ctx, "kafka-consumer-groups", list(args))
    res = outcome(code, out, err, keep_out=False)
    res["rows"] = group_table(out)
    res["notes"] = [line.strip() for line in out.splitlines()
                    if line.strip() and not group_table(line) and not line.split()[0] == "GROUP"
                    and "\t" not in line and not re.match(r"\S+\s+\S+\s+\d", line)]
    return res


def consume_group(ctx, gid, count):
    args = ["--topic", ctx.topic, "--group", gid, "--from-beginning", "--max-messages", str(count),
            "--timeout-ms", "20000"]
    code, out, err = tool(ctx, "kafka-console-consumer", args)
    return {"exit": code, "errors": exceptions(out + err), "consumed": len(out.strip().splitlines())}


def s_group(ctx):
    # The console producer cannot pick partitions: the records go where their keys hash to, which
    # is the same on both brokers (murmur2 of the key, as every Kafka client computes it).
    d = ctx.data["group"]
    recs = [r for _p, r in common.group_records(ctx.data)]
    produce(ctx, recs)
    gid = ctx.topic + "-g"
    return {"consume": consume_group(ctx, gid, len(recs)), "describe": groups(ctx, "--describe", "--group", gid),
            "partitions": d["partitions"]}


def s_group_admin(ctx):
    recs = [r for p, r in common.group_records(ctx.data) if p < 2]
    produce(ctx, recs)
    gid = ctx.topic + "-g"
    out = {"consume": consume_group(ctx, gid, len(recs))}
    code, o, err = tool(ctx, "kafka-consumer-groups", ["--list"])
    out["listed"] = gid in o.split()
    out["describe_state"] = groups(ctx, "--describe", "--group", gid, "--state")
    out["describe_members"] = groups(ctx, "--describe", "--group", gid, "--members")
    out["reset_to_earliest"] = groups(ctx, "--reset-offsets", "--group", gid, "--topic", ctx.topic,
                                      "--to-earliest", "--execute")
    out["describe_after_reset"] = groups(ctx, "--describe", "--group", gid)
    out["delete_offsets"] = groups(ctx, "--delete-offsets", "--group", gid, "--topic", ctx.topic)
    out["delete"] = groups(ctx, "--delete", "--group", gid)
    out["describe_deleted"] = groups(ctx, "--describe", "--group", gid)
    return out


def s_error_unknown_topic(ctx):
    return produce(ctx, [{"key": "k", "value": "v"}], ["--producer-property", "max.block.ms=5000"])


def s_error_invalid_topic(ctx):
    bad = ctx.data["invalid_topic"]
    return {"create": outcome(*tool(ctx, "kafka-topics", ["--create", "--topic", bad, "--partitions", "1"])),
            "produce": produce(ctx, [{"key": "k", "value": "v"}], ["--producer-property", "max.block.ms=5000"],
                               topic=bad)}


def version():
    jars = sorted(LIBS.glob("kafka-clients-*.jar"))
    return jars[0].name[len("kafka-clients-"):-len(".jar")] if jars else "unavailable (run scripts/apache-kafka fetch)"


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
    "error_unknown_topic": s_error_unknown_topic,
    "error_invalid_topic": s_error_invalid_topic,
}

if __name__ == "__main__":
    common.run(version(), SCENARIOS)
