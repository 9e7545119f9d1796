"""Schemathesis hooks for jianyi (SCHEMATHESIS_HOOKS=hooks, with this folder on PYTHONPATH).

What they add to what the spec alone gives the fuzzer:
- tokens: every request carries the run's account token (office or admin; the sync
  account's for the municipal system's operations); revoking a session uses a session of
  its own, so that the run's own is never ended;
- real ids: path, query and body ids are often the demo year's (else nearly every case
  would stop at 404 or `unknown_reference`), and `If-Match` is often `*`;
- encoders for the NDJSON import (one JSON object per line) and the xlsx task table and
  ledger (a real workbook with the expected headings).
The run's facts (tokens, ids) come from the JSON file JIANYI_FUZZ_FACTS names.
"""
import io
import json
import os
import sys
import urllib.request

import schemathesis
from hypothesis import strategies as st

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
import xlsx  # noqa: E402  (bench/xlsx.py: rows of text as a minimal workbook)

FACTS = json.load(open(os.environ["JIANYI_FUZZ_FACTS"]))
ROLE = os.environ.get("JIANYI_FUZZ_ROLE", "office")
BASE = FACTS["base"]

# Operations of the municipal system's account.
SYNC_OPERATIONS = {("PUT", "/api/v1/suggestions/by-external/{source}/{year}/{external_no}")}


def fresh_token():
    """A session of its own for `POST /auth/revoke`, which may end the caller's session."""
    body = json.dumps({"grant_type": "password", "username": FACTS["spare_user"], "password": FACTS["spare_password"]})
    request = urllib.request.Request(
        BASE + "/api/v1/auth/token", data=body.encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)["access_token"]


@schemathesis.auth()
class Tokens:
    def get(self, case, ctx):
        return FACTS["tokens"]

    def set(self, case, tokens, ctx):
        operation = (case.operation.method.upper(), case.operation.path)
        if operation == ("POST", "/api/v1/auth/revoke"):
            token = fresh_token()
        elif operation in SYNC_OPERATIONS or (
            operation == ("POST", "/api/v1/suggestions/import") and (case.media_type or "").endswith("ndjson")
        ):
            token = tokens["sync"]
        else:
            token = tokens[ROLE]
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {token}"


# Which ids a path's `{id}` takes.
PATH_IDS = [
    ("/api/v1/assignments/", "assignments"),
    ("/api/v1/disputes/", "disputes"),
    ("/api/v1/extensions/", "extensions"),
    ("/api/v1/suggestions/", "suggestions"),
    ("/api/v1/units/", "units"),
    ("/api/v1/users/", "users"),
    ("/api/v1/deputies/", "deputies"),
    ("/api/v1/deadline-rules/", "rules"),
]
# Which ids a field (query or body) takes.
FIELD_IDS = {
    "suggestion_id": "suggestions",
    "merged_into": "suggestions",
    "unit_id": "units",
    "section_id": "sections",
    "parent_id": "units",
    "suggested_unit_id": "units",
    "leader_id": "leaders",
    "supervisor_id": "leaders",
    "liaison_id": "users",
    "user_id": "users",
    "actor_id": "users",
    "proposer_id": "deputies",
    "deputy_id": "deputies",
}


def pick(pool, draw_real, rnd, value):
    ids = FACTS["ids"].get(pool) or []
    return rnd.choice(ids) if ids and draw_real else value


def real_ids(value, rnd):
    """Replaces, at random, ids in a JSON value with real ones of the right kind."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if k in FIELD_IDS and isinstance(v, str):
                out[k] = pick(FIELD_IDS[k], rnd.random() < 0.7, rnd, v)
            elif k == "co_signer_ids" and isinstance(v, list):
                out[k] = [pick("deputies", rnd.random() < 0.7, rnd, x) for x in v]
            else:
                out[k] = real_ids(v, rnd)
        return out
    if isinstance(value, list):
        return [real_ids(v, rnd) for v in value]
    return value


@schemathesis.hook
def flatmap_path_parameters(ctx, params):
    if not params:
        return st.just(params)
    path = ctx.operation.path

    def fill(rnd):
        out = dict(params)
        if "id" in out and rnd.random() < 0.8:
            for prefix, pool in PATH_IDS:
                if path.startswith(prefix):
                    out["id"] = pick(pool, True, rnd, out["id"])
                    break
        if "day" in out and rnd.random() < 0.5:
            out["day"] = pick("holidays", True, rnd, out["day"])
        if "external_no" in out and rnd.random() < 0.5:
            source, year, no = rnd.choice(FACTS["keys"])
            out.update({"source": source, "year": year, "external_no": no})
        return out

    return st.randoms(use_true_random=False).map(fill)


def real_cursor(path, query):
    """A cursor this service gave out for the list (a made-up one is only ever a 400)."""
    if "cursor" not in query:
        return query
    query = dict(query)
    if path == "/api/v1/suggestions":
        cursor = None if query.get("q") else FACTS["cursors"].get(f"{path}?sort={query.get('sort') or 'recent'}")
    else:
        cursor = FACTS["cursors"].get(path)
    if cursor:
        query["cursor"] = cursor
    else:
        del query["cursor"]
    return query


@schemathesis.hook
def flatmap_query(ctx, query):
    if not query:
        return st.just(query)
    path = ctx.operation.path
    return st.randoms(use_true_random=False).map(lambda rnd: real_cursor(path, real_ids(query, rnd)))


@schemathesis.hook
def flatmap_body(ctx, body):
    if not isinstance(body, (dict, list)):
        return st.just(body)
    return st.randoms(use_true_random=False).map(lambda rnd: real_ids(body, rnd))


@schemathesis.hook
def flatmap_headers(ctx, headers):
    if not headers or "If-Match" not in headers:
        return st.just(headers)
    return st.booleans().map(lambda star: {**headers, "If-Match": "*"} if star else headers)


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    rows = value if isinstance(value, list) else [value]
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()


# The headings of the xlsx bodies: the ledger (suggestions) and the task table (assignments).
LEDGER = ["建议编号", "年度", "来源", "标题", "领衔代表", "附议代表", "届次", "类别", "关键词", "重点建议", "收到日期", "内容"]
TABLE = ["建议编号", "年度", "来源", "办理类型", "承办单位", "承办科室", "分管领导", "联络员", "交办日期"]


def cells(value):
    """Text cells from whatever was generated: strings, numbers, or nested values."""
    if isinstance(value, dict):
        return [str(v) for v in value.values()]
    if isinstance(value, list):
        return [c for v in value for c in cells(v)]
    if isinstance(value, bytes):
        return [value.decode("utf-8", "replace")]
    return [] if value is None else [str(value)]


@schemathesis.serializer("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
def workbook(ctx, value):
    headings = TABLE if "/assignments/" in ctx.case.operation.path else LEDGER
    generated = cells(value)
    real = FACTS["keys"][len(generated) % len(FACTS["keys"])]
    # A row that names a real suggestion, then the generated text under the headings.
    rows = [headings, [real[2], str(real[1]), "人大"] + generated[: len(headings) - 3]]
    rows.append((generated + [""] * len(headings))[: len(headings)])
    out = io.BytesIO()
    with __import__("zipfile").ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", xlsx.CONTENT_TYPES)
        z.writestr("_rels/.rels", xlsx.RELS)
        z.writestr("xl/workbook.xml", xlsx.WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", xlsx.WORKBOOK_RELS)
        z.writestr("xl/worksheets/sheet1.xml", xlsx.sheet([[c.replace("\x00", "") for c in r] for r in rows]))
    return out.getvalue()
