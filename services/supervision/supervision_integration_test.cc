// Supervision over real gRPC on a real PostgreSQL, fed by case_records' real outbox relay: a
// case becomes due, is planned, confirmed, held and recorded; availability and calendars.
#include "services/supervision/supervision_integration_fixture.h"
#include "services/supervision/supervision_metrics.h"

namespace fs::supervision {
namespace {

using ::testing::HasSubstr;

TEST_F(SupervisionTest, ACaseIsDuePlannedConfirmedHeldAndRecorded) {
  cv1::Case c = NewFamily();
  std::string case_id = c.name().substr(6);

  // Due 14 days after the first allocation, at the end of that day in England.
  sv1::GetCaseStatusRequest get;
  get.set_name(c.name() + "/supervisionStatus");
  sv1::CaseStatus status;
  auto s = supervision_->GetCaseStatus(ContextFor(kLead).get(), get, &status);
  ASSERT_TRUE(s.ok()) << Describe(s);
  absl::Time due = absl::FromUnixSeconds(status.due_time().seconds());
  EXPECT_GT(due, absl::Now() + absl::Hours(24 * 14));
  EXPECT_LE(due, absl::Now() + absl::Hours(24 * 15) + absl::Hours(1));
  EXPECT_FALSE(status.overdue());
  EXPECT_THAT(status.attendees(), ::testing::UnorderedElementsAre("sw-lead", "dav-1"));

  // Without chairs, the case cannot be placed, and says why.
  sv1::PlanSessionsResponse plan;
  s = Plan(kManager, absl::Now(), absl::Now() + absl::Hours(24 * 30), &plan);
  ASSERT_TRUE(s.ok()) << Describe(s);
  ASSERT_EQ(plan.unplaced_size(), 1);
  EXPECT_THAT(plan.unplaced(0).reason(), HasSubstr("no chair"));

  sv1::TeamChairs chairs;
  ASSERT_TRUE(SetChairs(kManager, "tm-a", &chairs).ok());
  s = Plan(kManager, absl::Now(), absl::Now() + absl::Hours(24 * 30), &plan);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(plan.unplaced_size(), 0);
  ASSERT_EQ(plan.sessions_size(), 1);
  EXPECT_EQ(plan.on_time(), 1);
  sv1::Session session = plan.sessions(0);
  EXPECT_EQ(session.state(), sv1::SESSION_STATE_PROPOSED);
  EXPECT_EQ(session.chair(), "tm-a");
  ASSERT_EQ(session.cases_size(), 1);
  EXPECT_EQ(session.cases(0).case_(), c.name());
  absl::Time start = absl::FromUnixSeconds(session.start_time().seconds());
  EXPECT_LE(absl::FromUnixSeconds(session.end_time().seconds()), due);
  // Working hours in England, on a weekday.
  absl::TimeZone london;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/London", &london));
  absl::CivilSecond local = absl::ToCivilSecond(start, london);
  EXPECT_GE(local.hour(), 9);
  EXPECT_LT(local.hour(), 17);
  auto weekday = absl::GetWeekday(absl::CivilDay(local));
  EXPECT_NE(weekday, absl::Weekday::saturday);
  EXPECT_NE(weekday, absl::Weekday::sunday);

  // Re-planning replaces the proposal (still one session).
  s = Plan(kManager, absl::Now(), absl::Now() + absl::Hours(24 * 30), &plan);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(SupervisionCount("SELECT count(*) FROM supervision.sessions"), 1);
  session = plan.sessions(0);

  sv1::ConfirmSessionRequest confirm;
  confirm.set_name(session.name());
  confirm.set_etag(session.etag());
  sv1::Session confirmed;
  EXPECT_EQ(supervision_->ConfirmSession(ContextFor(kLead).get(), confirm, &confirmed).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  s = supervision_->ConfirmSession(ContextFor(kManager).get(), confirm, &confirmed);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(confirmed.state(), sv1::SESSION_STATE_CONFIRMED);

  // The lead's calendar has it.
  sv1::GetCalendarFeedRequest feed_request;
  feed_request.set_parent("practitioners/sw-lead");
  sv1::CalendarFeed feed;
  s = supervision_->GetCalendarFeed(ContextFor(kLead).get(), feed_request, &feed);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_THAT(feed.content(), HasSubstr("BEGIN:VCALENDAR"));
  EXPECT_THAT(feed.content(), HasSubstr(session.name().substr(9) + "@fs.local"));
  EXPECT_THAT(feed.content(), HasSubstr("STATUS:CONFIRMED"));

  // Recorded only once begun; with the quorum; then held.
  sv1::RecordSessionRequest record;
  record.set_name(session.name());
  record.set_etag(confirmed.etag());
  record.add_attended("tm-a");
  record.add_attended("sw-lead");
  auto* entry = record.add_records();
  entry->set_case_(c.name());
  entry->mutable_record()->set_risk_rating("AMBER");
  entry->mutable_record()->set_summary("Progress on safety planning; contact supervised.");
  auto* action = entry->mutable_record()->add_actions();
  action->set_description("Review the safety plan with the school");
  action->set_owner("dav-1");
  action->set_due_date("2027-01-15");
  sv1::Session held;
  EXPECT_EQ(supervision_->RecordSession(ContextFor(kManager).get(), record, &held).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  clock_offset_seconds = absl::ToInt64Seconds(start - absl::Now()) + 3600;
  s = supervision_->RecordSession(ContextFor(kManager).get(), record, &held);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(s);
  EXPECT_THAT(s.error_message(), HasSubstr("adult specialist"));
  entry->mutable_record()->set_risk_rating("PURPLE");
  record.add_attended("dav-1");
  EXPECT_TRUE(InvalidNaming(supervision_->RecordSession(ContextFor(kManager).get(), record, &held),
                            "risk_rating"));
  entry->mutable_record()->set_risk_rating("AMBER");
  s = supervision_->RecordSession(ContextFor(kManager).get(), record, &held);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(held.state(), sv1::SESSION_STATE_HELD);
  EXPECT_EQ(held.cases(0).record().risk_rating(), "AMBER");
  EXPECT_FALSE(held.cases(0).record().next_due_date().empty());

  // GcsHeld went to the outbox; the next GCS is due 28 days after this one.
  EXPECT_EQ(SupervisionCount("SELECT count(*) FROM supervision.outbox WHERE type = "
                             "'fs.events.v1.GcsHeld'"),
            1);
  s = supervision_->GetCaseStatus(ContextFor(kLead).get(), get, &status);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(status.has_last_held_time());
  absl::CivilDay held_day = absl::ToCivilDay(start, london);
  EXPECT_EQ(absl::ToCivilDay(absl::FromUnixSeconds(status.due_time().seconds()), london),
            held_day + 29);  // the end of day 28 is midnight starting day 29
  // The record cannot be changed, even by the schema owner.
  pqxx::connection conn(supervision_server_.database().owner_url());
  pqxx::work tx(conn);
  EXPECT_THROW(tx.exec("UPDATE supervision.session_cases SET record = NULL"), pqxx::sql_error);
}

TEST_F(SupervisionTest, OnlyTheTeamManagerPlansAndBadHorizonsAreRefused) {
  NewFamily();
  sv1::PlanSessionsResponse plan;
  EXPECT_EQ(Plan(kLead, absl::Now(), absl::Now() + absl::Hours(240), &plan).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(
      InvalidNaming(Plan(kManager, absl::Now(), absl::Now() - absl::Hours(1), &plan), "end_time"));
  EXPECT_TRUE(InvalidNaming(Plan(kManager, absl::Now(), absl::Now() + absl::Hours(24 * 90), &plan),
                            "end_time"));
  sv1::TeamChairs chairs;
  EXPECT_EQ(SetChairs(kLead, "tm-a", &chairs).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(InvalidNaming(SetChairs(kManager, "bad id!", &chairs), "chairs.chair"));
}

TEST_F(SupervisionTest, ImportedFreeBusyIsBusyTimeAndReplacesTheEarlierImport) {
  sv1::ImportFreeBusyRequest request;
  request.set_parent("practitioners/sw-lead");
  absl::Time day = absl::Now() + absl::Hours(48);
  std::string from = absl::FormatTime("%Y%m%dT100000Z", day, absl::UTCTimeZone());
  std::string to = absl::FormatTime("%Y%m%dT113000Z", day, absl::UTCTimeZone());
  request.set_icalendar(absl::StrCat(
      "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VFREEBUSY\r\n",
      "DTSTART:", absl::FormatTime("%Y%m%dT000000Z", day, absl::UTCTimeZone()), "\r\n",
      "DTEND:", absl::FormatTime("%Y%m%dT235900Z", day, absl::UTCTimeZone()), "\r\n",
      "FREEBUSY;FBTYPE=BUSY:", from, "/", to, "\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n"));
  sv1::ImportFreeBusyResponse response;
  auto s = supervision_->ImportFreeBusy(ContextFor(kLead).get(), request, &response);
  ASSERT_TRUE(s.ok()) << Describe(s);
  EXPECT_EQ(response.imported(), 1);
  ASSERT_TRUE(supervision_->ImportFreeBusy(ContextFor(kLead).get(), request, &response).ok());
  sv1::ListBusyBlocksRequest list;
  list.set_parent("practitioners/sw-lead");
  sv1::ListBusyBlocksResponse blocks;
  ASSERT_TRUE(supervision_->ListBusyBlocks(ContextFor(kLead).get(), list, &blocks).ok());
  ASSERT_EQ(blocks.busy_blocks_size(), 1);  // the second import replaced the first
  EXPECT_EQ(blocks.busy_blocks(0).source(), "ical");
  EXPECT_EQ(
      blocks.busy_blocks(0).end_time().seconds() - blocks.busy_blocks(0).start_time().seconds(),
      90 * 60);
  // Someone else's calendar is not theirs to change; garbage is INVALID_ARGUMENT.
  EXPECT_EQ(supervision_->ImportFreeBusy(ContextFor(kVictimWorker).get(), request, &response)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  request.set_icalendar("not a calendar");
  EXPECT_TRUE(InvalidNaming(
      supervision_->ImportFreeBusy(ContextFor(kLead).get(), request, &response), "icalendar"));
}

}  // namespace
}  // namespace fs::supervision

namespace fs::supervision {
namespace {

// The value of `family`'s gauge for `team`, or -1 when there is none.
double GaugeFor(prometheus::Registry& registry, const std::string& family,
                const std::string& team) {
  for (const auto& f : registry.Collect()) {
    if (f.name != family) continue;
    for (const auto& metric : f.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "team" && label.value == team) return metric.gauge.value;
      }
    }
  }
  return -1;
}

TEST_F(SupervisionTest, TheOverdueGaugesCountEachTeamsOpenAndOverdueCases) {
  cv1::Case first = NewFamily();
  cv1::Case second = NewFamily();
  prometheus::Registry registry;
  Policy policy;  // due 14 days after the first allocation
  OverdueGauges gauges(supervision_server_.pool(), registry, policy, TestClock);
  ASSERT_TRUE(gauges.Refresh().ok());
  EXPECT_EQ(GaugeFor(registry, "fs_gcs_open_cases", "team-a"), 2);
  EXPECT_EQ(GaugeFor(registry, "fs_gcs_overdue_cases", "team-a"), 0);
  EXPECT_EQ(GaugeFor(registry, "fs_gcs_oldest_overdue_days", "team-a"), 0);

  // 17 days on: both overdue by two to three days (the end of day 14 has passed).
  clock_offset_seconds = 17 * 86400;
  ASSERT_TRUE(gauges.Refresh().ok());
  EXPECT_EQ(GaugeFor(registry, "fs_gcs_overdue_cases", "team-a"), 2);
  double oldest = GaugeFor(registry, "fs_gcs_oldest_overdue_days", "team-a");
  EXPECT_GT(oldest, 1.9);
  EXPECT_LT(oldest, 3.1);

  // A closed case leaves both counts; a team with none left reads 0, not its old value.
  ASSERT_TRUE(Close(kManager, Fetch(first.name()), "RC2").ok());
  Sync();
  ASSERT_TRUE(gauges.Refresh().ok());
  EXPECT_EQ(GaugeFor(registry, "fs_gcs_open_cases", "team-a"), 1);
  EXPECT_EQ(GaugeFor(registry, "fs_gcs_overdue_cases", "team-a"), 1);
  ASSERT_TRUE(Close(kManager, Fetch(second.name()), "RC2").ok());
  Sync();
  ASSERT_TRUE(gauges.Refresh().ok());
  EXPECT_EQ(GaugeFor(registry, "fs_gcs_open_cases", "team-a"), 0);
  EXPECT_EQ(GaugeFor(registry, "fs_gcs_overdue_cases", "team-a"), 0);
}

}  // namespace
}  // namespace fs::supervision
