#!/usr/bin/env bash
# tests/fuzz/check-input.sh — damaged traces through `snapbed check` and
# `snapbed viz`, as a user would hand them over (issue #15, part 7). Each
# row: a trace, the exit status wanted, and words the message must hold.
# The first row is the negative control: the intact trace passes, so the
# others fail for their damage alone.
# usage: tests/fuzz/check-input.sh   (SNAPBED=path overrides the binary)
set -uo pipefail
cd "$(dirname "$0")/../.."
snapbed="${SNAPBED:-./build/snapbed}"
work=$(mktemp -d /tmp/snapbed-check-input-XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0

# A small finished run: the simulator writes it whole in a fraction of a second.
if ! "$snapbed" sim scenarios/sim/fan-in-4.yaml -o "$work/run" >/dev/null 2>&1; then
    echo "check-input: cannot make the run to damage (snapbed sim scenarios/sim/fan-in-4.yaml)"
    exit 1
fi
whole="$work/run/trace.jsonl"
lines=$(wc -l < "$whole")
half=$((lines / 2))
head -n "$half" "$whole" > "$work/cut.jsonl"
{ head -n "$half" "$whole"; sed -n "${half},\$p" "$whole"; } > "$work/repeat.jsonl"
printf '{"event":"job_graph"}\n{"event":"checkpoint_triggered"}\n' > "$work/two-lines.jsonl"

# row NAME TRACE WANT_EXIT TEXT: snapbed check must exit WANT_EXIT, saying TEXT.
row() {
    local name="$1" trace="$2" want="$3" text="$4" rc
    "$snapbed" check "$trace" > "$work/$name.out" 2>&1
    rc=$?
    if [ "$rc" -ne "$want" ] || ! grep -qF -- "$text" "$work/$name.out"; then
        echo "check-input: FAIL $name: snapbed check exited $rc (want $want), said:"
        sed 's/^/    /' "$work/$name.out" | head -5
        failures=$((failures + 1))
    else
        echo "check-input: ok   $name: exit $rc, \"$text\""
    fi
}

row intact "$whole" 0 "RESULT: OK"
row two-lines "$work/two-lines.jsonl" 2 "has no checkpoint number"
row cut-between-lines "$work/cut.jsonl" 2 "ends at line $half"
row line-written-twice "$work/repeat.jsonl" 2 "line $((half + 1)) repeats line $half"

# viz draws what a cut trace holds, and says where it ends.
# viz_cut NAME WANT_EXIT [OPTION]: snapbed viz on the cut trace must exit
# WANT_EXIT and name where the trace ends.
viz_cut() {
    local name=$1 want=$2 rc
    "$snapbed" viz ${3:-} "$work/cut.jsonl" -o "$work/viz" > "$work/viz.out" 2>&1
    rc=$?
    if [ "$rc" -ne "$want" ] || ! grep -qF "ends at line $half" "$work/viz.out"; then
        echo "check-input: FAIL $name: snapbed viz ${3:-}exited $rc (want $want), and must" \
             "name the end:"
        sed 's/^/    /' "$work/viz.out" | head -5
        failures=$((failures + 1))
    else
        echo "check-input: ok   $name: exit $want, \"ends at line $half\""
    fi
}
viz_cut viz-cut 2               # refused: the pictures would end early
viz_cut viz-cut-partial 0 --partial
"$snapbed" viz "$whole" -o "$work/viz-whole" > "$work/viz-whole.out" 2>&1
if grep -q "incomplete" "$work/viz-whole.out"; then
    echo "check-input: FAIL viz-intact: snapbed viz warned on a whole trace"
    failures=$((failures + 1))
fi
[ "$failures" -eq 0 ] || exit 1
echo "check-input: every damaged trace refused with its reason"
