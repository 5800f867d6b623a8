#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/outcomes/indicators.h"

// Every expected figure below was worked out by hand (with a calculator for logs and square
// roots) from docs/outcomes-decisions.md, for the hand-made dataset described next to it.
namespace fs::outcomes {
namespace {

using absl::CivilDay;
using std::nullopt;
using std::optional;
using ::testing::HasSubstr;

constexpr double kZ = 1.959964;

CivilDay D(int y, int m, int d) { return CivilDay(y, m, d); }

CaseFacts Case(const std::string& id, CivilDay start, bool da, bool substance) {
  CaseFacts c;
  c.id = id;
  c.teams = {{start, "north"}};
  CasePeriod p;
  p.start = start;
  c.periods = {p};
  c.domestic_abuse = da;
  c.substance_misuse = substance;
  return c;
}

PersonFacts Person(const std::string& id, const std::string& case_id, bool child) {
  PersonFacts p;
  p.id = id;
  p.case_id = case_id;
  p.child = child;
  p.birth = child ? D(2015, 1, 1) : D(1985, 1, 1);
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

Happening Event(const std::string& id, const std::string& case_id, CivilDay day,
                bool flag = false) {
  Happening h;
  h.id = id;
  h.case_id = case_id;
  h.day = day;
  h.flag = flag;
  return h;
}

// Adoption 10 Jan 2025, 3 months each side: before = Oct-Dec 2024, after = Jan-Mar 2025.
// All cases are team "north".
//   K1 open since 2024-06-01 (before the window): most of the counted events.
//   K2 2024-10-07 DA           K7 2024-10-21 substance   K3 2024-11-04 DA+substance
//   K4 2025-01-20 none         K5 2025-02-03 DA          K6 2025-03-03 none
Dataset MakeDataset() {
  Dataset d;
  d.cases = {Case("K1", D(2024, 6, 1), false, false),  Case("K2", D(2024, 10, 7), true, false),
             Case("K7", D(2024, 10, 21), false, true), Case("K3", D(2024, 11, 4), true, true),
             Case("K4", D(2025, 1, 20), false, false), Case("K5", D(2025, 2, 3), true, false),
             Case("K6", D(2025, 3, 3), false, false)};
  for (const char* k : {"K1", "K2", "K3", "K4", "K5", "K6", "K7"}) {
    d.people.push_back(Person(std::string(k) + "-adult", k, false));
  }
  for (const char* c : {"k1a", "k1b", "k1c", "k1d", "k1e"})
    d.people.push_back(Person(c, "K1", true));
  for (const char* k : {"K2", "K3", "K4", "K5", "K6", "K7"}) {
    std::string child = std::string(k) + "-child";
    d.people.push_back(Person(child, k, true));
  }
  d.cp_plans = {
      // Before: 6 starts.
      MakeSpell("K1", "k1a", D(2024, 10, 10), nullopt),
      MakeSpell("K1", "k1b", D(2024, 10, 10), nullopt),
      MakeSpell("K1", "k1c", D(2024, 11, 12), nullopt),
      MakeSpell("K1", "k1d", D(2024, 12, 2), nullopt),
      MakeSpell("K2", "K2-child", D(2024, 11, 15), nullopt),
      MakeSpell("K3", "K3-child", D(2024, 12, 9), nullopt),
      // After: 3 starts.
      MakeSpell("K1", "k1e", D(2025, 1, 27), nullopt),
      MakeSpell("K4", "K4-child", D(2025, 2, 14), nullopt),
      MakeSpell("K5", "K5-child", D(2025, 3, 5), nullopt),
  };
  d.looked_after = {
      // 1 Oct - 30 Dec 2024: 91 days = 13 weeks, all before.
      MakeSpell("K1", "k1a", D(2024, 10, 1), D(2024, 12, 31)),
      // 20-31 Mar 2025: 12 days after.
      MakeSpell("K6", "K6-child", D(2025, 3, 20), nullopt),
      // After the window, within K7's 12 months.
      MakeSpell("K7", "K7-child", D(2025, 5, 1), nullopt),
  };
  d.da_incidents = {
      // Before: 10.
      Event("D1", "K1", D(2024, 10, 2)),
      Event("D2", "K1", D(2024, 10, 9)),
      Event("D3", "K1", D(2024, 10, 16)),
      Event("D4", "K1", D(2024, 10, 23)),
      Event("D5", "K1", D(2024, 11, 6)),
      Event("D6", "K1", D(2024, 11, 13)),
      Event("D7", "K1", D(2024, 11, 20)),
      Event("D8", "K1", D(2024, 12, 4)),
      Event("D9", "K1", D(2024, 12, 11)),
      Event("D10", "K2", D(2024, 12, 1)),
      // After: 5.
      Event("D11", "K1", D(2025, 1, 8)),
      Event("D12", "K1", D(2025, 2, 12)),
      Event("D13", "K1", D(2025, 3, 12)),
      Event("D14", "K3", D(2025, 2, 20)),
      Event("D15", "K5", D(2025, 3, 10)),
  };
  d.adult_admissions = {Event("E1", "K7", D(2025, 1, 15)), Event("E2", "K1", D(2025, 2, 10))};
  // GCS: before 5 of 10 on time, after 9 of 12.
  const std::vector<std::pair<CivilDay, bool>> gcs = {
      {D(2024, 10, 3), true},   {D(2024, 10, 10), false}, {D(2024, 10, 17), true},
      {D(2024, 11, 7), false},  {D(2024, 11, 14), true},  {D(2024, 11, 21), false},
      {D(2024, 12, 5), true},   {D(2024, 12, 12), false}, {D(2024, 12, 19), true},
      {D(2024, 12, 20), false}, {D(2025, 1, 9), true},    {D(2025, 1, 16), true},
      {D(2025, 1, 23), false},  {D(2025, 1, 30), true},   {D(2025, 2, 6), true},
      {D(2025, 2, 13), true},   {D(2025, 2, 20), false},  {D(2025, 2, 27), true},
      {D(2025, 3, 6), true},    {D(2025, 3, 13), true},   {D(2025, 3, 20), false},
      {D(2025, 3, 27), true}};
  int n = 0;
  for (const auto& [day, on_time] : gcs) {
    d.gcs_held.push_back(Event("G" + std::to_string(++n), "K1", day, on_time));
  }
  return d;
}

IndicatorOptions Today(CivilDay day) {
  IndicatorOptions o;
  o.today = day;
  return o;
}

CostOptions Costs(double care_week, double police, double admission) {
  CostOptions c;
  c.care_week_gbp = care_week;
  c.police_call_out_gbp = police;
  c.emergency_admission_gbp = admission;
  return c;
}

const v1::BeforeAfter& Find(const v1::Comparison& c, v1::Indicator indicator) {
  for (const auto& b : c.before_after()) {
    if (b.indicator() == indicator) return b;
  }
  ADD_FAILURE() << "no before/after for " << indicator;
  static const v1::BeforeAfter empty;
  return empty;
}

const v1::CohortRow* Row(const google::protobuf::RepeatedPtrField<v1::CohortRow>& rows,
                         const std::string& cohort) {
  for (const auto& r : rows) {
    if (r.cohort() == cohort) return &r;
  }
  return nullptr;
}

const v1::CostLine* Line(const v1::Comparison& c, const std::string& item) {
  for (const auto& l : c.costs()) {
    if (l.item() == item) return &l;
  }
  return nullptr;
}

// The Wilson score interval, written out here from its textbook definition.
std::pair<double, double> ExpectedWilson(double k, double n) {
  const double p = k / n;
  const double denom = 1 + kZ * kZ / n;
  const double centre = (p + kZ * kZ / (2 * n)) / denom;
  const double half = kZ / denom * std::sqrt(p * (1 - p) / n + kZ * kZ / (4 * n * n));
  return {centre - half, centre + half};
}

void ExpectShare(const v1::Estimate& e, int k, int n, const std::string& what) {
  SCOPED_TRACE(what);
  EXPECT_NEAR(e.value(), double(k) / n, 1e-9);
  ASSERT_TRUE(e.has_interval());
  auto [lo, hi] = ExpectedWilson(k, n);
  EXPECT_NEAR(e.lower(), lo, 1e-4);
  EXPECT_NEAR(e.upper(), hi, 1e-4);
}

void ExpectRow(const v1::CohortRow* row, int cases, int followed, int n, int cp, int la, int da,
               int adm) {
  ASSERT_NE(row, nullptr);
  SCOPED_TRACE(row->cohort());
  EXPECT_EQ(row->cases(), cases);
  EXPECT_EQ(row->cases_followed_12_months(), followed);
  ExpectShare(row->cp_plan_within_12_months(), cp, n, "cp plan");
  ExpectShare(row->looked_after_within_12_months(), la, n, "looked after");
  ExpectShare(row->repeat_da_within_12_months(), da, n, "repeat DA");
  ExpectShare(row->adult_admission_within_12_months(), adm, n, "admission");
}

class CompareTest : public ::testing::Test {
 protected:
  v1::Comparison Run(CivilDay today, const CostOptions& costs, const std::string& team = "") const {
    return Compare(data_, team, D(2025, 1, 10), 3, costs, Today(today));
  }
  Dataset data_ = MakeDataset();
};

TEST_F(CompareTest, CountIndicatorPoissonRateRatio) {
  auto c = Run(D(2026, 6, 1), Costs(0, 0, 0));
  const auto& b = Find(c, v1::INDICATOR_CP_PLAN_STARTS);
  EXPECT_EQ(b.before().from_month(), "2024-10");
  EXPECT_EQ(b.before().to_month(), "2024-12");
  EXPECT_EQ(b.before().months(), 3);
  EXPECT_DOUBLE_EQ(b.before().total(), 6);
  EXPECT_DOUBLE_EQ(b.before().per_month(), 2);
  EXPECT_EQ(b.after().from_month(), "2025-01");
  EXPECT_EQ(b.after().to_month(), "2025-03");
  EXPECT_EQ(b.after().months(), 3);
  EXPECT_DOUBLE_EQ(b.after().total(), 3);
  EXPECT_DOUBLE_EQ(b.after().per_month(), 1);
  EXPECT_NEAR(b.ratio().value(), 0.5, 1e-9);
  ASSERT_TRUE(b.ratio().has_interval());
  // exp(ln 0.5 -/+ 1.959964 * sqrt(1/3 + 1/6))
  EXPECT_NEAR(b.ratio().lower(), 0.125049, 1e-5);
  EXPECT_NEAR(b.ratio().upper(), 1.999219, 1e-5);
  EXPECT_NEAR(b.change_percent(), -50, 1e-9);
  EXPECT_THAT(b.note(), HasSubstr("fragile"));  // 3 after

  // DA incidents on open cases: 10 before, 5 after; no note.
  const auto& da = Find(c, v1::INDICATOR_DA_INCIDENTS_ON_OPEN_CASES);
  EXPECT_DOUBLE_EQ(da.before().total(), 10);
  EXPECT_DOUBLE_EQ(da.after().total(), 5);
  EXPECT_NEAR(da.before().per_month(), 10.0 / 3, 1e-9);
  EXPECT_NEAR(da.ratio().value(), 0.5, 1e-9);
  ASSERT_TRUE(da.ratio().has_interval());
  EXPECT_NEAR(da.ratio().lower(), 0.170902, 1e-5);  // sqrt(1/5 + 1/10)
  EXPECT_NEAR(da.ratio().upper(), 1.462825, 1e-5);
  EXPECT_EQ(da.note(), "");

  // Children becoming looked after: 1 and 1.
  const auto& la = Find(c, v1::INDICATOR_CHILDREN_BECOMING_LOOKED_AFTER);
  EXPECT_DOUBLE_EQ(la.before().total(), 1);
  EXPECT_DOUBLE_EQ(la.after().total(), 1);
  EXPECT_NEAR(la.ratio().value(), 1, 1e-9);
  ASSERT_TRUE(la.ratio().has_interval());
  EXPECT_NEAR(la.ratio().lower(), 0.0625488, 1e-5);  // exp(-1.959964 * sqrt 2)
  EXPECT_NEAR(la.ratio().upper(), 15.98751, 1e-3);
  EXPECT_NEAR(la.change_percent(), 0, 1e-9);
  EXPECT_THAT(la.note(), HasSubstr("fragile"));

  // Emergency admissions: none before, 2 after: no interval, and a note says why.
  const auto& adm = Find(c, v1::INDICATOR_ADULT_EMERGENCY_ADMISSIONS);
  EXPECT_DOUBLE_EQ(adm.before().total(), 0);
  EXPECT_DOUBLE_EQ(adm.after().total(), 2);
  EXPECT_NEAR(adm.after().per_month(), 2.0 / 3, 1e-9);
  EXPECT_FALSE(adm.ratio().has_interval());
  EXPECT_NE(adm.note(), "");
}

TEST_F(CompareTest, RateIndicatorRiskRatio) {
  auto c = Run(D(2026, 6, 1), Costs(0, 0, 0));
  const auto& b = Find(c, v1::INDICATOR_GCS_HELD_ON_TIME);
  EXPECT_EQ(b.before().numerator(), 5);
  EXPECT_EQ(b.before().denominator(), 10);
  EXPECT_NEAR(b.before().rate().value(), 0.5, 1e-9);
  ASSERT_TRUE(b.before().rate().has_interval());
  EXPECT_NEAR(b.before().rate().lower(), 0.2366, 1e-4);
  EXPECT_NEAR(b.before().rate().upper(), 0.7634, 1e-4);
  EXPECT_EQ(b.after().numerator(), 9);
  EXPECT_EQ(b.after().denominator(), 12);
  EXPECT_NEAR(b.after().rate().value(), 0.75, 1e-9);
  EXPECT_NEAR(b.after().rate().lower(), 0.467695, 1e-4);
  EXPECT_NEAR(b.after().rate().upper(), 0.911058, 1e-4);
  // 0.75 / 0.5, exp(ln 1.5 -/+ 1.959964 * sqrt(1/9 - 1/12 + 1/5 - 1/10))
  EXPECT_NEAR(b.ratio().value(), 1.5, 1e-9);
  ASSERT_TRUE(b.ratio().has_interval());
  EXPECT_NEAR(b.ratio().lower(), 0.744424, 1e-5);
  EXPECT_NEAR(b.ratio().upper(), 3.022469, 1e-5);
  EXPECT_NEAR(b.change_percent(), 50, 1e-9);

  // Repeat CP plans: 0 of 6 before, 0 of 3 after: no event, no interval.
  const auto& r = Find(c, v1::INDICATOR_REPEAT_CP_PLANS_WITHIN_2_YEARS);
  EXPECT_EQ(r.before().numerator(), 0);
  EXPECT_EQ(r.before().denominator(), 6);
  EXPECT_EQ(r.after().denominator(), 3);
  EXPECT_FALSE(r.ratio().has_interval());
}

TEST_F(CompareTest, StocksHaveNoInterval) {
  auto c = Run(D(2026, 6, 1), Costs(0, 0, 0));
  // Open at month ends: Oct 3, Nov 4, Dec 4; Jan 5, Feb 6, Mar 7.
  const auto& open = Find(c, v1::INDICATOR_OPEN_CASES);
  EXPECT_DOUBLE_EQ(open.before().total(), 11);
  EXPECT_NEAR(open.before().per_month(), 11.0 / 3, 1e-9);
  EXPECT_DOUBLE_EQ(open.after().total(), 18);
  EXPECT_NEAR(open.after().per_month(), 6, 1e-9);
  EXPECT_NEAR(open.ratio().value(), 18.0 / 11, 1e-9);
  EXPECT_FALSE(open.ratio().has_interval());
  EXPECT_NEAR(open.change_percent(), (18.0 / 11 - 1) * 100, 1e-6);

  // Looked-after weeks: 13 before; 12 days after.
  const auto& weeks = Find(c, v1::INDICATOR_LOOKED_AFTER_WEEKS);
  EXPECT_NEAR(weeks.before().total(), 13, 1e-9);
  EXPECT_NEAR(weeks.after().total(), 12.0 / 7, 1e-9);
  EXPECT_NEAR(weeks.ratio().value(), (4.0 / 7) / (13.0 / 3), 1e-9);
  EXPECT_FALSE(weeks.ratio().has_interval());
}

TEST_F(CompareTest, OnlyCompleteMonthsAreCompared) {
  // 20 Mar 2025: March is not over, so "after" is January and February.
  auto c = Run(D(2025, 3, 20), Costs(1000, 500, 0));
  const auto& b = Find(c, v1::INDICATOR_CP_PLAN_STARTS);
  EXPECT_EQ(b.before().months(), 3);
  EXPECT_DOUBLE_EQ(b.before().total(), 6);
  EXPECT_EQ(b.after().months(), 2);
  EXPECT_DOUBLE_EQ(b.after().total(), 2);
  EXPECT_DOUBLE_EQ(b.after().per_month(), 1);
  EXPECT_NEAR(b.ratio().value(), 0.5, 1e-9);
  EXPECT_NEAR(b.ratio().lower(), 0.100918, 1e-5);  // sqrt(1/2 + 1/6)
  EXPECT_NEAR(b.ratio().upper(), 2.477269, 1e-5);

  // Police: 10/3 a month before, 3 in two months after: (10/3 - 1.5) x 2 = 11/3 call-outs.
  const auto* police = Line(c, "POLICE_CALL_OUT");
  ASSERT_NE(police, nullptr);
  EXPECT_NEAR(police->after_per_month(), 1.5, 1e-9);
  EXPECT_NEAR(police->units_avoided(), 11.0 / 3, 1e-9);
  EXPECT_NEAR(police->cost_avoided_gbp(), 500 * 11.0 / 3, 1e-6);
  // Care: 13/3 weeks a month before, none after: 26/3 weeks.
  const auto* care = Line(c, "LOOKED_AFTER_WEEK");
  ASSERT_NE(care, nullptr);
  EXPECT_NEAR(care->units_avoided(), 26.0 / 3, 1e-9);
  EXPECT_NEAR(care->cost_avoided_gbp(), 26000.0 / 3, 1e-6);
  EXPECT_NEAR(c.total_cost_avoided_gbp(), 26000.0 / 3 + 5500.0 / 3, 1e-6);

  // Looked-after weeks: 13 before, none in January and February: ratio 0, a 100% fall.
  const auto& weeks = Find(c, v1::INDICATOR_LOOKED_AFTER_WEEKS);
  EXPECT_NEAR(weeks.after().total(), 0, 1e-9);
  EXPECT_NEAR(weeks.ratio().value(), 0, 1e-9);
  EXPECT_FALSE(weeks.ratio().has_interval());
  EXPECT_NEAR(weeks.change_percent(), -100, 1e-9);  // (ratio - 1) x 100
}

TEST_F(CompareTest, CostAvoided) {
  auto c = Run(D(2026, 6, 1), Costs(1000, 500, 0));
  // The admission line has a zero unit cost: left out.
  EXPECT_EQ(c.costs_size(), 2);
  EXPECT_EQ(Line(c, "EMERGENCY_ADMISSION"), nullptr);

  const auto* care = Line(c, "LOOKED_AFTER_WEEK");
  ASSERT_NE(care, nullptr);
  EXPECT_EQ(care->payer(), "CHILDRENS_SERVICES");
  EXPECT_DOUBLE_EQ(care->unit_cost_gbp(), 1000);
  EXPECT_NEAR(care->before_per_month(), 13.0 / 3, 1e-9);
  EXPECT_NEAR(care->after_per_month(), 4.0 / 7, 1e-9);
  EXPECT_NEAR(care->units_avoided(), 79.0 / 7, 1e-9);  // (13/3 - 4/7) x 3
  EXPECT_NEAR(care->cost_avoided_gbp(), 79000.0 / 7, 1e-6);

  const auto* police = Line(c, "POLICE_CALL_OUT");
  ASSERT_NE(police, nullptr);
  EXPECT_EQ(police->payer(), "POLICE");
  EXPECT_DOUBLE_EQ(police->unit_cost_gbp(), 500);
  EXPECT_NEAR(police->before_per_month(), 10.0 / 3, 1e-9);
  EXPECT_NEAR(police->after_per_month(), 5.0 / 3, 1e-9);
  EXPECT_NEAR(police->units_avoided(), 5, 1e-9);
  EXPECT_NEAR(police->cost_avoided_gbp(), 2500, 1e-6);

  EXPECT_NEAR(c.total_cost_avoided_gbp(), 79000.0 / 7 + 2500, 1e-6);

  // With a unit cost, admissions rose: 0 a month before, 2/3 after: -2 avoided, -£500.
  auto with = Run(D(2026, 6, 1), Costs(1000, 500, 250));
  EXPECT_EQ(with.costs_size(), 3);
  const auto* adm = Line(with, "EMERGENCY_ADMISSION");
  ASSERT_NE(adm, nullptr);
  EXPECT_EQ(adm->payer(), "NHS");
  EXPECT_NEAR(adm->before_per_month(), 0, 1e-9);
  EXPECT_NEAR(adm->after_per_month(), 2.0 / 3, 1e-9);
  EXPECT_NEAR(adm->units_avoided(), -2, 1e-9);
  EXPECT_NEAR(adm->cost_avoided_gbp(), -500, 1e-6);
  EXPECT_NEAR(with.total_cost_avoided_gbp(), 79000.0 / 7 + 2500 - 500, 1e-6);

  auto none = Run(D(2026, 6, 1), Costs(0, 0, 0));
  EXPECT_EQ(none.costs_size(), 0);
  EXPECT_NEAR(none.total_cost_avoided_gbp(), 0, 1e-9);
}

TEST_F(CompareTest, CohortsByStartMonth) {
  auto c = Run(D(2026, 6, 1), Costs(0, 0, 0));
  const auto& rows = c.cohorts_by_start_month();
  // K2 (plan 15 Nov, incident 1 Dec) and K7 (admission 15 Jan, looked after 1 May 2025).
  ExpectRow(Row(rows, "2024-10"), 2, 2, 2, 1, 1, 1, 1);
  ExpectRow(Row(rows, "2024-11"), 1, 1, 1, 1, 0, 1, 0);  // K3
  ExpectRow(Row(rows, "2025-01"), 1, 1, 1, 1, 0, 0, 0);  // K4
  ExpectRow(Row(rows, "2025-02"), 1, 1, 1, 1, 0, 1, 0);  // K5
  ExpectRow(Row(rows, "2025-03"), 1, 1, 1, 0, 1, 0, 0);  // K6
  // K1 started in June 2024, outside the window.
  EXPECT_EQ(Row(rows, "2024-06"), nullptr);
  int total = 0;
  for (const auto& r : rows) total += r.cases();
  EXPECT_EQ(total, 6);
}

TEST_F(CompareTest, CohortsByVulnerability) {
  auto c = Run(D(2026, 6, 1), Costs(0, 0, 0));
  const auto& rows = c.by_vulnerability();
  ExpectRow(Row(rows, "DA"), 2, 2, 2, 2, 0, 2, 0);            // K2, K5
  ExpectRow(Row(rows, "DA+SUBSTANCE"), 1, 1, 1, 1, 0, 1, 0);  // K3
  ExpectRow(Row(rows, "NONE"), 2, 2, 2, 1, 1, 0, 0);          // K4, K6
  int total = 0;
  for (const auto& r : rows) total += r.cases();
  EXPECT_EQ(total, 6);  // with K7 (substance only)
}

TEST_F(CompareTest, CohortsLeaveOutPeriodsNotYetFollowedTwelveMonths) {
  // 1 Dec 2025: K2, K7, K3 have had 12 months; K4, K5, K6 have not.
  auto c = Run(D(2025, 12, 1), Costs(0, 0, 0));
  ExpectRow(Row(c.cohorts_by_start_month(), "2024-10"), 2, 2, 2, 1, 1, 1, 1);
  const auto* jan = Row(c.cohorts_by_start_month(), "2025-01");
  ASSERT_NE(jan, nullptr);
  EXPECT_EQ(jan->cases(), 1);
  EXPECT_EQ(jan->cases_followed_12_months(), 0);
  EXPECT_FALSE(jan->cp_plan_within_12_months().has_interval());
  const auto* da = Row(c.by_vulnerability(), "DA");
  ASSERT_NE(da, nullptr);
  EXPECT_EQ(da->cases(), 2);
  EXPECT_EQ(da->cases_followed_12_months(), 1);  // K2 only
  ExpectShare(da->cp_plan_within_12_months(), 1, 1, "cp plan");
  ExpectShare(da->repeat_da_within_12_months(), 1, 1, "repeat DA");
  ExpectShare(da->looked_after_within_12_months(), 0, 1, "looked after");
  const auto* none = Row(c.by_vulnerability(), "NONE");
  ASSERT_NE(none, nullptr);
  EXPECT_EQ(none->cases(), 2);
  EXPECT_EQ(none->cases_followed_12_months(), 0);
}

TEST_F(CompareTest, AnotherTeamSeesNoneOfIt) {
  auto c = Run(D(2026, 6, 1), Costs(1000, 500, 250), "south");
  EXPECT_EQ(c.team(), "south");
  const auto& b = Find(c, v1::INDICATOR_CP_PLAN_STARTS);
  EXPECT_DOUBLE_EQ(b.before().total(), 0);
  EXPECT_DOUBLE_EQ(b.after().total(), 0);
  EXPECT_FALSE(b.ratio().has_interval());
  for (const auto& r : c.cohorts_by_start_month()) EXPECT_EQ(r.cases(), 0) << r.cohort();
  for (const auto& r : c.by_vulnerability()) EXPECT_EQ(r.cases(), 0) << r.cohort();
  EXPECT_NEAR(c.total_cost_avoided_gbp(), 0, 1e-9);
}

TEST(WilsonTest, KnownValues) {
  auto e = WilsonProportion(0, 10);
  EXPECT_NEAR(e.value(), 0, 1e-12);
  ASSERT_TRUE(e.has_interval());
  EXPECT_NEAR(e.lower(), 0, 1e-6);
  EXPECT_NEAR(e.upper(), 0.2775, 1e-4);

  e = WilsonProportion(5, 10);
  EXPECT_NEAR(e.value(), 0.5, 1e-12);
  EXPECT_NEAR(e.lower(), 0.2366, 1e-4);
  EXPECT_NEAR(e.upper(), 0.7634, 1e-4);

  e = WilsonProportion(9, 12);
  EXPECT_NEAR(e.value(), 0.75, 1e-12);
  EXPECT_NEAR(e.lower(), 0.4677, 1e-4);
  EXPECT_NEAR(e.upper(), 0.9111, 1e-4);

  e = WilsonProportion(10, 10);
  EXPECT_NEAR(e.value(), 1, 1e-12);
  EXPECT_NEAR(e.lower(), 0.7225, 1e-4);
  EXPECT_NEAR(e.upper(), 1, 1e-6);

  e = WilsonProportion(1, 3);
  EXPECT_NEAR(e.lower(), 0.0615, 1e-4);
  EXPECT_NEAR(e.upper(), 0.7923, 1e-4);

  EXPECT_FALSE(WilsonProportion(0, 0).has_interval());
}

}  // namespace
}  // namespace fs::outcomes
