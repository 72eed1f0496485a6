#!/usr/bin/env bash
# kafka.sh start|stop|status [PORT] -- the real Apache Kafka broker of the
# real lane (single-node KRaft on 127.0.0.1:PORT, default 19092). start and
# stop are kafka-start.sh and kafka-stop.sh; status says whether it runs.
# `kafka.sh cluster SUBCOMMAND ...` is the three-broker cluster
# (kafka-cluster.sh; `kafka.sh cluster --help`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cmd="${1:-}"
port="${2:-19092}"
case "$cmd" in
start) exec bash "$here/kafka-start.sh" "$port" ;;
stop) exec bash "$here/kafka-stop.sh" "$port" ;;
cluster) shift; exec bash "$here/kafka-cluster.sh" "$@" ;;
status)
    pidfile="${KAFKA_DIR:-/tmp/snapbed-kafka-$port}/kafka.pid"
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] &&
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep 'kafka\.Kafka' >/dev/null; then
        echo "kafka: running (pid $pid) on 127.0.0.1:$port"
        exit 0
    fi
    echo "kafka: not running on 127.0.0.1:$port"
    exit 3
    ;;
*)
    echo "usage: scripts/kafka.sh start|stop|status [PORT] | cluster SUBCOMMAND ... (cluster --help)" >&2
    exit 2
    ;;
esac
