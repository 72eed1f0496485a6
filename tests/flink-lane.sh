#!/usr/bin/env bash
# The Flink lane (make test-flink; make test runs it with SNAPBED_REAL=1):
# snapbed's scenarios with `engine: flink` on a real Apache Flink 1.20
# standalone cluster and a real Kafka, both started and stopped by
# `snapbed run` itself (scripts/flink.sh, scripts/kafka.sh):
#
#  1. kills.yaml: two TaskManager kills and a broker kill on the
#     three-broker Kafka: exactly-once;
#  2. negative-at-least-once.yaml (AT_LEAST_ONCE, a sink that is not
#     transactional): must be reported as duplicating;
#
# then checks that no JVM it started is left (by PID: every java process
# that was not there before), and prints the figures: run time, kills,
# records committed, checkpoints completed and their p50/p99 as Flink
# reported them. FLINK_SCENARIOS="a.yaml b.yaml" runs others.
# A scenario whose file has a line "# ci: no …" runs only with FLINK_ALL=1
# (make test-flink-all): CI's 30 minutes have no room for it (the network
# partition, which also needs root; the JobManager pause; the commit-early
# control). For a
# partition the lane also checks that the cut and the heal happened and
# that no namespace, veth or bridge is left; for a negative control, that
# some check caught it (duplicates, for the at-least-once sink).
# The first run fetches Flink's and Kafka's jars (cached in ~/.cache/snapbed).
set -uo pipefail
cd "$(dirname "$0")/.."
me="flink lane"
make -s build/snapbed || exit 1

# Every JVM of a run keeps its state in the run folder (RUN_DIR/flink,
# RUN_DIR/kafka), so its command line names the folder: that is how the
# lane finds what was left behind, and nothing else on the machine is hit.
out=$(mktemp -d /tmp/snapbed-flink-lane-XXXXXX)
leftover_check() {
    local pids=() p
    for p in $(pgrep -x java 2>/dev/null); do
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -F "$out" >/dev/null && pids+=("$p")
    done
    if [ ${#pids[@]} -gt 0 ]; then
        echo "$me: FAIL: JVMs left behind: ${pids[*]}"
        kill -9 "${pids[@]}" 2>/dev/null
        return 1
    fi
    echo "$me: no JVM left behind"
    return 0
}

# Java, Maven and the job jar first, once (scripts/flink.sh installs a JDK
# and Maven when missing): not inside the runs, where Kafka's and Flink's
# scripts start at the same time.
# CI builds it in the background from the start (.ci/run): wait for that
# build rather than run a second Maven in the same folder.
if [ -n "${FLINK_PREFETCH_PID:-}" ]; then
    while kill -0 "$FLINK_PREFETCH_PID" 2>/dev/null; do sleep 1; done
fi
bash scripts/flink.sh jar >/dev/null || { echo "$me: FAIL: cannot build the Flink job jar"; exit 1; }

scenarios=()
for f in ${FLINK_SCENARIOS:-scenarios/flink/*.yaml}; do
    if [ -z "${FLINK_SCENARIOS:-}" ] && [ "${FLINK_ALL:-0}" != 1 ] &&
        grep -E '^# ci: no' "$f" >/dev/null; then
        echo "$me: skipped $f ($(grep -m1 -E '^# ci: no' "$f" | sed 's/^# ci: //'); make test-flink-all)"
        continue
    fi
    scenarios+=("$f")
done
failed=0
t_lane=$(date +%s)
for f in "${scenarios[@]}"; do
    name=$(basename "$f" .yaml)
    dir="$out/$name"
    t0=$(date +%s)
    ./build/snapbed run "$f" -o "$dir" > "$out/$name.log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - t0 ))
    python3 - "$dir" "$f" "$rc" "$secs" <<'PY' || failed=1
import json, sys, os, re
d, f, rc, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
name = os.path.basename(f)
try:
    s = json.load(open(os.path.join(d, "summary.json")))
except Exception as e:
    print(f"flink lane: FAIL {name}: exit {rc}, no summary.json ({e}); see {d}/../{os.path.basename(d)}.log")
    sys.exit(1)
eo = s["exactly_once"]
negative = not s["expect"]["exactly_once"]
cps = []
try:
    c = json.load(open(os.path.join(d, "checkpoints.json")))
    cps = [x for x in c.get("checkpoints", []) if x.get("status", "completed") == "completed"]
except Exception:
    pass
durs = sorted(round(x.get("duration_ns", 0) / 1e6) for x in cps)
def pct(p):
    return durs[min(len(durs) - 1, int(p * len(durs)))] if durs else float("nan")
report = open(os.path.join(d, "report.html"), encoding="utf-8", errors="replace").read() if os.path.exists(os.path.join(d, "report.html")) else ""
problems = []
if rc != 0:
    problems.append(f"exit {rc}")
if negative and "sink: at-least-once" in open(f).read() and eo["duplicated"] == 0:
    problems.append("the at-least-once control duplicated nothing")
if negative and s.get("verified_ok", True):
    problems.append("the negative control was not caught (every check passed)")
if negative and not s.get("expectation_met", False):
    problems.append("the run did not meet its expectation (a violation)")
if not negative and not eo["ok"]:
    problems.append(f"not exactly-once: lost {eo['lost']}, duplicated {eo['duplicated']}")
if s.get("checkpoints_completed", 0) < 1:
    problems.append("no checkpoint completed (Flink's statistics missing from the trace?)")
if re.search(r"^\s*-?\s*do:\s*crash\b", open(f).read(), re.M) and s.get("crashes_injected", 0) < 1:
    problems.append("no TaskManager was killed")
if "broker: partition" in open(f).read():
    trace = open(os.path.join(d, "trace.jsonl"), encoding="utf-8", errors="replace").read()
    if "cut off from the network" not in trace or "connected again" not in trace:
        problems.append("the partition was not both cut and healed (trace.jsonl)")
if "checkpoint" not in report.lower():
    problems.append("report.html has no checkpoint table")
caught = ""
if negative:
    broken = [k for k in ("exactly_once", "restores", "publishes", "crashes", "liveness", "leftovers")
              if isinstance(s.get(k), dict) and s[k].get("ok") is False]
    caught = f", caught by {', '.join(broken) or 'nothing'}"
print(f"flink lane: {'FAIL' if problems else 'ok  '} {name}: {secs} s, {s.get('crashes_injected', 0)} kill(s), "
      f"{eo['committed']} committed of {eo['expected']} expected ({eo['duplicated']} duplicated, {eo['lost']} lost), "
      f"{s.get('checkpoints_completed', 0)} checkpoints, p50 {pct(0.5)} ms, p99 {pct(0.99)} ms{caught}"
      + (": " + "; ".join(problems) if problems else ""))
sys.exit(1 if problems else 0)
PY
    [ $? -eq 0 ] || { failed=1; tail -n 25 "$out/$name.log" | sed 's/^/    /'; }
done
leftover_check || failed=1
# A partition's namespaces, veths and bridge (scripts/kafka-cluster.sh:
# sbkcB-ID, sbkcBhID, sbkcB) must be gone too.
if command -v ip >/dev/null && left=$(ip -o link show 2>/dev/null | grep -o 'sbkc[0-9a-z]*' |
        sort -u | tr '\n' ' ') && [ -n "$left" ]; then
    echo "$me: FAIL: network links left behind: $left"
    failed=1
fi
if command -v ip >/dev/null && left=$(ip netns list 2>/dev/null | grep -o '^sbkc[0-9a-z-]*' |
        tr '\n' ' ') && [ -n "$left" ]; then
    echo "$me: FAIL: network namespaces left behind: $left"
    failed=1
fi
echo "$me: $(( $(date +%s) - t_lane )) s; run folders in $out"
exit $failed
