#!/usr/bin/env bash
# The determinism gate: the simulator's promise is that a scenario and a
# seed give the same trace, byte for byte (docs/sim.md). A sample of
# scenarios/sim/ and of the fault scenarios of scenarios/ that `snapbed sim`
# accepts, a few seeds each, is run twice — both runs at once, so that load
# and scheduling cannot leak into the result — and the traces compared. A
# difference fails and prints the first differing event: its line number and
# both lines, trimmed.
#
# Controls, on the same comparison function (not a different code path):
# two different seeds must be reported different; a copy of a trace with
# one line changed in the middle must be reported at exactly that line; a
# copy cut short must be reported at the line where it ends. A gate that
# cannot see a difference fails here.
#
# About a minute on two cores. usage: tests/determinism.sh
#   (SNAPBED=binary, DET_OUT=DIR keeps the runs, DET_SEEDS="1 7 42" sim seeds)
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${SNAPBED:-./build/snapbed}
out=${DET_OUT:-$(mktemp -d /tmp/snapbed-determinism.XXXXXX)}
[ -n "${DET_OUT:-}" ] || trap 'rm -rf "$out"' EXIT
mkdir -p "$out"
sim_seeds=${DET_SEEDS:-1 7 42}
fault_seeds="1 2"
# Pipelines (aligned, unaligned with backpressure, alignment timeout, a
# task crash, a mutant), a fan-in and classic Chandy-Lamport with a crash;
# then faults of the scenario library in virtual time.
sim_sample="diamond fan-in-4 unaligned-backpressure timeout-merge task-crash
            mutant-drop-channel-state cl-ring-crash"
fault_sample="crash-mid-commit kill-during-final unaligned-kills"
failures=0
pairs=0

fail() {
    echo "determinism FAILED: $*" >&2
    failures=$((failures + 1))
}

# same_trace A B: 0 when identical; else prints the first differing line
# (number, both lines trimmed to 200 characters) and returns 1.
same_trace() {
    cmp -s "$1" "$2" && return 0
    python3 - "$1" "$2" <<'EOF'
import itertools, sys
def trim(line):
    if line is None:
        return "(the trace ends here)"
    line = line.rstrip("\n")
    return line if len(line) <= 200 else line[:200] + "..."
with open(sys.argv[1], errors="replace") as a, open(sys.argv[2], errors="replace") as b:
    for n, (x, y) in enumerate(itertools.zip_longest(a, b), 1):
        if x != y:
            print(f"  first difference at line {n}:")
            print(f"    {sys.argv[1]}: {trim(x)}")
            print(f"    {sys.argv[2]}: {trim(y)}")
            break
    else:
        print("  the traces differ in bytes but not in lines (a stray byte?)")
EOF
    return 1
}

# run_twice FILE SEED: two runs at once, then the comparison.
run_twice() {
    local f="$1" seed="$2" n
    n="$(basename "$f" .yaml)-seed$seed"
    "$bin" sim "$f" --seed "$seed" -q -o "$out/$n-a" > "$out/$n-a.log" 2>&1 &
    local pid=$!
    "$bin" sim "$f" --seed "$seed" -q -o "$out/$n-b" > "$out/$n-b.log" 2>&1
    wait "$pid"
    pairs=$((pairs + 1))
    for r in a b; do
        [ -s "$out/$n-$r/trace.jsonl" ] || { fail "$f seed $seed: run $r wrote no trace"; return; }
    done
    if same_trace "$out/$n-a/trace.jsonl" "$out/$n-b/trace.jsonl" > "$out/$n.diff"; then
        echo "same    $f seed $seed ($(wc -l < "$out/$n-a/trace.jsonl") events)"
    else
        fail "$f seed $seed: two runs wrote different traces"
        cat "$out/$n.diff" >&2
    fi
}

t0=$(date +%s)
echo "=== determinism: the same scenario and seed twice, byte for byte"
for name in $sim_sample; do
    for seed in $sim_seeds; do run_twice "scenarios/sim/$name.yaml" "$seed"; done
done
for name in $fault_sample; do
    f="scenarios/$name.yaml"
    if "$bin" sim "$f" --check 2>/dev/null | grep 'for snapbed run only' >/dev/null; then
        fail "$f: the sample names a scenario the simulator does not run"
        continue
    fi
    for seed in $fault_seeds; do run_twice "$f" "$seed"; done
done

echo "=== determinism controls: the comparison sees a difference"
ref="$out/diamond-seed1-a/trace.jsonl"
if [ ! -s "$ref" ]; then
    fail "no reference trace for the controls"
else
    # Another seed, another trace.
    if same_trace "$ref" "$out/diamond-seed7-a/trace.jsonl" > "$out/control-seed.diff"; then
        fail "control: seeds 1 and 7 of diamond gave the same trace"
    else
        grep -q "first difference at line [0-9]" "$out/control-seed.diff" ||
            fail "control: two seeds differ but no line was named"
    fi
    # One event perturbed in the middle: named at exactly its line.
    lines=$(wc -l < "$ref")
    mid=$((lines / 2))
    sed "${mid}s/\"t_ns\":[0-9]*/\"t_ns\":1/" "$ref" > "$out/perturbed.jsonl"
    same_trace "$ref" "$out/perturbed.jsonl" > "$out/control-perturbed.diff" &&
        fail "control: a trace with line $mid perturbed was judged the same"
    grep -q "first difference at line $mid:" "$out/control-perturbed.diff" ||
        fail "control: the perturbed line $mid was not named (got: $(head -1 "$out/control-perturbed.diff"))"
    # A trace cut short: named where it ends.
    head -n $((lines - 3)) "$ref" > "$out/cut.jsonl"
    same_trace "$ref" "$out/cut.jsonl" > "$out/control-cut.diff" &&
        fail "control: a trace cut short was judged the same"
    grep -q "first difference at line $((lines - 2)):" "$out/control-cut.diff" &&
        grep -q "(the trace ends here)" "$out/control-cut.diff" ||
        fail "control: a trace cut short was not named at its end"
fi

if [ $failures -gt 0 ]; then
    echo "determinism: $failures failure(s) in $pairs pairs ($(( $(date +%s) - t0 )) s)" >&2
    exit 1
fi
echo "determinism: OK, $pairs pairs byte-identical, controls caught ($(( $(date +%s) - t0 )) s)"
