#!/usr/bin/python3
"""A team's Group Case Supervision month, as a person reads it: every session by week and day
with its chair, state and cases (council reference, due date, who attends), the cases not yet
planned, and the start of one practitioner's calendar feed.

Reads the running services (insecure dev auth) as the team manager: supervision for the
sessions and due dates, case_records for the council references. After `make run`:

    scripts/gcs-month.py                      # north-fs-1, the next 28 days, as tm.patel
    scripts/gcs-month.py --feed sw.okafor     # and the start of sw.okafor's calendar feed
"""
import argparse
import datetime
import os
import subprocess
import sys
from zoneinfo import ZoneInfo

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(REPO, os.environ.get("FS_BUILD_DIR", "build"))
subprocess.run([os.path.join(REPO, "scripts", "gen-python.sh")], check=True,
               stdout=subprocess.DEVNULL)
sys.path.insert(0, os.path.join(BUILD, "py"))

import grpc  # noqa: E402
from fs.cases.v1 import case_records_pb2 as pb  # noqa: E402
from fs.cases.v1 import case_records_pb2_grpc as rpc  # noqa: E402
from fs.supervision.v1 import supervision_pb2 as sv  # noqa: E402
from fs.supervision.v1 import supervision_pb2_grpc as srpc  # noqa: E402
from google.protobuf import timestamp_pb2  # noqa: E402

LONDON = ZoneInfo("Europe/London")


def local(ts):
    return datetime.datetime.fromtimestamp(ts.seconds, LONDON)


def due_day(status):
    """The day a case is due: its due time is the end of that day (midnight after it)."""
    return (local(status.due_time) - datetime.timedelta(seconds=1)).date()


def timestamp(moment):
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(moment)
    return ts


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--supervision", default="127.0.0.1:50053")
    parser.add_argument("--cases", default="127.0.0.1:50051")
    parser.add_argument("--team", default="north-fs-1")
    parser.add_argument("--manager", default="tm.patel")
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--feed", default="", help="a practitioner whose feed to show")
    args = parser.parse_args()
    metadata = [("x-fs-principal", f"spiffe://fs.local/practitioner/{args.manager}"),
                ("x-fs-role", "team_manager"), ("x-fs-team", args.team)]
    supervision = srpc.SupervisionServiceStub(grpc.insecure_channel(args.supervision))
    cases = rpc.CaseRecordsServiceStub(grpc.insecure_channel(args.cases))

    today = datetime.datetime.now(LONDON).date()
    start = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(),
                                      LONDON)
    end = start + datetime.timedelta(days=args.days)
    sessions, token = [], ""
    while True:
        page = supervision.ListSessions(sv.ListSessionsRequest(
            team=args.team, start_time=timestamp(start), end_time=timestamp(end),
            page_size=100, page_token=token), metadata=metadata)
        sessions += page.sessions
        token = page.next_page_token
        if not token:
            break
    statuses, token = {}, ""
    while True:
        page = supervision.ListCaseStatuses(sv.ListCaseStatusesRequest(
            team=args.team, page_size=100, page_token=token), metadata=metadata)
        for status in page.statuses:
            statuses[status.name.removesuffix("/supervisionStatus")] = status
        overdue = page.overdue_count
        token = page.next_page_token
        if not token:
            break
    refs = {}

    def ref(case_name):
        if case_name not in refs:
            refs[case_name] = cases.GetCase(pb.GetCaseRequest(name=case_name),
                                            metadata=metadata).council_reference
        return refs[case_name]

    chairs = supervision.GetTeamChairs(sv.GetTeamChairsRequest(name=f"teams/{args.team}/chairs"),
                                       metadata=metadata)
    deputies = f" (deputies {', '.join(chairs.deputies)})" if chairs.deputies else ""
    last = (end - datetime.timedelta(days=1)).date()
    print(f"Group Case Supervision, team {args.team}: {start:%a %d %b %Y} to {last:%a %d %b %Y}"
          f" (Europe/London)")
    print(f"Chair {chairs.chair or '(none)'}{deputies}. {len(statuses)} open cases, "
          f"{overdue} overdue today. {len(sessions)} sessions.")
    week = None
    day = None
    for session in sorted(sessions, key=lambda s: (s.start_time.seconds, s.chair)):
        begins, ends = local(session.start_time), local(session.end_time)
        monday = begins.date() - datetime.timedelta(days=begins.weekday())
        if monday != week:
            week = monday
            print(f"\nWeek of {monday:%a %d %b}")
        label = f"{begins:%a %d %b}" if begins.date() != day else " " * 10
        day = begins.date()
        state = sv.SessionState.Name(session.state).removeprefix("SESSION_STATE_")
        print(f"  {label}  {begins:%H:%M}-{ends:%H:%M}  chair {session.chair:<10} {state}")
        for c in session.cases:
            status = statuses.get(c.case)
            due = local(status.due_time) if status and status.HasField("due_time") else None
            when = f"due {due_day(status):%a %d %b}" if due else ""
            if due and local(c.end_time) > due:
                late = (local(c.end_time).date() - due_day(status)).days
                when += f", {late} day{'s' if late > 1 else ''} late"
            print(f"      {local(c.start_time):%H:%M}  {ref(c.case):<13} {when:<26} "
                  f"{', '.join(c.attendees)}")
    waiting = [s for name, s in sorted(statuses.items()) if not s.planned_session]
    if waiting:
        print("\nNot planned in these weeks")
        for status in waiting:
            case_name = status.name.removesuffix("/supervisionStatus")
            due = f"due {due_day(status):%a %d %b}" if status.HasField("due_time") \
                else "nobody allocated yet"
            flag = "  OVERDUE" if status.overdue else ""
            print(f"      {ref(case_name):<13} {due}{flag}")
    if args.feed:
        feed = supervision.GetCalendarFeed(sv.GetCalendarFeedRequest(
            parent=f"practitioners/{args.feed}"), metadata=metadata)
        lines = feed.content.decode().split("\r\n")
        print(f"\nCalendar feed of {args.feed} ({feed.content_type}, {len(feed.content)} bytes, "
              f"{sum(1 for line in lines if line == 'BEGIN:VEVENT')} events), its first event:")
        begin = lines.index("BEGIN:VEVENT") if "BEGIN:VEVENT" in lines else len(lines)
        for line in lines[begin:]:
            print(f"  {line}")
            if line == "END:VEVENT":
                break


if __name__ == "__main__":
    main()
