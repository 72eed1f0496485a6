#!/usr/bin/env bash
# Simulator speed on one core: bench/sim-large.yaml (2.5 million events, no
# record trace) under RUNS seeds (default 3), then the same with the record
# trace on (every record's send and receive is a trace line), then how many
# teaching-size runs (scenarios/sim/diamond.yaml, checks included) go in a
# minute; and bench/sim-cl-large.yaml, classic Chandy–Lamport on a complete
# graph of 16 processes. Prints events per second per run and the median. Only the event
# loop is timed for events/s (snapbed sim's own figure); the seeds per
# minute include the checks and writing the run folder.
# This is a measurement, not a test: nothing here passes or fails on timing.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-3}
make --no-print-directory build/snapbed >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
rate() { # snapbed sim ... -> events/s
    ./build/snapbed sim "$@" | sed -n 's/.*(\([0-9]*\) events\/s).*/\1/p'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
sed 's/^trace: checkpoints/trace: records/' bench/sim-large.yaml > "$out/sim-large-records.yaml"
for kind in checkpoints records; do
    file=bench/sim-large.yaml
    [ "$kind" = records ] && file="$out/sim-large-records.yaml"
    for s in $(seq 1 "$runs"); do
        r=$(rate "$file" --seed "$s" -o "$out/$kind-$s")
        echo "sim-large, trace: $kind, seed $s: $r events/s"
        echo "$r" >> "$out/$kind.rates"
        rm -rf "$out/$kind-$s"
    done
    echo "sim-large, trace: $kind: median $(median < "$out/$kind.rates") events/s on one core"
done
for s in $(seq 1 "$runs"); do
    r=$(rate bench/sim-cl-large.yaml --seed "$s" -o "$out/cl-$s")
    echo "sim-cl-large (classic Chandy–Lamport), seed $s: $r events/s"
    echo "$r" >> "$out/cl.rates"
    rm -rf "$out/cl-$s"
done
echo "sim-cl-large: median $(median < "$out/cl.rates") events/s on one core"
start=$(date +%s.%N)
n=0
while awk -v s="$start" -v now="$(date +%s.%N)" 'BEGIN {exit !(now - s < 20)}'; do
    n=$((n + 1))
    ./build/snapbed sim scenarios/sim/diamond.yaml --seed "$n" -q -o "$out/d-$n" >/dev/null
    rm -rf "$out/d-$n"
done
secs=$(awk -v s="$start" -v now="$(date +%s.%N)" 'BEGIN {print now - s}')
awk -v n="$n" -v t="$secs" 'BEGIN {printf "diamond (2000 records x 2, record trace, checks, files): %d seeds in %.1f s = %.0f seeds per minute\n", n, t, n * 60 / t}'
