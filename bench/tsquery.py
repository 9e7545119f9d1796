#!/usr/bin/env python3
"""Writes the pgbench script of the search endpoint: the service's SQL, with the tsquery
text the service builds for each line of queries.txt (CJK bigrams of each term, ANDed)."""
import sys

def tokens(term):
    chars = [c for c in term if c.strip()]
    return ["".join(chars[i:i + 2]) for i in range(len(chars) - 1)] if len(chars) > 1 else chars

def tsquery(q):
    return " & ".join("(" + " & ".join(f"'{t}'" for t in tokens(term)) + ")" for term in q.split())

queries = [l.strip() for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
array = "ARRAY[" + ", ".join("'" + tsquery(q).replace("'", "''") + "'" for q in queries) + "]"
rank = f"ts_rank(suggestions.title_search, ({array})[:r]::tsquery)"
print(f"-- The SQL of GET /api/v1/suggestions?q=... for the searches of {sys.argv[1]}.")
print(f"\\set r random(1, {len(queries)})")
print(
    'SELECT "suggestions"."id", "suggestions"."source", "suggestions"."year", "suggestions"."external_no", '
    '"suggestions"."session_label", "suggestions"."title", "suggestions"."category", "suggestions"."keywords", '
    '"suggestions"."is_key", "suggestions"."received_on", "suggestions"."merged_into", "suggestions"."status", '
    '"suggestions"."version", "suggestions"."created_at", "suggestions"."updated_at", NULL::text, '
    "(SELECT json_build_object('id', d.id, 'name', d.name, 'delegation', d.delegation, 'confidential', d.confidential) "
    "FROM deputies d WHERE d.id = suggestions.proposer_id), "
    "(SELECT coalesce(json_agg(json_build_object('id', d.id, 'name', d.name, 'delegation', d.delegation, "
    "'confidential', d.confidential) ORDER BY array_position(suggestions.co_signer_ids, d.id)), '[]'::json) "
    f"FROM deputies d WHERE d.id = ANY(suggestions.co_signer_ids)), {rank} "
    f'FROM "suggestions" WHERE (true AND suggestions.search @@ ({array})[:r]::tsquery) '
    f'ORDER BY {rank} DESC, "suggestions"."id" DESC LIMIT 51;'
)
