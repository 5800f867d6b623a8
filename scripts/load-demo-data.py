#!/usr/bin/python3
"""Loads synthetic demo families into running services (insecure dev auth): cases into
case_records; when --workbook is given, a worker's recordings into the workbook; when
--supervision is given, the team's chairs and availability, the date of each family's last
Group Case Supervision before the service, and a planned month of sessions; when --outcomes is
given, two and a half years of two teams' history with police and NHS reports, and the
evaluator's report written to build/reports/ (scripts/demo_outcomes.py).

Every name, date and NHS number here is invented; NHS numbers are from the 999 test range.
Safe to run twice: creates carry request ids, so a second run finds what the first made.
Usage: load-demo-data.py --target 127.0.0.1:50051 [--workbook 127.0.0.1:50052]
                         [--supervision 127.0.0.1:50053] [--outcomes 127.0.0.1:50054]
"""
import argparse
import datetime
import os
import subprocess
import sys
import time

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
from fs.workbook.v1 import workbook_pb2 as wb  # noqa: E402
from fs.workbook.v1 import workbook_pb2_grpc as wrpc  # noqa: E402
from google.protobuf import field_mask_pb2, timestamp_pb2  # noqa: E402

TEAM = "north-fs-1"


def who(practitioner, role="social_worker"):
    return [("x-fs-principal", f"spiffe://fs.local/practitioner/{practitioner}"),
            ("x-fs-role", role), ("x-fs-team", TEAM)]


MANAGER = who("tm.patel", "team_manager")


def nhs_number(serial):
    """A valid NHS number in the 999 test range."""
    while True:
        digits = [9, 9, 9] + [int(d) for d in f"{serial:06d}"]
        check = 11 - sum((10 - i) * d for i, d in enumerate(digits)) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return "".join(map(str, digits)) + str(check)
        serial += 1


FAMILIES = [
    {"ref": "FS-2026-0001", "lead": "sw.okafor", "source": "6", "need": "N1",
     "referral": "2026-06-02", "state": ["ASSESSMENT", "CHILD_PROTECTION"],
     "children": [("Lily", "Hartley", "2018-04-12", 2, "NEG"),
                  ("Noah", "Hartley", "2021-09-30", 1, "NEG")],
     "adults": [("Sarah", "Hartley", "1990-02-14", "MOTHER", ["3B", "4B"]),
                ("Dean", "Hartley", "1987-11-03", "FATHER", ["2B", "3B"])],
     "mdt": [("da.victim.reid", "DA_VICTIM_WORKER"), ("da.perp.khan", "DA_PERPETRATOR_WORKER"),
             ("mh.nowak", "MENTAL_HEALTH_PRACTITIONER"), ("rec.evans", "RECOVERY_WORKER")]},
    {"ref": "FS-2026-0002", "lead": "sw.okafor", "source": "3E", "need": "N2",
     "referral": "2026-07-19", "state": ["ASSESSMENT", "CHILD_IN_NEED"],
     "children": [("Maya", "Begum", "2015-12-01", 2, None)],
     "adults": [("Rukhsana", "Begum", "1984-06-21", "MOTHER", ["4B"])],
     "mdt": [("mh.nowak", "MENTAL_HEALTH_PRACTITIONER"), ("fsw.clarke", "FAMILY_SUPPORT_WORKER")]},
    {"ref": "FS-2026-0003", "lead": "sw.mensah", "source": "5A", "need": "N1",
     "referral": "2026-08-08", "state": ["ASSESSMENT", "CHILD_PROTECTION"],
     "children": [("Unborn", "Walsh", None, 0, "PHY")],
     "adults": [("Kayleigh", "Walsh", "2002-03-17", "MOTHER", ["1B", "2B"])],
     "mdt": [("rec.evans", "RECOVERY_WORKER"), ("pa.hughes", "PARENTING_ASSESSOR")]},
    {"ref": "FS-2026-0004", "lead": "sw.mensah", "source": "1A", "need": "N1",
     "referral": "2026-03-15", "state": ["ASSESSMENT", "LOOKED_AFTER"], "looked_after": True,
     "children": [("Jayden", "Moore", "2012-07-07", 1, None)],
     "adults": [("Leanne", "Moore", "1980-10-10", "MOTHER", ["1B", "3B", "4B"])],
     "mdt": [("psy.ahmed", "CLINICAL_PSYCHOLOGIST")]},
    {"ref": "FS-2026-0005", "lead": "sw.okafor", "source": "6", "need": "N4",
     "referral": "2026-09-21", "state": [],
     "children": [("Evie", "Novak", "2019-01-25", 2, None), ("Oskar", "Novak", "2016-05-09", 1, None)],
     "adults": [("Marta", "Novak", "1991-08-30", "MOTHER", ["3B"])],
     "mdt": []},
]

# More families of the team, so that Group Case Supervision has a month's work: (surname,
# mother, child, child's birth date, lead, specialists).
MORE = [
    ("Ahmed", "Nadia", "Zain", "2017-03-02", "sw.ali", ["da.victim.reid", "mh.nowak"]),
    ("Baker", "Gemma", "Alfie", "2014-11-19", "sw.brown", ["rec.evans"]),
    ("Carter", "Jodie", "Ruby", "2020-06-08", "sw.okafor", ["da.victim.reid", "da.perp.khan"]),
    ("Dixon", "Stacey", "Harvey", "2013-01-27", "sw.mensah", ["mh.nowak", "fsw.clarke"]),
    ("Ellis", "Amy", "Freya", "2019-09-14", "sw.ali", ["rec.evans", "pa.hughes"]),
    ("Foster", "Claire", "Logan", "2016-04-03", "sw.brown", ["da.victim.reid"]),
    ("Grant", "Toni", "Isla", "2021-12-22", "sw.okafor", ["mh.nowak"]),
    ("Hussain", "Samina", "Adam", "2012-08-30", "sw.mensah", ["da.perp.khan", "fsw.clarke"]),
    ("Iqbal", "Farah", "Aisha", "2018-02-11", "sw.ali", ["psy.ahmed"]),
    ("Jones", "Kerry", "Tyler", "2015-07-25", "sw.brown", ["rec.evans", "mh.nowak"]),
    ("Kelly", "Siobhan", "Niamh", "2020-10-05", "sw.okafor", ["fsw.clarke"]),
    ("Lewis", "Danielle", "Mason", "2011-05-16", "sw.mensah", ["da.victim.reid", "rec.evans"]),
    ("Murphy", "Chloe", "Archie", "2017-12-01", "sw.ali", ["mh.nowak", "pa.hughes"]),
    ("Nolan", "Becky", "Poppy", "2019-03-29", "sw.brown", ["da.victim.reid", "da.perp.khan"]),
    ("Owusu", "Abena", "Kofi", "2014-09-09", "sw.okafor", ["psy.ahmed"]),
    ("Price", "Laura", "Ellie", "2016-01-13", "sw.mensah", ["rec.evans"]),
    ("Quinn", "Hayley", "Leo", "2022-02-17", "sw.ali", ["fsw.clarke", "mh.nowak"]),
    ("Roberts", "Natalie", "Grace", "2013-06-21", "sw.brown", ["da.victim.reid"]),
    ("Singh", "Harpreet", "Arjun", "2018-10-31", "sw.okafor", ["mh.nowak", "rec.evans"]),
]
for n, (surname, mother, child, born, lead, specialists) in enumerate(MORE):
    roles = {"da.victim.reid": "DA_VICTIM_WORKER", "da.perp.khan": "DA_PERPETRATOR_WORKER",
             "mh.nowak": "MENTAL_HEALTH_PRACTITIONER", "rec.evans": "RECOVERY_WORKER",
             "fsw.clarke": "FAMILY_SUPPORT_WORKER", "pa.hughes": "PARENTING_ASSESSOR",
             "psy.ahmed": "CLINICAL_PSYCHOLOGIST"}
    FAMILIES.append({
        "ref": f"FS-2026-{n + 6:04d}", "lead": lead, "source": "3E", "need": "N1",
        "referral": f"2026-{4 + n % 7:02d}-{1 + (n * 3) % 27:02d}",
        "state": ["ASSESSMENT", "CHILD_PROTECTION" if n % 3 == 0 else "CHILD_IN_NEED"],
        "children": [(child, surname, born, 1 + n % 2, "EMO" if n % 3 == 0 else None)],
        "adults": [(mother, surname, f"19{85 + n % 12}-0{1 + n % 9}-1{n % 9}", "MOTHER", ["3B"])],
        "mdt": [(who, roles[who]) for who in specialists]})


def days_ago(days, hour=10):
    ts = timestamp_pb2.Timestamp()
    ts.FromSeconds(int(time.time()) - days * 86400 - (int(time.time()) % 86400) + hour * 3600)
    return ts


# (family ref, author, role, kind, title, text, days ago, about, extra)
# about: "child", "mother", "father" or None for the whole family.
ENTRIES = [
    ("FS-2026-0001", "sw.okafor", "social_worker", "HOME_VISIT", "Home visit",
     "Visited Lily and Noah at home after school. Both children were clean and appropriately "
     "dressed; the kitchen had food in. Lily talked about her new class and drew her family. "
     "Sarah said Dean has not been at the house since the incident last month.", 20, "child",
     {"significant": True}),
    ("FS-2026-0001", "da.victim.reid", "da_victim_worker", "DIRECT_WORK_SESSION",
     "Safety planning with Sarah",
     "Safety plan reviewed. Sarah has moved with the children to a refuge; its address is held by "
     "the DA victim service only. Code word agreed with the school.", 18, "mother",
     {"visibility": "RESTRICTED_FROM_PERPETRATOR", "significant": True}),
    ("FS-2026-0001", "da.perp.khan", "da_perpetrator_worker", "MI_SESSION",
     "MI session with Dean",
     "Dean spoke about his drinking before the incident. He says stopping matters to him (7/10) "
     "but he is not confident (3/10).", 15, "father",
     {"scores": {"importance": 7, "confidence": 3, "readiness": 4}}),
    ("FS-2026-0001", "da.perp.khan", "da_perpetrator_worker", "MODULE_SESSION",
     "Module 3 session with Dean",
     "Worked through the impact of domestic abuse on children. Dean recognised Lily's fear.", 8,
     "father", {"module": 3, "scores": {"importance": 8, "confidence": 5, "readiness": 6}}),
    ("FS-2026-0001", "tm.patel", "team_manager", "DECISION", "Management decision",
     "Child protection plan to continue; next Group Case Supervision in four weeks. Contact "
     "between Dean and the children to stay supervised.", 5, None, {"significant": True}),
    ("FS-2026-0003", "pa.hughes", "parenting_assessor", "MODULE_SESSION",
     "Module 1 session with Kayleigh",
     "First session on engagement. Kayleigh attended on time and talked about her hopes for the "
     "baby.", 30, "mother", {"module": 1}),
    ("FS-2026-0003", "rec.evans", "recovery_worker", "MI_SESSION", "Recovery MI session",
     "Kayleigh is attending the drug service weekly; two clear tests.", 25, "mother",
     {"scores": {"importance": 9, "confidence": 4, "readiness": 6}}),
    ("FS-2026-0003", "pa.hughes", "parenting_assessor", "MODULE_SESSION",
     "Module 2 session with Kayleigh",
     "Baby care routines and safe sleep. Kayleigh practised bathing with the doll.", 14, "mother",
     {"module": 2}),
    ("FS-2026-0003", "rec.evans", "recovery_worker", "MI_SESSION", "Recovery MI session",
     "Four clear tests in a row; Kayleigh feels more able to stay off drugs.", 7, "mother",
     {"scores": {"importance": 9, "confidence": 7, "readiness": 8}}),
]


def wb_who(practitioner, role):
    return [("x-fs-principal", f"spiffe://fs.local/practitioner/{practitioner}"),
            ("x-fs-role", role), ("x-fs-team", TEAM)]


def load_workbook(target, cases_stub, cases_by_ref):
    channel = grpc.insecure_channel(target)
    grpc.channel_ready_future(channel).result(timeout=30)
    stub = wrpc.WorkbookServiceStub(channel)
    people = {}
    for ref, case in cases_by_ref.items():
        listed = cases_stub.ListPeople(pb.ListPeopleRequest(parent=case.name), metadata=MANAGER)
        adults = [p for p in listed.people if p.kind == pb.PERSON_KIND_ADULT]
        children = [p for p in listed.people if p.kind == pb.PERSON_KIND_CHILD]
        people[ref] = {"child": children[0].name if children else None,
                       "mother": adults[0].name if adults else None,
                       "father": adults[1].name if len(adults) > 1 else None}
    for n, (ref, author, role, kind, title, text, ago, about, extra) in enumerate(ENTRIES):
        case = cases_by_ref[ref]
        entry = wb.Entry(kind=wb.EntryKind.Value(f"ENTRY_KIND_{kind}"), title=title, text=text,
                         occur_time=days_ago(ago), significant=extra.get("significant", False),
                         module=extra.get("module", 0))
        if "visibility" in extra:
            entry.visibility = wb.Visibility.Value(f"VISIBILITY_{extra['visibility']}")
        subject = people[ref].get(about) if about else None
        if subject:
            entry.subjects.append(subject)
            if "scores" in extra:
                entry.scaling_scores.append(wb.ScalingScore(person=subject, **extra["scores"]))
        metadata = wb_who(author, role)
        # The workbook learns of cases and allocations from case_records' events: wait for them.
        deadline = time.time() + 60
        while True:
            try:
                created = stub.CreateEntry(wb.CreateEntryRequest(
                    parent=case.name, entry=entry, request_id=f"demo-entry-{ref}-{n}"),
                    metadata=metadata)
                break
            except grpc.RpcError as e:
                if e.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED,
                                grpc.StatusCode.INVALID_ARGUMENT) and time.time() < deadline:
                    time.sleep(0.5)
                    continue
                raise
        if created.state == wb.ENTRY_STATE_DRAFT:
            created = stub.FinaliseEntry(wb.FinaliseEntryRequest(name=created.name,
                                                                  etag=created.etag),
                                         metadata=metadata)
        if kind == "HOME_VISIT" and created.state == wb.ENTRY_STATE_FINAL:
            stub.SignOffEntry(wb.SignOffEntryRequest(name=created.name, etag=created.etag),
                              metadata=MANAGER)
    # A draft in progress, and a parenting assessment of Kayleigh.
    stub.CreateEntry(wb.CreateEntryRequest(
        parent=cases_by_ref["FS-2026-0001"].name, request_id="demo-entry-draft",
        entry=wb.Entry(kind=wb.ENTRY_KIND_CASE_NOTE, title="Call with school",
                       text="School reports Lily's attendance is up to 94%.",
                       occur_time=days_ago(1))), metadata=wb_who("sw.okafor", "social_worker"))
    assessor = wb_who("pa.hughes", "parenting_assessor")
    assessment = stub.CreateParentingAssessment(wb.CreateParentingAssessmentRequest(
        parent=cases_by_ref["FS-2026-0003"].name, request_id="demo-assessment",
        parenting_assessment=wb.ParentingAssessment(person=people["FS-2026-0003"]["mother"])),
        metadata=assessor)
    if not assessment.analysis:
        stub.UpdateParentingAssessment(wb.UpdateParentingAssessmentRequest(
            parenting_assessment=wb.ParentingAssessment(
                name=assessment.name, etag=assessment.etag,
                analysis="Kayleigh has engaged with every module offered and her confidence in "
                         "staying off drugs has grown (4 to 7 out of 10).",
                conclusion="Able to care for the baby with continued support; review in three "
                           "months."),
            update_mask=field_mask_pb2.FieldMask(paths=["analysis", "conclusion"])),
            metadata=assessor)
    print(f"demo: {len(ENTRIES) + 1} workbook entries and a parenting assessment "
          f"({assessment.name})")


def sv_who(practitioner, role="social_worker"):
    return [("x-fs-principal", f"spiffe://fs.local/practitioner/{practitioner}"),
            ("x-fs-role", role), ("x-fs-team", TEAM)]


def london_midnight(day):
    """A timestamp for 00:00 Europe/London on `day` (a datetime.date)."""
    from zoneinfo import ZoneInfo
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(datetime.datetime.combine(day, datetime.time(), ZoneInfo("Europe/London")))
    return ts


def london_time(day, hour, minute=0):
    from zoneinfo import ZoneInfo
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(datetime.datetime(day.year, day.month, day.day, hour, minute,
                                      tzinfo=ZoneInfo("Europe/London")))
    return ts


def next_weekday(day, weekday):
    """The first date on or after `day` that is `weekday` (0 Monday)."""
    return day + datetime.timedelta(days=(weekday - day.weekday()) % 7)


def load_supervision(target, cases_by_ref):
    """The team's chairs and availability, each family's last GCS before the service, and a
    plan of the next four weeks with the first week's sessions confirmed."""
    channel = grpc.insecure_channel(target)
    grpc.channel_ready_future(channel).result(timeout=30)
    stub = srpc.SupervisionServiceStub(channel)
    manager = sv_who("tm.patel", "team_manager")
    today = datetime.date.today()

    # Supervision learns of cases and allocations from case_records' events: wait for them.
    deadline = time.time() + 60
    while True:
        listed = stub.ListCaseStatuses(sv.ListCaseStatusesRequest(team=TEAM, page_size=500),
                                       metadata=manager)
        known = {status.name.split("/")[1] for status in listed.statuses}
        # And every allocation: the team manager keeps availability only for practitioners
        # supervision knows work in the team.
        attendees = {a for status in listed.statuses for a in status.attendees}
        if (all(case.name.split("/")[1] in known for case in cases_by_ref.values())
                and all(p in attendees for f in FAMILIES for p, _ in f["mdt"])):
            break
        if time.time() > deadline:
            raise RuntimeError(f"supervision knows {len(known)} of {len(cases_by_ref)} cases")
        time.sleep(0.5)

    # The team manager chairs; a senior practitioner deputises.
    try:
        current = stub.GetTeamChairs(sv.GetTeamChairsRequest(name=f"teams/{TEAM}/chairs"),
                                     metadata=manager)
    except grpc.RpcError as e:
        if e.code() != grpc.StatusCode.NOT_FOUND:  # never set
            raise
        current = sv.TeamChairs()
    if current.chair != "tm.patel":
        stub.UpdateTeamChairs(sv.UpdateTeamChairsRequest(chairs=sv.TeamChairs(
            name=f"teams/{TEAM}/chairs", chair="tm.patel", deputies=["sp.osei"],
            etag=current.etag)), metadata=manager)

    # Part-time and compressed hours (1 Monday .. 7 Sunday; minutes after midnight).
    def days(weekdays, start, end):
        return [sv.DayHours(weekday=d, ranges=[sv.TimeRange(start_minute=start, end_minute=end)])
                for d in weekdays]
    hours = {
        "rec.evans": days([1, 2, 3, 4], 8 * 60 + 30, 17 * 60),      # Monday to Thursday
        "fsw.clarke": days([1, 2, 3, 4, 5], 9 * 60 + 30, 15 * 60),  # school hours
        "psy.ahmed": days([1, 3, 5], 9 * 60, 17 * 60),              # three days
        "mh.nowak": days([2, 3, 4, 5], 9 * 60, 17 * 60 + 30),       # NHS, four days
    }
    for practitioner, day_hours in hours.items():
        name = f"practitioners/{practitioner}/workingHours"
        current = stub.GetWorkingHours(sv.GetWorkingHoursRequest(name=name), metadata=manager)
        stub.UpdateWorkingHours(sv.UpdateWorkingHoursRequest(working_hours=sv.WorkingHours(
            name=name, days=day_hours, etag=current.etag)), metadata=manager)

    # A week's leave, and a day in court.
    leave_from = next_weekday(today + datetime.timedelta(days=7), 0)
    stub.CreateLeave(sv.CreateLeaveRequest(
        parent="practitioners/da.victim.reid", request_id="demo-leave-reid",
        leave=sv.Leave(first_day=leave_from.isoformat(),
                       last_day=(leave_from + datetime.timedelta(days=4)).isoformat(),
                       note="annual leave")), metadata=manager)
    court = next_weekday(today + datetime.timedelta(days=3), 3)
    stub.CreateLeave(sv.CreateLeaveRequest(
        parent="practitioners/sw.okafor", request_id="demo-court-okafor",
        leave=sv.Leave(first_day=court.isoformat(), last_day=court.isoformat(),
                       note="final hearing (court)")), metadata=manager)

    # The team meeting, Monday mornings, for everyone who works Mondays.
    # (The deputy, sp.osei, keeps their own calendar: a team manager keeps availability only for
    # practitioners allocated to the team's cases.)
    everyone = ["tm.patel", "sw.okafor", "sw.mensah", "sw.ali", "sw.brown",
                "da.victim.reid", "da.perp.khan", "rec.evans", "fsw.clarke", "pa.hughes",
                "psy.ahmed"]
    for week in range(5):
        monday = next_weekday(today, 0) + datetime.timedelta(days=7 * week)
        for practitioner in everyone:
            stub.CreateBusyBlock(sv.CreateBusyBlockRequest(
                parent=f"practitioners/{practitioner}",
                request_id=f"demo-team-meeting-{practitioner}-{monday.isoformat()}",
                busy_block=sv.BusyBlock(start_time=london_time(monday, 10),
                                        end_time=london_time(monday, 12))), metadata=manager)

    # The mental health practitioner's NHS diary arrives as iCalendar free/busy: clinics on
    # Tuesday and Thursday mornings.
    def utc(day, hour, minute=0):
        t = london_time(day, hour, minute).ToDatetime()
        return t.strftime("%Y%m%dT%H%M%SZ")
    periods = []
    for n in range(29):
        day = today + datetime.timedelta(days=n)
        if day.weekday() in (1, 3):
            periods.append(f"FREEBUSY;FBTYPE=BUSY:{utc(day, 9, 30)}/{utc(day, 12, 30)}")
    end = today + datetime.timedelta(days=29)
    ical = "\r\n".join([
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Demo NHS Trust//Diary//EN",
        "METHOD:PUBLISH", "BEGIN:VFREEBUSY", "UID:demo-nowak-freebusy",
        f"DTSTAMP:{utc(today, 8)}", f"DTSTART:{utc(today, 0)}", f"DTEND:{utc(end, 0)}",
        *periods, "END:VFREEBUSY", "END:VCALENDAR", ""])
    stub.ImportFreeBusy(sv.ImportFreeBusyRequest(parent="practitioners/mh.nowak",
                                                 icalendar=ical), metadata=manager)

    # The team ran GCS by hand before: each family's last one, spread over the past month (two
    # are overdue); the newest family has had none, so its first is due 14 days after allocation.
    for n, (ref, case) in enumerate(sorted(cases_by_ref.items())):
        if ref == "FS-2026-0005":
            continue
        ago = 30 if n in (3, 17) else 3 + (n * 11) % 25
        try:
            stub.RecordEarlierSupervision(sv.RecordEarlierSupervisionRequest(
                name=f"{case.name}/supervisionStatus",
                held_date=(today - datetime.timedelta(days=ago)).isoformat()), metadata=manager)
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.FAILED_PRECONDITION:  # a later one is known: rerun
                raise

    # Plan the next four weeks, and confirm the first week's sessions.
    start = today + datetime.timedelta(days=1)
    plan = stub.PlanSessions(sv.PlanSessionsRequest(
        team=TEAM, start_time=london_midnight(start),
        end_time=london_midnight(start + datetime.timedelta(days=28))), metadata=manager)
    confirmed = 0
    first_week_end = london_midnight(start + datetime.timedelta(days=7)).seconds
    for session in plan.sessions:
        if session.state == sv.SESSION_STATE_PROPOSED and \
                session.start_time.seconds < first_week_end:
            stub.ConfirmSession(sv.ConfirmSessionRequest(name=session.name, etag=session.etag),
                                metadata=manager)
            confirmed += 1
    print(f"demo: GCS planned for {TEAM}: {len(plan.sessions)} sessions "
          f"({confirmed} confirmed), {plan.on_time} cases on time, {plan.late} late, "
          f"{len(plan.unplaced)} unplaced")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--workbook", default="", help="workbook address; empty: skip")
    parser.add_argument("--supervision", default="", help="supervision address; empty: skip")
    parser.add_argument("--outcomes", default="", help="outcomes address; empty: skip")
    args = parser.parse_args()
    channel = grpc.insecure_channel(args.target)
    grpc.channel_ready_future(channel).result(timeout=30)
    stub = rpc.CaseRecordsServiceStub(channel)
    serial = 100
    cases_by_ref = {}
    for family in FAMILIES:
        lead = who(family["lead"])
        c = stub.CreateCase(pb.CreateCaseRequest(
            request_id=f"demo-{family['ref']}",
            case=pb.Case(council_reference=family["ref"], referral_date=family["referral"],
                         referral_source=family["source"], primary_need_code=family["need"],
                         team=TEAM, lead_social_worker=family["lead"])), metadata=lead)
        children = []
        for given, surname, born, gender, category in family["children"]:
            serial += 1
            person = pb.Person(kind=pb.PERSON_KIND_CHILD, given_name=given, family_name=surname,
                               gender_current=gender, la_child_id=f"LA{serial:06d}")
            if born:
                person.birth_date = born
                person.nhs_number = nhs_number(serial)
            else:
                person.expected_birth_date = "2027-01-20"
            created = stub.CreatePerson(pb.CreatePersonRequest(
                parent=c.name, person=person, request_id=f"demo-{family['ref']}-{given}"),
                metadata=lead).person
            children.append((created, category))
        for given, surname, born, relationship, factors in family["adults"]:
            stub.CreatePerson(pb.CreatePersonRequest(
                parent=c.name, request_id=f"demo-{family['ref']}-{given}",
                person=pb.Person(
                    kind=pb.PERSON_KIND_ADULT, given_name=given, family_name=surname,
                    birth_date=born, assessment_factors=factors,
                    relationships=[pb.RelationshipToChild(
                        child=child.name, parental_responsibility=relationship == "MOTHER",
                        relationship=pb.Relationship.Value(f"RELATIONSHIP_{relationship}"))
                        for child, _ in children])), metadata=lead)
        for practitioner, role in family["mdt"]:
            stub.AllocatePractitioner(pb.AllocatePractitionerRequest(
                parent=c.name, request_id=f"demo-{family['ref']}-{practitioner}",
                allocation=pb.Allocation(
                    practitioner=practitioner,
                    role=pb.FamilySafeguardingRole.Value(f"FAMILY_SAFEGUARDING_ROLE_{role}"))),
                metadata=lead)
        current = stub.GetCase(pb.GetCaseRequest(name=c.name), metadata=lead)
        for state in family["state"]:
            if pb.CaseState.Name(current.state) == f"CASE_STATE_{state}":
                continue
            if current.state == pb.CASE_STATE_REFERRAL or state != "ASSESSMENT":
                current = stub.ChangeCaseState(pb.ChangeCaseStateRequest(
                    name=c.name, etag=current.etag,
                    state=pb.CaseState.Value(f"CASE_STATE_{state}")), metadata=lead)
        for child, category in children:
            if category:
                stub.StartChildProtectionPlan(pb.StartChildProtectionPlanRequest(
                    parent=child.name, request_id=f"demo-plan-{child.name}",
                    plan=pb.ChildProtectionPlan(start_date="2026-10-01",
                                                initial_category_of_abuse=category,
                                                review_date="2027-01-01")), metadata=lead)
            if family.get("looked_after"):
                stub.StartLookedAfterEpisode(pb.StartLookedAfterEpisodeRequest(
                    parent=child.name, request_id=f"demo-la-{child.name}",
                    episode=pb.LookedAfterEpisode(start_date="2026-05-01", legal_status="C2")),
                    metadata=lead)
        cases_by_ref[family["ref"]] = c
        print(f"demo: {family['ref']} -> {c.name} ({pb.CaseState.Name(current.state)})")
    if args.workbook:
        load_workbook(args.workbook, stub, cases_by_ref)
    if args.supervision:
        load_supervision(args.supervision, cases_by_ref)
    if args.outcomes:
        import demo_outcomes
        demo_outcomes.load_outcomes(stub, args.outcomes, nhs_number, os.path.join(BUILD, "reports"))
    print("demo: sign in as e.g. x-fs-principal spiffe://fs.local/practitioner/sw.okafor, "
          f"x-fs-role social_worker, x-fs-team {TEAM}")


if __name__ == "__main__":
    main()
