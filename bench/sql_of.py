#!/usr/bin/env python3
"""Prints the SQL of a `diesel::sql_query(…)` in a Rust function — a string literal, or
`concat!` of literals and literal-only macros (`mine!()`) — with its parameters replaced,
so that pgbench runs exactly what the service sends (no copy to drift).

    python3 bench/sql_of.py src/supervision/queries.rs figures '$1=:y' '$2=NULL' '$5=CURRENT_DATE'
"""
import re
import sys

path, name, *subs = sys.argv[1:]
src = open(path, encoding="utf-8").read()


def literal(at):
    """The Rust string literal whose opening quote is at `at`: its text and the end."""
    out, i = [], at + 1
    while src[i] != '"':
        if src[i] == "\\":
            nxt = src[i + 1]
            if nxt == "\n":
                i += 2
                while src[i] in " \t":
                    i += 1
                continue
            out.append({"n": "\n", "t": "\t", "\\": "\\", '"': '"'}[nxt])
            i += 2
            continue
        out.append(src[i])
        i += 1
    return "".join(out), i + 1


def macro(name):
    """The literal a `macro_rules! name { () => { "…" } }` expands to."""
    at = src.index(f"macro_rules! {name}")
    return literal(src.index('"', src.index("=>", at)))[0]


start = src.index(f"fn {name}(")
at = src.index("sql_query(", start) + len("sql_query(")
rest = src[at:].lstrip()
at = len(src) - len(rest)
if rest.startswith("concat!("):
    at += len("concat!(")
    parts = []
    while True:
        while src[at] in " \t\n,":
            at += 1
        if src[at] == ")":
            break
        if src[at] == '"':
            text, at = literal(at)
            parts.append(text)
        else:
            m = re.match(r"(\w+)!\(\)", src[at:])
            parts.append(macro(m.group(1)))
            at += m.end()
    sql = "".join(parts)
else:
    sql = literal(at)[0]
for sub in sorted(subs, key=lambda s: -len(s.split("=", 1)[0])):
    key, value = sub.split("=", 1)
    sql = re.sub(re.escape(key) + r"(?!\d)", value, sql)
print(sql + ";")
