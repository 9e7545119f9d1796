#!/usr/bin/env python3
"""Prints the SQL of a `diesel::sql_query("…")` in a Rust function, with its parameters
replaced, so that pgbench runs exactly what the service sends (no copy to drift).

    python3 bench/sql_of.py src/supervision/queries.rs figures '$1=:y' '$2=NULL' '$3=CURRENT_DATE'
"""
import re
import sys

path, name, *subs = sys.argv[1:]
src = open(path, encoding="utf-8").read()
start = src.index(f"fn {name}(")
at = src.index("sql_query(", start)
at = src.index('"', at) + 1
out, i = [], at
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
sql = "".join(out)
for sub in sorted(subs, key=lambda s: -len(s.split("=", 1)[0])):
    key, value = sub.split("=", 1)
    sql = re.sub(re.escape(key) + r"(?!\d)", value, sql)
print(sql + ";")
