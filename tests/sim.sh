#!/usr/bin/env bash
# The simulator end to end, through the CLI. For every scenarios/sim/*.yaml:
#   - `snapbed sim` exits 0 for correct protocols and 1 for mutants
#     (mutant-*.yaml) and broken FIFO (*-no-fifo.yaml), and writes
#     trace.jsonl, summary.json, scenario.yaml;
#   - pipeline runs: `snapbed check` on the run folder agrees (0, or 1 for
#     mutants): the cut checker reads a simulated trace unchanged; `snapbed
#     viz` draws it (exit 0, a timeline and well-formed SVGs).
# Then: the same scenario and seed twice give byte-identical traces, another
# seed another trace; --explore finds nothing in a correct scenario and
# finds every pipeline mutant (and non-FIFO channels) within 40 seeds, with
# a replay command; --shrink makes two mutants' runs smaller and the shrunk
# scenarios replay the failure; --step narrates
# (without pausing when stdin is not a terminal); bad invocations exit 2.
#
# usage: tests/sim.sh      (SNAPBED=... another binary, SIM_OUT=DIR keep runs)
set -uo pipefail

cd "$(dirname "$0")/.."
bin=${SNAPBED:-./build/snapbed}
out=${SIM_OUT:-out/sim-check-$(date +%Y%m%d-%H%M%S)-$$}
mkdir -p "$out"
failures=0

fail() {
    echo "sim check FAILED: $*" >&2
    failures=$((failures + 1))
}

for f in scenarios/sim/*.yaml; do
    name=$(basename "$f" .yaml)
    want=0
    case $name in mutant-* | *-no-fifo) want=1 ;; esac
    echo "=== $name"
    "$bin" sim "$f" -o "$out/$name" > "$out/$name.log" 2>&1
    rc=$?
    [ $rc -eq $want ] || fail "$name: snapbed sim exited $rc, want $want (see $out/$name.log)"
    for file in trace.jsonl summary.json scenario.yaml; do
        [ -s "$out/$name/$file" ] || fail "$name: no $file"
    done
    # Classic Chandy–Lamport runs have their own checker (conservation);
    # snapbed check and viz read the pipeline's events.
    grep -q "model: chandy-lamport" "$f" && continue
    "$bin" check "$out/$name" > "$out/$name.check.log" 2>&1
    rc=$?
    # A mutant may break exactly-once without breaking a cut (and the other
    # way round): check must agree with the sim's own cut verdict.
    cuts_ok=$(python3 -c "import json,sys; print(int(json.load(open(sys.argv[1]))['cuts']['ok']))" \
              "$out/$name/summary.json")
    [ $rc -eq $((1 - cuts_ok)) ] ||
        fail "$name: snapbed check exited $rc, the sim's cut verdict says ok=$cuts_ok"
    "$bin" viz "$out/$name" -o "$out/$name/viz" > "$out/$name.viz.log" 2>&1 ||
        fail "$name: snapbed viz exited $? (see $out/$name.viz.log)"
    [ -s "$out/$name/viz/timeline.svg" ] || fail "$name: no timeline.svg"
    for svg in "$out/$name"/viz/*.svg; do
        python3 -c "import sys, xml.dom.minidom as m; m.parse(sys.argv[1])" "$svg" 2>/dev/null ||
            fail "$name: $svg is not well-formed XML"
    done
done

echo "=== determinism"
"$bin" sim scenarios/sim/unaligned-backpressure.yaml --seed 11 -q -o "$out/det-a" > /dev/null
"$bin" sim scenarios/sim/unaligned-backpressure.yaml --seed 11 -q -o "$out/det-b" > /dev/null
"$bin" sim scenarios/sim/unaligned-backpressure.yaml --seed 12 -q -o "$out/det-c" > /dev/null
cmp -s "$out/det-a/trace.jsonl" "$out/det-b/trace.jsonl" ||
    fail "the same seed gave two different traces"
cmp -s "$out/det-a/trace.jsonl" "$out/det-c/trace.jsonl" &&
    fail "seeds 11 and 12 gave the same trace"

echo "=== explore"
"$bin" sim scenarios/sim/diamond.yaml --explore 20 --jobs 2 > "$out/explore-ok.log" 2>&1 ||
    fail "diamond --explore 20: want exit 0 (see $out/explore-ok.log)"
# Every pipeline mutant (and channels that reorder) is found within 40
# seeds, with the command that replays the first failing one.
for f in scenarios/sim/mutant-*.yaml scenarios/sim/*-no-fifo.yaml; do
    name=$(basename "$f" .yaml)
    grep -q "model: chandy-lamport" "$f" && continue
    "$bin" sim "$f" --explore 40 --jobs 2 > "$out/explore-$name.log" 2>&1
    rc=$?
    [ $rc -eq 1 ] || fail "$name --explore 40: exited $rc, want 1 (see $out/explore-$name.log)"
    grep -q "^replay: snapbed sim $f --seed " "$out/explore-$name.log" ||
        fail "$name --explore 40: no replay command"
done

echo "=== shrink"
"$bin" sim scenarios/sim/mutant-drop-channel-state.yaml --shrink -o "$out/shrunk" \
    > "$out/shrink.log" 2>&1
[ $? -eq 1 ] || fail "mutant --shrink: want exit 1 (the shrunk run still fails)"
[ -s "$out/shrunk/shrunk.yaml" ] && [ -s "$out/shrunk/trace.jsonl" ] ||
    fail "mutant --shrink: no shrunk.yaml or trace in $out/shrunk"
"$bin" sim "$out/shrunk/shrunk.yaml" --seed 1 -q -o "$out/shrunk-replay" > /dev/null 2>&1
[ $? -eq 1 ] || fail "the shrunk scenario does not fail when replayed"
cmp -s "$out/shrunk/trace.jsonl" "$out/shrunk-replay/trace.jsonl" ||
    fail "the shrunk run and its replay wrote different traces"
# A mutant of the sink's two-phase commit shrinks too, and still fails.
"$bin" sim scenarios/sim/mutant-commit-before-complete.yaml --shrink -o "$out/shrunk-commit" \
    > "$out/shrink-commit.log" 2>&1
[ $? -eq 1 ] || fail "commit-before-complete --shrink: want exit 1"
grep -q '^shrunk in ' "$out/shrink-commit.log" || fail "commit-before-complete --shrink: no summary"
"$bin" sim "$out/shrunk-commit/shrunk.yaml" --seed 1 -q -o "$out/shrunk-commit-replay" \
    > /dev/null 2>&1
[ $? -eq 1 ] || fail "the shrunk commit-before-complete scenario does not fail when replayed"
"$bin" sim scenarios/sim/diamond.yaml --shrink -o "$out/not-shrunk" > /dev/null 2>&1 ||
    fail "--shrink of a passing seed: want exit 0"

echo "=== classic explore"
"$bin" sim scenarios/sim/cl-ring.yaml --explore 200 > "$out/explore-cl.log" 2>&1 ||
    fail "cl-ring --explore 200: want exit 0"
"$bin" sim scenarios/sim/cl-ring-no-fifo.yaml --explore 20 > /dev/null 2>&1
[ $? -eq 1 ] || fail "cl-ring-no-fifo --explore 20: want exit 1"

echo "=== step"
"$bin" sim scenarios/sim/fan-in-4.yaml --step -o "$out/step" < /dev/null > "$out/step.log" 2>&1 ||
    fail "--step: want exit 0 (see $out/step.log)"
for phrase in "still waiting for" "COMPLETED" "CRASH" "restore from checkpoint" "SIM RESULT: OK"; do
    grep -q "$phrase" "$out/step.log" || fail "--step: no '$phrase' in the narration"
done
grep -q '"event"' "$out/step.log" && fail "--step: raw trace lines in the narration"
"$bin" sim scenarios/sim/cl-ring.yaml --step=none -o "$out/step-cl" > "$out/step-cl.log" 2>&1 ||
    fail "--step on classic CL: want exit 0"
for phrase in "receives marker 1" "records its state for snapshot 1" "snapshot 1 COMPLETE"; do
    grep -q "$phrase" "$out/step-cl.log" || fail "--step (classic): no '$phrase'"
done

echo "=== usage"
"$bin" sim > /dev/null 2>&1; [ $? -eq 2 ] || fail "no scenario: want exit 2"
"$bin" sim scenarios/quickstart.yaml -o "$out/not-sim" > /dev/null 2>&1
[ $? -eq 2 ] || fail "a runtime scenario: want exit 2"
"$bin" sim scenarios/sim/diamond.yaml -o "$out/diamond" > /dev/null 2>&1
[ $? -eq 2 ] || fail "a folder in use: want exit 2"
"$bin" sim --help > /dev/null 2>&1 || fail "--help: want exit 0"
"$bin" sim scenarios/sim/diamond.yaml --jobs 2 > /dev/null 2>&1
[ $? -eq 2 ] || fail "--jobs without --explore: want exit 2"
"$bin" sim scenarios/sim/diamond.yaml --explore 0 > /dev/null 2>&1
[ $? -eq 2 ] || fail "--explore 0: want exit 2"

if [ $failures -gt 0 ]; then
    echo "sim check: $failures failure(s); runs in $out" >&2
    exit 1
fi
echo "sim check: OK ($out)"
