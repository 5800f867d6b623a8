// The caseload gauges ops watch (fs_open_cases by team and state, and when they were counted),
// over cases made and moved through the real service.
#include <prometheus/registry.h>

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/case_records/case_metrics.h"
#include "services/case_records/case_records_integration_fixture.h"

namespace fs::cases {
namespace {

inline const As kTeamBLead{"sw-other", "social_worker", "team-b", ""};

class OpenCaseGaugesTest : public CaseRecordsTest {
 protected:
  OpenCaseGaugesTest() : gauges_(server_.pool(), registry_) {}

  // Every fs_open_cases series, (team, state) -> value, as a scrape would see it.
  std::map<std::pair<std::string, std::string>, double> OpenCases() {
    std::map<std::pair<std::string, std::string>, double> out;
    for (const auto& family : registry_.Collect()) {
      if (family.name != "fs_open_cases") continue;
      for (const auto& metric : family.metric) {
        std::string team, state;
        for (const auto& label : metric.label) {
          if (label.name == "team") team = label.value;
          if (label.name == "state") state = label.value;
        }
        out[{team, state}] = metric.gauge.value;
      }
    }
    return out;
  }

  std::optional<double> RefreshedAt() {
    for (const auto& family : registry_.Collect()) {
      if (family.name == "fs_open_cases_refresh_timestamp_seconds" && !family.metric.empty()) {
        return family.metric[0].gauge.value;
      }
    }
    return std::nullopt;
  }

  void Refresh() {
    absl::Status status = gauges_.Refresh();
    ASSERT_TRUE(status.ok()) << status;
  }

  v1::Case NewCaseFor(const As& lead, const std::string& team) {
    v1::CreateCaseRequest request = CaseRequest();
    request.mutable_case_()->set_team(team);
    request.mutable_case_()->set_lead_social_worker(lead.practitioner);
    v1::Case created;
    auto status = cases_->CreateCase(ContextFor(lead).get(), request, &created);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return created;
  }

  // Moves the case through `states` in order; returns it as it ends.
  v1::Case Move(const As& who, v1::Case c, const std::vector<v1::CaseState>& states) {
    for (v1::CaseState state : states) {
      v1::Case moved;
      auto status = ChangeState(who, c.name(), c.etag(), state, &moved);
      EXPECT_TRUE(status.ok()) << Describe(status);
      c = moved;
    }
    return c;
  }

  // Waits until the wall clock is in a later whole second than `seconds`.
  static void WaitPast(double seconds) {
    while (static_cast<double>(absl::ToUnixSeconds(absl::Now())) <= seconds) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  prometheus::Registry registry_;
  OpenCaseGauges gauges_;
};

TEST_F(OpenCaseGaugesTest, CountsOpenCasesByTeamAndStateAndLeavesClosedOnesOut) {
  EXPECT_EQ(RefreshedAt().value_or(0), 0.0) << "counted before any refresh";
  NewCase();
  NewCase();
  Move(kLead, NewCase(), {v1::CASE_STATE_ASSESSMENT});
  Move(kLead, NewCase(), {v1::CASE_STATE_ASSESSMENT, v1::CASE_STATE_CHILD_PROTECTION});
  Move(kLead, NewCase(), {v1::CASE_STATE_ASSESSMENT, v1::CASE_STATE_LOOKED_AFTER});
  // Two closed cases of team-a, one closed from REFERRAL and one from CHILD_IN_NEED.
  ASSERT_TRUE(Close(kLead, NewCase(), "RC1").ok());
  v1::Case in_need =
      Move(kLead, NewCase(), {v1::CASE_STATE_ASSESSMENT, v1::CASE_STATE_CHILD_IN_NEED});
  ASSERT_TRUE(Close(kLead, in_need, "RC1").ok());
  NewCaseFor(kTeamBLead, "team-b");
  Move(kTeamBLead, NewCaseFor(kTeamBLead, "team-b"),
       {v1::CASE_STATE_ASSESSMENT, v1::CASE_STATE_CHILD_IN_NEED});
  Move(kTeamBLead, NewCaseFor(kTeamBLead, "team-b"),
       {v1::CASE_STATE_ASSESSMENT, v1::CASE_STATE_CHILD_IN_NEED});

  int64_t before = absl::ToUnixSeconds(absl::Now());
  Refresh();
  int64_t after = absl::ToUnixSeconds(absl::Now());
  std::map<std::pair<std::string, std::string>, double> expected = {
      {{"team-a", "REFERRAL"}, 2},         {{"team-a", "ASSESSMENT"}, 1},
      {{"team-a", "CHILD_PROTECTION"}, 1}, {{"team-a", "LOOKED_AFTER"}, 1},
      {{"team-b", "REFERRAL"}, 1},         {{"team-b", "CHILD_IN_NEED"}, 2},
  };
  EXPECT_EQ(OpenCases(), expected);
  // What the database says, counted independently.
  EXPECT_EQ(Count("cases", "state <> 'CLOSED'"), 8);
  EXPECT_EQ(Count("cases", "state = 'CLOSED'"), 2);
  auto refreshed = RefreshedAt();
  ASSERT_TRUE(refreshed.has_value());
  EXPECT_GE(*refreshed, static_cast<double>(before));
  EXPECT_LE(*refreshed, static_cast<double>(after));
}

TEST_F(OpenCaseGaugesTest, AStateOrTeamThatEmptiesReadsZeroAndTheRefreshTimeAdvances) {
  v1::Case c = Move(kLead, NewCase(), {v1::CASE_STATE_ASSESSMENT});
  NewCaseFor(kTeamBLead, "team-b");
  Refresh();
  using Counts = std::map<std::pair<std::string, std::string>, double>;
  EXPECT_EQ(OpenCases(), (Counts{{{"team-a", "ASSESSMENT"}, 1}, {{"team-b", "REFERRAL"}, 1}}));
  auto first = RefreshedAt();
  ASSERT_TRUE(first.has_value());

  // The case steps up: its old state reads 0 (not its old count, and not a vanished series).
  WaitPast(*first);
  c = Move(kLead, c, {v1::CASE_STATE_CHILD_PROTECTION});
  Refresh();
  EXPECT_EQ(OpenCases(), (Counts{{{"team-a", "ASSESSMENT"}, 0},
                                 {{"team-a", "CHILD_PROTECTION"}, 1},
                                 {{"team-b", "REFERRAL"}, 1}}));
  auto second = RefreshedAt();
  ASSERT_TRUE(second.has_value());
  EXPECT_GT(*second, *first);

  // Closed: team-a has no open case left; closed cases are no series of their own.
  WaitPast(*second);
  v1::Case closed;
  ASSERT_TRUE(Close(kLead, Fetch(c.name()), "RC1", &closed).ok());
  Refresh();
  EXPECT_EQ(OpenCases(), (Counts{{{"team-a", "ASSESSMENT"}, 0},
                                 {{"team-a", "CHILD_PROTECTION"}, 0},
                                 {{"team-b", "REFERRAL"}, 1}}));
  auto third = RefreshedAt();
  ASSERT_TRUE(third.has_value());
  EXPECT_GT(*third, *second);

  // Reopened, it counts again, in REFERRAL.
  auto reopened = Reopen(kManager, closed, kNewLead.practitioner);
  ASSERT_TRUE(reopened.ok()) << Describe(reopened);
  Refresh();
  EXPECT_EQ(OpenCases(), (Counts{{{"team-a", "ASSESSMENT"}, 0},
                                 {{"team-a", "CHILD_PROTECTION"}, 0},
                                 {{"team-a", "REFERRAL"}, 1},
                                 {{"team-b", "REFERRAL"}, 1}}));
}

TEST_F(OpenCaseGaugesTest, ACaseMovedToAnotherTeamLeavesItsOldTeamAtZero) {
  v1::Case c = NewCase();
  Refresh();
  using Counts = std::map<std::pair<std::string, std::string>, double>;
  EXPECT_EQ(OpenCases(), (Counts{{{"team-a", "REFERRAL"}, 1}}));
  v1::UpdateCaseRequest move;
  move.mutable_case_()->set_name(c.name());
  move.mutable_case_()->set_etag(c.etag());
  move.mutable_case_()->set_team("team-b");
  move.mutable_update_mask()->add_paths("team");
  v1::Case moved;
  As both{"tm-ab", "team_manager", "team-a,team-b", ""};
  auto status = cases_->UpdateCase(ContextFor(both).get(), move, &moved);
  ASSERT_TRUE(status.ok()) << Describe(status);
  Refresh();
  EXPECT_EQ(OpenCases(), (Counts{{{"team-a", "REFERRAL"}, 0}, {{"team-b", "REFERRAL"}, 1}}));
}

// A scrape can come at any time, during a refresh too: it must never see an open case's
// (team, state) at 0 just because the recount is half done.
TEST_F(OpenCaseGaugesTest, AScrapeDuringARefreshNeverSeesAnOccupiedStateAtZero) {
  // Many series, so that a recount that zeroes them all first leaves a wide window.
  for (int t = 0; t < 24; ++t) {
    std::string team = absl::StrCat("team-", t);
    NewCaseFor({absl::StrCat("sw-", t), "social_worker", team, ""}, team);
  }
  Refresh();
  ASSERT_EQ(OpenCases().size(), 24u);
  std::atomic<bool> done{false};
  std::thread refresher([&] {
    for (int i = 0; i < 400; ++i) EXPECT_TRUE(gauges_.Refresh().ok());
    done = true;
  });
  int scrapes = 0;
  int zeros = 0;
  while (!done) {
    auto counts = OpenCases();
    ++scrapes;
    for (const auto& [key, value] : counts) zeros += value == 0 ? 1 : 0;
  }
  refresher.join();
  EXPECT_GT(scrapes, 0);
  EXPECT_EQ(zeros, 0) << "in " << scrapes << " scrapes";
}

// The service's background refresher (what RunService starts) counts without being asked.
TEST_F(OpenCaseGaugesTest, StartRefreshesInTheBackground) {
  NewCase();
  prometheus::Registry registry;
  OpenCaseGauges background(server_.pool(), registry);
  background.Start(absl::Milliseconds(50));
  bool counted = false;
  for (int i = 0; i < 200 && !counted; ++i) {
    for (const auto& family : registry.Collect()) {
      if (family.name != "fs_open_cases") continue;
      for (const auto& metric : family.metric) counted = counted || metric.gauge.value == 1;
    }
    if (!counted) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(counted) << "the background refresher never counted the open case";
}

}  // namespace
}  // namespace fs::cases
