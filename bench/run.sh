#!/usr/bin/env bash
# The benchmark, in one command (release build, not part of CI):
#
#   bench/run.sh [ROWS]          # default 1000000
#
# Starts the service on its own private cluster (JIANYI_BENCH_DIR, default
# /tmp/jianyi-bench), seeds ROWS suggestions with realistic Chinese titles and ~1 KB bodies
# through the NDJSON import endpoint (timed: rows/s), then measures, each for DURATION
# seconds, with wrk against the service and pgbench running the same SQL against the same
# PostgreSQL: GET by id, a filtered list page, and a search; and the search's p99 at half
# its peak rate. Prints requests/s, p50 and p99 for each. The seeded data is kept for the
# next run (delete JIANYI_BENCH_DIR to start over).
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
DIR=${JIANYI_BENCH_DIR:-/tmp/jianyi-bench}
PORT=${JIANYI_BENCH_PORT:-18080}
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-16}
BENCH=bench
OUT="$DIR/out"
mkdir -p "$OUT"

command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }
source "$BENCH/lib.sh"

# Seed through the import endpoint, timed.
HAVE=$("${PSQL[@]}" -c "SELECT count(*) FROM suggestions")
IMPORT_RATE="(seeded earlier)"
if [ "$HAVE" -lt "$ROWS" ]; then
    echo "generating $ROWS suggestions"
    rm -rf "$DIR/chunks"
    python3 "$BENCH/gen.py" "$DIR/chunks" "$ROWS" 10000
    echo "importing (10,000 rows per request)"
    START=$(date +%s.%N)
    for f in "$DIR"/chunks/*.ndjson; do
        curl -sf -o "$OUT/import.json" -X POST "http://127.0.0.1:$PORT/api/v1/suggestions/import" \
            -H "authorization: Bearer $SYNC" -H 'content-type: application/x-ndjson' --data-binary "@$f"
    done
    END=$(date +%s.%N)
    IMPORTED=$(( $("${PSQL[@]}" -c "SELECT count(*) FROM suggestions") - HAVE ))
    IMPORT_RATE=$(python3 -c "print(f'{$IMPORTED / ($END - $START):,.0f} rows/s ({$IMPORTED:,} rows in {$END - $START:.0f} s)')")
    rm -rf "$DIR/chunks"
fi
echo "import: $IMPORT_RATE"
echo "vacuum analyze"
"${PSQL[@]}" -c "VACUUM ANALYZE suggestions" -c "VACUUM ANALYZE deputies"
"${PSQL[@]}" -c "DROP TABLE IF EXISTS bench_ids" \
    -c "CREATE TABLE bench_ids AS SELECT row_number() OVER () AS n, id FROM (SELECT id FROM suggestions TABLESAMPLE SYSTEM (20) LIMIT 100000) s" \
    -c "ALTER TABLE bench_ids ADD PRIMARY KEY (n)"
"${PSQL[@]}" -c "SELECT id FROM bench_ids" > "$OUT/ids.txt"
python3 "$BENCH/tsquery.py" "$BENCH/queries.txt" > "$OUT/search.sql"

# wrk: "requests/s p50_ms p99_ms"
run_wrk() {
    local script=$1; shift
    env TOKEN="$OFFICE" IDS="$OUT/ids.txt" QUERIES="$BENCH/queries.txt" CONNECTIONS="$CONNECTIONS" "$@" \
        wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$BENCH/$script" "http://127.0.0.1:$PORT" > "$OUT/wrk-$script.txt"
    python3 - "$OUT/wrk-$script.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def ms(v):
    n, unit = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
# The "Latency Distribution" lines alone ("     50%    1.27ms"): a Thread Stats line ends
# in a percentage too ("Latency  3.23ms  10.25ms 120.00ms   69.50%").
def percentile(p):
    return ms(re.search(rf"^\s+{p}%\s+(\S+)\s*$", text, re.M).group(1))
p50, p99 = percentile(50), percentile(99)
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{rps:.0f} {p50:.2f} {p99:.2f}" + (f" errors={errors.group(1)}" if errors else ""))
PY
}
# pgbench: "transactions/s p50_ms p99_ms"
run_pgbench() {
    local script=$1
    rm -f "$OUT"/pgbench_log.*
    (cd "$OUT" && "$PGBIN/pgbench" -h "$SOCKET" -U jianyi -n -M prepared -c "$CONNECTIONS" -j 2 -T "$DURATION" \
        -D ids="$(wc -l < "$OUT/ids.txt")" -f "$script" -l --log-prefix=pgbench_log jianyi > "$OUT/pgbench.txt" 2>&1)
    python3 - "$OUT" <<'PY'
import glob, re, sys
out = sys.argv[1]
text = open(out + "/pgbench.txt").read()
tps = float(re.search(r"tps = ([\d.]+)", text).group(1))
lat = sorted(int(line.split()[2]) for f in glob.glob(out + "/pgbench_log.*") for line in open(f))
pct = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] / 1000
print(f"{tps:.0f} {pct(0.50):.2f} {pct(0.99):.2f}")
PY
}

declare -A R
for case in get list search; do
    echo "measuring $case (wrk, then pgbench; ${DURATION}s each)"
    R[$case-wrk]=$(run_wrk "$case.lua")
    sql="$BENCH/$case.sql"; [ "$case" = search ] && sql="$OUT/search.sql"
    R[$case-pg]=$(run_pgbench "$(realpath "$sql")")
done
PEAK=$(echo "${R[search-wrk]}" | cut -d' ' -f1)
HALF=$(( PEAK / 2 ))
echo "measuring search at half its peak rate ($HALF requests/s)"
R[search-half]=$(run_wrk search.lua RATE="$HALF")

python3 - "$IMPORT_RATE" "${R[get-wrk]}" "${R[get-pg]}" "${R[list-wrk]}" "${R[list-pg]}" \
    "${R[search-wrk]}" "${R[search-pg]}" "${R[search-half]}" "$HALF" "$ROWS" <<'PY'
import sys
imp, gw, gp, lw, lp, sw, sp, sh, half, rows = sys.argv[1:]
def f(s): return [float(x) for x in s.split()[:3]]
print(f"\nBenchmark: {int(rows):,} suggestions; wrk/pgbench with the same connections and duration\n")
print(f"| {'what':<34} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'vs pgbench':>10} |")
print(f"|{'-'*36}|{'-'*10}|{'-'*9}|{'-'*9}|{'-'*12}|")
for name, w, p in [("GET /suggestions/{id}", gw, gp), ("GET /suggestions?year=&source=", lw, lp), ("GET /suggestions?q= (2 terms)", sw, sp)]:
    a, b = f(w), f(p)
    print(f"| {name:<34} | {a[0]:>8.0f} | {a[1]:>7.2f} | {a[2]:>7.2f} | {a[0]/b[0]:>9.2f}x |")
    print(f"| {'  pgbench, same SQL':<34} | {b[0]:>8.0f} | {b[1]:>7.2f} | {b[2]:>7.2f} | {'':>10} |")
h = f(sh)
print(f"| {'search at half peak (' + half + '/s target)':<34} | {h[0]:>8.0f} | {h[1]:>7.2f} | {h[2]:>7.2f} | {'':>10} |")
print(f"\nimport (NDJSON, 10,000 rows per request): {imp}")
PY
