"""End-to-end: the real case_records and outcomes binaries as `make run` wires them (events both
ways, one name match secret held by both), a real PostgreSQL, Debian's Python grpcio.

A police force reports a domestic-abuse incident naming a child of an open case by name and
birth date only: outcomes matches it through case_records' name match keys and case_records
alerts the lead worker. An unknown child waits at the front door and shows in the metrics. NHS
admissions, the figures and the HTML report are read over gRPC; a bad flag and SIGTERM behave.
Run by tests/python/client_test.sh under scripts/test.sh (FS_TEST_DB_URL).
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, os.environ.get("FS_BUILD_DIR", "build"))
sys.path.insert(0, os.path.join(BUILD, "py"))

import grpc  # noqa: E402
from fs_support import eventually, free_ports, launch  # noqa: E402
from fs_support import migrate, print_log_tail  # noqa: E402
from fs_support import role_url as url  # noqa: E402
from fs.cases.v1 import case_records_pb2 as pb  # noqa: E402
from fs.cases.v1 import case_records_pb2_grpc as rpc  # noqa: E402
from fs.outcomes.v1 import outcomes_pb2 as ob  # noqa: E402
from fs.outcomes.v1 import outcomes_pb2_grpc as orpc  # noqa: E402
from google.protobuf import timestamp_pb2  # noqa: E402

CASES_BIN = os.path.join(BUILD, "services", "case_records", "case_records_server")
OUTCOMES_BIN = os.path.join(BUILD, "services", "outcomes", "outcomes_server")
RUN = uuid.uuid4().hex[:8]
TEAM = f"oc-py-{RUN}"
POLICE = [("x-fs-principal", "spiffe://fs.local/partner/police/PYTEST")]
NHS = [("x-fs-principal", "spiffe://fs.local/partner/nhs/PYNHS")]


def who(practitioner, team=TEAM, role="social_worker"):
    return [("x-fs-principal", f"spiffe://fs.local/practitioner/{practitioner}"),
            ("x-fs-role", role), ("x-fs-team", team)]


FRONT_DOOR = who(f"{TEAM}-fd", team="front-door")


def depth(text, subscriber):
    """case_records' fs_outbox_depth for a subscriber (None before the relay reported it)."""
    for line in text.splitlines():
        if line.startswith("fs_outbox_depth{") and f'subscriber="{subscriber}"' in line:
            return float(line.split()[-1])
    return None


def nhs_number(serial):
    """A valid NHS number in the 999 test range, unique to this run."""
    while True:
        digits = [9, 9, 9] + [int(d) for d in f"{serial:06d}"]
        check = 11 - sum((10 - i) * d for i, d in enumerate(digits)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return "".join(map(str, digits)) + str(check)
        serial += 1


def ts(seconds):
    t = timestamp_pb2.Timestamp()
    t.FromSeconds(int(seconds))
    return t


def metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return r.read().decode()


def gauge(text, name):
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{}"):
            return float(line.split()[-1])
    return None


class OutcomesBinaryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="outcomes_test_")
        cls.log_path = os.path.join(cls.tmp, "servers.log")
        cls.log = open(cls.log_path, "w")
        cls.secret = os.path.join(cls.tmp, "name-match-secret")
        with open(cls.secret, "w") as f:
            f.write(uuid.uuid4().hex + uuid.uuid4().hex)
        cls.processes = []
        try:
            for svc, binary in (("case_records", CASES_BIN), ("outcomes", OUTCOMES_BIN)):
                migrate(binary, svc, cls.log)
            cls.cases_port, cls.cases_metrics, cls.oc_port, cls.oc_metrics = free_ports(4)
            cls.cases_server, cls.cases_channel = cls.launch(
                [CASES_BIN, f"--db_url={url('fs_case_records_app')}",
                 f"--migration_db_url={url('fs_case_records')}", "--listen_address=127.0.0.1",
                 f"--grpc_port={cls.cases_port}", f"--metrics_port={cls.cases_metrics}",
                 f"--event_subscribers=outcomes@127.0.0.1:{cls.oc_port}",
                 "--event_producers=outcomes", f"--name_match_secret_file={cls.secret}",
                 "--insecure_dev_auth"], cls.cases_port)
            cls.oc_server, cls.oc_channel = cls.launch(cls.outcomes_args(), cls.oc_port)
            cls.cases = rpc.CaseRecordsServiceStub(cls.cases_channel)
            cls.intake = orpc.PartnerIntakeServiceStub(cls.oc_channel)
            cls.outcomes = orpc.OutcomesServiceStub(cls.oc_channel)
        except BaseException:
            print_log_tail(cls.log, cls.log_path)
            cls.tearDownClass()
            raise

    @classmethod
    def outcomes_args(cls, *extra, ports=None):
        grpc_port, metrics_port = ports or (cls.oc_port, cls.oc_metrics)
        return [OUTCOMES_BIN, f"--db_url={url('fs_outcomes_app')}",
                f"--migration_db_url={url('fs_outcomes')}", "--listen_address=127.0.0.1",
                f"--grpc_port={grpc_port}", f"--metrics_port={metrics_port}",
                f"--event_subscribers=case_records@127.0.0.1:{cls.cases_port}",
                "--event_producers=case_records,workbook,supervision",
                f"--name_match_secret_file={cls.secret}", "--adoption_date=2026-06-01",
                "--outcomes_metrics_interval=1s", "--insecure_dev_auth", *extra]

    @classmethod
    def launch(cls, args, port):
        process, channel = launch(args, port, cls.log)
        cls.processes.append(process)
        return process, channel

    @classmethod
    def tearDownClass(cls):
        for process in cls.processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        for name in ("cases_channel", "oc_channel"):
            channel = getattr(cls, name, None)
            if channel is not None:
                channel.close()
        cls.log.close()
        if os.environ.get("FS_KEEP_TEST_LOGS"):
            shutil.copy(cls.log_path, os.path.join(BUILD, "outcomes_test_servers.log"))
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def family(self, label, serial):
        """An open case of a team of its own (TEAM-label) with a child and an adult (both with
        NHS numbers)."""
        c = self.cases.CreateCase(pb.CreateCaseRequest(case=pb.Case(
            council_reference=f"{RUN}-{label}", referral_date="2026-07-01", referral_source="6",
            primary_need_code="N1", team=f"{TEAM}-{label}", lead_social_worker=f"{TEAM}-sw")),
            metadata=who(f"{TEAM}-sw", f"{TEAM}-{label}"))
        child = self.cases.CreatePerson(pb.CreatePersonRequest(parent=c.name, person=pb.Person(
            kind=pb.PERSON_KIND_CHILD, given_name="Zoë", family_name=f"Py-{label}-{RUN}",
            birth_date="2017-04-09", nhs_number=nhs_number(serial))),
            metadata=who(f"{TEAM}-sw", f"{TEAM}-{label}")).person
        adult = self.cases.CreatePerson(pb.CreatePersonRequest(parent=c.name, person=pb.Person(
            kind=pb.PERSON_KIND_ADULT, given_name="Pat", family_name=f"Py-{label}-{RUN}",
            birth_date="1988-01-02", nhs_number=nhs_number(serial + 20),
            assessment_factors=["3B", "1B"])),
            metadata=who(f"{TEAM}-sw", f"{TEAM}-{label}")).person
        return c, child, adult

    def incident(self, reference, given, family, born, nhs=""):
        return ob.ReportDomesticAbuseIncidentRequest(
            police_reference=reference, incident_time=ts(time.time() - 7200), place="A street",
            children=[ob.IncidentChild(given_name=given, family_name=family, birth_date=born,
                                       nhs_number=nhs, present=True, child_said="nothing")],
            adults=[ob.IncidentAdult(family_name=family, role=ob.ADULT_ROLE_VICTIM)])

    def police_alerts(self):
        alerts = self.cases.ListAlerts(pb.ListAlertsRequest(),
                                       metadata=who(f"{TEAM}-sw", f"{TEAM}-match")).alerts
        return [a for a in alerts if "domestic abuse incident" in a.message]

    def test_a_match_by_name_alerts_the_lead_through_both_relays(self):
        c, child, _ = self.family("match", 300000 + int(RUN[:4], 16) % 1000)
        # Outcomes learns of the child from case_records' events (the relay), then a report that
        # names her only by name (spelt otherwise, names swapped) and birth date matches.
        report = self.incident(f"PY-{RUN}-1", f"Py-match-{RUN}", "Zoe", "2017-04-09")
        self.assertIsNotNone(eventually(lambda: self.outcomes_knows(f"{TEAM}-match")),
                             "no events arrived")
        ack = self.intake.ReportDomesticAbuseIncident(report, metadata=POLICE)
        self.assertTrue(ack.name.startswith("incidents/"))
        alerts = eventually(self.police_alerts)
        self.assertIsNotNone(alerts, "the lead was not alerted")
        self.assertEqual(alerts[0].case, c.name)
        self.assertEqual(alerts[0].person, child.name)
        self.assertIn(f"PY-{RUN}-1", alerts[0].message)
        # A resend changes nothing.
        again = self.intake.ReportDomesticAbuseIncident(report, metadata=POLICE)
        self.assertEqual(again.name, ack.name)
        time.sleep(1)
        self.assertEqual(len(self.police_alerts()), 1)

    def outcomes_knows(self, team):
        """True once outcomes counts the team's case open and, after that, case_records' relay
        has nothing left for outcomes (the case's people included)."""
        try:
            figures = self.outcomes.GetIndicators(ob.GetIndicatorsRequest(
                team=team, indicators=[ob.INDICATOR_OPEN_CASES]),
                metadata=who(f"{team}-tm", team, "team_manager"))
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.NOT_FOUND:  # no case of the team arrived yet
                return False
            raise
        if figures.series[0].months[-1].value < 1:
            return False
        return eventually(lambda: depth(metrics(self.cases_metrics), "outcomes") == 0)

    def test_b_unknown_child_waits_at_the_front_door_and_in_the_metrics(self):
        before = eventually(lambda: gauge(metrics(self.oc_metrics),
                                          "fs_front_door_waiting_incidents") is not None)
        self.assertTrue(before)
        waiting = gauge(metrics(self.oc_metrics), "fs_front_door_waiting_incidents")
        self.intake.ReportDomesticAbuseIncident(
            self.incident(f"PY-{RUN}-2", "Nobody", f"Known-{RUN}", "2015-05-05"), metadata=POLICE)
        self.assertTrue(eventually(lambda: gauge(
            metrics(self.oc_metrics), "fs_front_door_waiting_incidents") == waiting + 1))
        items = self.outcomes.ListFrontDoorItems(ob.ListFrontDoorItemsRequest(page_size=500),
                                                 metadata=FRONT_DOOR).items
        self.assertIn(f"PY-{RUN}-2", [i.police_reference for i in items])
        # The force reads its own acknowledgement back; the NHS cannot.
        got = self.intake.GetIntakeAcknowledgement(
            ob.GetIntakeAcknowledgementRequest(reference=f"PY-{RUN}-2"), metadata=POLICE)
        self.assertEqual(got.organisation, "PYTEST")
        with self.assertRaises(grpc.RpcError) as refused:
            self.intake.GetIntakeAcknowledgement(
                ob.GetIntakeAcknowledgementRequest(reference=f"PY-{RUN}-2"), metadata=NHS)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.NOT_FOUND)
        text = metrics(self.oc_metrics)
        self.assertIn('grpc_server_handled_total{', text)
        self.assertIn("ReportDomesticAbuseIncident", text)

    def test_c_admissions_figures_and_report(self):
        c, _, adult = self.family("nhs", 310000 + int(RUN[:4], 16) % 1000)
        team = f"{TEAM}-nhs"
        manager = who(f"{team}-tm", team, "team_manager")
        self.assertIsNotNone(eventually(lambda: self.outcomes_knows(team)))
        today = time.strftime("%Y-%m-%d")
        self.intake.ReportEmergencyAdmission(ob.ReportEmergencyAdmissionRequest(
            episode_reference=f"PY-{RUN}-EP", nhs_number=adult.nhs_number, date=today,
            kind=ob.ADMISSION_KIND_EMERGENCY_ADMISSION, reason=ob.REASON_CATEGORY_ALCOHOL),
            metadata=NHS)
        figures = self.outcomes.GetIndicators(ob.GetIndicatorsRequest(
            team=team, indicators=[ob.INDICATOR_ADULT_EMERGENCY_ADMISSIONS]), metadata=manager)
        self.assertEqual(figures.series[0].months[-1].value, 1)
        self.assertFalse(figures.series[0].months[-1].complete)
        with self.assertRaises(grpc.RpcError) as refused:
            self.outcomes.GetIndicators(ob.GetIndicatorsRequest(team=team),
                                        metadata=who(f"{TEAM}-sw", team))
        self.assertEqual(refused.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        report = self.outcomes.ExportOutcomes(ob.ExportOutcomesRequest(
            format=ob.EXPORT_FORMAT_HTML, indicators=ob.GetIndicatorsRequest(team=team)),
            metadata=manager)
        self.assertEqual(report.content_type, "text/html")
        html = report.content.decode()
        self.assertIn("<svg", html)
        self.assertIn("2026-06-01", html)  # the configured adoption date
        self.assertNotIn("<script", html)

    def test_d_bad_flag_and_sigterm(self):
        bad = subprocess.run(self.outcomes_args("--adoption_date=June", ports=free_ports(2)),
                             stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(bad.returncode, 2)
        self.assertIn(b"adoption_date", bad.stdout)
        self.oc_server.send_signal(signal.SIGTERM)
        self.assertEqual(self.oc_server.wait(timeout=30), 0)


if __name__ == "__main__":
    unittest.main()
