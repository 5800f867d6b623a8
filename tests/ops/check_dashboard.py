#!/usr/bin/python3
"""Checks deploy/monitoring/dashboard.json (and the expressions of alerts.yaml) offline.

- the dashboard is JSON with a `datasource` variable (type datasource, prometheus) and a `job`
  variable over the four services' jobs;
- every panel but a row has the datasource `${datasource}`, and at least one target with an expr;
- panels under a row repeated per job select `job=~"$job"` in every expression;
- every metric name in a dashboard or alert expression is in tests/ops/metric_names.txt, the list
  tests/python/prometheus_test.py checks live services against, and every grpc_code they match is
  spelt as the services emit it (NotFound, Internal: go-grpc-prometheus' names);
- every expression parses as PromQL (`promtool check rules` on a generated rules file).

Run from the repository root (ctest does): /usr/bin/python3 tests/ops/check_dashboard.py.
`--self-test` feeds it broken dashboards and fails unless each one is rejected.
"""
import argparse
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

JOBS = ["case-records", "workbook", "supervision", "outcomes"]
DATASOURCE = "${datasource}"
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan", "atan2"}
HISTOGRAM_SUFFIXES = ("_count", "_sum")
# grpc_code values as the services emit them (common/metrics.cc, go-grpc-prometheus' names).
GRPC_CODES = {"OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound",
              "AlreadyExists", "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
              "Aborted", "OutOfRange", "Unimplemented", "Internal", "Unavailable", "DataLoss",
              "Unauthenticated"}


def read_names(path):
    with open(path) as f:
        return {line.strip() for line in f if line.strip() and not line.startswith("#")}


def metric_names(expr):
    """The metric names an expression selects (Grafana variables removed first)."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    s = re.sub(r"'(?:[^'\\]|\\.)*'", "''", s)
    s = re.sub(r"`[^`]*`", "``", s)
    s = re.sub(r"\{[^}]*\}", " ", s)
    s = re.sub(r"\[[^\]]*\]", " ", s)
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    s = re.sub(r"\$\{?\w+\}?", " ", s)
    names = []
    for m in re.finditer(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", s):
        if s[m.end():].lstrip().startswith("("):
            continue  # a function or an aggregation
        if m.group(0).lower() in KEYWORDS:
            continue
        names.append(m.group(0))
    return names


def known(name, names):
    if name in names:
        return True
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] + "_bucket" in names:
            return True
    return False


def all_panels(dashboard):
    """Top-level panels in order, with the panels of collapsed rows after their row."""
    for panel in dashboard.get("panels", []):
        yield panel
        for inner in panel.get("panels", []) or []:
            yield inner


def check_dashboard(dashboard, names):
    """The list of problems (empty when the dashboard is fine) and the expressions found."""
    problems, exprs = [], []
    if not isinstance(dashboard, dict):
        return ["the dashboard is not a JSON object"], exprs
    for key in ("uid", "title"):
        if not dashboard.get(key):
            problems.append(f"no {key}")
    if not isinstance(dashboard.get("schemaVersion"), int) or dashboard["schemaVersion"] < 36:
        problems.append("schemaVersion is missing or older than 36")
    variables = {v.get("name"): v for v in dashboard.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.append("no `datasource` variable of type datasource for prometheus")
    job = variables.get("job")
    if not job:
        problems.append("no `job` variable")
    else:
        values = [o.get("value") for o in job.get("options", [])]
        query = [v.strip() for v in str(job.get("query", "")).split(",")]
        if sorted(values) != sorted(JOBS) or sorted(query) != sorted(JOBS):
            problems.append(f"the `job` variable is not over {JOBS}: {values} / {query}")
    ids = set()
    in_job_row = False
    panels = list(all_panels(dashboard))
    if not any(p.get("type") != "row" for p in panels):
        problems.append("no panels")
    for panel in panels:
        title = panel.get("title", "?")
        if panel.get("id") in ids:
            problems.append(f"panel id {panel.get('id')} used twice")
        ids.add(panel.get("id"))
        if "gridPos" not in panel:
            problems.append(f"panel {title!r} has no gridPos")
        if panel.get("type") == "row":
            in_job_row = panel.get("repeat") == "job"
            continue
        datasource = panel.get("datasource")
        if not isinstance(datasource, dict) or datasource.get("uid") != DATASOURCE:
            problems.append(f"panel {title!r} has no datasource {DATASOURCE}")
        targets = [t for t in panel.get("targets", []) or [] if isinstance(t, dict)]
        if not any(str(t.get("expr", "")).strip() for t in targets):
            problems.append(f"panel {title!r} has no target with an expr")
        for target in targets:
            expr = str(target.get("expr", "")).strip()
            tds = target.get("datasource")
            if tds is not None and (not isinstance(tds, dict) or tds.get("uid") != DATASOURCE):
                problems.append(f"a target of panel {title!r} has another datasource")
            if not expr:
                problems.append(f"a target of panel {title!r} has no expr")
                continue
            exprs.append((f"panel {title!r} {target.get('refId', '?')}", expr))
            if in_job_row and 'job=~"$job"' not in expr.replace(" ", ""):
                problems.append(f"panel {title!r} is in the per-job row but does not select "
                                f'job=~"$job": {expr}')
    problems += check_names(exprs, names)
    return problems, exprs


def alert_exprs(alerts):
    exprs = []
    for group in alerts.get("groups", []):
        for rule in group.get("rules", []):
            exprs.append((f"alert {rule.get('alert') or rule.get('record')}", rule["expr"]))
    return exprs


def check_names(exprs, names):
    problems = []
    for where, expr in exprs:
        for codes in re.findall(r'grpc_code\s*!?=~?\s*"([^"]*)"', expr):
            for code in codes.split("|"):
                if code not in GRPC_CODES:
                    problems.append(f"{where}: grpc_code {code!r} is not a code the services "
                                    "emit")
        found = metric_names(expr)
        if not found:
            problems.append(f"{where}: no metric in {expr}")
        for name in found:
            if not known(name, names):
                problems.append(f"{where}: metric {name} is not in metric_names.txt")
    return problems


def check_promql(exprs, promtool):
    """Every expression parses: promtool checks a rules file recording each of them."""
    rules = []
    for i, (_, expr) in enumerate(exprs):
        expr = expr.replace("$__rate_interval", "1m").replace("$__interval", "1m")
        expr = expr.replace("${job}", JOBS[0]).replace("$job", JOBS[0])
        rules.append({"record": f"fs_check:expr_{i}", "expr": expr})
    tmp = tempfile.mkdtemp(prefix="check_dashboard_")
    try:
        path = os.path.join(tmp, "exprs.yaml")
        with open(path, "w") as f:
            yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)
        result = subprocess.run([promtool, "check", "rules", path], capture_output=True,
                                text=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if result.returncode != 0:
        return [f"promtool check rules failed:\n{result.stdout}{result.stderr}"]
    return []


def check(dashboard, alerts, names, promtool):
    problems, exprs = check_dashboard(dashboard, names)
    more = alert_exprs(alerts)
    problems += check_names(more, names)
    problems += check_promql(exprs + more, promtool)
    return problems


def self_test(dashboard, alerts, names, promtool):
    """Each broken copy must be rejected; the original must pass."""
    def first_panel(d):
        return next(p for p in all_panels(d) if p.get("type") != "row")

    def last_panel(d):
        return [p for p in all_panels(d) if p.get("type") != "row"][-1]

    def edit(fn):
        d = copy.deepcopy(dashboard)
        fn(d)
        return d

    broken = {
        "unknown metric": edit(lambda d: first_panel(d)["targets"][0].update(
            expr='sum(rate(grpc_server_handled_totals{job=~"$job"}[5m]))')),
        "no datasource": edit(lambda d: first_panel(d).pop("datasource")),
        "other datasource": edit(lambda d: last_panel(d).update(
            datasource={"type": "prometheus", "uid": "prod"})),
        "no targets": edit(lambda d: last_panel(d).update(targets=[])),
        "empty expr": edit(lambda d: last_panel(d)["targets"][0].update(expr=" ")),
        "per-job panel without $job": edit(lambda d: first_panel(d)["targets"][0].update(
            expr="sum(rate(grpc_server_handled_total[5m]))")),
        "bad PromQL": edit(lambda d: last_panel(d)["targets"][0].update(
            expr="time() - max(fs_open_cases_refresh_timestamp_seconds")),
        "job variable short of a service": edit(lambda d: [
            v.update(options=v["options"][:-1]) for v in d["templating"]["list"]
            if v["name"] == "job"]),
        "no datasource variable": edit(lambda d: d["templating"].update(list=[
            v for v in d["templating"]["list"] if v["name"] != "datasource"])),
    }
    failures = []
    if check(dashboard, alerts, names, promtool):
        failures.append("the real dashboard does not pass")
    for what, d in broken.items():
        if not check(d, alerts, names, promtool):
            failures.append(f"a dashboard with {what} passed")
    upper_case = copy.deepcopy(alerts)
    for group in upper_case["groups"]:
        for rule in group["rules"]:
            rule["expr"] = rule["expr"].replace("Internal|", "INTERNAL|")
    if not check(dashboard, upper_case, names, promtool):
        failures.append("an alert on grpc_code INTERNAL (never emitted) passed")
    bad_alerts = copy.deepcopy(alerts)
    bad_alerts["groups"][0]["rules"][0]["expr"] = "fs_no_such_metric > 0"
    if not check(dashboard, bad_alerts, names, promtool):
        failures.append("an alert on an unknown metric passed")
    if metric_names('sum by (job, le) (rate(a_b_bucket{x="y{z}"}[5m])) / on(job) c:d offset 5m '
                    "and histogram_quantile(0.9, e) > 1e3") != ["a_b_bucket", "c:d", "e"]:
        failures.append("metric_names() misreads an expression")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dashboard", default="deploy/monitoring/dashboard.json")
    parser.add_argument("--alerts", default="deploy/monitoring/alerts.yaml")
    parser.add_argument("--names", default="tests/ops/metric_names.txt")
    parser.add_argument("--promtool", default=shutil.which("promtool") or "/usr/bin/promtool")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    try:
        with open(args.dashboard) as f:
            dashboard = json.load(f)
    except (OSError, ValueError) as e:
        print(f"check_dashboard: {args.dashboard}: {e}", file=sys.stderr)
        return 1
    with open(args.alerts) as f:
        alerts = yaml.safe_load(f)
    names = read_names(args.names)
    if args.self_test:
        failures = self_test(dashboard, alerts, names, args.promtool)
        for failure in failures:
            print(f"check_dashboard self-test: {failure}", file=sys.stderr)
        if not failures:
            print("check_dashboard self-test: every broken dashboard was rejected")
        return 1 if failures else 0
    problems = check(dashboard, alerts, names, args.promtool)
    for problem in problems:
        print(f"check_dashboard: {problem}", file=sys.stderr)
    if not problems:
        panels = sum(1 for p in all_panels(dashboard) if p.get("type") != "row")
        print(f"check_dashboard: {args.dashboard} OK ({panels} panels)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
