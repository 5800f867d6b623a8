#include "services/outcomes/indicators.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

// Every expected figure below was worked out by hand from docs/outcomes-decisions.md, for the
// hand-made dataset described next to it; none was copied from the code's output.
namespace fs::outcomes {
namespace {

using absl::CivilDay;
using absl::CivilMonth;
using std::nullopt;
using std::optional;

CivilDay D(int y, int m, int d) { return CivilDay(y, m, d); }

CaseFacts Case(const std::string& id, std::vector<std::pair<CivilDay, std::string>> teams,
               std::vector<CasePeriod> periods) {
  CaseFacts c;
  c.id = id;
  c.teams = std::move(teams);
  c.periods = std::move(periods);
  return c;
}

CasePeriod Period(CivilDay start, optional<CivilDay> end) {
  CasePeriod p;
  p.start = start;
  p.end = end;
  return p;
}

PersonFacts Person(const std::string& id, const std::string& case_id, bool child, CivilDay birth) {
  PersonFacts p;
  p.id = id;
  p.case_id = case_id;
  p.child = child;
  p.birth = birth;
  return p;
}

Spell MakeSpell(const std::string& case_id, const std::string& person, CivilDay start,
                optional<CivilDay> end) {
  Spell s;
  s.case_id = case_id;
  s.person = person;
  s.start = start;
  s.end = end;
  return s;
}

Happening Event(const std::string& id, const std::string& case_id, CivilDay day, bool flag = false,
                int module = 0) {
  Happening h;
  h.id = id;
  h.case_id = case_id;
  h.day = day;
  h.flag = flag;
  h.module = module;
  return h;
}

// The dataset. Teams "north" and "south"; "today" is 2025-09-15 throughout.
//
// Cases (periods are [referral, closure)):
//   C1 north, moves to south on 2025-03-10; open since 2024-01-05.
//   C2 north; 2024-02-01..2024-06-20, re-referred 2025-05-12 (10.7 months after closure).
//   C3 south; 2023-01-10..2024-03-15, re-referred 2025-04-22 (13 months + 7 days after).
//   C4 south; 2024-09-02..2025-06-30 (adult admissions; a child at home at closure).
//   C5 north; 2024-04-01..2025-06-30 (a child in care at closure; a child born after it).
//   C6 south; open since 2025-01-15 (DA incidents before, on and after its start).
Dataset MakeDataset() {
  Dataset d;
  d.cases = {
      Case("C1", {{D(2024, 1, 5), "north"}, {D(2025, 3, 10), "south"}},
           {Period(D(2024, 1, 5), nullopt)}),
      Case("C2", {{D(2024, 2, 1), "north"}},
           {Period(D(2024, 2, 1), D(2024, 6, 20)), Period(D(2025, 5, 12), nullopt)}),
      Case("C3", {{D(2023, 1, 10), "south"}},
           {Period(D(2023, 1, 10), D(2024, 3, 15)), Period(D(2025, 4, 22), nullopt)}),
      Case("C4", {{D(2024, 9, 2), "south"}}, {Period(D(2024, 9, 2), D(2025, 6, 30))}),
      Case("C5", {{D(2024, 4, 1), "north"}}, {Period(D(2024, 4, 1), D(2025, 6, 30))}),
      Case("C6", {{D(2025, 1, 15), "south"}}, {Period(D(2025, 1, 15), nullopt)}),
  };
  d.people = {
      Person("P1a", "C1", true, D(2015, 6, 1)),
      Person("P1b", "C1", true, D(2018, 2, 1)),
      Person("P1c", "C1", false, D(1985, 1, 1)),
      Person("P2a", "C2", true, D(2012, 1, 1)),
      Person("P2b", "C2", false, D(1980, 1, 1)),
      Person("P3a", "C3", true, D(2011, 9, 9)),
      Person("P3b", "C3", false, D(1979, 1, 1)),
      Person("P4a", "C4", false, D(1970, 1, 1)),
      Person("P4b", "C4", true, D(2016, 4, 4)),
      Person("P5a", "C5", true, D(2010, 3, 3)),
      // Born five days after C5's closure: not one of "the children" at closure.
      Person("P5b", "C5", true, D(2025, 7, 5)),
      Person("P5c", "C5", true, D(2020, 10, 10)),
      Person("P5d", "C5", false, D(1988, 1, 1)),
      Person("P6a", "C6", true, D(2019, 1, 1)),
      Person("P6b", "C6", false, D(1990, 1, 1)),
  };
  d.cp_plans = {
      MakeSpell("C1", "P1a", D(2024, 2, 10), D(2024, 8, 1)),
      // 231 days after P1a's first plan ended: a repeat.
      MakeSpell("C1", "P1a", D(2025, 3, 20), nullopt),
      MakeSpell("C1", "P1b", D(2025, 3, 20), nullopt),
      MakeSpell("C3", "P3a", D(2023, 2, 1), D(2023, 5, 6)),
      // Exactly two calendar years but 731 days (29 Feb 2024) after the last one ended: not a
      // repeat ("at most 730 days").
      MakeSpell("C3", "P3a", D(2025, 5, 6), nullopt),
      MakeSpell("C5", "P5a", D(2024, 5, 1), D(2025, 2, 1)),
      MakeSpell("C5", "P5c", D(2025, 3, 3), D(2025, 6, 30)),
  };
  d.looked_after = {
      // Leaves care on C3's closure day: not looked after at closure.
      MakeSpell("C3", "P3a", D(2023, 6, 1), D(2024, 3, 15)),
      // In care at C5's closure (2025-06-30); out on 2025-07-01.
      MakeSpell("C5", "P5a", D(2025, 2, 1), D(2025, 7, 1)),
      // Back to back across a month end: one child becoming looked after (in June).
      MakeSpell("C1", "P1a", D(2025, 6, 16), D(2025, 7, 1)),
      MakeSpell("C1", "P1a", D(2025, 7, 1), nullopt),
      // Two separate starts in July: once a month.
      MakeSpell("C1", "P1b", D(2025, 7, 1), D(2025, 7, 5)),
      MakeSpell("C1", "P1b", D(2025, 7, 25), nullopt),
  };
  d.da_incidents = {
      Event("I1", "C6", D(2025, 1, 10)),      // before C6 opened
      Event("I2", "C6", D(2025, 1, 15)),      // C6's start day
      Event("Iclosed", "C2", D(2025, 3, 1)),  // C2 closed at the time
      Event("I4", "C1", D(2025, 3, 5)),       // C1 still north
      Event("IS", "C4", D(2025, 4, 10)),      // one call-out naming two cases...
      Event("IS", "C5", D(2025, 4, 10)),      // ...of two teams
      Event("I5", "C2", D(2025, 5, 12)),      // C2's re-referral day
      Event("I3", "C6", D(2025, 5, 20)),      // 4 months after C6's start
  };
  d.adult_admissions = {
      Event("A6", "C6", D(2025, 1, 2)),                                      // before C6 opened
      Event("A4", "C1", D(2025, 3, 5)),                                      // north
      Event("A5", "C1", D(2025, 3, 20)),                                     // south
      Event("A1", "C4", D(2025, 6, 5)),  Event("A2", "C4", D(2025, 6, 30)),  // closure day: counts
      Event("A3", "C4", D(2025, 7, 3)),  // after closure: does not
  };
  d.gcs_held = {
      Event("G1", "C1", D(2025, 3, 5), true),    // north, on time
      Event("G4", "C5", D(2025, 3, 12), false),  // north, late
      Event("G2", "C1", D(2025, 3, 25), false),  // south, late
      Event("G3", "C1", D(2025, 3, 28), true),   // south, on time
      Event("G5", "C6", D(2025, 3, 30), true),   // south, on time
  };
  d.module_sessions = {
      Event("M1", "C1", D(2025, 2, 10), false, 2), Event("M2", "C1", D(2025, 2, 24), false, 2),
      Event("M3", "C1", D(2025, 3, 12), false, 2), Event("M4", "C1", D(2025, 4, 2), false, 2),
      Event("M5", "C5", D(2025, 3, 4), false, 1),  Event("M6", "C5", D(2025, 3, 5), false, 1),
      Event("M7", "C5", D(2025, 3, 6), false, 1),  Event("M8", "C6", D(2025, 3, 3), false, 1),
      Event("M9", "C6", D(2025, 3, 10), false, 1), Event("M10", "C6", D(2025, 3, 17), false, 1),
      Event("M11", "C6", D(2025, 4, 1), false, 5), Event("M12", "C6", D(2025, 4, 15), false, 5),
  };
  return d;
}

class IndicatorsTest : public ::testing::Test {
 protected:
  IndicatorsTest() : data_(MakeDataset()) { options_.today = D(2025, 9, 15); }

  // The series of `indicator` for `team`, 2024-01 to 2025-10.
  v1::Series SeriesOf(const std::string& team, v1::Indicator indicator) const {
    auto all = ComputeIndicators(data_, team, CivilMonth(2024, 1), CivilMonth(2025, 10),
                                 {indicator}, options_);
    EXPECT_EQ(all.size(), 1u);
    if (all.empty()) return v1::Series();
    EXPECT_EQ(all[0].indicator(), indicator);
    EXPECT_EQ(all[0].team(), team);
    EXPECT_EQ(all[0].months_size(), 22);
    return all[0];
  }

  v1::MonthValue At(const std::string& team, v1::Indicator indicator,
                    const std::string& month) const {
    v1::Series s = SeriesOf(team, indicator);
    for (const auto& m : s.months()) {
      if (m.month() == month) return m;
    }
    ADD_FAILURE() << "no month " << month;
    return v1::MonthValue();
  }

  double Value(const std::string& team, v1::Indicator indicator, const std::string& month) const {
    return At(team, indicator, month).value();
  }

  Dataset data_;
  IndicatorOptions options_;
};

// Checks a rate month: value, denominator, and rate (value / denominator, when positive).
void ExpectRate(const v1::MonthValue& m, double num, long long den, int line) {
  SCOPED_TRACE(testing::Message() << "line " << line << ", month " << m.month());
  EXPECT_DOUBLE_EQ(m.value(), num);
  EXPECT_EQ(m.denominator(), den);
  if (den > 0) {
    EXPECT_NEAR(m.rate(), num / static_cast<double>(den), 1e-9);
  }
}
#define EXPECT_RATE(mv, num, den) ExpectRate((mv), (num), (den), __LINE__)

TEST_F(IndicatorsTest, EveryIndicatorInEnumOrderWithMonthsAndCompleteFlags) {
  auto all = ComputeIndicators(data_, "", CivilMonth(2025, 7), CivilMonth(2025, 10), {}, options_);
  ASSERT_EQ(all.size(), 14u);
  for (int i = 0; i < 14; ++i) {
    EXPECT_EQ(all[i].indicator(), static_cast<v1::Indicator>(i + 1));
    EXPECT_EQ(all[i].team(), "");
    ASSERT_EQ(all[i].months_size(), 4);
    EXPECT_EQ(all[i].months(0).month(), "2025-07");
    EXPECT_EQ(all[i].months(3).month(), "2025-10");
  }
  EXPECT_EQ(AllIndicators().size(), 14u);
  EXPECT_EQ(AllIndicators().front(), v1::INDICATOR_CHILDREN_ON_CP_PLANS);
  EXPECT_EQ(AllIndicators().back(), v1::INDICATOR_OPEN_CASES);

  // today = 2025-09-15: August is over, September is not, October has not begun.
  const auto& open = all[v1::INDICATOR_OPEN_CASES - 1];
  EXPECT_TRUE(open.months(0).complete());
  EXPECT_TRUE(open.months(1).complete());
  EXPECT_FALSE(open.months(2).complete());
  EXPECT_FALSE(open.months(3).complete());
}

TEST_F(IndicatorsTest, ChildrenOnCpPlans) {
  const auto k = v1::INDICATOR_CHILDREN_ON_CP_PLANS;
  // 31 Jul 2024: P1a (C1, north) and P5a (C5, north).
  EXPECT_EQ(Value("", k, "2024-07"), 2);
  EXPECT_EQ(Value("north", k, "2024-07"), 2);
  EXPECT_EQ(Value("south", k, "2024-07"), 0);
  // P1a's plan ended 1 Aug 2024.
  EXPECT_EQ(Value("", k, "2024-08"), 1);
  // P5a's plan ended 1 Feb 2025: nobody on 28 Feb.
  EXPECT_EQ(Value("", k, "2025-02"), 0);
  // 31 Mar 2025: P1a and P1b (C1, south since 10 Mar), P5c (C5, north).
  EXPECT_EQ(Value("", k, "2025-03"), 3);
  EXPECT_EQ(Value("north", k, "2025-03"), 1);
  EXPECT_EQ(Value("south", k, "2025-03"), 2);
  // 30 Jun 2025: P5c's plan ends that day (off the plan); P3a's plan began in May.
  EXPECT_EQ(Value("", k, "2025-06"), 3);
  EXPECT_EQ(Value("north", k, "2025-06"), 0);
  EXPECT_EQ(Value("south", k, "2025-06"), 3);
  EXPECT_EQ(At("", k, "2025-06").denominator(), 0);
}

TEST_F(IndicatorsTest, CpPlanStarts) {
  const auto k = v1::INDICATOR_CP_PLAN_STARTS;
  EXPECT_EQ(Value("", k, "2024-02"), 1);
  EXPECT_EQ(Value("north", k, "2024-02"), 1);
  EXPECT_EQ(Value("", k, "2024-05"), 1);
  EXPECT_EQ(Value("", k, "2025-03"), 3);
  EXPECT_EQ(Value("north", k, "2025-03"), 1);  // P5c on C5
  EXPECT_EQ(Value("south", k, "2025-03"), 2);  // P1a, P1b on C1 after its move
  EXPECT_EQ(Value("", k, "2025-04"), 0);
  EXPECT_EQ(Value("", k, "2025-05"), 1);
  EXPECT_EQ(Value("south", k, "2025-05"), 1);
  EXPECT_EQ(Value("north", k, "2025-05"), 0);
}

TEST_F(IndicatorsTest, RepeatCpPlansWithinTwoYears) {
  const auto k = v1::INDICATOR_REPEAT_CP_PLANS_WITHIN_2_YEARS;
  // March 2025: P1a's plan is a repeat (231 days); P1b's and P5c's are first plans.
  EXPECT_RATE(At("", k, "2025-03"), 1, 3);
  EXPECT_RATE(At("north", k, "2025-03"), 0, 1);
  EXPECT_RATE(At("south", k, "2025-03"), 1, 2);
  // May 2025: P3a's previous plan ended 731 days before: not a repeat.
  EXPECT_RATE(At("", k, "2025-05"), 0, 1);
  EXPECT_RATE(At("south", k, "2025-05"), 0, 1);
  // February 2024: P1a's first plan.
  EXPECT_RATE(At("north", k, "2024-02"), 0, 1);
  EXPECT_RATE(At("", k, "2025-04"), 0, 0);
}

TEST_F(IndicatorsTest, ChildrenBecomingLookedAfter) {
  const auto k = v1::INDICATOR_CHILDREN_BECOMING_LOOKED_AFTER;
  EXPECT_EQ(Value("", k, "2025-02"), 1);  // P5a
  EXPECT_EQ(Value("north", k, "2025-02"), 1);
  EXPECT_EQ(Value("south", k, "2025-02"), 0);
  EXPECT_EQ(Value("", k, "2025-06"), 1);  // P1a
  EXPECT_EQ(Value("south", k, "2025-06"), 1);
  EXPECT_EQ(Value("north", k, "2025-06"), 0);
  // July: P1a's second episode starts the day the first ends (same care): not counted.
  // P1b starts twice in July: counted once.
  EXPECT_EQ(Value("", k, "2025-07"), 1);
  EXPECT_EQ(Value("south", k, "2025-07"), 1);
  EXPECT_EQ(Value("", k, "2025-08"), 0);
  EXPECT_EQ(At("", k, "2025-07").denominator(), 0);
}

TEST_F(IndicatorsTest, ChildrenKeptSafelyAtHomeAtClosure) {
  const auto k = v1::INDICATOR_CHILDREN_KEPT_SAFELY_AT_HOME_AT_CLOSURE;
  // C3 closed 15 Mar 2024 (south); P3a left care that very day.
  EXPECT_RATE(At("", k, "2024-03"), 1, 1);
  EXPECT_RATE(At("south", k, "2024-03"), 1, 1);
  EXPECT_RATE(At("north", k, "2024-03"), 0, 0);
  // C2 closed 20 Jun 2024 (north).
  EXPECT_RATE(At("north", k, "2024-06"), 1, 1);
  EXPECT_RATE(At("", k, "2024-06"), 1, 1);
  // 30 Jun 2025: C4 (south) P4b at home; C5 (north) P5a in care, P5c at home, P5b not born.
  EXPECT_RATE(At("", k, "2025-06"), 2, 3);
  EXPECT_RATE(At("north", k, "2025-06"), 1, 2);
  EXPECT_RATE(At("south", k, "2025-06"), 1, 1);
  EXPECT_RATE(At("", k, "2025-07"), 0, 0);
}

TEST_F(IndicatorsTest, RepeatDomesticAbuse) {
  const auto six = v1::INDICATOR_REPEAT_DA_WITHIN_6_MONTHS;
  const auto twelve = v1::INDICATOR_REPEAT_DA_WITHIN_12_MONTHS;
  // C4 started 2 Sep 2024; its incident on 10 Apr 2025 is 7 months later.
  EXPECT_RATE(At("", six, "2024-09"), 0, 1);
  EXPECT_RATE(At("", twelve, "2024-09"), 1, 1);
  EXPECT_RATE(At("south", twelve, "2024-09"), 1, 1);
  EXPECT_RATE(At("north", twelve, "2024-09"), 0, 0);
  // 6 months after 30 Sep 2024 have passed; 12 months (30 Sep 2025) have not.
  EXPECT_TRUE(At("", six, "2024-09").complete());
  EXPECT_FALSE(At("", twelve, "2024-09").complete());
  // C6 started 15 Jan 2025: the incidents before and on the start day do not count, the one
  // on 20 May 2025 does, for both windows.
  EXPECT_RATE(At("", six, "2025-01"), 1, 1);
  EXPECT_RATE(At("", twelve, "2025-01"), 1, 1);
  EXPECT_RATE(At("south", six, "2025-01"), 1, 1);
  EXPECT_TRUE(At("", six, "2025-01").complete());
  EXPECT_FALSE(At("", twelve, "2025-01").complete());
  // C2's re-referral on 12 May 2025: only an incident on the start day.
  EXPECT_RATE(At("", six, "2025-05"), 0, 1);
  EXPECT_RATE(At("north", six, "2025-05"), 0, 1);
  EXPECT_FALSE(At("", six, "2025-05").complete());
  // C1 (Jan 2024), C2 (Feb 2024), C5 (Apr 2024): incidents only more than 12 months later.
  EXPECT_RATE(At("", twelve, "2024-01"), 0, 1);
  EXPECT_RATE(At("north", twelve, "2024-02"), 0, 1);
  EXPECT_RATE(At("", twelve, "2024-04"), 0, 1);
  EXPECT_TRUE(At("", twelve, "2024-01").complete());
  // C3 re-referred 22 Apr 2025, no incident since.
  EXPECT_RATE(At("south", twelve, "2025-04"), 0, 1);
  // March 2025 is over but its 6-month window (to 30 Sep 2025) is not; February's is.
  EXPECT_TRUE(At("", v1::INDICATOR_OPEN_CASES, "2025-03").complete());
  EXPECT_FALSE(At("", six, "2025-03").complete());
  EXPECT_TRUE(At("", six, "2025-02").complete());
}

TEST_F(IndicatorsTest, AdultEmergencyAdmissions) {
  const auto k = v1::INDICATOR_ADULT_EMERGENCY_ADMISSIONS;
  EXPECT_EQ(Value("", k, "2025-01"), 0);  // before C6 opened
  EXPECT_EQ(Value("", k, "2025-03"), 2);
  EXPECT_EQ(Value("north", k, "2025-03"), 1);  // 5 Mar, before C1's move
  EXPECT_EQ(Value("south", k, "2025-03"), 1);  // 20 Mar, after it
  // 5 Jun and the closure day 30 Jun count; 3 Jul (after closure) does not.
  EXPECT_EQ(Value("", k, "2025-06"), 2);
  EXPECT_EQ(Value("south", k, "2025-06"), 2);
  EXPECT_EQ(Value("north", k, "2025-06"), 0);
  EXPECT_EQ(Value("", k, "2025-07"), 0);
}

TEST_F(IndicatorsTest, ReReferralsWithinTwelveMonths) {
  const auto k = v1::INDICATOR_RE_REFERRALS_WITHIN_12_MONTHS;
  EXPECT_RATE(At("", k, "2025-05"), 1, 1);  // C2: closed 20 Jun 2024
  EXPECT_RATE(At("north", k, "2025-05"), 1, 1);
  EXPECT_RATE(At("south", k, "2025-05"), 0, 0);
  EXPECT_RATE(At("", k, "2025-04"), 0, 1);  // C3: closed 15 Mar 2024, 13 months before
  EXPECT_RATE(At("south", k, "2025-04"), 0, 1);
  EXPECT_RATE(At("", k, "2025-01"), 0, 1);  // C6's first referral
  EXPECT_RATE(At("", k, "2024-09"), 0, 1);  // C4's first referral
  EXPECT_RATE(At("", k, "2025-06"), 0, 0);
}

TEST_F(IndicatorsTest, GcsHeldOnTime) {
  const auto k = v1::INDICATOR_GCS_HELD_ON_TIME;
  EXPECT_RATE(At("", k, "2025-03"), 3, 5);
  EXPECT_RATE(At("north", k, "2025-03"), 1, 2);
  EXPECT_RATE(At("south", k, "2025-03"), 2, 3);
  EXPECT_RATE(At("", k, "2025-04"), 0, 0);
}

TEST_F(IndicatorsTest, ModulesCompleted) {
  const auto k = v1::INDICATOR_MODULES_COMPLETED;
  // Third sessions: C1 module 2 on 12 Mar (south), C5 module 1 on 6 Mar (north), C6 module 1
  // on 17 Mar (south). C1's fourth session (2 Apr) and C6 module 5 (two sessions) don't count.
  EXPECT_EQ(Value("", k, "2025-02"), 0);
  EXPECT_EQ(Value("", k, "2025-03"), 3);
  EXPECT_EQ(Value("north", k, "2025-03"), 1);
  EXPECT_EQ(Value("south", k, "2025-03"), 2);
  EXPECT_EQ(Value("", k, "2025-04"), 0);
}

TEST_F(IndicatorsTest, ModulesCompletedAtTheConfiguredSession) {
  options_.module_sessions_to_complete = 2;
  const auto k = v1::INDICATOR_MODULES_COMPLETED;
  EXPECT_EQ(Value("", k, "2025-02"), 1);  // C1 module 2, 24 Feb, north
  EXPECT_EQ(Value("north", k, "2025-02"), 1);
  EXPECT_EQ(Value("", k, "2025-03"), 2);  // C5 module 1 (north), C6 module 1 (south)
  EXPECT_EQ(Value("north", k, "2025-03"), 1);
  EXPECT_EQ(Value("south", k, "2025-03"), 1);
  EXPECT_EQ(Value("", k, "2025-04"), 1);  // C6 module 5
  EXPECT_EQ(Value("south", k, "2025-04"), 1);
}

TEST_F(IndicatorsTest, DaIncidentsOnOpenCases) {
  const auto k = v1::INDICATOR_DA_INCIDENTS_ON_OPEN_CASES;
  // January: I1 is before C6 opened; I2 is on its start day.
  EXPECT_EQ(Value("", k, "2025-01"), 1);
  EXPECT_EQ(Value("south", k, "2025-01"), 1);
  EXPECT_EQ(Value("north", k, "2025-01"), 0);
  // March: I4 on C1 before its move; the incident on closed C2 does not count.
  EXPECT_EQ(Value("", k, "2025-03"), 1);
  EXPECT_EQ(Value("north", k, "2025-03"), 1);
  EXPECT_EQ(Value("south", k, "2025-03"), 0);
  // April: one incident naming C4 (south) and C5 (north): once for the council, once for each.
  EXPECT_EQ(Value("", k, "2025-04"), 1);
  EXPECT_EQ(Value("north", k, "2025-04"), 1);
  EXPECT_EQ(Value("south", k, "2025-04"), 1);
  // May: I5 (C2 north, the re-referral day) and I3 (C6 south).
  EXPECT_EQ(Value("", k, "2025-05"), 2);
  EXPECT_EQ(Value("north", k, "2025-05"), 1);
  EXPECT_EQ(Value("south", k, "2025-05"), 1);
}

TEST_F(IndicatorsTest, LookedAfterWeeks) {
  const auto k = v1::INDICATOR_LOOKED_AFTER_WEEKS;
  // 1-14 Mar 2024: P3a (C3 south) until she left care on the 15th.
  EXPECT_NEAR(Value("", k, "2024-03"), 14.0 / 7, 1e-9);
  EXPECT_NEAR(Value("south", k, "2024-03"), 14.0 / 7, 1e-9);
  EXPECT_NEAR(Value("north", k, "2024-03"), 0, 1e-9);
  // February 2025: P5a, 28 days.
  EXPECT_NEAR(Value("", k, "2025-02"), 4, 1e-9);
  EXPECT_NEAR(Value("north", k, "2025-02"), 4, 1e-9);
  // June 2025: P5a 30 days (north), P1a 16-30 Jun, 15 days (south).
  EXPECT_NEAR(Value("", k, "2025-06"), 45.0 / 7, 1e-9);
  EXPECT_NEAR(Value("north", k, "2025-06"), 30.0 / 7, 1e-9);
  EXPECT_NEAR(Value("south", k, "2025-06"), 15.0 / 7, 1e-9);
  // July: P1a 31 days (two back-to-back episodes), P1b 1-4 and 25-31 (11), P5a out on the 1st.
  EXPECT_NEAR(Value("", k, "2025-07"), 6, 1e-9);
  EXPECT_NEAR(Value("south", k, "2025-07"), 6, 1e-9);
  EXPECT_NEAR(Value("north", k, "2025-07"), 0, 1e-9);
  EXPECT_NEAR(Value("", k, "2025-08"), 62.0 / 7, 1e-9);
  // September, up to yesterday (14th): P1a and P1b, 14 days each.
  EXPECT_NEAR(Value("", k, "2025-09"), 4, 1e-9);
  EXPECT_FALSE(At("", k, "2025-09").complete());
  EXPECT_NEAR(Value("", k, "2025-10"), 0, 1e-9);
  EXPECT_FALSE(At("", k, "2025-10").complete());
  EXPECT_EQ(At("", k, "2025-08").denominator(), 0);
}

TEST_F(IndicatorsTest, LookedAfterWeeksUpToYesterdayMovesWithToday) {
  const auto k = v1::INDICATOR_LOOKED_AFTER_WEEKS;
  options_.today = D(2025, 9, 1);  // nothing of September yet
  EXPECT_NEAR(Value("", k, "2025-09"), 0, 1e-9);
  EXPECT_NEAR(Value("", k, "2025-08"), 62.0 / 7, 1e-9);
  EXPECT_TRUE(At("", k, "2025-08").complete());
  options_.today = D(2025, 9, 8);  // 1-7 Sep, two children
  EXPECT_NEAR(Value("", k, "2025-09"), 2, 1e-9);
  options_.today = D(2025, 8, 31);  // August is not over: 1-30 Aug
  EXPECT_NEAR(Value("", k, "2025-08"), 60.0 / 7, 1e-9);
  EXPECT_FALSE(At("", k, "2025-08").complete());
}

TEST_F(IndicatorsTest, OpenCases) {
  const auto k = v1::INDICATOR_OPEN_CASES;
  // 31 Mar 2024: C1, C2 (north); C3 closed on the 15th; C5 opens in April.
  EXPECT_EQ(Value("", k, "2024-03"), 2);
  EXPECT_EQ(Value("north", k, "2024-03"), 2);
  EXPECT_EQ(Value("south", k, "2024-03"), 0);
  // 28 Feb 2025: C1, C5 (north); C4, C6 (south).
  EXPECT_EQ(Value("", k, "2025-02"), 4);
  EXPECT_EQ(Value("north", k, "2025-02"), 2);
  EXPECT_EQ(Value("south", k, "2025-02"), 2);
  // 31 Mar 2025: C1 has moved south.
  EXPECT_EQ(Value("", k, "2025-03"), 4);
  EXPECT_EQ(Value("north", k, "2025-03"), 1);
  EXPECT_EQ(Value("south", k, "2025-03"), 3);
  // 31 May 2025: everyone.
  EXPECT_EQ(Value("", k, "2025-05"), 6);
  EXPECT_EQ(Value("north", k, "2025-05"), 2);
  EXPECT_EQ(Value("south", k, "2025-05"), 4);
  // 30 Jun 2025: C4 and C5 closed that day.
  EXPECT_EQ(Value("", k, "2025-06"), 4);
  EXPECT_EQ(Value("north", k, "2025-06"), 1);
  EXPECT_EQ(Value("south", k, "2025-06"), 3);
  EXPECT_TRUE(At("", k, "2025-08").complete());
  EXPECT_FALSE(At("", k, "2025-09").complete());
}

// Duplicate (overlapping) episodes of one child: days are counted once, the child once.
TEST(IndicatorsOverlapTest, OverlappingEpisodesCountEachDayOnce) {
  Dataset d;
  d.cases = {Case("C", {{D(2025, 1, 1), "east"}}, {Period(D(2025, 1, 1), nullopt)})};
  d.people = {Person("K", "C", true, D(2015, 1, 1))};
  d.looked_after = {MakeSpell("C", "K", D(2025, 8, 4), D(2025, 8, 20)),
                    MakeSpell("C", "K", D(2025, 8, 10), D(2025, 8, 25)),
                    // Starts while another episode runs (looked after the day before).
                    MakeSpell("C", "K", D(2025, 9, 1), D(2025, 9, 3)),
                    MakeSpell("C", "K", D(2025, 8, 30), D(2025, 9, 2))};
  IndicatorOptions options;
  options.today = D(2025, 10, 15);
  auto s = ComputeIndicators(
      d, "", CivilMonth(2025, 8), CivilMonth(2025, 9),
      {v1::INDICATOR_CHILDREN_BECOMING_LOOKED_AFTER, v1::INDICATOR_LOOKED_AFTER_WEEKS}, options);
  ASSERT_EQ(s.size(), 2u);
  ASSERT_EQ(s[0].months_size(), 2);
  EXPECT_EQ(s[0].months(0).value(), 1);  // August
  EXPECT_EQ(s[0].months(1).value(), 0);  // September: in care on 31 Aug
  // August: 4-24 (21 days) and 30-31 (2 days); September: 1-2 (2 days).
  EXPECT_NEAR(s[1].months(0).value(), 23.0 / 7, 1e-9);
  EXPECT_NEAR(s[1].months(1).value(), 2.0 / 7, 1e-9);
}

// Looked-after days are counted for the team the case belonged to on each day ("each event
// counts for the team the case belonged to on the event's day").
TEST(IndicatorsTeamMoveTest, LookedAfterDaysFollowTheCaseAcrossATeamMove) {
  Dataset d;
  d.cases = {Case("C", {{D(2025, 1, 1), "north"}, {D(2025, 3, 10), "south"}},
                  {Period(D(2025, 1, 1), nullopt)})};
  d.people = {Person("K", "C", true, D(2015, 1, 1))};
  d.looked_after = {MakeSpell("C", "K", D(2025, 2, 20), nullopt)};
  IndicatorOptions options;
  options.today = D(2025, 6, 1);
  auto weeks = [&](const std::string& team) {
    auto s = ComputeIndicators(d, team, CivilMonth(2025, 3), CivilMonth(2025, 3),
                               {v1::INDICATOR_LOOKED_AFTER_WEEKS}, options);
    return s.at(0).months(0).value();
  };
  // March: 1-9 in north (9 days), 10-31 in south (22 days).
  EXPECT_NEAR(weeks(""), 31.0 / 7, 1e-9);
  EXPECT_NEAR(weeks("north"), 9.0 / 7, 1e-9);
  EXPECT_NEAR(weeks("south"), 22.0 / 7, 1e-9);
}

// Admissions and DA incidents on the closure day were of a case open that day; an incident the
// day after closure was not.
TEST(IndicatorsClosureDayTest, ClosureDayCountsForAdmissionsAndIncidents) {
  Dataset d;
  d.cases = {Case("C", {{D(2025, 1, 1), "north"}}, {Period(D(2025, 1, 1), D(2025, 6, 30))})};
  d.people = {Person("A", "C", false, D(1980, 1, 1))};
  d.da_incidents = {Event("I-last-open-day", "C", D(2025, 6, 29)),
                    Event("I-closure-day", "C", D(2025, 6, 30)),
                    Event("I-after-closure", "C", D(2025, 7, 1))};
  d.adult_admissions = {Event("A-closure-day", "C", D(2025, 6, 30))};
  IndicatorOptions options;
  options.today = D(2025, 9, 1);
  auto s = ComputeIndicators(
      d, "", CivilMonth(2025, 6), CivilMonth(2025, 7),
      {v1::INDICATOR_ADULT_EMERGENCY_ADMISSIONS, v1::INDICATOR_DA_INCIDENTS_ON_OPEN_CASES},
      options);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].months(0).value(), 1);  // the admission on the closure day counts
  EXPECT_EQ(s[1].months(0).value(), 2);  // the 29th and the closure day
  EXPECT_EQ(s[1].months(1).value(), 0);  // not the day after
}

TEST(TeamOnTest, OpeningTeamThenEachChange) {
  CaseFacts c = Case("C", {{D(2024, 1, 1), "A"}, {D(2024, 6, 1), "B"}, {D(2024, 9, 1), "C"}},
                     {Period(D(2024, 1, 1), nullopt)});
  EXPECT_EQ(TeamOn(c, D(2023, 12, 31)), "A");  // before the first entry: the opening team
  EXPECT_EQ(TeamOn(c, D(2024, 1, 1)), "A");
  EXPECT_EQ(TeamOn(c, D(2024, 5, 31)), "A");
  EXPECT_EQ(TeamOn(c, D(2024, 6, 1)), "B");
  EXPECT_EQ(TeamOn(c, D(2024, 8, 31)), "B");
  EXPECT_EQ(TeamOn(c, D(2024, 9, 1)), "C");
  EXPECT_EQ(TeamOn(c, D(2030, 1, 1)), "C");
}

TEST(AddMonthsTest, ClampsToTheMonthsEnd) {
  EXPECT_EQ(AddMonths(D(2025, 1, 31), 1), D(2025, 2, 28));
  EXPECT_EQ(AddMonths(D(2024, 1, 31), 1), D(2024, 2, 29));  // leap year
  EXPECT_EQ(AddMonths(D(2024, 2, 29), 12), D(2025, 2, 28));
  EXPECT_EQ(AddMonths(D(2024, 2, 29), 48), D(2028, 2, 29));
  EXPECT_EQ(AddMonths(D(2025, 1, 15), 6), D(2025, 7, 15));
  EXPECT_EQ(AddMonths(D(2025, 8, 31), 6), D(2026, 2, 28));
  EXPECT_EQ(AddMonths(D(2025, 3, 31), 1), D(2025, 4, 30));
  EXPECT_EQ(AddMonths(D(2025, 11, 30), 3), D(2026, 2, 28));
  EXPECT_EQ(AddMonths(D(2025, 12, 15), 1), D(2026, 1, 15));
  EXPECT_EQ(AddMonths(D(2025, 5, 17), 0), D(2025, 5, 17));
  EXPECT_EQ(AddMonths(D(2025, 3, 31), -1), D(2025, 2, 28));
}

TEST(MonthTextTest, FormatAndParse) {
  EXPECT_EQ(FormatMonth(CivilMonth(2026, 4)), "2026-04");
  EXPECT_EQ(FormatMonth(CivilMonth(2025, 12)), "2025-12");
  EXPECT_EQ(ParseMonth("2026-04"), CivilMonth(2026, 4));
  EXPECT_EQ(ParseMonth("2025-12"), CivilMonth(2025, 12));
  EXPECT_EQ(ParseMonth("2024-01"), CivilMonth(2024, 1));
  EXPECT_EQ(ParseMonth(FormatMonth(CivilMonth(2031, 7))), CivilMonth(2031, 7));
  for (const char* bad : {"", "2026", "2026-13", "2026-00", "2026-04-01", "2026/04", "abcd-ef",
                          "04-2026", " 2026-04", "2026-04 ", "2026-1x"}) {
    EXPECT_EQ(ParseMonth(bad), std::nullopt) << '"' << bad << '"';
  }
}

// "YYYY-MM": a sign or a space is not a digit.
TEST(MonthTextTest, ParseRejectsSignsAndSpacesInTheMonth) {
  EXPECT_EQ(ParseMonth("2026- 4"), std::nullopt);
  EXPECT_EQ(ParseMonth("2026-+4"), std::nullopt);
}

}  // namespace
}  // namespace fs::outcomes
