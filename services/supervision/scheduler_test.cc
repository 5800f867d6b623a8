#include "services/supervision/scheduler.h"

#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fs::supervision {
namespace {

using ::testing::HasSubstr;

absl::TimeZone London() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/London", &zone));
  return zone;
}

absl::Time Local(int y, int m, int d, int h = 0, int min = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, h, min, 0), London());
}

// A problem over [start, end) with 15-minute slots, 30-minute cases and 4 cases a session.
struct Fixture {
  Fixture(absl::Time start, absl::Time end)
      : holidays(*HolidayCalendar::Create("")), grid(start, end, absl::Minutes(15), London()) {
    problem.grid = &grid;
    problem.case_slots = 2;
    problem.max_cases = 4;
  }
  void Person(const std::string& id, const Availability& availability = {}) {
    availabilities[id] = availability;
    problem.free[id] = BuildFreeTime(grid, availability, holidays);
  }
  void Case(const std::string& id, absl::Time due, std::vector<std::string> attendees,
            std::vector<std::string> chairs = {"tm"}, absl::Time earliest = absl::InfinitePast()) {
    problem.cases.push_back({id, due, earliest, std::move(attendees), std::move(chairs)});
  }
  HolidayCalendar holidays;
  SlotGrid grid;
  Problem problem;
  std::map<std::string, Availability> availabilities;
};

// Every property a plan must have, whatever the instance.
void ExpectSound(const Fixture& f, const Plan& plan) {
  const Problem& problem = f.problem;
  std::map<std::string, const CaseToPlace*> cases;
  for (const auto& c : problem.cases) cases[c.id] = &c;
  std::map<std::string, std::set<int>> busy;  // person -> slots taken
  auto take = [&](const std::string& who, int from, int to, const std::string& what) {
    for (int s = from; s < to; ++s) {
      EXPECT_TRUE(busy[who].insert(s).second)
          << who << " double-booked at slot " << s << " (" << what << ")";
      // Within working hours, not on a bank holiday or leave, not in a busy block.
      EXPECT_TRUE(problem.free.at(who).IsFree(s)) << who << " not free at slot " << s;
    }
  };
  std::set<std::string> seen;
  for (const auto& s : plan.sessions) {
    EXPECT_LE(static_cast<int>(s.cases.size()), problem.max_cases);
    EXPECT_FALSE(s.cases.empty());
    take(s.chair, s.start_slot, s.end_slot, "chair");
    EXPECT_EQ(f.grid.Day(s.start_slot), f.grid.Day(s.end_slot - 1)) << "a session spans days";
    for (const auto& p : s.cases) {
      ASSERT_TRUE(cases.contains(p.case_id));
      const CaseToPlace& c = *cases.at(p.case_id);
      EXPECT_TRUE(seen.insert(p.case_id).second) << p.case_id << " placed twice";
      EXPECT_GE(p.slot, s.start_slot);
      EXPECT_LE(p.slot + problem.case_slots, s.end_slot);
      EXPECT_NE(std::find(c.chairs.begin(), c.chairs.end(), s.chair), c.chairs.end());
      if (!s.confirmed) {
        EXPECT_GT(f.grid.TimeOf(p.slot) + f.grid.slot(), c.earliest);
      }
      for (const auto& who : c.attendees) {
        if (who == s.chair) continue;
        take(who, p.slot, p.slot + problem.case_slots, p.case_id);
      }
    }
  }
  for (const auto& u : plan.unplaced) {
    EXPECT_TRUE(seen.insert(u.case_id).second) << u.case_id << " both placed and unplaced";
    EXPECT_FALSE(u.reason.empty());
  }
  // Every case placed after its due date says why; no other case is listed as late.
  std::set<std::string> late;
  for (const auto& s : plan.sessions) {
    for (const auto& p : s.cases) {
      if (f.grid.TimeOf(p.slot + problem.case_slots) > cases.at(p.case_id)->due) {
        late.insert(p.case_id);
      }
    }
  }
  std::set<std::string> explained;
  for (const auto& l : plan.late_reasons) {
    EXPECT_FALSE(l.reason.empty()) << l.case_id;
    explained.insert(l.case_id);
  }
  EXPECT_EQ(late, explained);
  EXPECT_EQ(static_cast<int>(late.size()), plan.late);
  EXPECT_EQ(seen.size(), problem.cases.size()) << "every case placed or reported";
}

TEST(SchedulerTest, PlacesCasesBeforeTheirDueDatesWhenEveryoneIsFree) {
  Fixture f(Local(2026, 11, 30), Local(2026, 12, 5));  // Monday to Friday
  for (const char* who : {"tm", "sw1", "sw2", "dav"}) f.Person(who);
  f.Case("c1", Local(2026, 12, 2, 17), {"sw1", "dav"});
  f.Case("c2", Local(2026, 12, 3, 17), {"sw2", "dav"});
  f.Case("c3", Local(2026, 12, 4, 17), {"sw1"});
  Plan plan = Schedule(f.problem);
  ExpectSound(f, plan);
  EXPECT_EQ(plan.on_time, 3);
  EXPECT_EQ(plan.total_lateness_minutes, 0);
  EXPECT_TRUE(plan.unplaced.empty());
  // One chair, all free: the three cases share one session (fewest sessions).
  ASSERT_EQ(plan.sessions.size(), 1u);
  EXPECT_EQ(plan.sessions[0].cases.size(), 3u);
  EXPECT_EQ(absl::FormatTime("%a %H:%M", f.grid.TimeOf(plan.sessions[0].start_slot), London()),
            "Mon 09:00");
}

TEST(SchedulerTest, ASessionOpenedAloneIsMergedIntoAnotherWhenNobodyIsLater) {
  Fixture f(Local(2026, 11, 30), Local(2026, 12, 5));  // Monday to Friday
  // sw1: busy 09:00-10:00 on Monday.
  Availability busy_early;
  busy_early.busy = {{Local(2026, 11, 30, 9), Local(2026, 11, 30, 10)}};
  Availability busy_late;  // sw2: busy 10:30-11:00 on Monday, and from 11:00 the rest of the week
  busy_late.busy = {{Local(2026, 11, 30, 10, 30), Local(2026, 12, 5)}};
  f.Person("tm");
  f.Person("sw1", busy_early);
  f.Person("sw2", busy_late);
  f.Case("a", Local(2026, 12, 1, 17), {"sw1"});
  f.Case("b", Local(2026, 12, 4, 17), {"sw2"});
  Plan plan = Schedule(f.problem);
  ExpectSound(f, plan);
  // Earliest due first: a opens at 10:00 (sw1's first free time); b cannot follow it at 10:30,
  // so it would open its own session at 09:00. Just before a, at 09:30, everyone is free: one
  // session, nobody later, and the chair sits once instead of twice.
  ASSERT_EQ(plan.sessions.size(), 1u);
  EXPECT_EQ(absl::FormatTime("%a %H:%M", f.grid.TimeOf(plan.sessions[0].start_slot), London()),
            "Mon 09:30");
  ASSERT_EQ(plan.sessions[0].cases.size(), 2u);
  EXPECT_EQ(plan.sessions[0].cases[0].case_id, "b");
  EXPECT_EQ(plan.sessions[0].cases[1].case_id, "a");
  EXPECT_EQ(plan.total_lateness_minutes, 0);
  EXPECT_EQ(SessionsPerPractitioner(plan, f.problem.cases).at("tm"), 1);
}

TEST(SchedulerTest, NoMergeThatWouldMakeACaseLater) {
  Fixture f(Local(2026, 11, 30), Local(2026, 12, 5));
  Availability busy_early;  // sw1: busy until 10:00 on Monday
  busy_early.busy = {{Local(2026, 11, 30, 9), Local(2026, 11, 30, 10)}};
  Availability only_nine;  // sw2: free only 09:00-09:30 on Monday
  only_nine.busy = {{Local(2026, 11, 30, 9, 30), Local(2026, 12, 5)}};
  f.Person("tm");
  f.Person("sw1", busy_early);
  f.Person("sw2", only_nine);
  f.Case("a", Local(2026, 12, 1, 17), {"sw1"});
  f.Case("b", Local(2026, 12, 4, 17), {"sw2"});
  Plan plan = Schedule(f.problem);
  ExpectSound(f, plan);
  // b can only be at 09:00 and a only from 10:00: two sessions stay.
  EXPECT_EQ(plan.sessions.size(), 2u);
  EXPECT_EQ(plan.on_time, 2);
}

TEST(SchedulerTest, NeverOnABankHolidayOrAWeekendOrOutsideHours) {
  // Christmas 2026: Friday 25 and Monday 28 are bank holidays.
  Fixture f(Local(2026, 12, 24, 16), Local(2026, 12, 31));
  for (const char* who : {"tm", "sw1"}) f.Person(who);
  f.Case("c1", Local(2026, 12, 30, 17), {"sw1"});
  f.Case("c2", Local(2026, 12, 30, 17), {"sw1"});
  f.Case("c3", Local(2026, 12, 30, 17), {"sw1"});
  Plan plan = Schedule(f.problem);
  ExpectSound(f, plan);
  ASSERT_EQ(plan.on_time, 3);
  for (const auto& s : plan.sessions) {
    for (const auto& p : s.cases) {
      std::string when = absl::FormatTime("%Y-%m-%d %H:%M", f.grid.TimeOf(p.slot), London());
      EXPECT_THAT(when, ::testing::AnyOf(HasSubstr("2026-12-24 16:"), HasSubstr("2026-12-29")))
          << when;
    }
  }
}

TEST(SchedulerTest, TheWeekTheClocksGoBackKeepsLocalWorkingHours) {
  // British Summer Time ends at 02:00 on Sunday 25 October 2026.
  Fixture f(Local(2026, 10, 23), Local(2026, 10, 28));
  Availability mornings;
  mornings.hours = {};
  for (int d = 0; d < 5; ++d) mornings.hours.days[d] = {{9 * 60, 10 * 60}};
  f.Person("tm", mornings);
  f.Person("sw1", mornings);
  for (int i = 0; i < 4; ++i) f.Case(absl::StrCat("c", i), Local(2026, 10, 27, 17), {"sw1"});
  f.problem.max_cases = 2;
  Plan plan = Schedule(f.problem);
  ExpectSound(f, plan);
  ASSERT_EQ(plan.on_time, 4);
  std::set<std::string> starts;
  for (const auto& s : plan.sessions) {
    starts.insert(absl::FormatTime("%a %H:%M %Z", f.grid.TimeOf(s.start_slot), London()));
  }
  // Friday in BST, Monday in GMT: 09:00 local both times.
  EXPECT_THAT(starts, ::testing::ElementsAre("Fri 09:00 BST", "Mon 09:00 GMT"));
}

TEST(SchedulerTest, TheWeekTheClocksGoForward) {
  // BST begins at 01:00 on Sunday 26 March 2028 (in 2027 the change falls on Easter weekend,
  // whose Friday and Monday are bank holidays).
  Fixture f(Local(2028, 3, 24), Local(2028, 3, 29));
  Availability late;
  late.hours = {};
  for (int d = 0; d < 5; ++d) late.hours.days[d] = {{16 * 60 + 30, 17 * 60}};
  f.Person("tm", late);
  f.Person("sw1", late);
  f.Case("c1", Local(2028, 3, 27, 18), {"sw1"}, {"tm"}, Local(2028, 3, 25));
  Plan plan = Schedule(f.problem);
  ExpectSound(f, plan);
  ASSERT_EQ(plan.sessions.size(), 1u);
  EXPECT_EQ(absl::FormatTime("%a %H:%M %Z", f.grid.TimeOf(plan.sessions[0].start_slot), London()),
            "Mon 16:30 BST");
  EXPECT_EQ(plan.on_time, 1);
}

TEST(SchedulerTest, LateWhenNoTimeBeforeTheDueDateAndTheLatenessIsCounted) {
  Fixture f(Local(2026, 11, 30), Local(2026, 12, 5));
  Availability on_leave;
  on_leave.leave = {{absl::CivilDay(2026, 11, 30), absl::CivilDay(2026, 12, 1)}};
  f.Person("tm");
  f.Person("sw1", on_leave);
  f.Case("c1", Local(2026, 11, 30, 17), {"sw1"});
  Plan plan = Schedule(f.problem);
  ExpectSound(f, plan);
  ASSERT_EQ(plan.sessions.size(), 1u);
  EXPECT_EQ(plan.late, 1);
  // Wednesday 09:30 end against Monday 17:00: 40.5 hours late.
  EXPECT_EQ(plan.total_lateness_minutes, (24 + 16) * 60 + 30);
  ASSERT_EQ(plan.late_reasons.size(), 1u);
  EXPECT_EQ(plan.late_reasons[0].reason, "sw1 is not free on 2026-11-30");
}

TEST(SchedulerTest, ALateCaseSaysWhenEarlierCasesTookTheTimeOrNobodyWasFreeTogether) {
  Fixture f(Local(2026, 11, 30), Local(2026, 12, 5));
  f.problem.max_cases = 1;  // one case a session: the chair's time is the constraint
  Availability mornings;    // the chair: Monday 09:00-09:30 only, then from Wednesday
  mornings.busy = {{Local(2026, 11, 30, 9, 30), Local(2026, 12, 2)}};
  Availability afternoons;  // sw3: Monday afternoon only, then from Wednesday
  afternoons.busy = {{Local(2026, 11, 30, 9), Local(2026, 11, 30, 13)},
                     {Local(2026, 11, 30, 17), Local(2026, 12, 2)}};
  f.Person("tm", mornings);
  f.Person("sw1");
  f.Person("sw2");
  f.Person("sw3", afternoons);
  f.Case("first", Local(2026, 11, 30, 17), {"sw1"});
  f.Case("second", Local(2026, 12, 1, 17), {"sw2"});
  f.Case("third", Local(2026, 12, 1, 17), {"sw3"});
  Plan plan = Schedule(f.problem);
  ExpectSound(f, plan);
  EXPECT_EQ(plan.on_time, 1);
  ASSERT_EQ(plan.late_reasons.size(), 2u);
  EXPECT_EQ(plan.late_reasons[0].case_id, "second");
  EXPECT_THAT(plan.late_reasons[0].reason, HasSubstr("went to cases due earlier"));
  EXPECT_EQ(plan.late_reasons[1].case_id, "third");
  EXPECT_THAT(plan.late_reasons[1].reason, HasSubstr("sw3 and a chair are all free together"));
}

TEST(SchedulerTest, ACaseThatCannotBePlacedSaysWhy) {
  Fixture f(Local(2026, 11, 30), Local(2026, 12, 5));
  Availability away;
  away.leave = {{absl::CivilDay(2026, 11, 1), absl::CivilDay(2026, 12, 31)}};
  f.Person("tm");
  f.Person("sw1");
  f.Person("mh", away);
  f.Case("never", Local(2026, 12, 4), {"sw1", "mh"});
  f.Case("chairless", Local(2026, 12, 4), {"sw1"}, {});
  f.Case("unknown", Local(2026, 12, 4), {"sw1", "ghost"});
  Plan plan = Schedule(f.problem);
  ExpectSound(f, plan);
  ASSERT_EQ(plan.unplaced.size(), 3u);
  EXPECT_EQ(plan.unplaced[0].case_id, "chairless");
  EXPECT_THAT(plan.unplaced[0].reason, HasSubstr("no chair"));
  EXPECT_EQ(plan.unplaced[1].case_id, "never");
  EXPECT_THAT(plan.unplaced[1].reason, HasSubstr("mh is never free"));
  EXPECT_THAT(plan.unplaced[2].reason, HasSubstr("ghost is never free"));
}

TEST(SchedulerTest, ReplanningKeepsConfirmedSessionsUnlessTheyBecameImpossible) {
  Fixture f(Local(2026, 11, 30), Local(2026, 12, 12));
  for (const char* who : {"tm", "sw1", "sw2", "dav"}) f.Person(who);
  f.Case("c1", Local(2026, 12, 4, 17), {"sw1", "dav"});
  f.Case("c2", Local(2026, 12, 4, 17), {"sw2"});
  Plan first = Schedule(f.problem);
  ASSERT_EQ(first.on_time, 2);
  for (auto s : first.sessions) {
    s.id = absl::StrCat("s", s.start_slot);
    s.confirmed = true;
    f.problem.confirmed.push_back(s);
  }
  // A new case: the confirmed session stays exactly as it was.
  f.Case("c3", Local(2026, 12, 11, 17), {"sw1"});
  Plan second = Schedule(f.problem);
  ExpectSound(f, second);
  int kept = 0;
  for (const auto& s : second.sessions) {
    if (!s.confirmed) continue;
    ++kept;
    EXPECT_EQ(s.start_slot, first.sessions[0].start_slot);
    ASSERT_EQ(s.cases.size(), 2u);
  }
  EXPECT_EQ(kept, 1);
  EXPECT_TRUE(second.moved.empty());

  // The DA victim worker becomes busy when c1 was to be discussed: c1 moves, c2 stays.
  int c1_slot = -1;
  for (const auto& p : first.sessions[0].cases) {
    if (p.case_id == "c1") c1_slot = p.slot;
  }
  Availability busy;
  busy.busy = {{f.grid.TimeOf(c1_slot), f.grid.TimeOf(c1_slot + 2)}};
  f.Person("dav", busy);
  Plan third = Schedule(f.problem);
  ExpectSound(f, third);
  EXPECT_THAT(third.moved, ::testing::ElementsAre("c1"));
  bool c1_placed_elsewhere = false;
  for (const auto& s : third.sessions) {
    for (const auto& p : s.cases) {
      if (p.case_id == "c2") {
        EXPECT_TRUE(s.confirmed);
      }
      if (p.case_id == "c1") c1_placed_elsewhere = !s.confirmed;
    }
  }
  EXPECT_TRUE(c1_placed_elsewhere);

  // c2 closes: it simply leaves its confirmed session.
  f.problem.cases.erase(f.problem.cases.begin() + 1);
  Plan fourth = Schedule(f.problem);
  ExpectSound(f, fourth);
  for (const auto& s : fourth.sessions) {
    for (const auto& p : s.cases) EXPECT_NE(p.case_id, "c2");
  }
}

// Random instances: the plan is sound and the same input gives the same plan.
TEST(SchedulerPropertyTest, RandomInstancesAreSoundAndDeterministic) {
  for (int seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    Fixture f(Local(2026, 11, 2), Local(2026, 11, 30));
    int teams = 1 + seed % 3;
    std::vector<std::string> people;
    for (int t = 0; t < teams; ++t) {
      Availability manager;
      if (rng() % 3 == 0)
        manager.leave = {{absl::CivilDay(2026, 11, 9), absl::CivilDay(2026, 11, 13)}};
      f.Person(absl::StrCat("tm", t), manager);
      f.Person(absl::StrCat("dep", t));
    }
    for (int p = 0; p < 12; ++p) {
      Availability a;
      if (rng() % 4 == 0) {
        int day = 2 + static_cast<int>(rng() % 20);
        a.leave = {{absl::CivilDay(2026, 11, day), absl::CivilDay(2026, 11, day + 2)}};
      }
      for (int b = 0; b < 5; ++b) {
        absl::Time from = Local(2026, 11, 2 + static_cast<int>(rng() % 26),
                                9 + static_cast<int>(rng() % 8), 15 * static_cast<int>(rng() % 4));
        a.busy.push_back({from, from + absl::Minutes(30 + 15 * static_cast<int>(rng() % 8))});
      }
      if (rng() % 5 == 0) a.hours.days[4] = {};  // no Fridays
      std::string id = absl::StrCat("p", p);
      f.Person(id, a);
      people.push_back(id);
    }
    for (int c = 0; c < 30; ++c) {
      std::vector<std::string> attendees;
      int n = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < n; ++i) attendees.push_back(people[rng() % people.size()]);
      std::sort(attendees.begin(), attendees.end());
      attendees.erase(std::unique(attendees.begin(), attendees.end()), attendees.end());
      int team = static_cast<int>(rng() % teams);
      absl::Time due = Local(2026, 11, 3 + static_cast<int>(rng() % 26), 17);
      f.Case(absl::StrCat("case", c), due, attendees,
             {absl::StrCat("tm", team), absl::StrCat("dep", team)}, due - absl::Hours(24 * 10));
    }
    Plan plan = Schedule(f.problem);
    ExpectSound(f, plan);
    Plan again = Schedule(f.problem);
    ASSERT_EQ(plan.sessions.size(), again.sessions.size()) << "seed " << seed;
    for (size_t i = 0; i < plan.sessions.size(); ++i) {
      EXPECT_EQ(plan.sessions[i].chair, again.sessions[i].chair);
      EXPECT_EQ(plan.sessions[i].start_slot, again.sessions[i].start_slot);
      ASSERT_EQ(plan.sessions[i].cases.size(), again.sessions[i].cases.size());
      for (size_t j = 0; j < plan.sessions[i].cases.size(); ++j) {
        EXPECT_EQ(plan.sessions[i].cases[j].case_id, again.sessions[i].cases[j].case_id);
      }
    }
    EXPECT_EQ(plan.total_lateness_minutes, again.total_lateness_minutes);
  }
}

}  // namespace
}  // namespace fs::supervision
