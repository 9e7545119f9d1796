#!/usr/bin/env bash
# The fuzzer: schemathesis against the served spec, on a service loaded with the demo year,
# with the office's and the admin's tokens (the sync account's for its operations), real
# ids, and encoders for the NDJSON and xlsx bodies — every check, and the stateful phase.
#
#   tests/fuzz/run.sh [CASES]      # CASES per operation and account (default 500: the long run)
#
# `.ci/run` runs a bounded pass (JIANYI_FUZZ_CASES=10 JIANYI_FUZZ_MAX_TIME=120: the phases
# repeat for 120 s per account). Needs Python 3, curl and the PostgreSQL server package;
# installs schemathesis into a virtualenv (JIANYI_FUZZ_VENV, default target/fuzz-venv) when
# missing. Prints the cases run and the failures; exits 1 on any failure.
# JIANYI_FUZZ_PROFILE=release fuzzes a release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
CASES=${1:-${JIANYI_FUZZ_CASES:-500}}
PROFILE=${JIANYI_FUZZ_PROFILE:-debug}
VENV=${JIANYI_FUZZ_VENV:-$PWD/target/fuzz-venv}
SCHEMATHESIS_VERSION=4.32.5
PORT=${JIANYI_FUZZ_PORT:-18090}
MAX_TIME=${JIANYI_FUZZ_MAX_TIME:-}

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    echo "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

if [ "$PROFILE" = release ]; then cargo build -q --release; else cargo build -q; fi
BIN="$PWD/target/$PROFILE/jianyi"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/jianyi-fuzz.XXXXXX")
chmod 755 "$WORK"
export JIANYI_DATA_DIR="$WORK/data" JIANYI_BIND="127.0.0.1:$PORT" JIANYI_ADMIN_PASSWORD=fuzz-admin-password \
       JIANYI_ACCESS_TOKEN_TTL=8h JIANYI_LOGIN_MAX_FAILURES=1000000 JIANYI_LOGIN_IP_MAX_FAILURES=1000000 \
       RUST_LOG=${RUST_LOG:-warn}
"$BIN" demo > "$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log"; exit 1; }
"$BIN" serve > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 150); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.2; done
curl -sf "$BASE/readyz" >/dev/null || { echo "the service did not start:"; cat "$WORK/server.log"; exit 1; }
python3 tests/fuzz/facts.py "$BASE" "$JIANYI_ADMIN_PASSWORD" "$WORK/facts.json"

export JIANYI_FUZZ_FACTS="$WORK/facts.json" PYTHONPATH="$PWD/tests/fuzz" SCHEMATHESIS_HOOKS=hooks
status=0
for role in office admin; do
    echo "fuzzing as $role: $CASES cases per operation"
    JIANYI_FUZZ_ROLE=$role "$VENV/bin/schemathesis" --config-file tests/fuzz/schemathesis.toml run "$BASE/openapi.json" \
        --phases examples,coverage,fuzzing,stateful \
        --max-examples "$CASES" --seed 20231 --workers 2 --request-timeout 60 \
        ${MAX_TIME:+--max-time "$MAX_TIME"} \
        --suppress-health-check all --warnings off --no-color --generation-database none \
        --report junit,ndjson --report-dir "$WORK/report-$role" > "$WORK/fuzz-$role.log" 2>&1 || status=1
    tail -n 40 "$WORK/fuzz-$role.log"
done
python3 tests/fuzz/summary.py "$WORK"/fuzz-office.log "$WORK"/fuzz-admin.log
[ "$status" = 0 ] || echo "fuzzing found failures; the logs are in $WORK"
exit $status
