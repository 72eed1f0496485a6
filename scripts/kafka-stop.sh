#!/usr/bin/env bash
# kafka-stop.sh [PORT] -- stops the single-node Kafka broker that
# scripts/kafka-start.sh started on 127.0.0.1:PORT (default 19092) and removes
# its state directory (${KAFKA_DIR:-/tmp/snapbed-kafka-PORT}), so that the next
# start begins from an empty cluster.
#
# Why a script: the broker runs detached (setsid), so nothing else ends it;
# only the pid in its state directory names it. It gets SIGTERM (a clean,
# controlled shutdown) and KAFKA_STOP_TIMEOUT seconds (default 30) to exit,
# then SIGKILL. Stopping a broker that is not running says so and exits 0.
set -euo pipefail

me="kafka-stop"
die() { echo "$me: $*" >&2; exit 1; }

port="${1:-19092}"
[[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 1024 ] && [ "$port" -le 65534 ] \
    || die "PORT must be a number from 1024 to 65534, got '$port'"
dir="${KAFKA_DIR:-/tmp/snapbed-kafka-$port}"
pidfile="$dir/kafka.pid"
timeout="${KAFKA_STOP_TIMEOUT:-30}"
marker=".snapbed-kafka"   # written by kafka-start.sh into the directories it owns

is_our_broker() { # pid -> 0 when it is a live kafka.Kafka process
    [ -n "$1" ] && [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep 'kafka\.Kafka' >/dev/null
}

pid=""
[ -f "$pidfile" ] && pid="$(cat "$pidfile" 2>/dev/null || true)"
if is_our_broker "$pid"; then
    echo "$me: stopping Kafka on 127.0.0.1:$port (pid $pid) ..."
    kill -TERM "$pid" 2>/dev/null || true
    waited=0
    while is_our_broker "$pid" && [ "$waited" -lt "$timeout" ]; do
        sleep 1
        waited=$((waited + 1))
    done
    if is_our_broker "$pid"; then
        echo "$me: still running after ${timeout}s: sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do is_our_broker "$pid" || break; sleep 0.5; done
        ! is_our_broker "$pid" || die "pid $pid did not exit even after SIGKILL"
    fi
    echo "$me: stopped after ${waited}s"
else
    echo "$me: no Kafka broker is running for port $port${pid:+ (stale pid $pid)}"
fi

if [ -d "$dir" ]; then
    case "$dir" in
        ""|/|"$HOME"|"$HOME/") die "refusing to remove '$dir'" ;;
    esac
    [ -f "$dir/$marker" ] || die "$dir was not made by kafka-start.sh: not removing it"
    rm -rf "$dir"
    echo "$me: removed $dir"
fi
