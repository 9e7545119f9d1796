"""Drives bench/letters.sh: takes the demo year's signed reply to 183050, then asks for N letters as
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


office = token("bangongshi")
# `jianyi demo` carries the year through the API: the lead reply of 183050 (建设工程管理科,
# co-handled by 市交通运输局) is signed; its letter is generated from its current revision.
items = call("GET", "/api/v1/assignments?year=2023&limit=200", office)["items"]
lead = next(a for a in items if a["role"] == "lead" and a.get("section_name") == "建设工程管理科")
s = call("GET", f"/api/v1/suggestions/{lead['suggestion_id']}", office)
r = next(x for x in call("GET", "/api/v1/replies?limit=200", office)["items"] if x["assignment_id"] == lead["id"])
assert r["state"] == "signed", r["state"]

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
