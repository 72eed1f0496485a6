#!/usr/bin/env bash
# Local limit: how fast librdkafka alone reads the input topic (no
# processing, no sink), with the job source's consumer settings: the ceiling
# of the pipeline. On the embedded mock cluster (filled in the same process,
# as snapbed's supervisor does) and on a real Apache Kafka broker
# (scripts/kafka-start.sh on BENCH_KAFKA_PORT, default 49092), for RECORDS
# records (default 1 M) of RECORD_BYTES bytes (default 100) over PARTITIONS
# partitions (default 32: the mock keeps about 5 MB per partition). Each
# topic is read RUNS times (default 3); prints the medians and writes
# bench/results/kafka_limit.json. Figures, not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/common.sh
runs=$bench_runs records=$bench_records bytes=$bench_bytes partitions=$bench_partitions
make --no-print-directory build/bench_kafka_limit >/dev/null
out=$(bench_out kafka-limit)
echo "bench/kafka_limit: mock cluster, $records records of $bytes bytes" >&2
./build/bench_kafka_limit --mock --records "$records" --record-bytes "$bytes" \
    --partitions "$partitions" --runs "$runs" > "$out/mock.jsonl"
bench_kafka_start
bootstrap=$bench_bootstrap
if [ -n "$bootstrap" ]; then
    echo "bench/kafka_limit: real broker $bootstrap, $records records of $bytes bytes" >&2
    ./build/bench_kafka_limit --bootstrap "$bootstrap" --topic "bench-limit-$$" --records "$records" \
        --record-bytes "$bytes" --partitions "$partitions" --runs "$runs" > "$out/real.jsonl"
fi
PYTHONPATH=bench python3 - "$out" "$runs" <<'PY'
import json, os, sys
import lib
out, runs = sys.argv[1], int(sys.argv[2])
fig = {}
for broker in ("mock", "real"):
    path = f"{out}/{broker}.jsonl"
    if not os.path.exists(path):
        continue
    rows = [json.loads(l) for l in open(path)]
    fig[broker] = {
        "records": rows[0]["records"], "partitions": rows[0]["partitions"],
        "value_bytes": rows[0]["value_bytes"],
        "records_per_s": lib.median(r["records_per_s"] for r in rows),
        "mb_per_s": lib.median(r["mb_per_s"] for r in rows),
        "steady_records_per_s": lib.median(r["records"] / r["steady_seconds"] for r in rows),
        "passes": rows,
    }
print(f"local limit: librdkafka consume only (median of {runs} passes)")
print(f"{'broker':7} {'records':>9} {'part.':>5} {'k records/s':>12} {'MB/s':>7} {'steady k rec/s':>15}")
for b, f in fig.items():
    print(f"{b:7} {f['records']:>9} {f['partitions']:>5} {f['records_per_s'] / 1e3:>12.0f} "
          f"{f['mb_per_s']:>7.1f} {f['steady_records_per_s'] / 1e3:>15.0f}")
if "real" not in fig:
    print("real broker: not measured (see the message above)")
lib.write("kafka_limit", {"runs": runs, "brokers": fig})
PY
