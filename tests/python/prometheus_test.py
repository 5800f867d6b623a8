"""End-to-end: the four services as `make run` wires them (events between them, the name match
secret held by case_records and outcomes), scraped by a real Prometheus (Debian's) that loads
deploy/monitoring/alerts.yaml, a real PostgreSQL, Debian's Python grpcio.

Prometheus scrapes every second under the job names the Kubernetes Services have (case-records,
workbook, supervision, outcomes), which the alert rules and the Grafana dashboard select. The
test checks that every target is up, that calls made here are counted (per job, per method, with
the canonical status code names the error-ratio alert relies on), that the rules load and stay
quiet on a healthy suite, that every metric in tests/ops/metric_names.txt (the list the dashboard
checker holds the dashboard to) is exposed, and that a stopped service shows `up` 0 and a pending
FsServiceDown. Run by tests/python/client_test.sh under scripts/test.sh (FS_TEST_DB_URL).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, os.environ.get("FS_BUILD_DIR", "build"))
sys.path.insert(0, os.path.join(BUILD, "py"))

import grpc  # noqa: E402
import yaml  # noqa: E402  (python3-yaml, scripts/packages.txt)
from fs_support import ServerExited, eventually, free_ports, launch  # noqa: E402
from fs_support import migrate, print_log_tail  # noqa: E402
from fs_support import role_url as url  # noqa: E402
from fs.cases.v1 import case_records_pb2 as pb  # noqa: E402
from fs.cases.v1 import case_records_pb2_grpc as rpc  # noqa: E402
from fs.outcomes.v1 import outcomes_pb2 as ob  # noqa: E402
from fs.outcomes.v1 import outcomes_pb2_grpc as orpc  # noqa: E402
from fs.supervision.v1 import supervision_pb2 as sv  # noqa: E402
from fs.supervision.v1 import supervision_pb2_grpc as svrpc  # noqa: E402
from fs.workbook.v1 import workbook_pb2 as wb  # noqa: E402
from fs.workbook.v1 import workbook_pb2_grpc as wrpc  # noqa: E402
from fsgrpc.health.v1 import health_pb2, health_pb2_grpc  # noqa: E402
from google.protobuf import timestamp_pb2  # noqa: E402

PROMETHEUS = os.environ.get("FS_PROMETHEUS", "/usr/bin/prometheus")
ALERTS = os.path.join(REPO, "deploy", "monitoring", "alerts.yaml")
DASHBOARD = os.path.join(REPO, "deploy", "monitoring", "dashboard.json")
METRIC_NAMES = os.path.join(REPO, "tests", "ops", "metric_names.txt")
SERVICES = ("case_records", "workbook", "supervision", "outcomes")
# The Kubernetes Service name of each service: Prometheus' job label.
JOB = {"case_records": "case-records", "workbook": "workbook", "supervision": "supervision",
       "outcomes": "outcomes"}
# As scripts/run-local.sh wires them.
SUBSCRIBERS = {"case_records": ("workbook", "supervision", "outcomes"), "workbook": ("outcomes",),
               "supervision": ("workbook", "outcomes"), "outcomes": ("case_records",)}
PRODUCERS = {"case_records": ("outcomes",), "workbook": ("case_records", "supervision"),
             "supervision": ("case_records",),
             "outcomes": ("case_records", "workbook", "supervision")}
# Alerts a healthy suite must not even have pending. (The practice alerts depend on what earlier
# tests left in the shared database, latency and the pool on the machine's load, and delivery
# failures happen here on purpose.)
QUIET = {"FsServiceDown", "FsServiceAbsent", "FsHighErrorRatio", "FsOutboxLag",
         "FsBusinessGaugesStale"}
# grpc_code as the services spell it (go-grpc-prometheus' names), which the alert rules match.
CODE_LABEL = {"OK": "OK", "CANCELLED": "Canceled", "UNKNOWN": "Unknown",
              "INVALID_ARGUMENT": "InvalidArgument", "DEADLINE_EXCEEDED": "DeadlineExceeded",
              "NOT_FOUND": "NotFound", "ALREADY_EXISTS": "AlreadyExists",
              "PERMISSION_DENIED": "PermissionDenied", "RESOURCE_EXHAUSTED": "ResourceExhausted",
              "FAILED_PRECONDITION": "FailedPrecondition", "ABORTED": "Aborted",
              "OUT_OF_RANGE": "OutOfRange", "UNIMPLEMENTED": "Unimplemented",
              "INTERNAL": "Internal", "UNAVAILABLE": "Unavailable", "DATA_LOSS": "DataLoss",
              "UNAUTHENTICATED": "Unauthenticated"}
WAIT = 60  # seconds for anything that needs scrapes, relays or recounts (a slow shared machine)
RUN = uuid.uuid4().hex[:8]
TEAM = f"prom-py-{RUN}"
POLICE = [("x-fs-principal", "spiffe://fs.local/partner/police/PYPROM")]


def who(practitioner, role="social_worker", team=TEAM):
    return [("x-fs-principal", f"spiffe://fs.local/practitioner/{practitioner}"),
            ("x-fs-role", role), ("x-fs-team", team)]


LEAD = who(f"{TEAM}-sw")
MANAGER = who(f"{TEAM}-tm", "team_manager")


def ts(seconds):
    t = timestamp_pb2.Timestamp()
    t.FromSeconds(int(seconds))
    return t


def alert_rules():
    with open(ALERTS) as f:
        return {r["alert"]: r for g in yaml.safe_load(f)["groups"] for r in g["rules"]}


def metric_names():
    with open(METRIC_NAMES) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


class PrometheusEndToEndTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="prometheus_test_")
        cls.log_path = os.path.join(cls.tmp, "servers.log")
        cls.log = open(cls.log_path, "w")
        cls.processes = {}
        cls.channels = {}
        cls.secret = os.path.join(cls.tmp, "name-match-secret")
        with open(cls.secret, "w") as f:
            f.write(uuid.uuid4().hex + uuid.uuid4().hex)
        try:
            for svc in SERVICES:
                binary = cls.binary(svc)
                migrate(binary, svc, cls.log)
            for attempt in range(3):
                ports = free_ports(9)
                cls.grpc_port = dict(zip(SERVICES, ports[0:4]))
                cls.metrics_port = dict(zip(SERVICES, ports[4:8]))
                cls.prometheus_port = ports[8]
                try:
                    cls.start_prometheus()
                    # case_records first, as run-local.sh starts it: the case created before its
                    # subscribers listen waits in the outbox and the relays count failures.
                    cls.start("case_records")
                    cls.cases = rpc.CaseRecordsServiceStub(cls.channels["case_records"])
                    cls.case = cls.create_family(attempt)
                    cls.families = attempt + 1  # a retry leaves the earlier attempt's case
                    for svc in SERVICES[1:]:
                        cls.start(svc)
                    break
                except ServerExited:  # a port was taken meanwhile: all again on other ports
                    if attempt == 2:
                        raise
                    cls.stop_all()
            cls.workbook = wrpc.WorkbookServiceStub(cls.channels["workbook"])
            cls.supervision = svrpc.SupervisionServiceStub(cls.channels["supervision"])
            cls.intake = orpc.PartnerIntakeServiceStub(cls.channels["outcomes"])
        except BaseException:
            cls.dump_log()
            cls.tearDownClass()
            raise

    @staticmethod
    def binary(svc):
        return os.path.join(BUILD, "services", svc, f"{svc}_server")

    @classmethod
    def args(cls, svc):
        subscribers = ",".join(f"{s}@127.0.0.1:{cls.grpc_port[s]}" for s in SUBSCRIBERS[svc])
        args = [cls.binary(svc), f"--db_url={url(f'fs_{svc}_app')}",
                f"--migration_db_url={url(f'fs_{svc}')}", "--listen_address=127.0.0.1",
                f"--grpc_port={cls.grpc_port[svc]}", f"--metrics_port={cls.metrics_port[svc]}",
                f"--event_subscribers={subscribers}",
                f"--event_producers={','.join(PRODUCERS[svc])}", "--insecure_dev_auth"]
        if svc == "case_records":
            args += [f"--name_match_secret_file={cls.secret}", "--cases_metrics_interval=1s"]
        elif svc == "workbook":
            args += ["--module_titles=Engagement|Parenting|Relationships"]
        elif svc == "supervision":
            args += ["--gcs_metrics_interval=1s"]
        elif svc == "outcomes":
            args += [f"--name_match_secret_file={cls.secret}", "--adoption_date=2025-11-01",
                     "--cost_care_week_gbp=1200", "--cost_police_call_out_gbp=2000",
                     "--cost_emergency_admission_gbp=2500", "--outcomes_metrics_interval=1s"]
        return args

    @classmethod
    def start(cls, svc):
        process, channel = launch(cls.args(svc), cls.grpc_port[svc], cls.log)
        cls.processes[svc] = process
        cls.channels[svc] = channel

    @classmethod
    def start_prometheus(cls):
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                       "evaluation_interval": "1s"},
            "rule_files": [ALERTS],
            "scrape_configs": [
                {"job_name": JOB[svc],
                 "static_configs": [{"targets": [f"127.0.0.1:{cls.metrics_port[svc]}"]}]}
                for svc in SERVICES],
        }
        path = os.path.join(cls.tmp, "prometheus.yml")
        with open(path, "w") as f:
            json.dump(config, f, indent=2)  # JSON is YAML
        data = os.path.join(cls.tmp, f"tsdb-{cls.prometheus_port}")
        process = subprocess.Popen(
            [PROMETHEUS, f"--config.file={path}", f"--storage.tsdb.path={data}",
             f"--web.listen-address=127.0.0.1:{cls.prometheus_port}", "--log.level=warn"],
            stdout=cls.log, stderr=subprocess.STDOUT)
        cls.processes["prometheus"] = process
        deadline = time.time() + WAIT
        while True:
            if process.poll() is not None:
                raise ServerExited(f"prometheus exited with {process.returncode}")
            try:
                with urllib.request.urlopen(
                        f"http://127.0.0.1:{cls.prometheus_port}/-/ready", timeout=5) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, socket.timeout, ConnectionError):
                pass
            if time.time() > deadline:
                raise TimeoutError("prometheus never became ready")
            time.sleep(0.2)

    @classmethod
    def create_family(cls, attempt):
        """A case of this run's team with a DA victim worker allocated and a child."""
        c = cls.cases.CreateCase(pb.CreateCaseRequest(case=pb.Case(
            council_reference=f"{RUN}-prom-{attempt}",
            referral_date=time.strftime("%Y-%m-%d"),
            referral_source="6", primary_need_code="N1", team=TEAM,
            lead_social_worker=f"{TEAM}-sw")), metadata=LEAD, timeout=30)
        cls.cases.AllocatePractitioner(pb.AllocatePractitionerRequest(
            parent=c.name, allocation=pb.Allocation(
                practitioner=f"{TEAM}-dav", role=pb.FAMILY_SAFEGUARDING_ROLE_DA_VICTIM_WORKER)),
            metadata=LEAD, timeout=30)
        cls.cases.CreatePerson(pb.CreatePersonRequest(parent=c.name, person=pb.Person(
            kind=pb.PERSON_KIND_CHILD, given_name="Ada", family_name=f"Prom-{RUN}",
            birth_date="2018-03-04")), metadata=LEAD, timeout=30)
        return c

    @classmethod
    def stop_all(cls):
        for channel in cls.channels.values():
            channel.close()
        cls.channels = {}
        for process in cls.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in cls.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        cls.processes = {}

    @classmethod
    def dump_log(cls):
        print_log_tail(cls.log, cls.log_path, "servers' and prometheus' output", 6000)

    @classmethod
    def tearDownClass(cls):
        cls.stop_all()
        cls.log.close()
        if os.environ.get("FS_KEEP_TEST_LOGS"):
            shutil.copy(cls.log_path, os.path.join(BUILD, "prometheus_test_servers.log"))
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # ---- Prometheus' HTTP API ----

    def api(self, path, **params):
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(
                f"http://127.0.0.1:{self.prometheus_port}/api/v1/{path}{query}", timeout=10) as r:
            body = json.load(r)
        self.assertEqual(body["status"], "success", body)
        return body["data"]

    def query(self, promql):
        """An instant vector as {frozenset of labels (without __name__): value}."""
        data = self.api("query", query=promql)
        self.assertEqual(data["resultType"], "vector", promql)
        return {frozenset((k, v) for k, v in s["metric"].items() if k != "__name__"):
                float(s["value"][1]) for s in data["result"]}

    def value(self, promql):
        """The value of a query expected to give at most one series (None when none)."""
        result = self.query(promql)
        self.assertLessEqual(len(result), 1, f"{promql}: {result}")
        return next(iter(result.values()), None)

    def per_job(self, promql):
        return {dict(labels).get("job"): v for labels, v in self.query(promql).items()}

    def instance(self, svc):
        return f"127.0.0.1:{self.metrics_port[svc]}"

    def targets(self):
        return {t["labels"]["job"]: t for t in self.api("targets")["activeTargets"]}

    def wait_all_up(self):
        """Waits until Prometheus scraped every service successfully."""
        self.assertIsNotNone(eventually(lambda: self.per_job("up") == {
            job: 1.0 for job in JOB.values()}, seconds=WAIT), self.per_job("up"))

    def active_alerts(self):
        return [(a["labels"]["alertname"], a["state"], a["labels"].get("job"))
                for a in self.api("alerts")["alerts"]]

    # ---- the checks ----

    def test_1_every_service_is_a_target_that_is_up(self):
        wanted = {JOB[svc]: f"127.0.0.1:{self.metrics_port[svc]}" for svc in SERVICES}

        def all_up():
            targets = self.targets()
            return set(targets) == set(wanted) and all(
                t["health"] == "up" for t in targets.values()) and targets
        targets = eventually(all_up, seconds=WAIT)
        self.assertIsNotNone(targets, f"targets not all up: {self.targets()}")
        for job, instance in wanted.items():
            self.assertEqual(targets[job]["labels"]["instance"], instance)
            self.assertEqual(targets[job]["scrapeUrl"], f"http://{instance}/metrics")
        self.assertEqual(self.per_job("up"), {job: 1.0 for job in wanted})

    def test_2_calls_are_counted_per_job_method_and_code(self):
        handled = 'sum by (job) (grpc_server_handled_total)'
        self.wait_all_up()
        time.sleep(2)  # a scrape after everything is up
        before = self.per_job(handled)

        # case_records: two reads and one of a case that does not exist (the caller's mistake).
        for _ in range(2):
            self.cases.GetCase(pb.GetCaseRequest(name=self.case.name), metadata=LEAD, timeout=30)
        with self.assertRaises(grpc.RpcError) as refused:
            self.cases.GetCase(pb.GetCaseRequest(name=f"cases/{uuid.uuid4()}"), metadata=LEAD,
                               timeout=30)
        self.assertIn(refused.exception.code().name, {"NOT_FOUND", "PERMISSION_DENIED"})
        caller_code = CODE_LABEL[refused.exception.code().name]
        # A probe, as the kubelet sends them (the alerts leave these out).
        health_pb2_grpc.HealthStub(self.channels["case_records"]).Check(
            health_pb2.HealthCheckRequest(service=""), timeout=30)
        # workbook: three module lists.
        for _ in range(3):
            self.workbook.ListModules(wb.ListModulesRequest(), metadata=LEAD, timeout=30)

        # supervision: the case's status once the relay brought the case (one OK call).
        def status():
            try:
                return self.supervision.GetCaseStatus(
                    sv.GetCaseStatusRequest(name=f"{self.case.name}/supervisionStatus"),
                    metadata=LEAD, timeout=30)
            except grpc.RpcError as e:
                if e.code() == grpc.StatusCode.NOT_FOUND:
                    return None
                raise
        self.assertIsNotNone(eventually(status, seconds=WAIT), "supervision never got the case")
        # outcomes: a police report of a child nobody knows (it waits at the front door).
        self.intake.ReportDomesticAbuseIncident(ob.ReportDomesticAbuseIncidentRequest(
            police_reference=f"PROM-{RUN}", incident_time=ts(time.time() - 3600),
            place="A street",
            children=[ob.IncidentChild(given_name="Nobody", family_name=f"Unknown-{RUN}",
                                       birth_date="2016-06-06", present=True)],
            adults=[ob.IncidentAdult(family_name=f"Unknown-{RUN}",
                                     role=ob.ADULT_ROLE_VICTIM)]),
            metadata=POLICE, timeout=30)

        expected = {
            ("case-records", "fs.cases.v1.CaseRecordsService", "GetCase", "OK"): 2,
            ("case-records", "fs.cases.v1.CaseRecordsService", "GetCase", caller_code): 1,
            ("case-records", "grpc.health.v1.Health", "Check", "OK"): 1,
            ("workbook", "fs.workbook.v1.WorkbookService", "ListModules", "OK"): 3,
            ("supervision", "fs.supervision.v1.SupervisionService", "GetCaseStatus", "OK"): 1,
            ("outcomes", "fs.outcomes.v1.PartnerIntakeService", "ReportDomesticAbuseIncident",
             "OK"): 1,
        }

        def counted():
            return {key: self.value(
                f'grpc_server_handled_total{{job="{key[0]}",grpc_service="{key[1]}",'
                f'grpc_method="{key[2]}",grpc_type="unary",grpc_code="{key[3]}"}}')
                for key in expected}
        self.assertIsNotNone(eventually(lambda: counted() == expected, seconds=WAIT),
                             f"calls not counted as made: {counted()}")
        after = eventually(lambda: (a := self.per_job(handled)) and all(
            a.get(job, 0) > before.get(job, 0) for job in JOB.values()) and a, seconds=WAIT)
        self.assertIsNotNone(after, f"handled before {before}, now {self.per_job(handled)}")
        # Each call was counted once as started and once in the latency histogram.
        self.assertEqual(self.value(
            'grpc_server_started_total{job="workbook",grpc_method="ListModules"}'), 3)
        self.assertEqual(self.value(
            'grpc_server_handling_seconds_count{job="workbook",grpc_method="ListModules",'
            'grpc_type="unary"}'), 3)
        # The alert rules match codes as the services spell them: no other spelling may appear.
        codes = {dict(labels)["grpc_code"]
                 for labels in self.query("grpc_server_handled_total")}
        self.assertLessEqual(codes, set(CODE_LABEL.values()))
        self.assertIn(caller_code, codes)
        # The error-ratio alert leaves out the probe by the name the services give it.
        ratio = alert_rules()["FsHighErrorRatio"]["expr"]
        infra = re.search(r'grpc_service!~"([^"]+)"', ratio).group(1)
        self.assertEqual({dict(k)["grpc_service"] for k in self.query(
            f'grpc_server_handled_total{{job="case-records",grpc_service=~"{infra}"}}')},
            {"grpc.health.v1.Health"})
        # Its server-side codes are spelt as emitted; none happened here.
        server_side = re.search(r'grpc_code=~"([^"]+)"', ratio).group(1)
        self.assertLessEqual(set(server_side.split("|")), set(CODE_LABEL.values()))
        self.assertIn("Internal", server_side.split("|"))
        self.assertEqual(self.query(f'grpc_server_handled_total{{grpc_code=~"{server_side}"}}'),
                         {})

    def test_3_rules_load_and_a_healthy_suite_raises_nothing(self):
        wanted = set(alert_rules())
        self.assertGreaterEqual(len(wanted), 10)

        def evaluated():
            rules = [r for g in self.api("rules")["groups"] for r in g["rules"]]
            # A rule never evaluated reports 0001-01-01T00:00:00Z.
            return rules and all(not r["lastEvaluation"].startswith("0001") for r in rules) \
                and rules
        rules = eventually(evaluated, seconds=WAIT)
        self.assertIsNotNone(rules, "the rules were never evaluated")
        self.assertEqual({r["name"] for r in rules if r["type"] == "alerting"}, wanted)
        for rule in rules:
            self.assertEqual(rule["health"], "ok", rule)
        # Absent targets read as absent for the first evaluations: quiet within a minute.
        quiet = eventually(lambda: not [a for a in self.active_alerts() if a[0] in QUIET]
                           and "quiet", seconds=WAIT)
        self.assertEqual(quiet, "quiet", self.active_alerts())
        self.assertEqual([a for a in self.active_alerts() if a[1] == "firing"], [])

    def test_4_every_metric_the_dashboard_and_rules_use_is_exposed(self):
        names = metric_names()
        self.assertIn("fs_db_pool_max_connections", names)

        def missing():
            present = set(self.api("label/__name__/values"))
            return sorted(set(names) - present)
        self.assertEqual(eventually(lambda: not missing() and "none", seconds=WAIT), "none",
                         f"not exposed: {missing()}")
        # Every service reports its pool, its size no smaller than what is in use.
        self.assertEqual(set(self.per_job("fs_db_pool_max_connections")), set(JOB.values()))
        for job, size in self.per_job("fs_db_pool_max_connections").items():
            self.assertGreaterEqual(size, 1, job)
        self.assertEqual(self.query(
            'fs_db_pool_connections{state="in_use"} > ignoring (state) '
            'fs_db_pool_max_connections'), {})
        # The figures of this run's team: its case open in case_records (a referral) and in
        # supervision.
        self.assertEqual(eventually(lambda: self.query(
            f'fs_open_cases{{job="case-records",team="{TEAM}"}} > 0') == {
                frozenset({("job", "case-records"), ("instance", self.instance("case_records")),
                           ("team", TEAM), ("state", "REFERRAL")}): self.families} and "counted",
            seconds=WAIT), "counted", self.query(f'fs_open_cases{{team="{TEAM}"}}'))
        self.assertEqual(eventually(lambda: self.value(
            f'fs_gcs_open_cases{{job="supervision",team="{TEAM}"}}') == self.families
            and "counted", seconds=WAIT), "counted",
            self.query(f'fs_gcs_open_cases{{team="{TEAM}"}}'))
        self.assertIsNotNone(eventually(lambda: (self.value(
            'fs_front_door_waiting_incidents{job="outcomes"}') or 0) >= 1, seconds=WAIT))
        # The relays of case_records failed while its subscribers were not up yet, then caught
        # up: no undelivered event left for any of them.
        failed = self.per_job('sum by (job) (fs_event_delivery_failures_total{'
                              'job="case-records",reason="unavailable"})')
        self.assertGreater(failed.get("case-records", 0), 0)
        caught_up = {"outcomes": 0.0, "supervision": 0.0, "workbook": 0.0}
        got = eventually(lambda: {dict(k)["subscriber"]: v for k, v in self.query(
            'fs_outbox_oldest_event_age_seconds{job="case-records"}').items()} == caught_up
            and "caught up", seconds=WAIT)
        self.assertEqual(got, "caught up",
                         self.query('fs_outbox_oldest_event_age_seconds{job="case-records"}'))
        # Business gauges are fresh (the FsBusinessGaugesStale expressions give nothing).
        for gauge in ("fs_gcs_status_refresh_timestamp_seconds",
                      "fs_front_door_refresh_timestamp_seconds",
                      "fs_open_cases_refresh_timestamp_seconds"):
            self.assertEqual(len(self.query(gauge)), 1, gauge)
            self.assertEqual(self.query(f"time() - {gauge} > 60"), {}, gauge)

    def test_5_every_dashboard_panel_shows_data_for_case_records(self):
        # The dashboard's expressions as Grafana sends them for job case-records: each runs, and
        # every panel has a series (case-records relays to three subscribers, failed at first,
        # and answers calls of both kinds, so even the failure and caller-error panels have one).
        with open(DASHBOARD) as f:
            dashboard = json.load(f)
        panels = [p for p in dashboard["panels"] if p["type"] != "row"]
        self.assertGreaterEqual(len(panels), 10)
        # A call that the caller got wrong, for the error-ratio panel's caller-error line.
        with self.assertRaises(grpc.RpcError):
            self.cases.GetCase(pb.GetCaseRequest(name=f"cases/{uuid.uuid4()}"), metadata=LEAD,
                               timeout=30)

        def empty_panels():
            empty = []
            for panel in panels:
                shown = False
                for target in panel["targets"]:
                    expr = target["expr"].replace("$__rate_interval", "1m").replace(
                        "$job", "case-records")
                    shown = shown or bool(self.query(expr))
                if not shown:
                    empty.append(panel["title"])
            return empty
        self.assertEqual(eventually(lambda: not empty_panels() and "all", seconds=WAIT), "all",
                         f"panels without data: {empty_panels()}")

    def test_9_a_stopped_service_reads_down(self):
        self.wait_all_up()
        process = self.processes["workbook"]
        process.send_signal(signal.SIGTERM)
        self.assertEqual(process.wait(timeout=30), 0)
        self.assertIsNotNone(eventually(lambda: self.value('up{job="workbook"}') == 0,
                                        seconds=WAIT), self.per_job("up"))
        self.assertEqual(self.targets()["workbook"]["health"], "down")
        others = {job: 1.0 for job in JOB.values() if job != "workbook"}
        self.assertEqual({j: v for j, v in self.per_job("up").items() if j != "workbook"},
                         others)
        # The rule sees it: FsServiceDown is pending (it fires after 2 minutes) for workbook only.
        self.assertIsNotNone(eventually(
            lambda: ("FsServiceDown", "pending", "workbook") in self.active_alerts(),
            seconds=WAIT), self.active_alerts())
        self.assertEqual([a for a in self.active_alerts() if a[0] == "FsServiceDown"],
                         [("FsServiceDown", "pending", "workbook")])


if __name__ == "__main__":
    unittest.main()
