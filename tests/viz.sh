#!/usr/bin/env bash
# The pictures of real runs. Runs the quick start, the snapshot-on-first-
# barrier mutant with the record trace, and the teaching-size runs of
# docs/img/, draws every picture with `snapbed viz` (SVG, PNG and DOT for
# the quick start), and checks that:
#   - each run gets three pictures per completed checkpoint (at most 20)
#     and a timeline, every SVG well-formed XML;
#   - the mutant's space-time diagrams show in-flight records that its
#     checkpoints did not record (its bug), and its propagation graphs say
#     so without the record trace;
#   - the unaligned teaching run shows channel state;
#   - bad invocations exit 2 with a message, --help exits 0.
#
# usage: tests/viz.sh          (SNAPBED=... to use another binary,
#                               VIZ_OUT=DIR to keep the runs in DIR)
set -uo pipefail

cd "$(dirname "$0")/.."
bin=${SNAPBED:-./build/snapbed}
out=${VIZ_OUT:-out/viz-check-$(date +%Y%m%d-%H%M%S)-$$}
mkdir -p "$out"
failures=0

fail() {
    echo "viz check FAILED: $*" >&2
    failures=$((failures + 1))
}

# run NAME SCENARIO [OPTIONS...]: a run of the scenario into $out/NAME.
run() {
    local name=$1 scenario=$2
    shift 2
    echo "=== run $name ($scenario)"
    "$bin" run "$scenario" -o "$out/$name" -q "$@" > "$out/$name.run.log" 2>&1
    local rc=$?
    # The mutant is meant to violate exactly-once: exit 0 means it met
    # its own `expect:`, which is what matters here.
    [ $rc -eq 0 ] || fail "$name: snapbed run exited $rc (see $out/$name.run.log)"
}

# draw NAME [OPTIONS...]: snapbed viz on the run, then counts its files.
draw() {
    local name=$1
    shift
    echo "=== viz $name $*"
    if ! "$bin" viz "$out/$name" "$@" > "$out/$name.viz.log" 2>&1; then
        fail "$name: snapbed viz failed: $(tail -1 "$out/$name.viz.log")"
        return
    fi
    tail -2 "$out/$name.viz.log"
}

# expect_files NAME EXT: 3 per drawn checkpoint plus the timeline.
expect_files() {
    local dir=$out/$1/viz ext=$2
    local completed drawn
    completed=$(grep -c '"event":"checkpoint_completed"' "$out/$1/trace.jsonl")
    drawn=$((completed > 20 ? 20 : completed))
    local n
    n=$(find "$dir" -name "*.$ext" | wc -l)
    [ "$n" -eq $((3 * drawn + 1)) ] ||
        fail "$1: $n .$ext files, expected $((3 * drawn + 1)) ($drawn checkpoints)"
    [ -s "$dir/timeline.$ext" ] || fail "$1: no timeline.$ext"
}

# Every SVG must parse as XML (Graphviz wrote it; this checks nothing
# was cut or mangled on the way).
check_xml() {
    command -v python3 > /dev/null || { echo "(python3 missing: XML not checked)"; return; }
    python3 - "$out/$1/viz" <<'EOF' || fail "$1: an SVG is not well-formed XML"
import glob, sys, xml.etree.ElementTree as ET
for f in glob.glob(sys.argv[1] + "/*.svg"):
    ET.parse(f)
EOF
}

# A figure from the space-time labels: sum of "<N> <what>" over the files.
sum_figure() {
    local dir=$1 what=$2
    grep -oh "[0-9]* $what" "$dir"/chk-*-spacetime.svg 2> /dev/null |
        awk '{ s += $1 } END { print s + 0 }'
}

run quickstart scenarios/quickstart.yaml
draw quickstart --format svg,png,dot
for ext in svg png dot; do expect_files quickstart $ext; done
check_xml quickstart

run mutant scenarios/mutant-snapshot-on-first-barrier.yaml --trace records
draw mutant
expect_files mutant svg
check_xml mutant
unrecorded=$(sum_figure "$out/mutant/viz" "in flight not recorded")
orphans=$(sum_figure "$out/mutant/viz" "orphans")
echo "mutant: $unrecorded in-flight records not recorded, $orphans orphans (space-time labels)"
[ "$unrecorded" -gt 0 ] || fail "mutant: no unrecorded in-flight record in any space-time diagram"
grep -q "in flight, not recorded" "$out"/mutant/viz/chk-*-graph.svg ||
    fail "mutant: no propagation graph names unrecorded in-flight records"

run teaching docs/img/teaching.yaml
draw teaching
expect_files teaching svg
check_xml teaching
grep -q "_before\"" "$out"/teaching/viz/chk-*-spacetime.svg ||
    fail "teaching: no record batch drawn"

run teaching-unaligned docs/img/teaching-unaligned.yaml
draw teaching-unaligned
expect_files teaching-unaligned svg
check_xml teaching-unaligned
recorded=$(sum_figure "$out/teaching-unaligned/viz" "channel state")
[ "$recorded" -gt 0 ] || fail "teaching-unaligned: no channel state in any space-time diagram"

echo "=== bad invocations"
expect_exit() {
    local want=$1
    shift
    "$bin" viz "$@" > "$out/bad.log" 2>&1
    local rc=$?
    [ $rc -eq "$want" ] || fail "snapbed viz $*: exit $rc, expected $want"
}
expect_exit 0 --help
expect_exit 2
expect_exit 2 "$out/no-such-run"
expect_exit 2 "$out/quickstart" --format jpg
expect_exit 2 "$out/quickstart" --checkpoint 99999 -o "$out/unused"
"$bin" viz "$out/quickstart" --checkpoint 99999 -o "$out/unused" > /dev/null 2> "$out/bad.log"
grep -q "no checkpoint 99999 in the trace" "$out/bad.log" ||
    fail "--checkpoint 99999 does not say which: $(cat "$out/bad.log")"
expect_exit 2 "$out/quickstart" --checkpoint zero

if [ $failures -ne 0 ]; then
    echo "viz check: $failures failure(s); runs in $out"
    exit 1
fi
echo "viz check: OK (runs and pictures in $out)"
