#!/usr/bin/env bash
# Supervision over N suggestions (default 1,000,000), release build:
#
#   bench/supervision.sh [N]
#
# `jianyi demo` carries the seed year through the API; its 13 suggestions, with their
# handlings, replies, opinions, contacts, evaluations, completions, submissions,
# publications, promises and the lead units' replies, are then cloned in SQL with new ids
# and numbers over the years 2014–2023 (N/10 a year), in bulk without triggers, after which
# migration 000017's statement fills the handlings' facts (timed: what the migration costs
# an installation of that size). Measured, one client at a time
# (these are an office's reads, not a public page's): GET /api/v1/stats?year=,
# /api/v1/stats/units?year= and the ledger's first page (wrk, DURATION seconds each) next
# to pgbench running the same SQL (taken from src/supervision/queries.rs by
# bench/sql_of.py); the facts the triggers keep are checked against the tables (the view
# assignment_facts) over the whole data; then a year's ledger as
# xlsx and as CSV, timed, with the service's resident memory sampled every 20 ms against
# its idle figure. Data is kept in JIANYI_BENCH_DIR (default /tmp/jianyi-bench-supervision).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
DIR=${JIANYI_BENCH_DIR:-/tmp/jianyi-bench-supervision}
PORT=${JIANYI_BENCH_PORT:-18094}
DURATION=${DURATION:-20}
CONNECTIONS=1
BENCH=bench
OUT="$DIR/out"
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }

cargo build --release -q
export JIANYI_DATA_DIR="$DIR" JIANYI_ADMIN_PASSWORD=bench-admin-password RUST_LOG=warn
STARTED=$(date +%s)
./target/release/jianyi demo > "$OUT/demo.log" 2>&1 || { cat "$OUT/demo.log"; exit 1; }
echo "migrations and the demo year: $(( $(date +%s) - STARTED )) s"
source "$BENCH/lib.sh"

HAVE=$("${PSQL[@]}" -c "SELECT count(*) FROM suggestions")
if [ "$HAVE" -lt "$N" ]; then
    DONE=$("${PSQL[@]}" -c "SELECT count(*) FROM suggestions WHERE external_no LIKE 'S%'")
    FIRST=$(( DONE / 13 + 1 ))
    LAST=$(( (N + 12) / 13 ))
    echo "cloning the demo year's 13 suggestions, copies $FIRST to $LAST"
    for from in $(seq "$FIRST" 10000 "$LAST"); do
        to=$(( from + 9999 < LAST ? from + 9999 : LAST ))
        echo "  copies $from..$to"
        "${PSQL[@]}" -v from="$from" -v to="$to" <<'SQL'
BEGIN;
-- Loaded in bulk as a restore would: no per-row triggers or key checks (the handlings'
-- facts are filled afterwards by migration 000017's own statement).
SET LOCAL session_replication_role = replica;
CREATE TEMP TABLE k ON COMMIT DROP AS
    SELECT s.id AS s1, g AS n, gen_random_uuid() AS s2
    FROM suggestions s, generate_series(:from, :to) g
    WHERE s.year = 2023 AND s.external_no NOT LIKE 'S%';
CREATE TEMP TABLE ka ON COMMIT DROP AS
    SELECT a.id AS a1, k.s2, gen_random_uuid() AS a2 FROM k JOIN assignments a ON a.suggestion_id = k.s1;
CREATE TEMP TABLE kr ON COMMIT DROP AS
    SELECT r.id AS r1, ka.a2, ka.s2, gen_random_uuid() AS r2 FROM ka JOIN replies r ON r.assignment_id = ka.a1;
INSERT INTO suggestions SELECT (jsonb_populate_record(NULL::suggestions, to_jsonb(s) || jsonb_build_object(
    'id', k.s2, 'external_no', 'S' || lpad(k.n::text, 6, '0') || '-' || s.external_no, 'year', 2014 + k.n % 10))).*
    FROM k JOIN suggestions s ON s.id = k.s1;
INSERT INTO assignments SELECT (jsonb_populate_record(NULL::assignments, to_jsonb(a) || jsonb_build_object(
    'id', ka.a2, 'suggestion_id', ka.s2))).* FROM ka JOIN assignments a ON a.id = ka.a1;
INSERT INTO replies SELECT (jsonb_populate_record(NULL::replies, to_jsonb(r) || jsonb_build_object(
    'id', kr.r2, 'assignment_id', kr.a2, 'suggestion_id', kr.s2))).* FROM kr JOIN replies r ON r.id = kr.r1;
INSERT INTO reply_revisions SELECT (jsonb_populate_record(NULL::reply_revisions, to_jsonb(v) || jsonb_build_object(
    'reply_id', kr.r2))).* FROM kr JOIN reply_revisions v ON v.reply_id = kr.r1;
INSERT INTO opinions SELECT (jsonb_populate_record(NULL::opinions, to_jsonb(o) || jsonb_build_object(
    'id', gen_random_uuid(), 'assignment_id', ka.a2, 'suggestion_id', ka.s2, 'doc_no', NULL))).*
    FROM ka JOIN opinions o ON o.assignment_id = ka.a1;
INSERT INTO contacts SELECT (jsonb_populate_record(NULL::contacts, to_jsonb(c) || jsonb_build_object(
    'id', gen_random_uuid(), 'assignment_id', ka.a2, 'suggestion_id', ka.s2))).*
    FROM ka JOIN contacts c ON c.assignment_id = ka.a1;
INSERT INTO remote_replies SELECT (jsonb_populate_record(NULL::remote_replies, to_jsonb(x) || jsonb_build_object(
    'id', gen_random_uuid(), 'assignment_id', ka.a2, 'suggestion_id', ka.s2))).*
    FROM ka JOIN remote_replies x ON x.assignment_id = ka.a1;
INSERT INTO evaluations SELECT (jsonb_populate_record(NULL::evaluations, to_jsonb(e) || jsonb_build_object(
    'id', gen_random_uuid(), 'suggestion_id', k.s2))).* FROM k JOIN evaluations e ON e.suggestion_id = k.s1;
INSERT INTO completions SELECT (jsonb_populate_record(NULL::completions, to_jsonb(c) || jsonb_build_object(
    'suggestion_id', k.s2))).* FROM k JOIN completions c ON c.suggestion_id = k.s1;
INSERT INTO submissions SELECT (jsonb_populate_record(NULL::submissions, to_jsonb(x) || jsonb_build_object(
    'id', gen_random_uuid(), 'reply_id', kr.r2, 'suggestion_id', kr.s2))).* FROM kr JOIN submissions x ON x.reply_id = kr.r1;
INSERT INTO disclosures SELECT (jsonb_populate_record(NULL::disclosures, to_jsonb(d) || jsonb_build_object(
    'reply_id', kr.r2))).* FROM kr JOIN disclosures d ON d.reply_id = kr.r1;
INSERT INTO commitments SELECT (jsonb_populate_record(NULL::commitments, to_jsonb(c) || jsonb_build_object(
    'id', gen_random_uuid(), 'reply_id', kr.r2, 'suggestion_id', kr.s2))).* FROM kr JOIN commitments c ON c.reply_id = kr.r1;
COMMIT;
SQL
    done
    for t in suggestions assignments replies reply_revisions opinions contacts remote_replies evaluations completions \
             submissions disclosures commitments; do "${PSQL[@]}" -c "VACUUM ANALYZE $t"; done
    echo "filling the handlings' facts with migration 000017's statement"
    STARTED=$(date +%s)
    sed -n '/^UPDATE assignments a SET year = f.year/,/;$/p' migrations/*_handling_facts/up.sql | "${PSQL[@]}"
    echo "facts of $("${PSQL[@]}" -c "SELECT count(*) FROM assignments") handlings: $(( $(date +%s) - STARTED )) s"
fi
# A migration may have rewritten the assignments (000017 filled their facts): as autovacuum
# would, before measuring.
"${PSQL[@]}" -c "VACUUM ANALYZE assignments"
TOTAL=$("${PSQL[@]}" -c "SELECT count(*) FROM suggestions")
YEAR=$("${PSQL[@]}" -c "SELECT count(*) FROM suggestions WHERE year = 2018")
echo "suggestions: $TOTAL (2018: $YEAR)"
# What the triggers kept on the assignments against the same facts computed afresh.
DRIFT=$("${PSQL[@]}" -c "SELECT count(*) FROM assignments a JOIN assignment_facts f ON f.id = a.id
    WHERE (a.year, a.external_no, a.answered_on, a.answer_class, a.contacted, a.face_to_face, a.rated, a.work_satisfied,
           a.result_satisfied, a.latest_result, a.open_commitments) IS DISTINCT FROM
          (f.year, f.external_no, f.answered_on, f.answer_class, f.contacted, f.face_to_face, f.rated, f.work_satisfied,
           f.result_satisfied, f.latest_result, f.open_commitments)")
echo "handlings whose kept facts differ from the tables: $DRIFT"

# wrk: "requests/s p50_ms p99_ms"; pgbench: "transactions/s p50_ms p99_ms" (bench/run.sh's).
# (one client: one thread each; pgbench's statements unnamed, planned with their values as
# the service's are)
eval "$(sed -n '/^run_wrk() {/,/^}/p; /^run_pgbench() {/,/^}/p' "$BENCH/run.sh" | sed 's/ -t2 / -t1 /; s/ -j 2 / -j 1 /; s/ -M prepared / -M extended /')"
echo 1 > "$OUT/ids.txt"
{ echo '\set y random(2014, 2023)'
  python3 "$BENCH/sql_of.py" src/supervision/queries.rs figures '$1=:y' '$2=NULL' '$3=NULL' '$4=NULL' \
      '$5=CURRENT_DATE'; } > "$OUT/stats.sql"
{ echo '\set y random(2014, 2023)'
  python3 "$BENCH/sql_of.py" src/supervision/queries.rs unit_figures '$1=:y' '$2=NULL' '$3=NULL' '$4=NULL'; } \
    > "$OUT/units.sql"
{ echo '\set y random(2014, 2023)'
  python3 "$BENCH/sql_of.py" src/supervision/queries.rs ledger '$1=:y' '$2=NULL' '$3=NULL' '$4=NULL' '$5=51' \
      '$6=NULL' '$7=NULL' '$8=false' '$9=NULL' '$10=NULL' '$11=NULL'; } > "$OUT/ledger.sql"
declare -A R
for case in stats units ledger; do
    echo "measuring $case (wrk, then pgbench; ${DURATION}s each, one client)"
    R[$case-wrk]=$(run_wrk "$case.lua")
    R[$case-pg]=$(run_pgbench "$OUT/$case.sql")
done

# A year's exports: time, size, rows, and the service's peak resident memory over idle.
rss() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER/status"; }
export_one() {
    local format=$1 idle peak pid started ended
    idle=$(rss); peak=$idle
    started=$(date +%s.%N)
    curl -sf -o "$OUT/ledger.$format" -H "authorization: Bearer $OFFICE" \
        "http://127.0.0.1:$PORT/api/v1/ledger?year=2018&format=$format" &
    pid=$!
    while kill -0 $pid 2>/dev/null; do
        now=$(rss); [ "$now" -gt "$peak" ] && peak=$now
        sleep 0.02
    done
    wait $pid
    ended=$(date +%s.%N)
    echo "$format $(python3 -c "print(f'{$ended - $started:.2f}')") $(stat -c %s "$OUT/ledger.$format") $((idle / 1024)) $((peak / 1024))"
}
XLSX=$(export_one xlsx)
CSV=$(export_one csv)
CSV_ROWS=$(( $(wc -l < "$OUT/ledger.csv") - 1 ))

python3 - "$TOTAL" "$YEAR" "${R[stats-wrk]}" "${R[stats-pg]}" "${R[units-wrk]}" "${R[units-pg]}" \
    "${R[ledger-wrk]}" "${R[ledger-pg]}" "$XLSX" "$CSV" "$CSV_ROWS" <<'PY'
import sys
total, year, sw, sp, uw, up, lw, lp, xlsx, csv, rows = sys.argv[1:]
def f(s): return [float(x) for x in s.split()[:3]]
print(f"\nBenchmark: {int(total):,} suggestions, {int(year):,} in the year asked; one client\n")
print(f"| {'what':<34} | {'req/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | {'vs pgbench':>10} |")
print(f"|{'-'*36}|{'-'*10}|{'-'*9}|{'-'*9}|{'-'*12}|")
for name, w, p in [("GET /api/v1/stats?year=", sw, sp), ("GET /api/v1/stats/units?year=", uw, up),
                   ("GET /api/v1/ledger?year= (50)", lw, lp)]:
    a, b = f(w), f(p)
    print(f"| {name:<34} | {a[0]:>8.0f} | {a[1]:>7.2f} | {a[2]:>7.2f} | {a[0]/b[0]:>9.2f}x |")
    print(f"| {'  pgbench, same SQL':<34} | {b[0]:>8.0f} | {b[1]:>7.2f} | {b[2]:>7.2f} | {'':>10} |")
print(f"\nA year's ledger ({int(rows):,} rows):\n")
print(f"| {'format':<6} | {'seconds':>7} | {'MiB':>6} | {'RSS idle MiB':>12} | {'RSS peak MiB':>12} | {'over idle':>9} |")
print(f"|{'-'*8}|{'-'*9}|{'-'*8}|{'-'*14}|{'-'*14}|{'-'*11}|")
for line in (xlsx, csv):
    fmt, secs, size, idle, peak = line.split()
    print(f"| {fmt:<6} | {float(secs):>7.2f} | {int(size)/2**20:>6.1f} | {int(idle):>12} | {int(peak):>12} | {int(peak)-int(idle):>9} |")
PY
