#!/usr/bin/env bash
# The real lane's services start and stop reliably: SeaweedFS S3
# (scripts/s3.sh) and Apache Kafka (scripts/kafka.sh) are each started and
# stopped N times in a row on their own ports. Every start must succeed and
# answer (s3.sh start checks a signed ListBuckets and creates the buckets;
# kafka-start.sh checks a metadata request), `status` must say running, and
# after every stop nothing may be left: no process of that service for that
# port, its ports closed, its state directory gone.
#
# Regressions of issue #15 part 7: s3.sh read an empty /proc/PID/cmdline
# (an exec in progress) as "exited" and killed the server it had just
# started; kafka-start.sh judged liveness by the command line too, and a
# failed start lost its log. So also: a start that fails (a weed that dies
# at once; a JVM refused its heap) must exit 1, leave nothing running, and
# keep its log outside the state directory with the path printed.
# Control: the leftover check, run while a service is up, must find it.
#
# usage: tests/services.sh   (SERVICES_S3_CYCLES=20, SERVICES_KAFKA_CYCLES=20,
#        SERVICES_S3_PORT=28333 (uses PORT..PORT+7), SERVICES_KAFKA_PORT=29092)
# The binaries come from the cache that scripts/s3.sh and kafka-start.sh
# fill once (~/.cache/snapbed).
set -uo pipefail
cd "$(dirname "$0")/.."
s3_cycles=${SERVICES_S3_CYCLES:-20}
kafka_cycles=${SERVICES_KAFKA_CYCLES:-20}
s3_port=${SERVICES_S3_PORT:-28333}
kafka_port=${SERVICES_KAFKA_PORT:-29092}
out=$(mktemp -d /tmp/snapbed-services.XXXXXX)
failures=0

fail() {
    echo "services FAILED: $*" >&2
    failures=$((failures + 1))
}

cleanup() {
    bash scripts/s3.sh stop "$s3_port" > /dev/null 2>&1
    bash scripts/kafka.sh stop "$kafka_port" > /dev/null 2>&1
    rm -rf "$out"
}
trap cleanup EXIT

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# leftovers SERVICE PORT: prints what is left of the service on PORT (its
# processes, open ports, state directory); 0 when something is.
leftovers() {
    local service="$1" port="$2" left="" p pattern dir ports
    if [ "$service" = s3 ]; then
        pattern=" -s3.port=$port "
        dir="${S3_DIR:-/tmp/snapbed-s3-$port}"
        ports=$(seq "$port" $((port + 7)))
    else
        pattern="snapbed-kafka-$port/server.properties"
        dir="${KAFKA_DIR:-/tmp/snapbed-kafka-$port}"
        ports="$port $((port + 1))"
    fi
    for p in /proc/[0-9]*; do
        [[ "$(tr '\0' ' ' 2>/dev/null < "$p/cmdline") " == *"$pattern"* ]] &&
            left+=" process ${p#/proc/}"
    done
    for p in $ports; do port_open "$p" && left+=" port $p"; done
    [ -e "$dir" ] && left+=" folder $dir"
    [ -n "$left" ] || return 1
    echo "$left"
}

# cycles SERVICE PORT N: start, status, stop, leftovers, N times.
cycles() {
    local service="$1" port="$2" n="$3" script="scripts/$1.sh" i t0 left
    t0=$(date +%s)
    for i in $(seq 1 "$n"); do
        if ! bash "$script" start "$port" > "$out/$service-start.log" 2>&1; then
            fail "$service start $i of $n failed:"
            tail -n 30 "$out/$service-start.log" >&2
            return
        fi
        bash "$script" status "$port" > /dev/null 2>&1 ||
            fail "$service: status after start $i does not say running"
        if [ "$i" -eq 1 ]; then
            # Control: the check below sees a running service.
            leftovers "$service" "$port" > /dev/null ||
                fail "control: the leftover check does not see a running $service"
        fi
        bash "$script" stop "$port" > "$out/$service-stop.log" 2>&1 ||
            { fail "$service stop $i of $n failed"; cat "$out/$service-stop.log" >&2; }
        if left=$(leftovers "$service" "$port"); then
            fail "$service: left after stop $i:$left"
            return
        fi
    done
    echo "ok      $service: $n start/stop cycles on port $port in $(( $(date +%s) - t0 )) s"
}

# failed_start SERVICE PORT ENV...: a start made to fail must exit 1, print
# where its log was kept (a file that exists), and leave nothing running.
failed_start() {
    local service="$1" port="$2" kept
    shift 2
    if env "$@" bash "scripts/$service.sh" start "$port" > "$out/fail.log" 2>&1; then
        fail "$service: a start that cannot work exited 0"
        bash "scripts/$service.sh" stop "$port" > /dev/null 2>&1
        return
    fi
    kept=$(sed -n 's/.*log of the failed start kept in \(.*\); last lines:$/\1/p' "$out/fail.log")
    if [ -z "$kept" ] || [ ! -s "$kept" ]; then
        fail "$service: a failed start kept no log (output: $(tail -3 "$out/fail.log" | tr '\n' ' '))"
    else
        echo "ok      $service: a failed start exits 1 and keeps its log ($kept)"
        rm -f "$kept"
    fi
    bash "scripts/$service.sh" stop "$port" > /dev/null 2>&1
    left=$(leftovers "$service" "$port") && fail "$service: left after a failed start:$left"
}

for p in $(seq "$s3_port" $((s3_port + 7))) "$kafka_port" $((kafka_port + 1)); do
    port_open "$p" && { echo "services: port $p is in use; set SERVICES_*_PORT" >&2; exit 2; }
done

echo "=== services: SeaweedFS S3 x $s3_cycles, Kafka x $kafka_cycles"
cycles s3 "$s3_port" "$s3_cycles"
cycles kafka "$kafka_port" "$kafka_cycles"

echo "=== services: failed starts keep their logs"
printf '#!/bin/sh\necho "weed: made to fail by tests/services.sh" >&2\nexit 1\n' > "$out/weed"
chmod +x "$out/weed"
failed_start s3 "$s3_port" WEED_BIN="$out/weed"
failed_start kafka "$kafka_port" KAFKA_HEAP_OPTS="-Xms2g -Xmx1g"

if [ $failures -gt 0 ]; then
    echo "services: $failures failure(s)" >&2
    exit 1
fi
echo "services: OK"
