"""Events between services, with real processes: the relay (event_producer) and an inbox-backed
subscriber (event_recorder) on a real PostgreSQL. Processes are killed with SIGKILL mid-burst
and restarted; every event must be applied exactly once, in order per case.

Run by scripts/test.sh (FS_TEST_DB_URL is the test cluster's superuser URL).
"""
import os
import re
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

from fs.events.v1 import events_pb2 as ev  # noqa: E402
from fs_support import free_port  # noqa: E402

ADMIN = os.environ.get("FS_TEST_DB_URL", "")
PRODUCER, RECORDER = "event_producer", "event_recorder"


def sql(statement):
    done = subprocess.run(["psql", ADMIN, "-v", "ON_ERROR_STOP=1", "-Atqc", statement],
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def sql_file(text):
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(text)
    try:
        subprocess.run(["psql", ADMIN, "-v", "ON_ERROR_STOP=1", "-q", "-f", f.name],
                       check=True, stdout=subprocess.DEVNULL)
    finally:
        os.unlink(f.name)


def role_url(service):
    return ADMIN.replace("postgres@", f"fs_{service}@", 1)


def envelope_row(case, sequence, payload=True, type_name=None, raw=None):
    """An outbox row as the producer's AppendEvent writes it."""
    event_id = str(uuid.uuid4())
    if raw is None:
        e = ev.EventEnvelope(event_id=event_id, case=case, sequence=sequence, producer=PRODUCER)
        if payload:
            e.case_state_changed.from_state = "ASSESSMENT"
            e.case_state_changed.to_state = "CHILD_IN_NEED"
            e.type = "fs.events.v1.CaseStateChanged"
        else:
            e.type = type_name
        e.occurred_time.GetCurrentTime()
        raw = e.SerializeToString()
    return (f"('{event_id}', '{case}', {sequence}, '{type_name or 'fs.events.v1.CaseStateChanged'}',"
            f" decode('{raw.hex()}', 'hex'))")


def insert_events(rows):
    """rows: (case, sequence, kwargs) in commit order."""
    values = [envelope_row(case, seq, **kw) for case, seq, kw in rows]
    statements = [f"SET search_path TO {PRODUCER};"]
    for i in range(0, len(values), 1000):
        statements.append("INSERT INTO outbox (event_id, case_key, sequence, type, envelope) "
                          "VALUES " + ",\n".join(values[i:i + 1000]) + ";")
    sql_file("BEGIN;\n" + "\n".join(statements) + "\nCOMMIT;\n")


class Process:
    def __init__(self, binary, args):
        self.binary, self.args, self.proc = binary, args, None
        self.log = open(os.path.join(BUILD, f"events_test_{os.path.basename(binary)}.log"), "a")

    def start(self):
        self.proc = subprocess.Popen([os.path.join(BUILD, "tests", self.binary)] + self.args,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=15)


def wait_until(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def applied(where="true"):
    return int(sql(f"SELECT count(*) FROM {RECORDER}.applied_events WHERE {where}"))


def metric(port, name, labels):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


class EventDeliveryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not ADMIN:
            raise RuntimeError("FS_TEST_DB_URL is not set: run through `make test`")
        for service in (PRODUCER, RECORDER):
            sql(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'fs_{service}') "
                f"THEN CREATE ROLE fs_{service} LOGIN; END IF; END $$;"
                f"DROP SCHEMA IF EXISTS {service} CASCADE;"
                f"CREATE SCHEMA {service} AUTHORIZATION fs_{service};"
                f"GRANT CONNECT ON DATABASE fs TO fs_{service};")
        cls.recorder_port, cls.producer_port = free_port(), free_port()
        cls.metrics_port = free_port()
        cls.recorder = Process("event_recorder", [
            f"--db_url={role_url(RECORDER)}", f"--grpc_port={cls.recorder_port}",
            "--metrics_port=0", "--insecure_dev_auth", f"--event_producers={PRODUCER}"])
        cls.producer = Process("event_producer", [
            f"--db_url={role_url(PRODUCER)}", f"--grpc_port={cls.producer_port}",
            f"--metrics_port={cls.metrics_port}", "--insecure_dev_auth",
            f"--event_subscribers=recorder@127.0.0.1:{cls.recorder_port}"])
        # Migrate both schemas before the burst is written.
        for p in (cls.recorder, cls.producer):
            subprocess.run([os.path.join(BUILD, "tests", p.binary), p.args[0], "--migrate_only"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @classmethod
    def tearDownClass(cls):
        cls.producer.stop()
        cls.recorder.stop()

    def assert_exactly_once_in_order(self, expected):
        self.assertEqual(applied(), expected)
        self.assertEqual(int(sql(f"SELECT count(DISTINCT event_id) FROM {RECORDER}.applied_events")),
                         expected)
        # In applied order, each case's sequences go 1, 2, 3... without gaps or repeats.
        broken = sql(f"SELECT count(*) FROM (SELECT sequence, row_number() OVER "
                     f"(PARTITION BY case_key ORDER BY applied_order) AS n FROM "
                     f"{RECORDER}.applied_events) t WHERE sequence <> n")
        self.assertEqual(broken, "0")

    def test_1_burst_survives_sigkill_of_consumer_and_producer(self):
        cases = [f"cases/burst-{i:02d}" for i in range(40)]
        rows = [(cases[i % 40], i // 40 + 1, {}) for i in range(10000)]
        insert_events(rows)
        self.recorder.start()
        self.producer.start()
        wait_until(lambda: applied() >= 2000, 120, "2,000 events applied")
        self.recorder.kill()  # mid-burst
        self.assertLess(applied(), 10000, "the consumer must die before the burst is through")
        time.sleep(1)
        self.recorder.start()
        wait_until(lambda: applied() >= 6000, 120, "6,000 events applied")
        self.producer.kill()  # mid-relay
        self.assertLess(applied(), 10000, "the producer must die before the burst is through")
        time.sleep(0.5)
        self.producer.start()
        wait_until(lambda: applied() >= 10000, 180, "all 10,000 events applied")
        time.sleep(1)  # nothing more may arrive
        self.assert_exactly_once_in_order(10000)
        # The producer knows it: every case acknowledged up to its last event.
        self.assertEqual(sql(f"SELECT count(*) FROM (SELECT case_key, max(sequence) AS last FROM "
                             f"{PRODUCER}.outbox GROUP BY case_key) o LEFT JOIN "
                             f"{PRODUCER}.outbox_progress p ON p.case_key = o.case_key AND "
                             f"p.subscriber = 'recorder' WHERE coalesce(p.acked_sequence, 0) <> "
                             f"o.last"), "0")

    def test_2_backlog_waits_for_a_consumer_that_is_down_and_drains_when_it_returns(self):
        self.recorder.stop()
        lag_before = metric(self.metrics_port, "fs_event_delivery_lag_seconds_count",
                            {"subscriber": "recorder"})
        rows = [(f"cases/burst-{i % 40:02d}", 250 + i // 40 + 1, {}) for i in range(400)]
        insert_events(rows)
        wait_until(lambda: metric(self.metrics_port, "fs_outbox_depth",
                                  {"subscriber": "recorder"}) == 400, 30, "depth 400")
        wait_until(lambda: metric(self.metrics_port, "fs_event_delivery_failures_total",
                                  {"subscriber": "recorder", "reason": "unavailable"}) > 0,
                   30, "delivery failures counted")
        time.sleep(2)
        self.assertEqual(applied(), 10000)
        self.recorder.start()
        wait_until(lambda: applied() == 10400, 60, "the backlog drained")
        wait_until(lambda: metric(self.metrics_port, "fs_outbox_depth",
                                  {"subscriber": "recorder"}) == 0, 30, "depth 0")
        self.assert_exactly_once_in_order(10400)
        lag_after = metric(self.metrics_port, "fs_event_delivery_lag_seconds_count",
                           {"subscriber": "recorder"})
        self.assertGreaterEqual(lag_after - lag_before, 400)
        # The backlog waited at least the 2 s the consumer was down.
        slow = metric(self.metrics_port, "fs_event_delivery_lag_seconds_bucket",
                      {"subscriber": "recorder", "le": "1"})
        self.assertLessEqual(slow, lag_after - 400)

    def test_3_malformed_and_unknown_events_park_only_their_case(self):
        rows = [("cases/bad-bytes", 1, {"raw": b"\xff\xfe not a protobuf"}),
                ("cases/bad-bytes", 2, {}),
                ("cases/future", 1, {"payload": False, "type_name": "fs.events.v1.FutureThing"}),
                ("cases/good", 1, {}),
                ("cases/good", 2, {})]
        insert_events(rows)
        wait_until(lambda: applied("case_key = 'cases/good'") == 2, 30, "the good case applied")
        time.sleep(1)
        self.assertEqual(applied("case_key IN ('cases/bad-bytes', 'cases/future')"), 0)
        reasons = sql(f"SELECT case_key || ': ' || rejected_reason FROM {PRODUCER}.outbox_progress "
                      f"WHERE rejected_event IS NOT NULL ORDER BY case_key")
        self.assertIn("cases/bad-bytes:", reasons)
        self.assertRegex(reasons, re.compile(r"cases/future: unknown event type "
                                             r"'fs.events.v1.FutureThing'"))
        self.assertGreater(metric(self.metrics_port, "fs_event_delivery_failures_total",
                                  {"subscriber": "recorder", "reason": "rejected"}), 0)
        wait_until(lambda: metric(self.metrics_port, "fs_outbox_parked_cases",
                                  {"subscriber": "recorder"}) == 2, 30, "two parked cases")
        # The documented way past a poison event: acknowledge it by hand and unpark the case.
        sql(f"UPDATE {PRODUCER}.outbox_progress SET acked_sequence = 1, rejected_event = NULL "
            f"WHERE subscriber = 'recorder' AND case_key = 'cases/bad-bytes'")
        wait_until(lambda: applied("case_key = 'cases/bad-bytes'") == 1, 30,
                   "the event after the skipped one applied")
        self.assertEqual(applied("case_key = 'cases/bad-bytes' AND sequence = 2"), 1)


    def test_4_over_mutual_tls_the_relay_delivers_only_to_the_subscriber_it_names(self):
        import tls_test  # certificate helpers
        self.producer.stop()
        self.recorder.stop()
        with tempfile.TemporaryDirectory() as d:
            tls_test.openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                             "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=ca", cwd=d)
            tls_test.make_cert(d, "recorder",
                               "DNS:localhost,URI:spiffe://fs.local/service/recorder")
            tls_test.make_cert(d, "producer", f"URI:spiffe://fs.local/service/{PRODUCER}")
            recorder_port, metrics_port = free_port(), free_port()
            recorder = Process("event_recorder", [
                f"--db_url={role_url(RECORDER)}", f"--grpc_port={recorder_port}",
                "--metrics_port=0", f"--tls_cert={d}/recorder.crt", f"--tls_key={d}/recorder.key",
                f"--tls_ca={d}/ca.crt", f"--event_producers={PRODUCER}"])
            # "impostor" points at the same server: its certificate says "recorder", so the
            # relay must refuse to hand it events.
            producer = Process("event_producer", [
                f"--db_url={role_url(PRODUCER)}", f"--grpc_port={free_port()}",
                f"--metrics_port={metrics_port}", f"--tls_cert={d}/producer.crt",
                f"--tls_key={d}/producer.key", f"--tls_ca={d}/ca.crt",
                f"--event_subscribers=recorder@localhost:{recorder_port},"
                f"impostor@localhost:{recorder_port}"])
            recorder.start()
            producer.start()
            try:
                insert_events([("cases/tls", n, {}) for n in range(1, 6)])
                wait_until(lambda: applied("case_key = 'cases/tls'") == 5, 60,
                           "events delivered over mutual TLS")
                wait_until(lambda: metric(metrics_port, "fs_event_delivery_failures_total",
                                          {"subscriber": "impostor",
                                           "reason": "unavailable"}) > 0,
                           60, "the impostor refused")
                self.assertEqual(sql(f"SELECT count(*) FROM {PRODUCER}.outbox_progress WHERE "
                                     f"subscriber = 'impostor' AND acked_sequence > 0"), "0")
            finally:
                producer.stop()
                recorder.stop()


if __name__ == "__main__":
    unittest.main()
