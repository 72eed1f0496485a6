#!/usr/bin/env bash
# snapbed against Apache Flink on the same machine, the same broker and the
# same topic: bench/flink-job.yaml (Kafka -> map -> filter -> file:// sink,
# parallelism 2, a checkpoint every second, no faults) run by snapbed, and
# the same job written for Flink 1.20 (bench/flink/, a local MiniCluster),
# back to back, RUNS times (default 3). Each pair reads one topic: snapbed
# produces it on the real broker (a fresh topic per run, same seed, so the
# same records every time; kept until the broker stops), then Flink reads it.
# Prints, per engine, the median over runs of records/s and of the p50 / p99
# / max end-to-end checkpoint duration, how many records each read and
# committed, whether both committed the same lines, and the ratios
# snapbed/Flink (the median of the per-pair ratios). Writes
# bench/results/flink.json. Skipped (exit 0) without Java and Maven.
# This is a measurement, not a test: nothing here passes or fails on timing;
# it exits 1 only when the two engines did not read or write the same records
# (then the ratio would compare different work).
#
# Environment: RUNS (3), RECORDS (1000000), KAFKA_PORT (39092; the
# controller takes the next port), FLINK_REST_PORT (38081), FLINK_HEAP (1g).
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
port=${KAFKA_PORT:-39092}
rest_port=${FLINK_REST_PORT:-38081}
heap=${FLINK_HEAP:-1g}
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "$me: RUNS must be a positive number, got '$runs'" >&2; exit 2; }
[[ "$records" =~ ^[1-9][0-9]*$ ]] || { echo "$me: RECORDS must be a positive number, got '$records'" >&2; exit 2; }

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
scenario=$out/flink-job.yaml
sed "s/^  records: .*/  records: $records/" bench/flink-job.yaml >"$scenario"
parallelism=$(sed -n 's/^  parallelism: *\([0-9]*\).*/\1/p' "$scenario")

# --- a real broker, stopped whatever happens ------------------------------
trap 'bash scripts/kafka-stop.sh "$port" >&2 || true' EXIT
bootstrap=$(bash scripts/kafka-start.sh "$port" 2>&1 | tail -n 1)
[[ "$bootstrap" == *:"$port" ]] || { echo "$me: the Kafka broker did not start: $bootstrap" >&2; exit 1; }
echo "$me: Kafka at $bootstrap; run folders under $out" >&2

for r in $(seq 1 "$runs"); do
    echo "$me: run $r/$runs: snapbed ($records records produced first, then the job)" >&2
    if ! ./build/snapbed run "$scenario" --kafka "$bootstrap" -q -o "$out/snapbed-$r" >"$out/snapbed-$r.txt"; then
        cat "$out/snapbed-$r.txt" >&2
        echo "$me: snapbed's run $r failed (above; run folder $out/snapbed-$r)" >&2
        exit 1
    fi
    topic=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["topic"])' "$out/snapbed-$r/input.json")
    echo "$me: run $r/$runs: Flink on the same topic, $topic" >&2
    if ! java "${java_opts[@]}" -cp "$flink_dir/target/classes:$flink_dir/target/lib/*" \
            snapbed.bench.FlinkJob "$bootstrap" "$topic" "$out/flink-$r" "$parallelism" "$rest_port" \
            >"$out/flink-$r.json" 2>"$out/flink-$r.log"; then
        tail -n 30 "$out/flink-$r.log" >&2
        echo "$me: the Flink job's run $r failed (log: $out/flink-$r.log)" >&2
        exit 1
    fi
done

python3 - "$out" "$runs" "$records" "$flink_dir/pom.xml" "${KAFKA_VERSION:-4.4.0}" "$parallelism" <<'PY'
import collections, json, os, re, statistics, subprocess, sys
out, runs, records, pom, kafka_version = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
parallelism = int(sys.argv[6])

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
    read_s = read_span_s(os.path.join(d, "trace.jsonl"))
    cks = json.load(open(os.path.join(d, "checkpoints.json")))["checkpoints"]
    inp = json.load(open(os.path.join(d, "input.json")))
    dur = [c["duration_ns"] / 1e6 for c in cks if c["status"] == "completed"]
    return {
        "topic": inp["topic"],
        "topic_records": sum(h - l for h, l in zip(inp["high"], inp["low"])),
        "records_in": s["exactly_once"]["records_in"],
        "records_out": s["exactly_once"]["expected"],
        "records_committed": s["exactly_once"]["committed"],
        "exactly_once_ok": s["exactly_once"]["ok"],
        "wall_s": s["duration_s"], "records_per_s": s["records_per_s"],
        "read_s": read_s, "read_records_per_s": s["exactly_once"]["records_in"] / read_s if read_s else None,
        "checkpoints": len(dur),
        "checkpoints_final": sum(1 for c in cks if c["status"] == "completed" and c["final"]),
        "checkpoints_aborted": s["checkpoints_aborted"],
        "p50_ms": pct(dur, 50), "p99_ms": pct(dur, 99), "max_ms": max(dur) if dur else None,
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
        "max_ms": c.get("max_ms"), "flink_version": f["flink_version"], "java_version": f["java_version"],
    }

def ratio(a, b):
    return a / b if a is not None and b else None

per_run, problems = [], []
for r in range(1, runs + 1):
    sb = snapbed_run(os.path.join(out, f"snapbed-{r}"))
    fl = flink_run(os.path.join(out, f"flink-{r}.json"))
    sb_lines = lines_of(os.path.join(out, f"snapbed-{r}", "output"))
    fl_lines = lines_of(os.path.join(out, f"flink-{r}", "output"))
    only_sb, only_fl = sb_lines - fl_lines, fl_lines - sb_lines
    same = not only_sb and not only_fl
    if fl["topic"] != sb["topic"]:
        problems.append(f"run {r}: Flink read {fl['topic']}, snapbed {sb['topic']}")
    if not (sb["topic_records"] == sb["records_in"] == fl["records_in"]):
        problems.append(f"run {r}: records read differ: topic {sb['topic_records']}, "
                        f"snapbed {sb['records_in']}, Flink {fl['records_in']}")
    if not same:
        ex = list((only_sb or only_fl).elements())[:3]
        problems.append(f"run {r}: committed lines differ: {sum(only_sb.values())} only in snapbed's "
                        f"output, {sum(only_fl.values())} only in Flink's (e.g. {ex})")
    if not sb["exactly_once_ok"]:
        problems.append(f"run {r}: snapbed's own exactly-once check failed")
    per_run.append({
        "run": r, "snapbed": sb, "flink": fl,
        "outputs_identical": same, "output_lines": sum(sb_lines.values()),
        "ratio_records_per_s": ratio(sb["records_per_s"], fl["records_per_s"]),
        "ratio_read_records_per_s": ratio(sb["read_records_per_s"], fl["read_records_per_s"]),
        "ratio_checkpoint_p50": ratio(sb["p50_ms"], fl["p50_ms"]),
        "ratio_checkpoint_p99": ratio(sb["p99_ms"], fl["p99_ms"]),
    })

def med(key, side=None):
    vals = [(x[side] if side else x)[key] for x in per_run]
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None

keys = ["records_in", "records_out", "records_committed", "wall_s", "records_per_s",
        "read_s", "read_records_per_s", "checkpoints", "p50_ms", "p99_ms", "max_ms"]
medians = {side: {k: med(k, side) for k in keys} for side in ("snapbed", "flink")}
ratios = {k: med(k) for k in ("ratio_records_per_s", "ratio_read_records_per_s",
                               "ratio_checkpoint_p50", "ratio_checkpoint_p99")}
fl0 = per_run[0]["flink"]
connector = re.search(r"<flink.kafka.version>([^<]+)<", open(pom).read()).group(1)

def fmt(v, spec):
    return format(v, spec) if v is not None else "-"

print(f"snapbed vs Apache Flink {fl0['flink_version']} (MiniCluster, Java {fl0['java_version']}, "
      f"flink-connector-kafka {connector}) on Kafka {kafka_version}: bench/flink-job.yaml, "
      f"{records} records, parallelism {parallelism}, checkpoints every 1 s; "
      f"median of {runs} run(s), each pair back to back")
print(f"{'engine':8} {'read':>9} {'filtered':>9} {'committed':>9} {'records/s':>10} {'wall s':>7} "
      f"{'read rec/s':>10} {'read s':>7} {'chk':>4} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
for side in ("snapbed", "flink"):
    m = medians[side]
    print(f"{side:8} {fmt(m['records_in'], '9.0f')} {fmt(m['records_out'], '9.0f')} "
          f"{fmt(m['records_committed'], '9.0f')} {fmt(m['records_per_s'], '10.0f')} {fmt(m['wall_s'], '7.2f')} "
          f"{fmt(m['read_records_per_s'], '10.0f')} {fmt(m['read_s'], '7.2f')} {fmt(m['checkpoints'], '4.0f')} "
          f"{fmt(m['p50_ms'], '8.1f')} {fmt(m['p99_ms'], '8.1f')} {fmt(m['max_ms'], '8.1f')}")
print(f"ratio snapbed/Flink: records/s {fmt(ratios['ratio_records_per_s'], '.2f')}, "
      f"read records/s {fmt(ratios['ratio_read_records_per_s'], '.2f')} (above 1: snapbed faster); "
      f"checkpoint p50 {fmt(ratios['ratio_checkpoint_p50'], '.3f')}, p99 {fmt(ratios['ratio_checkpoint_p99'], '.3f')} "
      f"(below 1: snapbed's checkpoints shorter)")
for x in per_run:
    s, f = x["snapbed"], x["flink"]
    print(f"  run {x['run']}: {s['topic']}: snapbed {s['records_in']} read, {s['records_committed']} committed, "
          f"{s['records_per_s']:.0f} records/s, {s['checkpoints']} checkpoints; Flink {f['records_in']} read, "
          f"{f['records_committed']} committed, {f['records_per_s']:.0f} records/s, {f['checkpoints']} checkpoints "
          f"({f['checkpoints_failed']} failed); committed lines "
          f"{'identical' if x['outputs_identical'] else 'DIFFER'} ({x['output_lines']})")
for p in problems:
    print("MISMATCH: " + p)

commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
json.dump({"benchmark": "flink", "commit": commit, "cores": os.cpu_count(), "cpu": model,
           "scenario": "bench/flink-job.yaml", "records": records, "runs": runs,
           "kafka_version": kafka_version, "flink_version": fl0["flink_version"],
           "flink_connector_kafka": connector, "java_version": fl0["java_version"],
           "parallelism": parallelism, "checkpoint_interval_ms": 1000,
           "per_run": per_run, "medians": medians, "ratios_snapbed_to_flink": ratios,
           "problems": problems}, open("bench/results/flink.json", "w"), indent=2)
print("written: bench/results/flink.json; run folders under " + out)
sys.exit(1 if problems else 0)
PY
