#!/usr/bin/env bash
# Checkpoint latency: p50/p99/max end-to-end checkpoint duration and
# alignment time, unloaded (scenarios/no-faults.yaml) and under steady
# backpressure (scenarios/backpressure-steady.yaml), aligned vs unaligned
# vs alignment timeout. The measuring is bench/backpressure.sh's, with both
# loads; writes bench/results/latency.json. Figures, not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
LOADS="${LOADS:-unloaded backpressure}" BENCH_NAME=latency exec bash bench/backpressure.sh
