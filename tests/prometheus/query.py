#!/usr/bin/env python3
"""Reads Prometheus's HTTP API and ipcd's /metrics for tests/t_prometheus.sh,
one line per item, sorted, values as the shortest decimal of the double
(equal doubles print equal).  Exit status 1 when the server cannot be read.

  query.py query URL EXPR     LABELS VALUE   (labels k=v,..., no __name__)
  query.py rules URL          FILE GROUP RULE HEALTH EVALUATED(yes/no)
  query.py alerts URL         ALERTNAME KEY STATE
  query.py metric URL SAMPLE  the value of SAMPLE (name{labels} as written)
                              in the exposition at URL
"""
import json
import os
import sys
import urllib.parse
import urllib.request


def get(url):
    with urllib.request.urlopen(url, timeout=5) as r:
        return r.read().decode()


def api(base, path, **params):
    q = urllib.parse.urlencode(params)
    doc = json.loads(get(base + path + ("?" + q if q else "")))
    if doc.get("status") != "success":
        raise OSError(doc.get("error", "status " + str(doc.get("status"))))
    return doc["data"]


def labels(m):
    return ",".join("%s=%s" % (k, m[k]) for k in sorted(m) if k != "__name__")


def query(base, expr):
    data = api(base, "/api/v1/query", query=expr)
    if data["resultType"] == "scalar":
        return ["- " + repr(float(data["result"][1]))]
    return sorted("%s %r" % (labels(r["metric"]) or "-", float(r["value"][1]))
                  for r in data["result"])


def rules(base):
    out = []
    for g in api(base, "/api/v1/rules")["groups"]:
        for r in g["rules"]:
            ev = r.get("lastEvaluation", "").startswith("0001-")
            out.append("%s %s %s %s %s" % (os.path.basename(g["file"]),
                       g["name"], r["name"], r["health"],
                       "no" if ev else "yes"))
    return sorted(out)


def alerts(base):
    return sorted("%s %s %s" % (a["labels"]["alertname"],
                  a["labels"].get("key", "-"), a["state"])
                  for a in api(base, "/api/v1/alerts")["alerts"])


def metric(url, sample):
    for line in get(url).splitlines():
        name, _, value = line.rpartition(" ")
        if name == sample:
            return [repr(float(value))]
    return []


def main(argv):
    cmds = {"query": (query, 2), "rules": (rules, 1), "alerts": (alerts, 1),
            "metric": (metric, 2)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) != 2 + cmds[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    try:
        lines = cmds[argv[1]][0](*argv[2:])
    except (OSError, ValueError, KeyError) as e:
        sys.stderr.write("query.py: %s\n" % e)
        return 1
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
