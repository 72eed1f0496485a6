#!/usr/bin/env bash
# make soak — every fault scenario over many seeds, and the count of false
# verdicts in each direction:
#   false alarm  a correct configuration judged wrong (the case expected
#                exactly-once and got a violation, or a consistent cut that
#                is not);
#   missed bug   a mutant or negative control judged right (it expected a
#                violation and got none).
# Two lanes:
#   run  `snapbed run scenarios/ --seeds N --jobs J --junit FILE` (the suite
#        runner: real worker processes, the embedded Kafka); its JUnit report
#        says which case failed its expectation (<failure>) and which could
#        not run (<error>: environment, counted apart, never as a verdict);
#   sim  `snapbed sim FILE --explore M` for every scenarios/sim/ file and
#        every scenarios/ file the simulator accepts (cheap: virtual time).
# A scenario is a negative control when its name starts with mutant- or
# negative-, ends with -no-fifo, or it expects `exactly_once: false`.
#
# Prints a table per scenario and lane, the totals, and the wall time; exits
# 1 when any verdict was false or any case could not run. Not part of
# `make test` (SOAK_SEEDS=20 runs for a long time); docs/reliability.md
# records a full run's figures.
#
# usage: tests/soak.sh   (SOAK_SEEDS=20 run-lane seeds per scenario,
#                         SOAK_SIM_SEEDS=100 sim seeds, SOAK_JOBS=2,
#                         SOAK_OUT=DIR, SNAPBED=binary)
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${SNAPBED:-./build/snapbed}
seeds=${SOAK_SEEDS:-20}
sim_seeds=${SOAK_SIM_SEEDS:-100}
jobs=${SOAK_JOBS:-2}
out=${SOAK_OUT:-out/soak-$(date +%Y%m%d-%H%M%S)-$$}
mkdir -p "$out"
t0=$(date +%s)
tally="$out/tally.tsv"   # lane scenario negative seeds false_alarms missed errors
: >"$tally"

is_negative() { # FILE -> 0 when the scenario is a mutant or negative control
    case $(basename "$1" .yaml) in mutant-* | negative-* | *-no-fifo) return 0 ;; esac
    grep -q '^ *exactly_once: *false' "$1"
}

echo "=== soak: run lane, scenarios/ x $seeds seeds, $jobs at once (suite folder $out/run)"
"$bin" run scenarios/ --seeds "$seeds" --jobs "$jobs" -q --junit "$out/run.junit.xml" \
    -o "$out/run" > "$out/run.log" 2>&1
echo "suite exit status $? (1 when a case failed; the tally below says which way)"
grep -E '^suite: ' "$out/run.log" || true
if [ ! -s "$out/run.junit.xml" ]; then
    echo "soak: the suite wrote no JUnit report (see $out/run.log)" >&2
    exit 2
fi
# The suite names a case by the scenario's `name:`; map it back to its file.
names="$out/names.tsv"
: >"$names"
for f in scenarios/*.yaml; do
    n=$(sed -n 's/^name: *\([^ #]*\).*/\1/p' "$f" | head -1)
    neg=0
    is_negative "$f" && neg=1
    printf '%s\t%s\n' "${n:-$(basename "$f" .yaml)}" "$neg" >>"$names"
done
python3 - "$out/run.junit.xml" "$names" >>"$tally" <<'EOF' || exit 2
import sys, xml.etree.ElementTree as ET
negative = dict(line.rstrip("\n").split("\t") for line in open(sys.argv[2]))
rows = {}
for tc in ET.parse(sys.argv[1]).iter("testcase"):
    name = tc.get("classname", "").removeprefix("snapbed.")
    if tc.find("skipped") is not None:
        continue
    neg = negative.get(name)
    if neg is None:
        sys.exit(f"soak: case {name} names no scenarios/*.yaml")
    r = rows.setdefault(name, [neg, 0, 0, 0, 0])
    r[1] += 1
    if tc.find("error") is not None:
        r[4] += 1
    elif tc.find("failure") is not None:
        r[3 if neg == "1" else 2] += 1
for name, (neg, n, alarms, missed, errors) in sorted(rows.items()):
    print(f"run\t{name}\t{neg}\t{n}\t{alarms}\t{missed}\t{errors}")
EOF

echo "=== soak: sim lane, $sim_seeds seeds each"
for f in scenarios/sim/*.yaml scenarios/*.yaml; do
    "$bin" sim "$f" --check 2>/dev/null | grep 'for snapbed run only' >/dev/null && continue
    n=$(basename "$f" .yaml)
    case $f in scenarios/sim/*) n="sim/$n" ;; esac
    neg=0
    is_negative "$f" && neg=1
    log="$out/sim-${n//\//-}.explore"
    "$bin" sim "$f" --explore "$sim_seeds" --jobs "$jobs" > "$log" 2>&1
    rc=$?
    violated=$(sed -n "s/^EXPLORE RESULT: .* \([0-9]*\) of $sim_seeds seeds violated.*/\1/p" "$log")
    if [ $rc -eq 2 ] || [ -z "$violated" ]; then
        printf 'sim\t%s\t%s\t%s\t0\t0\t%s\n' "$n" "$neg" "$sim_seeds" "$sim_seeds" >>"$tally"
        echo "soak: $f: snapbed sim --explore gave no result (exit $rc, see $log)" >&2
    elif [ $neg -eq 1 ]; then
        printf 'sim\t%s\t1\t%s\t0\t%s\t0\n' "$n" "$sim_seeds" $((sim_seeds - violated)) >>"$tally"
    else
        printf 'sim\t%s\t0\t%s\t%s\t0\t0\n' "$n" "$sim_seeds" "$violated" >>"$tally"
    fi
done

wall=$(( $(date +%s) - t0 ))
python3 - "$tally" "$wall" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
w = max([len(r[1]) for r in rows] + [8])
print(f"\n{'lane':4}  {'scenario':{w}}  {'kind':8}  {'seeds':>5}  {'false alarms':>12}  "
      f"{'missed bugs':>11}  {'errors':>6}")
tot = {}
for lane, name, neg, n, alarms, missed, errors in rows:
    kind = "negative" if neg == "1" else "correct"
    print(f"{lane:4}  {name:{w}}  {kind:8}  {n:>5}  {alarms:>12}  {missed:>11}  {errors:>6}")
    t = tot.setdefault(lane, [0, 0, 0, 0])
    for i, v in enumerate((n, alarms, missed, errors)):
        t[i] += int(v)
print()
for lane, (n, alarms, missed, errors) in sorted(tot.items()):
    print(f"soak {lane}: {n} cases, {alarms} false alarms, {missed} missed bugs, {errors} errors")
a = sum(t[1] for t in tot.values()); m = sum(t[2] for t in tot.values())
e = sum(t[3] for t in tot.values())
print(f"soak total: {a} false alarms (correct judged wrong), {m} missed bugs "
      f"(mutant judged right), {e} errors; wall time {sys.argv[2]} s")
sys.exit(1 if a or m or e else 0)
EOF
rc=$?
echo "soak folder: $out"
exit $rc
