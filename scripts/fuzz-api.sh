#!/usr/bin/env bash
# Property-based fuzz of the running API against its OpenAPI document: starts the embedded pipeline with the API
# (`attendance run --embedded`), signs a token with a secret made for this run, and lets schemathesis (from PyPI)
# generate valid and invalid requests for every operation. Fails on any 5xx and on any response the document
# does not describe (status, media type, headers, body schema).
# Usage: scripts/fuzz-api.sh [path to the attendance binary]  (expects DATABASE_URL, e.g. from scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-.build/debug/attendance}
examples=${ATTENDANCE_FUZZ_EXAMPLES:-100}

if ! command -v schemathesis >/dev/null 2>&1; then
    echo "fuzz: installing schemathesis"
    python3 -m pip install -q --disable-pip-version-check schemathesis >/dev/null 2>&1 \
        || python3 -m pip install -q --disable-pip-version-check --break-system-packages schemathesis
fi

work=$(mktemp -d)
head -c 48 /dev/urandom | base64 | tr -d '\n' > "$work/secret"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
auth=(--jwt-hs256-secret-file "$work/secret" --jwt-issuer attendance-fuzz --jwt-audience attendance-api)

"$binary" run --embedded --demo-rate 20 --demo-members 500 --api-addr "127.0.0.1:$port" --http-addr 127.0.0.1:0 \
    "${auth[@]}" --rate-limit 0 --submit-wait-ms 2000 --max-wait-ms 3000 > "$work/run.log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { echo "fuzz: attendance run exited:"; tail -20 "$work/run.log"; exit 1; }
    sleep 0.5
done
curl -fs "http://127.0.0.1:$port/health/ready" >/dev/null || { echo "fuzz: API not ready"; tail -20 "$work/run.log"; exit 1; }

token=$("$binary" token "${auth[@]}" --subject fuzz --ttl-seconds 3600)
echo "fuzz: API at 127.0.0.1:$port, $examples examples per operation"
schemathesis run "http://127.0.0.1:$port/openapi.yaml" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
    --max-examples "$examples" --seed 20261203 --workers 2 --request-timeout 15 \
    --no-color
