#!/usr/bin/env bash
# Channel handoff: records/s through one runtime channel (runtime/channel.h,
# ck_ring) between two threads, against a mutex+condvar bounded queue of the
# same capacity moving the same records, in two configurations:
#   steady    every item of the channel in flight (31 x 256 records): the
#             ring is seldom full or empty, waits are rare
#   blocking  one item in flight: every handoff finds the ring full (writer)
#             or empty (reader) and takes the blocking path
# RUNS runs of each (default 5), interleaved so that load on the machine
# hits every queue alike; prints the medians and ck/mutex per configuration.
# CHANNEL_RECORDS records per run (default 20 M steady, a tenth blocking).
# Writes bench/results/channel.json. Figures, not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
records=${CHANNEL_RECORDS:-20000000}
make --no-print-directory build/bench_channel >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for r in $(seq 1 "$runs"); do
    for q in ck mutex; do
        echo "bench/channel: run $r/$runs, $q" >&2
        ./build/bench_channel --queue "$q" --records "$records" >> "$out/steady.jsonl"
        ./build/bench_channel --queue "$q" --items 1 --records $((records / 10)) >> "$out/blocking.jsonl"
    done
done
PYTHONPATH=bench python3 - "$out" "$runs" <<'PY'
import json, sys
import lib
out, runs = sys.argv[1], int(sys.argv[2])
fig = {}
for conf in ("steady", "blocking"):
    rows = [json.loads(l) for l in open(f"{out}/{conf}.jsonl")]
    fig[conf] = {}
    for q in ("ck", "mutex"):
        mine = [r for r in rows if r["queue"] == q]
        fig[conf][q] = {
            "items": mine[0]["items"], "batch": mine[0]["batch"], "records": mine[0]["records"],
            "records_per_s": lib.median(r["records_per_s"] for r in mine),
            "producer_waits_per_item": lib.median(r["producer_waits"] * r["batch"] / r["records"] for r in mine),
            "consumer_waits_per_item": lib.median(r["consumer_waits"] * r["batch"] / r["records"] for r in mine),
            "runs": mine,
        }
    fig[conf]["ck_to_mutex"] = lib.ratio(fig[conf]["ck"]["records_per_s"], fig[conf]["mutex"]["records_per_s"])
print(f"channel handoff, two threads (median of {runs} runs)")
print(f"{'config':9} {'queue':6} {'items':>5} {'batch':>5} {'M records/s':>12} {'writer waits/item':>18} {'reader waits/item':>18} {'ck/mutex':>9}")
for conf in ("steady", "blocking"):
    for q in ("ck", "mutex"):
        f = fig[conf][q]
        r = lib.fmt(fig[conf]["ck_to_mutex"], ".2f") if q == "ck" else ""
        print(f"{conf:9} {q:6} {f['items']:>5} {f['batch']:>5} {f['records_per_s'] / 1e6:>12.1f} "
              f"{f['producer_waits_per_item']:>18.3f} {f['consumer_waits_per_item']:>18.3f} {r:>9}")
lib.write("channel", {"runs": runs, "configs": fig})
PY
