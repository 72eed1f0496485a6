#!/usr/bin/env bash
# Checkpoint durations and alignment, aligned vs unaligned, per load.
# Each load is a scenario run aligned, unaligned (--unaligned) and with an
# alignment timeout (--aligned-timeout), back to back on the same machine,
# RUNS times each (default 3, interleaved). Prints, per load and mode, the
# median over runs of the p50 / p99 / max end-to-end duration of the regular
# checkpoints (the final checkpoint of a bounded run is always aligned and
# waits for the backlog to drain, so it is reported apart), of the slowest
# subtask's alignment (p50 / max), and the in-flight data persisted; then
# each mode's p50 duration as a ratio to the aligned one measured in the
# same run.
#
# LOADS picks the loads (default "backpressure"):
#   unloaded      scenarios/no-faults.yaml: no throttle, channels seldom full
#   backpressure  scenarios/backpressure-steady.yaml: sink throttled, every
#                 channel full
# BENCH_NAME names the result, bench/results/<BENCH_NAME>.json (default
# backpressure; bench/latency.sh runs both loads as "latency").
# This is a measurement, not a test: nothing here passes or fails on timing.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
runs=${RUNS:-3}
timeout=${ALIGNED_TIMEOUT:-20ms}
name=${BENCH_NAME:-backpressure}
read -r -a loads <<< "${LOADS:-backpressure}"
declare -A scenario=([unloaded]=scenarios/no-faults.yaml [backpressure]=scenarios/backpressure-steady.yaml)
for l in "${loads[@]}"; do
    [ -n "${scenario[$l]:-}" ] || { echo "bench/$name: unknown load '$l' (known: ${!scenario[*]})" >&2; exit 2; }
done
make --no-print-directory build/snapbed >/dev/null
out=$(bench_out "$name")
modes=(aligned unaligned timeout)
declare -A flags=([aligned]="" [unaligned]="--unaligned" [timeout]="--aligned-timeout $timeout")
for r in $(seq 1 "$runs"); do
    for l in "${loads[@]}"; do
        for m in "${modes[@]}"; do
            echo "bench/$name: run $r/$runs, $l, $m" >&2
            # shellcheck disable=SC2086
            ./build/snapbed run "${scenario[$l]}" ${flags[$m]} -q -o "$out/$l-$m-$r" >/dev/null
        done
    done
done
PYTHONPATH=bench python3 - "$out" "$runs" "$timeout" "$name" "${loads[*]}" <<'PY'
import json, os, sys
import lib
out, runs, timeout, name, loads = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5].split()
modes = ["aligned", "unaligned", "timeout"]
scenarios = {"unloaded": "scenarios/no-faults.yaml", "backpressure": "scenarios/backpressure-steady.yaml"}
fig = {}
for l in loads:
    fig[l] = {}
    for m in modes:
        per_run = []
        for r in range(1, runs + 1):
            d = json.load(open(os.path.join(out, f"{l}-{m}-{r}", "checkpoints.json")))
            done = [c for c in d["checkpoints"] if c["status"] == "completed"]
            regular = [c for c in done if not c["final"]]
            final = [c for c in done if c["final"]]
            dur = [c["duration_ns"] / 1e6 for c in regular]
            align = [c["alignment_max_ns"] / 1e6 for c in regular if c["alignment_max_ns"] is not None]
            per_run.append({
                "checkpoints": len(regular),
                "p50_ms": lib.pct(dur, 50), "p99_ms": lib.pct(dur, 99), "max_ms": lib.pct(dur, 100),
                "alignment_p50_ms": lib.pct(align, 50) or 0.0, "alignment_max_ms": lib.pct(align, 100) or 0.0,
                "final_ms": final[0]["duration_ns"] / 1e6 if final else None,
                "inflight_kib": sum(c["inflight_bytes"] for c in regular) / 1024,
            })
        f = {k: lib.median(x[k] for x in per_run) for k in per_run[0]}
        f["runs"] = per_run
        fig[l][m] = f
    base = fig[l]["aligned"]["p50_ms"]
    for m in modes:
        fig[l][m]["p50_ratio_to_aligned"] = lib.ratio(fig[l][m]["p50_ms"], base)
print(f"checkpoint duration and alignment (median of {runs} runs; alignment timeout {timeout})")
print(f"{'load':13} {'mode':10} {'chk':>4} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'align p50':>10} "
      f"{'align max':>10} {'final ms':>9} {'in-flight KiB':>14} {'p50 vs aligned':>15}")
for l in loads:
    for m in modes:
        f = fig[l][m]
        print(f"{l:13} {m:10} {lib.fmt(f['checkpoints'], '.0f', 4)} {lib.fmt(f['p50_ms'], '.1f', 8)} "
              f"{lib.fmt(f['p99_ms'], '.1f', 8)} {lib.fmt(f['max_ms'], '.1f', 8)} "
              f"{lib.fmt(f['alignment_p50_ms'], '.2f', 10)} {lib.fmt(f['alignment_max_ms'], '.2f', 10)} "
              f"{lib.fmt(f['final_ms'], '.1f', 9)} {lib.fmt(f['inflight_kib'], '.1f', 14)} "
              f"{lib.fmt(f['p50_ratio_to_aligned'], '.3f', 15)}")
lib.write(name, {"runs": runs, "aligned_timeout": timeout,
                 "scenarios": {l: scenarios[l] for l in loads}, "loads": fig})
print("run folders under " + out)
PY
