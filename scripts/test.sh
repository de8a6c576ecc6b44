#!/usr/bin/env bash
# Sets up the machine (packages, local PostgreSQL, database) and runs every test:
#   0. the style check (`swift format lint --strict` with the repository's .swift-format: any finding fails);
#   1. the unit and integration tests (Kafka through librdkafka's in-process mock cluster, the local Postgres);
#   2. a property-based fuzz of the running HTTP API against its OpenAPI document (scripts/fuzz-api.sh);
#   3. the fault suite in its short form (services as processes, faults injected, invariants checked).
# Pass --no-faults to skip the fault suite. Other arguments go to `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

faults=1
args=()
for argument in "$@"; do
    if [ "$argument" = "--no-faults" ]; then faults=0; else args+=("$argument"); fi
done

swift format lint --strict --recursive Sources Tests Package.swift
swift build --build-tests
swift test --skip-build ${args[@]+"${args[@]}"}
scripts/fuzz-api.sh .build/debug/attendance

if [ "$faults" = 1 ]; then
    restart="pg_ctlcluster $version main restart"
    [ "$(id -u)" = 0 ] || restart="sudo $restart"
    .build/debug/attendance faults --postgres-restart "$restart"
fi
