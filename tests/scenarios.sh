#!/usr/bin/env bash
# The scenario suite: runs every scenario of scenarios/ end to end with
# `snapbed run` and checks that each met its `expect:`. The negative control
# (negative-at-least-once) must additionally be reported as duplicating: the
# suite passes only if the checker says so.
#
# usage: tests/scenarios.sh [SCENARIO.yaml ...]   (default: all of scenarios/)
#        SNAPBED=build-asan/snapbed tests/scenarios.sh …  runs a sanitizer
#        build; any sanitizer report in a worker's log fails the scenario.
#        SNAPBED_ARGS="--kafka 127.0.0.1:19092" tests/scenarios.sh …  passes
#        extra options to every `snapbed run` (here: a real broker).
#        SUITE_OUT=DIR puts the run folders in DIR/<scenario>.
set -uo pipefail

cd "$(dirname "$0")/.."
bin=${SNAPBED:-./build/snapbed}
out=${SUITE_OUT:-out/scenario-suite-$(date +%Y%m%d-%H%M%S)-$$}
mkdir -p "$out"

if [ $# -gt 0 ]; then files=("$@"); else files=(scenarios/*.yaml); fi

passed=0
failed=0
failures=()

# Reads an integer field of the "exactly_once" block of summary.json.
eo_field() {
    sed -n '/"exactly_once"/,/}/p' "$1" | sed -n "s/^ *\"$2\": \([0-9]*\).*/\1/p" | head -1
}

for f in "${files[@]}"; do
    name=$(basename "$f" .yaml)
    dir="$out/$name"
    echo "=== scenario $name"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086 # SNAPBED_ARGS is a list of options
    "$bin" run "$f" -o "$dir" -q ${SNAPBED_ARGS:-}
    rc=$?
    secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
    ok=1
    if [ $rc -ne 0 ]; then
        echo "--- $name: snapbed run exited $rc"
        ok=0
    fi
    if grep -qE 'Sanitizer|runtime error:' "$dir/worker.log" 2>/dev/null; then
        echo "--- $name: a sanitizer reported an error in a worker:"
        grep -E -A5 'Sanitizer|runtime error:' "$dir/worker.log" | head -20
        ok=0
    fi
    if [ $ok -eq 1 ] && [[ "$name" == negative-* ]]; then
        dup=$(eo_field "$dir/summary.json" duplicated)
        if [ -z "$dup" ] || [ "$dup" -eq 0 ]; then
            echo "--- $name: the negative control reported no duplicates"
            ok=0
        fi
    fi
    if [ $ok -eq 1 ]; then
        echo "=== PASS $name (${secs}s)"
        passed=$((passed + 1))
    else
        echo "=== FAIL $name (${secs}s); run folder $dir"
        failed=$((failed + 1))
        failures+=("$name")
    fi
done

echo
[ $failed -gt 0 ] && echo "failed scenarios: ${failures[*]}"
echo "scenarios: $passed passed, $failed failed"
[ $failed -eq 0 ]
