#!/usr/bin/env bash
# tests/fuzz/run.sh — drives the libFuzzer harnesses of tests/fuzz/.
#   fuzz     (make fuzz) each harness for FUZZ_SECONDS (default 30) over its
#            committed corpus and regression inputs; what it finds new goes to
#            build-fuzz/corpus-new/<harness>/, never into the repository.
#            Prints per harness the runs and runs/s and "no crash", or the
#            input that crashed, leaked, hung or ran out of memory.
#   regress  (make fuzz-regress) every regression input and corpus file once
#            through each harness, then tests/fuzz/check-input.sh (the trace
#            defects through `snapbed check` and `snapbed viz`): seconds.
# Exit: 0 nothing found, 1 a harness found something (or a build failed),
# 2 no clang or no libFuzzer runtime (the sentence says what to install).
set -uo pipefail
cd "$(dirname "$0")/../.."
mode="${1:-fuzz}"
seconds="${FUZZ_SECONDS:-30}"
cc="${FUZZ_CC:-clang}"
out=build-fuzz

if ! command -v "$cc" >/dev/null 2>&1; then
    echo "fuzz: $cc not found: the harnesses need clang with libFuzzer" \
         "(make deps installs clang and libclang-rt-14-dev)" >&2
    exit 2
fi
probe=$(mktemp -d /tmp/snapbed-fuzz-probe-XXXXXX)
trap 'rm -rf "$probe"' EXIT
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
    > "$probe/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/probe.c" -o "$probe/probe" \
        2> "$probe/err"; then
    echo "fuzz: $cc cannot link a libFuzzer harness ($(head -c 200 "$probe/err" | head -1));" \
         "install libclang-rt-14-dev (make deps)" >&2
    exit 2
fi
if ! make -s -j2 fuzz-build FUZZ_CC="$cc"; then
    echo "fuzz: the harnesses do not build" >&2
    exit 1
fi

harnesses=$(ls tests/fuzz/fuzz_*.c | sed 's|tests/fuzz/fuzz_\(.*\)\.c|\1|')

# The largest input each harness is given: the readers' own bounds, or
# what keeps one run fast (a trace line is at most 64 KiB).
max_len() {
    case "$1" in
        trace) echo 65536 ;;
        runjson) echo 65536 ;;
        *) echo 16384 ;;
    esac
}

# The kind of finding from libFuzzer's artifact name.
kind_of() {
    case "$(basename "$1")" in
        leak-*) echo "a leak" ;;
        timeout-*) echo "a timeout (over 10 s)" ;;
        oom-*) echo "memory over 2048 MiB" ;;
        slow-unit-*) echo "a slow input" ;;
        *) echo "a crash" ;;
    esac
}

# Committed inputs of a harness: corpus and regression folders that exist.
inputs_of() {
    local d
    for d in "tests/fuzz/corpus/$1" "tests/fuzz/regress/$1"; do
        [ -d "$d" ] && echo "$d"
    done
}

failed=0
if [ "$mode" = fuzz ]; then
    for h in $harnesses; do
        mkdir -p "$out/corpus-new/$h" "$out/crashes/$h"
        dict=""
        [ -f "tests/fuzz/$h.dict" ] && dict="-dict=tests/fuzz/$h.dict"
        log="$out/fuzz-$h.log"
        # shellcheck disable=SC2046,SC2086
        "./$out/fuzz_$h" -max_total_time="$seconds" -max_len="$(max_len "$h")" \
            -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
            -artifact_prefix="$out/crashes/$h/" $dict "$out/corpus-new/$h" \
            $(inputs_of "$h") > "$log" 2>&1
        rc=$?
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        if [ "$rc" -eq 0 ]; then
            printf 'fuzz: %-11s %9s runs in %ss, %6s runs/s: no crash\n' "$h" "${runs:-?}" \
                "$seconds" "${rate:-?}"
        else
            failed=1
            printf 'fuzz: %-11s FOUND %s: %s (log %s); replay: ./%s/fuzz_%s %s\n' "$h" \
                "$(kind_of "${artifact:-crash-}")" "${artifact:-no input saved}" "$log" "$out" \
                "$h" "${artifact:-}"
        fi
    done
    exit "$failed"
fi

if [ "$mode" != regress ]; then
    echo "usage: tests/fuzz/run.sh fuzz|regress" >&2
    exit 2
fi
for h in $harnesses; do
    files=$(find $(inputs_of "$h") -type f 2>/dev/null | sort)
    count=$(printf '%s\n' "$files" | grep -c . || true)
    if [ "$count" -eq 0 ]; then
        printf 'fuzz-regress: %-11s no input\n' "$h"
        continue
    fi
    log="$out/regress-$h.log"
    # shellcheck disable=SC2086
    if "./$out/fuzz_$h" -rss_limit_mb=2048 -timeout=10 $files > "$log" 2>&1; then
        printf 'fuzz-regress: %-11s %4d inputs: no crash\n' "$h" "$count"
    else
        failed=1
        printf 'fuzz-regress: %-11s FAILED on %s (log %s)\n' "$h" \
            "$(sed -n 's/^Running: //p' "$log" | tail -1)" "$log"
    fi
done
# The negative control: a planted crashing input must fail the replay.
printf 'PLANTED-CRASH' > "$probe/planted"
if SNAPBED_FUZZ_PLANT=1 "./$out/fuzz_s3xml" "$probe/planted" > "$out/regress-planted.log" 2>&1; then
    echo "fuzz-regress: FAIL: a planted crash passed the replay: it would miss a real one"
    failed=1
else
    echo "fuzz-regress: negative control: a planted crash fails the replay"
fi
# The dictionary follows the scenario language: regenerated from the
# sources, it must be what is committed (it once lacked every engine: flink
# key for a whole issue).
if python3 tests/fuzz/mkdict.py "$probe/scenario.dict" >/dev/null &&
    cmp -s "$probe/scenario.dict" tests/fuzz/scenario.dict; then
    echo "fuzz-regress: tests/fuzz/scenario.dict is up to date"
else
    echo "fuzz-regress: FAIL: tests/fuzz/scenario.dict is stale; run tests/fuzz/seeds.sh --dict"
    failed=1
fi
make -s build/snapbed || exit 1
bash tests/fuzz/check-input.sh || failed=1
exit "$failed"
