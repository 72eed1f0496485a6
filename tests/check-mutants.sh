#!/usr/bin/env bash
# The consistent-cut checker end to end: `snapbed check` on real runs.
# - every protocol mutant must be reported as violating (exit 1), by the
#   check that its bug breaks (a checker that cannot fail proves nothing);
# - every correct scenario listed must pass (exit 0).
# Each scenario runs once; `snapbed run` itself must exit 0 (the mutants
# expect a violation, so finding one meets their expectation).
# usage: tests/check-mutants.sh [OUT_DIR]   (SNAPBED=path overrides the binary)
set -uo pipefail
snapbed="${SNAPBED:-./build/snapbed}"
out="${1:-out/check-mutants-$(date +%Y%m%d-%H%M%S)-$$}"
mkdir -p "$out"
failures=0

# run_and_check SCENARIO WANT_EXIT [CHECK_NAME]: runs the scenario, checks
# its trace; the check must exit WANT_EXIT and, for a violation, name
# CHECK_NAME as VIOLATED.
run_and_check() {
    local scenario="$1" want="$2" check_name="${3:-}" name dir rc
    name="$(basename "$scenario" .yaml)"
    dir="$out/$name"
    "$snapbed" run "$scenario" -q -o "$dir" >"$out/$name.run.txt" 2>&1
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "check-mutants: FAIL $name: snapbed run exited $rc (see $out/$name.run.txt)"
        failures=$((failures + 1))
        return
    fi
    "$snapbed" check "$dir" >"$out/$name.check.txt" 2>&1
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "check-mutants: FAIL $name: snapbed check exited $rc, expected $want" \
             "(see $out/$name.check.txt)"
        failures=$((failures + 1))
        return
    fi
    if [ -n "$check_name" ] && ! grep -q "^  $check_name  *VIOLATED" "$out/$name.check.txt"; then
        echo "check-mutants: FAIL $name: violations found, but none by '$check_name'" \
             "(see $out/$name.check.txt)"
        failures=$((failures + 1))
        return
    fi
    echo "check-mutants: ok   $name: snapbed check exited $rc" \
         "$(grep -m1 'VIOLATED' "$out/$name.check.txt" | sed 's/  */ /g' | cut -c1-160)"
}

run_and_check scenarios/mutant-commit-before-complete.yaml 1 "early publish"
run_and_check scenarios/mutant-snapshot-on-first-barrier.yaml 1 "channel state"
run_and_check scenarios/mutant-source-snapshot-late.yaml 1 "channel state"
run_and_check scenarios/mutant-restore-latest-triggered.yaml 1 "restores"
run_and_check scenarios/mutant-drop-pending-on-restore.yaml 1 "unpublished"
run_and_check scenarios/mutant-overwrite-published.yaml 1 "double publish"
run_and_check scenarios/mutant-drop-channel-state.yaml 1 "replay"
run_and_check scenarios/mutant-restore-unverified.yaml 1 "restores"
run_and_check scenarios/mutant-skip-fsync.yaml 1 "restores"

for s in scenarios/no-faults.yaml scenarios/unaligned-kills.yaml \
         scenarios/unaligned-timeout-kills.yaml scenarios/keyed-count-kills.yaml \
         scenarios/crash-*.yaml scenarios/corrupt-*.yaml; do
    run_and_check "$s" 0
done

if [ "$failures" -gt 0 ]; then
    echo "check-mutants: $failures failure(s); runs in $out" >&2
    exit 1
fi
echo "check-mutants: every mutant caught, every correct run passed; runs in $out"
