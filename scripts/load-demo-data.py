#!/usr/bin/python3
"""Loads synthetic demo families into running services (insecure dev auth): cases into
case_records and, when --workbook is given, a worker's recordings into the workbook.

Every name, date and NHS number here is invented; NHS numbers are from the 999 test range.
Safe to run twice: creates carry request ids, so a second run finds what the first made.
Usage: load-demo-data.py --target 127.0.0.1:50051 [--workbook 127.0.0.1:50052]
"""
import argparse
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default="127.0.0.1:50051")
    parser.add_argument("--workbook", default="", help="workbook address; empty: skip")
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
    print("demo: sign in as e.g. x-fs-principal spiffe://fs.local/practitioner/sw.okafor, "
          f"x-fs-role social_worker, x-fs-team {TEAM}")


if __name__ == "__main__":
    main()
