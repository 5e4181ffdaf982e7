#!/usr/bin/env bash
# The cost of the broker's metrics counters on produce throughput: two broker binaries (one built
# without the counters, one with them), started in turn on a fresh data directory, each measured
# with the same `gregor perf produce` run ROUNDS times, alternating, then the median of each.
#
#   [PERF_ARGS="-X linger.ms=0 ..."] bench/metrics_overhead.sh BASELINE_GREGOR CANDIDATE_GREGOR [ROUNDS] [RECORDS]
#
# PERF_ARGS: more `gregor perf produce` options (small batches make many more requests per record).
#
# The client is the candidate binary's `gregor perf produce` (acks=1, 100-byte records, one
# partition). Besides throughput it reports the broker's CPU time for the run, which a busy
# shared machine disturbs less. The candidate also runs with admin.listeners set and a scrape per round, so the
# figure includes serving /metrics. Prints one line per round and the medians.
set -euo pipefail
BASE="$1" CAND="$2" ROUNDS="${3:-5}" RECORDS="${4:-2000000}"
WORK="$(mktemp -d)"
PORT=$((30000 + RANDOM % 2000)) ADMIN_PORT=$((32000 + RANDOM % 2000))
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

run_one() { # binary, extra override
    local bin="$1" extra="$2"
    rm -rf "$WORK/data"
    "$bin" broker --override log.dirs="$WORK/data" --override listeners=PLAINTEXT://127.0.0.1:$PORT \
        ${extra:+--override "$extra"} >"$WORK/broker.log" 2>&1 &
    pid=$!
    for _ in $(seq 50); do grep -q ready "$WORK/broker.log" && break; sleep 0.1; done
    local rps
    rps="$("$CAND" perf produce bench -b 127.0.0.1:$PORT -n "$RECORDS" -s 100 -a 1 ${PERF_ARGS:-} --json 2>/dev/null |
        python3 -c 'import json,sys; print(round(json.load(sys.stdin)["records_per_sec"]))')"
    if [[ -n "$extra" ]]; then curl -s -o /dev/null "http://127.0.0.1:$ADMIN_PORT/metrics"; fi
    # Broker CPU seconds (user + system) for the run: steadier than throughput on a shared machine.
    local ticks cpu
    ticks="$(awk '{print $14 + $15}' "/proc/$pid/stat")"
    cpu="$(python3 -c "import os; print('%.3f' % ($ticks / os.sysconf('SC_CLK_TCK')))")"
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""
    echo "$rps $cpu"
}

base=() cand=() base_cpu=() cand_cpu=()
for r in $(seq "$ROUNDS"); do
    read -r b bc < <(run_one "$BASE" ""); base+=("$b"); base_cpu+=("$bc")
    read -r c cc < <(run_one "$CAND" "admin.listeners=http://127.0.0.1:$ADMIN_PORT"); cand+=("$c"); cand_cpu+=("$cc")
    echo "round $r: baseline $b records/s ($bc s broker CPU), with metrics $c records/s ($cc s broker CPU)"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mb="$(median "${base[@]}")" mc="$(median "${cand[@]}")"
mbc="$(median "${base_cpu[@]}")" mcc="$(median "${cand_cpu[@]}")"
python3 -c "print('median: baseline %d, with metrics %d records/s (%+.2f %%); broker CPU %.3f s vs %.3f s (%+.2f %%)' % ($mb, $mc, ($mc - $mb) * 100.0 / $mb, $mbc, $mcc, ($mcc - $mbc) * 100.0 / $mbc))"
