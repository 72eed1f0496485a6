#!/usr/bin/env bash
# End to end: records/s through the whole job (Kafka -> map -> filter ->
# two-phase-commit sink) for RECORDS records (default 1 M) of RECORD_BYTES
# bytes (default 100, input.record_bytes) over PARTITIONS partitions
# (default 32: the embedded Kafka keeps about 5 MB per partition), with
# checkpointing off, every 1 s and every 100 ms (E2E_INTERVALS), on file://
# and on the real S3 server (E2E_STORES; S3 as bench/common.sh decides),
# against the embedded Kafka and a real broker (E2E_BROKERS "mock real").
#
# "Off": snapbed cannot switch checkpointing off, because its sink only
# publishes what a completed checkpoint covers. The interval is set to 1 h,
# far beyond the run, so the only checkpoint is the final one taken when the
# bounded input ends: the job's whole output is committed once.
#
# Each run must verify (exactly-once OK): a wrong run is an error here, not
# a figure. In every repetition (RUNS, default 3) the local limit of each
# broker (bench_kafka_limit on the same input) is measured first, back to
# back with the runs, so the ratio job/limit compares like with like.
# records/s is the supervisor's figure: records over the job's wall time,
# from starting the first worker to the job's end (worker start, final
# checkpoint and commit included). Writes bench/results/e2e.json.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
runs=$bench_runs records=$bench_records bytes=$bench_bytes partitions=$bench_partitions
read -r -a intervals <<< "${E2E_INTERVALS:-off 1s 100ms}"
read -r -a stores <<< "${E2E_STORES:-file s3}"
read -r -a brokers <<< "${E2E_BROKERS:-mock real}"
make --no-print-directory build/snapbed build/bench_kafka_limit >/dev/null
out=$(bench_out e2e)

have_real=0; have_s3=0
if [[ " ${brokers[*]} " == *" real "* ]]; then
    bench_kafka_start
    [ -n "$bench_bootstrap" ] && have_real=1
fi
if [[ " ${stores[*]} " == *" s3 "* ]]; then
    bench_s3_start
    [ -n "$S3_ENDPOINT" ] && have_s3=1
fi

for i in "${intervals[@]}"; do
    ms=$i; [ "$i" = off ] && ms=1h
    cat > "$out/e2e-$i.yaml" <<YAML
# bench/e2e.sh: the seed's job on ~${bytes}-byte records, checkpoint interval $i.
name: e2e-$i
input: { partitions: $partitions, records: $records, seed: 42, record_bytes: $bytes }
pipeline:
  parallelism: 2
  map: uppercase
  filter: "startswith:A"
  sink: file://output
execution.checkpointing.interval: $ms
state.checkpoints.dir: file://checkpoints
expect: { exactly_once: true }
YAML
done

for r in $(seq 1 "$runs"); do
    for b in "${brokers[@]}"; do
        kafka=()
        if [ "$b" = real ]; then
            [ "$have_real" = 1 ] || continue
            kafka=(--kafka "$bench_bootstrap")
        fi
        for s in "${stores[@]}"; do
            store=()
            if [ "$s" = s3 ]; then
                [ "$have_s3" = 1 ] || continue
                store=(--sink "s3://snapbed-test/bench-e2e/output" --checkpoints "s3://snapbed-test/bench-e2e/checkpoints")
            fi
            for i in "${intervals[@]}"; do
                dir="$out/$b-$s-$i-$r"
                echo "bench/e2e: run $r/$runs, kafka $b, store $s, checkpoints $i" >&2
                if ! ./build/snapbed run "$out/e2e-$i.yaml" "${kafka[@]}" "${store[@]}" -q -o "$dir" >"$dir.log" 2>&1; then
                    echo "bench/e2e: the run in $dir did not verify:" >&2
                    tail -20 "$dir.log" >&2
                    exit 1
                fi
            done
        done
        # The limit on the same input, right after the job read it.
        echo "bench/e2e: run $r/$runs, local limit on kafka $b" >&2
        if [ "$b" = mock ]; then
            ./build/bench_kafka_limit --mock --records "$records" --record-bytes "$bytes" \
                --partitions "$partitions" --runs 1 >> "$out/limit-mock.jsonl"
        else
            topic=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["topic"])' \
                "$out/real-${stores[0]}-${intervals[0]}-$r/input.json")
            ./build/bench_kafka_limit --bootstrap "$bench_bootstrap" --topic "$topic" \
                --partitions "$partitions" --runs 1 >> "$out/limit-real.jsonl"
        fi
    done
done

PYTHONPATH=bench python3 - "$out" "$runs" "$records" "$bytes" "${intervals[*]}" "${stores[*]}" "${brokers[*]}" <<'PY'
import json, os, sys
import lib
out, runs, records, nbytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
intervals, stores, brokers = sys.argv[5].split(), sys.argv[6].split(), sys.argv[7].split()
limit = {}
for b in brokers:
    p = f"{out}/limit-{b}.jsonl"
    if os.path.exists(p):
        rows = [json.loads(l) for l in open(p)]
        limit[b] = {"records_per_s": lib.median(r["records_per_s"] for r in rows), "passes": rows}
fig = {}
for b in brokers:
    for s in stores:
        for i in intervals:
            per_run = []
            for r in range(1, runs + 1):
                d = f"{out}/{b}-{s}-{i}-{r}"
                if not os.path.exists(f"{d}/summary.json"):
                    continue
                sm = json.load(open(f"{d}/summary.json"))
                per_run.append({"records_per_s": sm["records_per_s"], "duration_s": sm["duration_s"],
                                "checkpoints": sm["checkpoints_completed"],
                                "records_in": sm["exactly_once"]["records_in"],
                                "committed": sm["exactly_once"]["committed"]})
            if per_run:
                fig[f"{b}/{s}/{i}"] = {
                    "broker": b, "store": s, "interval": i,
                    "records_per_s": lib.median(x["records_per_s"] for x in per_run),
                    "checkpoints": lib.median(x["checkpoints"] for x in per_run),
                    "runs": per_run}
for k, f in fig.items():
    f["to_limit"] = lib.ratio(f["records_per_s"], limit.get(f["broker"], {}).get("records_per_s"))
    off = fig.get(f"{f['broker']}/{f['store']}/off")
    f["to_off"] = lib.ratio(f["records_per_s"], off["records_per_s"] if off else None)
print(f"end to end: {records} records of {nbytes} bytes, Kafka -> map -> filter -> sink (median of {runs} runs)")
print(f"{'kafka':6} {'store':6} {'checkpoints':>11} {'chk done':>8} {'k records/s':>12} {'vs limit':>9} {'vs off':>7}")
for k, f in fig.items():
    print(f"{f['broker']:6} {f['store']:6} {f['interval']:>11} {f['checkpoints']:>8.0f} "
          f"{f['records_per_s'] / 1e3:>12.1f} {lib.fmt(f['to_limit'], '.3f', 9)} {lib.fmt(f['to_off'], '.3f', 7)}")
for b, l in limit.items():
    print(f"local limit on {b}: {l['records_per_s'] / 1e3:.0f} k records/s (bench_kafka_limit, same input)")
lib.write("e2e", {"runs": runs, "records": records, "record_bytes": nbytes,
                  "off_means": "execution.checkpointing.interval: 1h (only the final checkpoint)",
                  "limit": limit, "configs": fig})
PY
