"""Synthetic history for the outcomes demo: about two and a half years of two teams' families,
built through case_records' API (referrals, children and adults, child protection plans,
looked-after episodes, closures and re-referrals), with police domestic-abuse reports and NHS
admissions sent to outcomes' partner intake. Families referred after the adoption date fare
better, so the evaluator's report has something to show; every figure in it is computed by the
service from these records, none is written here.

Deterministic (a seeded generator) and safe to run twice: creates carry request ids and partner
reports are idempotent by reference. Names and NHS numbers are invented (999 test range).
"""
import datetime
import os
import random
import time

import grpc
from fs.cases.v1 import case_records_pb2 as pb
from fs.outcomes.v1 import outcomes_pb2 as ob
from fs.outcomes.v1 import outcomes_pb2_grpc as orpc
from google.protobuf import timestamp_pb2

ADOPTION = datetime.date(2025, 11, 1)
FIRST_REFERRAL = datetime.date(2024, 5, 1)
TEAMS = {"north-fs-1": ["sw.okafor", "sw.mensah"], "south-fs-2": ["sw.quinn", "sw.rahman"]}
MANAGERS = {"north-fs-1": "tm.patel", "south-fs-2": "tm.obi"}
FAMILIES_PER_MONTH = 5
POLICE = [("x-fs-principal", "spiffe://fs.local/partner/police/HERTS")]
NHS = [("x-fs-principal", "spiffe://fs.local/partner/nhs/RWH")]
SURNAMES = ["Abbott", "Bennett", "Chapman", "Doyle", "Edwards", "Fletcher", "Gibson", "Hayes",
            "Irwin", "Jennings", "Knight", "Lowe", "Marsh", "Norris", "Osborne", "Palmer",
            "Reeves", "Shaw", "Turner", "Vaughan", "Walters", "Young"]
CHILDREN = ["Ava", "Ben", "Cara", "Dylan", "Erin", "Finn", "Gracie", "Harry", "Ivy", "Jack",
            "Kayla", "Liam", "Mia", "Nathan", "Olivia", "Reece", "Sophie", "Theo"]
ADULTS = ["Amanda", "Carly", "Donna", "Emma", "Hannah", "Jade", "Kirsty", "Lisa", "Rachel"]


def who(practitioner, team, role="social_worker"):
    return [("x-fs-principal", f"spiffe://fs.local/practitioner/{practitioner}"),
            ("x-fs-role", role), ("x-fs-team", team)]


def stamp(day, hour):
    ts = timestamp_pb2.Timestamp()
    ts.FromDatetime(datetime.datetime(day.year, day.month, day.day, hour))
    return ts


def iso(day):
    return day.isoformat()


class History:
    def __init__(self, cases, outcomes, nhs_number, today):
        self.cases = cases
        self.intake = orpc.PartnerIntakeServiceStub(outcomes)
        self.nhs_number = nhs_number
        self.today = today
        self.rng = random.Random(2026)
        self.serial = 5000
        self.reports = 0

    def past(self, day):
        return day < self.today

    def family(self, n, referral, team):
        rng = self.rng
        after = referral >= ADOPTION
        lead = rng.choice(TEAMS[team])
        as_lead = who(lead, team)
        manager = who(MANAGERS[team], team, "team_manager")
        ref = f"FS-H-{n:04d}"
        surname = SURNAMES[n % len(SURNAMES)]
        c = self.cases.CreateCase(pb.CreateCaseRequest(
            request_id=f"demo-history-{ref}",
            case=pb.Case(council_reference=ref, referral_date=iso(referral),
                         referral_source=rng.choice(["6", "3E", "1A", "5A"]),
                         primary_need_code="N1", team=team, lead_social_worker=lead)),
            metadata=as_lead)
        da, substance, mental_health = (rng.random() < 0.6, rng.random() < 0.35,
                                        rng.random() < 0.4)
        factors = (["3B"] if da else []) + (["2B"] if substance else []) + (
            ["4B"] if mental_health else [])
        # nhs_number() moves past invalid serials: keep the two far enough apart not to meet.
        self.serial += 10
        adult_nhs = self.nhs_number(self.serial)
        self.cases.CreatePerson(pb.CreatePersonRequest(
            parent=c.name, request_id=f"demo-history-{ref}-adult",
            person=pb.Person(kind=pb.PERSON_KIND_ADULT, given_name=ADULTS[n % len(ADULTS)],
                             family_name=surname, birth_date=f"19{82 + n % 15}-0{1 + n % 9}-15",
                             nhs_number=adult_nhs, assessment_factors=factors)),
            metadata=as_lead)
        child_nhs = self.nhs_number(self.serial + 5)
        child = self.cases.CreatePerson(pb.CreatePersonRequest(
            parent=c.name, request_id=f"demo-history-{ref}-child",
            person=pb.Person(kind=pb.PERSON_KIND_CHILD, given_name=CHILDREN[n % len(CHILDREN)],
                             family_name=surname, birth_date=f"20{10 + n % 13}-0{1 + n % 9}-2{n % 8}",
                             nhs_number=child_nhs, gender_current=1 + n % 2,
                             la_child_id=f"LAH{n:05d}")),
            metadata=as_lead).person

        # Before adoption more children go onto plans and into care, and stay longer.
        plan_start = plan_end = care_start = care_end = None
        if rng.random() < (0.30 if after else 0.50):
            plan_start = referral + datetime.timedelta(days=rng.randint(20, 60))
            plan_end = plan_start + datetime.timedelta(days=rng.randint(150, 330))
        if rng.random() < (0.05 if after else 0.14):
            care_start = referral + datetime.timedelta(days=rng.randint(30, 120))
            care_end = care_start + datetime.timedelta(days=rng.randint(90, 300))
        closure = referral + datetime.timedelta(days=rng.randint(200, 420))
        if plan_start and self.past(plan_start):
            plan = self.cases.StartChildProtectionPlan(pb.StartChildProtectionPlanRequest(
                parent=child.name, request_id=f"demo-history-plan-{ref}",
                plan=pb.ChildProtectionPlan(start_date=iso(plan_start),
                                            initial_category_of_abuse=rng.choice(
                                                ["NEG", "EMO", "PHY"]))), metadata=manager)
            if self.past(plan_end) and plan.end_date == "":
                self.cases.EndChildProtectionPlan(pb.EndChildProtectionPlanRequest(
                    name=plan.name, end_date=iso(plan_end)), metadata=manager)
            closure = max(closure, plan_end + datetime.timedelta(days=14))
        if care_start and self.past(care_start):
            episode = self.cases.StartLookedAfterEpisode(pb.StartLookedAfterEpisodeRequest(
                parent=child.name, request_id=f"demo-history-la-{ref}",
                episode=pb.LookedAfterEpisode(start_date=iso(care_start), legal_status="C2")),
                metadata=manager)
            # Some children are still in care when the case closes (no closure then: the
            # service keeps the case open while the child is looked after).
            if self.past(care_end) and episode.end_date == "":
                self.cases.EndLookedAfterEpisode(pb.EndLookedAfterEpisodeRequest(
                    name=episode.name, end_date=iso(care_end), reason_ended="E13"),
                    metadata=manager)
            closure = max(closure, care_end + datetime.timedelta(days=7))

        # Police call-outs and admissions after the referral, fewer once the family works with
        # the MDT; sent once outcomes knows the family (report_partners), before any closure.
        reports = []
        calls = sum(rng.random() < (0.25 if after else 0.6) for _ in range(3)) if da else 0
        for k in range(calls):
            day = referral + datetime.timedelta(days=rng.randint(10, 330))
            if self.past(day) and day < closure:
                reports.append(("police", f"HERTS-H{n:04d}-{k}", day))
        admissions = sum(rng.random() < (0.2 if after else 0.45) for _ in range(2)) if (
            substance or mental_health) else 0
        for k in range(admissions):
            day = referral + datetime.timedelta(days=rng.randint(10, 330))
            if self.past(day) and day < closure:
                reports.append(("nhs", f"RWH-H{n:04d}-{k}", day))
        return {"case": c.name, "lead": lead, "team": team, "child": child, "surname": surname,
                "child_nhs": child_nhs, "adult_nhs": adult_nhs, "substance": substance,
                "reports": reports, "closure": closure, "after": after}

    def report_partners(self, f):
        for kind, reference, day in f["reports"]:
            if kind == "police":
                self.police(reference, day, f["child"], f["surname"], f["child_nhs"])
            else:
                self.admit(reference, day, f["adult_nhs"], f["substance"])

    def close(self, f):
        rng = self.rng
        manager = who(MANAGERS[f["team"]], f["team"], "team_manager")
        closure = f["closure"]
        current = self.cases.GetCase(pb.GetCaseRequest(name=f["case"]), metadata=manager)
        if self.past(closure) and current.state != pb.CASE_STATE_CLOSED:
            current = self.cases.CloseCase(pb.CloseCaseRequest(
                name=f["case"], etag=current.etag, reason_for_closure=rng.choice(["RC1", "RC8"]),
                closure_date=iso(closure)), metadata=manager)
            # Re-referrals: fewer after adoption.
            back = closure + datetime.timedelta(days=rng.randint(60, 300))
            if rng.random() < (0.08 if f["after"] else 0.2) and self.past(back):
                self.cases.ReopenCase(pb.ReopenCaseRequest(
                    name=f["case"], etag=current.etag, referral_date=iso(back),
                    referral_source="6", lead_social_worker=f["lead"]), metadata=manager)

    def police(self, reference, day, child, surname, child_nhs):
        report = ob.ReportDomesticAbuseIncidentRequest(
            police_reference=reference, incident_time=stamp(day, 22), place="Home address",
            children=[ob.IncidentChild(given_name=child.given_name, family_name=surname,
                                       birth_date=child.birth_date, nhs_number=child_nhs,
                                       present=True)],
            adults=[ob.IncidentAdult(given_name="Partner", family_name=surname,
                                     role=ob.ADULT_ROLE_PERPETRATOR)],
            circumstances="Synthetic demo incident", officer="PC 0000 Demo")
        self.intake.ReportDomesticAbuseIncident(report, metadata=POLICE)
        self.reports += 1

    def admit(self, reference, day, nhs, substance):
        self.intake.ReportEmergencyAdmission(ob.ReportEmergencyAdmissionRequest(
            episode_reference=reference, nhs_number=nhs, date=iso(day),
            kind=ob.ADMISSION_KIND_AE_ATTENDANCE,
            reason=ob.REASON_CATEGORY_ALCOHOL if substance else
            ob.REASON_CATEGORY_MENTAL_HEALTH_CRISIS), metadata=NHS)
        self.reports += 1


def open_cases_now(stub, admin):
    report = stub.GetIndicators(ob.GetIndicatorsRequest(indicators=[ob.INDICATOR_OPEN_CASES]),
                                metadata=admin)
    return report.series[0].months[-1].value


def wait_until_settled(stub, admin, at_least, timeout=90):
    """Waits until outcomes counts at least `at_least` open cases and the count holds still (the
    relay delivers case_records' events within a second or two)."""
    deadline = time.time() + timeout
    last, steady = -1, 0
    while time.time() < deadline:
        now = open_cases_now(stub, admin)
        steady = steady + 1 if now == last and now >= at_least else 0
        if steady >= 4:
            return True
        last = now
        time.sleep(0.5)
    return False


def load_outcomes(cases_stub, outcomes_target, nhs_number, report_dir):
    """Builds the history, sends the partners' reports and writes the evaluator's report."""
    outcomes = grpc.insecure_channel(outcomes_target)
    grpc.channel_ready_future(outcomes).result(timeout=30)
    today = datetime.date.today()
    history = History(cases_stub, outcomes, nhs_number, today)
    stub = orpc.OutcomesServiceStub(outcomes)
    admin = who("admin.demo", "council", "administrator")
    families = []
    month = FIRST_REFERRAL
    while month < today.replace(day=1):
        for k in range(FAMILIES_PER_MONTH):
            referral = month + datetime.timedelta(days=3 + 5 * k)
            if referral < today:
                n = len(families)
                team = "north-fs-1" if (n % 2 == 0) else "south-fs-2"
                families.append(history.family(n, referral, team))
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    n = len(families)
    # Partners' reports match only people of open cases outcomes already knows of.
    if not wait_until_settled(stub, admin, n):
        print("demo: WARNING: outcomes had not caught up with case_records; reports may wait at "
              "the front door")
    for f in families:
        history.report_partners(f)
    for f in families:
        history.close(f)
    # Two incidents no open case matches: the front door's queue.
    for k, (given, surname) in enumerate([("Kai", "Unmatched"), ("Lola", "Notknown")]):
        report = ob.ReportDomesticAbuseIncidentRequest(
            police_reference=f"HERTS-FD-{k}", incident_time=stamp(today, 1), place="Unknown",
            children=[ob.IncidentChild(given_name=given, family_name=surname,
                                       birth_date="2016-04-04", present=False)],
            circumstances="Synthetic demo incident")
        history.intake.ReportDomesticAbuseIncident(report, metadata=POLICE)
    print(f"demo: outcomes history: {n} families since {FIRST_REFERRAL}, "
          f"{history.reports} police and NHS reports; adoption {ADOPTION}")
    # The closures reach outcomes like everything else: wait for the count to settle.
    wait_until_settled(stub, admin, 0)
    this_month = today.replace(day=1)
    from_month = f"{FIRST_REFERRAL.year:04d}-{FIRST_REFERRAL.month:02d}"
    to_month = f"{this_month.year:04d}-{this_month.month:02d}"
    os.makedirs(report_dir, exist_ok=True)
    written = []
    for fmt, suffix in [(ob.EXPORT_FORMAT_HTML, "html"), (ob.EXPORT_FORMAT_CSV, "csv"),
                        (ob.EXPORT_FORMAT_JSON, "json")]:
        exported = stub.ExportOutcomes(ob.ExportOutcomesRequest(
            format=fmt,
            indicators=ob.GetIndicatorsRequest(from_month=from_month, to_month=to_month),
            comparison=ob.CompareOutcomesRequest(adoption_date=ADOPTION.isoformat(), months=12)),
            metadata=admin)
        path = os.path.join(report_dir, f"outcomes-council.{suffix}")
        with open(path, "wb") as f:
            f.write(exported.content)
        written.append(path)
    print("demo: the evaluator's report: " + written[0])
    return written
