#!/usr/bin/env bash
# The real-Kafka lane: the same scenarios against a real Apache Kafka broker
# (single-node KRaft on 127.0.0.1, started by scripts/kafka-start.sh and
# stopped afterwards, whatever happens). Needs Java and Maven, which the
# start script installs when missing; the broker's jars are cached in
# ~/.cache/snapbed.
set -euo pipefail
cd "$(dirname "$0")/.."

port=${KAFKA_PORT:-19092}
scenarios=(scenarios/no-faults.yaml scenarios/quickstart.yaml scenarios/kill-during-final.yaml)

trap 'bash scripts/kafka-stop.sh "$port" || true' EXIT
bootstrap=$(bash scripts/kafka-start.sh "$port" | tail -1)
echo "kafka lane: broker at $bootstrap"
SNAPBED_ARGS="--kafka $bootstrap" bash tests/scenarios.sh "${scenarios[@]}"
