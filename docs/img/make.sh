#!/usr/bin/env bash
# Regenerates the pictures of docs/pictures.md from fresh runs: the
# teaching-size scenarios of this folder, the snapshot-on-first-barrier
# mutant with the record trace, and the synthetic orphan trace. Timings
# differ from run to run; what the pictures show does not.
#
# usage: docs/img/make.sh   (after `make build/snapbed`; SNAPBED=... for
#                            another binary)
set -euo pipefail

cd "$(dirname "$0")/../.."
bin=${SNAPBED:-./build/snapbed}
img=docs/img
mkdir -p out
work=$(mktemp -d out/docs-img-XXXXXX)

run() { # NAME SCENARIO [OPTIONS...]
    local name=$1 scenario=$2
    shift 2
    echo "=== $name"
    "$bin" run "$scenario" -o "$work/$name" -q "$@" > "$work/$name.log" || true
    "$bin" viz "$work/$name" > /dev/null
}

# The checkpoint whose space-time label has the largest "<N> <what>",
# among those with at most `max` batches in the window.
pick() { # NAME WHAT MAX
    local best=0 best_n=-1 f n b
    for f in "$work/$1"/viz/chk-*-spacetime.svg; do
        n=$(grep -o "[0-9]* $2" "$f" | head -1 | cut -d' ' -f1)
        b=$(grep -o "[0-9]* batches in the window" "$f" | head -1 | cut -d' ' -f1)
        [ -n "$n" ] && [ -n "$b" ] && [ "$b" -le "$3" ] && [ "$n" -gt "$best_n" ] || continue
        best_n=$n
        best=$(basename "$f" | sed 's/chk-\([0-9]*\)-.*/\1/')
    done
    echo "$best"
}

copy() { # NAME CHECKPOINT PICTURE DEST
    cp "$work/$1/viz/chk-$2-$3.svg" "$img/$4.svg"
    echo "  $img/$4.svg (chk-$2)"
}

run teaching "$img/teaching.yaml"
copy teaching 2 graph graph
copy teaching 2 spacetime spacetime
copy teaching 2 gantt gantt

run unaligned "$img/teaching-unaligned.yaml"
id=$(pick unaligned "channel state" 150)
copy unaligned "$id" graph graph-unaligned
copy unaligned "$id" spacetime spacetime-unaligned

run faults "$img/teaching-faults.yaml"
cp "$work/faults/viz/timeline.svg" "$img/timeline.svg"
echo "  $img/timeline.svg"

run mutant scenarios/mutant-snapshot-on-first-barrier.yaml --trace records
id=$(pick mutant "in flight not recorded" 80)
copy mutant "$id" graph graph-mutant
copy mutant "$id" spacetime spacetime-mutant

echo "=== orphan (synthetic trace)"
mkdir -p "$work/orphan"
"$bin" viz "$img/orphan-trace.jsonl" --checkpoint 1 -o "$work/orphan/viz" > /dev/null
copy orphan 1 spacetime spacetime-orphan

echo "=== classic Chandy–Lamport without FIFO (simulated)"
"$bin" sim scenarios/sim/cl-ring-no-fifo.yaml -q -o "$work/cl-no-fifo" > /dev/null || true
"$bin" viz "$work/cl-no-fifo" --checkpoint 1 --arrows 100 -o "$work/cl-no-fifo/viz" > /dev/null
for p in spacetime graph; do
    cp "$work/cl-no-fifo/viz/snap-1-$p.svg" "$img/$p-cl-no-fifo.svg"
    echo "  $img/$p-cl-no-fifo.svg (snapshot 1)"
done

echo "runs kept in $work"
