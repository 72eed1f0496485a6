#!/usr/bin/env bash
# Checkpoint durations under steady backpressure: scenarios/backpressure-steady.yaml
# run aligned, unaligned (--unaligned) and with an alignment timeout
# (--aligned-timeout), back to back on the same machine, RUNS times each
# (default 3, interleaved). Prints, per mode, the median over runs of the
# p50 / p99 / max end-to-end duration of the regular checkpoints (the final
# checkpoint of a bounded run is always aligned and waits for the backlog to
# drain, so it is reported apart), of the slowest subtask's alignment, and
# the in-flight data persisted; then each mode's p50 duration as a ratio to
# the aligned one measured in the same run. Writes bench/results/backpressure.json.
# This is a measurement, not a test: nothing here passes or fails on timing.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
timeout=${ALIGNED_TIMEOUT:-20ms}
make --no-print-directory build/snapbed >/dev/null
out=out/bench-backpressure-$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$out" bench/results
modes=(aligned unaligned timeout)
declare -A flags=([aligned]="" [unaligned]="--unaligned" [timeout]="--aligned-timeout $timeout")
for r in $(seq 1 "$runs"); do
    for m in "${modes[@]}"; do
        echo "bench/backpressure: run $r/$runs, $m" >&2
        # shellcheck disable=SC2086
        ./build/snapbed run scenarios/backpressure-steady.yaml ${flags[$m]} -q -o "$out/$m-$r" >/dev/null
    done
done
python3 - "$out" "$runs" "$timeout" <<'PY'
import json, os, statistics, subprocess, sys
out, runs, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3]
modes = ["aligned", "unaligned", "timeout"]
def pct(values, p):
    v = sorted(values)
    if not v:
        return None
    k = max(0, -(-p * len(v) // 100) - 1)  # nearest rank
    return v[k]
fig = {}
for m in modes:
    per_run = []
    for r in range(1, runs + 1):
        d = json.load(open(os.path.join(out, f"{m}-{r}", "checkpoints.json")))
        regular = [c for c in d["checkpoints"] if c["status"] == "completed" and not c["final"]]
        final = [c for c in d["checkpoints"] if c["status"] == "completed" and c["final"]]
        dur = [c["duration_ns"] for c in regular]
        align = [c["alignment_max_ns"] for c in regular if c["alignment_max_ns"] is not None]
        per_run.append({
            "checkpoints": len(regular),
            "p50_ms": pct(dur, 50) / 1e6, "p99_ms": pct(dur, 99) / 1e6, "max_ms": max(dur) / 1e6,
            "alignment_max_ms": max(align) / 1e6 if align else 0.0,
            "final_ms": final[0]["duration_ns"] / 1e6 if final else None,
            "inflight_kib": sum(c["inflight_bytes"] for c in regular) / 1024,
        })
    fig[m] = {k: statistics.median(x[k] for x in per_run) for k in per_run[0] if per_run[0][k] is not None}
    fig[m]["runs"] = per_run
print(f"checkpoints under steady backpressure (median of {runs} runs; alignment timeout {timeout})")
print(f"{'mode':10} {'chk':>4} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9} {'align ms':>9} {'final ms':>9} {'in-flight KiB':>14} {'p50 vs aligned':>15}")
base = fig["aligned"]["p50_ms"]
for m in modes:
    f = fig[m]
    ratio = f["p50_ms"] / base if base else float("nan")
    f["p50_ratio_to_aligned"] = ratio
    print(f"{m:10} {f['checkpoints']:>4.0f} {f['p50_ms']:>9.1f} {f['p99_ms']:>9.1f} {f['max_ms']:>9.1f} "
          f"{f['alignment_max_ms']:>9.2f} {f.get('final_ms', float('nan')):>9.1f} {f['inflight_kib']:>14.1f} {ratio:>15.3f}")
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
json.dump({"benchmark": "backpressure", "commit": commit, "cores": os.cpu_count(), "cpu": model,
           "scenario": "scenarios/backpressure-steady.yaml", "runs": runs, "aligned_timeout": timeout,
           "modes": fig}, open("bench/results/backpressure.json", "w"), indent=2)
print("written: bench/results/backpressure.json; run folders under " + out)
PY
