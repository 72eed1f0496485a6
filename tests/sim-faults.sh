#!/usr/bin/env bash
# The scenario library's faults in virtual time (issue "One protocol, one
# scenario language", conformance).
#
# - Every kill and crash-point scenario of scenarios/ that the simulator can
#   run is exactly-once and consistent over SIM_SEEDS seeds (default 100):
#   `snapbed sim FILE --explore N` reports 0 violated seeds. Its faults must
#   really fire: seed 1 alone must report at least one crash, so a simulator
#   that ignored crash points or random kills fails here.
# - Every mutant and negative control of scenarios/ is caught by the
#   simulator too: seed 1 reports SIM RESULT: VIOLATED (exit 1).
# Files for snapbed run only (Kafka, the network) are skipped and listed.
# Ends with one line, "scenarios: N passed, M failed" (.ci/run adds it up
# with the suites').
set -uo pipefail
cd "$(dirname "$0")/.."
snapbed=${SNAPBED:-./build/snapbed}
seeds=${SIM_SEEDS:-100}
jobs=${SIM_JOBS:-2}
passed=0 failed=0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

fail() { echo "FAILED: $*"; failed=$((failed + 1)); }

# A run-only file says so in `--check`; nothing else is skipped.
sim_can_run() {
    ! "$snapbed" sim "$1" --check 2>/dev/null | grep 'for snapbed run only' >/dev/null
}
skipped() {
    sim_can_run "$1" && return 1
    echo "skipped $1 (for snapbed run only)"
}

for f in scenarios/crash-*.yaml scenarios/kill-*.yaml scenarios/*-kills.yaml \
         scenarios/pause-worker.yaml scenarios/quickstart.yaml scenarios/backpressure-slow-sink.yaml; do
    [ -e "$f" ] || continue
    skipped "$f" && continue
    n=$(basename "$f" .yaml)
    "$snapbed" sim "$f" --seed 1 -o "$out/$n" >"$out/$n.log" 2>&1
    crashes=$(sed -n 's/^EXACTLY-ONCE: .*(\([0-9]*\) crash.*/\1/p' "$out/$n.log" | head -1)
    if [ -z "$crashes" ] || [ "$crashes" -lt 1 ]; then
        fail "$f: seed 1 reports no crash (its faults did not fire in the simulator)"
        sed -n '/EXACTLY-ONCE/p' "$out/$n.log"
        continue
    fi
    if "$snapbed" sim "$f" --explore "$seeds" --jobs "$jobs" >"$out/$n.explore" 2>&1 &&
        grep -q "0 of $seeds seeds violated" "$out/$n.explore"; then
        echo "ok      $f: $seeds seeds exactly-once and consistent ($crashes crashes on seed 1)"
        passed=$((passed + 1))
    else
        fail "$f: --explore $seeds"
        grep -v 'note:' "$out/$n.explore" | tail -5
    fi
done

for f in scenarios/mutant-*.yaml scenarios/negative-*.yaml; do
    [ -e "$f" ] || continue
    skipped "$f" && continue
    n=$(basename "$f" .yaml)
    "$snapbed" sim "$f" --seed 1 -o "$out/$n" >"$out/$n.log" 2>&1
    rc=$?
    if [ "$rc" = 1 ] && grep -q '^SIM RESULT: VIOLATED' "$out/$n.log"; then
        echo "ok      $f: caught: $(grep -m1 'VIOLATED' "$out/$n.log" | sed 's/^ *//' | cut -c1-90)"
        passed=$((passed + 1))
    else
        fail "$f: the simulator did not catch the mutant (exit $rc)"
        grep -E '^(EXACTLY|SIM RESULT)' "$out/$n.log"
    fi
done

# A crash at 0s, which a real run accepts (kill right after the first
# worker starts), must fire in the simulator too, not be lost before the
# start.
cat >"$out/crash-at-0.yaml" <<'YAML'
name: crash-at-0
input: { records: 20000 }
pipeline: { parallelism: 2 }
execution.checkpointing.interval: 100ms
faults:
  - { do: crash, at: 0s }
YAML
if "$snapbed" sim "$out/crash-at-0.yaml" --seed 1 -o "$out/crash-at-0" 2>/dev/null |
    grep '^EXACTLY-ONCE: OK .*(1 crash,' >/dev/null; then
    echo "ok      a crash at 0s fires after the start"
    passed=$((passed + 1))
else
    fail "a crash at 0s did not fire once in the simulator"
fi

# A crash between two uploads of an early commit (the commit-before-
# complete mutant meets sink.mid_commit): nothing of the dead incarnation
# (its worker pid) may follow its fault_fired event.
cat >"$out/mid-commit.yaml" <<'YAML'
name: mutant-mid-commit
input: { records: 20000 }
pipeline: { parallelism: 2 }
execution.checkpointing.interval: 100ms
mutant: commit-before-complete
faults:
  - do: crash
    at: { point: sink.mid_commit, hit: 1 }
YAML
"$snapbed" sim "$out/mid-commit.yaml" --seed 1 -o "$out/mid-commit" >/dev/null 2>&1
trace="$out/mid-commit/trace.jsonl"
fired=$(grep -n '"event":"fault_fired"' "$trace" 2>/dev/null | head -1)
pid=$(echo "$fired" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
line=${fired%%:*}
late=$(tail -n +"$((${line:-1} + 1))" "$trace" 2>/dev/null | grep -c "\"pid\":$pid," || true)
if [ -n "$pid" ] && [ "$late" = 0 ]; then
    echo "ok      a crash mid-commit ends the incarnation at once"
    passed=$((passed + 1))
else
    fail "after a crash mid-commit the dead incarnation (pid '$pid') went on: $late events"
fi

echo "scenarios: $passed passed, $failed failed"
[ "$failed" = 0 ]
