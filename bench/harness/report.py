"""Turns a run's raw results into the Markdown entry of docs/benchmarks.md: a summary of
Gregor/Kafka and Gregor/ceiling ratios against the goals, then the per-row details."""

import statistics

from .plan import PRODUCE_MATRIX

MIB = 1024.0


def fmt(x):
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    ax = abs(x)
    if ax >= 100:
        return f"{x:.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def fmt_ratio(r):
    if r is None:
        return "-"
    return f"{r:.2f}x" if r >= 0.1 else f"{r:.2g}x"


class Results:
    def __init__(self, data):
        self.data = data
        self.rows = data["results"]

    def pick(self, kind, client, target, **cfg):
        """Median of each numeric field over the repetitions; 'error' when none succeeded."""
        match = [r for r in self.rows if r["kind"] == kind and r["client"] == client and r["target"] == target
                 and all(r.get(k) == v for k, v in cfg.items())]
        ok = [r for r in match if "error" not in r]
        if not ok:
            return {"error": match[0]["error"]} if match else None
        out = {"n": len(ok)}
        for k in ok[0]:
            vals = [r[k] for r in ok if isinstance(r.get(k), (int, float)) and not isinstance(r.get(k), bool)]
            if vals and k not in cfg:
                out[k] = statistics.median(vals)
        return out

    def value(self, kind, client, target, field, **cfg):
        r = self.pick(kind, client, target, **cfg)
        return None if not r or "error" in r else r.get(field)


def _cfg_label(acks=None, partitions=None, producers=None):
    parts = []
    if acks is not None:
        parts.append(f"acks={acks}")
    if partitions is not None:
        parts.append(f"{partitions} partition{'s' if partitions != 1 else ''}")
    if producers is not None:
        parts.append(f"{producers} producer{'s' if producers != 1 else ''}")
    return ", ".join(parts)


def _goal(text, met):
    if met is None:
        return text
    return f"{text}: {'met' if met else 'not met'}"


def summary_rows(res, facts):
    rows = []  # (measurement, client, gregor, kafka, ceiling, g/k, g/ceiling, goal)
    disk = facts.get("disk", {}).get(1024, {}) or facts.get("disk", {}).get("1024", {})
    disk_mb = disk.get("mb_per_s")
    for client in ("gregor-perf", "kafka-perf"):
        for acks, parts, prods in PRODUCE_MATRIX:
            if client == "kafka-perf" and prods != 1:
                continue
            cfg = dict(acks=acks, partitions=parts, producers=prods)
            g = res.value("produce", client, "gregor", "mb_per_s", **cfg)
            k = res.value("produce", client, "kafka", "mb_per_s", **cfg)
            gk = ratio(g, k)
            if acks == "all":
                ceil, ceil_label = disk_mb, "disk"
            else:
                ceil = res.value("produce", client, "sink", "mb_per_s", **cfg) if client == "gregor-perf" else None
                ceil_label = "sink"
            gc = ratio(g, ceil)
            goal = _goal(">= 1.5x Kafka", None if gk is None else gk >= 1.5)
            if acks == "all":
                goal += "; " + _goal(">= 0.8x disk", None if gc is None else gc >= 0.8)
            rows.append((f"produce MB/s, {_cfg_label(**cfg)}", client, fmt(g), fmt(k),
                         f"{fmt(ceil)} ({ceil_label})" if ceil is not None else "-", fmt_ratio(gk), fmt_ratio(gc), goal))
    for client in ("gregor-perf", "kafka-perf"):
        for acks in ("1", "all"):
            cfg = dict(acks=acks, partitions=1, producers=1)
            g = res.value("latency", client, "gregor", "p99_ms", **cfg)
            k = res.value("latency", client, "kafka", "p99_ms", **cfg)
            s = res.value("latency", client, "sink", "p99_ms", **cfg)
            gk = ratio(g, k)
            rate = facts.get("latency_rate_per_s")
            rows.append((f"produce p99 ms at {rate} records/s, acks={acks}", client, fmt(g), fmt(k),
                         f"{fmt(s)} (sink)" if s is not None else "-", fmt_ratio(gk), fmt_ratio(ratio(g, s)),
                         _goal("<= 0.3x Kafka", None if gk is None else gk <= 0.3)))
    for client in ("gregor-perf", "kafka-perf"):
        for parts in (1, 16):
            g = res.value("consume", client, "gregor", "mb_per_s", partitions=parts)
            k = res.value("consume", client, "kafka", "mb_per_s", partitions=parts)
            s = res.value("consume", client, "sink", "mb_per_s", partitions=parts)
            gs = ratio(g, s)
            rows.append((f"consume MB/s, {_cfg_label(partitions=parts)}", client, fmt(g), fmt(k),
                         f"{fmt(s)} (sink)" if s is not None else "-", fmt_ratio(ratio(g, k)), fmt_ratio(gs),
                         _goal(">= 0.8x sink", None if gs is None else gs >= 0.8) if client == "gregor-perf" else ""))
    for acks in ("1", "all"):
        for field, label in (("p50_ms", "p50"), ("p99_ms", "p99"), ("p99_9_ms", "p99.9")):
            g = res.value("e2e", "e2e_latency", "gregor", field, acks=acks)
            k = res.value("e2e", "e2e_latency", "kafka", field, acks=acks)
            rows.append((f"end-to-end {label} ms, acks={acks}", "e2e_latency.py", fmt(g), fmt(k), "-",
                         fmt_ratio(ratio(g, k)), "-", "lower is better"))
    mem = facts.get("memory", {})

    def mem_mb(broker, phase, field):
        v = mem.get(broker, {}).get(phase, {}).get(field)
        return None if v is None else v / MIB

    g, k = mem_mb("gregor", "idle", "rss_kb"), mem_mb("kafka", "idle", "rss_kb")
    rows.append(("idle resident memory MB (VmRSS)", "-", fmt(g), fmt(k), "-", fmt_ratio(ratio(g, k)), "-",
                 _goal("<= 4 MB", None if g is None else g <= 4)))
    g, k = mem_mb("gregor", "loaded", "max_rss_kb"), mem_mb("kafka", "loaded", "max_rss_kb")
    rows.append(("loaded resident memory MB (largest VmRSS seen)", "-", fmt(g), fmt(k), "-", fmt_ratio(ratio(g, k)),
                 "-", "bounded"))
    g, k = mem_mb("gregor", "loaded", "hwm_kb"), mem_mb("kafka", "loaded", "hwm_kb")
    rows.append(("peak resident memory MB (VmHWM)", "-", fmt(g), fmt(k), "-", fmt_ratio(ratio(g, k)), "-", "bounded"))
    st = facts.get("startup_s", {})
    gs = [x * 1000 for x in st.get("gregor", [])]
    ks = [x * 1000 for x in st.get("kafka", [])]
    g = statistics.median(gs) if gs else None
    k = statistics.median(ks) if ks else None
    spread = lambda xs: f" ({fmt(min(xs))}-{fmt(max(xs))}, n={len(xs)})" if xs else ""
    rows.append(("first answered request ms after exec (median)", "ApiVersions probe", fmt(g) + spread(gs),
                 fmt(k) + spread(ks), "-", fmt_ratio(ratio(g, k)), "-", _goal("<= 10 ms", None if g is None else g <= 10)))
    d64 = facts.get("disk", {}).get(64, {}) or facts.get("disk", {}).get("64", {})
    rows.append(("disk: write + fdatasync MB/s, 1 MB / 64 KB chunks", "disk_sync.py",
                 f"{fmt(disk_mb)} / {fmt(d64.get('mb_per_s'))}", "-", "-", "-", "-", "reference for acks=all"))
    return rows


def detail_rows(res):
    rows = []
    seen = set()
    for r in res.rows:
        if r["kind"] not in ("produce", "latency", "consume", "e2e"):
            continue
        cfg = {k: r[k] for k in ("acks", "partitions", "producers", "rate_per_s") if k in r}
        key = (r["kind"], r["client"], r["target"], tuple(sorted(cfg.items())))
        if key in seen:
            continue
        seen.add(key)
        m = res.pick(r["kind"], r["client"], r["target"], **cfg)
        label = _cfg_label(cfg.get("acks"), cfg.get("partitions"), cfg.get("producers"))
        if "rate_per_s" in cfg:
            label += f", {cfg['rate_per_s']} records/s"
        if "error" in m:
            rows.append((r["kind"], label, r["client"], r["target"], "failed: " + m["error"][:120], "", "", "", "", ""))
            continue
        rows.append((r["kind"], label, r["client"], r["target"], fmt(m.get("mb_per_s")), fmt(m.get("records_per_s")),
                     fmt(m.get("p50_ms")), fmt(m.get("p99_ms")), fmt(m.get("p99_9_ms")), str(m.get("n", 1))))
    return rows


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def render(data):
    res = Results(data)
    facts = dict(data["facts"])
    facts["latency_rate_per_s"] = data["plan"]["latency_rate_per_s"]
    m = data["machine"]
    plan = data["plan"]
    lines = [
        f"## {data['started']}: {data['mode']} run",
        "",
        f"- Command: `{data['command']}` ({data['duration_s']:.0f} s)",
        f"- Machine: {m.get('cpu')}, {m.get('memory_gib')} GiB memory, disk {m.get('disk')}, Linux {m.get('kernel')}, "
        f"load average at start {m.get('loadavg', '?')}",
        f"- Versions: Gregor {m.get('gregor')}; Apache Kafka {m.get('kafka')} ({m.get('java')}, "
        f"-Xmx{m.get('kafka_heap', '512m')}); gregor perf on librdkafka {m.get('librdkafka')}; "
        f"e2e_latency.py on confluent-kafka {m.get('confluent_kafka')}",
        f"- Counts: {plan['produce_records']} records of 1 KiB per produce row x {plan['produce_reps']}, "
        f"{plan['latency_records']} at {plan['latency_rate_per_s']}/s per latency row, {plan['consume_records']} "
        f"per consume row x {plan['consume_reps']}, {plan['e2e_count']} end-to-end round trips; medians shown.",
    ]
    if data["facts"].get("kafka_failed"):
        lines.append(f"- Apache Kafka did not start, its columns are empty: {data['facts']['kafka_failed']}")
    if data.get("failed"):
        lines.append(f"- The run stopped early: {data['failed']}")
    lines += ["", "Summary (MB = MiB; ceiling = the do-nothing sink, or the disk's fdatasync bandwidth for acks=all):",
              "", table(["measurement", "client", "Gregor", "Kafka", "ceiling", "Gregor/Kafka", "Gregor/ceiling", "goal"],
                        summary_rows(res, facts)),
              "", "<details><summary>Every row (medians)</summary>", "",
              table(["load", "configuration", "client", "server", "MB/s", "records/s", "p50 ms", "p99 ms", "p99.9 ms",
                     "runs"], detail_rows(res)),
              "", "</details>", ""]
    return "\n".join(lines)


def append(path, md):
    with open(path, "a") as f:
        f.write("\n" + md)


if __name__ == "__main__":  # re-render a past run: python -m bench.harness.report build/bench/<run>/results.json
    import json
    import sys

    with open(sys.argv[1]) as f:
        print(render(json.load(f)))
