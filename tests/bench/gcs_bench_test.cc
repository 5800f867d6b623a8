#include <filesystem>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/bench/gcs_cbc.h"
#include "tests/bench/gcs_instance.h"

namespace fs::supervision::bench {
namespace {

TEST(GcsInstanceTest, TheSameSeedGivesTheSameInstanceAndPlan) {
  InstanceSpec spec;
  spec.cases = 200;
  spec.practitioners = 30;
  spec.seed = 42;
  Instance a = Generate(spec);
  Instance b = Generate(spec);
  EXPECT_EQ(Fingerprint(a), Fingerprint(b));
  EXPECT_EQ(Fingerprint(Schedule(MakeProblem(a))), Fingerprint(Schedule(MakeProblem(b))));
  spec.seed = 43;
  EXPECT_NE(Fingerprint(a), Fingerprint(Generate(spec)));
}

TEST(GcsInstanceTest, TeamsAndCasesLookLikeTheSpecification) {
  InstanceSpec spec;
  spec.cases = 1000;
  spec.practitioners = 150;
  Instance instance = Generate(spec);
  EXPECT_EQ(instance.people.size(), 150u);
  EXPECT_EQ(instance.cases.size(), 1000u);
  std::map<int, int> team_size;
  std::set<std::string> ids;
  for (const auto& p : instance.people) {
    ++team_size[p.team];
    EXPECT_TRUE(ids.insert(p.id).second) << p.id;
  }
  for (const auto& [team, size] : team_size) {
    EXPECT_GE(size, 10) << team;
    EXPECT_LE(size, 14) << team;
  }
  int overdue = 0;
  absl::Time start = instance.grid->TimeOf(0);
  for (const auto& c : instance.cases) {
    EXPECT_GE(c.attendees.size(), 3u);
    EXPECT_LE(c.attendees.size(), 6u);
    EXPECT_EQ(c.chairs.size(), 2u);
    EXPECT_EQ(absl::ToCivilDay(c.due, instance.zone) - absl::ToCivilDay(c.earliest, instance.zone),
              10);
    for (const auto& a : c.attendees) EXPECT_TRUE(ids.contains(a)) << a;
    overdue += c.due < start;
  }
  EXPECT_GT(overdue, 30);
  EXPECT_LT(overdue, 150);
}

// One chair, three cases on Monday 2 November 2026 from 09:00, b busy 10:00-10:30:
//   c3 {a, b} due 09:30, c1 {a} due 10:00, c2 {b} due 10:00.
// The chair takes one case at a time, so the cases end at 09:30, 10:00 and 10:30 at best: c3
// must go first (or it and another are late), and then c2 (b is busy at 10:00), c1 last, 30
// minutes late; one session. Optimum: 30 minutes, 1 session: (3 + 1) × 30 + 1 = 121.
TEST(GcsCbcTest, TheMipFindsTheHandComputedOptimum) {
  if (!FindCbc()) GTEST_SKIP() << "no cbc binary (apt-get install coinor-cbc)";
  absl::TimeZone london;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/London", &london));
  auto at = [&](int h, int m) {
    return absl::FromCivil(absl::CivilMinute(2026, 11, 2, h, m), london);
  };
  HolidayCalendar holidays = *HolidayCalendar::Create("");
  SlotGrid grid(at(0, 0), at(24, 0), absl::Minutes(15), london);
  Problem problem;
  problem.grid = &grid;
  problem.case_slots = 2;
  problem.max_cases = 6;
  Availability b_busy;
  b_busy.busy = {{at(10, 0), at(10, 30)}};
  problem.free["tm"] = BuildFreeTime(grid, {}, holidays);
  problem.free["a"] = BuildFreeTime(grid, {}, holidays);
  problem.free["b"] = BuildFreeTime(grid, b_busy, holidays);
  problem.cases = {
      {"c1", at(10, 0), absl::InfinitePast(), {"a"}, {"tm"}},
      {"c2", at(10, 0), absl::InfinitePast(), {"b"}, {"tm"}},
      {"c3", at(9, 30), absl::InfinitePast(), {"a", "b"}, {"tm"}},
  };

  MipOptions options;
  options.start_step = 1;  // every quarter hour
  options.time_limit_seconds = 30;
  options.work_dir = ::testing::TempDir() + "/gcs_cbc_test";
  CbcResult cbc = SolveWithCbc(problem, options);
  ASSERT_TRUE(cbc.ran) << cbc.error;
  EXPECT_TRUE(cbc.optimal) << cbc.status;
  EXPECT_EQ(cbc.objective, 121) << cbc.status;
  Weights w = WeightsFor(problem);
  EXPECT_EQ(w.lateness, 4);
  EXPECT_EQ(Objective(problem, cbc.plan, w), 121);

  Evaluation e = Evaluate(problem, cbc.plan);
  EXPECT_TRUE(e.sound) << e.first_fault;
  EXPECT_EQ(e.lateness_minutes, 30);
  EXPECT_EQ(e.sessions, 1);
  EXPECT_EQ(e.unplaced, 0);
  ASSERT_EQ(cbc.plan.sessions.size(), 1u);
  ASSERT_EQ(cbc.plan.sessions[0].cases.size(), 3u);
  EXPECT_EQ(cbc.plan.sessions[0].cases[0].case_id, "c3");
  EXPECT_EQ(cbc.plan.sessions[0].cases[1].case_id, "c2");
  EXPECT_EQ(cbc.plan.sessions[0].cases[2].case_id, "c1");
  EXPECT_EQ(grid.TimeOf(cbc.plan.sessions[0].start_slot), at(9, 0));

  // The scheduler's plan is sound and never better than the optimum.
  Plan plan = Schedule(problem);
  Evaluation h = Evaluate(problem, plan);
  EXPECT_TRUE(h.sound) << h.first_fault;
  EXPECT_GE(Objective(problem, plan, w), 121);
}

}  // namespace
}  // namespace fs::supervision::bench
