"""The compatibility matrix (client x version x feature): kept in matrix.json, rendered into the
generated blocks of docs/compatibility.md by `tests/compat/run --write-matrix`.

A cell is updated only when the run covered every scenario of that client counting for that
feature, so a partial run (--clients / --scenarios) leaves the other cells and their dates alone.
"""

import json
import re

import catalog

MATRIX_JSON = catalog.HERE / "matrix.json"
DOC = catalog.ROOT / "docs" / "compatibility.md"
BLOCKS = {
    "MATRIX": "<!-- BEGIN GENERATED MATRIX -->", "/MATRIX": "<!-- END GENERATED MATRIX -->",
    "KNOWN": "<!-- BEGIN GENERATED KNOWN DIFFERENCES -->", "/KNOWN": "<!-- END GENERATED KNOWN DIFFERENCES -->",
}


def load():
    if MATRIX_JSON.exists():
        return json.loads(MATRIX_JSON.read_text(encoding="utf-8"))
    return {"features": catalog.FEATURES, "rows": {}}


def cell_for(rows, scenarios):
    rows = [r for r in rows if r["status"] != "n/a"]
    if not rows:
        return {"status": "n/a"}
    statuses = [r["status"] for r in rows if r["scenario"] in scenarios]
    known = sorted({r["known"] for r in rows if r["scenario"] in scenarios and r.get("known")})
    failed = sorted(r["scenario"] for r in rows if r["scenario"] in scenarios and r["status"] == "fail")
    if "fail" in statuses:
        return {"status": "fail", "failed": failed, "known": known}
    if "known" in statuses:
        return {"status": "known", "known": known}
    return {"status": "pass"}


def update(result_doc, known_entries):
    m = load()
    date = result_doc["date"]
    for client in catalog.CLIENTS:
        cid = client["id"]
        rows = [r for r in result_doc["rows"] if r["client"] == cid]
        if not rows:
            continue
        ran = {r["scenario"] for r in rows}
        entry = m["rows"].setdefault(cid, {"cells": {}})
        entry["name"] = client["name"]
        entry["version"] = result_doc["versions"].get(cid, entry.get("version", "unknown"))
        for feature in catalog.FEATURES:
            scen = [s for s in client["scenarios"] if feature in catalog.SCENARIOS[s]["features"]]
            if not scen:
                entry["cells"][feature] = {"status": "n/a"}
                continue
            if not set(scen) <= ran:
                continue
            cell = cell_for(rows, scen)
            cell["date"] = date
            entry["cells"][feature] = cell
    order = [c["id"] for c in catalog.CLIENTS]
    m["rows"] = {k: m["rows"][k] for k in sorted(m["rows"], key=lambda k: order.index(k) if k in order else 99)}
    m["features"] = catalog.FEATURES
    MATRIX_JSON.write_text(json.dumps(m, indent=1, sort_keys=False, ensure_ascii=False) + "\n", encoding="utf-8")
    render_doc(m, known_entries)


def render_cell(cell):
    st = cell.get("status", "n/a")
    if st == "n/a":
        return "n/a"
    date = cell.get("date", "")
    if st == "pass":
        return "pass %s" % date
    if st == "known":
        return "fail, known (%s) %s" % (", ".join(cell.get("known", [])), date)
    extra = ", ".join(cell.get("failed", []))
    return "**FAIL** (%s) %s" % (extra, date)


def render_matrix(m):
    feats = m["features"]
    lines = ["| client | version | " + " | ".join(feats) + " |",
             "|---|---|" + "---|" * len(feats)]
    for cid, row in m["rows"].items():
        cells = [render_cell(row["cells"].get(f, {"status": "n/a"})) for f in feats]
        lines.append("| %s | %s | %s |" % (row.get("name", cid), row.get("version", ""), " | ".join(cells)))
    return "\n".join(lines)


def render_known(entries):
    lines = ["| id | applies to (client/scenario) | reason |", "|---|---|---|"]
    for e in entries:
        scope = ", ".join("`%s`" % m for m in e["match"])
        if e.get("paths"):
            scope += " (only: %s)" % ", ".join("`%s`" % p for p in e["paths"])
        lines.append("| `%s` | %s | %s |" % (e["id"], scope, e["reason"].replace("|", "\\|")))
    return "\n".join(lines)


def replace_block(text, name, body):
    begin, end = BLOCKS[name], BLOCKS["/" + name]
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    new = "%s\n%s\n%s" % (begin, body, end)
    if pattern.search(text):
        return pattern.sub(lambda _m: new, text)
    return text.rstrip("\n") + "\n\n" + new + "\n"


def render_doc(m, known_entries):
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Compatibility with Apache Kafka\n"
    text = replace_block(text, "MATRIX", render_matrix(m))
    text = replace_block(text, "KNOWN", render_known(known_entries))
    DOC.write_text(text, encoding="utf-8")
