#!/usr/bin/env bash
# The simulator end to end, through the CLI. For every scenarios/sim/*.yaml:
#   - `snapbed sim` exits 0 for correct protocols and 1 for mutants
#     (mutant-*.yaml) and broken FIFO (*-no-fifo.yaml), and writes
#     trace.jsonl, summary.json, scenario.yaml, its pictures (viz/) and
#     report.html with the verdict (OK, or VIOLATED for the negative
#     controls) and the checkpoints (pipelines) or snapshots (classic);
#   - `snapbed check` on the run folder agrees with the sim's verdict (the
#     cut checker for pipelines, the conservation checker for classic
#     Chandy–Lamport runs); `snapbed viz` draws it (exit 0, a timeline or
#     the classic index.html, well-formed SVGs; the no-FIFO run has red
#     messages).
# Then (byte-identical traces for a seed are tests/determinism.sh's, the
# determinism gate): --explore finds nothing in a correct scenario and
# finds every pipeline mutant (and non-FIFO channels) within 40 seeds, with
# a replay command; --shrink makes mutants' runs smaller and the shrunk
# scenarios replay the failure; --step narrates (without pausing when stdin
# is not a terminal) and, on a pseudo-terminal, pauses and obeys Enter, c,
# r and q (tests/sim-step.py); bad invocations exit 2.
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
    "$bin" check "$out/$name" > "$out/$name.check.log" 2>&1
    rc=$?
    # check must agree with the sim's own verdict on the snapshots (classic
    # Chandy–Lamport: conservation) or on the cuts (a pipeline mutant may
    # break exactly-once without breaking a cut, and the other way round).
    ok=$(python3 -c "import json,sys; s=json.load(open(sys.argv[1])); \
print(int((s['snapshots'] if 'snapshots' in s else s['cuts'])['ok']))" "$out/$name/summary.json")
    [ $rc -eq $((1 - ok)) ] ||
        fail "$name: snapbed check exited $rc, the sim's verdict says ok=$ok"
    # snapbed sim drew the pictures into viz/ and wrote report.html; snapbed
    # viz draws them again from the trace alone (the same code: for one
    # pipeline and one classic run, which keeps this script short).
    dirs=viz
    case $name in diamond | cl-ring-crash)
        dirs="viz viz-again"
        "$bin" viz "$out/$name" -o "$out/$name/viz-again" > "$out/$name.viz.log" 2>&1 ||
            fail "$name: snapbed viz exited $? (see $out/$name.viz.log)" ;;
    esac
    overview=timeline.svg section=checkpoints
    grep -q "model: chandy-lamport" "$f" && overview=index.html section=snapshots
    for d in $dirs; do
        [ -s "$out/$name/$d/$overview" ] || fail "$name: no $d/$overview"
    done
    verdict='class="ok">OK'
    [ $want -eq 1 ] && verdict='class="bad">VIOLATED'
    report="$out/$name/report.html"
    if [ ! -s "$report" ]; then
        fail "$name: snapbed sim wrote no report.html"
    else
        grep -q "SIM RESULT: <span $verdict" "$report" ||
            fail "$name: report.html does not give the verdict ${verdict#*>}"
        grep -q "<section id=\"$section\">" "$report" || fail "$name: report.html has no $section"
    fi
    for svg in "$out/$name"/viz/*.svg; do
        python3 -c "import sys, xml.dom.minidom as m; m.parse(sys.argv[1])" "$svg" 2>/dev/null ||
            fail "$name: $svg is not well-formed XML"
    done
done

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

"$bin" sim scenarios/sim/cl-ring-no-fifo.yaml --shrink -o "$out/shrunk-cl" > "$out/shrink-cl.log" 2>&1
[ $? -eq 1 ] || fail "cl-ring-no-fifo --shrink: want exit 1"
grep -q "^replay: snapbed sim $out/shrunk-cl/shrunk.yaml --seed 1" "$out/shrink-cl.log" ||
    fail "classic --shrink: no replay command"
"$bin" sim "$out/shrunk-cl/shrunk.yaml" --seed 1 -q -o "$out/shrunk-cl-replay" > /dev/null 2>&1
[ $? -eq 1 ] || fail "the shrunk classic scenario does not fail when replayed"
cmp -s "$out/shrunk-cl/trace.jsonl" "$out/shrunk-cl-replay/trace.jsonl" ||
    fail "the shrunk classic run and its replay wrote different traces"

echo "=== classic pictures"
grep -q 'msg[0-9]*_\(missed\|orphan\|extra\)' "$out"/cl-ring-no-fifo/viz/snap-*-spacetime.svg ||
    fail "cl-ring-no-fifo: no red (missed, orphan, extra) message in its space-time diagrams"
grep -q 'msg[0-9]*_\(missed\|orphan\|extra\)' "$out"/cl-ring/viz/snap-*-spacetime.svg &&
    fail "cl-ring: a red message in a correct run's space-time diagram"
head -c 2000 "$out/cl-ring/trace.jsonl" > "$out/cl-cut.jsonl"
"$bin" check "$out/cl-cut.jsonl" > /dev/null 2> "$out/cl-cut.err"
[ $? -eq 2 ] || fail "check of a cut-short classic trace: want exit 2"
grep -q "cl-cut.jsonl:[0-9]*: the line is cut short" "$out/cl-cut.err" ||
    fail "check of a cut-short classic trace: no FILE:LINE error"

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

# On a terminal: pauses, Enter, c, r, q (through a pseudo-terminal).
python3 tests/sim-step.py "$bin" "$out" > "$out/step-pty.log" 2>&1 ||
    fail "--step on a terminal (see $out/step-pty.log)"

echo "=== usage"
"$bin" sim > /dev/null 2>&1; [ $? -eq 2 ] || fail "no scenario: want exit 2"
"$bin" sim scenarios/broker-kill.yaml -o "$out/not-sim" > /dev/null 2> "$out/not-sim.err"
[ $? -eq 2 ] || fail "a scenario for snapbed run only: want exit 2"
[ "$(wc -l < "$out/not-sim.err")" -eq 1 ] && grep -q "is for snapbed run only: " "$out/not-sim.err" ||
    fail "a scenario for snapbed run only: want one sentence (see $out/not-sim.err)"
"$bin" run scenarios/sim/cl-ring.yaml -o "$out/not-run" > /dev/null 2> "$out/not-run.err"
[ $? -eq 2 ] || fail "snapbed run on a scenario for snapbed sim only: want exit 2"
grep -q "is for snapbed sim only: " "$out/not-run.err" ||
    fail "snapbed run on a scenario for snapbed sim only: want one sentence"
"$bin" sim scenarios/quickstart.yaml -q -o "$out/quickstart" > /dev/null 2>&1 ||
    fail "quickstart.yaml in the simulator: want a verdict and exit 0"

echo "=== every YAML example of the docs parses (snapbed sim --check)"
mkdir -p "$out/docs"
for doc in docs/scenarios.md docs/sim.md docs/teaching.md; do
    awk -v dir="$out/docs" -v base="$(basename "$doc" .md)" '
        /^```yaml$/ { n++; file = dir "/" base "-" n ".yaml"; on = 1; next }
        /^```/ { on = 0 }
        on { print > file }' "$doc"
done
for f in "$out"/docs/*.yaml; do
    [ -e "$f" ] || continue
    "$bin" sim "$f" --check > /dev/null 2> "$f.err" ||
        fail "the example $(basename "$f") of the docs does not parse: $(tail -1 "$f.err")"
done
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
