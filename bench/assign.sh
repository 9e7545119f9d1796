#!/usr/bin/env bash
# The assignment benchmark, in one command (release build, not part of CI):
#
#   bench/assign.sh [OPEN]        # default 100000 open assignments
#
# Starts the service on its own private cluster (JIANYI_BENCH_DIR, default
# /tmp/jianyi-bench-assign), seeds suggestions through the NDJSON import, then
#   1. assigns 10,000 suggestions with one task-table import (xlsx; a quarter of them
#      co-handled, so two rows each) — timed;
#   2. assigns more with further imports of 10,000 suggestions until OPEN assignments are open;
#   3. marks the busiest due date a holiday (PUT /calendar/holidays/{day}), which recomputes
#      the due dates of all OPEN open assignments, and removes it again — timed;
#   4. changes the reply rule (3 → 2 months), which moves every lead and split due date,
#      and changes it back — timed.
# The seeded data is kept for the next run (delete JIANYI_BENCH_DIR to start over).
set -euo pipefail
cd "$(dirname "$0")/.."
OPEN=${1:-100000}
DIR=${JIANYI_BENCH_DIR:-/tmp/jianyi-bench-assign}
PORT=${JIANYI_BENCH_PORT:-18081}
BENCH=bench
OUT="$DIR/out"
BATCH=10000
mkdir -p "$OUT"
source "$BENCH/lib.sh"
BASE="http://127.0.0.1:$PORT/api/v1"
as_office() { curl -sf -H "authorization: Bearer $OFFICE" "$@"; }
# Seconds a request took, its answer in $OUT/answer.json.
timed() { curl -sf -o "$OUT/answer.json" -w '%{time_total}' "$@"; }

# The bureau, its sections and a lead unit for co-handled items.
SECTIONS=(建设工程管理科 耕地保护科 国土空间规划科 生态修复科 不动产登记科)
unit_id() { "${PSQL[@]}" -c "SELECT id FROM units WHERE name = '$1'"; }
if [ -z "$(unit_id 市自然资源和规划局)" ]; then
    api -X POST "$BASE/units" -d '{"name":"市自然资源和规划局","kind":"bureau"}' >/dev/null
    BUREAU=$(unit_id 市自然资源和规划局)
    for s in "${SECTIONS[@]}"; do
        api -X POST "$BASE/units" -d "{\"name\":\"$s\",\"kind\":\"section\",\"parent_id\":\"$BUREAU\"}" >/dev/null
    done
    api -X POST "$BASE/units" -d '{"name":"市交通运输局","kind":"external"}' >/dev/null
fi

# Suggestions: 1.25 assignments each (60% lead, 15% split, 25% co with an external lead).
SUGGESTIONS=$(( OPEN * 4 / 5 ))
HAVE=$("${PSQL[@]}" -c "SELECT count(*) FROM suggestions")
if [ "$HAVE" -lt "$SUGGESTIONS" ]; then
    echo "seeding $SUGGESTIONS suggestions"
    rm -rf "$DIR/chunks"
    python3 "$BENCH/gen.py" "$DIR/chunks" "$SUGGESTIONS" "$BATCH"
    for f in "$DIR"/chunks/*.ndjson; do
        curl -sf -o /dev/null -X POST "$BASE/suggestions/import" \
            -H "authorization: Bearer $SYNC" -H 'content-type: application/x-ndjson' --data-binary "@$f"
    done
    rm -rf "$DIR/chunks"
fi

# The task tables: one per 10,000 unassigned suggestions.
table() {
    local offset=$1
    "${PSQL[@]}" -F $'\t' -c "SELECT s.external_no, s.year, s.source FROM suggestions s
        WHERE NOT EXISTS (SELECT 1 FROM assignments a WHERE a.suggestion_id = s.id)
        ORDER BY s.id LIMIT $BATCH" |
    python3 -c '
import datetime, sys
sections = sys.argv[1].split(",")
start = datetime.date(2026, 6, 1)
print("\t".join(["建议编号", "年度", "来源", "办理类型", "承办单位", "承办科室", "交办日期"]))
for i, line in enumerate(sys.stdin):
    no, year, source = line.rstrip("\n").split("\t")
    n = i + int(sys.argv[2])
    on = str(start + datetime.timedelta(days=n % 180))
    section = sections[n % len(sections)]
    kind = n % 20
    if kind < 12:
        rows = [("主办", "市自然资源和规划局", section)]
    elif kind < 15:
        rows = [("分办", "市自然资源和规划局", section)]
    else:
        rows = [("主办", "市交通运输局", ""), ("协办", "市自然资源和规划局", section)]
    for role, unit, sec in rows:
        print("\t".join([no, year, source, role, unit, sec, on]))
' "$(IFS=,; echo "${SECTIONS[*]}")" "$offset" | python3 "$BENCH/xlsx.py" "$OUT/table.xlsx"
}
import_table() {
    timed -X POST "$BASE/assignments/import" -H "authorization: Bearer $OFFICE" \
        -H 'content-type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' --data-binary "@$OUT/table.xlsx"
}
count_open() { "${PSQL[@]}" -c "SELECT count(*) FROM assignments WHERE state IN ('assigned','accepted','in_progress','disputed')"; }

FIRST="(assigned earlier)"
if [ "$(count_open)" -eq 0 ]; then
    table 0
    ROWS=$(python3 -c "import zipfile,re; print(len(re.findall('<row ', zipfile.ZipFile('$OUT/table.xlsx').read('xl/worksheets/sheet1.xml').decode())) - 1)")
    echo "importing a task table of $BATCH suggestions ($ROWS rows)"
    SECS=$(import_table)
    ASSIGNED=$(json '["assigned"]' < "$OUT/answer.json")
    FIRST=$(python3 -c "print(f'$BATCH suggestions, $ROWS rows, $ASSIGNED assignments in {$SECS:.2f} s = {$ROWS / $SECS:,.0f} rows/s')")
fi
echo "first import: $FIRST"
while [ "$(count_open)" -lt "$OPEN" ]; do
    DONE=$("${PSQL[@]}" -c "SELECT count(DISTINCT suggestion_id) FROM assignments")
    [ "$DONE" -ge "$HAVE" ] && [ "$DONE" -ge "$SUGGESTIONS" ] && break
    table "$DONE"
    SECS=$(import_table)
    echo "  +$(json '["assigned"]' < "$OUT/answer.json") assignments in $SECS s (open: $(count_open))"
done
OPEN_NOW=$(count_open)
"${PSQL[@]}" -c "VACUUM ANALYZE assignments"

# A holiday on the busiest due date, then removed.
DAY=$("${PSQL[@]}" -c "SELECT due_on FROM assignments GROUP BY due_on ORDER BY count(*) DESC, due_on LIMIT 1")
ON_DAY=$("${PSQL[@]}" -c "SELECT count(*) FROM assignments WHERE due_on = '$DAY'")
echo "holiday on $DAY ($ON_DAY due that day; $OPEN_NOW open)"
ADD=$(timed -X PUT "$BASE/calendar/holidays/$DAY" -H "authorization: Bearer $ADMIN" -H 'content-type: application/json' \
    -d '{"kind":"holiday","name":"基准测试假日"}')
ADD_N=$(json '["recomputed"]' < "$OUT/answer.json")
REMOVE=$(timed -X DELETE "$BASE/calendar/holidays/$DAY" -H "authorization: Bearer $ADMIN" -H 'if-match: "1"')
REMOVE_N=$(json '["recomputed"]' < "$OUT/answer.json")

# The reply rule: 3 → 2 months, then back.
RULE=$(api "$BASE/deadline-rules" | python3 -c 'import sys, json; r = [r for r in json.load(sys.stdin) if r["kind"] == "reply" and not r.get("source") and not r.get("role")][0]; print(r["id"], r["version"])')
read -r RULE_ID RULE_VERSION <<< "$RULE"
patch_rule() {
    timed -X PATCH "$BASE/deadline-rules/$RULE_ID" -H "authorization: Bearer $ADMIN" -H 'content-type: application/json' \
        -H "if-match: \"$1\"" -d "{\"kind\":\"reply\",\"start_point\":\"assigned\",\"amount\":$2,\"period\":\"calendar_months\",\"extension_cap\":3,\"extension_cap_period\":\"calendar_months\"}"
}
SHORTER=$(patch_rule "$RULE_VERSION" 2)
SHORTER_N=$(json '["recomputed"]' < "$OUT/answer.json")
BACK=$(patch_rule $((RULE_VERSION + 1)) 3)
BACK_N=$(json '["recomputed"]' < "$OUT/answer.json")

cat <<REPORT

Assignment benchmark: $OPEN_NOW open assignments

| what | seconds | moved |
|---|---|---|
| first task-table import: $FIRST | | |
| PUT holiday on $DAY (recompute all open) | $ADD | $ADD_N |
| DELETE that holiday (recompute all open) | $REMOVE | $REMOVE_N |
| PATCH reply rule 3 → 2 months | $SHORTER | $SHORTER_N |
| PATCH reply rule 2 → 3 months | $BACK | $BACK_N |
REPORT
