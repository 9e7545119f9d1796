# Shared by the benchmark scripts (sourced): builds the release binary, starts the service
# on its own private cluster under $DIR (port $PORT), and signs in an admin, a sync
# account ($SYNC) and an office user ($OFFICE). Stops the service on exit.
PGBIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -1 || command -v pgbench)")

cargo build --release -q
export JIANYI_DATA_DIR="$DIR" JIANYI_BIND="127.0.0.1:$PORT" JIANYI_ADMIN_PASSWORD=bench-admin-password \
       JIANYI_ACCESS_TOKEN_TTL=4h JIANYI_LOGIN_MAX_FAILURES=1000 RUST_LOG=warn
./target/release/jianyi serve > "$OUT/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null || { echo "the service did not start: $OUT/server.log"; exit 1; }
SOCKET=$(awk 'NR==5' "$DIR/pg/data/postmaster.pid")
PSQL=("$PGBIN/psql" -h "$SOCKET" -U jianyi -d jianyi -qAt)

json() { python3 -c "import sys, json; print(json.load(sys.stdin)$1)"; }
token() {
    curl -sf -X POST "http://127.0.0.1:$PORT/api/v1/auth/token" -H 'content-type: application/json' -d "$1" | json '["access_token"]'
}
ADMIN=$(token '{"grant_type":"password","username":"admin","password":"bench-admin-password"}')
api() { curl -sf -H "authorization: Bearer $ADMIN" -H 'content-type: application/json' "$@"; }
if [ ! -s "$DIR/sync-secret" ]; then
    api -X POST "http://127.0.0.1:$PORT/api/v1/users" \
        -d '{"username":"bench-sync","display_name":"bench","kind":"service","roles":["sync"]}' | json '["client_secret"]' > "$DIR/sync-secret"
    api -X POST "http://127.0.0.1:$PORT/api/v1/users" \
        -d '{"username":"bench-office","display_name":"bench","roles":["office"],"password":"bench-office-password"}' >/dev/null
fi
SYNC=$(token "{\"grant_type\":\"client_credentials\",\"client_id\":\"bench-sync\",\"client_secret\":\"$(cat "$DIR/sync-secret")\"}")
OFFICE=$(token '{"grant_type":"password","username":"bench-office","password":"bench-office-password"}')

