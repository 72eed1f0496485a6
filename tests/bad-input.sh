#!/usr/bin/env bash
# Bad input, as a table (tests/bad-input.tsv): every command fed every kind
# of bad input must answer with exit 2 and one line on stderr naming the
# input and what is wrong. For each row, with the plain build and with the
# ASan+UBSan build (build-asan/snapbed, when it exists):
# - the exit status is 2 (so no signal death either: that would be >= 128);
# - stderr is exactly one line and holds the row's words;
# - no sanitizer report;
# - no process of the row is left (each row runs in its own session);
# - nothing was written outside the row's run folder ($RUN): the scratch
#   tree is listed before and after.
# Then the defects of issue #15 part 7 that are not exit-2 rows: read-only
# and full file:// locations (exit 2, with root: a tmpfs), a worker past
# the file-size limit (exit 1, worker.log names the file), and a
# supervisor killed or stopped while its worker runs (no worker left).
#
# usage: tests/bad-input.sh [ROW-NAME-SUBSTRING]
#        SNAPBED=path SNAPBED_ASAN=path (SNAPBED_ASAN= to skip the ASan build)
#        ROW_SECONDS=N: a row still running after N s fails (default 60)
set -uo pipefail

cd "$(dirname "$0")/.."
repo=$(pwd)
abspath() { case "$1" in /*) echo "$1" ;; *) echo "$repo/$1" ;; esac; }
bin=$(abspath "${SNAPBED:-build/snapbed}")
asan=${SNAPBED_ASAN-build-asan/snapbed}
[ -n "$asan" ] && asan=$(abspath "$asan")
[ -n "$asan" ] && [ ! -x "$asan" ] && { echo "bad-input: no $asan; ASan rows skipped"; asan=; }
filter=${1:-}
row_seconds=${ROW_SECONDS:-60}
[ -x "$bin" ] || { echo "bad-input: no $bin (make build/snapbed)" >&2; exit 2; }

top=$(mktemp -d /tmp/snapbed-bad-input.XXXXXX) # listed before and after each row
aux=$(mktemp -d /tmp/snapbed-bad-input-aux.XXXXXX) # the base run, captured stderr
work=$top/work
mkdir -p "$work/in" "$work/runs"
mounts=()
cleanup() {
    for m in "${mounts[@]}"; do umount "$m" 2>/dev/null; done
    rm -rf "$top" "$aux"
}
trap cleanup EXIT
cd "$work" || exit 2

failures=0
rows=0
fail() { echo "FAIL $1: $2"; failures=$((failures + 1)); }

# ------------------------------------------------------------ the inputs

make_inputs() {
    local in=$work/in
    mkdir -p "$in/empty-dir" "$in/empty-trace" "$in/random-trace"
    : >"$in/empty.yaml"
    : >"$in/empty.jsonl"
    : >"$in/empty-trace/trace.jsonl"
    echo "not a folder" >"$in/a-file"
    head -c 10485760 /dev/urandom >"$in/random.bin"
    head -c 4096 "$in/random.bin" >"$in/random-trace/trace.jsonl"
    printf 'name: x\ndescription: "\x01\x02"\n' >"$in/random-small.yaml"
    python3 -c "print('name: deep\ndescription: ' + '[' * 100000 + ']' * 100000)" >"$in/deep.yaml"
    python3 - >"$in/aliases.yaml" <<'EOF'
print('a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]')
for i in range(1, 10):
    print(f'a{i}: &a{i} [' + ', '.join([f'*a{i - 1}'] * 9) + ']')
EOF
    printf 'name: x\nbogus: 1\n' >"$in/unknown-key.yaml"
    printf 'engine: flink\nflink: { address: nowhere }\n' >"$in/flink-address.yaml"
    printf 'engine: flink\nfaults:\n  - do: crash\n    at: 1s\n    target: jobmanager\n' \
        >"$in/flink-jobmanager.yaml"
    printf 'engine: flink\nfaults:\n  - do: { broker: partition, id: 1 }\n    at: 1s\n    for: 1s\n' \
        >"$in/flink-partition-one-broker.yaml"
    printf 'faults:\n  - do: { broker: partition, id: 1 }\n    at: 1s\n    for: 1s\n' \
        >"$in/partition-embedded.yaml"
    printf 'name: x\ninput:\n  partitions: four\n' >"$in/wrong-type.yaml"
    printf 'pipeline:\n  parallelism: 0\n' >"$in/parallelism-0.yaml"
    printf 'pipeline:\n  parallelism: 100000\n' >"$in/parallelism-100000.yaml"
    printf 'execution.checkpointing.interval: -5s\n' >"$in/negative-interval.yaml"
    printf 'input:\n  partitions: 1099511627776\n' >"$in/partitions-2e40.yaml"
    printf 'execution.checkpointing.timeout: 0\n' >"$in/timeout-0.yaml"
    printf 'input:\n  records: 1099511627776\n' >"$in/records-2e40.yaml"
    printf 'pipeline:\n  sink: file://../../escape\n' >"$in/dotdot-sink.yaml"
    printf 'state.checkpoints.dir: file://a/../../escape\n' >"$in/dotdot-checkpoints.yaml"
    # Were it followed, it would land in $top, which is listed (and removed).
    printf 'pipeline:\n  sink: file://%s/work/in/../../escape\n' "$top" >"$in/absolute-dotdot.yaml"
    printf 'pipeline:\n  sink: "s3://"\n' >"$in/s3-no-bucket.yaml"
    printf 'pipeline:\n  sink: hdfs://namenode/out\n' >"$in/hdfs.yaml"
    printf 'name: ok\ninput:\n  records: 2000\n' >"$in/ok.yaml"
    printf 'name: big\ninput:\n  records: 200000\nrestart-strategy.fixed-delay.attempts: 1\n' \
        >"$in/big.yaml"
    printf 'name: slow\ninput:\n  records: 200000\npipeline:\n  source:\n    records_per_s: 20000\n' \
        >"$in/slow.yaml"
    # A real trace, then damaged: cut cleanly between two lines before the
    # run finished, reordered, a garbage line, the two lines of issue #15.
    "$bin" run "$in/ok.yaml" -o "$aux/base" -q >/dev/null 2>&1 ||
        { echo "bad-input: the base run failed" >&2; exit 2; }
    local t=$aux/base/trace.jsonl n
    n=$(wc -l <"$t")
    head -n $((n / 2)) "$t" >"$in/truncated.jsonl"
    { head -n 1 "$t"; tail -n +2 "$t" | tac; } >"$in/reordered.jsonl"
    { head -n 5 "$t"; echo 'garbage, not an event'; tail -n +6 "$t"; } >"$in/garbage.jsonl"
    printf '{"event":"job_graph"}\n{"event":"checkpoint_triggered"}\n' >"$in/two-lines.jsonl"
}

# Everything under $top but the row's run folder.
listing() {
    find "$top" -path "$work/$1" -prune -o -print | sort
}

# run_row NAME BIN EXPECTED ARGS...: one row with one build.
run_row() {
    local name=$1 b=$2 expected=$3 run=$4
    shift 4
    rows=$((rows + 1))
    local before after err=$aux/stderr rc
    before=$(listing "$run")
    # A row that hangs (2^40 records used to run for days) fails, after
    # ROW_SECONDS, with exit 124.
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        setsid timeout -k 5 "$row_seconds" "$b" "$@" >/dev/null 2>"$err" </dev/null &
    local pid=$!
    wait "$pid"
    rc=$?
    local left
    left=$(pgrep -s "$pid" | tr '\n' ' ')
    [ -n "$left" ] && { fail "$name" "processes left: $left"; kill -KILL $left; }
    after=$(listing "$run")
    local lines
    lines=$(grep -c '' "$err")
    if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer' "$err"; then
        fail "$name" "sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error' "$err")"
    elif [ "$rc" -ne 2 ]; then
        fail "$name" "exit $rc, not 2; stderr: $(head -c 300 "$err")"
    elif [ "$lines" -ne 1 ]; then
        fail "$name" "$lines lines on stderr, not one: $(head -c 300 "$err")"
    elif ! grep -qF -- "$expected" "$err"; then
        fail "$name" "stderr lacks '$expected': $(head -c 300 "$err")"
    elif [ "$before" != "$after" ]; then
        fail "$name" "written outside $run: $(diff <(echo "$before") <(echo "$after") | grep '^>' | head -3 | tr '\n' ' ')"
    else
        echo "ok   $name"
    fi
}

table_rows() {
    local name args expected b variant
    while IFS=$'\t' read -r name args expected; do
        [[ -z "$name" || "$name" == \#* ]] && continue
        [[ -n "$filter" && "$name" != *"$filter"* ]] && continue
        for variant in plain asan; do
            b=$bin
            [ "$variant" = asan ] && { [ -n "$asan" ] || continue; b=$asan; }
            local run=runs/$name-$variant
            local argv
            read -ra argv <<<"${args//\$RUN/$run}"
            run_row "$name ($variant)" "$b" "$expected" "$run" "${argv[@]}"
        done
    done <"$repo/tests/bad-input.tsv"
}

# --------------------------------------------------- the defects of part 7

# A read-only and a full file:// location are usage errors before the run.
storage_rows() {
    mkdir -p "$top/full" "$top/ro"
    if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=64k tmpfs "$top/full" 2>/dev/null; then
        echo "skip read-only and full locations: mounting a tmpfs needs root"
        return
    fi
    mounts+=("$top/full")
    dd if=/dev/zero of="$top/full/fill" bs=4k count=64 2>/dev/null
    mount -t tmpfs -o size=64k,ro tmpfs "$top/ro" && mounts+=("$top/ro")
    run_row "full-sink" "$bin" "No space left on device" runs/full-sink \
        run in/ok.yaml -o runs/full-sink --sink "file://$top/full/sink"
    run_row "full-checkpoints" "$bin" "No space left on device" runs/full-chk \
        run in/ok.yaml -o runs/full-chk --checkpoints "file://$top/full/chk"
    run_row "read-only-sink" "$bin" "Read-only file system" runs/ro-sink \
        run in/ok.yaml -o runs/ro-sink --sink "file://$top/ro/sink"
    run_row "read-only-checkpoints" "$bin" "Read-only file system" runs/ro-chk \
        run in/ok.yaml -o runs/ro-chk --checkpoints "file://$top/ro/chk"
}

# Past ulimit -f the worker fails with EFBIG, naming the file, instead of
# dying by SIGXFSZ with an empty worker.log.
file_size_limit() {
    rows=$((rows + 1))
    local rc
    (ulimit -f 100; exec "$bin" run in/big.yaml -o runs/xfsz -q >/dev/null 2>"$aux/xfsz.err")
    rc=$?
    if [ "$rc" -ne 1 ]; then
        fail "file-size-limit" "exit $rc, not 1: $(tail -c 300 "$aux/xfsz.err")"
    elif ! grep -q 'write /.*: File too large' runs/xfsz/worker.log; then
        fail "file-size-limit" "worker.log names no file: $(head -c 300 runs/xfsz/worker.log)"
    else
        echo "ok   file-size-limit"
    fi
}

# A supervisor stopped (SIGTERM) or killed (SIGKILL) while its worker runs
# leaves no worker behind.
supervisor_killed() {
    local sig=$1 run=$work/runs/killed-$1 pid w i
    rows=$((rows + 1))
    "$bin" run in/slow.yaml -o "$run" -q >/dev/null 2>"$aux/killed.err" &
    pid=$!
    for i in $(seq 100); do
        w=$(pgrep -f "worker --run-dir $run")
        [ -n "$w" ] && break
        sleep 0.1
    done
    [ -z "$w" ] && { fail "supervisor-$sig" "no worker started"; kill -KILL "$pid"; return; }
    kill "-$sig" "$pid"
    wait "$pid" 2>/dev/null
    for i in $(seq 20); do
        pgrep -f "worker --run-dir $run" >/dev/null || break
        sleep 0.1
    done
    if pgrep -f "worker --run-dir $run" >/dev/null; then
        fail "supervisor-$sig" "worker $w still runs"
        kill -KILL $w
    else
        echo "ok   supervisor-$sig: worker $w stopped with it"
    fi
}

make_inputs
table_rows
if [ -z "$filter" ]; then
    storage_rows
    file_size_limit
    supervisor_killed TERM
    supervisor_killed KILL
fi
echo "bad-input: $((rows - failures)) of $rows rows passed"
[ "$failures" -eq 0 ]
