#!/usr/bin/env bash
# The events feed and webhook deliveries, release build:
#
#   bench/feed.sh [N]            # default 1000000 events
#
# Writes N events into the outbox in transactions of 100,000 (as a bulk import would:
# timed, since each commit places its events), then reads the feed from 0 to the end,
# 1,000 events per request over one kept-alive connection (events/s), next to psql
# reading the same rows in the same order in one COPY; then a long poll's latency (the
# time from a commit to the answer, 20 times); then webhook deliveries per second: a
# local receiver (Python, answering 204), one subscription, 20,000 events. Data is kept
# in JIANYI_BENCH_DIR (default /tmp/jianyi-bench-feed).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
DIR=${JIANYI_BENCH_DIR:-/tmp/jianyi-bench-feed}
PORT=${JIANYI_BENCH_PORT:-18095}
HOOKS=${JIANYI_BENCH_HOOK_PORT:-18096}
BENCH=bench
OUT="$DIR/out"
mkdir -p "$OUT"
export JIANYI_WEBHOOK_ALLOWED_NETWORKS=127.0.0.1/32
source "$BENCH/lib.sh"

EMIT="INSERT INTO events (type, entity_type, entity_id, version, payload)
      SELECT 'suggestion.updated', 'suggestion', gen_random_uuid(), 2,
             jsonb_build_object('year', 2024, 'external_no', 'B' || g, 'title', '关于加快推进城区老旧小区改造的建议', 'status', 'assigned')
      FROM generate_series(1, :n) g"
HAVE=$("${PSQL[@]}" -c "SELECT count(*) FROM events")
if [ "$HAVE" -lt "$N" ]; then
    STARTED=$(date +%s.%N)
    for _ in $(seq 1 $(( (N - HAVE + 99999) / 100000 ))); do
        "${PSQL[@]}" -v n=100000 <<<"$EMIT"
    done
    echo "wrote $(( N - HAVE )) events in $(python3 -c "print(f'{$(date +%s.%N) - $STARTED:.1f}')") s"
fi
"${PSQL[@]}" -c "VACUUM ANALYZE events"
TOTAL=$("${PSQL[@]}" -c "SELECT count(*) FROM events")
UNPLACED=$("${PSQL[@]}" -c "SELECT count(*) FROM events WHERE position IS NULL")

# The feed from 0, as a sync job reads it.
python3 - "$PORT" "$SYNC" > "$OUT/feed.txt" <<'PY'
import http.client, json, sys, time
port, token = sys.argv[1:]
conn = http.client.HTTPConnection("127.0.0.1", int(port))
after, count, last, started = 0, 0, 0, time.monotonic()
while True:
    conn.request("GET", f"/api/v1/events?after={after}&limit=1000", headers={"authorization": f"Bearer {token}"})
    page = json.loads(conn.getresponse().read())
    for e in page["events"]:
        assert e["position"] > last, "in order"
        last = e["position"]
    count += len(page["events"])
    after = page["next_after"]
    if not page["more"]:
        break
print(count, f"{time.monotonic() - started:.2f}")
PY
read -r READ READ_SECS < "$OUT/feed.txt"
STARTED=$(date +%s.%N)
"${PSQL[@]}" -c "COPY (SELECT position, seq, type, entity_type, entity_id, version, payload, created_at
                        FROM events WHERE position > 0 ORDER BY position) TO STDOUT" > /dev/null
PSQL_SECS=$(python3 -c "print(f'{$(date +%s.%N) - $STARTED:.2f}')")

# Long polls: the time from a commit to the answer.
python3 - "$PORT" "$SYNC" "${PSQL[@]}" > "$OUT/poll.txt" <<'PY'
import http.client, json, subprocess, sys, threading, time
port, token, psql = sys.argv[1], sys.argv[2], sys.argv[3:]
def head():
    c = http.client.HTTPConnection("127.0.0.1", int(port))
    c.request("GET", "/api/v1/events?after=0&limit=1&types=none.none", headers={"authorization": f"Bearer {token}"})
    return json.loads(c.getresponse().read())["next_after"]
lags = []
for _ in range(20):
    after = head()
    answered = {}
    def wait():
        c = http.client.HTTPConnection("127.0.0.1", int(port))
        c.request("GET", f"/api/v1/events?after={after}&wait=10", headers={"authorization": f"Bearer {token}"})
        c.getresponse().read()
        answered["at"] = time.monotonic()
    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.2)
    subprocess.run(psql + ["-c", "INSERT INTO events (type, entity_type, entity_id, payload) VALUES ('suggestion.updated', 'suggestion', gen_random_uuid(), '{}')"], check=True)
    committed = time.monotonic()
    t.join()
    lags.append((answered["at"] - committed) * 1000)
lags.sort()
print(f"{lags[len(lags) // 2]:.1f} {lags[-1]:.1f}")
PY
read -r POLL_P50 POLL_MAX < "$OUT/poll.txt"

# Webhook deliveries to a local receiver.
python3 - "$HOOKS" > "$OUT/receiver.log" 2>&1 <<'PY' &
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Hook(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers["content-length"]))
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Hook).serve_forever()
PY
RECEIVER=$!
trap 'kill $RECEIVER 2>/dev/null; kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
sleep 0.5
api -X POST "http://127.0.0.1:$PORT/api/v1/webhooks" \
    -d "{\"url\":\"http://127.0.0.1:$HOOKS/hook\",\"event_types\":[\"bench.delivered\"]}" > /dev/null
BEFORE=$("${PSQL[@]}" -c "SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'")
STARTED=$(date +%s.%N)
"${PSQL[@]}" -c "INSERT INTO events (type, entity_type, entity_id, payload)
                 SELECT 'bench.delivered', 'suggestion', gen_random_uuid(), jsonb_build_object('n', g) FROM generate_series(1, 20000) g"
while [ "$("${PSQL[@]}" -c "SELECT count(*) FROM webhook_deliveries WHERE state = 'delivered'")" -lt $((BEFORE + 20000)) ]; do
    sleep 0.2
done
HOOK_SECS=$(python3 -c "print(f'{$(date +%s.%N) - $STARTED:.2f}')")

python3 - "$TOTAL" "$UNPLACED" "$READ" "$READ_SECS" "$PSQL_SECS" "$POLL_P50" "$POLL_MAX" "$HOOK_SECS" <<'PY'
import sys
total, unplaced, read, secs, psql, p50, worst, hooks = sys.argv[1:]
print(f"\nThe feed over {int(total):,} events ({unplaced} without a position)\n")
print(f"| what | events | seconds | events/s |")
print(f"|---|---:|---:|---:|")
print(f"| GET /api/v1/events from 0, 1,000 a page, one connection | {int(read):,} | {float(secs):.2f} | {int(read)/float(secs):,.0f} |")
print(f"| psql COPY of the same rows in position order | {int(total):,} | {float(psql):.2f} | {int(total)/float(psql):,.0f} |")
print(f"\nLong poll, commit to answer: p50 {p50} ms, worst of 20 {worst} ms")
print(f"Webhooks: 20,000 deliveries to a local receiver in {float(hooks):.2f} s: {20000/float(hooks):,.0f} deliveries/s")
PY
