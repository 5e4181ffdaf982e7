"""Differential compatibility runner: every scenario of every client runs once against Apache
Kafka and once against Gregor; the normalised results must be equal unless the difference is
listed in known_differences.json (and explained in docs/compatibility.md).

Started by tests/compat/run, which owns the brokers; this file only talks to them:

    compat.py --kafka HOST:PORT --gregor HOST:PORT [--clients a,b] [--scenarios x,y]
              [--write-matrix] [--jobs N] [--out DIR]

Exit status 0 when every compared scenario passed (known differences included), 1 otherwise.
The last line is "compat: N passed, N failed, N skipped" (skipped = known differences).
"""

import argparse
import datetime
import fnmatch
import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import catalog  # noqa: E402
import matrix  # noqa: E402
import normalize  # noqa: E402

KNOWN = catalog.HERE / "known_differences.json"
DOC = catalog.ROOT / "docs" / "compatibility.md"
DRIVER_START_S = 30  # extra time for the first result (JVM start, module loading)
ADMIN_TIMEOUT_S = 30
KILL_WAIT_S = 5


def now_ms():
    return int(time.time() * 1000)


# -- brokers --------------------------------------------------------------------------------------

def broker_info(bootstrap):
    from confluent_kafka.admin import AdminClient
    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=ADMIN_TIMEOUT_S)
    return md.cluster_id


def create_topics(bootstrap, topics):
    """topics: {name: (partitions, configs)}; waits until the broker lists them all."""
    from confluent_kafka.admin import AdminClient, NewTopic
    if not topics:
        return
    a = AdminClient({"bootstrap.servers": bootstrap})
    news = [NewTopic(t, p, 1, config=cfg) for t, (p, cfg) in sorted(topics.items())]
    errors = []
    for t, f in a.create_topics(news, request_timeout=ADMIN_TIMEOUT_S).items():
        try:
            f.result(ADMIN_TIMEOUT_S)
        except Exception as e:  # reported below; the scenarios using the topic will fail too
            errors.append("%s: %s" % (t, e))
    end = time.monotonic() + ADMIN_TIMEOUT_S
    while time.monotonic() < end:
        listed = a.list_topics(timeout=ADMIN_TIMEOUT_S).topics
        if all(t in listed for t in topics):
            break
        time.sleep(0.2)
    if errors:
        print("warning: creating topics on %s failed: %s" % (bootstrap, "; ".join(errors)), file=sys.stderr)


# -- drivers --------------------------------------------------------------------------------------

def _reader(stream, q):
    for line in stream:
        q.put(line)
    q.put(None)


def _kill(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(KILL_WAIT_S)
    except subprocess.TimeoutExpired:
        pass


def run_side(client, bootstrap, prefix, scenarios, log_path):
    """Runs the client's driver for `scenarios` against one broker. A driver that hangs is killed
    after the scenario's time limit and restarted for the scenarios after the one that hung.
    Returns (version, {scenario: {"result": ...} | {"exception": ...}})."""
    remaining = list(scenarios)
    results, version = {}, None
    with open(log_path, "ab") as log:
        while remaining:
            cmd = client["cmd"] + ["--bootstrap", bootstrap, "--prefix", prefix,
                                   "--scenarios", ",".join(remaining), "--data", str(catalog.DATA)]
            log.write(("\n==== %s\n" % " ".join(cmd)).encode())
            log.flush()
            try:
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, stdin=subprocess.DEVNULL,
                                        start_new_session=True, cwd=str(catalog.HERE), text=True,
                                        encoding="utf-8", errors="replace")
            except OSError as e:
                for s in remaining:
                    results[s] = {"exception": "driver could not start: %s" % e}
                break
            q = queue.Queue()
            threading.Thread(target=_reader, args=(proc.stdout, q), daemon=True).start()
            deadline = time.monotonic() + DRIVER_START_S + _timeout(remaining[0])
            try:
                while remaining:
                    try:
                        line = q.get(timeout=max(0.0, deadline - time.monotonic()))
                    except queue.Empty:
                        results[remaining.pop(0)] = {"exception": "no result within the time limit (driver killed)"}
                        break
                    if line is None:
                        proc.wait(KILL_WAIT_S)
                        results[remaining.pop(0)] = {
                            "exception": "driver exited (code %s) before reporting this scenario" % proc.returncode}
                        break
                    try:
                        obj = json.loads(line)
                    except ValueError:
                        log.write(("unparsable driver output: %r\n" % line).encode())
                        continue
                    if "version" in obj:
                        version = obj["version"]
                        continue
                    s = obj.get("scenario")
                    if s in remaining:
                        remaining.remove(s)
                        results[s] = obj
                        if remaining:
                            deadline = time.monotonic() + _timeout(remaining[0])
            finally:
                _kill(proc)
    return version, results


def _timeout(scenario):
    return catalog.SCENARIOS[scenario].get("timeout_s", catalog.SCENARIO_TIMEOUT_S)


# -- comparison -----------------------------------------------------------------------------------

def load_known():
    entries = json.loads(KNOWN.read_text(encoding="utf-8"))["differences"]
    problems = []
    ids = set()
    for e in entries:
        for field in ("id", "match", "reason"):
            if not e.get(field):
                problems.append("known_differences.json: entry %r lacks %r" % (e.get("id"), field))
        if e.get("id") in ids:
            problems.append("known_differences.json: id %r used twice" % e["id"])
        ids.add(e.get("id"))
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    for e in entries:
        if e.get("id") and e["id"] not in doc:
            problems.append("known_differences.json: %r is not explained in docs/compatibility.md "
                            "(run tests/compat/run --write-matrix)" % e["id"])
    return entries, problems


def find_known(entries, client_id, scenario):
    key = "%s/%s" % (client_id, scenario)
    return [e for e in entries if any(fnmatch.fnmatchcase(key, m) for m in e["match"])]


def covered_by(entry, path):
    """An entry without "paths" covers any difference; with them, the paths matching a glob."""
    globs = entry.get("paths")
    return not globs or any(fnmatch.fnmatchcase(path, g) for g in globs)


def outcome(line):
    """A driver's line -> the document to compare: the result, or {"exception": ...}."""
    if "result" in line:
        return line["result"]
    return {"exception": line.get("exception", "no result")}


def compare(client, scenario, kafka_line, gregor_line, kctx, gctx, known):
    """Returns a dict: status (pass / fail / known / n/a), detail, and the normalised documents.

    A difference is known when every differing path is covered by some entry that matches this
    client/scenario. Every matching entry must also cover at least one differing path: one that
    covers nothing describes a difference that is gone, and the list must say so."""
    row = {"client": client["id"], "scenario": scenario}
    entries = find_known(known, client["id"], scenario)
    if "skipped" in kafka_line:
        row.update(status="n/a", detail=kafka_line["skipped"])
        return row
    kafka_out, gregor_out = outcome(kafka_line), outcome(gregor_line)
    if "exception" in kafka_out:
        row.update(status="fail", detail="the scenario failed against Apache Kafka itself: %s"
                   % kafka_out["exception"], kafka=kafka_out, gregor=gregor_out)
        return row
    k = normalize.normalize(kafka_out, kctx)
    g = normalize.normalize(gregor_out, gctx)
    row.update(kafka=k, gregor=g)
    paths = normalize.differing_paths(k, g)
    stale = [e["id"] for e in entries if e.get("strict", True) and not any(covered_by(e, p) for p in paths)]
    uncovered = [p for p in paths if not any(covered_by(e, p) for e in entries)]
    if paths:
        row["paths"] = uncovered + [p for p in paths if p not in uncovered]
    if uncovered:
        row.update(status="fail", detail="results differ at: %s" % ", ".join(uncovered[:12]))
        if stale:
            row["detail"] += "; known difference %s not observed" % ", ".join(stale)
    elif stale:
        row.update(status="fail", detail="known difference %s no longer observed here: remove it from "
                   "known_differences.json, or narrow its match" % ", ".join(stale))
    elif paths:
        row.update(status="known", known=",".join(e["id"] for e in entries if any(covered_by(e, p) for p in paths)))
    else:
        row.update(status="pass")
    return row


def broker_problems(args):
    """Gregor must survive the run without sanitizer complaints, whatever the results said."""
    out = []
    if args.gregor_pid:
        try:
            os.kill(args.gregor_pid, 0)
            with open("/proc/%d/stat" % args.gregor_pid) as f:
                if f.read().split(") ", 1)[1].startswith("Z"):
                    raise ProcessLookupError
        except (ProcessLookupError, OSError):
            out.append("Gregor (pid %d) exited during the run: see %s" % (args.gregor_pid, args.gregor_log))
    if args.gregor_log and os.path.exists(args.gregor_log):
        with open(args.gregor_log, errors="replace") as f:
            text = f.read()
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if marker in text:
                out.append("sanitizer report (%r) in %s" % (marker, args.gregor_log))
    return out


# -- report ---------------------------------------------------------------------------------------

def pretty(v):
    return json.dumps(v, indent=1, sort_keys=True, ensure_ascii=False)


def print_failure(row):
    print("\nFAIL %s / %s: %s" % (row["client"], row["scenario"], row.get("detail", "")))
    if "paths" in row:
        fk = normalize.flatten(row["kafka"])
        fg = normalize.flatten(row["gregor"])
        for p in row["paths"][:40]:
            print("   %-50s kafka=%s  gregor=%s" % (p, json.dumps(fk.get(p, "<absent>"), ensure_ascii=False),
                                                    json.dumps(fg.get(p, "<absent>"), ensure_ascii=False)))
        if len(row["paths"]) > 40:
            print("   ... %d more" % (len(row["paths"]) - 40))
    elif row.get("gregor") is not None:
        print("   kafka:  %s" % json.dumps(row.get("kafka"), ensure_ascii=False)[:800])
        print("   gregor: %s" % json.dumps(row.get("gregor"), ensure_ascii=False)[:800])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kafka", required=True, help="Apache Kafka bootstrap HOST:PORT")
    ap.add_argument("--gregor", required=True, help="Gregor bootstrap HOST:PORT")
    ap.add_argument("--clients", default="", help="comma-separated client ids (default: all)")
    ap.add_argument("--scenarios", default="", help="comma-separated scenario names or globs (default: all)")
    ap.add_argument("--write-matrix", action="store_true", help="update matrix.json and docs/compatibility.md")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("COMPAT_JOBS", "2")),
                    help="clients run at the same time (each runs both brokers' sides at once)")
    ap.add_argument("--out", default=str(catalog.CACHE / "last-run"), help="results and driver logs")
    ap.add_argument("--gregor-pid", type=int, help="fail the run if this process died during it")
    ap.add_argument("--gregor-log", help="fail the run if this log has a sanitizer report")
    args = ap.parse_args(argv)

    known, problems = load_known()
    ids = [c["id"] for c in catalog.CLIENTS]
    want_clients = [c for c in args.clients.split(",") if c] or ids
    for c in want_clients:
        if c not in ids:
            ap.error("unknown client %r (known: %s)" % (c, ", ".join(ids)))
    globs = [s for s in args.scenarios.split(",") if s]
    plan = []  # (client, [scenarios])
    for cid in want_clients:
        client = catalog.client_by_id(cid)
        scen = [s for s in client["scenarios"] if not globs or any(fnmatch.fnmatchcase(s, g) for g in globs)]
        if scen:
            plan.append((client, scen))
    if not plan:
        ap.error("nothing selected")

    out_dir = Path(args.out)
    (out_dir / "logs").mkdir(parents=True, exist_ok=True)
    for f in (out_dir / "logs").glob("*.log"):
        f.unlink()
    run_id = "%06x" % random.randrange(1 << 24)
    start = now_ms()
    topics = {}
    data = json.loads(catalog.DATA.read_text(encoding="utf-8"))
    for client, scen in plan:
        for s in scen:
            spec = catalog.SCENARIOS[s]["topic"]
            if spec:
                parts, cfg = spec
                topics["cx%s-%s-%s" % (run_id, client["id"], s)] = (parts, data[cfg] if isinstance(cfg, str) else cfg)
    brokers = {"kafka": args.kafka, "gregor": args.gregor}
    cluster_ids = {}
    for side, b in brokers.items():
        cluster_ids[side] = broker_info(b)
        create_topics(b, topics)
    print("compat: run %s, %d clients, %d scenario runs per broker, kafka=%s gregor=%s" % (
        run_id, len(plan), sum(len(s) for _, s in plan), args.kafka, args.gregor), flush=True)

    def run_client(item):
        client, scen = item
        prefix = "cx%s-%s" % (run_id, client["id"])
        t0 = time.monotonic()
        with ThreadPoolExecutor(2) as ex:
            futs = {side: ex.submit(run_side, client, b, prefix, scen,
                                    out_dir / "logs" / ("%s-%s.log" % (client["id"], side)))
                    for side, b in brokers.items()}
            res = {side: f.result() for side, f in futs.items()}
        print("  %-22s %5.1fs" % (client["id"], time.monotonic() - t0), flush=True)
        return client, scen, res

    with ThreadPoolExecutor(max(1, args.jobs)) as ex:
        done = list(ex.map(run_client, plan))
    end = now_ms()
    kctx = normalize.Context(args.kafka, cluster_ids["kafka"], start, end)
    gctx = normalize.Context(args.gregor, cluster_ids["gregor"], start, end)

    rows, versions = [], {}
    for client, scen, res in done:
        (kv, kres), (gv, gres) = res["kafka"], res["gregor"]
        versions[client["id"]] = gv or kv or "unknown"
        for s in scen:
            rows.append(compare(client, s, kres.get(s, {"exception": "no result"}),
                                gres.get(s, {"exception": "no result"}), kctx, gctx, known))

    counts = {"pass": 0, "fail": 0, "known": 0, "n/a": 0}
    for r in rows:
        counts[r["status"]] += 1
    print()
    for client, scen, _ in done:
        line = []
        for r in rows:
            if r["client"] == client["id"]:
                mark = {"pass": "ok", "fail": "FAIL", "n/a": "n/a",
                        "known": "known:" + r.get("known", "")}[r["status"]]
                line.append("%s=%s" % (r["scenario"], mark))
        print("%-22s %s" % (client["id"], versions[client["id"]]))
        print("    " + "  ".join(line))
    for r in rows:
        if r["status"] == "fail":
            print_failure(r)
    problems += broker_problems(args)
    for p in problems:
        print("\nFAIL %s" % p)

    result_doc = {"run_id": run_id, "date": datetime.date.today().isoformat(), "kafka": args.kafka,
                  "gregor": args.gregor, "versions": versions, "rows": rows}
    (out_dir / "results.json").write_text(pretty(result_doc) + "\n", encoding="utf-8")
    print("\nresults: %s (driver logs in %s)" % (out_dir / "results.json", out_dir / "logs"))
    if args.write_matrix:
        matrix.update(result_doc, known)
        print("matrix: updated %s and %s" % (matrix.MATRIX_JSON.relative_to(catalog.ROOT),
                                              DOC.relative_to(catalog.ROOT)))
    failed = counts["fail"] + len(problems)
    if counts["known"]:
        print("%d known differences (listed in known_differences.json) counted as skipped" % counts["known"])
    print("compat: %d passed, %d failed, %d skipped" % (counts["pass"], failed, counts["known"]))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
