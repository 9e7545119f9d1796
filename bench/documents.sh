#!/usr/bin/env bash
# Documents: upload and download of a FILE_MIB (default 100) MiB file through the release
# build, next to `sha256sum FILE && cp FILE` on the same disk in the same run, and the
# service's peak RSS over idle while four such uploads run at once.
#
#   bench/documents.sh [FILE_MIB]
#
# Starts its own service and private cluster under /tmp (the demo year loaded); needs
# curl and python3. Prints one line per measure.
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=${1:-100}
PORT=${JIANYI_BENCH_PORT:-18091}
cargo build -q --release
BIN="$PWD/target/release/jianyi"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/jianyi-bench-docs.XXXXXX")
chmod 755 "$WORK"
export JIANYI_DATA_DIR="$WORK/data" JIANYI_BIND="127.0.0.1:$PORT" JIANYI_ADMIN_PASSWORD=bench-admin-password \
       JIANYI_UPLOAD_LIMIT=$(((MIB + 1) * 1024 * 1024)) JIANYI_ACCESS_TOKEN_TTL=8h RUST_LOG=warn
"$BIN" demo > "$WORK/demo.log" 2>&1 || { cat "$WORK/demo.log"; exit 1; }
"$BIN" serve > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 150); do curl -sf "$BASE/readyz" >/dev/null && break; sleep 0.2; done
# The server process (the binary runs PostgreSQL as children; we want the service alone).
PID=$SERVER

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
TOKEN=$(curl -sf -X POST "$BASE/api/v1/auth/token" -H 'content-type: application/json' \
    -d '{"grant_type":"password","username":"jsgc","password":"jianyi-demo-2023"}' | json 'd["access_token"]')
AUTH="Authorization: Bearer $TOKEN"
SUGGESTION=$(curl -sf -H "$AUTH" "$BASE/api/v1/suggestions?q=%E5%85%AC%E4%BA%A4%E7%AB%99%E7%82%B9" | json 'd["items"][0]["id"]')
NAME="关于合理设置公交站点的建议的答复.pdf"

FILE="$WORK/big.pdf"
printf '%%PDF-1.7\n' > "$FILE"
head -c $((MIB * 1024 * 1024 - 9)) /dev/urandom >> "$FILE"
SIZE=$(stat -c %s "$FILE")
sync

upload() {
    curl -sf -o "$1" -H "$AUTH" -F "file=@$FILE;filename=$NAME;type=application/pdf" \
        "$BASE/api/v1/documents?suggestion_id=$SUGGESTION"
}
now() { date +%s.%N; }
rate() { python3 -c "print(f'{$SIZE / 1048576 / ($2 - $1):.0f}')"; }
rss() { awk "/^$1:/ {print \$2}" "/proc/$PID/status"; }

# Warm up (a first small upload), then the idle RSS.
head -c 4096 "$FILE" > "$WORK/small.pdf"
curl -sf -o /dev/null -H "$AUTH" -F "file=@$WORK/small.pdf;filename=warm.pdf" "$BASE/api/v1/documents?suggestion_id=$SUGGESTION"
IDLE=$(rss VmRSS)

# Four uploads at once: the peak RSS (VmHWM) over idle.
T0=$(now)
UPLOADS=()
for i in 1 2 3 4; do upload "$WORK/four-$i.json" & UPLOADS+=($!); done
wait "${UPLOADS[@]}"
T1=$(now)
PEAK=$(rss VmHWM)
echo "four concurrent ${MIB} MiB uploads: $(python3 -c "print(f'{4 * $SIZE / 1048576 / ($T1 - $T0):.0f}')") MiB/s in all; peak RSS $((PEAK / 1024)) MiB, idle $((IDLE / 1024)) MiB: $(((PEAK - IDLE) / 1024)) MiB over idle"

# The baseline: checksum and copy on the same disk.
T0=$(now); sha256sum "$FILE" > /dev/null && cp "$FILE" "$WORK/copy.pdf" && sync; T1=$(now)
echo "sha256sum + cp + sync: $(rate "$T0" "$T1") MiB/s"
rm -f "$WORK/copy.pdf"

T0=$(now); upload "$WORK/one.json"; T1=$(now)
echo "upload (multipart, streamed, SHA-256, fsync'd store): $(rate "$T0" "$T1") MiB/s"
ID=$(json 'd["id"]' < "$WORK/one.json")
T0=$(now); curl -sf -o "$WORK/down.pdf" -H "$AUTH" "$BASE/api/v1/documents/$ID/content"; T1=$(now)
cmp -s "$FILE" "$WORK/down.pdf" || { echo "the download differs from the upload"; exit 1; }
echo "download (streamed): $(rate "$T0" "$T1") MiB/s"
T0=$(now); cp "$FILE" "$WORK/copy2.pdf"; T1=$(now)
echo "cp alone: $(rate "$T0" "$T1") MiB/s"
