"""Prepares a fuzz run on a service loaded with the demo year: signs in the run's accounts,
makes what the decisions need (a pending dispute, a pending extension), and writes the
facts the hooks read — tokens and the ids of real objects — as JSON.

    python3 tests/fuzz/facts.py BASE_URL ADMIN_PASSWORD OUT.json
"""
import datetime
import json
import sys
import urllib.error
import urllib.request

BASE, ADMIN_PASSWORD, OUT = sys.argv[1:4]
DEMO_PASSWORD = "jianyi-demo-2023"
SPARE = ("fuzz-spare", "fuzz-spare-password")


def call(method, path, token=None, body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers or {})
    if body is not None:
        request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            text = answer.read()
            return json.loads(text) if text else None, answer.headers
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{method} {path}: {e.code} {e.read().decode()}") from e


def sign_in(username, password):
    body = {"grant_type": "password", "username": username, "password": password}
    return call("POST", "/api/v1/auth/token", body=body)[0]["access_token"]


def every(path, token):
    items, cursor = [], None
    while True:
        page, _ = call("GET", f"{path}{'&' if '?' in path else '?'}limit=200" + (f"&cursor={cursor}" if cursor else ""), token)
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


admin = sign_in("admin", ADMIN_PASSWORD)
office = sign_in("bangongshi", DEMO_PASSWORD)
handler = sign_in("jsgc", DEMO_PASSWORD)
sync = call(
    "POST",
    "/api/v1/auth/token",
    body={"grant_type": "client_credentials", "client_id": "municipal-sync", "client_secret": "jianyi-demo-sync-secret"},
)[0]["access_token"]

users = every("/api/v1/users", admin)
if not any(u["username"] == SPARE[0] for u in users):
    call("POST", "/api/v1/users", admin, {"username": SPARE[0], "display_name": "fuzz", "roles": ["deputy"], "password": SPARE[1]})

units = every("/api/v1/units", admin)
bureau = next(u["id"] for u in units if u["kind"] == "bureau")
section = next(u["id"] for u in units if u["name"] == "建设工程管理科")

# A suggestion assigned today, disputed within its window; an extension asked for.
key = ("npc", 2023, "FUZZ-0001")
suggestion, _ = call("PUT", "/api/v1/suggestions/by-external/%s/%s/%s" % key, sync, {"title": "关于模糊测试事项的建议"})
today = datetime.date.today().isoformat()
made, _ = call(
    "POST",
    "/api/v1/assignments",
    office,
    {"suggestion_id": suggestion["id"], "assigned_on": today, "units": [{"unit_id": bureau, "role": "lead", "section_id": section}]},
)
assignment = made["items"][0]
call("POST", f"/api/v1/assignments/{assignment['id']}/disputes", handler, {"reason": "该事项不属于本科职责"}, {"if-match": "*"})
call("POST", f"/api/v1/assignments/{assignment['id']}/extensions", handler, {"reason": "需要现场踏勘", "requested_until": (datetime.date.today() + datetime.timedelta(days=120)).isoformat()})

assignments = every("/api/v1/assignments", admin)
disputes, extensions = [], []
for a in assignments:
    disputes += [d["id"] for d in call("GET", f"/api/v1/assignments/{a['id']}/disputes", admin)[0]]
    extensions += [e["id"] for e in call("GET", f"/api/v1/assignments/{a['id']}/extensions", admin)[0]]
suggestions = every("/api/v1/suggestions", admin)
run_accounts = {"admin", "bangongshi", "municipal-sync", SPARE[0]}
users = every("/api/v1/users", admin)
# A real cursor of each list (of each order, for suggestions), for the hooks to offer.
cursors = {}
for path in ["/api/v1/assignments", "/api/v1/audit", "/api/v1/deputies", "/api/v1/units", "/api/v1/users"]:
    cursors[path] = call("GET", f"{path}?limit=1", admin)[0].get("next_cursor")
for sort in ["recent", "external_no", "ledger"]:
    cursors[f"/api/v1/suggestions?sort={sort}"] = call("GET", f"/api/v1/suggestions?limit=1&sort={sort}", admin)[0].get("next_cursor")
facts = {
    "base": BASE,
    "cursors": cursors,
    "tokens": {"admin": admin, "office": office, "sync": sync},
    "spare_user": SPARE[0],
    "spare_password": SPARE[1],
    "keys": [[s["source"], s["year"], s["external_no"]] for s in suggestions],
    "ids": {
        "suggestions": [s["id"] for s in suggestions],
        "assignments": [a["id"] for a in assignments],
        "disputes": disputes,
        "extensions": extensions,
        "units": [u["id"] for u in units],
        "sections": [u["id"] for u in units if u["kind"] == "section"],
        # The run's own accounts are never offered: changing them would end its sessions.
        "users": [u["id"] for u in users if u["username"] not in run_accounts],
        "leaders": [u["id"] for u in users if "leader" in u["roles"]],
        "deputies": [d["id"] for d in every("/api/v1/deputies", admin)],
        "rules": [r["id"] for r in call("GET", "/api/v1/deadline-rules", admin)[0]],
        "holidays": [h["day"] for h in call("GET", "/api/v1/calendar/holidays?year=2026", admin)[0]],
    },
}
json.dump(facts, open(OUT, "w"), ensure_ascii=False, indent=1)
print(f"facts: {len(suggestions)} suggestions, {len(assignments)} assignments, {len(disputes)} disputes, "
      f"{len(extensions)} extensions, {len(units)} units, {len(users)} users")
