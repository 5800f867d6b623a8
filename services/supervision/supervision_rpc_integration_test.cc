// Every RPC of fs.supervision.v1 over real gRPC on a real PostgreSQL, with case_records' real
// outbox relay feeding it: what each answer holds, and each way a call is refused (the field
// named, NOT_FOUND, PERMISSION_DENIED, ABORTED on a stale etag, FAILED_PRECONDITION on a
// session in the wrong state), paging, re-planning around confirmed sessions, the calendar feed
// and the audit log.
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/civil_time.h"
#include "common/dates.h"
#include "services/supervision/supervision_integration_fixture.h"

namespace fs::supervision {
namespace {

using ::fs::cases::kOtherManager;
using ::fs::cases::kStranger;
using ::fs::cases::kSupport;
using ::fs::testing::ContextForPrincipal;
using google::protobuf::util::MessageDifferencer;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// A named deputy chair of team-a (not a manager), and a manager of both teams.
const As kDeputy{"tm-deputy", "social_worker", "team-a", ""};
const As kBothManager{"tm-ab", "team_manager", "team-a,team-b", ""};
// The second adult specialist of some cases.
constexpr char kSecondSpecialist[] = "dav-2";

constexpr char kUnknownUuid[] = "00000000-0000-4000-8000-000000000000";

absl::TimeZone London() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/London", &zone));
  return zone;
}

absl::Time FromTs(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::vector<std::string> CasesOf(const sv1::Session& session) {
  std::vector<std::string> out;
  for (const auto& c : session.cases()) out.push_back(c.case_());
  return out;
}

// The VEVENT of `feed` whose UID is `uid`, unfolded, or "" when there is none.
std::string EventOf(const std::string& feed, const std::string& uid) {
  std::string text = absl::StrReplaceAll(feed, {{"\r\n ", ""}, {"\r\n", "\n"}});
  size_t at = text.find("\nUID:" + uid + "\n");
  if (at == std::string::npos) return "";
  size_t begin = text.rfind("BEGIN:VEVENT", at);
  size_t end = text.find("END:VEVENT", at);
  return text.substr(begin, end - begin);
}

// The SEQUENCE of a VEVENT (0 when absent, as RFC 5545 says).
int SequenceOf(const std::string& event) {
  size_t at = event.find("\nSEQUENCE:");
  if (at == std::string::npos) return 0;
  size_t value = at + std::string("\nSEQUENCE:").size();
  int sequence = -1;
  EXPECT_TRUE(absl::SimpleAtoi(event.substr(value, event.find('\n', value) - value), &sequence));
  return sequence;
}

class SupervisionRpcTest : public SupervisionTest {
 protected:
  static std::string CaseId(const cv1::Case& c) { return c.name().substr(6); }
  static std::string StatusName(const cv1::Case& c) { return c.name() + "/supervisionStatus"; }

  // A team-a case with the lead and `specialist` (a DA victim worker) allocated, delivered.
  cv1::Case NewFamilyWith(const std::string& specialist) {
    cv1::Case c = NewCase();
    auto s = Allocate(kLead, c.name(), specialist, cv1::FAMILY_SAFEGUARDING_ROLE_DA_VICTIM_WORKER);
    EXPECT_TRUE(s.ok()) << Describe(s);
    Sync();
    return c;
  }

  sv1::TeamChairs ChairsOk() {
    sv1::TeamChairs chairs;
    auto s = SetChairs(kManager, kManager.practitioner, &chairs);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return chairs;
  }

  sv1::PlanSessionsResponse PlanOk() {
    sv1::PlanSessionsResponse plan;
    auto s = Plan(kManager, absl::Now(), absl::Now() + absl::Hours(24 * 30), &plan);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return plan;
  }

  grpc::Status CaseStatus(const As& who, const std::string& name, sv1::CaseStatus* out) {
    sv1::GetCaseStatusRequest request;
    request.set_name(name);
    return supervision_->GetCaseStatus(ContextFor(who).get(), request, out);
  }

  grpc::Status GetChairs(const As& who, const std::string& name, sv1::TeamChairs* out) {
    sv1::GetTeamChairsRequest request;
    request.set_name(name);
    return supervision_->GetTeamChairs(ContextFor(who).get(), request, out);
  }

  grpc::Status UpdateChairs(const As& who, const sv1::TeamChairs& chairs, sv1::TeamChairs* out) {
    sv1::UpdateTeamChairsRequest request;
    *request.mutable_chairs() = chairs;
    return supervision_->UpdateTeamChairs(ContextFor(who).get(), request, out);
  }

  grpc::Status GetHours(const As& who, const std::string& name, sv1::WorkingHours* out) {
    sv1::GetWorkingHoursRequest request;
    request.set_name(name);
    return supervision_->GetWorkingHours(ContextFor(who).get(), request, out);
  }

  grpc::Status UpdateHours(const As& who, const sv1::WorkingHours& hours, sv1::WorkingHours* out) {
    sv1::UpdateWorkingHoursRequest request;
    *request.mutable_working_hours() = hours;
    return supervision_->UpdateWorkingHours(ContextFor(who).get(), request, out);
  }

  static sv1::Leave LeaveOf(const std::string& first, const std::string& last,
                            const std::string& note = "") {
    sv1::Leave leave;
    leave.set_first_day(first);
    leave.set_last_day(last);
    leave.set_note(note);
    return leave;
  }

  grpc::Status CreateLeave(const As& who, const std::string& parent, const sv1::Leave& leave,
                           sv1::Leave* out, const std::string& request_id = "") {
    sv1::CreateLeaveRequest request;
    request.set_parent(parent);
    *request.mutable_leave() = leave;
    request.set_request_id(request_id);
    return supervision_->CreateLeave(ContextFor(who).get(), request, out);
  }

  grpc::Status DeleteLeave(const As& who, const std::string& name, sv1::Leave* out) {
    sv1::DeleteLeaveRequest request;
    request.set_name(name);
    return supervision_->DeleteLeave(ContextFor(who).get(), request, out);
  }

  std::vector<std::string> LeaveNames(const As& who, const std::string& parent) {
    sv1::ListLeaveRequest request;
    request.set_parent(parent);
    sv1::ListLeaveResponse response;
    auto s = supervision_->ListLeave(ContextFor(who).get(), request, &response);
    EXPECT_TRUE(s.ok()) << Describe(s);
    std::vector<std::string> out;
    for (const auto& leave : response.leave()) out.push_back(leave.name());
    return out;
  }

  grpc::Status CreateBusy(const As& who, const std::string& parent, absl::Time from, absl::Time to,
                          sv1::BusyBlock* out, const std::string& request_id = "") {
    sv1::CreateBusyBlockRequest request;
    request.set_parent(parent);
    *request.mutable_busy_block()->mutable_start_time() = Ts(from);
    *request.mutable_busy_block()->mutable_end_time() = Ts(to);
    request.set_request_id(request_id);
    return supervision_->CreateBusyBlock(ContextFor(who).get(), request, out);
  }

  grpc::Status ListBusy(const As& who, const sv1::ListBusyBlocksRequest& request,
                        std::vector<sv1::BusyBlock>* out) {
    sv1::ListBusyBlocksResponse response;
    auto s = supervision_->ListBusyBlocks(ContextFor(who).get(), request, &response);
    out->assign(response.busy_blocks().begin(), response.busy_blocks().end());
    return s;
  }

  grpc::Status GetSession(const As& who, const std::string& name, sv1::Session* out) {
    sv1::GetSessionRequest request;
    request.set_name(name);
    return supervision_->GetSession(ContextFor(who).get(), request, out);
  }

  grpc::Status Confirm(const As& who, const std::string& name, const std::string& etag,
                       sv1::Session* out) {
    sv1::ConfirmSessionRequest request;
    request.set_name(name);
    request.set_etag(etag);
    return supervision_->ConfirmSession(ContextFor(who).get(), request, out);
  }

  grpc::Status Cancel(const As& who, const std::string& name, const std::string& etag,
                      const std::string& reason, sv1::Session* out) {
    sv1::CancelSessionRequest request;
    request.set_name(name);
    request.set_etag(etag);
    request.set_reason(reason);
    return supervision_->CancelSession(ContextFor(who).get(), request, out);
  }

  grpc::Status Record(const As& who, const sv1::RecordSessionRequest& request, sv1::Session* out) {
    return supervision_->RecordSession(ContextFor(who).get(), request, out);
  }

  grpc::Status ListSessions(const As& who, const sv1::ListSessionsRequest& request,
                            sv1::ListSessionsResponse* out) {
    return supervision_->ListSessions(ContextFor(who).get(), request, out);
  }

  // Every page of `request` at `page_size`: the session names in order and the page count.
  std::pair<std::vector<std::string>, int> AllPages(const As& who,
                                                    sv1::ListSessionsRequest request) {
    std::vector<std::string> names;
    int pages = 0;
    do {
      sv1::ListSessionsResponse response;
      auto s = ListSessions(who, request, &response);
      EXPECT_TRUE(s.ok()) << Describe(s);
      if (!s.ok() || ++pages > 20) break;
      if (request.page_size() > 0) {
        EXPECT_LE(response.sessions_size(), request.page_size());
      }
      for (const auto& session : response.sessions()) names.push_back(session.name());
      request.set_page_token(response.next_page_token());
    } while (!request.page_token().empty());
    return {names, pages};
  }

  grpc::Status Feed(const As& who, const std::string& practitioner, sv1::CalendarFeed* out) {
    sv1::GetCalendarFeedRequest request;
    request.set_parent("practitioners/" + practitioner);
    return supervision_->GetCalendarFeed(ContextFor(who).get(), request, out);
  }

  // (action, outcome) of supervision's audit rows in chain order, event deliveries left out.
  std::vector<std::pair<std::string, std::string>> SupervisionAudit() {
    pqxx::connection conn(supervision_server_.database().admin_url());
    pqxx::read_transaction tx(conn);
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& row : tx.exec("SELECT action, outcome FROM supervision.audit_log WHERE "
                                   "action <> 'Deliver' ORDER BY id")) {
      out.emplace_back(row[0].as<std::string>(), row[1].as<std::string>());
    }
    return out;
  }

  // A recording request for `session` with the quorum of a NewFamily case attending.
  static sv1::RecordSessionRequest RecordRequest(const sv1::Session& session) {
    sv1::RecordSessionRequest request;
    request.set_name(session.name());
    request.set_etag(session.etag());
    request.add_attended(session.chair());
    request.add_attended(kLead.practitioner);
    request.add_attended(kVictimWorker.practitioner);
    for (const auto& c : session.cases()) {
      auto* entry = request.add_records();
      entry->set_case_(c.case_());
      entry->mutable_record()->set_risk_rating("GREEN");
      entry->mutable_record()->set_summary("Safety plan holding; school attendance improved.");
      auto* action = entry->mutable_record()->add_actions();
      action->set_description("Share the plan with the health visitor");
      action->set_owner(kLead.practitioner);
      action->set_due_date("2027-02-01");
    }
    return request;
  }

  // Plans the one NewFamily case and confirms its session (as the team manager).
  sv1::Session PlannedAndConfirmed() {
    sv1::PlanSessionsResponse plan = PlanOk();
    EXPECT_EQ(plan.sessions_size(), 1);
    if (plan.sessions_size() != 1) return {};
    sv1::Session confirmed;
    auto s = Confirm(kManager, plan.sessions(0).name(), plan.sessions(0).etag(), &confirmed);
    EXPECT_TRUE(s.ok()) << Describe(s);
    return confirmed;
  }
};

// ---- Case statuses ----

TEST_F(SupervisionRpcTest, GetCaseStatusSaysWhenTheCaseIsDueWhoAttendsAndWhereItIsPlanned) {
  cv1::Case c = NewFamily();
  sv1::CaseStatus status;
  auto s = CaseStatus(kVictimWorker, StatusName(c), &status);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(status.name(), StatusName(c));
  EXPECT_EQ(status.team(), "team-a");
  EXPECT_FALSE(status.has_last_held_time());
  EXPECT_FALSE(status.overdue());
  EXPECT_EQ(status.planned_session(), "");
  EXPECT_THAT(status.attendees(), ElementsAre("dav-1", "sw-lead"));
  // The end of the day 14 days after the first allocation, in England.
  absl::CivilDay today = absl::ToCivilDay(absl::Now(), London());
  absl::Time due = FromTs(status.due_time());
  EXPECT_TRUE(due == absl::FromCivil(absl::CivilSecond(today + 15), London()) ||
              due == absl::FromCivil(absl::CivilSecond(today + 14), London()))
      << due;  // (allocated yesterday if the test straddles midnight)

  ChairsOk();
  sv1::PlanSessionsResponse plan = PlanOk();
  ASSERT_EQ(plan.sessions_size(), 1);
  ASSERT_TRUE(CaseStatus(kLead, StatusName(c), &status).ok());
  EXPECT_EQ(status.planned_session(), plan.sessions(0).name());

  // Past the due time it is overdue.
  clock_offset_seconds = absl::ToInt64Seconds(due - absl::Now()) + 60;
  ASSERT_TRUE(CaseStatus(kLead, StatusName(c), &status).ok());
  EXPECT_TRUE(status.overdue());

  // Someone allocated from another team sees it; the other team as such does not.
  EXPECT_EQ(CaseStatus(kStranger, StatusName(c), &status).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Allocate(kLead, c.name(), kStranger.practitioner,
                       cv1::FAMILY_SAFEGUARDING_ROLE_FAMILY_SUPPORT_WORKER)
                  .ok());
  Sync();
  s = CaseStatus(kStranger, StatusName(c), &status);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_THAT(status.attendees(), ElementsAre("dav-1", "sw-lead", "sw-other"));
  EXPECT_EQ(CaseStatus(kOtherManager, StatusName(c), &status).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(SupervisionRpcTest, GetCaseStatusRefusesMalformedNamesAndUnknownCases) {
  cv1::Case c = NewFamily();
  sv1::CaseStatus status;
  for (const std::string& name : std::vector<std::string>{
           std::string(""), c.name(), c.name() + "/supervision", "cases//supervisionStatus",
           "cases/bad id!/supervisionStatus", "teams/team-a/supervisionStatus",
           c.name() + "/supervisionStatus/x", c.name() + "/supervisionStatus/supervisionStatus"}) {
    EXPECT_TRUE(InvalidNaming(CaseStatus(kLead, name, &status), "name")) << name;
  }
  auto s = CaseStatus(kLead, "cases/no-such-case/supervisionStatus", &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(s);
  EXPECT_EQ(s.error_message(), "case 'cases/no-such-case' not found");
  // Partners and services are refused before the request is looked at.
  sv1::GetCaseStatusRequest request;
  request.set_name("not even a name");
  EXPECT_EQ(
      supervision_
          ->GetCaseStatus(ContextForPrincipal(::fs::cases::kNhsPartner).get(), request, &status)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  grpc::ClientContext anonymous;
  EXPECT_EQ(supervision_->GetCaseStatus(&anonymous, request, &status).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(SupervisionRpcTest, AGcsHeldBeforeTheServiceSetsTheNextDueDateOnceAndNeverBackwards) {
  cv1::Case c = NewFamily();
  absl::CivilDay today = absl::ToCivilDay(absl::Now(), London());
  auto record = [&](const As& who, const std::string& name, const std::string& date,
                    sv1::CaseStatus* out) {
    sv1::RecordEarlierSupervisionRequest request;
    request.set_name(name);
    request.set_held_date(date);
    return supervision_->RecordEarlierSupervision(ContextFor(who).get(), request, out);
  };
  sv1::CaseStatus status;
  // Held 20 days ago: due 28 days after that (8 days from now), not 14 days after allocation.
  auto s = record(kManager, StatusName(c), FormatDate(today - 20), &status);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(absl::ToCivilDay(FromTs(status.last_held_time()), London()), today - 20);
  EXPECT_EQ(FromTs(status.due_time()), absl::FromCivil(absl::CivilSecond(today + 9), London()));
  EXPECT_FALSE(status.overdue());
  // The same date again changes nothing; a later one moves the due date on.
  ASSERT_TRUE(record(kManager, StatusName(c), FormatDate(today - 20), &status).ok());
  ASSERT_TRUE(record(kManager, StatusName(c), FormatDate(today - 10), &status).ok());
  EXPECT_EQ(FromTs(status.due_time()), absl::FromCivil(absl::CivilSecond(today + 19), London()));
  // Never backwards: an earlier GCS than one known is refused and nothing changes.
  s = record(kManager, StatusName(c), FormatDate(today - 30), &status);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
  EXPECT_THAT(s.error_message(), HasSubstr(FormatDate(today - 10)));
  ASSERT_TRUE(CaseStatus(kLead, StatusName(c), &status).ok());
  EXPECT_EQ(FromTs(status.due_time()), absl::FromCivil(absl::CivilSecond(today + 19), London()));
  // Only the case's team manager; a date that has happened; a real case.
  EXPECT_EQ(record(kLead, StatusName(c), FormatDate(today - 5), &status).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(record(kOtherManager, StatusName(c), FormatDate(today - 5), &status).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(
      InvalidNaming(record(kManager, StatusName(c), FormatDate(today + 1), &status), "held_date"));
  EXPECT_TRUE(InvalidNaming(record(kManager, StatusName(c), "23/11/2026", &status), "held_date"));
  EXPECT_TRUE(InvalidNaming(record(kManager, c.name(), FormatDate(today - 5), &status), "name"));
  EXPECT_EQ(record(kManager, "cases/no-such-case/supervisionStatus", FormatDate(today - 5), &status)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(CaseStatus(kLead, StatusName(c), &status).ok());
  EXPECT_EQ(absl::ToCivilDay(FromTs(status.last_held_time()), London()), today - 10);
}

TEST_F(SupervisionRpcTest, AnOverdueCaseIsPlannedAsSoonAsPossibleAndSaysWhyItIsLate) {
  cv1::Case overdue = NewFamily();
  cv1::Case due_later = NewFamily();
  absl::CivilDay today = absl::ToCivilDay(absl::Now(), London());
  sv1::RecordEarlierSupervisionRequest earlier;
  earlier.set_name(StatusName(overdue));
  earlier.set_held_date(FormatDate(today - 35));  // due a week ago
  sv1::CaseStatus status;
  ASSERT_TRUE(
      supervision_->RecordEarlierSupervision(ContextFor(kManager).get(), earlier, &status).ok());
  EXPECT_TRUE(status.overdue());
  ChairsOk();
  sv1::PlanSessionsResponse plan = PlanOk();
  EXPECT_EQ(plan.on_time(), 1);
  EXPECT_EQ(plan.late(), 1);
  EXPECT_GT(plan.total_lateness_minutes(), 6 * 24 * 60);
  ASSERT_EQ(plan.late_cases_size(), 1);
  EXPECT_EQ(plan.late_cases(0).case_(), overdue.name());
  EXPECT_EQ(plan.late_cases(0).reason(), "already overdue when the horizon starts");
  EXPECT_EQ(plan.unplaced_size(), 0);
  // Both in the plan; the overdue one first.
  std::vector<std::pair<int64_t, std::string>> starts;
  for (const auto& session : plan.sessions()) {
    for (const auto& c : session.cases()) starts.push_back({c.start_time().seconds(), c.case_()});
  }
  std::sort(starts.begin(), starts.end());
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0].second, overdue.name());
  EXPECT_EQ(starts[1].second, due_later.name());
}

TEST_F(SupervisionRpcTest, ListCaseStatusesPagesThroughTheTeamsCasesInOrderWithFilters) {
  std::vector<std::string> expected;
  for (int i = 0; i < 5; ++i) expected.push_back(StatusName(NewCase()));
  // A team-b case, opened by team-b's social worker.
  cv1::CreateCaseRequest other = CaseRequest();
  other.mutable_case_()->set_team("team-b");
  other.mutable_case_()->set_lead_social_worker(kStranger.practitioner);
  cv1::Case team_b;
  ASSERT_TRUE(cases_->CreateCase(ContextFor(kStranger).get(), other, &team_b).ok());
  Sync();
  // All due the same day, none overdue: by name.
  std::sort(expected.begin(), expected.end());

  sv1::ListCaseStatusesRequest request;
  request.set_page_size(2);
  std::vector<std::string> seen;
  int pages = 0;
  do {
    sv1::ListCaseStatusesResponse response;
    auto s = supervision_->ListCaseStatuses(ContextFor(kManager).get(), request, &response);
    ASSERT_TRUE(s.ok()) << Describe(s);
    ASSERT_LE(++pages, 3);
    EXPECT_LE(response.statuses_size(), 2);
    EXPECT_EQ(response.total_size(), 5);
    EXPECT_EQ(response.overdue_count(), 0);
    for (const auto& status : response.statuses()) {
      EXPECT_EQ(status.team(), "team-a");
      seen.push_back(status.name());
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, expected);

  // Overdue only: none now; all of them once the due day has passed.
  sv1::ListCaseStatusesRequest overdue;
  overdue.set_overdue_only(true);
  sv1::ListCaseStatusesResponse response;
  ASSERT_TRUE(supervision_->ListCaseStatuses(ContextFor(kManager).get(), overdue, &response).ok());
  EXPECT_THAT(response.statuses(), IsEmpty());
  EXPECT_EQ(response.total_size(), 0);
  clock_offset_seconds = 20 * 24 * 3600;
  ASSERT_TRUE(supervision_->ListCaseStatuses(ContextFor(kManager).get(), overdue, &response).ok());
  EXPECT_EQ(response.statuses_size(), 5);
  EXPECT_EQ(response.overdue_count(), 5);
  for (const auto& status : response.statuses()) EXPECT_TRUE(status.overdue());

  // The caller's teams by default, or one of them.
  sv1::ListCaseStatusesRequest both;
  ASSERT_TRUE(supervision_->ListCaseStatuses(ContextFor(kBothManager).get(), both, &response).ok());
  EXPECT_EQ(response.total_size(), 6);
  both.set_team("team-b");
  ASSERT_TRUE(supervision_->ListCaseStatuses(ContextFor(kBothManager).get(), both, &response).ok());
  ASSERT_EQ(response.statuses_size(), 1);
  EXPECT_EQ(response.statuses(0).name(), StatusName(team_b));
  EXPECT_EQ(response.statuses(0).team(), "team-b");
  EXPECT_EQ(
      supervision_->ListCaseStatuses(ContextFor(kManager).get(), both, &response).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  sv1::ListCaseStatusesRequest bad;
  bad.set_team("team a!");
  EXPECT_TRUE(InvalidNaming(
      supervision_->ListCaseStatuses(ContextFor(kManager).get(), bad, &response), "team"));
  bad.Clear();
  bad.set_page_size(-1);
  EXPECT_TRUE(InvalidNaming(
      supervision_->ListCaseStatuses(ContextFor(kManager).get(), bad, &response), "page_size"));
  bad.Clear();
  bad.set_page_token("not-a-token");
  EXPECT_TRUE(InvalidNaming(
      supervision_->ListCaseStatuses(ContextFor(kManager).get(), bad, &response), "page_token"));
}

// ---- Chairs ----

TEST_F(SupervisionRpcTest, TeamChairsAreNamedByTheManagerAndChangedWithTheirEtag) {
  sv1::TeamChairs chairs;
  EXPECT_EQ(GetChairs(kLead, "teams/team-a/chairs", &chairs).error_code(),
            grpc::StatusCode::NOT_FOUND);

  sv1::TeamChairs given;
  given.set_name("teams/team-a/chairs");
  given.set_chair("tm-a");
  given.add_deputies("tm-deputy");
  sv1::TeamChairs set;
  auto s = UpdateChairs(kManager, given, &set);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(set.name(), "teams/team-a/chairs");
  EXPECT_EQ(set.chair(), "tm-a");
  EXPECT_THAT(set.deputies(), ElementsAre("tm-deputy"));
  EXPECT_FALSE(set.etag().empty());
  ASSERT_TRUE(GetChairs(kLead, "teams/team-a/chairs", &chairs).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(chairs, set)) << chairs.DebugString();

  // Changing them again needs the current etag.
  given.add_deputies("sw-senior");
  EXPECT_TRUE(InvalidNaming(UpdateChairs(kManager, given, &chairs), "chairs.etag"));
  given.set_etag("v0");
  EXPECT_EQ(UpdateChairs(kManager, given, &chairs).error_code(), grpc::StatusCode::ABORTED);
  given.set_etag(set.etag());
  ASSERT_TRUE(UpdateChairs(kManager, given, &chairs).ok());
  EXPECT_THAT(chairs.deputies(), ElementsAre("tm-deputy", "sw-senior"));
  EXPECT_NE(chairs.etag(), set.etag());
  given.set_etag(set.etag());  // now stale
  EXPECT_EQ(UpdateChairs(kManager, given, &chairs).error_code(), grpc::StatusCode::ABORTED);

  // Only the team's own manager; only members read them.
  EXPECT_EQ(UpdateChairs(kLead, given, &chairs).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(UpdateChairs(kOtherManager, given, &chairs).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(GetChairs(kStranger, "teams/team-a/chairs", &chairs).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  for (const std::string& name : std::vector<std::string>{
           std::string(""), std::string("teams/team-a"), std::string("teams/team-a/chair"),
           std::string("teams/team-a/chairs/x"), std::string("teams/bad team/chairs")}) {
    EXPECT_TRUE(InvalidNaming(GetChairs(kLead, name, &chairs), "name")) << name;
    sv1::TeamChairs named = given;
    named.set_name(name);
    EXPECT_TRUE(InvalidNaming(UpdateChairs(kManager, named, &chairs), "chairs.name")) << name;
  }
  sv1::TeamChairs bad = given;
  bad.set_chair("");
  EXPECT_TRUE(InvalidNaming(UpdateChairs(kManager, bad, &chairs), "chairs.chair"));
  bad = given;
  bad.add_deputies("tm-deputy");
  EXPECT_TRUE(InvalidNaming(UpdateChairs(kManager, bad, &chairs), "chairs.deputies"));
  bad = given;
  bad.add_deputies("tm-a");  // the chair again
  EXPECT_TRUE(InvalidNaming(UpdateChairs(kManager, bad, &chairs), "chairs.deputies"));
  bad = given;
  bad.add_deputies("no spaces");
  EXPECT_TRUE(InvalidNaming(UpdateChairs(kManager, bad, &chairs), "chairs.deputies"));
  bad = given;
  bad.clear_deputies();
  for (int i = 0; i < 11; ++i) bad.add_deputies(absl::StrCat("deputy-", i));
  EXPECT_TRUE(InvalidNaming(UpdateChairs(kManager, bad, &chairs), "chairs.deputies"));
  // Nothing refused changed them.
  ASSERT_TRUE(GetChairs(kManager, "teams/team-a/chairs", &set).ok());
  EXPECT_THAT(set.deputies(), ElementsAre("tm-deputy", "sw-senior"));
}

// ---- Availability ----

TEST_F(SupervisionRpcTest, WorkingHoursDefaultToOfficeHoursAndAreReplacedWithTheirEtag) {
  NewFamily();  // sw-lead works in team-a
  sv1::WorkingHours hours;
  auto s = GetHours(kLead, "practitioners/sw-lead/workingHours", &hours);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(hours.name(), "practitioners/sw-lead/workingHours");
  EXPECT_EQ(hours.etag(), "");
  ASSERT_EQ(hours.days_size(), 5);
  for (int d = 0; d < 5; ++d) {
    EXPECT_EQ(hours.days(d).weekday(), d + 1);
    ASSERT_EQ(hours.days(d).ranges_size(), 1);
    EXPECT_EQ(hours.days(d).ranges(0).start_minute(), 9 * 60);
    EXPECT_EQ(hours.days(d).ranges(0).end_minute(), 17 * 60);
  }

  sv1::WorkingHours given;
  given.set_name("practitioners/sw-lead/workingHours");
  auto* monday = given.add_days();
  monday->set_weekday(1);
  auto* morning = monday->add_ranges();
  morning->set_start_minute(8 * 60);
  morning->set_end_minute(12 * 60);
  auto* afternoon = monday->add_ranges();
  afternoon->set_start_minute(13 * 60);
  afternoon->set_end_minute(16 * 60 + 30);
  auto* sunday = given.add_days();
  sunday->set_weekday(7);
  auto* all_day = sunday->add_ranges();
  all_day->set_start_minute(0);
  all_day->set_end_minute(24 * 60);
  sv1::WorkingHours updated;
  s = UpdateHours(kLead, given, &updated);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_FALSE(updated.etag().empty());
  sv1::WorkingHours expected = given;
  expected.set_etag(updated.etag());
  EXPECT_TRUE(MessageDifferencer::Equals(updated, expected)) << updated.DebugString();
  ASSERT_TRUE(GetHours(kLead, "practitioners/sw-lead/workingHours", &hours).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(hours, expected)) << hours.DebugString();

  // Now they exist, a change needs their etag; the team manager may keep them too.
  given.clear_days();
  EXPECT_TRUE(InvalidNaming(UpdateHours(kLead, given, &hours), "working_hours.etag"));
  given.set_etag("v999");
  EXPECT_EQ(UpdateHours(kLead, given, &hours).error_code(), grpc::StatusCode::ABORTED);
  given.set_etag(updated.etag());
  s = UpdateHours(kManager, given, &hours);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_THAT(hours.days(), IsEmpty());  // works no day
  EXPECT_NE(hours.etag(), updated.etag());
  ASSERT_TRUE(GetHours(kManager, "practitioners/sw-lead/workingHours", &updated).ok());
  EXPECT_THAT(updated.days(), IsEmpty());

  // Not a colleague's, nor another team's manager's, to read or change.
  given.set_etag(hours.etag());
  EXPECT_EQ(UpdateHours(kVictimWorker, given, &updated).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(GetHours(kVictimWorker, "practitioners/sw-lead/workingHours", &updated).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(UpdateHours(kOtherManager, given, &updated).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(GetHours(kOtherManager, "practitioners/sw-lead/workingHours", &updated).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(GetHours(kLead, "practitioners/sw-lead/workingHours", &updated).ok());
  EXPECT_EQ(updated.etag(), hours.etag());
}

TEST_F(SupervisionRpcTest, WorkingHoursOutsideTheDayOverlappingOrOffTheQuarterAreRefused) {
  sv1::WorkingHours hours;
  for (const std::string& name : std::vector<std::string>{
           std::string(""), std::string("practitioners/sw-lead"),
           std::string("practitioners/sw-lead/hours"), std::string("practitioners//workingHours"),
           std::string("practitioners/bad id/workingHours"),
           std::string("practitioners/sw-lead/workingHours/workingHours"),
           std::string("teams/sw-lead/workingHours")}) {
    EXPECT_TRUE(InvalidNaming(GetHours(kLead, name, &hours), "name")) << name;
    sv1::WorkingHours named;
    named.set_name(name);
    EXPECT_TRUE(InvalidNaming(UpdateHours(kLead, named, &hours), "working_hours.name")) << name;
  }

  auto with = [](std::vector<std::pair<int, std::vector<std::pair<int, int>>>> days) {
    sv1::WorkingHours h;
    h.set_name("practitioners/sw-lead/workingHours");
    for (const auto& [weekday, ranges] : days) {
      auto* day = h.add_days();
      day->set_weekday(weekday);
      for (const auto& [from, to] : ranges) {
        auto* range = day->add_ranges();
        range->set_start_minute(from);
        range->set_end_minute(to);
      }
    }
    return h;
  };
  EXPECT_TRUE(InvalidNaming(UpdateHours(kLead, with({{0, {{540, 1020}}}}), &hours),
                            "working_hours.days.weekday"));
  EXPECT_TRUE(InvalidNaming(UpdateHours(kLead, with({{8, {{540, 1020}}}}), &hours),
                            "working_hours.days.weekday"));
  EXPECT_TRUE(
      InvalidNaming(UpdateHours(kLead, with({{2, {{540, 600}}}, {2, {{660, 720}}}}), &hours),
                    "working_hours.days.weekday"));
  for (const auto& ranges :
       std::vector<std::vector<std::pair<int, int>>>{{{540, 720}, {705, 900}},  // overlapping
                                                     {{780, 900}, {540, 720}},  // out of order
                                                     {{-15, 540}},              // before midnight
                                                     {{1380, 1455}},            // past midnight
                                                     {{600, 600}},              // empty
                                                     {{720, 540}},              // backwards
                                                     {{550, 600}},  // not on a quarter hour
                                                     {{540, 1019}}}) {
    EXPECT_TRUE(
        InvalidNaming(UpdateHours(kLead, with({{3, ranges}}), &hours), "working_hours.days.ranges"))
        << ranges[0].first << "-" << ranges[0].second;
  }
  // Nothing refused was stored: still the default, never set.
  ASSERT_TRUE(GetHours(kLead, "practitioners/sw-lead/workingHours", &hours).ok());
  EXPECT_EQ(hours.etag(), "");
  EXPECT_EQ(hours.days_size(), 5);
}

TEST_F(SupervisionRpcTest, LeaveIsCreatedOnceListedInOrderAndDeleted) {
  NewFamily();
  const std::string parent = "practitioners/sw-lead";
  sv1::Leave leave;
  auto s = CreateLeave(kLead, parent, LeaveOf("2027-03-01", "2027-03-05", "Half term"), &leave,
                       "leave-1");
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_THAT(leave.name(), ::testing::StartsWith(parent + "/leave/"));
  EXPECT_EQ(leave.first_day(), "2027-03-01");
  EXPECT_EQ(leave.last_day(), "2027-03-05");
  EXPECT_EQ(leave.note(), "Half term");

  // A retry answers what the first made; the request_id elsewhere is a mistake.
  sv1::Leave again;
  ASSERT_TRUE(CreateLeave(kLead, parent, LeaveOf("2027-03-01", "2027-03-05", "Half term"), &again,
                          "leave-1")
                  .ok());
  EXPECT_TRUE(MessageDifferencer::Equals(again, leave));
  // The manager keeps it for them, one day long; the list is by first day. The manager's
  // request_id names that leave only.
  sv1::Leave earlier;
  ASSERT_TRUE(
      CreateLeave(kManager, parent, LeaveOf("2027-01-04", "2027-01-04"), &earlier, "leave-1").ok());
  EXPECT_NE(earlier.name(), leave.name());
  EXPECT_TRUE(InvalidNaming(CreateLeave(kManager, "practitioners/dav-1",
                                        LeaveOf("2027-01-04", "2027-01-04"), &again, "leave-1"),
                            "request_id"));
  EXPECT_EQ(earlier.note(), "");
  EXPECT_THAT(LeaveNames(kLead, parent), ElementsAre(earlier.name(), leave.name()));
  EXPECT_THAT(LeaveNames(kVictimWorker, "practitioners/dav-1"), IsEmpty());

  sv1::Leave deleted;
  s = DeleteLeave(kLead, leave.name(), &deleted);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_TRUE(MessageDifferencer::Equals(deleted, leave));
  EXPECT_THAT(LeaveNames(kManager, parent), ElementsAre(earlier.name()));
  EXPECT_EQ(DeleteLeave(kLead, leave.name(), &deleted).error_code(), grpc::StatusCode::NOT_FOUND);
  const std::string id = earlier.name().substr(earlier.name().rfind('/') + 1);
  for (const std::string& name :
       std::vector<std::string>{parent + "/leave/" + kUnknownUuid, parent + "/leave/not-a-uuid",
                                "practitioners/dav-1/leave/" + id}) {
    EXPECT_EQ(DeleteLeave(kManager, name, &deleted).error_code(), grpc::StatusCode::NOT_FOUND)
        << name;
  }
  EXPECT_TRUE(InvalidNaming(DeleteLeave(kLead, parent + "/leave/bad id", &deleted), "name"));
  EXPECT_TRUE(InvalidNaming(DeleteLeave(kLead, parent + "/busyBlocks/" + id, &deleted), "name"));
  EXPECT_EQ(DeleteLeave(kVictimWorker, earlier.name(), &deleted).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(DeleteLeave(kOtherManager, earlier.name(), &deleted).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(LeaveNames(kLead, parent), ElementsAre(earlier.name()));
}

TEST_F(SupervisionRpcTest, LeaveWithBadDaysNotesParentsOrStrangersIsRefused) {
  NewFamily();
  const std::string parent = "practitioners/sw-lead";
  sv1::Leave out;
  EXPECT_TRUE(InvalidNaming(CreateLeave(kLead, parent, LeaveOf("2027-03-05", "2027-03-04"), &out),
                            "leave.last_day"));
  EXPECT_TRUE(InvalidNaming(CreateLeave(kLead, parent, LeaveOf("2027-01-01", "2028-01-03"), &out),
                            "leave.last_day"));
  EXPECT_TRUE(InvalidNaming(CreateLeave(kLead, parent, LeaveOf("", "2027-03-04"), &out),
                            "leave.first_day"));
  EXPECT_TRUE(InvalidNaming(CreateLeave(kLead, parent, LeaveOf("2027-02-29", "2027-03-04"), &out),
                            "leave.first_day"));
  EXPECT_TRUE(InvalidNaming(CreateLeave(kLead, parent, LeaveOf("2027-03-01", "1 March"), &out),
                            "leave.last_day"));
  EXPECT_TRUE(InvalidNaming(
      CreateLeave(kLead, parent, LeaveOf("2027-03-01", "2027-03-02", std::string("a\0b", 3)), &out),
      "leave.note"));
  EXPECT_TRUE(InvalidNaming(
      CreateLeave(kLead, parent, LeaveOf("2027-03-01", "2027-03-02", std::string(201, 'x')), &out),
      "leave.note"));
  EXPECT_TRUE(InvalidNaming(
      CreateLeave(kLead, parent, LeaveOf("2027-03-01", "2027-03-02"), &out, "has space"),
      "request_id"));
  for (const std::string& bad :
       std::vector<std::string>{std::string(""), std::string("practitioners/"),
                                std::string("teams/team-a"), std::string("practitioners/a/b")}) {
    EXPECT_TRUE(
        InvalidNaming(CreateLeave(kLead, bad, LeaveOf("2027-03-01", "2027-03-02"), &out), "parent"))
        << bad;
  }
  EXPECT_EQ(
      CreateLeave(kVictimWorker, parent, LeaveOf("2027-03-01", "2027-03-02"), &out).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      CreateLeave(kOtherManager, parent, LeaveOf("2027-03-01", "2027-03-02"), &out).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  sv1::ListLeaveRequest list;
  list.set_parent(parent);
  sv1::ListLeaveResponse listed;
  EXPECT_EQ(supervision_->ListLeave(ContextFor(kOtherManager).get(), list, &listed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(LeaveNames(kLead, parent), IsEmpty());
}

TEST_F(SupervisionRpcTest, BusyBlocksAreCreatedOnceListedByRangeAndDeleted) {
  NewFamily();
  const std::string parent = "practitioners/sw-lead";
  absl::Time day = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) / 3600 * 3600);
  sv1::BusyBlock first;
  auto s = CreateBusy(kLead, parent, day + absl::Hours(24), day + absl::Hours(25), &first, "b-1");
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_THAT(first.name(), ::testing::StartsWith(parent + "/busyBlocks/"));
  EXPECT_EQ(FromTs(first.start_time()), day + absl::Hours(24));
  EXPECT_EQ(FromTs(first.end_time()), day + absl::Hours(25));
  EXPECT_EQ(first.source(), "api");
  sv1::BusyBlock again;
  ASSERT_TRUE(
      CreateBusy(kLead, parent, day + absl::Hours(24), day + absl::Hours(25), &again, "b-1").ok());
  EXPECT_TRUE(MessageDifferencer::Equals(again, first));
  sv1::BusyBlock second;
  ASSERT_TRUE(
      CreateBusy(kManager, parent, day + absl::Hours(72), day + absl::Hours(74), &second).ok());

  sv1::ListBusyBlocksRequest list;
  list.set_parent(parent);
  std::vector<sv1::BusyBlock> blocks;
  ASSERT_TRUE(ListBusy(kLead, list, &blocks).ok());
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_TRUE(MessageDifferencer::Equals(blocks[0], first));
  EXPECT_TRUE(MessageDifferencer::Equals(blocks[1], second));
  *list.mutable_start_time() = Ts(day + absl::Hours(48));
  ASSERT_TRUE(ListBusy(kLead, list, &blocks).ok());
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].name(), second.name());
  list.clear_start_time();
  *list.mutable_end_time() = Ts(day + absl::Hours(24));  // ends where the first begins
  ASSERT_TRUE(ListBusy(kLead, list, &blocks).ok());
  EXPECT_THAT(blocks, IsEmpty());
  list.mutable_end_time()->set_nanos(-1);
  EXPECT_TRUE(InvalidNaming(ListBusy(kLead, list, &blocks), "end_time"));
  list.clear_end_time();
  list.mutable_start_time()->set_seconds(TimeUtil::kTimestampMaxSeconds + 1);
  EXPECT_TRUE(InvalidNaming(ListBusy(kLead, list, &blocks), "start_time"));
  list.clear_start_time();
  EXPECT_EQ(ListBusy(kVictimWorker, list, &blocks).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  sv1::DeleteBusyBlockRequest remove;
  remove.set_name(first.name());
  sv1::BusyBlock deleted;
  EXPECT_EQ(
      supervision_->DeleteBusyBlock(ContextFor(kVictimWorker).get(), remove, &deleted).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  s = supervision_->DeleteBusyBlock(ContextFor(kLead).get(), remove, &deleted);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_TRUE(MessageDifferencer::Equals(deleted, first));
  EXPECT_EQ(supervision_->DeleteBusyBlock(ContextFor(kLead).get(), remove, &deleted).error_code(),
            grpc::StatusCode::NOT_FOUND);
  for (const std::string& name :
       std::vector<std::string>{parent + "/busyBlocks/" + kUnknownUuid, parent + "/busyBlocks/123",
                                "practitioners/dav-1/busyBlocks/" +
                                    second.name().substr(second.name().rfind('/') + 1)}) {
    remove.set_name(name);
    EXPECT_EQ(
        supervision_->DeleteBusyBlock(ContextFor(kManager).get(), remove, &deleted).error_code(),
        grpc::StatusCode::NOT_FOUND)
        << name;
  }
  remove.set_name(parent + "/busyBlocks/a b");
  EXPECT_TRUE(InvalidNaming(
      supervision_->DeleteBusyBlock(ContextFor(kLead).get(), remove, &deleted), "name"));
  list.Clear();
  list.set_parent(parent);
  ASSERT_TRUE(ListBusy(kLead, list, &blocks).ok());
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].name(), second.name());
}

TEST_F(SupervisionRpcTest, BusyBlocksWithBadTimesOrForSomeoneElseAreRefused) {
  NewFamily();
  const std::string parent = "practitioners/sw-lead";
  absl::Time from = absl::Now() + absl::Hours(24);
  sv1::BusyBlock out;
  EXPECT_TRUE(InvalidNaming(CreateBusy(kLead, parent, from, from, &out), "busy_block.end_time"));
  EXPECT_TRUE(InvalidNaming(CreateBusy(kLead, parent, from, from - absl::Minutes(1), &out),
                            "busy_block.end_time"));
  EXPECT_TRUE(InvalidNaming(CreateBusy(kLead, parent, from, from + absl::Hours(24 * 31 + 1), &out),
                            "busy_block.end_time"));
  sv1::CreateBusyBlockRequest request;
  request.set_parent(parent);
  *request.mutable_busy_block()->mutable_end_time() = Ts(from);
  EXPECT_TRUE(InvalidNaming(supervision_->CreateBusyBlock(ContextFor(kLead).get(), request, &out),
                            "busy_block.start_time"));
  request.mutable_busy_block()->mutable_start_time()->set_seconds(TimeUtil::kTimestampMinSeconds -
                                                                  1);
  EXPECT_TRUE(InvalidNaming(supervision_->CreateBusyBlock(ContextFor(kLead).get(), request, &out),
                            "busy_block.start_time"));
  *request.mutable_busy_block()->mutable_start_time() = Ts(from - absl::Hours(1));
  request.mutable_busy_block()->clear_end_time();
  EXPECT_TRUE(InvalidNaming(supervision_->CreateBusyBlock(ContextFor(kLead).get(), request, &out),
                            "busy_block.end_time"));
  request.mutable_busy_block()->mutable_end_time()->set_nanos(1000000000);
  EXPECT_TRUE(InvalidNaming(supervision_->CreateBusyBlock(ContextFor(kLead).get(), request, &out),
                            "busy_block.end_time"));
  EXPECT_TRUE(InvalidNaming(
      CreateBusy(kLead, "practitioners/sw lead", from, from + absl::Hours(1), &out), "parent"));
  EXPECT_TRUE(InvalidNaming(
      CreateBusy(kLead, parent, from, from + absl::Hours(1), &out, std::string(129, 'r')),
      "request_id"));
  EXPECT_EQ(CreateBusy(kVictimWorker, parent, from, from + absl::Hours(1), &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(CreateBusy(kOtherManager, parent, from, from + absl::Hours(1), &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  sv1::ListBusyBlocksRequest list;
  list.set_parent(parent);
  std::vector<sv1::BusyBlock> blocks;
  ASSERT_TRUE(ListBusy(kLead, list, &blocks).ok());
  EXPECT_THAT(blocks, IsEmpty());
}

TEST_F(SupervisionRpcTest, ImportReplacesOnlyImportedBusyTimeInTheCalendarsRange) {
  const std::string parent = "practitioners/sw-lead";
  absl::Time midnight = absl::FromCivil(
      absl::CivilDay(absl::ToCivilDay(absl::Now(), absl::UTCTimeZone()) + 2), absl::UTCTimeZone());
  auto calendar = [&](int busy_from_hour, int busy_to_hour) {
    auto at = [&](int hour) {
      return absl::FormatTime("%Y%m%dT%H%M%SZ", midnight + absl::Hours(hour), absl::UTCTimeZone());
    };
    return absl::StrCat("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n",
                        "BEGIN:VFREEBUSY\r\nDTSTART:", at(0), "\r\nDTEND:", at(24), "\r\n",
                        "FREEBUSY;FBTYPE=BUSY:", at(busy_from_hour), "/", at(busy_to_hour),
                        "\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n");
  };
  sv1::BusyBlock own;
  ASSERT_TRUE(
      CreateBusy(kLead, parent, midnight + absl::Hours(9), midnight + absl::Hours(10), &own).ok());

  sv1::ImportFreeBusyRequest request;
  request.set_parent(parent);
  request.set_icalendar(calendar(12, 13));
  sv1::ImportFreeBusyResponse response;
  auto s = supervision_->ImportFreeBusy(ContextFor(kLead).get(), request, &response);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(response.imported(), 1);
  EXPECT_EQ(FromTs(response.start_time()), midnight);
  EXPECT_EQ(FromTs(response.end_time()), midnight + absl::Hours(24));

  request.set_icalendar(calendar(14, 16));
  ASSERT_TRUE(supervision_->ImportFreeBusy(ContextFor(kLead).get(), request, &response).ok());
  sv1::ListBusyBlocksRequest list;
  list.set_parent(parent);
  std::vector<sv1::BusyBlock> blocks;
  ASSERT_TRUE(ListBusy(kLead, list, &blocks).ok());
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_TRUE(MessageDifferencer::Equals(blocks[0], own));  // typed in: kept
  EXPECT_EQ(blocks[1].source(), "ical");
  EXPECT_EQ(FromTs(blocks[1].start_time()), midnight + absl::Hours(14));
  EXPECT_EQ(FromTs(blocks[1].end_time()), midnight + absl::Hours(16));

  // A NUL would cut the calendar short for the parser: refused, nothing replaced.
  std::string cut = calendar(18, 19);
  cut.insert(cut.find("END:VFREEBUSY"), std::string("\0", 1));
  request.set_icalendar(cut);
  EXPECT_TRUE(InvalidNaming(
      supervision_->ImportFreeBusy(ContextFor(kLead).get(), request, &response), "icalendar"));
  request.set_icalendar("");
  EXPECT_TRUE(InvalidNaming(
      supervision_->ImportFreeBusy(ContextFor(kLead).get(), request, &response), "icalendar"));
  request.set_icalendar(calendar(18, 19));
  request.set_parent("practitioners");
  EXPECT_TRUE(InvalidNaming(
      supervision_->ImportFreeBusy(ContextFor(kLead).get(), request, &response), "parent"));
  request.set_parent(parent);
  EXPECT_EQ(supervision_->ImportFreeBusy(ContextFor(kOtherManager).get(), request, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(ListBusy(kLead, list, &blocks).ok());
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(FromTs(blocks[1].start_time()), midnight + absl::Hours(14));
}

// ---- Planning ----

TEST_F(SupervisionRpcTest, PlanningHonoursWorkingHoursAndLeave) {
  cv1::Case c = NewFamily();
  ChairsOk();
  // The lead works Wednesday afternoons only.
  sv1::WorkingHours hours;
  hours.set_name("practitioners/sw-lead/workingHours");
  auto* wednesday = hours.add_days();
  wednesday->set_weekday(3);
  auto* afternoon = wednesday->add_ranges();
  afternoon->set_start_minute(14 * 60);
  afternoon->set_end_minute(17 * 60);
  sv1::WorkingHours stored;
  ASSERT_TRUE(UpdateHours(kLead, hours, &stored).ok());
  sv1::PlanSessionsResponse plan = PlanOk();
  ASSERT_EQ(plan.sessions_size(), 1);
  EXPECT_THAT(plan.unplaced(), IsEmpty());
  const sv1::Session session = plan.sessions(0);
  EXPECT_EQ(session.team(), "team-a");
  EXPECT_EQ(session.chair(), "tm-a");
  EXPECT_EQ(session.state(), sv1::SESSION_STATE_PROPOSED);
  ASSERT_EQ(session.cases_size(), 1);
  EXPECT_EQ(session.cases(0).case_(), c.name());
  EXPECT_THAT(session.cases(0).attendees(), ElementsAre("dav-1", "sw-lead"));
  EXPECT_EQ(FromTs(session.cases(0).end_time()) - FromTs(session.cases(0).start_time()),
            absl::Minutes(30));
  absl::CivilSecond start = absl::ToCivilSecond(FromTs(session.start_time()), London());
  absl::CivilSecond end = absl::ToCivilSecond(FromTs(session.end_time()), London());
  EXPECT_EQ(absl::GetWeekday(absl::CivilDay(start)), absl::Weekday::wednesday);
  EXPECT_GE(start.hour(), 14);
  EXPECT_LE(end.hour() * 60 + end.minute(), 17 * 60);
  EXPECT_EQ(plan.on_time() + plan.late(), 1);

  // The DA worker away for the whole horizon: the case cannot be placed, and says who.
  absl::CivilDay today = absl::ToCivilDay(absl::Now(), London());
  sv1::Leave leave;
  ASSERT_TRUE(CreateLeave(kVictimWorker, "practitioners/dav-1",
                          LeaveOf(absl::FormatCivilTime(today - 1),
                                  absl::FormatCivilTime(today + 40), "Secondment"),
                          &leave)
                  .ok());
  plan = PlanOk();
  EXPECT_THAT(plan.sessions(), IsEmpty());
  ASSERT_EQ(plan.unplaced_size(), 1);
  EXPECT_EQ(plan.unplaced(0).case_(), c.name());
  EXPECT_THAT(plan.unplaced(0).reason(), HasSubstr("dav-1 is never free"));
  sv1::CaseStatus status;
  ASSERT_TRUE(CaseStatus(kLead, StatusName(c), &status).ok());
  EXPECT_EQ(status.planned_session(), "");
  // The earlier proposal went with the re-plan.
  sv1::Session gone;
  EXPECT_EQ(GetSession(kManager, session.name(), &gone).error_code(), grpc::StatusCode::NOT_FOUND);

  sv1::Leave deleted;
  ASSERT_TRUE(DeleteLeave(kVictimWorker, leave.name(), &deleted).ok());
  plan = PlanOk();
  EXPECT_EQ(plan.sessions_size(), 1);
  EXPECT_THAT(plan.unplaced(), IsEmpty());
}

TEST_F(SupervisionRpcTest, PlanSessionsRefusesOtherTeamsAndBadHorizons) {
  NewFamily();
  ChairsOk();
  sv1::PlanSessionsRequest request;
  request.set_team("team-a");
  absl::Time now = absl::Now();
  *request.mutable_start_time() = Ts(now);
  *request.mutable_end_time() = Ts(now + absl::Hours(24 * 10));
  sv1::PlanSessionsResponse plan;
  auto plan_as = [&](const As& who) {
    return supervision_->PlanSessions(ContextFor(who).get(), request, &plan);
  };
  EXPECT_EQ(plan_as(kOtherManager).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(plan_as(kDeputy).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  request.set_team("team-b");
  EXPECT_EQ(plan_as(kManager).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  request.set_team("");
  EXPECT_TRUE(InvalidNaming(plan_as(kManager), "team"));
  request.set_team("team a");
  EXPECT_TRUE(InvalidNaming(plan_as(kManager), "team"));
  request.set_team("team-a");
  request.clear_start_time();
  EXPECT_TRUE(InvalidNaming(plan_as(kManager), "start_time"));
  request.mutable_start_time()->set_nanos(-5);
  EXPECT_TRUE(InvalidNaming(plan_as(kManager), "start_time"));
  *request.mutable_start_time() = Ts(now);
  request.clear_end_time();
  EXPECT_TRUE(InvalidNaming(plan_as(kManager), "end_time"));
  *request.mutable_end_time() = Ts(now);
  EXPECT_TRUE(InvalidNaming(plan_as(kManager), "end_time"));
  *request.mutable_end_time() = Ts(now + absl::Hours(24 * 63));
  EXPECT_TRUE(InvalidNaming(plan_as(kManager), "end_time"));
  // A horizon that is already over.
  *request.mutable_start_time() = Ts(now - absl::Hours(24 * 3));
  *request.mutable_end_time() = Ts(now - absl::Hours(24));
  auto s = plan_as(kManager);
  EXPECT_TRUE(InvalidNaming(s, "end_time"));
  EXPECT_THAT(s.error_message(), HasSubstr("over"));
  // Nothing refused made a session.
  EXPECT_EQ(SupervisionCount("SELECT count(*) FROM supervision.sessions"), 0);
  // 62 days is the longest horizon.
  *request.mutable_start_time() = Ts(now);
  *request.mutable_end_time() = Ts(now + absl::Hours(24 * 62));
  s = plan_as(kManager);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(plan.sessions_size(), 1);
  EXPECT_EQ(plan.on_time(), 1);
  EXPECT_EQ(plan.late(), 0);
  EXPECT_EQ(plan.total_lateness_minutes(), 0);
}

TEST_F(SupervisionRpcTest, ReplanningKeepsConfirmedSessionsAndMovesWhatBecameImpossible) {
  cv1::Case first = NewFamily();                        // sw-lead, dav-1
  cv1::Case second = NewFamilyWith(kSecondSpecialist);  // sw-lead, dav-2
  ChairsOk();
  sv1::PlanSessionsResponse plan = PlanOk();
  ASSERT_EQ(plan.sessions_size(), 1);
  ASSERT_EQ(plan.sessions(0).cases_size(), 2);  // one session, the two cases back to back
  sv1::Session confirmed;
  ASSERT_TRUE(Confirm(kManager, plan.sessions(0).name(), plan.sessions(0).etag(), &confirmed).ok());
  EXPECT_EQ(confirmed.state(), sv1::SESSION_STATE_CONFIRMED);

  // A third case, planned after the confirmation, gets a proposal of its own.
  cv1::Case third = NewFamily();  // sw-lead, dav-1
  plan = PlanOk();
  ASSERT_EQ(plan.sessions_size(), 2);
  EXPECT_THAT(plan.moved(), IsEmpty());
  sv1::Session proposal;
  for (const auto& s : plan.sessions()) {
    if (s.name() == confirmed.name()) {
      EXPECT_TRUE(MessageDifferencer::Equals(s, confirmed)) << s.DebugString();
    } else {
      proposal = s;
    }
  }
  ASSERT_EQ(proposal.state(), sv1::SESSION_STATE_PROPOSED);
  EXPECT_THAT(CasesOf(proposal), ElementsAre(third.name()));

  // dav-1 becomes busy when the proposal was: the proposal moves, the confirmed session stays.
  absl::Time was = FromTs(proposal.cases(0).start_time());
  sv1::BusyBlock busy;
  ASSERT_TRUE(CreateBusy(kVictimWorker, "practitioners/dav-1", was,
                         FromTs(proposal.cases(0).end_time()), &busy)
                  .ok());
  plan = PlanOk();
  ASSERT_EQ(plan.sessions_size(), 2);
  EXPECT_THAT(plan.moved(), IsEmpty());
  EXPECT_THAT(plan.unplaced(), IsEmpty());
  bool kept = false;
  for (const auto& s : plan.sessions()) {
    if (s.name() == confirmed.name()) {
      kept = true;
      EXPECT_TRUE(MessageDifferencer::Equals(s, confirmed)) << s.DebugString();
    } else {
      EXPECT_EQ(s.state(), sv1::SESSION_STATE_PROPOSED);
      ASSERT_THAT(CasesOf(s), ElementsAre(third.name()));
      absl::Time now_at = FromTs(s.cases(0).start_time());
      EXPECT_NE(now_at, was);
      EXPECT_TRUE(now_at >= FromTs(busy.end_time()) ||
                  FromTs(s.cases(0).end_time()) <= FromTs(busy.start_time()));
    }
  }
  EXPECT_TRUE(kept);
  sv1::Session fetched;
  ASSERT_TRUE(GetSession(kLead, confirmed.name(), &fetched).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(fetched, confirmed)) << fetched.DebugString();

  // dav-2 becomes busy during the second case of the confirmed session: that case moves out;
  // the first stays where it was confirmed.
  const sv1::SessionCase* second_case = nullptr;
  for (const auto& c : confirmed.cases()) {
    if (c.case_() == second.name()) second_case = &c;
  }
  ASSERT_NE(second_case, nullptr);
  ASSERT_TRUE(CreateBusy(kManager, "practitioners/dav-2", FromTs(second_case->start_time()),
                         FromTs(second_case->end_time()), &busy)
                  .ok());
  plan = PlanOk();
  EXPECT_THAT(plan.moved(), ElementsAre(second.name()));
  EXPECT_THAT(plan.unplaced(), IsEmpty());
  ASSERT_TRUE(GetSession(kLead, confirmed.name(), &fetched).ok());
  EXPECT_EQ(fetched.state(), sv1::SESSION_STATE_CONFIRMED);
  EXPECT_THAT(CasesOf(fetched), ElementsAre(first.name()));
  EXPECT_EQ(fetched.start_time().seconds(), confirmed.start_time().seconds());
  EXPECT_GT(fetched.sequence(), confirmed.sequence());  // calendars must see the change
  EXPECT_NE(fetched.etag(), confirmed.etag());
  sv1::CaseStatus status;
  ASSERT_TRUE(CaseStatus(kLead, StatusName(second), &status).ok());
  EXPECT_NE(status.planned_session(), "");
  EXPECT_NE(status.planned_session(), confirmed.name());
  ASSERT_TRUE(GetSession(kManager, status.planned_session(), &fetched).ok());
  EXPECT_EQ(fetched.state(), sv1::SESSION_STATE_PROPOSED);
  for (const auto& c : fetched.cases()) {
    if (c.case_() != second.name()) continue;
    EXPECT_TRUE(FromTs(c.start_time()) >= FromTs(busy.end_time()) ||
                FromTs(c.end_time()) <= FromTs(busy.start_time()));
  }
  ASSERT_TRUE(CaseStatus(kLead, StatusName(first), &status).ok());
  EXPECT_EQ(status.planned_session(), confirmed.name());
}

// ---- Sessions ----

TEST_F(SupervisionRpcTest, GetSessionAnswersItsTeamAndAttendeesOnly) {
  cv1::Case c = NewFamily();
  ChairsOk();
  sv1::PlanSessionsResponse plan = PlanOk();
  ASSERT_EQ(plan.sessions_size(), 1);
  const sv1::Session& planned = plan.sessions(0);
  sv1::Session session;
  auto s = GetSession(kVictimWorker, planned.name(), &session);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_TRUE(MessageDifferencer::Equals(session, planned)) << session.DebugString();
  EXPECT_THAT(CasesOf(session), ElementsAre(c.name()));
  EXPECT_EQ(session.sequence(), 0);
  EXPECT_THAT(session.attended(), IsEmpty());

  EXPECT_EQ(GetSession(kStranger, planned.name(), &session).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(GetSession(kOtherManager, planned.name(), &session).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  for (const std::string& name : std::vector<std::string>{std::string("sessions/") + kUnknownUuid,
                                                          std::string("sessions/not-a-uuid")}) {
    EXPECT_EQ(GetSession(kLead, name, &session).error_code(), grpc::StatusCode::NOT_FOUND) << name;
  }
  for (const std::string& name : std::vector<std::string>{
           std::string(""), std::string("sessions/"), std::string("sessions/a b"),
           std::string("session/") + kUnknownUuid, planned.name() + "/cases"}) {
    EXPECT_TRUE(InvalidNaming(GetSession(kLead, name, &session), "name")) << name;
  }
}

TEST_F(SupervisionRpcTest, ConfirmAndCancelCheckWhoStateAndEtag) {
  NewFamily();
  // The deputy chairs this team's sessions (the manager named them).
  sv1::TeamChairs chairs;
  chairs.set_name("teams/team-a/chairs");
  chairs.set_chair(kDeputy.practitioner);
  sv1::TeamChairs set;
  ASSERT_TRUE(UpdateChairs(kManager, chairs, &set).ok());
  sv1::PlanSessionsResponse plan = PlanOk();
  ASSERT_EQ(plan.sessions_size(), 1);
  sv1::Session proposal = plan.sessions(0);
  EXPECT_EQ(proposal.chair(), kDeputy.practitioner);

  sv1::Session out;
  EXPECT_EQ(Confirm(kLead, proposal.name(), proposal.etag(), &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Confirm(kOtherManager, proposal.name(), proposal.etag(), &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(InvalidNaming(Confirm(kDeputy, proposal.name(), "", &out), "etag"));
  EXPECT_EQ(Confirm(kDeputy, proposal.name(), "v999", &out).error_code(),
            grpc::StatusCode::ABORTED);
  EXPECT_EQ(
      Confirm(kDeputy, absl::StrCat("sessions/", kUnknownUuid), proposal.etag(), &out).error_code(),
      grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(InvalidNaming(Confirm(kDeputy, "sessions/x y", proposal.etag(), &out), "name"));
  sv1::Session unchanged;
  ASSERT_TRUE(GetSession(kLead, proposal.name(), &unchanged).ok());
  EXPECT_EQ(unchanged.state(), sv1::SESSION_STATE_PROPOSED);

  // The chair confirms; calendars need no new SEQUENCE for a first invitation.
  sv1::Session confirmed;
  auto s = Confirm(kDeputy, proposal.name(), proposal.etag(), &confirmed);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(confirmed.state(), sv1::SESSION_STATE_CONFIRMED);
  EXPECT_NE(confirmed.etag(), proposal.etag());
  EXPECT_EQ(confirmed.sequence(), proposal.sequence());
  EXPECT_EQ(confirmed.start_time().seconds(), proposal.start_time().seconds());
  EXPECT_THAT(CasesOf(confirmed), ElementsAreArray(CasesOf(proposal)));
  s = Confirm(kDeputy, proposal.name(), confirmed.etag(), &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
  EXPECT_THAT(s.error_message(), HasSubstr("CONFIRMED"));

  // Cancelling: a reason, the current etag, the chair or the manager.
  EXPECT_TRUE(
      InvalidNaming(Cancel(kManager, proposal.name(), confirmed.etag(), "", &out), "reason"));
  EXPECT_TRUE(
      InvalidNaming(Cancel(kManager, proposal.name(), confirmed.etag(), "  \n", &out), "reason"));
  EXPECT_TRUE(InvalidNaming(Cancel(kManager, proposal.name(), confirmed.etag(),
                                   std::string("Chair ill\0hidden", 16), &out),
                            "reason"));
  EXPECT_TRUE(InvalidNaming(
      Cancel(kManager, proposal.name(), confirmed.etag(), std::string(501, 'r'), &out), "reason"));
  EXPECT_EQ(Cancel(kManager, proposal.name(), proposal.etag(), "Chair ill", &out).error_code(),
            grpc::StatusCode::ABORTED);
  EXPECT_TRUE(InvalidNaming(Cancel(kManager, proposal.name(), "", "Chair ill", &out), "etag"));
  EXPECT_EQ(Cancel(kLead, proposal.name(), confirmed.etag(), "Chair ill", &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      Cancel(kOtherManager, proposal.name(), confirmed.etag(), "Chair ill", &out).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      Cancel(kManager, absl::StrCat("sessions/", kUnknownUuid), confirmed.etag(), "Chair ill", &out)
          .error_code(),
      grpc::StatusCode::NOT_FOUND);
  sv1::Session cancelled;
  s = Cancel(kManager, proposal.name(), confirmed.etag(), "Chair ill", &cancelled);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(cancelled.state(), sv1::SESSION_STATE_CANCELLED);
  EXPECT_EQ(cancelled.cancel_reason(), "Chair ill");
  EXPECT_GT(cancelled.sequence(), confirmed.sequence());

  // A cancelled session is neither confirmed, cancelled again nor recorded.
  EXPECT_EQ(Confirm(kDeputy, proposal.name(), cancelled.etag(), &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Cancel(kDeputy, proposal.name(), cancelled.etag(), "again", &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Once begun, only the state stands in the way of a record.
  clock_offset_seconds = absl::ToInt64Seconds(FromTs(proposal.start_time()) - absl::Now()) + 600;
  sv1::RecordSessionRequest record = RecordRequest(cancelled);
  s = Record(kDeputy, record, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
  EXPECT_THAT(s.error_message(), HasSubstr("CANCELLED"));
  ASSERT_TRUE(GetSession(kLead, proposal.name(), &out).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(out, cancelled)) << out.DebugString();

  // A proposal can be cancelled too.
  clock_offset_seconds = 0;
  plan = PlanOk();
  ASSERT_EQ(plan.sessions_size(), 1);
  EXPECT_NE(plan.sessions(0).name(), proposal.name());
  s = Cancel(kDeputy, plan.sessions(0).name(), plan.sessions(0).etag(), "Not needed", &out);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(out.state(), sv1::SESSION_STATE_CANCELLED);
}

TEST_F(SupervisionRpcTest, RecordSessionChecksEveryFieldThenHoldsTheSessionOnce) {
  cv1::Case c = NewFamily();
  ChairsOk();
  sv1::Session confirmed = PlannedAndConfirmed();
  ASSERT_EQ(confirmed.state(), sv1::SESSION_STATE_CONFIRMED);
  sv1::RecordSessionRequest good = RecordRequest(confirmed);
  sv1::Session out;

  // Not before it begins; only the chair or the manager; the current etag.
  auto s = Record(kManager, good, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
  absl::Time start = FromTs(confirmed.start_time());
  clock_offset_seconds = absl::ToInt64Seconds(start - absl::Now()) + 1800;
  EXPECT_EQ(Record(kLead, good, &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Record(kOtherManager, good, &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  sv1::RecordSessionRequest bad = good;
  bad.set_etag("");
  EXPECT_TRUE(InvalidNaming(Record(kManager, bad, &out), "etag"));
  bad.set_etag("v999");
  EXPECT_EQ(Record(kManager, bad, &out).error_code(), grpc::StatusCode::ABORTED);
  bad = good;
  bad.set_name(absl::StrCat("sessions/", kUnknownUuid));
  EXPECT_EQ(Record(kManager, bad, &out).error_code(), grpc::StatusCode::NOT_FOUND);

  // The fields, each named.
  struct FieldCase {
    const char* field;
    std::function<void(sv1::RecordSessionRequest&)> change;
  };
  auto record = [](sv1::RecordSessionRequest& r) { return r.mutable_records(0)->mutable_record(); };
  absl::CivilDay held_day = absl::ToCivilDay(start, London());
  const std::vector<FieldCase> cases = {
      {"attended", [](auto& r) { r.add_attended("not an id"); }},
      {"records", [](auto& r) { r.clear_records(); }},
      {"records.case", [](auto& r) { r.mutable_records(0)->set_case_("case/x"); }},
      {"records.case", [](auto& r) { *r.add_records() = r.records(0); }},
      {"records.case",
       [](auto& r) {
         *r.add_records() = r.records(0);
         r.mutable_records(1)->set_case_("cases/another-case");
       }},
      {"records.record.risk_rating", [&](auto& r) { record(r)->set_risk_rating("green"); }},
      {"records.record.risk_rating", [&](auto& r) { record(r)->clear_risk_rating(); }},
      {"records.record.summary", [&](auto& r) { record(r)->set_summary(" "); }},
      {"records.record.summary",
       [&](auto& r) { record(r)->set_summary(std::string("Fine\0cut", 8)); }},
      {"records.record.summary", [&](auto& r) { record(r)->set_summary(std::string(10001, 's')); }},
      {"records.record.actions.description",
       [&](auto& r) { record(r)->mutable_actions(0)->set_description(""); }},
      {"records.record.actions.owner",
       [&](auto& r) { record(r)->mutable_actions(0)->set_owner("two words"); }},
      {"records.record.actions.due_date",
       [&](auto& r) { record(r)->mutable_actions(0)->set_due_date("2027-13-01"); }},
      {"records.record.actions",
       [&](auto& r) {
         for (int i = 0; i < 50; ++i) *record(r)->add_actions() = record(r)->actions(0);
       }},
      {"records.record.next_due_date",
       [&](auto& r) { record(r)->set_next_due_date(absl::FormatCivilTime(held_day)); }},
      {"records.record.next_due_date",
       [&](auto& r) { record(r)->set_next_due_date(absl::FormatCivilTime(held_day + 29)); }},
      {"records.record.next_due_date", [&](auto& r) { record(r)->set_next_due_date("soon"); }},
  };
  for (const auto& [field, change] : cases) {
    sv1::RecordSessionRequest request = good;
    change(request);
    EXPECT_TRUE(InvalidNaming(Record(kManager, request, &out), field)) << request.DebugString();
  }
  // The quorum: the adult specialist must be there.
  bad = good;
  bad.clear_attended();
  bad.add_attended("tm-a");
  bad.add_attended("sw-lead");
  s = Record(kManager, bad, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
  EXPECT_THAT(s.error_message(), HasSubstr(c.name()));
  ASSERT_TRUE(GetSession(kLead, confirmed.name(), &out).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(out, confirmed)) << "a refused record changed nothing";
  EXPECT_EQ(SupervisionCount("SELECT count(*) FROM supervision.outbox"), 0);

  // Held, with the next GCS due three weeks on.
  sv1::RecordSessionRequest request = good;
  request.mutable_records(0)->mutable_record()->set_next_due_date(
      absl::FormatCivilTime(held_day + 21));
  sv1::Session held;
  s = Record(kManager, request, &held);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(held.state(), sv1::SESSION_STATE_HELD);
  EXPECT_THAT(held.attended(), ElementsAre("dav-1", "sw-lead", "tm-a"));
  EXPECT_NE(held.etag(), confirmed.etag());
  ASSERT_EQ(held.cases_size(), 1);
  EXPECT_TRUE(MessageDifferencer::Equals(held.cases(0).record(), request.records(0).record()))
      << held.cases(0).record().DebugString();
  EXPECT_EQ(SupervisionCount("SELECT count(*) FROM supervision.outbox WHERE type = "
                             "'fs.events.v1.GcsHeld'"),
            1);
  sv1::CaseStatus status;
  ASSERT_TRUE(CaseStatus(kLead, StatusName(c), &status).ok());
  EXPECT_EQ(FromTs(status.last_held_time()), FromTs(held.cases(0).start_time()));
  EXPECT_EQ(FromTs(status.due_time()), absl::FromCivil(absl::CivilSecond(held_day + 22), London()));
  EXPECT_FALSE(status.overdue());
  EXPECT_EQ(status.planned_session(), "");

  // Held is final: not recorded again, not cancelled.
  request.set_etag(held.etag());
  s = Record(kManager, request, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
  EXPECT_THAT(s.error_message(), HasSubstr("HELD"));
  EXPECT_EQ(Cancel(kManager, held.name(), held.etag(), "Too late", &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Confirm(kManager, held.name(), held.etag(), &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(GetSession(kLead, held.name(), &out).ok());
  EXPECT_TRUE(MessageDifferencer::Equals(out, held));
  EXPECT_EQ(SupervisionCount("SELECT count(*) FROM supervision.outbox"), 1);
}

TEST_F(SupervisionRpcTest, ListSessionsPagesInOrderAndFilters) {
  NewFamily();
  ChairsOk();
  // Five proposals, each cancelled before the next plan, then a sixth left proposed.
  std::vector<std::string> made;
  for (int i = 0; i < 6; ++i) {
    sv1::PlanSessionsResponse plan = PlanOk();
    ASSERT_EQ(plan.sessions_size(), 1);
    made.push_back(plan.sessions(0).name());
    if (i == 5) break;
    sv1::Session cancelled;
    ASSERT_TRUE(Cancel(kManager, plan.sessions(0).name(), plan.sessions(0).etag(),
                       absl::StrCat("Round ", i), &cancelled)
                    .ok());
  }

  sv1::ListSessionsRequest request;
  request.set_team("team-a");
  request.set_page_size(2);
  auto [names, pages] = AllPages(kManager, request);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names, made);

  request.set_state(sv1::SESSION_STATE_CANCELLED);
  std::tie(names, pages) = AllPages(kManager, request);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names, std::vector<std::string>(made.begin(), made.begin() + 5));
  request.set_state(sv1::SESSION_STATE_PROPOSED);
  std::tie(names, pages) = AllPages(kManager, request);
  EXPECT_EQ(names, std::vector<std::string>{made[5]});
  request.set_state(sv1::SESSION_STATE_HELD);
  std::tie(names, pages) = AllPages(kManager, request);
  EXPECT_THAT(names, IsEmpty());
  EXPECT_EQ(pages, 1);

  // By default, one's own sessions (attended or chaired); another's within one's team.
  sv1::ListSessionsRequest mine;
  mine.set_page_size(4);
  std::tie(names, pages) = AllPages(kVictimWorker, mine);
  EXPECT_EQ(names, made);
  EXPECT_EQ(pages, 2);
  std::tie(names, pages) = AllPages(kManager, mine);  // the chair
  EXPECT_EQ(names, made);
  std::tie(names, pages) = AllPages(kDeputy, mine);
  EXPECT_THAT(names, IsEmpty());
  mine.set_team("team-a");
  mine.set_practitioner("dav-1");
  std::tie(names, pages) = AllPages(kDeputy, mine);
  EXPECT_EQ(names, made);
  mine.set_practitioner("fsw-1");
  std::tie(names, pages) = AllPages(kDeputy, mine);
  EXPECT_THAT(names, IsEmpty());

  // By time: the sessions overlap [start, end).
  sv1::ListSessionsRequest when;
  when.set_team("team-a");
  *when.mutable_end_time() = Ts(absl::Now());
  std::tie(names, pages) = AllPages(kManager, when);
  EXPECT_THAT(names, IsEmpty());
  *when.mutable_start_time() = Ts(absl::Now());
  *when.mutable_end_time() = Ts(absl::Now() + absl::Hours(24 * 31));
  std::tie(names, pages) = AllPages(kManager, when);
  EXPECT_EQ(names, made);

  // Refusals.
  sv1::ListSessionsResponse response;
  sv1::ListSessionsRequest bad;
  bad.set_team("team-b");
  EXPECT_EQ(ListSessions(kManager, bad, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  bad.Clear();
  bad.set_practitioner("sw-lead");
  EXPECT_EQ(ListSessions(kVictimWorker, bad, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  bad.Clear();
  bad.set_team("team a");
  EXPECT_TRUE(InvalidNaming(ListSessions(kManager, bad, &response), "team"));
  bad.Clear();
  bad.set_team("team-a");
  bad.set_practitioner("dav 1");
  EXPECT_TRUE(InvalidNaming(ListSessions(kManager, bad, &response), "practitioner"));
  bad.Clear();
  bad.set_state(static_cast<sv1::SessionState>(99));
  EXPECT_TRUE(InvalidNaming(ListSessions(kManager, bad, &response), "state"));
  bad.Clear();
  bad.set_page_size(-2);
  EXPECT_TRUE(InvalidNaming(ListSessions(kManager, bad, &response), "page_size"));
  bad.Clear();
  bad.set_page_token("bm90IGEgdG9rZW4");
  EXPECT_TRUE(InvalidNaming(ListSessions(kManager, bad, &response), "page_token"));
  bad.Clear();
  bad.mutable_start_time()->set_nanos(-1);
  EXPECT_TRUE(InvalidNaming(ListSessions(kManager, bad, &response), "start_time"));
  bad.Clear();
  bad.mutable_end_time()->set_seconds(TimeUtil::kTimestampMaxSeconds + 1);
  EXPECT_TRUE(InvalidNaming(ListSessions(kManager, bad, &response), "end_time"));
}

// ---- Calendars ----

TEST_F(SupervisionRpcTest, CalendarFeedShowsConfirmedSessionsAndThenTheirCancellation) {
  NewFamily();
  ChairsOk();
  sv1::PlanSessionsResponse plan = PlanOk();
  ASSERT_EQ(plan.sessions_size(), 1);
  const sv1::Session proposal = plan.sessions(0);
  const std::string uid = proposal.name().substr(9) + "@fs.local";

  // Proposals are in nobody's calendar yet.
  sv1::CalendarFeed feed;
  auto s = Feed(kLead, "sw-lead", &feed);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(feed.content_type(), "text/calendar; charset=utf-8");
  EXPECT_THAT(feed.content(), HasSubstr("BEGIN:VCALENDAR"));
  EXPECT_EQ(EventOf(feed.content(), uid), "");

  sv1::Session confirmed;
  ASSERT_TRUE(Confirm(kManager, proposal.name(), proposal.etag(), &confirmed).ok());
  ASSERT_TRUE(Feed(kVictimWorker, "dav-1", &feed).ok());
  std::string event = EventOf(feed.content(), uid);
  ASSERT_NE(event, "") << feed.content();
  EXPECT_THAT(event, HasSubstr("STATUS:CONFIRMED"));
  EXPECT_THAT(event, HasSubstr("DTSTART:" + absl::FormatTime("%Y%m%dT%H%M%SZ",
                                                             FromTs(confirmed.start_time()),
                                                             absl::UTCTimeZone())));
  int before = SequenceOf(event);
  EXPECT_EQ(before, confirmed.sequence());
  ASSERT_TRUE(Feed(kManager, "tm-a", &feed).ok());  // the chair's too
  EXPECT_NE(EventOf(feed.content(), uid), "");
  ASSERT_TRUE(Feed(kDeputy, "tm-deputy", &feed).ok());
  EXPECT_EQ(EventOf(feed.content(), uid), "");

  sv1::Session cancelled;
  ASSERT_TRUE(Cancel(kManager, proposal.name(), confirmed.etag(), "Chair ill", &cancelled).ok());
  ASSERT_TRUE(Feed(kLead, "sw-lead", &feed).ok());
  event = EventOf(feed.content(), uid);
  ASSERT_NE(event, "") << feed.content();
  EXPECT_THAT(event, HasSubstr("STATUS:CANCELLED"));
  EXPECT_THAT(event, Not(HasSubstr("STATUS:CONFIRMED")));
  EXPECT_GT(SequenceOf(event), before);
  EXPECT_EQ(SequenceOf(event), cancelled.sequence());

  // Another's feed is theirs and their team manager's only.
  EXPECT_EQ(Feed(kVictimWorker, "sw-lead", &feed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Feed(kOtherManager, "sw-lead", &feed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  s = Feed(kManager, "sw-lead", &feed);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_NE(EventOf(feed.content(), uid), "");
  EXPECT_TRUE(InvalidNaming(Feed(kLead, "sw lead", &feed), "parent"));
  EXPECT_TRUE(InvalidNaming(Feed(kLead, "", &feed), "parent"));
}

// ---- Audit ----

TEST_F(SupervisionRpcTest, EveryCallIsAuditedWithItsOutcomeInAnIntactChain) {
  NewFamily();
  ChairsOk();
  sv1::TeamChairs chairs;
  EXPECT_EQ(GetChairs(kStranger, "teams/team-a/chairs", &chairs).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  sv1::Leave leave;
  ASSERT_TRUE(
      CreateLeave(kLead, "practitioners/sw-lead", LeaveOf("2027-04-01", "2027-04-02"), &leave)
          .ok());
  EXPECT_EQ(CreateLeave(kLead, "practitioners/sw-lead", LeaveOf("2027-04-02", "2027-04-01"), &leave)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  sv1::Leave deleted;
  EXPECT_EQ(DeleteLeave(kLead, absl::StrCat("practitioners/sw-lead/leave/", kUnknownUuid), &deleted)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  sv1::PlanSessionsResponse plan = PlanOk();
  ASSERT_EQ(plan.sessions_size(), 1);
  sv1::Session out;
  EXPECT_EQ(Confirm(kManager, plan.sessions(0).name(), "v999", &out).error_code(),
            grpc::StatusCode::ABORTED);
  sv1::GetSessionRequest get;
  get.set_name(plan.sessions(0).name());
  EXPECT_EQ(supervision_->GetSession(ContextForPrincipal(::fs::cases::kNhsPartner).get(), get, &out)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  {
    grpc::ClientContext anonymous;
    EXPECT_EQ(supervision_->GetSession(&anonymous, get, &out).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }

  const std::vector<std::pair<std::string, std::string>> expected = {
      {"UpdateTeamChairs", "OK"},
      {"GetTeamChairs", "PERMISSION_DENIED"},
      {"CreateLeave", "OK"},
      {"CreateLeave", "INVALID_ARGUMENT"},
      {"DeleteLeave", "NOT_FOUND"},
      {"PlanSessions", "OK"},
      {"ConfirmSession", "ABORTED"},
      {"GetSession", "PERMISSION_DENIED"},
      {"GetSession", "UNAUTHENTICATED"},
  };
  EXPECT_EQ(SupervisionAudit(), expected);
  auto rows = [&](const std::string& where) {
    return SupervisionCount("SELECT count(*) FROM supervision.audit_log WHERE " + where);
  };
  EXPECT_EQ(rows("action = 'CreateLeave' AND outcome = 'OK' AND resource = '" + leave.name() +
                 "' AND principal = 'spiffe://fs.local/practitioner/sw-lead' AND role = "
                 "'social_worker'"),
            1);
  EXPECT_EQ(rows("action = 'PlanSessions' AND resource = 'teams/team-a' AND role = "
                 "'team_manager'"),
            1);
  EXPECT_EQ(rows("action = 'ConfirmSession' AND resource = '" + plan.sessions(0).name() + "'"), 1);
  EXPECT_EQ(rows("action = 'GetSession' AND outcome = 'PERMISSION_DENIED' AND role = "
                 "'nhs_partner'"),
            1);
  EXPECT_EQ(rows("action = 'Deliver' AND outcome = 'OK'"), rows("action = 'Deliver'"));
  pqxx::connection conn(supervision_server_.database().admin_url());
  pqxx::read_transaction tx(conn);
  EXPECT_TRUE(tx.exec1("SELECT supervision.verify_audit_chain()")[0].is_null());
}

// ---- Found in review: horizons, races, access to others' time and records ----

TEST_F(SupervisionRpcTest, AShorterHorizonLeavesAConfirmedSessionOfACaseDueLaterAsItIs) {
  cv1::Case c = NewFamily();
  ChairsOk();
  sv1::Session confirmed = PlannedAndConfirmed();
  absl::Time start = FromTs(confirmed.start_time());
  absl::Time end = FromTs(confirmed.end_time());
  sv1::CaseStatus status;
  ASSERT_TRUE(CaseStatus(kLead, StatusName(c), &status).ok());
  ASSERT_GT(FromTs(status.due_time()), end + absl::Hours(1));
  // The horizon holds the session but ends before the case is due; then it ends mid-session.
  for (absl::Time horizon_end : {end + absl::Hours(1), start + absl::Minutes(15)}) {
    sv1::PlanSessionsResponse plan;
    auto s = Plan(kManager, absl::Now(), horizon_end, &plan);
    ASSERT_TRUE(s.ok()) << Describe(s);
    EXPECT_THAT(plan.moved(), IsEmpty());
    sv1::Session after;
    ASSERT_TRUE(GetSession(kManager, confirmed.name(), &after).ok());
    EXPECT_EQ(after.state(), sv1::SESSION_STATE_CONFIRMED);
    EXPECT_THAT(CasesOf(after), ElementsAre(c.name()));
    EXPECT_EQ(after.sequence(), confirmed.sequence()) << "calendars were told of a change";
  }
  // And no second session was proposed for it.
  EXPECT_EQ(SupervisionCount("SELECT count(*) FROM supervision.session_cases"), 1);
}

TEST_F(SupervisionRpcTest, PlansAtOnceLeaveEachCaseInOneLiveSession) {
  std::vector<cv1::Case> cases;
  for (int i = 0; i < 3; ++i) cases.push_back(NewFamily());
  ChairsOk();
  std::vector<grpc::Status> results(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      sv1::PlanSessionsResponse plan;
      results[i] = Plan(kManager, absl::Now(), absl::Now() + absl::Hours(24 * 30), &plan);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& s : results) EXPECT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(SupervisionCount("SELECT count(*) FROM supervision.session_cases sc JOIN "
                             "supervision.sessions s USING (session_id) WHERE s.state IN "
                             "('PROPOSED', 'CONFIRMED')"),
            3);
  EXPECT_EQ(SupervisionCount("SELECT count(DISTINCT sc.case_id) FROM supervision.session_cases "
                             "sc"),
            3);
}

TEST_F(SupervisionRpcTest, ChairsSetAtOnceForTheFirstTimeKeepOneAnswerAndRefuseTheRest) {
  std::vector<grpc::Status> results(6);
  std::vector<sv1::TeamChairs> answers(6);
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      sv1::UpdateTeamChairsRequest request;
      request.mutable_chairs()->set_name("teams/team-a/chairs");
      request.mutable_chairs()->set_chair("tm-a");
      request.mutable_chairs()->add_deputies(absl::StrCat("deputy-", i));
      results[i] = supervision_->UpdateTeamChairs(ContextFor(kManager).get(), request, &answers[i]);
    });
  }
  for (auto& t : threads) t.join();
  int won = -1;
  for (int i = 0; i < 6; ++i) {
    if (results[i].ok()) {
      EXPECT_EQ(won, -1) << "two first settings both succeeded";
      won = i;
    } else {
      // Raced the winner (ABORTED), or came after it without its etag (INVALID_ARGUMENT).
      EXPECT_THAT(results[i].error_code(),
                  ::testing::AnyOf(grpc::StatusCode::ABORTED, grpc::StatusCode::INVALID_ARGUMENT))
          << Describe(results[i]);
    }
  }
  ASSERT_GE(won, 0);
  sv1::GetTeamChairsRequest get;
  get.set_name("teams/team-a/chairs");
  sv1::TeamChairs now;
  ASSERT_TRUE(supervision_->GetTeamChairs(ContextFor(kLead).get(), get, &now).ok());
  EXPECT_THAT(now.deputies(), ElementsAre(absl::StrCat("deputy-", won)));
}

TEST_F(SupervisionRpcTest, NamingSomeoneADeputyGivesTheManagerNoHoldOnTheirTime) {
  NewFamily();
  sv1::UpdateTeamChairsRequest request;
  request.mutable_chairs()->set_name("teams/team-a/chairs");
  request.mutable_chairs()->set_chair("tm-a");
  request.mutable_chairs()->add_deputies(kStranger.practitioner);
  sv1::TeamChairs chairs;
  ASSERT_TRUE(supervision_->UpdateTeamChairs(ContextFor(kManager).get(), request, &chairs).ok());
  const std::string parent = "practitioners/" + kStranger.practitioner;
  sv1::Leave leave;
  EXPECT_EQ(CreateLeave(kManager, parent, LeaveOf("2027-03-01", "2027-03-02"), &leave).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  sv1::CalendarFeed feed;
  EXPECT_EQ(Feed(kManager, kStranger.practitioner, &feed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Their own team's practitioner, yes.
  EXPECT_TRUE(Feed(kManager, kVictimWorker.practitioner, &feed).ok());
}

TEST_F(SupervisionRpcTest, AHeldRecordIsForTheCasesPractitionersAndCannotBeRewrittenOrPreDated) {
  cv1::Case c = NewFamily();
  ChairsOk();
  sv1::Session confirmed = PlannedAndConfirmed();
  clock_offset_seconds = absl::ToInt64Seconds(FromTs(confirmed.start_time()) - absl::Now()) + 60;
  sv1::Session held;
  auto s = Record(kManager, RecordRequest(confirmed), &held);
  ASSERT_TRUE(s.ok()) << Describe(s);

  // The team's support worker, not on this case, sees the session but not what was said.
  sv1::Session seen;
  ASSERT_TRUE(GetSession(kSupport, held.name(), &seen).ok());
  ASSERT_EQ(seen.cases_size(), 1);
  EXPECT_FALSE(seen.cases(0).has_record());
  sv1::ListSessionsRequest list;
  list.set_team("team-a");
  sv1::ListSessionsResponse listed;
  ASSERT_TRUE(ListSessions(kSupport, list, &listed).ok());
  ASSERT_EQ(listed.sessions_size(), 1);
  EXPECT_FALSE(listed.sessions(0).cases(0).has_record());
  // The case's practitioners and the manager do.
  for (const As& who : {kLead, kVictimWorker, kManager}) {
    ASSERT_TRUE(GetSession(who, held.name(), &seen).ok()) << who.practitioner;
    EXPECT_EQ(seen.cases(0).record().risk_rating(), "GREEN") << who.practitioner;
  }

  // An earlier date cannot move the due date once this service has held a GCS.
  sv1::RecordEarlierSupervisionRequest earlier;
  earlier.set_name(StatusName(c));
  earlier.set_held_date(FormatDate(absl::ToCivilDay(TestClock(), London())));
  sv1::CaseStatus status;
  EXPECT_EQ(supervision_->RecordEarlierSupervision(ContextFor(kManager).get(), earlier, &status)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  // Not even the schema owner changes, deletes or truncates a held session.
  pqxx::connection conn(supervision_server_.database().owner_url());
  for (const char* sql :
       {"UPDATE supervision.sessions SET attended = '{}'",
        "UPDATE supervision.sessions SET state = 'CANCELLED'", "DELETE FROM supervision.sessions",
        "TRUNCATE supervision.sessions CASCADE", "TRUNCATE supervision.session_cases"}) {
    pqxx::work tx(conn);
    EXPECT_THROW(tx.exec(sql), pqxx::sql_error) << sql;
  }
  ASSERT_TRUE(GetSession(kManager, held.name(), &seen).ok());
  EXPECT_EQ(seen.state(), sv1::SESSION_STATE_HELD);
  EXPECT_EQ(seen.attended_size(), 3);
}

TEST_F(SupervisionRpcTest, AClosedCaseLeavesItsConfirmedSessionAtTheNextPlan) {
  cv1::Case staying = NewFamily();
  cv1::Case closing = NewFamily();
  ChairsOk();
  sv1::PlanSessionsResponse plan = PlanOk();
  ASSERT_EQ(plan.sessions_size(), 1);
  ASSERT_EQ(plan.sessions(0).cases_size(), 2);
  sv1::Session confirmed;
  ASSERT_TRUE(Confirm(kManager, plan.sessions(0).name(), plan.sessions(0).etag(), &confirmed).ok());
  ASSERT_TRUE(Close(kManager, Fetch(closing.name()), "RC2").ok());
  Sync();
  plan = PlanOk();
  sv1::Session after;
  ASSERT_TRUE(GetSession(kManager, confirmed.name(), &after).ok());
  EXPECT_EQ(after.state(), sv1::SESSION_STATE_CONFIRMED);
  EXPECT_THAT(CasesOf(after), ElementsAre(staying.name()));
  EXPECT_GT(after.sequence(), confirmed.sequence()) << "calendars must see the change";
}

}  // namespace
}  // namespace fs::supervision
