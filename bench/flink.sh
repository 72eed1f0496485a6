#!/usr/bin/env bash
# snapbed against Apache Flink on the same machine, the same broker and the
# same topic: bench/flink-job.yaml (Kafka -> map -> filter -> file:// sink,
# parallelism 2, a checkpoint every second, no faults) run by snapbed, and
# the same job written for Flink 1.20 (bench/flink/, a local MiniCluster),
# and snapbed's Flink job (flink/, the job of engine: flink) on a real
# standalone cluster that this script starts once with scripts/flink.sh (a
# JobManager and one TaskManager per subtask, each its own JVM), submitted by
# `snapbed run` with engine: flink and flink.address; the three back to
# back, RUNS times (default 3), in two phases:
#   full   RECORDS records (1000000) as fast as each engine goes: records/s
#          end to end and while reading;
#   paced  PACED_RECORDS records (200000) at PACED_RATE records/s (20000) on
#          both sides (snapbed's source.records_per_s, a pacer in Flink's
#          map), so that both run ~10 s and take ~10 checkpoints under the
#          same load: checkpoint durations. At full speed snapbed finishes
#          1M records before its first periodic checkpoint is due, so only
#          the paced phase compares checkpoints like with like.
# Each pair reads one topic: snapbed produces it on the real broker (a fresh
# topic per run, same seed, so the same records every time; kept until the
# broker stops), then Flink reads it. Prints per phase and engine the median
# over runs of records/s and of the p50 / p99 / max end-to-end checkpoint
# duration, how many records each read and committed, whether both committed
# the same lines, and the ratios snapbed/Flink (medians of the per-pair
# ratios). Writes bench/results/flink.json. Skipped (exit 0) without Java and
# Maven. This is a measurement, not a test: nothing here passes or fails on
# timing; it exits 1 only when the two engines did not read or write the
# same records (then a ratio would compare different work).
#
# The cluster run produces its own topic (snapbed run always does), with
# the same seed, so the same records at the same offsets: its committed
# lines must equal snapbed's too.
#
# Environment: RUNS (3), RECORDS (1000000), PACED_RECORDS (200000),
# PACED_RATE (20000), KAFKA_PORT (39092; the controller takes the next
# port), FLINK_REST_PORT (38081), FLINK_HEAP (1g), CLUSTER_REST_PORT
# (38181; the cluster takes the 50 ports from it), CLUSTER=0 (leave the
# standalone cluster out).
set -euo pipefail
cd "$(dirname "$0")/.."
me=bench/flink

for tool in java javac mvn; do
    if ! command -v "$tool" >/dev/null; then
        echo "$me: skipped: the Flink baseline needs Java 17 (JDK) and Maven, and '$tool' is not installed (apt-get install default-jdk-headless maven)."
        exit 0
    fi
done

runs=${RUNS:-3}
records=${RECORDS:-1000000}
paced_records=${PACED_RECORDS:-200000}
paced_rate=${PACED_RATE:-20000}
port=${KAFKA_PORT:-39092}
rest_port=${FLINK_REST_PORT:-38081}
heap=${FLINK_HEAP:-1g}
cluster_port=${CLUSTER_REST_PORT:-38181}
with_cluster=${CLUSTER:-1}
for v in "RUNS=$runs" "RECORDS=$records" "PACED_RECORDS=$paced_records" "PACED_RATE=$paced_rate"; do
    [[ "${v#*=}" =~ ^[1-9][0-9]*$ ]] || { echo "$me: ${v%%=*} must be a positive number, got '${v#*=}'" >&2; exit 2; }
done

make --no-print-directory build/snapbed >/dev/null

# --- the Flink job: built once, rebuilt when its sources change ----------
flink_dir=bench/flink
stamp=$flink_dir/target/lib/.complete
if [ ! -f "$stamp" ] || [ -n "$(find "$flink_dir/pom.xml" "$flink_dir/src" -newer "$stamp" -type f)" ]; then
    echo "$me: building $flink_dir with Maven (the first build downloads Flink and its Kafka connector, ~80 MB, into ~/.m2) ..." >&2
    log=$(mktemp)
    if ! (cd "$flink_dir" && mvn -B -q package dependency:copy-dependencies) >"$log" 2>&1; then
        tail -n 40 "$log" >&2
        rm -f "$log"
        echo "$me: Maven could not build $flink_dir (log above)" >&2
        exit 1
    fi
    rm -f "$log"
    touch "$stamp"
    echo "$me: built $flink_dir ($(ls "$flink_dir/target/lib" | wc -l) jars)" >&2
fi
# Flink 1.20 on Java 17 reflects into these JDK packages (its own
# env.java.opts.all default for 17 opens the same ones).
java_opts=(-Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -Djava.awt.headless=true)
for pkg in java.lang java.lang.reflect java.io java.net java.nio sun.nio.ch java.text java.time \
    java.util java.util.concurrent java.util.concurrent.atomic java.util.concurrent.locks; do
    java_opts+=("--add-opens=java.base/$pkg=ALL-UNNAMED")
done

out=out/bench-flink-$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$out" bench/results
# The paced scenario: the same job with snapbed's source rate limit.
sed "s/^  records: .*/  records: $records/" bench/flink-job.yaml >"$out/full.yaml"
sed -e "s/^  records: .*/  records: $paced_records/" \
    -e "s/^  parallelism: \(.*\)/  parallelism: \1\n  source: { records_per_s: $paced_rate }/" \
    bench/flink-job.yaml >"$out/paced.yaml"
grep "records_per_s: $paced_rate" "$out/paced.yaml" >/dev/null || { echo "$me: could not pace $out/paced.yaml" >&2; exit 1; }
parallelism=$(sed -n 's/^  parallelism: *\([0-9]*\).*/\1/p' "$out/full.yaml")
# The same two jobs for the standalone cluster: engine: flink on it.
for phase in full paced; do
    sed "s|^name: .*|&\nengine: flink\nflink: { address: '127.0.0.1:$cluster_port' }|" \
        "$out/$phase.yaml" >"$out/$phase-cluster.yaml"
done

# --- a real broker and the cluster, stopped whatever happens --------------
cluster_dir=$out/cluster
stop_all() {
    if [ "$with_cluster" = 1 ]; then
        FLINK_DIR="$cluster_dir" bash scripts/flink.sh stop --rest-port "$cluster_port" >&2 || true
    fi
    bash scripts/kafka-stop.sh "$port" >&2 || true
}
trap stop_all EXIT
bootstrap=$(bash scripts/kafka-start.sh "$port" 2>&1 | tail -n 1)
[[ "$bootstrap" == *:"$port" ]] || { echo "$me: the Kafka broker did not start: $bootstrap" >&2; exit 1; }
echo "$me: Kafka at $bootstrap; run folders under $out" >&2
if [ "$with_cluster" = 1 ]; then
    bash scripts/flink.sh jar >/dev/null || { echo "$me: cannot build the Flink job jar (scripts/flink.sh jar)" >&2; exit 1; }
    FLINK_DIR="$cluster_dir" bash scripts/flink.sh start --taskmanagers "$parallelism" --slots 1 \
        --rest-port "$cluster_port" >/dev/null ||
        { echo "$me: the standalone cluster did not start (logs in $cluster_dir)" >&2; exit 1; }
    echo "$me: standalone Flink cluster at 127.0.0.1:$cluster_port ($parallelism TaskManagers)" >&2
fi

pair() { # PHASE RUN RATE: snapbed (which produces the topic), then Flink on it
    local phase=$1 r=$2 rate=$3 sb=$out/$1-snapbed-$2 fl=$out/$1-flink-$2
    echo "$me: $phase run $r/$runs: snapbed (produces the input topic first)" >&2
    if ! ./build/snapbed run "$out/$phase.yaml" --kafka "$bootstrap" -q -o "$sb" >"$sb.txt"; then
        cat "$sb.txt" >&2
        echo "$me: snapbed's $phase run $r failed (above; run folder $sb)" >&2
        exit 1
    fi
    local topic
    topic=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["topic"])' "$sb/input.json")
    echo "$me: $phase run $r/$runs: Flink on the same topic, $topic" >&2
    if ! java "${java_opts[@]}" -cp "$flink_dir/target/classes:$flink_dir/target/lib/*" \
            snapbed.bench.FlinkJob "$bootstrap" "$topic" "$fl" "$parallelism" "$rest_port" "$rate" \
            >"$fl.json" 2>"$fl.log"; then
        tail -n 30 "$fl.log" >&2
        echo "$me: the Flink job's $phase run $r failed (log: $fl.log)" >&2
        exit 1
    fi
    [ "$with_cluster" = 1 ] || return 0
    local cl=$out/$1-cluster-$2
    echo "$me: $phase run $r/$runs: the standalone cluster (engine: flink, its own topic, same seed)" >&2
    if ! ./build/snapbed run "$out/$phase-cluster.yaml" --kafka "$bootstrap" -q -o "$cl" >"$cl.txt" 2>&1; then
        tail -n 30 "$cl.txt" >&2
        echo "$me: the cluster's $phase run $r failed (above; run folder $cl)" >&2
        exit 1
    fi
}
for r in $(seq 1 "$runs"); do
    pair full "$r" 0
    pair paced "$r" "$paced_rate"
done

python3 - "$out" "$runs" "$records" "$paced_records" "$paced_rate" "$flink_dir/pom.xml" \
    "${KAFKA_VERSION:-4.4.0}" "$parallelism" "$with_cluster" <<'PY'
import collections, json, os, re, statistics, subprocess, sys
out = sys.argv[1]
runs, records, paced_records, paced_rate = (int(a) for a in sys.argv[2:6])
pom, kafka_version, parallelism = sys.argv[6], sys.argv[7], int(sys.argv[8])
with_cluster = sys.argv[9] == "1"
SIDES = ("snapbed", "flink") + (("cluster",) if with_cluster else ())

def pct(values, p):  # nearest rank, as FlinkJob.java and bench/backpressure.sh
    v = sorted(values)
    return v[max(0, -(-p * len(v) // 100) - 1)] if v else None

def lines_of(folder):
    """Every committed output line, as a multiset: snapbed's part objects and
    Flink's finished part files (in-progress files are hidden, dot-named)."""
    c = collections.Counter()
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith((".", "_"))]
        for f in files:
            if not f.startswith((".", "_")):
                with open(os.path.join(root, f), encoding="utf-8") as fh:
                    c.update(l.rstrip("\n") for l in fh)
    return c

def read_span_s(trace):
    """From the first source subtask's start to the last one's end of input."""
    started, finished = [], []
    with open(trace) as fh:
        for line in fh:
            e = json.loads(line)
            if e.get("event") == "source_started":
                started.append(e["t_ns"])
            elif e.get("event") == "source_finished":
                finished.append(e["t_ns"])
    return (max(finished) - min(started)) / 1e9 if started and finished else None

def snapbed_run(d):
    s = json.load(open(os.path.join(d, "summary.json")))
    cks = json.load(open(os.path.join(d, "checkpoints.json")))["checkpoints"]
    inp = json.load(open(os.path.join(d, "input.json")))
    read_s = read_span_s(os.path.join(d, "trace.jsonl"))
    done = [c for c in cks if c["status"] == "completed"]
    dur = [c["duration_ns"] / 1e6 for c in done]
    eo = s["exactly_once"]
    return {
        "topic": inp["topic"],
        "topic_records": sum(h - l for h, l in zip(inp["high"], inp["low"])),
        "records_in": eo["records_in"], "records_out": eo["expected"],
        "records_committed": eo["committed"], "exactly_once_ok": eo["ok"],
        "wall_s": s["duration_s"], "records_per_s": s["records_per_s"], "read_s": read_s,
        "read_records_per_s": eo["records_in"] / read_s if read_s else None,
        "checkpoints": len(dur), "checkpoints_final": sum(1 for c in done if c["final"]),
        "checkpoints_failed": s["checkpoints_aborted"],
        "p50_ms": pct(dur, 50), "p99_ms": pct(dur, 99), "max_ms": max(dur) if dur else None,
        "durations_ms": dur,
    }

def flink_run(path):
    with open(path) as fh:
        f = json.loads(fh.read().strip().splitlines()[-1])
    c = f["checkpoints"]
    return {
        "topic": f["topic"], "records_in": f["records_in"], "records_out": f["records_out"],
        "records_committed": f["records_committed"], "wall_s": f["wall_s"],
        "records_per_s": f["records_per_s"], "read_s": f["read_s"],
        "read_records_per_s": f["read_records_per_s"], "checkpoints": c["completed"],
        "checkpoints_failed": c["failed"], "p50_ms": c.get("p50_ms"), "p99_ms": c.get("p99_ms"),
        "max_ms": c.get("max_ms"), "durations_ms": c["durations_ms"],
        "flink_version": f["flink_version"], "java_version": f["java_version"],
    }

def ratio(a, b):
    return a / b if a is not None and b else None

KEYS = ["records_in", "records_out", "records_committed", "wall_s", "records_per_s",
        "read_s", "read_records_per_s", "checkpoints", "p50_ms", "p99_ms", "max_ms"]
RATIOS = {"records_per_s": "records_per_s", "read_records_per_s": "read_records_per_s",
          "checkpoint_p50": "p50_ms", "checkpoint_p99": "p99_ms"}
# The standalone cluster against the MiniCluster and against snapbed (its
# read span is not measured: Flink's REST API does not give it).
CLUSTER_RATIOS = {"records_per_s": "records_per_s", "checkpoint_p50": "p50_ms",
                  "checkpoint_p99": "p99_ms"}
problems = []

def phase(name):
    per_run = []
    for r in range(1, runs + 1):
        sb = snapbed_run(os.path.join(out, f"{name}-snapbed-{r}"))
        fl = flink_run(os.path.join(out, f"{name}-flink-{r}.json"))
        sb_lines = lines_of(os.path.join(out, f"{name}-snapbed-{r}", "output"))
        fl_lines = lines_of(os.path.join(out, f"{name}-flink-{r}", "output"))
        only_sb, only_fl = sb_lines - fl_lines, fl_lines - sb_lines
        same = not only_sb and not only_fl
        where = f"{name} run {r}"
        if fl["topic"] != sb["topic"]:
            problems.append(f"{where}: Flink read {fl['topic']}, snapbed {sb['topic']}")
        if not (sb["topic_records"] == sb["records_in"] == fl["records_in"]):
            problems.append(f"{where}: records read differ: topic {sb['topic_records']}, "
                            f"snapbed {sb['records_in']}, Flink {fl['records_in']}")
        if not same:
            ex = list((only_sb or only_fl).elements())[:3]
            problems.append(f"{where}: committed lines differ: {sum(only_sb.values())} only in "
                            f"snapbed's output, {sum(only_fl.values())} only in Flink's (e.g. {ex})")
        if not sb["exactly_once_ok"]:
            problems.append(f"{where}: snapbed's own exactly-once check failed")
        x = {"run": r, "snapbed": sb, "flink": fl, "outputs_identical": same,
             "output_lines": sum(sb_lines.values())}
        for k, field in RATIOS.items():
            x["ratio_" + k] = ratio(sb[field], fl[field])
        if with_cluster:
            cl = snapbed_run(os.path.join(out, f"{name}-cluster-{r}"))
            cl_lines = lines_of(os.path.join(out, f"{name}-cluster-{r}", "output"))
            if cl_lines != sb_lines:
                only_sb, only_cl = sb_lines - cl_lines, cl_lines - sb_lines
                ex = list((only_sb or only_cl).elements())[:3]
                problems.append(f"{where}: the cluster's committed lines differ from snapbed's: "
                                f"{sum(only_sb.values())} only in snapbed's, "
                                f"{sum(only_cl.values())} only in the cluster's (e.g. {ex})")
            if not cl["exactly_once_ok"]:
                problems.append(f"{where}: the cluster run's exactly-once check failed")
            x["cluster"] = cl
            x["cluster_outputs_identical"] = cl_lines == sb_lines
            for k, field in CLUSTER_RATIOS.items():
                x["ratio_cluster_to_mini_" + k] = ratio(cl[field], fl[field])
                x["ratio_snapbed_to_cluster_" + k] = ratio(sb[field], cl[field])
        per_run.append(x)

    def med(vals):
        vals = [v for v in vals if v is not None]
        return statistics.median(vals) if vals else None
    medians = {side: {k: med(x[side][k] for x in per_run) for k in KEYS} for side in SIDES}
    ratios = {k: med(x["ratio_" + k] for x in per_run) for k in RATIOS}
    if with_cluster:
        for k in CLUSTER_RATIOS:
            ratios["cluster_to_mini_" + k] = med(x["ratio_cluster_to_mini_" + k] for x in per_run)
            ratios["snapbed_to_cluster_" + k] = med(x["ratio_snapbed_to_cluster_" + k]
                                                     for x in per_run)
    return {"per_run": per_run, "medians": medians, "ratios": ratios}

phases = {"full": phase("full"), "paced": phase("paced")}
fl0 = phases["full"]["per_run"][0]["flink"]
connector = re.search(r"<flink.kafka.version>([^<]+)<", open(pom).read()).group(1)

def fmt(v, spec):
    width = re.match(r"\d*", spec).group(0)
    return format(v, spec) if v is not None else "-".rjust(int(width) if width else 1)

print(f"snapbed vs Apache Flink {fl0['flink_version']} (MiniCluster, Java {fl0['java_version']}, "
      f"flink-connector-kafka {connector}) on Kafka {kafka_version}: bench/flink-job.yaml, "
      f"parallelism {parallelism}, checkpoints every 1 s; median of {runs} run(s), "
      f"each pair back to back on the same topic")
titles = {"full": f"full speed, {records} records",
          "paced": f"paced at {paced_rate} records/s on both sides, {paced_records} records"}
print(f"{'phase':6} {'engine':8} {'read':>8} {'filtered':>8} {'committed':>9} {'records/s':>10} "
      f"{'wall s':>7} {'read rec/s':>10} {'read s':>7} {'chk':>4} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
for name, ph in phases.items():
    for side in SIDES:
        m = ph["medians"][side]
        print(f"{name:6} {side:8} {fmt(m['records_in'], '8.0f')} {fmt(m['records_out'], '8.0f')} "
              f"{fmt(m['records_committed'], '9.0f')} {fmt(m['records_per_s'], '10.0f')} "
              f"{fmt(m['wall_s'], '7.2f')} {fmt(m['read_records_per_s'], '10.0f')} {fmt(m['read_s'], '7.2f')} "
              f"{fmt(m['checkpoints'], '4.0f')} {fmt(m['p50_ms'], '7.1f')} {fmt(m['p99_ms'], '7.1f')} "
              f"{fmt(m['max_ms'], '7.1f')}")
full, paced = phases["full"]["ratios"], phases["paced"]["ratios"]
print(f"ratio snapbed/Flink at full speed: records/s {fmt(full['records_per_s'], '.2f')}, "
      f"read records/s {fmt(full['read_records_per_s'], '.2f')} (above 1: snapbed faster)")
print(f"ratio snapbed/Flink paced: checkpoint p50 {fmt(paced['checkpoint_p50'], '.3f')}, "
      f"p99 {fmt(paced['checkpoint_p99'], '.3f')} (below 1: snapbed's checkpoints shorter)")
if with_cluster:
    print("(flink = the MiniCluster in one JVM; cluster = the standalone cluster, a JobManager "
          f"and {parallelism} TaskManager JVMs, the job submitted over REST by snapbed run)")
    print(f"ratio standalone cluster/MiniCluster: records/s full {fmt(full['cluster_to_mini_records_per_s'], '.2f')}, "
          f"paced {fmt(paced['cluster_to_mini_records_per_s'], '.2f')}; paced checkpoint p50 "
          f"{fmt(paced['cluster_to_mini_checkpoint_p50'], '.3f')}, p99 "
          f"{fmt(paced['cluster_to_mini_checkpoint_p99'], '.3f')}")
    print(f"ratio snapbed/standalone cluster: records/s full {fmt(full['snapbed_to_cluster_records_per_s'], '.2f')}; "
          f"paced checkpoint p50 {fmt(paced['snapbed_to_cluster_checkpoint_p50'], '.3f')}, p99 "
          f"{fmt(paced['snapbed_to_cluster_checkpoint_p99'], '.3f')}")
for name, ph in phases.items():
    for x in ph["per_run"]:
        s, f = x["snapbed"], x["flink"]
        print(f"  {name} run {x['run']}: {s['topic']}: snapbed {s['records_in']} read, "
              f"{s['records_committed']} committed, {s['records_per_s']:.0f} records/s, "
              f"{s['checkpoints']} checkpoints; Flink {f['records_in']} read, {f['records_committed']} "
              f"committed, {f['records_per_s']:.0f} records/s, {f['checkpoints']} checkpoints "
              f"({f['checkpoints_failed']} failed); committed lines "
              f"{'identical' if x['outputs_identical'] else 'DIFFER'} ({x['output_lines']})")
        if "cluster" in x:
            c = x["cluster"]
            print(f"  {name} run {x['run']}: {c['topic']}: the standalone cluster {c['records_in']} "
                  f"read, {c['records_committed']} committed, {c['records_per_s']:.0f} records/s, "
                  f"{c['checkpoints']} checkpoints; committed lines "
                  f"{'identical to' if x['cluster_outputs_identical'] else 'DIFFER from'} snapbed's")
for p in problems:
    print("MISMATCH: " + p)

commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
load = open("/proc/loadavg").read().split()[:3]
json.dump({"benchmark": "flink", "commit": commit, "cores": os.cpu_count(), "cpu": model,
           "loadavg_at_end": load, "scenario": "bench/flink-job.yaml", "runs": runs,
           "records": records, "paced_records": paced_records, "paced_rate_records_per_s": paced_rate,
           "parallelism": parallelism, "checkpoint_interval_ms": 1000,
           "kafka_version": kafka_version, "flink_version": fl0["flink_version"],
           "flink_connector_kafka": connector, "java_version": fl0["java_version"],
           "phases": phases,
           "standalone_cluster": with_cluster,
           "ratios_snapbed_to_flink": {"records_per_s": full["records_per_s"],
                                       "read_records_per_s": full["read_records_per_s"],
                                       "checkpoint_p50_paced": paced["checkpoint_p50"],
                                       "checkpoint_p99_paced": paced["checkpoint_p99"]},
           "problems": problems}, open("bench/results/flink.json", "w"), indent=2)
print("written: bench/results/flink.json; run folders under " + out)
sys.exit(1 if problems else 0)
PY
