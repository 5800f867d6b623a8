#!/usr/bin/python3
"""Loads synthetic demo families into a running case_records service (insecure dev auth).

Every name, date and NHS number here is invented; NHS numbers are from the 999 test range.
Safe to run twice: creates carry request ids, so a second run finds what the first made.
Usage: load-demo-data.py --target 127.0.0.1:50051
"""
import argparse
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(REPO, os.environ.get("FS_BUILD_DIR", "build"))
subprocess.run([os.path.join(REPO, "scripts", "gen-python.sh")], check=True,
               stdout=subprocess.DEVNULL)
sys.path.insert(0, os.path.join(BUILD, "py"))

import grpc  # noqa: E402
from fs.cases.v1 import case_records_pb2 as pb  # noqa: E402
from fs.cases.v1 import case_records_pb2_grpc as rpc  # noqa: E402

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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", default="127.0.0.1:50051")
    args = parser.parse_args()
    channel = grpc.insecure_channel(args.target)
    grpc.channel_ready_future(channel).result(timeout=30)
    stub = rpc.CaseRecordsServiceStub(channel)
    serial = 100
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
        print(f"demo: {family['ref']} -> {c.name} ({pb.CaseState.Name(current.state)})")
    print("demo: sign in as e.g. x-fs-principal spiffe://fs.local/practitioner/sw.okafor, "
          f"x-fs-role social_worker, x-fs-team {TEAM}")


if __name__ == "__main__":
    main()
