#!/usr/bin/env bash
# `snapbed run PATH... --jobs J`: running cases at once changes when they
# end, never what the suite reports. The same small suite (two quick
# scenarios x 2 seeds, one of them a mutant that must be reported, and a
# scenario that does not load) runs with --jobs 1 and with --jobs 2; then
# - the exit statuses are equal;
# - the table, the cases that did not pass and the totals are equal, line
#   for line, once the seconds and the suite folder are set aside;
# - the JUnit reports are equal once the times, the timestamp and the suite
#   folder are set aside (so the cases are in the suite's order);
# - the progress lines count 1..N in order and name the same cases;
# - each case has its own run folder, whose summary.json names its seed.
#
# usage: tests/suite-jobs.sh   (SNAPBED=path/to/snapbed to test another build)
set -euo pipefail

cd "$(dirname "$0")/.."
bin=${SNAPBED:-./build/snapbed}
out=out/suite-jobs-$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$out"
files=(scenarios/crash-before-metadata.yaml scenarios/mutant-commit-before-complete.yaml
       "$out/broken.yaml")
printf 'name: broken\ninput: { records: -5 }\n' >"$out/broken.yaml"

fail() { echo "suite-jobs: $*" >&2; exit 1; }

# run_suite J: the suite with --jobs J into $out/jJ, its stdout in $out/jJ.txt.
run_suite() {
    local j="$1" rc=0
    "$bin" run "${files[@]}" --seeds 2 --jobs "$j" --junit "$out/j$j.junit.xml" \
        -o "$out/j$j" >"$out/j$j.txt" 2>"$out/j$j.err" || rc=$?
    echo "$rc"
}

rc1=$(run_suite 1)
rc2=$(run_suite 2)
echo "suite-jobs: --jobs 1 exited $rc1, --jobs 2 exited $rc2"
[ "$rc1" = "$rc2" ] || fail "exit status $rc1 with --jobs 1 but $rc2 with --jobs 2"
# The broken scenario is an ERROR, so the suite exits 2 (bad input), not 0
# and not 1 (the mutant meets its expectation: it passes).
[ "$rc1" = 2 ] || fail "expected exit status 2 (one scenario does not load), got $rc1"

# The report without what may differ: the table keeps scenario, seed,
# result and expected (committed, duplicates, checkpoints and seconds vary
# from run to run: kills land on timing), the suite folder and the
# "up to J at once" note go.
report() {
    sed -e "s#$out/j[12]#SUITE#g" -e 's/ *([0-9.]* s)//' -e 's/, up to [0-9]* at once//' \
        -e 's/, [0-9.]* s)$/)/' -e 's/; up to [0-9]* at once$//' "$1" |
        grep -v '^\[[0-9]*/[0-9]*\]' |
        awk '/^scenario +seed +result/ { table = 1 } /^$/ { table = 0 }
             table { print $1, $2, $3, $4; next } { print }'
}
diff <(report "$out/j1.txt") <(report "$out/j2.txt") >"$out/report.diff" ||
    { cat "$out/report.diff" >&2; fail "the reports of --jobs 1 and --jobs 2 differ"; }
grep -q '^suite: 4 passed, 1 failed$' "$out/j1.txt" ||
    fail "expected 'suite: 4 passed, 1 failed' in $out/j1.txt"

junit() {
    sed -e "s#$out/j[12]#SUITE#g" -e 's/ time="[0-9.]*"//' -e 's/ timestamp="[^"]*"//' "$1"
}
diff <(junit "$out/j1.junit.xml") <(junit "$out/j2.junit.xml") >"$out/junit.diff" ||
    { cat "$out/junit.diff" >&2; fail "the JUnit reports of --jobs 1 and --jobs 2 differ"; }
order=$(sed -n 's/.*<testcase classname="[^"]*" name="\([^"]*\)".*/\1/p' "$out/j2.junit.xml" |
        tr '\n' ',')
want="crash-before-metadata seed=33,crash-before-metadata seed=34,mutant-commit-before-complete seed=21,mutant-commit-before-complete seed=22,broken seed=-,"
[ "$order" = "$want" ] || fail "JUnit cases in the order $order, expected $want"

# Progress lines: [1/5] .. [5/5] in that order, the same cases either way.
for j in 1 2; do
    counts=$(sed -n 's/^\[\([0-9]*\)\/5\].*/\1/p' "$out/j$j.txt" | tr '\n' ' ')
    [ "$counts" = "1 2 3 4 5 " ] || fail "--jobs $j: progress lines counted '$counts'"
done
cases() { sed -n 's/^\[[0-9]*\/5\] \([A-Z]* [^ ]* seed=[^ ]*\).*/\1/p' "$1" | sort; }
diff <(cases "$out/j1.txt") <(cases "$out/j2.txt") >&2 ||
    fail "the progress lines of --jobs 1 and --jobs 2 name different cases"

# Separate run folders, each with its seed and its own embedded Kafka (the
# mock cluster listens on ports of its own choosing).
for d in "$out"/j2/*-seed*/; do
    seed=${d%/}; seed=${seed##*-seed}
    grep -q "^  \"seed\": $seed,\$" "$d/summary.json" ||
        fail "$d/summary.json does not name the seed $seed"
done
boots=$(cat "$out"/j2/*-seed*/input.json | sed -n 's/^ *"bootstrap": "\(.*\)",$/\1/p')
if [ "$(echo "$boots" | wc -l)" != 4 ] || [ "$(echo "$boots" | sort -u | wc -l)" != 4 ]; then
    fail "expected 4 runs on 4 different embedded Kafka clusters, got: $boots"
fi
echo "suite-jobs: --jobs 2 reported the same cases, in the same order, as --jobs 1" \
     "($(grep -c '' "$out/j2.txt") lines of report, 5 JUnit cases); folder $out"
