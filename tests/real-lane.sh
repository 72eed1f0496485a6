#!/usr/bin/env bash
# The real lane: snapbed against a real Apache Kafka broker and a real S3
# server (SeaweedFS, with signature checking on), both on 127.0.0.1,
# started here and stopped afterwards whatever happens.
#
#  1. the S3 client's unit tests against the server (every operation,
#     pagination past 1000 keys, multipart with 5 MiB parts, a wrong
#     secret, a missing bucket);
#  2. the scenario suite with the sink and the checkpoints on S3 and the
#     input on the real broker;
#  3. an independent cross-check of one run: kcat reads the topic, boto3
#     reads the committed objects, and both must agree with snapbed.
#
# The first run builds SeaweedFS (many minutes) and fetches Kafka's jars;
# both are cached in ~/.cache/snapbed.
set -euo pipefail
cd "$(dirname "$0")/.."

kafka_port=${KAFKA_PORT:-19092}
s3_port=${S3_PORT:-18333}
cache="${SNAPBED_CACHE:-$HOME/.cache/snapbed}"
# A subset of the library (most broker faults need the embedded Kafka; pause
# and kill act on the real broker's process), plus what only makes sense on
# S3: network faults through the fault proxy in HTTP mode; and unaligned
# checkpoints, whose channel state then lives on S3.
scenarios=(scenarios/quickstart.yaml scenarios/keyed-count-kills.yaml
           scenarios/kill-after-commit.yaml scenarios/kill-during-final.yaml
           scenarios/crash-mid-commit.yaml scenarios/crash-during-restore.yaml
           scenarios/negative-at-least-once.yaml scenarios/mutant-overwrite-published.yaml
           scenarios/broker-pause.yaml scenarios/broker-kill.yaml
           scenarios/network-kafka.yaml scenarios/s3/s3-network-faults.yaml
           scenarios/unaligned-kills.yaml scenarios/unaligned-timeout-kills.yaml
           scenarios/mutant-drop-channel-state.yaml
           scenarios/corrupt-snapshot-flip-byte.yaml scenarios/corrupt-metadata-delete.yaml
           scenarios/corrupt-channel-state-truncate.yaml scenarios/corrupt-swap-snapshot.yaml
           scenarios/mutant-restore-unverified.yaml)

stop_all() {
    bash scripts/kafka.sh stop "$kafka_port" >/dev/null 2>&1 || true
    bash scripts/s3.sh stop "$s3_port" >/dev/null 2>&1 || true
}
trap stop_all EXIT

# Independent clients: kcat from Debian, boto3 from PyPI (in a venv).
if ! command -v kcat >/dev/null; then
    echo "real lane: installing kcat"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat
fi
venv="$cache/venv"
if [ ! -x "$venv/bin/python3" ] || ! "$venv/bin/python3" -c 'import boto3' 2>/dev/null; then
    echo "real lane: installing boto3 into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q boto3
fi

# The services start and stop reliably (tests/services.sh, on ports of its
# own): 3 cycles of SeaweedFS and 1 of Kafka here, to keep CI short (the
# Flink lane starts and stops Kafka three more times);
# `make test-services` runs 20 of each (on two cores under load: 19 s a
# SeaweedFS cycle, 45 s a Kafka cycle, 21 minutes for 20 of each).
echo "== real lane: service start/stop cycles"
SERVICES_S3_CYCLES="${SERVICES_S3_CYCLES:-3}" SERVICES_KAFKA_CYCLES="${SERVICES_KAFKA_CYCLES:-1}" \
    bash tests/services.sh

endpoint=$(bash scripts/s3.sh start "$s3_port" | tail -1)
bootstrap=$(bash scripts/kafka.sh start "$kafka_port" | tail -1)
echo "real lane: S3 at $endpoint, Kafka at $bootstrap"

export S3_ENDPOINT="$endpoint"
export AWS_ACCESS_KEY_ID=snapbed-test-key
export AWS_SECRET_ACCESS_KEY=snapbed-test-secret
export AWS_REGION=us-east-1
# broker-pause stops and continues the real broker's process; broker-kill
# kills it and restarts it on its data.
export SNAPBED_KAFKA_PIDFILE="${KAFKA_DIR:-/tmp/snapbed-kafka-$kafka_port}/kafka.pid"
export SNAPBED_KAFKA_RESTART="KAFKA_RESTART=1 bash $PWD/scripts/kafka-start.sh $kafka_port"

echo "== real lane: S3 client unit tests"
SNAPBED_S3_TEST_ENDPOINT="$endpoint" SNAPBED_S3_TEST_BUCKET=snapbed-test ./build/unit_tests

echo "== real lane: scenarios on Kafka $bootstrap and S3 $endpoint"
suite=out/real-lane-$(date +%Y%m%d-%H%M%S)-$$
SUITE_OUT="$suite" \
SNAPBED_ARGS="--kafka $bootstrap --sink s3://snapbed-ci/runs --checkpoints s3://snapbed-ci/checkpoints" \
    bash tests/scenarios.sh "${scenarios[@]}"

echo "== real lane: S3 settings in the scenario file, and no secret written anywhere"
# keyed_run NAME LINE...: the no-faults job with the endpoint and LINEs (s3.*
# keys) in the scenario instead of the environment; its console goes to
# $suite/NAME.console; returns snapbed run's exit status.
keyed_run() {
    local name="$1"
    shift
    { sed "s/^name: .*/name: $name/" scenarios/no-faults.yaml
      echo "s3.endpoint: $endpoint"
      printf '%s\n' "$@"; } >"$suite/$name.yaml"
    ( unset S3_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
      ./build/snapbed run "$suite/$name.yaml" -o "$suite/$name" -q --kafka "$bootstrap" \
          --sink s3://snapbed-ci/runs --checkpoints s3://snapbed-ci/checkpoints ) \
        >"$suite/$name.console" 2>&1
}
# The right credentials: the run passes; then no file of any run may hold
# the secret.
rc=0
keyed_run s3-keys "s3.region: us-east-1" "s3.access-key: $AWS_ACCESS_KEY_ID" \
    "s3.secret-key: $AWS_SECRET_ACCESS_KEY" || rc=$?
[ "$rc" -eq 0 ] || { cat "$suite/s3-keys.console" >&2; echo "real lane: FAIL: s3-keys exit $rc" >&2; exit 1; }
secret="$AWS_SECRET_ACCESS_KEY"
if grep -rl --exclude=s3-keys.yaml -- "$secret" "$suite"; then
    echo "real lane: FAIL: the S3 secret was written to the files above" >&2
    exit 1
fi
echo "real lane: the secret appears in no run folder, trace, summary or log"

# A canary secret in the quoted and folded forms against the real server:
# SeaweedFS refuses the signature (its answer may quote the request); the
# canary must reach neither the console nor any file (tests/secrets.sh does
# the same on loopback without a real server).
canary="sbcanaryRealLane$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
rc=0
keyed_run s3-canary "\"s3.access-key\": $AWS_ACCESS_KEY_ID" "s3.secret-key: >-" "  $canary" || rc=$?
[ "$rc" -eq 2 ] || { echo "real lane: FAIL: a wrong secret: exit $rc, want 2" >&2; exit 1; }
if grep -rlaF --exclude=s3-canary.yaml -- "$canary" "$suite"; then
    echo "real lane: FAIL: the canary secret was written to the files above" >&2
    exit 1
fi
echo "real lane: a wrong canary secret is refused and appears nowhere: $(head -1 "$suite/s3-canary.console")"

echo "== real lane: independent cross-check (kcat + boto3) of $suite/quickstart"
"$venv/bin/python3" tests/crosscheck.py "$suite/quickstart"
