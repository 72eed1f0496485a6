# bench/common.sh — sourced by the bench/*.sh scripts: the real services on
# the benchmark ports (started on demand, stopped on exit), and the run
# folder. Figures and tables are python's job (bench/lib.py).
#
# Environment: BENCH_KAFKA_PORT (49092), BENCH_S3_PORT (48333),
# BENCH_S3=auto|1|0 (auto: use the S3 server only when its weed binary is
# already built, since the first build takes many minutes; 1: build it if
# needed; 0: never), BENCH_REAL_KAFKA=1|0 (1: also against a real broker).

# The input of the Kafka benchmarks: RECORDS records (1 M) of RECORD_BYTES
# bytes (100, input.record_bytes) over PARTITIONS partitions (32: the
# embedded Kafka keeps about 5 MB per partition); RUNS repetitions (3).
bench_runs=${RUNS:-3}
bench_records=${RECORDS:-1000000}
bench_bytes=${RECORD_BYTES:-100}
bench_partitions=${PARTITIONS:-32}
bench_kafka_port=${BENCH_KAFKA_PORT:-49092}
bench_s3_port=${BENCH_S3_PORT:-48333}
bench_stop=()   # commands run on exit, last started first

bench_cleanup() {
    local i
    for ((i = ${#bench_stop[@]} - 1; i >= 0; i--)); do
        eval "${bench_stop[$i]}" >/dev/null 2>&1 || true
    done
}
trap bench_cleanup EXIT

# bench_out NAME: a fresh folder under out/ for this benchmark's runs.
bench_out() {
    local dir
    dir=out/bench-$1-$(date +%Y%m%d-%H%M%S)-$$
    mkdir -p "$dir"
    echo "$dir"
}

# bench_kafka_start: sets bench_bootstrap to a real broker on the benchmark
# port, or to "" (with the reason on stderr) when it cannot run. Not in a
# $(...): the stop it registers must reach the trap of this shell.
bench_bootstrap=""
bench_kafka_start() {
    bench_bootstrap=""
    if [ "${BENCH_REAL_KAFKA:-1}" = 0 ]; then
        echo "bench: BENCH_REAL_KAFKA=0: no real Kafka broker" >&2
        return 0
    fi
    if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
        echo "bench: java or mvn missing: no real Kafka broker (scripts/kafka-start.sh installs them)" >&2
        return 0
    fi
    bench_stop+=("bash scripts/kafka-stop.sh $bench_kafka_port")
    local out
    if ! out=$(bash scripts/kafka-start.sh "$bench_kafka_port" 2>&1); then
        echo "bench: the real Kafka broker did not start on $bench_kafka_port: $(echo "$out" | tail -3)" >&2
        return 0
    fi
    bench_bootstrap=$(echo "$out" | tail -1)
}

# bench_s3_start: exports S3_ENDPOINT (the S3 server on the benchmark port)
# and the test credentials, or leaves S3_ENDPOINT "" (reason on stderr).
bench_s3_start() {
    S3_ENDPOINT=""
    local mode=${BENCH_S3:-auto}
    if [ "$mode" = 0 ]; then
        echo "bench: BENCH_S3=0: no S3 server" >&2
        return 0
    fi
    local weed=${WEED_BIN:-${SNAPBED_CACHE:-$HOME/.cache/snapbed}/bin/weed}
    if [ "$mode" = auto ] && [ ! -x "$weed" ]; then
        echo "bench: no built SeaweedFS ($weed): S3 skipped; BENCH_S3=1 builds it (10-20 minutes once)" >&2
        return 0
    fi
    bench_stop+=("bash scripts/s3.sh stop $bench_s3_port")
    local out
    if ! out=$(bash scripts/s3.sh start "$bench_s3_port" 2>&1); then
        echo "bench: the S3 server did not start on $bench_s3_port: $(echo "$out" | tail -3)" >&2
        return 0
    fi
    export S3_ENDPOINT AWS_ACCESS_KEY_ID=snapbed-test-key AWS_SECRET_ACCESS_KEY=snapbed-test-secret \
        AWS_REGION=us-east-1
    S3_ENDPOINT=$(echo "$out" | tail -1)
}
