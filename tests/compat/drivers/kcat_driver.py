"""Compatibility scenarios with kcat (Debian's kcat on Debian's librdkafka), run as a user would:
one kcat process per step, records in on stdin, JSON (-J) out. kcat cannot set record timestamps,
so its CreateTime values come from the clock (the runner masks those). Output contract:
drivers/common.py.
"""

import json
import re
import subprocess

import common

KCAT = "kcat"
STEP_TIMEOUT_S = 20
DELIM = "\t"  # key/value separator (-K); no scenario key contains a tab


def kcat(ctx, args, stdin="", timeout=STEP_TIMEOUT_S):
    """Runs kcat; returns (exit code, stdout, stderr). A hang is killed and reported as code -9."""
    try:
        p = subprocess.run([KCAT, "-b", ctx.bootstrap] + args, input=stdin.encode("utf-8"),
                           capture_output=True, timeout=timeout)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        return -9, (e.stdout or b"").decode("utf-8", "replace"), (e.stderr or b"").decode("utf-8", "replace")


def errors_of(stderr):
    """The '% ERROR: ...' lines kcat prints, without librdkafka's log prefixes and timestamps."""
    out = []
    for line in stderr.splitlines():
        m = re.search(r"% (?:ERROR: |Delivery failed for message: )(.*)", line)
        if m:
            out.append(re.sub(r"\d+ms", "Nms", m.group(1)).strip())
    return sorted(set(out))


def produce_one(ctx, r, extra=(), topic=None, partition=0):
    """One record per kcat run: headers (-H) apply to a whole run. -Z turns an empty key or value
    into null, so it is used only for records that have a null and no empty string."""
    args = ["-P", "-t", topic or ctx.topic, "-p", str(partition), "-K", DELIM] + list(extra)
    if r["key"] is None or r["value"] is None:
        args.append("-Z")
    for k, v in r.get("headers") or []:
        args += ["-H", k if v is None else "%s=%s" % (k, v)]
    line = "%s%s%s\n" % (r["key"] or "", DELIM, r["value"] or "")
    code, _out, err = kcat(ctx, args, stdin=line)
    return {"exit": code, "errors": errors_of(err)}


def parse_json_records(stdout):
    out = []
    for line in stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        m = json.loads(line)
        h = m.get("headers") or []
        out.append(common.record(m["partition"], m["offset"], m.get("key"), m.get("payload"),
                                 [[h[i], h[i + 1]] for i in range(0, len(h), 2)], m.get("ts"),
                                 m.get("tstype")))
    return out


def consume(ctx, count, topic=None, partition=0, offset="beginning", extra=()):
    args = ["-C", "-t", topic or ctx.topic, "-p", str(partition), "-o", str(offset), "-c", str(count),
            "-e", "-J"] + list(extra)
    code, out, err = kcat(ctx, args)
    return {"exit": code, "records": parse_json_records(out), "errors": errors_of(err)}


def roundtrip_like(ctx, records, extra=()):
    produced = [produce_one(ctx, r, extra) for r in records]
    return {"produced": produced, "consumed": consume(ctx, len(records))}


def s_roundtrip(ctx):
    return roundtrip_like(ctx, ctx.data["roundtrip"])


def s_headers(ctx):
    return roundtrip_like(ctx, ctx.data["headers"])


def compression(codec):
    def s(ctx):
        # All records in one run so they share a compressed batch.
        recs = common.compression_records(ctx.data)
        stdin = "".join("%s%s%s\n" % (r["key"], DELIM, r["value"]) for r in recs)
        code, _o, err = kcat(ctx, ["-P", "-t", ctx.topic, "-p", "0", "-K", DELIM, "-z", codec,
                                   "-X", "linger.ms=100"], stdin=stdin)
        return {"produce": {"exit": code, "errors": errors_of(err)}, "consumed": consume(ctx, len(recs))}
    return s


def s_idempotent(ctx):
    recs = common.idempotent_records(ctx.data)
    stdin = "".join("%s%s%s\n" % (r["key"], DELIM, r["value"]) for r in recs)
    code, _o, err = kcat(ctx, ["-P", "-t", ctx.topic, "-p", "0", "-K", DELIM, "-X", "enable.idempotence=true",
                               "-X", "acks=all"], stdin=stdin)
    return {"produce": {"exit": code, "errors": errors_of(err)}, "consumed": consume(ctx, len(recs))}


def query(ctx, ts):
    code, out, err = kcat(ctx, ["-Q", "-t", "%s:0:%d" % (ctx.topic, ts)])
    m = re.search(r"\[0\] offset (-?\d+)", out)
    return int(m.group(1)) if m else {"exit": code, "errors": errors_of(err), "out": out.strip()}


def s_list_offsets(ctx):
    d = ctx.data["list_offsets"]
    for r in common.list_offsets_records(ctx.data):
        produce_one(ctx, r)
    first = consume(ctx, 1)
    return {"earliest": [r["o"] for r in first["records"]], "latest": query(ctx, -1),
            "after_last": query(ctx, d["future_ts"]), "by_time_clock": query(ctx, 1)}


def group_run(ctx, gid):
    """One balanced-consumer (-G) run that exits at the end of every partition."""
    code, out, err = kcat(ctx, ["-G", gid, "-e", "-J", "-X", "auto.offset.reset=earliest",
                                "-X", "heartbeat.interval.ms=500", ctx.topic])
    assigned = re.findall(r"assigned: (.*)", err)
    parts = re.findall(r"\[(\d+)\]", assigned[-1]) if assigned else []
    return {"exit": code, "assigned": len(parts), "consumed": len(parse_json_records(out)),
            "errors": errors_of(err)}


def s_group(ctx):
    d = ctx.data["group"]
    for p, r in common.group_records(ctx.data):
        produce_one(ctx, r, partition=p)
    gid = ctx.topic + "-g"
    # The second run resumes from what the first committed when it left: nothing is left to read.
    return {"first": group_run(ctx, gid), "second": group_run(ctx, gid), "partitions": d["partitions"]}


def s_error_unknown_topic(ctx):
    return produce_one(ctx, {"key": "k", "value": "v"},
                       extra=["-X", "message.timeout.ms=5000", "-X", "topic.metadata.propagation.max.ms=1000"])


def s_error_out_of_range(ctx):
    d = ctx.data["out_of_range"]
    for r in common.out_of_range_records(ctx.data):
        produce_one(ctx, r)
    out = {"reset_error": consume(ctx, 1, offset=d["fetch_offset"], extra=["-X", "auto.offset.reset=error"]),
           "reset_earliest": consume(ctx, 1, offset=d["fetch_offset"],
                                     extra=["-X", "auto.offset.reset=earliest"])}
    return out


def version():
    try:
        p = subprocess.run([KCAT, "-V"], capture_output=True, timeout=10)
        text = (p.stdout + p.stderr).decode()
    except (OSError, subprocess.TimeoutExpired) as e:
        return "unavailable (%s)" % e
    v = re.search(r"Version (\S+)", text)
    lib = re.search(r"librdkafka (\S+)", text)
    return "%s (librdkafka %s)" % (v.group(1) if v else "?", lib.group(1) if lib else "?")


SCENARIOS = {
    "roundtrip": s_roundtrip,
    "headers": s_headers,
    "compression_gzip": compression("gzip"),
    "compression_snappy": compression("snappy"),
    "compression_lz4": compression("lz4"),
    "compression_zstd": compression("zstd"),
    "idempotent": s_idempotent,
    "list_offsets": s_list_offsets,
    "group": s_group,
    "error_unknown_topic": s_error_unknown_topic,
    "error_out_of_range": s_error_out_of_range,
}

if __name__ == "__main__":
    common.run(version(), SCENARIOS)
