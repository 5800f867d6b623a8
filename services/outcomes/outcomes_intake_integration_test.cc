// Police and NHS intake and the front door, over gRPC against real PostgreSQL: matching by NHS
// number and by name and birth date (through case_records' name match keys), the lead worker's
// alert in case_records, idempotency under parallel resends, what partners may see, and errors.
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/idempotency.h"
#include "services/outcomes/outcomes_integration_fixture.h"

namespace fs::outcomes {
namespace {

using ::testing::HasSubstr;

class IntakeTest : public OutcomesTest {
 protected:
  // An open case with a child (Zoë O'Brien, 2019-03-07, kNhs1), known to outcomes.
  cv1::Case FamilyWithChild(cv1::Person* child = nullptr) {
    cv1::Case c = NewCase();
    cv1::Person p = NewChild(c);
    if (child) *child = p;
    Sync();
    return Fetch(c.name());
  }

  std::vector<cv1::Alert> IncidentAlerts(const As& who) {
    std::vector<cv1::Alert> out;
    for (const auto& a : Alerts(who)) {
      if (absl::StrContains(a.message(), "domestic abuse incident")) out.push_back(a);
    }
    return out;
  }

  std::vector<ov1::FrontDoorItem> Waiting() {
    ov1::ListFrontDoorItemsRequest request;
    ov1::ListFrontDoorItemsResponse response;
    auto status = outcomes_->ListFrontDoorItems(ContextFor(kFrontDoor).get(), request, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return {response.items().begin(), response.items().end()};
  }
};

TEST_F(IntakeTest, MatchByNhsNumberAlertsTheLeadWorker) {
  cv1::Person child;
  cv1::Case c = FamilyWithChild(&child);
  ov1::IntakeAcknowledgement ack;
  auto status =
      Report(kPolice, Incident("HERTS-001", "Someone", "Else", "2019-03-07", "943 476 5919"), &ack);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_THAT(ack.name(), ::testing::StartsWith("incidents/"));
  EXPECT_EQ(ack.reference(), "HERTS-001");
  EXPECT_EQ(ack.organisation(), "HERTS");
  EXPECT_EQ(ack.people(), 1);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.incident_matches WHERE matched_by = "
                          "'NHS_NUMBER'"),
            1);
  EXPECT_TRUE(Waiting().empty());

  EXPECT_TRUE(IncidentAlerts(kLead).empty());  // not before the relay delivers
  SyncBack();
  auto alerts = IncidentAlerts(kLead);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].case_(), c.name());
  EXPECT_EQ(alerts[0].person(), child.name());
  EXPECT_THAT(alerts[0].message(), HasSubstr("HERTS-001"));
  EXPECT_THAT(alerts[0].message(), HasSubstr("the child was present"));
  EXPECT_THAT(alerts[0].message(), HasSubstr(ack.name()));
  // Nobody else on the team is alerted.
  EXPECT_TRUE(IncidentAlerts(kManager).empty());
}

TEST_F(IntakeTest, MatchByNameAndBirthDateTolerantOfSpellingOrderAndSwappedDate) {
  cv1::Person child;
  FamilyWithChild(&child);
  // No NHS number; accents, apostrophes and case differ; given and family names swapped; day
  // and month swapped.
  ASSERT_TRUE(Report(kPolice, Incident("HERTS-002", "zoe", "OBRIEN", "2019-03-07")).ok());
  ASSERT_TRUE(Report(kPolice, Incident("HERTS-003", "O'Brien", "Zoe", "2019-07-03")).ok());
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.incident_matches WHERE matched_by = "
                          "'NAME_AND_BIRTH_DATE'"),
            2);
  SyncBack();
  EXPECT_EQ(IncidentAlerts(kLead).size(), 2u);
  // Another birth date or another name is not this child: both wait at the front door.
  ASSERT_TRUE(Report(kPolice, Incident("HERTS-004", "Zoe", "OBrien", "2019-03-08")).ok());
  ASSERT_TRUE(Report(kPolice, Incident("HERTS-005", "Zoey", "OBrien", "2019-03-07")).ok());
  EXPECT_EQ(Waiting().size(), 2u);
}

TEST_F(IntakeTest, NamesNeverTravelOnlyKeyedHashes) {
  FamilyWithChild();
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.people WHERE length(name_match_key) = 64"),
            1);
  // The key is not a plain hash of the name: only holders of the secret can compute it.
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.people WHERE name_match_key = "
                          "encode(sha256(convert_to('obrien' || chr(31) || 'zoe' || chr(31) || "
                          "'2019-03-07', 'UTF8')), 'hex')"),
            0);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                          "'outcomes' AND table_name = 'people' AND column_name LIKE '%name' "
                          "AND column_name <> 'name_match_key'"),
            0);
}

// A case closed on 1 November: an incident after it matches nothing; one of 15 October reported
// late counts for the case (it was open that day) but, with no lead to alert, waits at the front
// door too.
TEST_F(IntakeTest, ClosedCasesCountLateReportsButAlertNobody) {
  cv1::Case c = FamilyWithChild();
  ASSERT_TRUE(Close(kManager, c, "RC1").ok());
  Sync();
  ASSERT_TRUE(Report(kPolice, Incident("HERTS-010", "Zoe", "OBrien", "2019-03-07", kNhs1)).ok());
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.incident_matches"), 0);
  EXPECT_EQ(Waiting().size(), 1u);

  auto late = Incident("HERTS-011", "Zoe", "OBrien", "2019-03-07");
  absl::TimeZone london;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/London", &london));
  *late.mutable_incident_time() =
      Ts(absl::FromCivil(absl::CivilSecond(2026, 10, 15, 22, 0, 0), london));
  ASSERT_TRUE(Report(kPolice, late).ok());
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.incident_matches WHERE incident_day = "
                          "'2026-10-15'"),
            1);
  EXPECT_EQ(Waiting().size(), 2u);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.outbox"), 0);  // no alert
}

TEST_F(IntakeTest, UnmatchedIncidentWaitsForTheFrontDoorUntilTheNextWorkingDay) {
  ov1::IntakeAcknowledgement ack;
  ASSERT_TRUE(Report(kPolice, Incident("HERTS-020", "Ann", "Nobody", "2018-01-01"), &ack).ok());
  auto items = Waiting();
  ASSERT_EQ(items.size(), 1u);
  const auto& item = items[0];
  EXPECT_EQ(item.incident(), ack.name());
  EXPECT_EQ(item.state(), ov1::FRONT_DOOR_STATE_WAITING);
  EXPECT_EQ(item.police_reference(), "HERTS-020");
  EXPECT_EQ(item.force(), "HERTS");
  ASSERT_EQ(item.children_size(), 1);
  EXPECT_EQ(item.children(0).child_said(), "I hid upstairs");
  // Respond by 09:00 in England on the next working day after receipt.
  absl::TimeZone london;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/London", &london));
  absl::Time received =
      absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(item.receive_time()));
  absl::Time respond_by =
      absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(item.respond_by()));
  absl::CivilSecond due = absl::ToCivilSecond(respond_by, london);
  EXPECT_EQ(due.hour(), 9);
  EXPECT_EQ(due.minute(), 0);
  absl::Weekday weekday = absl::GetWeekday(absl::CivilDay(due));
  EXPECT_NE(weekday, absl::Weekday::saturday);
  EXPECT_NE(weekday, absl::Weekday::sunday);
  EXPECT_GT(respond_by, received);
  EXPECT_LT(respond_by - received, absl::Hours(24 * 7));

  // Overdue once that time has passed.
  ov1::ListFrontDoorItemsResponse listed;
  auto context = ContextFor(kFrontDoor);
  ASSERT_TRUE(outcomes_->ListFrontDoorItems(context.get(), {}, &listed).ok());
  EXPECT_EQ(listed.waiting_count(), 1);
  EXPECT_EQ(listed.overdue_count(), 0);
  clock_offset_seconds = absl::ToInt64Seconds(respond_by - absl::Now()) + 60;
  context = ContextFor(kFrontDoor);
  ASSERT_TRUE(outcomes_->ListFrontDoorItems(context.get(), {}, &listed).ok());
  EXPECT_EQ(listed.overdue_count(), 1);
}

TEST_F(IntakeTest, FrontDoorLinksAPersonAndTheLeadIsAlertedOnce) {
  cv1::Person child;
  cv1::Case c = FamilyWithChild(&child);
  ASSERT_TRUE(Report(kPolice, Incident("HERTS-030", "Zed", "Unknown", "2019-03-07")).ok());
  auto items = Waiting();
  ASSERT_EQ(items.size(), 1u);

  ov1::ResolveFrontDoorItemRequest request;
  request.set_name(items[0].name());
  request.set_etag(items[0].etag());
  request.set_linked_person(child.name());
  request.set_reason("Known as Zed at school; same address");
  ov1::FrontDoorItem resolved;
  // Only the front door team.
  auto refused = outcomes_->ResolveFrontDoorItem(ContextFor(kLead).get(), request, &resolved);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // A stale etag.
  request.set_etag("v99");
  auto stale = outcomes_->ResolveFrontDoorItem(ContextFor(kFrontDoor).get(), request, &resolved);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED) << Describe(stale);
  request.set_etag(items[0].etag());
  auto status = outcomes_->ResolveFrontDoorItem(ContextFor(kFrontDoor).get(), request, &resolved);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(resolved.state(), ov1::FRONT_DOOR_STATE_LINKED);
  EXPECT_EQ(resolved.linked_person(), child.name());
  EXPECT_EQ(resolved.resolved_by(), kFrontDoor.practitioner);
  EXPECT_NE(resolved.etag(), items[0].etag());
  EXPECT_TRUE(Waiting().empty());
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.incident_matches WHERE matched_by = "
                          "'FRONT_DOOR'"),
            1);

  // Once only.
  request.set_etag(resolved.etag());
  auto again = outcomes_->ResolveFrontDoorItem(ContextFor(kFrontDoor).get(), request, &resolved);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  SyncBack();
  auto alerts = IncidentAlerts(kLead);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].case_(), c.name());
  EXPECT_THAT(alerts[0].message(), HasSubstr("HERTS-030"));
}

TEST_F(IntakeTest, FrontDoorNoFurtherActionAndErrors) {
  ASSERT_TRUE(Report(kPolice, Incident("HERTS-040", "Ann", "Nobody", "2018-01-01")).ok());
  auto item = Waiting().at(0);
  auto resolve = [&](ov1::ResolveFrontDoorItemRequest r) {
    ov1::FrontDoorItem out;
    return outcomes_->ResolveFrontDoorItem(ContextFor(kFrontDoor).get(), r, &out);
  };
  ov1::ResolveFrontDoorItemRequest r;
  r.set_name(item.name());
  r.set_etag(item.etag());
  r.set_reason("Family lives in another council: passed to them");
  // Neither or both of a person and no further action.
  EXPECT_TRUE(InvalidNaming(resolve(r), "linked_person"));
  auto both = r;
  both.set_no_further_action(true);
  both.set_linked_person("cases/x/people/y");
  EXPECT_TRUE(InvalidNaming(resolve(both), "linked_person"));
  auto no_reason = r;
  no_reason.set_no_further_action(true);
  no_reason.set_reason("");
  EXPECT_TRUE(InvalidNaming(resolve(no_reason), "reason"));
  auto no_etag = r;
  no_etag.set_no_further_action(true);
  no_etag.set_etag("");
  EXPECT_TRUE(InvalidNaming(resolve(no_etag), "etag"));
  auto bad_name = r;
  bad_name.set_no_further_action(true);
  bad_name.set_name("frontDoorItems/not-a-uuid");
  EXPECT_TRUE(InvalidNaming(resolve(bad_name), "name"));
  auto missing = r;
  missing.set_no_further_action(true);
  missing.set_name("frontDoorItems/00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(resolve(missing).error_code(), grpc::StatusCode::NOT_FOUND);
  auto not_open = r;
  not_open.set_linked_person("cases/nope/people/nobody");
  EXPECT_EQ(resolve(not_open).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  r.set_no_further_action(true);
  ASSERT_TRUE(resolve(r).ok());
  ov1::GetFrontDoorItemRequest get;
  get.set_name(item.name());
  ov1::FrontDoorItem got;
  ASSERT_TRUE(outcomes_->GetFrontDoorItem(ContextFor(kFrontDoor).get(), get, &got).ok());
  EXPECT_EQ(got.state(), ov1::FRONT_DOOR_STATE_NO_FURTHER_ACTION);
  EXPECT_EQ(got.resolution_reason(), r.reason());
  EXPECT_TRUE(got.has_resolve_time());
  EXPECT_TRUE(Waiting().empty());
  ov1::ListFrontDoorItemsRequest all;
  all.set_include_resolved(true);
  ov1::ListFrontDoorItemsResponse listed;
  ASSERT_TRUE(outcomes_->ListFrontDoorItems(ContextFor(kFrontDoor).get(), all, &listed).ok());
  EXPECT_EQ(listed.items_size(), 1);
  EXPECT_EQ(listed.waiting_count(), 0);
  EXPECT_EQ(outcomes_->GetFrontDoorItem(ContextFor(kStranger).get(), get, &got).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(IntakeTest, ResendReturnsTheFirstResultAndDifferentContentIsRefused) {
  FamilyWithChild();
  auto report = Incident("HERTS-050", "Zoe", "OBrien", "2019-03-07", kNhs1);
  ov1::IntakeAcknowledgement first, second;
  ASSERT_TRUE(Report(kPolice, report, &first).ok());
  ASSERT_TRUE(Report(kPolice, report, &second).ok());
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  // The NHS number written with spaces is the same report.
  auto spaced = report;
  spaced.mutable_children(0)->set_nhs_number("943 476 5919");
  ASSERT_TRUE(Report(kPolice, spaced, &second).ok());
  EXPECT_EQ(second.name(), first.name());
  auto changed = report;
  changed.set_circumstances("Something else");
  auto status = Report(kPolice, changed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << Describe(status);
  EXPECT_THAT(status.error_message(), HasSubstr("HERTS-050"));
  // Another force may use the same reference: a different incident.
  ov1::IntakeAcknowledgement other;
  ASSERT_TRUE(Report(kOtherPolice, report, &other).ok());
  EXPECT_NE(other.name(), first.name());
  SyncBack();
  EXPECT_EQ(IncidentAlerts(kLead).size(), 2u);  // one per incident, none for the resends
}

TEST_F(IntakeTest, ParallelResendsStoreOneIncidentAndOneAlert) {
  FamilyWithChild();
  auto report = Incident("HERTS-060", "Zoe", "OBrien", "2019-03-07", kNhs1);
  constexpr int kSenders = 8;
  std::vector<ov1::IntakeAcknowledgement> acks(kSenders);
  std::vector<grpc::Status> statuses(kSenders);
  InParallel(kSenders, [&](int i) { statuses[i] = Report(kPolice, report, &acks[i]); });
  std::set<std::string> names;
  for (int i = 0; i < kSenders; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << Describe(statuses[i]);
    names.insert(acks[i].name());
  }
  EXPECT_EQ(names.size(), 1u);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.incidents"), 1);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.incident_matches"), 1);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.outbox"), 1);
  SyncBack();
  EXPECT_EQ(IncidentAlerts(kLead).size(), 1u);
}

TEST_F(IntakeTest, PartnersSeeOnlyTheirOwnAcknowledgements) {
  ov1::IntakeAcknowledgement ack;
  ASSERT_TRUE(Report(kPolice, Incident("HERTS-070", "Ann", "Nobody", "2018-01-01"), &ack).ok());
  ASSERT_TRUE(Report(kPolice, Incident("HERTS-071", "Bob", "Nobody", "2018-01-01")).ok());
  ASSERT_TRUE(Report(kOtherPolice, Incident("BEDS-001", "Cy", "Nobody", "2018-01-01")).ok());

  ov1::GetIntakeAcknowledgementRequest get;
  get.set_reference("HERTS-070");
  ov1::IntakeAcknowledgement got;
  ASSERT_TRUE(
      intake_->GetIntakeAcknowledgement(ContextForPrincipal(kPolice).get(), get, &got).ok());
  EXPECT_EQ(got.name(), ack.name());
  // Another force's reference is simply not found.
  EXPECT_EQ(intake_->GetIntakeAcknowledgement(ContextForPrincipal(kOtherPolice).get(), get, &got)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(
      intake_->GetIntakeAcknowledgement(ContextForPrincipal(kNhs).get(), get, &got).error_code(),
      grpc::StatusCode::NOT_FOUND);
  // Practitioners and services do not read partners' acknowledgements.
  EXPECT_EQ(intake_->GetIntakeAcknowledgement(ContextFor(kManager).get(), get, &got).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Listing: newest first, paged, own only.
  ov1::ListIntakeAcknowledgementsRequest list;
  list.set_page_size(1);
  ov1::ListIntakeAcknowledgementsResponse page;
  ASSERT_TRUE(
      intake_->ListIntakeAcknowledgements(ContextForPrincipal(kPolice).get(), list, &page).ok());
  ASSERT_EQ(page.acknowledgements_size(), 1);
  EXPECT_EQ(page.acknowledgements(0).reference(), "HERTS-071");
  ASSERT_FALSE(page.next_page_token().empty());
  list.set_page_token(page.next_page_token());
  ASSERT_TRUE(
      intake_->ListIntakeAcknowledgements(ContextForPrincipal(kPolice).get(), list, &page).ok());
  ASSERT_EQ(page.acknowledgements_size(), 1);
  EXPECT_EQ(page.acknowledgements(0).reference(), "HERTS-070");
  EXPECT_TRUE(page.next_page_token().empty());
  list.Clear();
  ASSERT_TRUE(
      intake_->ListIntakeAcknowledgements(ContextForPrincipal(kOtherPolice).get(), list, &page)
          .ok());
  ASSERT_EQ(page.acknowledgements_size(), 1);
  EXPECT_EQ(page.acknowledgements(0).reference(), "BEDS-001");
  list.set_page_token("garbage");
  EXPECT_EQ(intake_->ListIntakeAcknowledgements(ContextForPrincipal(kPolice).get(), list, &page)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(IntakeTest, PartnersReachNothingElse) {
  auto report = Incident("X-1", "Ann", "Nobody", "2018-01-01");
  // Only police report incidents, only the NHS admissions.
  EXPECT_EQ(Report(kNhs, report).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Report("service/workbook", report).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ov1::IntakeAcknowledgement ignored;
  EXPECT_EQ(intake_->ReportDomesticAbuseIncident(ContextFor(kManager).get(), report, &ignored)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Admit(kPolice, Admission("E-1", kNhs1, "2026-11-01")).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The council's side is practitioners' only.
  for (const char* partner : {kPolice, kNhs}) {
    ov1::ListFrontDoorItemsResponse items;
    EXPECT_EQ(
        outcomes_->ListFrontDoorItems(ContextForPrincipal(partner).get(), {}, &items).error_code(),
        grpc::StatusCode::PERMISSION_DENIED);
    ov1::IndicatorReport figures;
    EXPECT_EQ(
        outcomes_->GetIndicators(ContextForPrincipal(partner).get(), {}, &figures).error_code(),
        grpc::StatusCode::PERMISSION_DENIED);
  }
  // Refusals are audited.
  EXPECT_GE(OutcomesCount("SELECT count(*) FROM outcomes.audit_log WHERE outcome = "
                          "'PERMISSION_DENIED'"),
            7);
}

TEST_F(IntakeTest, BadIncidentsAreRefusedNamingTheField) {
  auto check = [&](const std::function<void(ov1::ReportDomesticAbuseIncidentRequest&)>& spoil,
                   const std::string& field) {
    auto r = Incident("HERTS-BAD", "Ann", "Nobody", "2018-01-01");
    spoil(r);
    EXPECT_TRUE(InvalidNaming(Report(kPolice, r), field)) << field;
  };
  check([](auto& r) { r.clear_police_reference(); }, "police_reference");
  check([](auto& r) { r.set_police_reference(std::string(65, 'X')); }, "police_reference");
  check([](auto& r) { r.clear_incident_time(); }, "incident_time");
  check([](auto& r) { *r.mutable_incident_time() = Ts(absl::Now() + absl::Hours(2)); },
        "incident_time");
  check([](auto& r) { r.mutable_incident_time()->set_nanos(-1); }, "incident_time");
  check([](auto& r) { r.clear_place(); }, "place");
  check([](auto& r) { r.clear_children(); }, "children");
  check([](auto& r) { r.mutable_children(0)->clear_family_name(); }, "children[0].family_name");
  check([](auto& r) { r.mutable_children(0)->set_birth_date("2018-02-30"); },
        "children[0].birth_date");
  check([](auto& r) { r.mutable_children(0)->set_birth_date("2099-01-01"); },
        "children[0].birth_date");
  check([](auto& r) { r.mutable_children(0)->set_nhs_number("1234567890"); },
        "children[0].nhs_number");
  check([](auto& r) { r.mutable_children(0)->set_child_said(std::string("a\0b", 3)); },
        "children[0].child_said");
  check([](auto& r) { r.mutable_adults(0)->set_role(ov1::ADULT_ROLE_UNSPECIFIED); },
        "adults[0].role");
  check([](auto& r) { r.mutable_adults(0)->set_role(static_cast<ov1::AdultRole>(42)); },
        "adults[0].role");
  check(
      [](auto& r) {
        for (int i = 0; i < 21; ++i) *r.add_children() = r.children(0);
      },
      "children");
  // Nothing was stored.
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.incidents"), 0);
}

// NHS feeds run days late: an admission counts when the case was open on its day (closure day
// included), whenever it is reported.
TEST_F(IntakeTest, LateAdmissionsCountForTheDayTheyHappened) {
  cv1::Case c = NewCase();  // referred 2026-09-01
  auto adult = Adult("Pat", "Parent");
  adult.set_nhs_number(kNhs2);
  AddPerson(c, adult);
  ASSERT_TRUE(Close(kManager, Fetch(c.name()), "RC1").ok());  // closed 2026-11-01
  Sync();
  ASSERT_TRUE(Admit(kNhs, Admission("RWH-L-1", kNhs2, "2026-10-20")).ok());
  ASSERT_TRUE(Admit(kNhs, Admission("RWH-L-2", kNhs2, "2026-11-01")).ok());
  ASSERT_TRUE(Admit(kNhs, Admission("RWH-L-3", kNhs2, "2026-11-02")).ok());
  ASSERT_TRUE(Admit(kNhs, Admission("RWH-L-4", kNhs2, "2026-08-31")).ok());
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.admission_matches"), 2);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.admission_matches WHERE admission_date "
                          "IN ('2026-10-20', '2026-11-01')"),
            2);
}

TEST_F(IntakeTest, AdmissionsOfPeopleOnOpenCasesAreKeptIdempotently) {
  cv1::Case c = NewCase();
  auto adult = Adult("Pat", "Parent");
  adult.set_nhs_number(::fs::cases::kNhs2);
  AddPerson(c, adult);
  Sync();
  auto report = Admission("RWH-EP-1", "999 000 0018", "2026-11-02");
  ov1::IntakeAcknowledgement first, again;
  ASSERT_TRUE(Admit(kNhs, report, &first).ok());
  EXPECT_THAT(first.name(), ::testing::StartsWith("admissions/"));
  EXPECT_EQ(first.organisation(), "RWH");
  ASSERT_TRUE(Admit(kNhs, report, &again).ok());
  EXPECT_EQ(again.name(), first.name());
  auto changed = report;
  changed.set_reason(ov1::REASON_CATEGORY_INJURY);
  EXPECT_EQ(Admit(kNhs, changed).error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.admission_matches"), 1);

  // Someone on no open case: acknowledged, counted nowhere, and the NHS number is not kept.
  ASSERT_TRUE(Admit(kNhs, Admission("RWH-EP-2", ::fs::cases::kNhs3, "2026-11-02")).ok());
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.admissions"), 2);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.admission_matches"), 1);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM information_schema.columns WHERE table_schema = "
                          "'outcomes' AND table_name = 'admissions' AND column_name LIKE '%nhs%'"),
            0);

  // Parallel resends of a new episode: one row.
  auto parallel = Admission("RWH-EP-3", ::fs::cases::kNhs2, "2026-11-03");
  std::vector<grpc::Status> statuses(6);
  InParallel(6, [&](int i) { statuses[i] = Admit(kNhs, parallel); });
  for (const auto& s : statuses) EXPECT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.admissions WHERE episode_reference = "
                          "'RWH-EP-3'"),
            1);

  // Another organisation may reuse the episode reference; it cannot read this one's.
  ASSERT_TRUE(Admit(kOtherNhs, report).ok());
  ov1::GetIntakeAcknowledgementRequest get;
  get.set_reference("RWH-EP-1");
  ov1::IntakeAcknowledgement got;
  ASSERT_TRUE(intake_->GetIntakeAcknowledgement(ContextForPrincipal(kNhs).get(), get, &got).ok());
  EXPECT_EQ(got.name(), first.name());
  ASSERT_TRUE(
      intake_->GetIntakeAcknowledgement(ContextForPrincipal(kOtherNhs).get(), get, &got).ok());
  EXPECT_NE(got.name(), first.name());
  EXPECT_EQ(
      intake_->GetIntakeAcknowledgement(ContextForPrincipal(kPolice).get(), get, &got).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

TEST_F(IntakeTest, BadAdmissionsAreRefusedNamingTheField) {
  auto check = [&](const std::function<void(ov1::ReportEmergencyAdmissionRequest&)>& spoil,
                   const std::string& field) {
    auto r = Admission("RWH-BAD", ::fs::cases::kNhs2, "2026-11-02");
    spoil(r);
    EXPECT_TRUE(InvalidNaming(Admit(kNhs, r), field)) << field;
  };
  check([](auto& r) { r.clear_episode_reference(); }, "episode_reference");
  check([](auto& r) { r.clear_nhs_number(); }, "nhs_number");
  check([](auto& r) { r.set_nhs_number("9990000019"); }, "nhs_number");
  check([](auto& r) { r.clear_date(); }, "date");
  check([](auto& r) { r.set_date("2099-01-01"); }, "date");
  check([](auto& r) { r.set_date("yesterday"); }, "date");
  check([](auto& r) { r.set_kind(ov1::ADMISSION_KIND_UNSPECIFIED); }, "kind");
  check([](auto& r) { r.set_reason(static_cast<ov1::ReasonCategory>(77)); }, "reason");
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.admissions"), 0);
}

// The review's cases: nothing a police report says may be lost or reach the wrong family.

// outcomes matched a case that case_records has closed meanwhile (its CaseClosed not yet
// applied here): case_records has no lead to alert and sends the incident back to the front door.
TEST_F(IntakeTest, AMatchOnACaseClosedMeanwhileGoesToTheFrontDoor) {
  cv1::Case c = FamilyWithChild();
  ASSERT_TRUE(Close(kManager, c, "RC1").ok());  // outcomes does not know yet (no Sync)
  ASSERT_TRUE(Report(kPolice, Incident("HERTS-100", "Zoe", "OBrien", "2019-03-07", kNhs1)).ok());
  EXPECT_TRUE(Waiting().empty());  // matched an (apparently) open case
  SyncBack();                      // case_records: no lead
  EXPECT_TRUE(IncidentAlerts(kLead).empty());
  Sync();  // CaseClosed, then PartnerIncidentUnrouted
  auto items = Waiting();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].police_reference(), "HERTS-100");
}

// Dan is on an open case; the children named with him are another family's, unknown here: his
// case's lead is alerted and the front door looks at the children.
TEST_F(IntakeTest, UnknownChildrenGoToTheFrontDoorEvenWhenAnAdultMatched) {
  cv1::Case c = NewCase();
  auto dan = Adult("Dan", "Smith");
  dan.set_nhs_number(kNhs3);
  AddPerson(c, dan);
  Sync();
  auto report = Incident("HERTS-110", "Amy", "Jones", "2016-02-02");
  report.mutable_adults(0)->set_nhs_number(kNhs3);
  ASSERT_TRUE(Report(kPolice, report).ok());
  SyncBack();
  auto alerts = IncidentAlerts(kLead);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_THAT(alerts[0].message(), ::testing::Not(HasSubstr("the child was present")));
  auto items = Waiting();
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0].police_reference(), "HERTS-110");
}

// A report's own NHS number rules out a namesake recorded with another number.
TEST_F(IntakeTest, ANamesakeWithAnotherNhsNumberIsNotMatched) {
  FamilyWithChild();  // Zoë O'Brien 2019-03-07, kNhs1
  ASSERT_TRUE(Report(kPolice, Incident("HERTS-120", "Zoe", "OBrien", "2019-03-07", kNhs4)).ok());
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.incident_matches"), 0);
  EXPECT_EQ(Waiting().size(), 1u);
  SyncBack();
  EXPECT_TRUE(IncidentAlerts(kLead).empty());
}

TEST_F(IntakeTest, TheFamilysWorkersReadTheReportOthersDoNot) {
  cv1::Person child;
  cv1::Case c = FamilyWithChild(&child);
  const As victim_worker{"dav-1", "da_victim_worker", "team-a", ""};
  const As perpetrator_worker{"dap-1", "da_perpetrator_worker", "team-a", ""};
  ASSERT_TRUE(Allocate(kLead, c.name(), victim_worker.practitioner,
                       cv1::FAMILY_SAFEGUARDING_ROLE_DA_VICTIM_WORKER)
                  .ok());
  ASSERT_TRUE(Allocate(kLead, c.name(), perpetrator_worker.practitioner,
                       cv1::FAMILY_SAFEGUARDING_ROLE_DA_PERPETRATOR_WORKER)
                  .ok());
  Sync();
  ov1::IntakeAcknowledgement ack;
  ASSERT_TRUE(
      Report(kPolice, Incident("HERTS-130", "Zoe", "OBrien", "2019-03-07", kNhs1), &ack).ok());
  auto get = [&](const As& who, const std::string& name, ov1::Incident* out) {
    ov1::GetIncidentRequest request;
    request.set_name(name);
    return outcomes_->GetIncident(ContextFor(who).get(), request, out);
  };
  for (const As& reader : {kLead, kManager, victim_worker, kFrontDoor}) {
    ov1::Incident incident;
    auto status = get(reader, ack.name(), &incident);
    ASSERT_TRUE(status.ok()) << reader.practitioner << ": " << Describe(status);
    EXPECT_EQ(incident.police_reference(), "HERTS-130");
    EXPECT_EQ(incident.children(0).child_said(), "I hid upstairs");
    ASSERT_EQ(incident.matches_size(), 1);
    EXPECT_EQ(incident.matches(0).person(), child.name());
  }
  ov1::Incident ignored;
  for (const As& other : {perpetrator_worker, kStranger, kOtherManager}) {
    EXPECT_EQ(get(other, ack.name(), &ignored).error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << other.practitioner;
  }
  EXPECT_EQ(get(kLead, "incidents/00000000-0000-0000-0000-000000000000", &ignored).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(InvalidNaming(get(kLead, "incidents/nope", &ignored), "name"));
  ov1::GetIncidentRequest request;
  request.set_name(ack.name());
  EXPECT_EQ(
      outcomes_->GetIncident(ContextForPrincipal(kPolice).get(), request, &ignored).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  // Every read is audited under the incident's name.
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.audit_log WHERE action = 'GetIncident' "
                          "AND outcome = 'OK' AND resource = '" +
                          ack.name() + "'"),
            4);
}

TEST_F(IntakeTest, FrontDoorPagesAreSmallAndAuditedItemByItem) {
  for (int i = 0; i < 52; ++i) {
    ASSERT_TRUE(
        Report(kPolice, Incident(absl::StrCat("HERTS-P", i), "Ann", "Nobody", "2018-01-01")).ok());
  }
  ov1::ListFrontDoorItemsRequest request;
  request.set_page_size(500);
  ov1::ListFrontDoorItemsResponse page;
  ASSERT_TRUE(outcomes_->ListFrontDoorItems(ContextFor(kFrontDoor).get(), request, &page).ok());
  EXPECT_EQ(page.items_size(), 50);
  EXPECT_EQ(page.waiting_count(), 52);
  ASSERT_FALSE(page.next_page_token().empty());
  EXPECT_EQ(page.items(0).police_reference(), "HERTS-P0");  // oldest first
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.audit_log WHERE action = "
                          "'ListFrontDoorItems' AND resource = '" +
                          page.items(49).name() + "'"),
            1);
  request.set_page_token(page.next_page_token());
  ASSERT_TRUE(outcomes_->ListFrontDoorItems(ContextFor(kFrontDoor).get(), request, &page).ok());
  EXPECT_EQ(page.items_size(), 2);
  EXPECT_TRUE(page.next_page_token().empty());
}

TEST_F(IntakeTest, AnUnknownTeamIsNotFoundRatherThanZeros) {
  ov1::GetIndicatorsRequest request;
  request.set_team("team-nobody");
  ov1::IndicatorReport report;
  EXPECT_EQ(
      outcomes_->GetIndicators(ContextFor(kAdministrator).get(), request, &report).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace fs::outcomes
