"""End-to-end: the real case_records and supervision binaries as `make run` wires them, a real
PostgreSQL, Debian's Python grpcio.

case_records relays its events to supervision's EventSink over gRPC (--event_subscribers /
--event_producers); the test drives case_records' API and watches supervision learn of cases,
allocations and closures (also across a SIGKILL of supervision), then plans, confirms and
cancels a Group Case Supervision session, reads the lead's calendar feed and imports busy time.
Run by tests/python/client_test.sh under scripts/test.sh (FS_TEST_DB_URL).
"""
import datetime
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
import zoneinfo

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(REPO, os.environ.get("FS_BUILD_DIR", "build"))
sys.path.insert(0, os.path.join(BUILD, "py"))

import grpc  # noqa: E402
from fs_support import ServerExited, eventually, free_ports, launch  # noqa: E402
from fs_support import migrate, print_log_tail  # noqa: E402
from fs_support import role_url as url  # noqa: E402
from fs.cases.v1 import case_records_pb2 as pb  # noqa: E402
from fs.cases.v1 import case_records_pb2_grpc as rpc  # noqa: E402
from fs.supervision.v1 import supervision_pb2 as sv  # noqa: E402
from fs.supervision.v1 import supervision_pb2_grpc as svrpc  # noqa: E402
from fsgrpc.health.v1 import health_pb2, health_pb2_grpc  # noqa: E402
from google.protobuf import timestamp_pb2  # noqa: E402

LONDON = zoneinfo.ZoneInfo("Europe/London")
CASES_BIN = os.path.join(BUILD, "services", "case_records", "case_records_server")
SUPERVISION_BIN = os.path.join(BUILD, "services", "supervision", "supervision_server")
DAY = 24 * 3600
# Teams (and so practitioners) of this run only: the database may hold earlier runs' cases.
RUN = uuid.uuid4().hex[:8]


def who(practitioner, team, role="social_worker"):
    return [("x-fs-principal", f"spiffe://fs.local/practitioner/{practitioner}"),
            ("x-fs-role", role), ("x-fs-team", team)]


class Team:
    """A team of its own per test (its manager chairs), so that tests do not share sessions."""

    def __init__(self, label):
        name = f"sv-py-{RUN}-{label}"
        self.name = name
        self.manager_id, self.lead_id, self.specialist_id = (
            f"{name}-tm", f"{name}-sw", f"{name}-dav")
        self.manager = who(self.manager_id, name, "team_manager")
        self.lead = who(self.lead_id, name)
        self.specialist = who(self.specialist_id, name, "da_victim_worker")


def ts(seconds):
    t = timestamp_pb2.Timestamp()
    t.FromSeconds(int(seconds))
    return t


def local(t):
    """A Timestamp as a Europe/London datetime."""
    return datetime.datetime.fromtimestamp(t.seconds, tz=datetime.timezone.utc).astimezone(LONDON)


def london_date(days_from_today=0):
    today = datetime.datetime.now(LONDON).date()
    return (today + datetime.timedelta(days=days_from_today)).isoformat()


def ical_utc(seconds):
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc).strftime(
        "%Y%m%dT%H%M%SZ")


def unfold(content):
    """iCalendar text with folded lines joined (RFC 5545 3.1)."""
    return content.replace("\r\n ", "").replace("\r\n\t", "")


def metrics(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        return r.headers.get("Content-Type", ""), r.read().decode()


class SupervisionBinaryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="supervision_test_")
        cls.log_path = os.path.join(cls.tmp, "servers.log")
        cls.log = open(cls.log_path, "w")
        cls.sup = cls.cases_server = None
        try:
            # As scripts/run-local.sh with FS_SERVICES="case_records supervision" (only the
            # services started are wired up): migrate as the schema owner first, then serve as
            # the app role (the owner URL given too, as `make run` does).
            for svc, binary in (("case_records", CASES_BIN), ("supervision", SUPERVISION_BIN)):
                migrate(binary, svc, cls.log)
            # Supervision first: case_records is told where it listens. A free port can be taken
            # by someone else before the binary binds it; then the binary exits and we retry.
            for attempt in range(3):
                cls.sup_port, cls.sup_metrics = free_ports(2)
                try:
                    cls.sup = cls.start_supervision()
                    break
                except ServerExited:
                    if attempt == 2:
                        raise
            for attempt in range(3):
                cls.cases_port, cls.cases_metrics = free_ports(2)
                try:
                    cls.cases_server, cls.cases_channel = cls.launch(
                        [CASES_BIN, f"--db_url={url('fs_case_records_app')}",
                         f"--migration_db_url={url('fs_case_records')}",
                         "--listen_address=127.0.0.1", f"--grpc_port={cls.cases_port}",
                         f"--metrics_port={cls.cases_metrics}",
                         f"--event_subscribers=supervision@127.0.0.1:{cls.sup_port}",
                         "--event_producers=", "--insecure_dev_auth"], cls.cases_port)
                    break
                except ServerExited:
                    if attempt == 2:
                        raise
            cls.cases = rpc.CaseRecordsServiceStub(cls.cases_channel)
            cls.cases_health = health_pb2_grpc.HealthStub(cls.cases_channel)
        except BaseException:
            print_log_tail(cls.log, cls.log_path)
            cls.tearDownClass()
            raise

    @classmethod
    def launch(cls, args, port):
        return launch(args, port, cls.log)

    @classmethod
    def supervision_args(cls, *extra, grpc_port=None, metrics_port=None):
        return [SUPERVISION_BIN, f"--db_url={url('fs_supervision_app')}",
                f"--migration_db_url={url('fs_supervision')}", "--listen_address=127.0.0.1",
                f"--grpc_port={grpc_port or cls.sup_port}",
                f"--metrics_port={metrics_port or cls.sup_metrics}",
                "--event_subscribers=", "--event_producers=case_records", "--insecure_dev_auth",
                "--gcs_metrics_interval=1s", *extra]

    @classmethod
    def start_supervision(cls):
        if getattr(cls, "sup_channel", None) is not None:
            cls.sup_channel.close()  # of the supervision killed before
        process, cls.sup_channel = cls.launch(cls.supervision_args(), cls.sup_port)
        cls.supervision = svrpc.SupervisionServiceStub(cls.sup_channel)
        cls.sup_health = health_pb2_grpc.HealthStub(cls.sup_channel)
        return process

    @classmethod
    def tearDownClass(cls):
        for process in (cls.sup, cls.cases_server):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()
        for channel in (getattr(cls, "sup_channel", None), getattr(cls, "cases_channel", None)):
            if channel is not None:
                channel.close()
        cls.log.close()
        if os.environ.get("FS_KEEP_TEST_LOGS"):
            shutil.copy(cls.log_path, os.path.join(BUILD, "supervision_test_servers.log"))
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # ---- helpers ----

    def new_family(self, team):
        """A case on the team, led by its lead, with a DA victim worker allocated."""
        c = self.cases.CreateCase(pb.CreateCaseRequest(case=pb.Case(
            referral_date=london_date(-20), referral_source="6", team=team.name,
            lead_social_worker=team.lead_id)), metadata=team.lead, timeout=10)
        self.cases.AllocatePractitioner(pb.AllocatePractitionerRequest(
            parent=c.name, allocation=pb.Allocation(
                practitioner=team.specialist_id,
                role=pb.FAMILY_SAFEGUARDING_ROLE_DA_VICTIM_WORKER)),
            metadata=team.lead, timeout=10)
        return c

    def status_of(self, team, case_name):
        """supervision's status of the case once it has both practitioners, else None."""
        try:
            status = self.supervision.GetCaseStatus(
                sv.GetCaseStatusRequest(name=f"{case_name}/supervisionStatus"),
                metadata=team.lead, timeout=10)
        except grpc.RpcError as e:
            if e.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.UNAVAILABLE):
                return None
            raise
        return status if set(status.attendees) == {team.lead_id, team.specialist_id} else None

    def arrived(self, team, case_name, seconds=30):
        status = eventually(lambda: self.status_of(team, case_name), seconds)
        self.assertIsNotNone(status, f"supervision never learnt of {case_name} and its allocations")
        return status

    def set_chairs(self, team):
        return self.supervision.UpdateTeamChairs(sv.UpdateTeamChairsRequest(
            chairs=sv.TeamChairs(name=f"teams/{team.name}/chairs", chair=team.manager_id)),
            metadata=team.manager, timeout=10)

    def plan(self, team, days=21, metadata=None):
        """PlanSessions over the next `days` days (by the manager unless told)."""
        now = time.time()
        return self.supervision.PlanSessions(sv.PlanSessionsRequest(
            team=team.name, start_time=ts(now), end_time=ts(now + days * DAY)),
            metadata=metadata or team.manager, timeout=30)

    def session_of(self, plan, case_name):
        for session in plan.sessions:
            for c in session.cases:
                if c.case == case_name:
                    return session, c
        self.fail(f"{case_name} is in no session; unplaced: {list(plan.unplaced)}")

    def assert_weekday_working_hours(self, session):
        start, end = local(session.start_time), local(session.end_time)
        self.assertLess(start, end)
        self.assertEqual(start.date(), end.date(), "a session within one day")
        self.assertLess(start.isoweekday(), 6, f"{start} is at a weekend")
        self.assertGreaterEqual((start.hour, start.minute), (9, 0), str(start))
        self.assertLessEqual((end.hour, end.minute), (17, 0), str(end))

    def feed(self, team, practitioner_id, metadata):
        response = self.supervision.GetCalendarFeed(sv.GetCalendarFeedRequest(
            parent=f"practitioners/{practitioner_id}"), metadata=metadata, timeout=10)
        return response.content_type, unfold(response.content.decode("utf-8"))

    def vevent(self, content, uid):
        """The VEVENT of the feed with this UID (its lines), or None."""
        for block in content.split("BEGIN:VEVENT")[1:]:
            lines = block.split("END:VEVENT")[0].strip().split("\r\n")
            if f"UID:{uid}" in lines:
                return lines
        return None

    def outbox_depth(self):
        _, text = metrics(self.cases_metrics)
        for line in text.splitlines():
            if line.startswith("fs_outbox_depth{") and 'subscriber="supervision"' in line:
                return float(line.split()[-1])
        return None

    # ---- tests ----

    def test_1_health_of_both_binaries(self):
        def status(health, service):
            try:
                return health.Check(health_pb2.HealthCheckRequest(service=service),
                                    timeout=5).status
            except grpc.RpcError as e:
                # Named services are known once the first database probe is done, just after
                # the port opens (common/server.cc); until then the answer is NOT_FOUND.
                if e.code() == grpc.StatusCode.NOT_FOUND:
                    return None
                raise
        for health, services in (
                (self.cases_health, ("", "fs.cases.v1.CaseRecordsService")),
                (self.sup_health, ("", "fs.supervision.v1.SupervisionService",
                                   "fs.events.v1.EventSink"))):
            for service in services:
                serving = eventually(
                    lambda: status(health, service) == health_pb2.HealthCheckResponse.SERVING,
                    seconds=20)
                self.assertTrue(serving, f"{service!r}: {status(health, service)}")

    def test_2_metrics_are_prometheus_text_with_rpc_metrics(self):
        team = Team("metrics")
        self.supervision.ListCaseStatuses(sv.ListCaseStatusesRequest(team=team.name),
                                          metadata=team.lead, timeout=10)
        content_type, text = metrics(self.sup_metrics)
        self.assertTrue(content_type.startswith("text/plain"), content_type)
        self.assertIn("# TYPE ", text)
        self.assertIn("# HELP ", text)
        self.assertIn('grpc_method="ListCaseStatuses"', text)
        self.assertIn('grpc_service="fs.supervision.v1.SupervisionService"', text)
        # Every sample line is "name{labels} value" or "name value".
        for line in text.splitlines():
            if line and not line.startswith("#"):
                float(line.rsplit(" ", 1)[1])

    def test_3_a_case_is_planned_confirmed_in_the_feed_and_cancelled(self):
        team = Team("plan")
        c = self.new_family(team)
        status = self.arrived(team, c.name)
        self.assertEqual(status.name, f"{c.name}/supervisionStatus")
        self.assertEqual(status.team, team.name)
        self.assertFalse(status.overdue)
        # Due at the end of the 14th day after the first allocation.
        self.assertGreater(status.due_time.seconds, time.time() + 13 * DAY)
        self.assertLess(status.due_time.seconds, time.time() + 16 * DAY)
        listed = self.supervision.ListCaseStatuses(
            sv.ListCaseStatusesRequest(team=team.name), metadata=team.manager, timeout=10)
        self.assertIn(c.name + "/supervisionStatus", [s.name for s in listed.statuses])

        # Only the manager names chairs and plans.
        with self.assertRaises(grpc.RpcError) as refused:
            self.supervision.UpdateTeamChairs(sv.UpdateTeamChairsRequest(
                chairs=sv.TeamChairs(name=f"teams/{team.name}/chairs", chair=team.lead_id)),
                metadata=team.lead, timeout=10)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        chairs = self.set_chairs(team)
        self.assertEqual((chairs.name, chairs.chair),
                         (f"teams/{team.name}/chairs", team.manager_id))
        self.assertTrue(chairs.etag)
        with self.assertRaises(grpc.RpcError) as refused:
            self.plan(team, metadata=team.lead)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.PERMISSION_DENIED)

        plan = self.plan(team)
        self.assertEqual(list(plan.unplaced), [])
        session, placed = self.session_of(plan, c.name)
        self.assertEqual(session.state, sv.SESSION_STATE_PROPOSED)
        self.assertEqual(session.team, team.name)
        self.assertEqual(session.chair, team.manager_id)
        self.assertEqual(set(placed.attendees), {team.lead_id, team.specialist_id})
        self.assert_weekday_working_hours(session)
        self.assertGreaterEqual(placed.start_time.seconds, session.start_time.seconds)
        self.assertLessEqual(placed.end_time.seconds, session.end_time.seconds)
        self.assertLessEqual(session.end_time.seconds, status.due_time.seconds)
        self.assertGreater(session.start_time.seconds, time.time())
        self.assertEqual(self.supervision.GetCaseStatus(
            sv.GetCaseStatusRequest(name=f"{c.name}/supervisionStatus"), metadata=team.lead,
            timeout=10).planned_session, session.name)

        # A proposal is not in anyone's calendar yet.
        uid = session.name[len("sessions/"):] + "@fs.local"
        _, content = self.feed(team, team.lead_id, team.lead)
        self.assertNotIn(uid, content)

        # The lead may not confirm; the chair does.
        with self.assertRaises(grpc.RpcError) as refused:
            self.supervision.ConfirmSession(sv.ConfirmSessionRequest(
                name=session.name, etag=session.etag), metadata=team.lead, timeout=10)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        confirmed = self.supervision.ConfirmSession(sv.ConfirmSessionRequest(
            name=session.name, etag=session.etag), metadata=team.manager, timeout=10)
        self.assertEqual(confirmed.state, sv.SESSION_STATE_CONFIRMED)
        self.assertEqual(confirmed.start_time, session.start_time)

        content_type, content = self.feed(team, team.lead_id, team.lead)
        self.assertTrue(content_type.startswith("text/calendar"), content_type)
        self.assertTrue(content.startswith("BEGIN:VCALENDAR"), content[:40])
        self.assertTrue(content.rstrip().endswith("END:VCALENDAR"), content[-40:])
        event = self.vevent(content, uid)
        self.assertIsNotNone(event, f"no VEVENT with UID {uid} in\n{content}")
        self.assertIn(f"SEQUENCE:{confirmed.sequence}", event)
        self.assertIn("STATUS:CONFIRMED", event)
        self.assertIn(f"DTSTART:{ical_utc(confirmed.start_time.seconds)}", event)
        self.assertIn(f"DTEND:{ical_utc(confirmed.end_time.seconds)}", event)
        # The specialist's feed has it too; another practitioner's feed is not the lead's to read.
        self.assertIsNotNone(self.vevent(self.feed(team, team.specialist_id, team.specialist)[1],
                                         uid))
        with self.assertRaises(grpc.RpcError) as refused:
            self.feed(team, team.specialist_id, team.lead)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.PERMISSION_DENIED)

        # Cancelling needs a reason; then calendars get the cancellation with a higher SEQUENCE.
        with self.assertRaises(grpc.RpcError) as refused:
            self.supervision.CancelSession(sv.CancelSessionRequest(
                name=session.name, etag=confirmed.etag), metadata=team.manager, timeout=10)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        cancelled = self.supervision.CancelSession(sv.CancelSessionRequest(
            name=session.name, etag=confirmed.etag, reason="The chair is ill"),
            metadata=team.manager, timeout=10)
        self.assertEqual(cancelled.state, sv.SESSION_STATE_CANCELLED)
        self.assertEqual(cancelled.cancel_reason, "The chair is ill")
        self.assertGreater(cancelled.sequence, confirmed.sequence)
        _, content = self.feed(team, team.lead_id, team.lead)
        event = self.vevent(content, uid)
        self.assertIsNotNone(event, f"the cancelled session left the feed:\n{content}")
        self.assertIn("STATUS:CANCELLED", event)
        self.assertIn(f"SEQUENCE:{cancelled.sequence}", event)
        # A cancelled session stays cancelled.
        with self.assertRaises(grpc.RpcError) as refused:
            self.supervision.ConfirmSession(sv.ConfirmSessionRequest(
                name=session.name, etag=cancelled.etag), metadata=team.manager, timeout=10)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)

    def test_4_imported_free_busy_is_avoided_by_the_next_plan(self):
        team = Team("busy")
        c = self.new_family(team)
        self.arrived(team, c.name)
        self.set_chairs(team)
        first, _ = self.session_of(self.plan(team), c.name)
        self.assert_weekday_working_hours(first)

        # The specialist's calendar says they are busy all that (London) day.
        day = local(first.start_time).replace(hour=0, minute=0, second=0, microsecond=0)
        busy_from = int(day.timestamp())
        busy_to = int((day + datetime.timedelta(days=1)).timestamp())
        calendar = "\r\n".join([
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//fs python test//EN", "BEGIN:VFREEBUSY",
            f"DTSTART:{ical_utc(busy_from - DAY)}", f"DTEND:{ical_utc(busy_to + DAY)}",
            f"FREEBUSY;FBTYPE=BUSY:{ical_utc(busy_from)}/{ical_utc(busy_to)}",
            "END:VFREEBUSY", "END:VCALENDAR", ""])
        request = sv.ImportFreeBusyRequest(parent=f"practitioners/{team.specialist_id}",
                                           icalendar=calendar)
        with self.assertRaises(grpc.RpcError) as refused:  # not the lead's calendar
            self.supervision.ImportFreeBusy(request, metadata=team.lead, timeout=10)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.PERMISSION_DENIED)
        imported = self.supervision.ImportFreeBusy(request, metadata=team.specialist, timeout=10)
        self.assertEqual(imported.imported, 1)
        blocks = self.supervision.ListBusyBlocks(sv.ListBusyBlocksRequest(
            parent=f"practitioners/{team.specialist_id}"), metadata=team.specialist,
            timeout=10).busy_blocks
        self.assertEqual([(b.start_time.seconds, b.end_time.seconds, b.source) for b in blocks],
                         [(busy_from, busy_to, "ical")])

        second, placed = self.session_of(self.plan(team), c.name)
        self.assert_weekday_working_hours(second)
        self.assertIn(team.specialist_id, placed.attendees)
        self.assertTrue(placed.end_time.seconds <= busy_from or
                        placed.start_time.seconds >= busy_to,
                        f"placed {local(placed.start_time)} in the busy day {day.date()}")
        self.assertNotEqual(local(second.start_time).date(), day.date())
        # The earlier proposal was replaced, not kept beside the new one.
        sessions = self.supervision.ListSessions(sv.ListSessionsRequest(
            team=team.name, state=sv.SESSION_STATE_PROPOSED), metadata=team.manager,
            timeout=10).sessions
        self.assertEqual([s.name for s in sessions], [second.name])

        # Garbage is the caller's mistake, named.
        with self.assertRaises(grpc.RpcError) as refused:
            self.supervision.ImportFreeBusy(sv.ImportFreeBusyRequest(
                parent=f"practitioners/{team.specialist_id}", icalendar="not a calendar"),
                metadata=team.specialist, timeout=10)
        self.assertEqual(refused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("icalendar", refused.exception.details())

    def gauge(self, name, team):
        """The value of supervision's gauge `name` for `team`, or None."""
        _, text = metrics(self.sup_metrics)
        for line in text.splitlines():
            if line.startswith(f'{name}{{team="{team.name}"}} '):
                return float(line.rsplit(" ", 1)[1])
        return None

    def test_5_a_closed_case_leaves_the_due_list(self):
        team = Team("close")
        c = self.new_family(team)
        self.arrived(team, c.name)

        def listed():
            return [s.name for s in self.supervision.ListCaseStatuses(
                sv.ListCaseStatusesRequest(team=team.name), metadata=team.manager,
                timeout=10).statuses]
        self.assertIn(f"{c.name}/supervisionStatus", listed())
        # The ops gauge counts it (recounted every second here, every minute by default).
        self.assertIsNotNone(eventually(lambda: self.gauge("fs_gcs_open_cases", team) == 1.0),
                             "fs_gcs_open_cases never counted the team's case")
        self.assertEqual(self.gauge("fs_gcs_overdue_cases", team), 0.0)
        current = self.cases.GetCase(pb.GetCaseRequest(name=c.name), metadata=team.lead,
                                     timeout=10)
        self.cases.CloseCase(pb.CloseCaseRequest(
            name=c.name, etag=current.etag, closure_date=london_date(-1),
            reason_for_closure="RC1"), metadata=team.lead, timeout=10)
        self.assertIsNotNone(eventually(lambda: f"{c.name}/supervisionStatus" not in listed()),
                             "the closed case stayed on the due list")
        self.assertIsNotNone(eventually(lambda: self.gauge("fs_gcs_open_cases", team) == 0.0),
                             "fs_gcs_open_cases still counts the closed case")
        # Nothing of it is planned any more.
        self.set_chairs(team)
        plan = self.plan(team)
        self.assertNotIn(c.name, [x.case for s in plan.sessions for x in s.cases])
        self.assertNotIn(c.name, [u.case for u in plan.unplaced])

    def test_6_changes_made_while_supervision_is_killed_arrive_after_restart(self):
        cls = type(self)
        team = Team("kill")
        closing = self.new_family(team)
        self.arrived(team, closing.name)
        cls.sup.send_signal(signal.SIGKILL)
        cls.sup.wait()
        # Published while supervision is down: a new case with its allocations, a closure.
        opened = self.new_family(team)
        current = self.cases.GetCase(pb.GetCaseRequest(name=closing.name), metadata=team.lead,
                                     timeout=10)
        self.cases.CloseCase(pb.CloseCaseRequest(
            name=closing.name, etag=current.etag, closure_date=london_date(-1),
            reason_for_closure="RC1"), metadata=team.lead, timeout=10)
        self.assertIsNotNone(eventually(lambda: (self.outbox_depth() or 0) > 0),
                             "case_records reports no backlog for the killed supervision")
        time.sleep(1)
        cls.sup = cls.start_supervision()

        # The relay retries with backoff (at most 10 s between attempts).
        self.arrived(team, opened.name, seconds=60)

        def names():
            return [s.name for s in self.supervision.ListCaseStatuses(
                sv.ListCaseStatusesRequest(team=team.name), metadata=team.manager,
                timeout=10).statuses]
        self.assertIsNotNone(eventually(
            lambda: names() == [f"{opened.name}/supervisionStatus"]),
            f"due list after restart: {names()}")
        # case_records' relay reports an empty backlog for supervision once caught up.
        self.assertEqual(eventually(lambda: self.outbox_depth() == 0.0 and "empty"), "empty")
        status = self.sup_health.Check(health_pb2.HealthCheckRequest(), timeout=5)
        self.assertEqual(status.status, health_pb2.HealthCheckResponse.SERVING)

    def test_7_bad_flags_stop_the_binary_with_a_message_naming_them(self):
        for flag, name in (("--gcs_case_minutes=20", "gcs_case_minutes"),
                           ("--gcs_planning_window_days=40", "gcs_planning_window_days"),
                           ("--extra_holidays=2026-13-45", "extra_holidays"),
                           ("--gcs_max_cases=many", "gcs_max_cases")):
            with self.subTest(flag=flag):
                ports = free_ports(2)
                result = subprocess.run(
                    self.supervision_args(flag, grpc_port=ports[0], metrics_port=ports[1]),
                    capture_output=True, text=True, timeout=60)
                self.assertNotEqual(result.returncode, 0, result.stderr)
                self.assertIn(name, result.stderr)

    def test_8_sigterm_stops_supervision_cleanly(self):
        cls = type(self)
        cls.sup.send_signal(signal.SIGTERM)
        self.assertEqual(cls.sup.wait(timeout=10), 0)


if __name__ == "__main__":
    unittest.main()
