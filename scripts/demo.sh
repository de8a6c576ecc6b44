#!/usr/bin/env bash
# Sets up the machine (packages, local PostgreSQL, database) and runs the main job on the embedded default:
# an in-process Kafka-protocol cluster, the check-in consumer, the outbox relay, demo events and generated
# traffic, with a live summary, the reward settler against a fake reward API, and the HTTP API (it prints a token
# and curl lines to try it). Ctrl-C stops it cleanly. Extra arguments go to `attendance run`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build -c release --product attendance
exec .build/release/attendance run "$@"
