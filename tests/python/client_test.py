"""End-to-end: the real case_records binary, a real PostgreSQL, Debian's Python grpcio.

Run by scripts/test.sh (which exports FS_PG_* for the test cluster and FS_TEST_DB_URL). Starts
the server as a process, calls it over gRPC, reads its metrics over HTTP, restarts the database
under it, and stops it with SIGTERM.
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
from fs_support import free_port  # noqa: E402
from fs.cases.v1 import case_records_pb2 as pb  # noqa: E402
from fs.cases.v1 import case_records_pb2_grpc as rpc  # noqa: E402
from fsgrpc.health.v1 import health_pb2, health_pb2_grpc  # noqa: E402

SERVING = health_pb2.HealthCheckResponse.SERVING
LEAD = [("x-fs-principal", "spiffe://fs.local/practitioner/py-lead"),
        ("x-fs-role", "social_worker"), ("x-fs-team", "py-team")]
NHS = [("x-fs-principal", "spiffe://fs.local/partner/nhs/RQM")]


def pg(command):
    subprocess.run([os.path.join(REPO, "scripts", "pg.sh"), command], check=True,
                   stdout=subprocess.DEVNULL)


def db_url():
    # The service's runtime role on the test cluster's fs database, as in production.
    return os.environ["FS_TEST_DB_URL"].replace("postgres@", "fs_case_records_app@", 1)


def owner_url():
    # The schema owner, used only for migrations.
    return os.environ["FS_TEST_DB_URL"].replace("postgres@", "fs_case_records@", 1)


class CaseRecordsBinaryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.grpc_port, cls.metrics_port = free_port(), free_port()
        binary = os.path.join(BUILD, "services", "case_records", "case_records_server")
        cls.log = open(os.path.join(BUILD, "client_test_server.log"), "w")
        cls.server = subprocess.Popen(
            [binary, f"--db_url={db_url()}", f"--migration_db_url={owner_url()}",
             f"--grpc_port={cls.grpc_port}",
             f"--metrics_port={cls.metrics_port}", "--insecure_dev_auth",
             "--health_check_interval=200ms", "--office_hours_phone=01234 567890",
             "--out_of_hours_phone=01234 000999"],
            stdout=cls.log, stderr=subprocess.STDOUT)
        cls.channel = grpc.insecure_channel(f"127.0.0.1:{cls.grpc_port}")
        grpc.channel_ready_future(cls.channel).result(timeout=30)
        cls.cases = rpc.CaseRecordsServiceStub(cls.channel)
        cls.nhs = rpc.ChildProtectionInformationServiceStub(cls.channel)
        cls.health = health_pb2_grpc.HealthStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        if cls.server.poll() is None:
            cls.server.kill()
        cls.log.close()

    def status(self, service=""):
        return self.health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status

    def wait_for_status(self, wanted, seconds=15):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if self.status() == wanted:
                return True
            time.sleep(0.1)
        return False

    def create_case(self, request_id=""):
        return self.cases.CreateCase(pb.CreateCaseRequest(
            case=pb.Case(referral_date="2026-10-05", referral_source="6", team="py-team",
                         lead_social_worker="py-lead", council_reference="PY-1"),
            request_id=request_id), metadata=LEAD, timeout=10)

    def test_1_health_is_serving(self):
        self.assertEqual(self.status(), SERVING)
        self.assertEqual(self.status("fs.cases.v1.CaseRecordsService"), SERVING)
        self.assertEqual(self.status("fs.cases.v1.ChildProtectionInformationService"), SERVING)

    def test_2_create_and_get_round_trip(self):
        created = self.create_case(request_id="py-create-1")
        self.assertTrue(created.name.startswith("cases/"))
        self.assertEqual(created.state, pb.CASE_STATE_REFERRAL)
        again = self.create_case(request_id="py-create-1")
        self.assertEqual(again.name, created.name)
        fetched = self.cases.GetCase(pb.GetCaseRequest(name=created.name), metadata=LEAD,
                                     timeout=10)
        self.assertEqual(fetched.council_reference, "PY-1")
        self.assertEqual(fetched.lead_social_worker, "py-lead")
        with self.assertRaises(grpc.RpcError) as denied:
            self.cases.GetCase(pb.GetCaseRequest(name=created.name), timeout=10)
        self.assertEqual(denied.exception.code(), grpc.StatusCode.UNAUTHENTICATED)

    def test_3_nhs_lookup(self):
        c = self.create_case()
        child = self.cases.CreatePerson(pb.CreatePersonRequest(
            parent=c.name, person=pb.Person(kind=pb.PERSON_KIND_CHILD, given_name="Amelia",
                                            family_name="Jones", nhs_number="999 000 0018",
                                            birth_date="2020-05-17")),
            metadata=LEAD, timeout=10).person
        self.cases.StartChildProtectionPlan(pb.StartChildProtectionPlanRequest(
            parent=child.name, plan=pb.ChildProtectionPlan(start_date="2026-10-10",
                                                           initial_category_of_abuse="EMO")),
            metadata=LEAD, timeout=10)
        answer = self.nhs.LookupChildProtectionStatus(
            pb.LookupChildProtectionStatusRequest(nhs_number="9990000018"), metadata=NHS,
            timeout=10)
        self.assertTrue(answer.information_held)
        self.assertTrue(answer.has_child_protection_plan)
        self.assertEqual(answer.plan_start_date, "2026-10-10")
        self.assertEqual(answer.office_hours_phone, "01234 567890")
        self.assertEqual(answer.out_of_hours_phone, "01234 000999")
        self.assertEqual([a.organisation for a in answer.recent_accesses], ["RQM"])
        alerts = self.cases.ListAlerts(pb.ListAlertsRequest(), metadata=LEAD, timeout=10).alerts
        self.assertTrue(any("RQM" in a.message and a.person == child.name for a in alerts))
        with self.assertRaises(grpc.RpcError) as bad:
            self.nhs.LookupChildProtectionStatus(
                pb.LookupChildProtectionStatusRequest(nhs_number="9990000019"), metadata=NHS,
                timeout=10)
        self.assertEqual(bad.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        with self.assertRaises(grpc.RpcError) as scoped:
            self.cases.GetCase(pb.GetCaseRequest(name=c.name), metadata=NHS, timeout=10)
        self.assertEqual(scoped.exception.code(), grpc.StatusCode.PERMISSION_DENIED)

    def test_4_metrics_count_rpcs_by_code(self):
        text = urllib.request.urlopen(
            f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).read().decode()
        self.assertIn('grpc_server_handled_total{grpc_code="OK",grpc_method="CreateCase",'
                      'grpc_service="fs.cases.v1.CaseRecordsService",grpc_type="unary"}', text)
        self.assertIn('grpc_code="Unauthenticated",grpc_method="GetCase"', text)
        self.assertIn("grpc_server_handling_seconds_bucket", text)
        self.assertIn('fs_db_pool_connections{state="idle"}', text)

    def test_5_health_and_pool_recover_after_database_restart(self):
        pg("stop")
        try:
            self.assertTrue(self.wait_for_status(health_pb2.HealthCheckResponse.NOT_SERVING),
                            "health did not report NOT_SERVING with the database down")
            with self.assertRaises(grpc.RpcError) as down:
                self.create_case()
            self.assertEqual(down.exception.code(), grpc.StatusCode.UNAVAILABLE)
        finally:
            pg("start")
        self.assertTrue(self.wait_for_status(SERVING),
                        "health did not return to SERVING after the database came back")
        created = self.create_case()
        self.assertTrue(created.name.startswith("cases/"))

    def test_6_sigterm_stops_cleanly(self):
        self.server.send_signal(signal.SIGTERM)
        self.assertEqual(self.server.wait(timeout=15), 0)


class ConfigurationTest(unittest.TestCase):
    binary = os.path.join(BUILD, "services", "case_records", "case_records_server")

    def test_environment_fallbacks_configure_the_server(self):
        port = free_port()
        env = dict(os.environ, FS_DB_URL=db_url(), FS_MIGRATION_DB_URL=owner_url(),
                   FS_GRPC_PORT=str(port), FS_METRICS_PORT="0",
                   FS_INSECURE_DEV_AUTH="true", FS_POOL_SIZE="2")
        server = subprocess.Popen([self.binary], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
                grpc.channel_ready_future(channel).result(timeout=30)
                health = health_pb2_grpc.HealthStub(channel)
                self.assertEqual(health.Check(health_pb2.HealthCheckRequest(), timeout=5).status,
                                 SERVING)
        finally:
            server.terminate()
            self.assertEqual(server.wait(timeout=15), 0)

    def test_flags_win_over_the_environment(self):
        env = dict(os.environ, FS_DB_URL="postgresql://nobody@127.0.0.1:1/none")
        done = subprocess.run([self.binary, f"--db_url={owner_url()}", "--migrate_only"], env=env,
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("migrations applied", done.stderr)

    def test_refuses_to_start_without_identity_configuration(self):
        done = subprocess.run([self.binary, f"--db_url={db_url()}", "--metrics_port=0"],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 2)
        self.assertIn("--insecure_dev_auth", done.stderr)

    def test_refuses_to_start_without_a_database_url(self):
        env = {k: v for k, v in os.environ.items() if k != "FS_DB_URL"}
        done = subprocess.run([self.binary, "--insecure_dev_auth"], env=env,
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 2)
        self.assertIn("--db_url", done.stderr)


if __name__ == "__main__":
    unittest.main()
