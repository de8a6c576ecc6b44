#!/usr/bin/env bash
# Sets up the machine (packages, local PostgreSQL, database) and runs every test.
# Kafka tests use librdkafka's in-process mock cluster; Postgres tests use the local server.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
swift build --build-tests
swift test --skip-build "$@"
