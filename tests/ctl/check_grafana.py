#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""etc/grafana-genkan.json: valid JSON, a dashboard whose panels all query
Prometheus, every query valid PromQL (promtool check rules, with Grafana's
variables filled in) and every genkan_ metric it names listed in
docs/metrics.md.

usage: check_grafana.py DASHBOARD.json docs/metrics.md
"""
import json
import os
import re
import subprocess
import sys
import tempfile


def main():
    dash, doc = sys.argv[1], sys.argv[2]
    errors = []
    with open(dash) as f:
        d = json.load(f)  # raises on invalid JSON
    with open(doc) as f:
        documented = set(re.findall(r"^\| `(genkan_[a-z0-9_]+)`", f.read(), re.M))
    if not documented:
        errors.append("%s: no metric table" % doc)
    panels = d.get("panels")
    if not isinstance(panels, list) or not panels:
        errors.append("no panels")
        panels = []
    exprs = []
    ids = set()
    for p in panels:
        title = p.get("title", "?")
        if p.get("id") in ids:
            errors.append("panel %r: id %r twice" % (title, p.get("id")))
        ids.add(p.get("id"))
        targets = p.get("targets") or []
        if not targets:
            errors.append("panel %r has no query" % title)
        for t in targets:
            e = t.get("expr", "")
            if not e:
                errors.append("panel %r: empty expr" % title)
                continue
            exprs.append((title, e))
            for m in re.findall(r"\bgenkan_[a-z0-9_]+", e):
                if m not in documented:
                    errors.append("panel %r: %s is not in %s" % (title, m, doc))
    # PromQL syntax, through promtool's rule checker
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        f.write("groups:\n  - name: grafana\n    rules:\n")
        for i, (_, e) in enumerate(exprs):
            e = e.replace("$__rate_interval", "1m").replace("$instance", ".*")
            f.write("      - record: grafana:expr%d\n        expr: %s\n" %
                    (i, json.dumps(e)))
        rules = f.name
    r = subprocess.run(["promtool", "check", "rules", rules],
                       capture_output=True, text=True)
    os.unlink(rules)
    if r.returncode:
        errors.append("promtool check rules: " + r.stdout + r.stderr)
    for e in errors:
        print("FAIL:", e)
    print("%d panels, %d queries, %d problems" % (len(panels), len(exprs),
                                                 len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
