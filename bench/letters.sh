#!/usr/bin/env bash
# Letters: N reply letters (default 1,000) generated through the API as DOCX and as PDF by
# the release build — letters per second with two clients, and the service's peak RSS over
# idle. The reply is the demo year's signed reply to 183050 (`jianyi demo` carries it by API
# calls from sign-in through sign-off and the three reviews to the signed scan).
#
#   bench/letters.sh [N]
#
# Starts its own service and private cluster under /tmp; needs python3, curl and Debian's
# fonts-noto-cjk.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000}
PORT=${JIANYI_BENCH_PORT:-18092}
cargo build -q --release
BIN="$PWD/target/release/jianyi"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/jianyi-bench-letters.XXXXXX")
chmod 755 "$WORK"
export JIANYI_DATA_DIR="$WORK/data" JIANYI_BIND="127.0.0.1:$PORT" JIANYI_ADMIN_PASSWORD=bench-admin-password \
       JIANYI_ACCESS_TOKEN_TTL=8h RUST_LOG=warn
"$BIN" demo > "$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log"; exit 1; }
"$BIN" serve > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 150); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.2; done
python3 bench/letters.py "$BASE" "$SERVER" "$N"
