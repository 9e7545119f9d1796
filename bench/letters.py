"""Drives bench/letters.sh: carries one demo reply to approval, then asks for N letters as
DOCX and N as PDF with two clients; prints letters per second and the service's peak RSS."""

import json
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

BASE, PID, N = sys.argv[1], sys.argv[2], int(sys.argv[3])


def call(method, path, token=None, body=None, if_match=None, raw=False):
    req = urllib.request.Request(BASE + path, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if if_match is not None:
        req.add_header("If-Match", if_match)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, data) as res:
        out = res.read()
    return out if raw else json.loads(out or b"null")


def token(user):
    body = {"grant_type": "password", "username": user, "password": "jianyi-demo-2023"}
    return call("POST", "/api/v1/auth/token", body=body)["access_token"]


def rss(field):
    for line in open(f"/proc/{PID}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) // 1024
    return 0


def act(tok, path, obj, body=None):
    return call("POST", path, tok, body, if_match=f'"{obj["version"]}"')


office, handler, head, leader, co = (token(u) for u in ("bangongshi", "jsgc", "jsgc_kz", "fenguan", "jtj"))
items = call("GET", "/api/v1/assignments?year=2023&limit=200", office)["items"]
lead = next(a for a in items if a["role"] == "lead" and a.get("section_name") == "建设工程管理科")
s = call("GET", f"/api/v1/suggestions/{lead['suggestion_id']}", office)
call("POST", f"/api/v1/assignments/{lead['id']}/sign-in", handler, if_match="*")
call("POST", "/api/v1/contacts", handler, {"assignment_id": lead["id"], "kind": "pre_handling", "channel": "phone",
     "contacted_on": "2023-03-10", "staff": ["赵明"], "deputy_ids": [s["proposer"]["id"]], "summary": "电话沟通"})
for a in call("GET", f"/api/v1/assignments?suggestion_id={s['id']}", office)["items"]:
    if a["role"] == "co":
        call("POST", f"/api/v1/assignments/{a['id']}/sign-in", co, if_match="*")
        o = call("POST", "/api/v1/opinions", co, {"assignment_id": a["id"], "body": "同意主办单位意见。"})
        act(co, f"/api/v1/opinions/{o['id']}/submit", o)
paragraphs = "\n\n".join(f"{i}. 关于公交站点设置的第{i}项措施：我局会同市交通运输局，结合轨道交通站点和居住区分布，"
                         "对站点间距、候车设施和换乘距离进行了全面梳理，并将优化方案纳入年度实施计划。" for i in range(1, 13))
body = f"您提出的《{s['title']}》收悉，现答复如下：\n\n## 一、基本情况\n\n{paragraphs}\n\n## 二、下一步工作\n\n感谢您的关心和支持。"
r = call("POST", "/api/v1/replies", handler, {"assignment_id": lead["id"], "body": body, "class": "B",
         "leader_name": "张副局长", "leader_phone": "021-12345678", "handler_name": "赵明", "handler_phone": "021-87654321"})
r = act(handler, f"/api/v1/replies/{r['id']}/signoffs", r)
for so in call("GET", "/api/v1/signoffs?state=pending", co)["items"]:
    act(co, f"/api/v1/signoffs/{so['id']}/answer", so, {"decision": "agree"})
r = call("GET", f"/api/v1/replies/{r['id']}", handler)
r = act(handler, f"/api/v1/replies/{r['id']}/submit", r)
for tok in (head, office, leader):
    r = act(tok, f"/api/v1/replies/{r['id']}/decisions", r, {"decision": "approve"})
assert r["state"] == "approved", r["state"]

path = f"/api/v1/replies/{r['id']}/letter"
sizes = {}
for fmt in ("docx", "pdf"):
    sizes[fmt] = len(call("GET", f"{path}?format={fmt}", office, raw=True))  # warm: fonts mapped, first subset
idle = rss("VmRSS")
for fmt in ("docx", "pdf"):
    t0 = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        done = sum(1 for b in pool.map(lambda _: call("GET", f"{path}?format={fmt}", office, raw=True), range(N)) if b)
    dt = time.monotonic() - t0
    print(f"{done} {fmt.upper()} letters ({sizes[fmt] // 1024} KiB each, {s['external_no']}): "
          f"{done / dt:.0f} letters/s with 2 clients ({dt:.1f} s)")
peak = rss("VmHWM")
print(f"service RSS: idle {idle} MiB after one letter of each; peak {peak} MiB; {peak - idle} MiB over idle")
