#!/usr/bin/python3
"""A social worker's day through the API, against `make run` (insecure dev auth).

Run in a second terminal while `make run` is up: /usr/bin/python3 scripts/workers-day.py
It reads the demo data and records one home visit; run it again and it records another.
"""
import os
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, os.environ.get("FS_BUILD_DIR", "build"), "py"))

import grpc  # noqa: E402
from fs.cases.v1 import case_records_pb2 as pb  # noqa: E402
from fs.cases.v1 import case_records_pb2_grpc as rpc  # noqa: E402
from fs.workbook.v1 import workbook_pb2 as wb  # noqa: E402
from fs.workbook.v1 import workbook_pb2_grpc as wrpc  # noqa: E402
from google.protobuf import timestamp_pb2  # noqa: E402


def who(practitioner, role):
    return [("x-fs-principal", f"spiffe://fs.local/practitioner/{practitioner}"),
            ("x-fs-role", role), ("x-fs-team", "north-fs-1")]


SW = who("sw.okafor", "social_worker")
MANAGER = who("tm.patel", "team_manager")
PERPETRATOR_WORKER = who("da.perp.khan", "da_perpetrator_worker")

cases = rpc.CaseRecordsServiceStub(grpc.insecure_channel("127.0.0.1:50051"))
book = wrpc.WorkbookServiceStub(grpc.insecure_channel("127.0.0.1:50052"))

print("1. My caseload (case_records ListCaseload)")
caseload = cases.ListCaseload(pb.ListCaseloadRequest(), metadata=SW).items
for item in caseload:
    print(f"   {item.case.council_reference}  {pb.CaseState.Name(item.case.state)[11:]:<17} "
          f"{item.case.name}")
hartley = next(i.case for i in caseload if i.case.council_reference == "FS-2026-0001")

print("\n2. What happened lately on FS-2026-0001 (workbook ListEntries, newest first)")
for entry in book.ListEntries(wb.ListEntriesRequest(parent=hartley.name, page_size=10),
                              metadata=SW).entries:
    print(f"   {entry.occur_time.ToDatetime():%d %b} {wb.EntryKind.Name(entry.kind)[11:]:<20} "
          f"{wb.EntryState.Name(entry.state)[12:]:<10} {entry.title}")

print("\n3. Record today's home visit: a draft, then final (CreateEntry, FinaliseEntry)")
people = cases.ListPeople(pb.ListPeopleRequest(parent=hartley.name), metadata=SW).people
lily = next(p for p in people if p.given_name == "Lily")
now = timestamp_pb2.Timestamp()
now.FromSeconds(int(time.time()) - 3600)
draft = book.CreateEntry(wb.CreateEntryRequest(parent=hartley.name, entry=wb.Entry(
    kind=wb.ENTRY_KIND_HOME_VISIT, title="Home visit", occur_time=now, significant=True,
    subjects=[lily.name],
    text="Lily showed me her reading book and said she feels safe at the refuge.")), metadata=SW)
final = book.FinaliseEntry(wb.FinaliseEntryRequest(name=draft.name, etag=draft.etag),
                           metadata=SW)
print(f"   {final.name} is {wb.EntryState.Name(final.state)[12:]}, revision {final.revision}")

print("\n4. The manager signs it off (SignOffEntry)")
signed = book.SignOffEntry(wb.SignOffEntryRequest(name=final.name, etag=final.etag),
                           metadata=MANAGER)
print(f"   {wb.EntryState.Name(signed.state)[12:]} by {signed.signed_off_by}")

print("\n5. Search my caseload for 'refuge' (SearchEntries, ranked, highlighted)")
for result in book.SearchEntries(wb.SearchEntriesRequest(query="refuge"), metadata=SW).results:
    print(f"   {result.rank:.2f}  {result.entry.title}: {result.snippet_html}")

print("\n6. The DA perpetrator worker searches the same word: restricted notes stay hidden")
hidden = book.SearchEntries(wb.SearchEntriesRequest(query="refuge"), metadata=PERPETRATOR_WORKER)
print(f"   {hidden.total_size} results")

print("\n7. Lily's chronology for the conference (GetChronology, ExportChronology)")
chronology = book.GetChronology(wb.GetChronologyRequest(parent=lily.name), metadata=SW)
for item in chronology.items:
    when = datetime.fromtimestamp(item.occur_time.seconds, ZoneInfo("Europe/London"))
    what = (wb.EntryKind.Name(item.entry_kind)[11:] if item.entry
            else wb.ChronologyItemKind.Name(item.kind)[21:])
    print(f"   {when:%d %b %Y} {what:<31} {(item.title or item.text)[:60]}")
export = book.ExportChronology(wb.ExportChronologyRequest(parent=lily.name), metadata=SW)
path = os.path.join(REPO, os.environ.get("FS_BUILD_DIR", "build"), export.filename)
with open(path, "wb") as f:
    f.write(export.content)
print(f"   printable: {path} ({export.item_count} items)")

print("\n8. Kayleigh's parenting assessment, compiled from module work (GetParentingAssessment)")
walsh = cases.ListCases(pb.ListCasesRequest(), metadata=MANAGER).cases
walsh = next(c for c in walsh if c.council_reference == "FS-2026-0003")
assessor = who("pa.hughes", "parenting_assessor")
assessment = book.ListParentingAssessments(
    wb.ListParentingAssessmentsRequest(parent=walsh.name), metadata=assessor).parenting_assessments[0]
for work in assessment.modules:
    print(f"   module {work.module} {work.title}: {work.sessions} session(s)")
for trend in assessment.trends:
    print(f"   {trend.scale}: {trend.first} -> {trend.latest} ({trend.change:+d})")
