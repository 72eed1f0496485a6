#!/usr/bin/env bash
# Recovery: how long the job takes to come back after a SIGKILL of its
# worker, as a function of the checkpoint interval (RECOVERY_INTERVALS,
# default "100ms 500ms 1s 2s"). The job is the seed's, unthrottled, on
# RECORDS records (default 1 M) over 8 partitions of the embedded Kafka,
# with two kills at seeded points of input progress (`random: 2`, the same
# points for every interval), restart delay 100 ms; RUNS runs each (default
# 3). From trace.jsonl, for each kill (times from the `crash` event, i.e.
# the supervisor seeing the worker die):
#   restore      the new worker's `restore` event (checkpoint read back)
#   first record the first `first_record` of the new worker: output flows
#   caught up    the first `sample` of the new worker whose input position
#                (records read from the topic) is at least the position at
#                the kill (the crash event's `read`): the job is back where
#                it was (samples come every 100 ms: that is the resolution)
#   replayed     records read again: position at the kill minus the
#                offsets the sources restored
# Prints medians over every kill of every run; writes
# bench/results/recovery.json. Figures, not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
runs=${RUNS:-3}
records=${RECORDS:-1000000}
read -r -a intervals <<< "${RECOVERY_INTERVALS:-100ms 500ms 1s 2s}"
make --no-print-directory build/snapbed >/dev/null
out=$(bench_out recovery)
for i in "${intervals[@]}"; do
    cat > "$out/recovery-$i.yaml" <<YAML
# bench/recovery.sh: two kills at seeded points of progress, checkpoints every $i.
name: recovery-$i
input: { partitions: 8, records: $records, seed: 5 }
pipeline:
  parallelism: 2
  map: uppercase
  filter: "startswith:A"
execution.checkpointing.interval: $i
restart-strategy.fixed-delay.delay: 100ms
faults:
  - do: crash
    random: 2
expect: { exactly_once: true }
YAML
done
for r in $(seq 1 "$runs"); do
    for i in "${intervals[@]}"; do
        dir="$out/$i-$r"
        echo "bench/recovery: run $r/$runs, checkpoints every $i" >&2
        if ! ./build/snapbed run "$out/recovery-$i.yaml" -q -o "$dir" >"$dir.log" 2>&1; then
            echo "bench/recovery: the run in $dir did not verify:" >&2
            tail -20 "$dir.log" >&2
            exit 1
        fi
    done
done
PYTHONPATH=bench python3 - "$out" "$runs" "${intervals[*]}" <<'PY'
import json, sys
import lib
out, runs, intervals = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()

def events(path):
    evs = []
    for line in open(path):
        try:
            evs.append(json.loads(line))
        except ValueError:
            pass  # a line cut by a kill
    return evs

def recoveries(evs):
    """One dict per kill that a worker recovered from."""
    workers = [e for e in evs if e["event"] == "worker_started"]
    crashes = [e for e in evs if e["event"] == "crash"]
    out = []
    for c in crashes:
        after = [w for w in workers if w["t_ns"] > c["t_ns"]]
        before = [w for w in workers if w["t_ns"] < c["t_ns"]]
        if not after or not before:
            continue
        new = after[0]["worker_pid"]
        mine = [e for e in evs if e.get("pid") == new]
        at_kill = c["read"]
        def first(name):
            t = [e["t_ns"] for e in mine if e["event"] == name]
            return (min(t) - c["t_ns"]) / 1e9 if t else None
        caught = [e["t_ns"] for e in mine if e["event"] == "sample" and e["read"] >= at_kill]
        restored = [e for e in mine if e["event"] == "restore"]
        started = [sum(e["offsets"].values()) for e in mine if e["event"] == "source_started"]
        out.append({
            "restore_s": first("restore"), "source_started_s": first("source_started"),
            "first_record_s": first("first_record"),
            "caught_up_s": (caught[0] - c["t_ns"]) / 1e9 if caught else None,
            "restored_from": restored[0]["checkpoint"] if restored else None,
            "position_at_kill": at_kill,
            "replayed": at_kill - sum(started) if started else None,
        })
    return out

keys = ["restore_s", "first_record_s", "caught_up_s", "replayed"]
fig = {}
for i in intervals:
    kills = []
    for r in range(1, runs + 1):
        kills += recoveries(events(f"{out}/{i}-{r}/trace.jsonl"))
    fig[i] = {k: lib.median(x[k] for x in kills) for k in keys}
    fig[i].update({"kills": len(kills), "caught_up_max_s": lib.pct([x["caught_up_s"] for x in kills], 100),
                   "each": kills})
print(f"recovery after SIGKILL (median over every kill of {runs} runs; restart delay 100 ms)")
print(f"{'interval':9} {'kills':>5} {'restore s':>10} {'first record s':>15} {'caught up s':>12} {'max s':>7} {'replayed':>9}")
for i in intervals:
    f = fig[i]
    print(f"{i:9} {f['kills']:>5} {lib.fmt(f['restore_s'], '.3f', 10)} {lib.fmt(f['first_record_s'], '.3f', 15)} "
          f"{lib.fmt(f['caught_up_s'], '.3f', 12)} {lib.fmt(f['caught_up_max_s'], '.3f', 7)} {lib.fmt(f['replayed'], '.0f', 9)}")
lib.write("recovery", {"runs": runs, "intervals": fig,
                       "definitions": {"caught_up": "first sample of the new worker whose input position >= the crash event's read (100 ms samples)",
                                       "replayed": "input position at the kill minus the restored source offsets"}})
PY
