"""End-to-end: the real case_records and workbook binaries as `make run` wires them, a real
PostgreSQL, Debian's Python grpcio.

case_records relays its events to the workbook's EventSink over gRPC (--event_subscribers /
--event_producers); the test drives case_records' API and watches the workbook learn of cases,
allocations and closures, across a SIGKILL of the workbook. Run by tests/python/client_test.sh
under scripts/test.sh (FS_TEST_DB_URL).
"""
import os
import signal
import subprocess
import sys
import time
import unittest
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, os.environ.get("FS_BUILD_DIR", "build"))
sys.path.insert(0, os.path.join(BUILD, "py"))

import grpc  # noqa: E402
from fs_support import eventually, free_port, role_url as url  # noqa: E402
from fs.cases.v1 import case_records_pb2 as pb  # noqa: E402
from fs.cases.v1 import case_records_pb2_grpc as rpc  # noqa: E402
from fs.workbook.v1 import workbook_pb2 as wb  # noqa: E402
from fs.workbook.v1 import workbook_pb2_grpc as wrpc  # noqa: E402
from fsgrpc.health.v1 import health_pb2, health_pb2_grpc  # noqa: E402
from google.protobuf import timestamp_pb2  # noqa: E402

TEAM = "wb-py-team"


def who(practitioner, role="social_worker"):
    return [("x-fs-principal", f"spiffe://fs.local/practitioner/{practitioner}"),
            ("x-fs-role", role), ("x-fs-team", TEAM)]


LEAD = who("wb-py-lead")
SUPPORT = who("wb-py-fsw", "family_support_worker")


def an_hour_ago():
    ts = timestamp_pb2.Timestamp()
    ts.FromSeconds(int(time.time()) - 3600)
    return ts


class WorkbookBinaryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cases_port, cls.cases_metrics = free_port(), free_port()
        cls.book_port, cls.book_metrics = free_port(), free_port()
        cls.log = open(os.path.join(BUILD, "workbook_test_servers.log"), "w")
        cls.book = cls.start_workbook()
        cls.cases_server = subprocess.Popen(
            [os.path.join(BUILD, "services", "case_records", "case_records_server"),
             f"--db_url={url('fs_case_records_app')}",
             f"--migration_db_url={url('fs_case_records')}",
             f"--grpc_port={cls.cases_port}", f"--metrics_port={cls.cases_metrics}",
             f"--event_subscribers=workbook@127.0.0.1:{cls.book_port}", "--insecure_dev_auth"],
            stdout=cls.log, stderr=subprocess.STDOUT)
        cls.cases_channel = grpc.insecure_channel(f"127.0.0.1:{cls.cases_port}")
        grpc.channel_ready_future(cls.cases_channel).result(timeout=30)
        cls.cases = rpc.CaseRecordsServiceStub(cls.cases_channel)

    @classmethod
    def start_workbook(cls, extra=()):
        process = subprocess.Popen(
            [os.path.join(BUILD, "services", "workbook", "workbook_server"),
             f"--db_url={url('fs_workbook_app')}", f"--migration_db_url={url('fs_workbook')}",
             f"--grpc_port={cls.book_port}", f"--metrics_port={cls.book_metrics}",
             "--event_producers=case_records", "--insecure_dev_auth",
             "--module_titles=Engagement|Parenting|Relationships", *extra],
            stdout=cls.log, stderr=subprocess.STDOUT)
        cls.book_channel = grpc.insecure_channel(f"127.0.0.1:{cls.book_port}")
        grpc.channel_ready_future(cls.book_channel).result(timeout=30)
        cls.workbook = wrpc.WorkbookServiceStub(cls.book_channel)
        cls.health = health_pb2_grpc.HealthStub(cls.book_channel)
        return process

    @classmethod
    def tearDownClass(cls):
        for process in (cls.book, cls.cases_server):
            if process.poll() is None:
                process.kill()
                process.wait()
        cls.log.close()

    def new_family(self):
        c = self.cases.CreateCase(pb.CreateCaseRequest(case=pb.Case(
            referral_date="2026-10-05", referral_source="6", team=TEAM,
            lead_social_worker="wb-py-lead")), metadata=LEAD, timeout=10)
        child = self.cases.CreatePerson(pb.CreatePersonRequest(parent=c.name, person=pb.Person(
            kind=pb.PERSON_KIND_CHILD, given_name="Ada", family_name="Py",
            birth_date="2019-02-03")), metadata=LEAD, timeout=10).person
        return c, child

    def try_create(self, who_, case_name, subjects=()):
        """The entry, or the status code the workbook answered."""
        try:
            return self.workbook.CreateEntry(wb.CreateEntryRequest(parent=case_name, entry=wb.Entry(
                kind=wb.ENTRY_KIND_CASE_NOTE, title="Note", text="Recorded from Python",
                occur_time=an_hour_ago(), subjects=list(subjects))), metadata=who_, timeout=10)
        except grpc.RpcError as e:
            return e.code()

    def test_1_health_and_modules(self):
        for service in ("", "fs.workbook.v1.WorkbookService", "fs.events.v1.EventSink"):
            status = self.health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            self.assertEqual(status.status, health_pb2.HealthCheckResponse.SERVING, service)
        modules = self.workbook.ListModules(wb.ListModulesRequest(), metadata=LEAD,
                                            timeout=10).modules
        self.assertEqual([(m.number, m.title) for m in modules],
                         [(1, "Engagement"), (2, "Parenting"), (3, "Relationships")])

    def test_2_cases_and_allocations_arrive_by_events(self):
        c, child = self.new_family()
        # The relay delivers CaseOpened, the lead's allocation and the child: the lead records.
        entry = eventually(lambda: not isinstance(
            r := self.try_create(LEAD, c.name, [child.name]), grpc.StatusCode) and r)
        self.assertIsNotNone(entry, "the workbook never learnt of the case")
        self.assertEqual(list(entry.subjects), [child.name])
        # The support worker is refused until allocated in case_records.
        self.assertEqual(self.try_create(SUPPORT, c.name), grpc.StatusCode.PERMISSION_DENIED)
        self.cases.AllocatePractitioner(pb.AllocatePractitionerRequest(
            parent=c.name, allocation=pb.Allocation(
                practitioner="wb-py-fsw", role=pb.FAMILY_SAFEGUARDING_ROLE_FAMILY_SUPPORT_WORKER)),
            metadata=LEAD, timeout=10)
        self.assertIsNotNone(eventually(
            lambda: not isinstance(self.try_create(SUPPORT, c.name), grpc.StatusCode)))

    def test_3_closure_arrives_and_entries_are_refused(self):
        c, _ = self.new_family()
        self.assertIsNotNone(eventually(
            lambda: not isinstance(self.try_create(LEAD, c.name), grpc.StatusCode)))
        current = self.cases.GetCase(pb.GetCaseRequest(name=c.name), metadata=LEAD, timeout=10)
        self.cases.CloseCase(pb.CloseCaseRequest(name=c.name, etag=current.etag,
                                                 closure_date="2026-11-01",
                                                 reason_for_closure="RC1"),
                             metadata=LEAD, timeout=10)
        self.assertIsNotNone(eventually(
            lambda: self.try_create(LEAD, c.name) == grpc.StatusCode.FAILED_PRECONDITION))

    def test_4_events_wait_for_a_killed_workbook_and_arrive_after_restart(self):
        cls = type(self)
        cls.book.send_signal(signal.SIGKILL)
        cls.book.wait()
        c, _ = self.new_family()  # published while the workbook is down
        time.sleep(1)
        cls.book = cls.start_workbook()
        entry = eventually(lambda: not isinstance(
            r := self.try_create(LEAD, c.name), grpc.StatusCode) and r, seconds=30)
        self.assertIsNotNone(entry, "events published while the workbook was down never arrived")
        # case_records' relay reports an empty backlog for the workbook once caught up.
        def depth():
            with urllib.request.urlopen(f"http://127.0.0.1:{cls.cases_metrics}/metrics") as r:
                for line in r.read().decode().splitlines():
                    if line.startswith('fs_outbox_depth{subscriber="workbook"}'):
                        return float(line.split()[-1])
            return None
        self.assertEqual(eventually(lambda: depth() == 0.0 and "empty", seconds=30), "empty")

    def test_5_metrics_count_workbook_calls(self):
        self.workbook.ListModules(wb.ListModulesRequest(), metadata=LEAD, timeout=10)
        with urllib.request.urlopen(f"http://127.0.0.1:{self.book_metrics}/metrics") as r:
            text = r.read().decode()
        self.assertIn('grpc_method="ListModules"', text)
        self.assertIn('grpc_service="fs.workbook.v1.WorkbookService"', text)

    def test_6_bad_module_titles_stop_the_binary_with_a_message(self):
        result = subprocess.run(
            [os.path.join(BUILD, "services", "workbook", "workbook_server"),
             f"--db_url={url('fs_workbook_app')}", f"--migration_db_url={url('fs_workbook')}",
             f"--grpc_port={free_port()}", "--metrics_port=0", "--insecure_dev_auth",
             "--module_titles=Engagement||Parenting"],
            capture_output=True, text=True, timeout=60)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("module_titles", result.stderr)

    def test_7_sigterm_stops_the_workbook_cleanly(self):
        cls = type(self)
        cls.book.send_signal(signal.SIGTERM)
        self.assertEqual(cls.book.wait(timeout=20), 0)


if __name__ == "__main__":
    unittest.main()
