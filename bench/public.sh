#!/usr/bin/env bash
# The public endpoints over N published replies (default 100,000): `GET /public/replies`
# (JSON, a year's first page of 50) and `GET /public/replies.atom` (the newest 50), with wrk
# against the release build, next to pgbench running the same SQL on the same PostgreSQL.
#
#   bench/public.sh [N]
#
# The replies are the demo year's five published ones (`jianyi demo` carries them through
# the API), cloned in SQL with new ids, numbers, years and publication times. The per-client
# rate limit is lifted for the run (JIANYI_PUBLIC_RATE). Data is kept in JIANYI_BENCH_DIR
# (default /tmp/jianyi-bench-public) for the next run.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
DIR=${JIANYI_BENCH_DIR:-/tmp/jianyi-bench-public}
PORT=${JIANYI_BENCH_PORT:-18093}
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-16}
BENCH=bench
OUT="$DIR/out"
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }

cargo build --release -q
export JIANYI_DATA_DIR="$DIR" JIANYI_PUBLIC_RATE=100000000 JIANYI_ADMIN_PASSWORD=bench-admin-password RUST_LOG=warn
./target/release/jianyi demo > "$OUT/demo.log" 2>&1 || { cat "$OUT/demo.log"; exit 1; }
source "$BENCH/lib.sh"

HAVE=$("${PSQL[@]}" -c "SELECT count(*) FROM disclosures WHERE published_at IS NOT NULL")
if [ "$HAVE" -lt "$N" ]; then
    COPIES=$(( (N - HAVE + HAVE - 1) / HAVE ))
    echo "cloning the $HAVE published demo replies $COPIES times"
    "${PSQL[@]}" -v copies="$COPIES" -v base="$HAVE" <<'SQL'
BEGIN;
CREATE TEMP TABLE k AS
    SELECT r.id AS reply_id, r.assignment_id, r.suggestion_id, g AS n,
           gen_random_uuid() AS s2, gen_random_uuid() AS a2, gen_random_uuid() AS r2
    FROM replies r JOIN disclosures d ON d.reply_id = r.id AND d.published_at IS NOT NULL
    JOIN suggestions s ON s.id = r.suggestion_id AND s.external_no NOT LIKE 'B%',
         generate_series(1, :copies) g;
INSERT INTO suggestions SELECT (jsonb_populate_record(NULL::suggestions, to_jsonb(s) || jsonb_build_object(
    'id', k.s2, 'external_no', 'B' || (:base + k.n) || '-' || s.external_no, 'year', 2014 + k.n % 10))).*
    FROM k JOIN suggestions s ON s.id = k.suggestion_id;
INSERT INTO assignments SELECT (jsonb_populate_record(NULL::assignments, to_jsonb(a) || jsonb_build_object(
    'id', k.a2, 'suggestion_id', k.s2))).* FROM k JOIN assignments a ON a.id = k.assignment_id;
INSERT INTO replies SELECT (jsonb_populate_record(NULL::replies, to_jsonb(r) || jsonb_build_object(
    'id', k.r2, 'assignment_id', k.a2, 'suggestion_id', k.s2))).* FROM k JOIN replies r ON r.id = k.reply_id;
INSERT INTO reply_revisions SELECT (jsonb_populate_record(NULL::reply_revisions, to_jsonb(v) || jsonb_build_object(
    'reply_id', k.r2))).* FROM k JOIN reply_revisions v ON v.reply_id = k.reply_id;
INSERT INTO disclosures SELECT (jsonb_populate_record(NULL::disclosures, to_jsonb(d) || jsonb_build_object(
    'reply_id', k.r2, 'published_at', d.published_at - make_interval(mins => k.n)))).*
    FROM k JOIN disclosures d ON d.reply_id = k.reply_id;
COMMIT;
VACUUM ANALYZE suggestions;
VACUUM ANALYZE assignments;
VACUUM ANALYZE replies;
VACUUM ANALYZE reply_revisions;
VACUUM ANALYZE disclosures;
SQL
fi
PUBLISHED=$("${PSQL[@]}" -c "SELECT count(*) FROM disclosures WHERE published_at IS NOT NULL")
echo "published replies: $PUBLISHED"

# wrk: "requests/s p50_ms p99_ms"; pgbench: "transactions/s p50_ms p99_ms" (bench/run.sh's).
eval "$(sed -n '/^run_wrk() {/,/^}/p; /^run_pgbench() {/,/^}/p' "$BENCH/run.sh")"
echo 1 > "$OUT/ids.txt"
declare -A R
for case in public-list public-atom; do
    echo "measuring $case (wrk, then pgbench; ${DURATION}s each)"
    R[$case-wrk]=$(run_wrk "$case.lua")
    R[$case-pg]=$(run_pgbench "$(realpath "$BENCH/$case.sql")")
done
python3 - "$PUBLISHED" "${R[public-list-wrk]}" "${R[public-list-pg]}" "${R[public-atom-wrk]}" "${R[public-atom-pg]}" <<'PY'
import sys
n, lw, lp, aw, ap = sys.argv[1:]
def f(s): return [float(x) for x in s.split()[:3]]
print(f"\nBenchmark: {int(n):,} published replies; wrk/pgbench with the same connections and duration\n")
print(f"| {'what':<34} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'vs pgbench':>10} |")
print(f"|{'-'*36}|{'-'*10}|{'-'*9}|{'-'*9}|{'-'*12}|")
for name, w, p in [("GET /public/replies?year=", lw, lp), ("GET /public/replies.atom", aw, ap)]:
    a, b = f(w), f(p)
    print(f"| {name:<34} | {a[0]:>8.0f} | {a[1]:>7.2f} | {a[2]:>7.2f} | {a[0]/b[0]:>9.2f}x |")
    print(f"| {'  pgbench, same SQL':<34} | {b[0]:>8.0f} | {b[1]:>7.2f} | {b[2]:>7.2f} | {'':>10} |")
PY
