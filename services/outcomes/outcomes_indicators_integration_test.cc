// The outcome figures end to end, over gRPC against real PostgreSQL: a hand-made year of cases
// built through case_records' API (relayed to outcomes), police incidents and NHS admissions
// reported by the partners, and supervision's and the workbook's events delivered by hand; then
// GetIndicators, CompareOutcomes and ExportOutcomes checked against figures worked out by hand
// from docs/outcomes-decisions.md; who may read them; bad requests; and the event handler.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <cmath>
#include <map>

#include "absl/flags/declare.h"
#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "services/outcomes/outcomes_integration_fixture.h"

ABSL_DECLARE_FLAG(std::string, adoption_date);
ABSL_DECLARE_FLAG(double, cost_care_week_gbp);
ABSL_DECLARE_FLAG(double, cost_police_call_out_gbp);
ABSL_DECLARE_FLAG(double, cost_emergency_admission_gbp);

namespace fs::outcomes {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr double kZ = 1.959963984540054;

// ---- Dates, independent of the service's code ----

absl::TimeZone LondonZone() {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/London", &zone));
  return zone;
}

absl::CivilDay Today() { return absl::ToCivilDay(absl::Now(), LondonZone()); }

absl::CivilMonth ThisMonth() { return absl::CivilMonth(Today()); }

std::string MonthText(absl::CivilMonth m) {
  return absl::StrFormat("%04d-%02d", m.year(), m.month());
}

absl::CivilDay LastDay(absl::CivilMonth m) { return absl::CivilDay(m + 1) - 1; }

// The same day n months later, or the month's last day when it has no such day.
absl::CivilDay MonthsLater(absl::CivilDay day, int n) {
  absl::CivilMonth target = absl::CivilMonth(day) + n;
  absl::CivilDay last = LastDay(target);
  return day.day() > last.day() ? last : absl::CivilDay(target.year(), target.month(), day.day());
}

// "A month is complete once it is over; the repeat-DA figures of a month are complete once 6
// (12) months after its last day have passed."
bool Complete(absl::CivilMonth m, int follow_months) {
  return MonthsLater(LastDay(m), follow_months) < Today();
}

// Noon UTC on a day (the same day in England, summer or winter).
absl::Time Noon(int y, int m, int d) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, 12, 0, 0), absl::UTCTimeZone());
}

// 95% Wilson score interval, worked out here from the textbook formula.
struct Interval {
  double value, lower, upper;
};
Interval Wilson(double k, double n) {
  double p = k / n;
  double centre = (p + kZ * kZ / (2 * n)) / (1 + kZ * kZ / n);
  double half = kZ * std::sqrt(p * (1 - p) / n + kZ * kZ / (4 * n * n)) / (1 + kZ * kZ / n);
  return {p, std::max(0.0, centre - half), std::min(1.0, centre + half)};
}

// ---- Hand-made events ----

std::string NextUuid() {
  static std::atomic<int> n{0};
  return absl::StrFormat("6f1c2a3b-0000-4000-8000-%012d", ++n);
}

ev::EventEnvelope Envelope(const std::string& case_name, int64_t sequence,
                           const std::string& producer, const std::string& type) {
  ev::EventEnvelope e;
  e.set_event_id(NextUuid());
  e.set_type(type);
  e.set_case_(case_name);
  e.set_sequence(sequence);
  e.set_previous_sequence(sequence - 1);
  *e.mutable_occurred_time() = Ts(absl::Now());
  e.set_producer(producer);
  return e;
}

ev::EventEnvelope GcsHeld(const std::string& case_name, int64_t sequence,
                          const std::string& session, absl::Time held, bool on_time) {
  auto e = Envelope(case_name, sequence, "supervision", "fs.events.v1.GcsHeld");
  auto* g = e.mutable_gcs_held();
  g->set_session(session);
  *g->mutable_held_time() = Ts(held);
  g->set_chair("tm-a");
  g->set_risk_rating("AMBER");
  g->set_on_time(on_time);
  return e;
}

ev::EventEnvelope ModuleSession(const std::string& case_name, int64_t sequence,
                                const std::string& entry, int module, absl::Time occur,
                                int revision) {
  auto e = Envelope(case_name, sequence, "workbook", "fs.events.v1.ModuleSessionRecorded");
  auto* m = e.mutable_module_session_recorded();
  m->set_entry(absl::StrCat(case_name, "/entries/", entry));
  m->set_module(module);
  *m->mutable_occur_time() = Ts(occur);
  m->set_revision(revision);
  return e;
}

ev::EventEnvelope EntryFinalised(const std::string& case_name, int64_t sequence,
                                 const std::string& entry, int revision, const std::string& kind) {
  auto e = Envelope(case_name, sequence, "workbook", "fs.events.v1.EntryFinalised");
  auto* f = e.mutable_entry_finalised();
  f->set_entry(absl::StrCat(case_name, "/entries/", entry));
  f->set_revision(revision);
  f->set_kind(kind);
  f->set_visibility("TEAM");
  f->set_author("sw-lead");
  return e;
}

ev::EventEnvelope CaseOpened(const std::string& case_name, int64_t sequence,
                             const std::string& team, const std::string& referral_date) {
  auto e = Envelope(case_name, sequence, "case_records", "fs.events.v1.CaseOpened");
  auto* o = e.mutable_case_opened();
  o->set_team(team);
  o->set_referral_date(referral_date);
  o->set_referral_source("6");
  o->set_primary_need_code("N1");
  o->set_lead_social_worker("sw-lead");
  return e;
}

// ---- Expected series ----

const std::vector<std::string> kYear = {"2026-01", "2026-02", "2026-03", "2026-04",
                                        "2026-05", "2026-06", "2026-07", "2026-08",
                                        "2026-09", "2026-10", "2026-11"};

struct Expected {
  Expected(ov1::Indicator i, std::vector<double> v, std::vector<int64_t> d = {}, int follow = 0)
      : indicator(i), values(std::move(v)), denominators(std::move(d)), follow_months(follow) {}
  ov1::Indicator indicator;
  std::vector<double> values;
  // Empty for a plain count (denominator 0 every month).
  std::vector<int64_t> denominators;
  int follow_months;
};

const ov1::Series* Find(const ov1::IndicatorReport& report, ov1::Indicator indicator) {
  for (const auto& s : report.series()) {
    if (s.indicator() == indicator) return &s;
  }
  return nullptr;
}

void ExpectSeries(const ov1::IndicatorReport& report, const std::string& team,
                  const Expected& expected) {
  SCOPED_TRACE(ov1::Indicator_Name(expected.indicator) + " for " +
               (team.empty() ? "the council" : team));
  const ov1::Series* series = Find(report, expected.indicator);
  ASSERT_NE(series, nullptr);
  EXPECT_EQ(series->team(), team);
  ASSERT_EQ(series->months_size(), static_cast<int>(kYear.size()));
  for (size_t i = 0; i < kYear.size(); ++i) {
    SCOPED_TRACE(kYear[i]);
    const auto& m = series->months(static_cast<int>(i));
    EXPECT_EQ(m.month(), kYear[i]);
    EXPECT_NEAR(m.value(), expected.values[i], 1e-9);
    int64_t denominator = expected.denominators.empty() ? 0 : expected.denominators[i];
    EXPECT_EQ(m.denominator(), denominator);
    if (denominator > 0) {
      EXPECT_NEAR(m.rate(), expected.values[i] / static_cast<double>(denominator), 1e-9);
    } else if (expected.denominators.empty()) {
      EXPECT_EQ(m.rate(), 0);
    }
    EXPECT_EQ(m.complete(),
              Complete(absl::CivilMonth(2026, static_cast<int>(i) + 1), expected.follow_months));
  }
}

// Team-a's figures for 2026-01..2026-11, worked out by hand from the dataset below.
std::vector<Expected> TeamAExpected() {
  return {
      // Distinct children on a plan on the last day: A1 02-10..04-15 and from 06-01, A2
      // 02-20..05-10, B1 07-01..08-31 (off the plan on 31 August, its end date).
      {ov1::INDICATOR_CHILDREN_ON_CP_PLANS, {0, 2, 2, 1, 0, 1, 2, 1, 1, 1, 1}},
      {ov1::INDICATOR_CP_PLAN_STARTS, {0, 2, 0, 0, 0, 1, 1, 0, 0, 0, 0}},
      // A1's June plan follows a plan ended 47 days before; B1's July plan is a first.
      {ov1::INDICATOR_REPEAT_CP_PLANS_WITHIN_2_YEARS,
       {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0},
       {0, 2, 0, 0, 0, 1, 1, 0, 0, 0, 0}},
      // D1 20 March, C1 6 April, A2 10 May; A2's 25 June episode starts while the May one runs;
      // A2 twice in September counts once; A2's 19 October episode starts the day the 12
      // October one ends.
      {ov1::INDICATOR_CHILDREN_BECOMING_LOOKED_AFTER, {0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 0}},
      // 31 March: B closed (B1 at home) and D closed (D1 in care until 2 April): 1 of 2. 20 May:
      // C closed with C1 in care until 25 May; C2 unborn, C3 born after the closure: 0 of 1.
      {ov1::INDICATOR_CHILDREN_KEPT_SAFELY_AT_HOME_AT_CLOSURE,
       {0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0},
       {0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 0}},
      // Periods: A 01-05 (incidents 20 July, 10 Aug, 5 Sept: after 6 months, within 12), B
      // 02-03 (incident 1 May while closed), C and D in March (none), B again 06-15 (20 July).
      {ov1::INDICATOR_REPEAT_DA_WITHIN_6_MONTHS,
       {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0},
       {1, 1, 2, 0, 0, 1, 0, 0, 0, 0, 0},
       6},
      {ov1::INDICATOR_REPEAT_DA_WITHIN_12_MONTHS,
       {1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0},
       {1, 1, 2, 0, 0, 1, 0, 0, 0, 0, 0},
       12},
      // Adults only, while the case is open: AA 14 Feb and 5 Oct; BA on B's closure day 31
      // March; not AA 2 Jan (before A's referral), not BA 10 April (B closed), not child A1.
      {ov1::INDICATOR_ADULT_EMERGENCY_ADMISSIONS, {0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0}},
      // B reopened 15 June, 76 days after its closure.
      {ov1::INDICATOR_RE_REFERRALS_WITHIN_12_MONTHS,
       {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0},
       {1, 1, 2, 0, 0, 1, 0, 0, 0, 0, 0}},
      {ov1::INDICATOR_GCS_HELD_ON_TIME,
       {0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0},
       {0, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0}},
      // A module 2: third session 7 May (a fourth in June does not count again); A module 5:
      // two sessions only; B module 2: third session 15 July.
      {ov1::INDICATOR_MODULES_COMPLETED, {0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0}},
      // 1 May: B closed; 20 July names A1 and B1 (one call-out); 10 Aug A1; 5 Sept adult AA.
      {ov1::INDICATOR_DA_INCIDENTS_ON_OPEN_CASES, {0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0}},
      // Days in care: March D1 12; April D1 1 + C1 25; May C1 24 + A2 22; June A2 30 (two
      // overlapping records); July A2 30; September A2 7 + 7; October A2 7 + 7.
      {ov1::INDICATOR_LOOKED_AFTER_WEEKS,
       {0, 0, 12.0 / 7, 26.0 / 7, 46.0 / 7, 30.0 / 7, 30.0 / 7, 0, 2, 2, 0}},
      // A from 5 Jan; B 3 Feb..31 Mar and from 15 June; C 2 Mar..20 May; D 16..31 Mar.
      {ov1::INDICATOR_OPEN_CASES, {1, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2}},
  };
}

// The council's: team-a's plus team-b's case E (opened 1 April, E1 on a plan from 10 April, a
// late GCS on 15 April, an incident on 10 June matched by name and birth date).
std::vector<Expected> CouncilExpected() {
  std::vector<Expected> all = TeamAExpected();
  for (auto& e : all) {
    switch (e.indicator) {
      case ov1::INDICATOR_CHILDREN_ON_CP_PLANS:
        e.values = {0, 2, 2, 2, 1, 2, 3, 2, 2, 2, 2};
        break;
      case ov1::INDICATOR_CP_PLAN_STARTS:
        e.values[3] = 1;
        break;
      case ov1::INDICATOR_REPEAT_CP_PLANS_WITHIN_2_YEARS:
      case ov1::INDICATOR_RE_REFERRALS_WITHIN_12_MONTHS:
        e.denominators[3] = 1;
        break;
      case ov1::INDICATOR_REPEAT_DA_WITHIN_6_MONTHS:
      case ov1::INDICATOR_REPEAT_DA_WITHIN_12_MONTHS:
        e.values[3] = 1;
        e.denominators[3] = 1;
        break;
      case ov1::INDICATOR_GCS_HELD_ON_TIME:
        e.denominators[3] = 2;
        break;
      case ov1::INDICATOR_DA_INCIDENTS_ON_OPEN_CASES:
        e.values[5] = 1;
        break;
      case ov1::INDICATOR_OPEN_CASES:
        e.values = {1, 2, 2, 3, 2, 3, 3, 3, 3, 3, 3};
        break;
      default:
        break;
    }
  }
  return all;
}

class IndicatorsTest : public OutcomesTest {
 protected:
  // ---- case_records helpers ----

  cv1::Case OpenCase(const std::string& referral_date, const As& who = kLead,
                     const std::string& team = "team-a") {
    cv1::CreateCaseRequest request = CaseRequest();
    request.mutable_case_()->set_referral_date(referral_date);
    request.mutable_case_()->set_team(team);
    request.mutable_case_()->set_lead_social_worker(who.practitioner);
    cv1::Case created;
    auto status = cases_->CreateCase(ContextFor(who).get(), request, &created);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return created;
  }

  cv1::Person Add(const cv1::Case& c, const cv1::Person& person, const As& who = kLead) {
    cv1::CreatePersonResponse response;
    auto status = CreatePerson(who, c.name(), person, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return response.person();
  }

  static cv1::Person WithFactors(cv1::Person p, std::initializer_list<const char*> factors) {
    for (const char* f : factors) p.add_assessment_factors(f);
    return p;
  }

  static cv1::Person AdultWith(const std::string& given, const std::string& family,
                               const std::string& nhs) {
    cv1::Person p = Adult(given, family);
    p.set_nhs_number(nhs);
    return p;
  }

  void Plan(const cv1::Person& child, const std::string& start, const std::string& end = "",
            const As& who = kLead) {
    cv1::ChildProtectionPlan plan;
    auto status = StartPlan(who, child.name(), start, &plan);
    ASSERT_TRUE(status.ok()) << Describe(status);
    if (end.empty()) return;
    status = EndPlan(who, plan.name(), end);
    ASSERT_TRUE(status.ok()) << Describe(status);
  }

  void Care(const cv1::Person& child, const std::string& start, const std::string& end) {
    cv1::LookedAfterEpisode episode;
    auto status = StartEpisode(kLead, child.name(), start, "C2", &episode);
    ASSERT_TRUE(status.ok()) << Describe(status);
    status = EndEpisode(kLead, episode.name(), end, "E13");
    ASSERT_TRUE(status.ok()) << Describe(status);
  }

  cv1::Case CloseOn(const cv1::Case& c, const std::string& date) {
    cv1::Case closed;
    auto status = Close(kManager, Fetch(c.name()), "RC1", &closed, date);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return closed;
  }

  // ---- outcomes helpers ----

  void ReportAt(ov1::ReportDomesticAbuseIncidentRequest r, absl::Time when) {
    *r.mutable_incident_time() = Ts(when);
    auto status = Report(kPolice, r);
    ASSERT_TRUE(status.ok()) << Describe(status);
  }

  void AdmitOn(const std::string& episode, const std::string& nhs, const std::string& date,
               ov1::AdmissionKind kind = ov1::ADMISSION_KIND_AE_ATTENDANCE) {
    auto r = Admission(episode, nhs, date);
    r.set_kind(kind);
    auto status = Admit(kNhs, r);
    ASSERT_TRUE(status.ok()) << Describe(status);
  }

  void ExpectApplied(const ev::DeliverResponse& response, size_t n) {
    ASSERT_EQ(response.results_size(), static_cast<int>(n));
    for (const auto& r : response.results()) {
      EXPECT_EQ(r.outcome(), ev::DELIVERY_OUTCOME_APPLIED) << r.event_id() << ": " << r.detail();
    }
  }

  grpc::Status GetIndicators(const As& who, const ov1::GetIndicatorsRequest& request,
                             ov1::IndicatorReport* out) {
    return outcomes_->GetIndicators(ContextFor(who).get(), request, out);
  }

  ov1::IndicatorReport Indicators(const As& who, const std::string& team,
                                  const std::string& from = "2026-01",
                                  const std::string& to = "2026-11",
                                  std::vector<ov1::Indicator> which = {}) {
    ov1::GetIndicatorsRequest request;
    request.set_team(team);
    request.set_from_month(from);
    request.set_to_month(to);
    for (auto i : which) request.add_indicators(i);
    ov1::IndicatorReport report;
    auto status = GetIndicators(who, request, &report);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return report;
  }

  grpc::Status Compare(const As& who, const ov1::CompareOutcomesRequest& request,
                       ov1::Comparison* out) {
    return outcomes_->CompareOutcomes(ContextFor(who).get(), request, out);
  }

  ov1::Comparison Comparison(const As& who, const std::string& team, const std::string& adoption,
                             int months) {
    ov1::CompareOutcomesRequest request;
    request.set_team(team);
    request.set_adoption_date(adoption);
    request.set_months(months);
    ov1::Comparison comparison;
    auto status = Compare(who, request, &comparison);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return comparison;
  }

  grpc::Status Export(const As& who, const ov1::ExportOutcomesRequest& request,
                      ov1::ExportOutcomesResponse* out) {
    return outcomes_->ExportOutcomes(ContextFor(who).get(), request, out);
  }

  // ---- The dataset ----

  // Team-a: cases A (from 5 Jan), B (3 Feb..31 Mar, again from 15 June), C (2 Mar..20 May), D
  // (16..31 Mar); team-b: case E (from 1 April). People, plans and episodes as the expectations
  // above describe; then incidents, admissions, GCS and module sessions.
  void BuildDataset() {
    // Case A.
    a_ = OpenCase("2026-01-05");
    cv1::Person a1 = Add(a_, WithFactors(Child("Amy", "Adams", kNhs1, "2019-03-07"), {"3A"}));
    cv1::Person a2 = Add(a_, Child("Ben", "Adams", kNhs2, "2021-06-01"));
    Add(a_, WithFactors(AdultWith("Carol", "Adams", kNhs3), {"1B"}));
    Plan(a1, "2026-02-10", "2026-04-15");
    Plan(a1, "2026-06-01");
    Plan(a2, "2026-02-20", "2026-05-10");
    Care(a2, "2026-05-10", "2026-07-01");
    Care(a2, "2026-06-25", "2026-07-31");  // recorded over the first: the same care
    Care(a2, "2026-09-07", "2026-09-14");
    Care(a2, "2026-09-21", "2026-09-28");
    Care(a2, "2026-10-12", "2026-10-19");
    Care(a2, "2026-10-19", "2026-10-26");  // starts the day the previous ends

    // Case B: closed at the end of March, re-referred in June.
    b_ = OpenCase("2026-02-03");
    cv1::Person b1 = Add(b_, Child("Cara", "Brown", kNhs4, "2018-01-01"));
    Add(b_, WithFactors(AdultWith("Dan", "Brown", kNhs5), {"4B"}));
    cv1::Case closed = CloseOn(b_, "2026-03-31");
    auto reopened = Reopen(kManager, closed, kLead.practitioner, nullptr, "2026-06-15");
    ASSERT_TRUE(reopened.ok()) << Describe(reopened);
    Plan(b1, "2026-07-01", "2026-08-31");

    // Case C: closed on 20 May with C1 in care until 25 May; an unborn child; a child born
    // after the closure.
    c_ = OpenCase("2026-03-02");
    cv1::Person c1 = Add(c_, Child("Eve", "Clark", "", "2020-02-02"));
    cv1::Person unborn = Child("Baby", "Clark", "", "");
    unborn.set_expected_birth_date("2026-12-15");
    Add(c_, unborn);
    Add(c_, Child("Fay", "Clark", "", "2026-08-01"));
    Care(c1, "2026-04-06", "2026-05-25");
    CloseOn(c_, "2026-05-20");

    // Case D: closed on 31 March with D1 in care (20 March..2 April).
    d_ = OpenCase("2026-03-16");
    cv1::Person d1 = Add(d_, Child("Gus", "Dean", "", "2017-07-07"));
    Care(d1, "2026-03-20", "2026-04-02");
    CloseOn(d_, "2026-03-31");

    // Case E on team-b.
    e_ = OpenCase("2026-04-01", kStranger, "team-b");
    cv1::Person e1 = Add(e_, Child("Hal", "Evans", "", "2016-04-04"), kStranger);
    Plan(e1, "2026-04-10", "", kStranger);

    Sync();
    ASSERT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.cases"), 5);
    ASSERT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.looked_after_episodes"), 8);

    // Police: matched by NHS number (children and an adult) and by name and birth date.
    ReportAt(Incident("HERTS-I1", "Amy", "Adams", "2019-03-07", kNhs1), Noon(2026, 8, 10));
    ReportAt(Incident("HERTS-I2", "Cara", "Brown", "2018-01-01", kNhs4), Noon(2026, 5, 1));
    auto both = Incident("HERTS-I3", "Amy", "Adams", "2019-03-07", kNhs1);
    auto* second = both.add_children();
    second->set_given_name("Cara");
    second->set_family_name("Brown");
    second->set_birth_date("2018-01-01");
    second->set_nhs_number(kNhs4);
    ReportAt(both, Noon(2026, 7, 20));
    auto adult = Incident("HERTS-I4", "Nobody", "Known", "2015-01-01");
    auto* victim = adult.add_adults();
    victim->set_given_name("Carol");
    victim->set_family_name("Adams");
    victim->set_nhs_number(kNhs3);
    victim->set_role(ov1::ADULT_ROLE_VICTIM);
    ReportAt(adult, Noon(2026, 9, 5));
    ReportAt(Incident("HERTS-I5", "Hal", "Evans", "2016-04-04"), Noon(2026, 6, 10));
    ASSERT_EQ(OutcomesCount("SELECT count(DISTINCT incident_id) FROM outcomes.incident_matches"),
              5);
    // I4 names a child nobody knows (with Carol, who is known): the front door looks at it.
    ASSERT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.front_door_items"), 1);

    // NHS.
    AdmitOn("EP-1", kNhs3, "2026-02-14");
    AdmitOn("EP-2", kNhs1, "2026-02-20");  // a child: not an adult admission
    AdmitOn("EP-3", kNhs3, "2026-10-05", ov1::ADMISSION_KIND_EMERGENCY_ADMISSION);
    AdmitOn("EP-4", kNhs5, "2026-03-31");  // B's closure day
    AdmitOn("EP-5", kNhs5, "2026-04-10");  // B closed then
    AdmitOn("EP-6", kNhs3, "2026-01-02");  // before A's referral

    // Supervision.
    ExpectApplied(
        Deliver("supervision", {GcsHeld(a_.name(), 1, "sessions/s1", Noon(2026, 3, 12), true),
                                GcsHeld(a_.name(), 2, "sessions/s2", Noon(2026, 3, 26), false),
                                GcsHeld(a_.name(), 3, "sessions/s3", Noon(2026, 4, 9), true)}),
        3);
    ExpectApplied(
        Deliver("supervision", {GcsHeld(e_.name(), 1, "sessions/s4", Noon(2026, 4, 15), false)}),
        1);

    // The workbook.
    ExpectApplied(Deliver("workbook", {ModuleSession(a_.name(), 1, "m1", 2, Noon(2026, 4, 2), 1),
                                       ModuleSession(a_.name(), 2, "m2", 2, Noon(2026, 4, 16), 1),
                                       ModuleSession(a_.name(), 3, "m3", 2, Noon(2026, 5, 7), 1),
                                       ModuleSession(a_.name(), 4, "m4", 2, Noon(2026, 6, 20), 1),
                                       ModuleSession(a_.name(), 5, "m5", 5, Noon(2026, 6, 3), 1),
                                       ModuleSession(a_.name(), 6, "m6", 5, Noon(2026, 6, 10), 1)}),
                  6);
    ExpectApplied(Deliver("workbook", {ModuleSession(b_.name(), 1, "m7", 2, Noon(2026, 7, 1), 1),
                                       ModuleSession(b_.name(), 2, "m8", 2, Noon(2026, 7, 8), 1),
                                       ModuleSession(b_.name(), 3, "m9", 2, Noon(2026, 7, 15), 1)}),
                  3);
  }

  cv1::Case a_, b_, c_, d_, e_;
};

// ---- 1. Indicators end to end ----

TEST_F(IndicatorsTest, TeamFiguresMatchTheDefinitions) {
  ASSERT_NO_FATAL_FAILURE(BuildDataset());
  absl::Time before = absl::Now();
  ov1::IndicatorReport report = Indicators(kManager, "team-a");
  EXPECT_EQ(report.team(), "team-a");
  ASSERT_EQ(TeamAExpected().size(), 14u);
  ASSERT_EQ(report.series_size(), 14);
  for (int i = 0; i < 14; ++i) EXPECT_EQ(report.series(i).indicator(), i + 1);
  for (const auto& e : TeamAExpected()) ExpectSeries(report, "team-a", e);
  absl::Time after = absl::Now();
  ASSERT_TRUE(report.has_compute_time());
  EXPECT_GE(TimeUtil::TimestampToMicroseconds(report.compute_time()),
            absl::ToUnixMicros(before - absl::Seconds(1)));
  EXPECT_LE(TimeUtil::TimestampToMicroseconds(report.compute_time()),
            absl::ToUnixMicros(after + absl::Seconds(1)));
  ASSERT_TRUE(report.has_data_as_of());
  EXPECT_LE(TimeUtil::TimestampToMicroseconds(report.data_as_of()),
            TimeUtil::TimestampToMicroseconds(report.compute_time()));
}

TEST_F(IndicatorsTest, CouncilFiguresCountEveryTeamForAdministratorsAndManagers) {
  ASSERT_NO_FATAL_FAILURE(BuildDataset());
  ov1::IndicatorReport council = Indicators(kAdministrator, "");
  EXPECT_EQ(council.team(), "");
  ASSERT_EQ(council.series_size(), 14);
  for (const auto& e : CouncilExpected()) ExpectSeries(council, "", e);
  // A team manager reads the council's figures too: the same.
  ov1::IndicatorReport as_manager = Indicators(kManager, "");
  ASSERT_EQ(as_manager.series_size(), council.series_size());
  for (int i = 0; i < council.series_size(); ++i) {
    EXPECT_TRUE(
        google::protobuf::util::MessageDifferencer::Equals(as_manager.series(i), council.series(i)))
        << as_manager.series(i).DebugString();
  }
  // Team-b alone: case E.
  ov1::IndicatorReport team_b =
      Indicators(kOtherManager, "team-b", "2026-04", "2026-06",
                 {ov1::INDICATOR_OPEN_CASES, ov1::INDICATOR_DA_INCIDENTS_ON_OPEN_CASES});
  ASSERT_EQ(team_b.series_size(), 2);
  const ov1::Series* open = Find(team_b, ov1::INDICATOR_OPEN_CASES);
  const ov1::Series* da = Find(team_b, ov1::INDICATOR_DA_INCIDENTS_ON_OPEN_CASES);
  ASSERT_TRUE(open && da);
  ASSERT_EQ(open->months_size(), 3);
  EXPECT_EQ(open->months(0).value(), 1);
  EXPECT_EQ(da->months(0).value(), 0);
  EXPECT_EQ(da->months(2).value(), 1);
}

TEST_F(IndicatorsTest, DefaultRangeIsTheTwelveMonthsToTheCurrentOneWhichIsNotComplete) {
  ASSERT_NO_FATAL_FAILURE(BuildDataset());
  ov1::GetIndicatorsRequest request;
  request.set_team("team-a");
  request.add_indicators(ov1::INDICATOR_OPEN_CASES);
  request.add_indicators(ov1::INDICATOR_CHILDREN_ON_CP_PLANS);
  ov1::IndicatorReport report;
  auto status = GetIndicators(kManager, request, &report);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ASSERT_EQ(report.series_size(), 2);
  for (const auto& series : report.series()) {
    SCOPED_TRACE(ov1::Indicator_Name(series.indicator()));
    ASSERT_EQ(series.months_size(), 12);
    EXPECT_EQ(series.months(0).month(), MonthText(ThisMonth() - 11));
    EXPECT_EQ(series.months(11).month(), MonthText(ThisMonth()));
    EXPECT_FALSE(series.months(11).complete());
    EXPECT_TRUE(series.months(10).complete());
    // The current month's stocks count those open (on a plan) on its last day.
    EXPECT_EQ(series.months(11).value(), series.indicator() == ov1::INDICATOR_OPEN_CASES ? 2 : 1);
  }
  // Only to_month: the 12 months to it. Only from_month: from it to the current month.
  request.set_to_month("2026-06");
  ASSERT_TRUE(GetIndicators(kManager, request, &report).ok());
  ASSERT_EQ(report.series(0).months_size(), 12);
  EXPECT_EQ(report.series(0).months(0).month(), "2025-07");
  EXPECT_EQ(report.series(0).months(11).month(), "2026-06");
  request.clear_to_month();
  request.set_from_month("2026-01");
  ASSERT_TRUE(GetIndicators(kManager, request, &report).ok());
  ASSERT_EQ(report.series(0).months_size(),
            static_cast<int>(ThisMonth() - absl::CivilMonth(2026, 1)) + 1);
  EXPECT_EQ(report.series(0).months(0).month(), "2026-01");
  // One month only: from = to.
  ov1::IndicatorReport one = Indicators(kManager, "team-a", "2026-03", "2026-03",
                                        {ov1::INDICATOR_CHILDREN_KEPT_SAFELY_AT_HOME_AT_CLOSURE});
  ASSERT_EQ(one.series_size(), 1);
  ASSERT_EQ(one.series(0).months_size(), 1);
  EXPECT_EQ(one.series(0).months(0).value(), 1);
  EXPECT_EQ(one.series(0).months(0).denominator(), 2);
  EXPECT_DOUBLE_EQ(one.series(0).months(0).rate(), 0.5);
  EXPECT_TRUE(one.series(0).months(0).complete());
}

TEST_F(IndicatorsTest, AMovedCaseCountsForItsTeamOfTheDay) {
  cv1::Case f = OpenCase("2026-02-02");
  Sync();
  As both{"tm-ab", "team_manager", "team-a,team-b", ""};
  cv1::UpdateCaseRequest move;
  move.mutable_case_()->set_name(f.name());
  move.mutable_case_()->set_etag(Fetch(f.name()).etag());
  move.mutable_case_()->set_team("team-b");
  move.mutable_update_mask()->add_paths("team");
  cv1::Case moved;
  auto status = cases_->UpdateCase(ContextFor(both).get(), move, &moved);
  ASSERT_TRUE(status.ok()) << Describe(status);
  Sync();
  // A GCS in October (on team-a then) and one today (on team-b since the move).
  ExpectApplied(
      Deliver("supervision", {GcsHeld(f.name(), 1, "sessions/f1", Noon(2026, 10, 10), true),
                              GcsHeld(f.name(), 2, "sessions/f2", absl::Now(), false)}),
      2);
  const absl::CivilMonth from(2026, 10);
  const std::vector<ov1::Indicator> which = {ov1::INDICATOR_GCS_HELD_ON_TIME,
                                             ov1::INDICATOR_OPEN_CASES};
  auto a = Indicators(kAdministrator, "team-a", MonthText(from), MonthText(ThisMonth()), which);
  auto b = Indicators(kAdministrator, "team-b", MonthText(from), MonthText(ThisMonth()), which);
  auto council = Indicators(kAdministrator, "", MonthText(from), MonthText(ThisMonth()), which);
  const int n = static_cast<int>(ThisMonth() - from) + 1;
  for (const auto* report : {&a, &b, &council}) {
    for (const auto& s : report->series()) ASSERT_EQ(s.months_size(), n);
  }
  for (int i = 0; i < n; ++i) {
    absl::CivilMonth m = from + i;
    SCOPED_TRACE(MonthText(m));
    // The month-end stock goes to the case's team on the last day.
    bool ends_before_move = LastDay(m) < Today();
    EXPECT_EQ(Find(a, ov1::INDICATOR_OPEN_CASES)->months(i).value(), ends_before_move ? 1 : 0);
    EXPECT_EQ(Find(b, ov1::INDICATOR_OPEN_CASES)->months(i).value(), ends_before_move ? 0 : 1);
    EXPECT_EQ(Find(council, ov1::INDICATOR_OPEN_CASES)->months(i).value(), 1);
    // Events go to the case's team on their day.
    const auto& gcs_a = Find(a, ov1::INDICATOR_GCS_HELD_ON_TIME)->months(i);
    const auto& gcs_b = Find(b, ov1::INDICATOR_GCS_HELD_ON_TIME)->months(i);
    const auto& gcs_council = Find(council, ov1::INDICATOR_GCS_HELD_ON_TIME)->months(i);
    bool october = i == 0, now = m == ThisMonth();
    EXPECT_EQ(gcs_a.value(), october ? 1 : 0);
    EXPECT_EQ(gcs_a.denominator(), october ? 1 : 0);
    EXPECT_EQ(gcs_b.value(), 0);
    EXPECT_EQ(gcs_b.denominator(), now ? 1 : 0);
    EXPECT_EQ(gcs_council.value(), october ? 1 : 0);
    EXPECT_EQ(gcs_council.denominator(), october || now ? 1 : 0);
  }
}

// ---- 2. Who may read the figures ----

TEST_F(IndicatorsTest, OnlyTeamManagersOfTheTeamAndAdministratorsReadFigures) {
  // A case on each team, so that both are known here (an unknown team is NOT_FOUND).
  OpenCase("2026-04-01", kLead, "team-a");
  OpenCase("2026-04-01", kStranger, "team-b");
  Sync();
  auto get = [&](const As& who, const std::string& team) {
    ov1::GetIndicatorsRequest r;
    r.set_team(team);
    ov1::IndicatorReport out;
    return outcomes_->GetIndicators(ContextFor(who).get(), r, &out).error_code();
  };
  auto compare = [&](const As& who, const std::string& team) {
    ov1::CompareOutcomesRequest r;
    r.set_team(team);
    r.set_adoption_date("2026-05-01");
    ov1::Comparison out;
    return outcomes_->CompareOutcomes(ContextFor(who).get(), r, &out).error_code();
  };
  auto export_csv = [&](const As& who, const std::string& team) {
    ov1::ExportOutcomesRequest r;
    r.set_format(ov1::EXPORT_FORMAT_CSV);
    r.mutable_indicators()->set_team(team);
    ov1::ExportOutcomesResponse out;
    return outcomes_->ExportOutcomes(ContextFor(who).get(), r, &out).error_code();
  };
  const auto kDenied = grpc::StatusCode::PERMISSION_DENIED;
  const auto kOk = grpc::StatusCode::OK;
  // Practitioners who are not managers: neither their team's figures nor the council's.
  for (const As& who : {kLead, ::fs::cases::kSupport, kStranger, kFrontDoor}) {
    for (const char* team : {"team-a", "team-b", ""}) {
      SCOPED_TRACE(absl::StrCat(who.practitioner, " for '", team, "'"));
      EXPECT_EQ(get(who, team), kDenied);
      EXPECT_EQ(compare(who, team), kDenied);
      EXPECT_EQ(export_csv(who, team), kDenied);
    }
  }
  // A manager of team-b: team-b and the council, not team-a.
  EXPECT_EQ(get(kOtherManager, "team-a"), kDenied);
  EXPECT_EQ(compare(kOtherManager, "team-a"), kDenied);
  EXPECT_EQ(export_csv(kOtherManager, "team-a"), kDenied);
  EXPECT_EQ(get(kOtherManager, "team-b"), kOk);
  EXPECT_EQ(get(kOtherManager, ""), kOk);
  EXPECT_EQ(compare(kOtherManager, ""), kOk);
  EXPECT_EQ(export_csv(kOtherManager, ""), kOk);
  // Team-a's manager, likewise.
  EXPECT_EQ(get(kManager, "team-b"), kDenied);
  EXPECT_EQ(get(kManager, "team-a"), kOk);
  EXPECT_EQ(compare(kManager, "team-a"), kOk);
  EXPECT_EQ(export_csv(kManager, "team-a"), kOk);
  // A manager of both teams reads both.
  As both{"tm-ab", "team_manager", "team-a,team-b", ""};
  EXPECT_EQ(get(both, "team-a"), kOk);
  EXPECT_EQ(get(both, "team-b"), kOk);
  // Administrators: the council and any team.
  for (const char* team : {"", "team-a", "team-b"}) {
    SCOPED_TRACE(absl::StrCat("administrator for '", team, "'"));
    EXPECT_EQ(get(kAdministrator, team), kOk);
    EXPECT_EQ(compare(kAdministrator, team), kOk);
    EXPECT_EQ(export_csv(kAdministrator, team), kOk);
  }
}

TEST_F(IndicatorsTest, PartnersAndServicesReachNoOutcomesServiceRpc) {
  for (const std::string& principal : std::vector<std::string>{
           kPolice, kOtherPolice, kNhs, ::fs::cases::kNhsPartner, "service/case_records"}) {
    SCOPED_TRACE(principal);
    auto ctx = [&] { return ContextForPrincipal(principal); };
    const auto kDenied = grpc::StatusCode::PERMISSION_DENIED;
    {
      ov1::ListFrontDoorItemsRequest r;
      ov1::ListFrontDoorItemsResponse out;
      EXPECT_EQ(outcomes_->ListFrontDoorItems(ctx().get(), r, &out).error_code(), kDenied);
    }
    {
      ov1::GetFrontDoorItemRequest r;
      r.set_name("frontDoorItems/6f1c2a3b-0000-4000-8000-000000000001");
      ov1::FrontDoorItem out;
      EXPECT_EQ(outcomes_->GetFrontDoorItem(ctx().get(), r, &out).error_code(), kDenied);
    }
    {
      ov1::ResolveFrontDoorItemRequest r;
      r.set_name("frontDoorItems/6f1c2a3b-0000-4000-8000-000000000001");
      r.set_etag("v1");
      r.set_no_further_action(true);
      r.set_reason("not ours");
      ov1::FrontDoorItem out;
      EXPECT_EQ(outcomes_->ResolveFrontDoorItem(ctx().get(), r, &out).error_code(), kDenied);
    }
    for (const char* team : {"", "team-a"}) {
      ov1::GetIndicatorsRequest g;
      g.set_team(team);
      ov1::IndicatorReport report;
      EXPECT_EQ(outcomes_->GetIndicators(ctx().get(), g, &report).error_code(), kDenied);
      ov1::CompareOutcomesRequest c;
      c.set_team(team);
      c.set_adoption_date("2026-05-01");
      ov1::Comparison comparison;
      EXPECT_EQ(outcomes_->CompareOutcomes(ctx().get(), c, &comparison).error_code(), kDenied);
      for (auto format :
           {ov1::EXPORT_FORMAT_CSV, ov1::EXPORT_FORMAT_JSON, ov1::EXPORT_FORMAT_HTML}) {
        ov1::ExportOutcomesRequest e;
        e.set_format(format);
        e.mutable_indicators()->set_team(team);
        e.mutable_comparison()->set_adoption_date("2026-05-01");
        ov1::ExportOutcomesResponse exported;
        EXPECT_EQ(outcomes_->ExportOutcomes(ctx().get(), e, &exported).error_code(), kDenied);
      }
    }
  }
}

// ---- 3. Bad requests ----

TEST_F(IndicatorsTest, BadIndicatorRequestsNameTheField) {
  OpenCase("2026-04-01", kLead, "team-a");
  Sync();
  auto get = [&](const std::string& from, const std::string& to, std::vector<int> indicators = {},
                 const std::string& team = "team-a", ov1::IndicatorReport* out = nullptr) {
    ov1::GetIndicatorsRequest r;
    r.set_team(team);
    r.set_from_month(from);
    r.set_to_month(to);
    for (int i : indicators) r.add_indicators(static_cast<ov1::Indicator>(i));
    ov1::IndicatorReport ignored;
    return GetIndicators(kManager, r, out ? out : &ignored);
  };
  EXPECT_TRUE(InvalidNaming(get("2026-01", "2026-13"), "to_month"));
  EXPECT_TRUE(InvalidNaming(get("2026-01", "2026-00"), "to_month"));
  EXPECT_TRUE(InvalidNaming(get("", "2026-1"), "to_month"));
  EXPECT_TRUE(InvalidNaming(get("26-01", "2026-03"), "from_month"));
  EXPECT_TRUE(InvalidNaming(get("2026/01", "2026-03"), "from_month"));
  EXPECT_TRUE(InvalidNaming(get("2026-01-01", "2026-03"), "from_month"));
  EXPECT_TRUE(InvalidNaming(get("2026-13", ""), "from_month"));
  // from after to.
  auto reversed = get("2026-06", "2026-05");
  EXPECT_EQ(reversed.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(reversed);
  EXPECT_TRUE(absl::StrContains(reversed.error_message(), "from_month") ||
              absl::StrContains(reversed.error_message(), "to_month"))
      << reversed.error_message();
  // At most 240 months at once: 240 is fine, 241 is not.
  ov1::IndicatorReport longest;
  auto ok = get("2000-01", "2019-12", {ov1::INDICATOR_OPEN_CASES}, "team-a", &longest);
  ASSERT_TRUE(ok.ok()) << Describe(ok);
  ASSERT_EQ(longest.series_size(), 1);
  EXPECT_EQ(longest.series(0).months_size(), 240);
  auto too_long = get("2000-01", "2020-01", {ov1::INDICATOR_OPEN_CASES});
  EXPECT_EQ(too_long.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(too_long);
  EXPECT_TRUE(absl::StrContains(too_long.error_message(), "from_month") ||
              absl::StrContains(too_long.error_message(), "to_month"))
      << too_long.error_message();
  // Unknown indicators.
  EXPECT_TRUE(InvalidNaming(get("2026-01", "2026-02", {99}), "indicators"));
  EXPECT_TRUE(
      InvalidNaming(get("2026-01", "2026-02", {ov1::INDICATOR_OPEN_CASES, 15}), "indicators"));
  EXPECT_TRUE(InvalidNaming(get("2026-01", "2026-02", {0}), "indicators"));
  EXPECT_TRUE(InvalidNaming(get("2026-01", "2026-02", {-1}), "indicators"));
  // Malformed teams, whoever asks.
  for (const std::string& team :
       std::vector<std::string>{"team a", "team-a/../team-b", "tëam", std::string(129, 'a')}) {
    SCOPED_TRACE(team);
    EXPECT_TRUE(InvalidNaming(get("2026-01", "2026-02", {}, team), "team"));
    ov1::GetIndicatorsRequest r;
    r.set_team(team);
    ov1::IndicatorReport out;
    EXPECT_TRUE(InvalidNaming(GetIndicators(kAdministrator, r, &out), "team"));
    ov1::CompareOutcomesRequest c;
    c.set_team(team);
    c.set_adoption_date("2026-05-01");
    ov1::Comparison comparison;
    EXPECT_TRUE(InvalidNaming(Compare(kAdministrator, c, &comparison), "team"));
    ov1::ExportOutcomesRequest e;
    e.set_format(ov1::EXPORT_FORMAT_CSV);
    e.mutable_indicators()->set_team(team);
    ov1::ExportOutcomesResponse exported;
    EXPECT_TRUE(InvalidNaming(Export(kAdministrator, e, &exported), "team"));
  }
}

// ---- 4. Comparisons ----

TEST_F(IndicatorsTest, CompareOutcomesChecksItsParameters) {
  ov1::CompareOutcomesRequest r;
  r.set_team("team-a");
  ov1::Comparison out;
  // No --adoption_date configured in tests and none asked.
  EXPECT_TRUE(InvalidNaming(Compare(kManager, r, &out), "adoption_date"));
  for (const char* bad : {"2026-02-30", "01/05/2026", "2026-5-1", "soon"}) {
    r.set_adoption_date(bad);
    EXPECT_TRUE(InvalidNaming(Compare(kManager, r, &out), "adoption_date")) << bad;
  }
  r.set_adoption_date("2026-05-01");
  for (int months : {61, -1, 1000}) {
    r.set_months(months);
    EXPECT_TRUE(InvalidNaming(Compare(kManager, r, &out), "months")) << months;
  }
  for (int months : {1, 60}) {
    r.set_months(months);
    auto status = Compare(kManager, r, &out);
    EXPECT_TRUE(status.ok()) << months << ": " << Describe(status);
  }
  // 0: twelve months each side, complete months only.
  ov1::Comparison c = Comparison(kManager, "team-a", "2026-05-01", 0);
  EXPECT_EQ(c.adoption_date(), "2026-05-01");
  ASSERT_EQ(c.before_after_size(), 14);
  const auto& starts = c.before_after(ov1::INDICATOR_CP_PLAN_STARTS - 1);
  ASSERT_EQ(starts.indicator(), ov1::INDICATOR_CP_PLAN_STARTS);
  EXPECT_EQ(starts.before().from_month(), "2025-05");
  EXPECT_EQ(starts.before().to_month(), "2026-04");
  EXPECT_EQ(starts.before().months(), 12);
  EXPECT_EQ(starts.after().from_month(), "2026-05");
  int after = std::min<int>(12, static_cast<int>(ThisMonth() - absl::CivilMonth(2026, 5)));
  EXPECT_EQ(starts.after().months(), after);
  EXPECT_EQ(starts.after().to_month(), MonthText(absl::CivilMonth(2026, 5) + (after - 1)));
  // Nothing happened: no ratio, and no costs without unit costs.
  EXPECT_FALSE(starts.ratio().has_interval());
  EXPECT_FALSE(starts.note().empty());
  EXPECT_EQ(c.costs_size(), 0);
  EXPECT_EQ(c.total_cost_avoided_gbp(), 0);
  EXPECT_EQ(c.cohorts_by_start_month_size(), 0);
}

TEST_F(IndicatorsTest, BeforeAndAfterAdoptionWithCohorts) {
  ASSERT_NO_FATAL_FAILURE(BuildDataset());
  // Before: February to April; after: May to July.
  ov1::Comparison c = Comparison(kManager, "team-a", "2026-05-01", 3);
  EXPECT_EQ(c.team(), "team-a");
  EXPECT_EQ(c.adoption_date(), "2026-05-01");
  EXPECT_TRUE(c.has_data_as_of());
  ASSERT_EQ(c.before_after_size(), 14);
  std::map<ov1::Indicator, ov1::BeforeAfter> ba;
  for (const auto& row : c.before_after()) {
    EXPECT_TRUE(ba.emplace(row.indicator(), row).second) << row.indicator();
  }
  ASSERT_EQ(ba.size(), 14u);
  for (const auto& [indicator, row] : ba) {
    if (indicator == ov1::INDICATOR_REPEAT_DA_WITHIN_6_MONTHS ||
        indicator == ov1::INDICATOR_REPEAT_DA_WITHIN_12_MONTHS) {
      continue;
    }
    SCOPED_TRACE(ov1::Indicator_Name(indicator));
    EXPECT_EQ(row.before().from_month(), "2026-02");
    EXPECT_EQ(row.before().to_month(), "2026-04");
    EXPECT_EQ(row.before().months(), 3);
    EXPECT_EQ(row.after().from_month(), "2026-05");
    EXPECT_EQ(row.after().to_month(), "2026-07");
    EXPECT_EQ(row.after().months(), 3);
  }
  {
    // Counts: 2 plans before, 2 after; Poisson rate ratio 1 with exp(±1.96·√(1/2 + 1/2)).
    const auto& row = ba[ov1::INDICATOR_CP_PLAN_STARTS];
    EXPECT_EQ(row.before().total(), 2);
    EXPECT_NEAR(row.before().per_month(), 2.0 / 3, 1e-9);
    EXPECT_EQ(row.after().total(), 2);
    EXPECT_NEAR(row.ratio().value(), 1.0, 1e-9);
    ASSERT_TRUE(row.ratio().has_interval());
    EXPECT_NEAR(row.ratio().lower(), std::exp(-kZ), 1e-6);
    EXPECT_NEAR(row.ratio().upper(), std::exp(kZ), 1e-6);
    EXPECT_NEAR(row.change_percent(), 0, 1e-9);
    EXPECT_THAT(row.note(), HasSubstr("fragile"));
  }
  {
    // 2 children became looked after before (March, April), 1 after (May).
    const auto& row = ba[ov1::INDICATOR_CHILDREN_BECOMING_LOOKED_AFTER];
    EXPECT_EQ(row.before().total(), 2);
    EXPECT_EQ(row.after().total(), 1);
    EXPECT_NEAR(row.ratio().value(), 0.5, 1e-9);
    ASSERT_TRUE(row.ratio().has_interval());
    double se = std::sqrt(1.0 / 2 + 1.0 / 1);
    EXPECT_NEAR(row.ratio().lower(), std::exp(std::log(0.5) - kZ * se), 1e-6);
    EXPECT_NEAR(row.ratio().upper(), std::exp(std::log(0.5) + kZ * se), 1e-6);
    EXPECT_NEAR(row.change_percent(), -50, 1e-9);
  }
  {
    // Adult admissions: 2 before, none after: a fall to none is -100%, without an interval.
    const auto& row = ba[ov1::INDICATOR_ADULT_EMERGENCY_ADMISSIONS];
    EXPECT_EQ(row.before().total(), 2);
    EXPECT_EQ(row.after().total(), 0);
    EXPECT_NEAR(row.ratio().value(), 0, 1e-9);
    EXPECT_FALSE(row.ratio().has_interval());
    EXPECT_NEAR(row.change_percent(), -100, 1e-9);
  }
  {
    // DA incidents on open cases: none before, so no ratio.
    const auto& row = ba[ov1::INDICATOR_DA_INCIDENTS_ON_OPEN_CASES];
    EXPECT_EQ(row.before().total(), 0);
    EXPECT_EQ(row.after().total(), 1);
    EXPECT_FALSE(row.ratio().has_interval());
    EXPECT_EQ(row.change_percent(), 0);
    EXPECT_FALSE(row.note().empty());
  }
  {
    // Stocks: ratio of monthly means, no interval.
    const auto& open = ba[ov1::INDICATOR_OPEN_CASES];
    EXPECT_NEAR(open.before().per_month(), 2, 1e-9);
    EXPECT_NEAR(open.after().per_month(), 5.0 / 3, 1e-9);
    EXPECT_NEAR(open.ratio().value(), 5.0 / 6, 1e-9);
    EXPECT_FALSE(open.ratio().has_interval());
    EXPECT_NEAR(open.change_percent(), (5.0 / 6 - 1) * 100, 1e-9);
    const auto& plans = ba[ov1::INDICATOR_CHILDREN_ON_CP_PLANS];
    EXPECT_NEAR(plans.before().per_month(), 5.0 / 3, 1e-9);
    EXPECT_NEAR(plans.after().per_month(), 1, 1e-9);
    EXPECT_NEAR(plans.ratio().value(), 0.6, 1e-9);
    EXPECT_FALSE(plans.ratio().has_interval());
    const auto& weeks = ba[ov1::INDICATOR_LOOKED_AFTER_WEEKS];
    EXPECT_NEAR(weeks.before().total(), 38.0 / 7, 1e-9);
    EXPECT_NEAR(weeks.after().total(), 106.0 / 7, 1e-9);
    EXPECT_NEAR(weeks.ratio().value(), 106.0 / 38, 1e-9);
    EXPECT_FALSE(weeks.ratio().has_interval());
  }
  {
    // Rates: kept at home 1 of 2 before, 0 of 1 after: risk ratio 0, -100%, Wilson per side.
    const auto& row = ba[ov1::INDICATOR_CHILDREN_KEPT_SAFELY_AT_HOME_AT_CLOSURE];
    EXPECT_EQ(row.before().numerator(), 1);
    EXPECT_EQ(row.before().denominator(), 2);
    EXPECT_EQ(row.after().numerator(), 0);
    EXPECT_EQ(row.after().denominator(), 1);
    Interval before = Wilson(1, 2), after = Wilson(0, 1);
    EXPECT_NEAR(row.before().rate().value(), before.value, 1e-9);
    ASSERT_TRUE(row.before().rate().has_interval());
    EXPECT_NEAR(row.before().rate().lower(), before.lower, 1e-6);
    EXPECT_NEAR(row.before().rate().upper(), before.upper, 1e-6);
    EXPECT_NEAR(row.after().rate().value(), 0, 1e-9);
    ASSERT_TRUE(row.after().rate().has_interval());
    EXPECT_NEAR(row.after().rate().lower(), after.lower, 1e-6);
    EXPECT_NEAR(row.after().rate().upper(), after.upper, 1e-6);
    EXPECT_NEAR(row.ratio().value(), 0, 1e-9);
    EXPECT_FALSE(row.ratio().has_interval());
    EXPECT_NEAR(row.change_percent(), -100, 1e-9);
    EXPECT_THAT(row.note(), HasSubstr("fragile"));
  }
  {
    // GCS on time: 2 of 3 before, none held after.
    const auto& row = ba[ov1::INDICATOR_GCS_HELD_ON_TIME];
    EXPECT_EQ(row.before().numerator(), 2);
    EXPECT_EQ(row.before().denominator(), 3);
    EXPECT_NEAR(row.before().rate().value(), 2.0 / 3, 1e-9);
    EXPECT_NEAR(row.before().rate().lower(), Wilson(2, 3).lower, 1e-6);
    EXPECT_EQ(row.after().denominator(), 0);
    EXPECT_FALSE(row.ratio().has_interval());
  }
  {
    // Repeat DA (6 months): complete months only. Before: February 1 of 1, March 0 of 2.
    const auto& row = ba[ov1::INDICATOR_REPEAT_DA_WITHIN_6_MONTHS];
    EXPECT_EQ(row.before().months(), 3);
    EXPECT_EQ(row.before().numerator(), 1);
    EXPECT_EQ(row.before().denominator(), 3);
    int complete_after = 0;
    for (int m = 5; m <= 7; ++m) complete_after += Complete(absl::CivilMonth(2026, m), 6);
    EXPECT_EQ(row.after().months(), complete_after);
    // Repeat DA (12 months): no month of 2026 is complete yet.
    const auto& twelve = ba[ov1::INDICATOR_REPEAT_DA_WITHIN_12_MONTHS];
    EXPECT_EQ(twelve.before().months(), 0);
    EXPECT_EQ(twelve.after().months(), 0);
    EXPECT_FALSE(twelve.ratio().has_interval());
    EXPECT_FALSE(twelve.note().empty());
  }
  // No unit costs configured: no cost lines.
  EXPECT_EQ(c.costs_size(), 0);
  EXPECT_EQ(c.total_cost_avoided_gbp(), 0);

  // Cohorts: the periods starting February to July (B twice, C, D); none followed 12 months.
  std::map<std::string, ov1::CohortRow> by_month;
  for (const auto& row : c.cohorts_by_start_month()) by_month[row.cohort()] = row;
  ASSERT_EQ(by_month.size(), 3u);
  EXPECT_EQ(by_month["2026-02"].cases(), 1);
  EXPECT_EQ(by_month["2026-03"].cases(), 2);
  EXPECT_EQ(by_month["2026-06"].cases(), 1);
  for (const auto& [cohort, row] : by_month) {
    SCOPED_TRACE(cohort);
    EXPECT_EQ(row.cases_followed_12_months(), 0);
    EXPECT_FALSE(row.cp_plan_within_12_months().has_interval());
    EXPECT_FALSE(row.repeat_da_within_12_months().has_interval());
  }
  // By vulnerability: B (an adult with factor 4B, mental health) twice; C and D none.
  ASSERT_EQ(c.by_vulnerability_size(), 2);
  std::map<std::string, ov1::CohortRow> by_label;
  for (const auto& row : c.by_vulnerability()) by_label[row.cohort()] = row;
  EXPECT_EQ(by_label["NONE"].cases(), 2);
  for (const auto& [label, row] : by_label) {
    if (label == "NONE") continue;
    EXPECT_THAT(label, HasSubstr("MENTAL"));
    EXPECT_THAT(label, Not(HasSubstr("DA")));
    EXPECT_THAT(label, Not(HasSubstr("SUBSTANCE")));
    EXPECT_EQ(row.cases(), 2);
  }

  // The council: case E (team-b, April) joins.
  ov1::Comparison council = Comparison(kAdministrator, "", "2026-05-01", 3);
  EXPECT_EQ(council.team(), "");
  ASSERT_EQ(council.before_after_size(), 14);
  for (const auto& row : council.before_after()) {
    if (row.indicator() != ov1::INDICATOR_CP_PLAN_STARTS) continue;
    EXPECT_EQ(row.before().total(), 3);
    EXPECT_EQ(row.after().total(), 2);
    EXPECT_NEAR(row.ratio().value(), 2.0 / 3, 1e-9);
  }
  std::map<std::string, int> council_months;
  for (const auto& row : council.cohorts_by_start_month())
    council_months[row.cohort()] = row.cases();
  EXPECT_EQ(council_months, (std::map<std::string, int>{
                                {"2026-02", 1}, {"2026-03", 2}, {"2026-04", 1}, {"2026-06", 1}}));

  // Twelve months each side: A (January; DA and substance) joins the cohorts.
  ov1::Comparison year = Comparison(kManager, "team-a", "2026-05-01", 0);
  std::map<std::string, int> year_months;
  for (const auto& row : year.cohorts_by_start_month()) year_months[row.cohort()] = row.cases();
  EXPECT_EQ(year_months, (std::map<std::string, int>{
                             {"2026-01", 1}, {"2026-02", 1}, {"2026-03", 2}, {"2026-06", 1}}));
  std::map<std::string, int> year_labels;
  for (const auto& row : year.by_vulnerability()) year_labels[row.cohort()] = row.cases();
  EXPECT_EQ(year_labels["DA+SUBSTANCE"], 1);
  EXPECT_EQ(year_labels["NONE"], 2);
  EXPECT_EQ(year_labels.size(), 3u);
}

// Cohorts followed for 12 months need periods that started over a year ago.
TEST_F(IndicatorsTest, CohortsFollowedForTwelveMonthsGetShares) {
  // Case G (September 2025): a child on a plan from December, in care in August 2026, an
  // incident in March 2026 and an adult's admission in October 2025: every outcome.
  cv1::Case g = OpenCase("2025-09-01");
  cv1::Person g1 = Add(g, Child("Ida", "Green", kNhs1, "2015-05-05"));
  Add(g, WithFactors(AdultWith("Jo", "Green", kNhs2), {"3B"}));
  Plan(g1, "2025-12-01");
  Care(g1, "2026-08-01", "2026-08-10");
  // Case H (October 2025): nothing follows; substance misuse and mental health.
  cv1::Case h = OpenCase("2025-10-15");
  Add(h, WithFactors(AdultWith("Kim", "Hill", kNhs3), {"2B", "4B"}));
  // Case K (September 2025) left after 12 months: an incident 13 months after its start.
  cv1::Case k = OpenCase("2025-09-20");
  Add(k, Child("Lee", "King", kNhs4, "2016-06-06"));
  Sync();
  ReportAt(Incident("HERTS-G1", "Ida", "Green", "2015-05-05", kNhs1), Noon(2026, 3, 3));
  ReportAt(Incident("HERTS-K1", "Lee", "King", "2016-06-06", kNhs4), Noon(2026, 10, 21));
  AdmitOn("EP-G1", kNhs2, "2025-10-10");

  ov1::Comparison c = Comparison(kManager, "team-a", "2026-01-01", 12);
  std::map<std::string, ov1::CohortRow> by_month;
  for (const auto& row : c.cohorts_by_start_month()) by_month[row.cohort()] = row;
  ASSERT_EQ(by_month.size(), 2u);
  const auto& september = by_month["2025-09"];
  EXPECT_EQ(september.cases(), 2);
  EXPECT_EQ(september.cases_followed_12_months(), 2);
  Interval half = Wilson(1, 2);
  for (const auto* share :
       {&september.cp_plan_within_12_months(), &september.looked_after_within_12_months(),
        &september.repeat_da_within_12_months(), &september.adult_admission_within_12_months()}) {
    EXPECT_NEAR(share->value(), 0.5, 1e-9);
    ASSERT_TRUE(share->has_interval());
    EXPECT_NEAR(share->lower(), half.lower, 1e-6);
    EXPECT_NEAR(share->upper(), half.upper, 1e-6);
  }
  const auto& october = by_month["2025-10"];
  EXPECT_EQ(october.cases(), 1);
  EXPECT_EQ(october.cases_followed_12_months(), 1);
  Interval none = Wilson(0, 1);
  EXPECT_NEAR(october.cp_plan_within_12_months().value(), 0, 1e-9);
  EXPECT_NEAR(october.cp_plan_within_12_months().upper(), none.upper, 1e-6);
  EXPECT_NEAR(october.repeat_da_within_12_months().value(), 0, 1e-9);

  std::map<std::string, ov1::CohortRow> by_label;
  for (const auto& row : c.by_vulnerability()) by_label[row.cohort()] = row;
  ASSERT_EQ(by_label.size(), 3u);
  EXPECT_EQ(by_label["DA"].cases(), 1);
  EXPECT_NEAR(by_label["DA"].cp_plan_within_12_months().value(), 1, 1e-9);
  EXPECT_NEAR(by_label["DA"].cp_plan_within_12_months().lower(), Wilson(1, 1).lower, 1e-6);
  EXPECT_EQ(by_label["NONE"].cases(), 1);
  EXPECT_NEAR(by_label["NONE"].repeat_da_within_12_months().value(), 0, 1e-9);
  int combined = 0;
  for (const auto& [label, row] : by_label) {
    if (absl::StrContains(label, "SUBSTANCE") && absl::StrContains(label, "MENTAL")) {
      ++combined;
      EXPECT_EQ(row.cases(), 1);
      EXPECT_NEAR(row.adult_admission_within_12_months().value(), 0, 1e-9);
    }
  }
  EXPECT_EQ(combined, 1);
}

// ---- 5. Exports ----

TEST_F(IndicatorsTest, ExportsCsvJsonAndHtml) {
  ASSERT_NO_FATAL_FAILURE(BuildDataset());
  ov1::ExportOutcomesRequest request;
  request.set_format(ov1::EXPORT_FORMAT_CSV);
  auto* which = request.mutable_indicators();
  which->set_team("team-a");
  which->set_from_month("2026-03");
  which->set_to_month("2026-04");
  which->add_indicators(ov1::INDICATOR_GCS_HELD_ON_TIME);
  which->add_indicators(ov1::INDICATOR_LOOKED_AFTER_WEEKS);
  ov1::ExportOutcomesResponse csv;
  auto status = Export(kManager, request, &csv);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(csv.content_type(), "text/csv");
  EXPECT_TRUE(absl::EndsWith(csv.file_name(), ".csv")) << csv.file_name();
  EXPECT_EQ(csv.content(),
            "team,indicator,month,value,denominator,rate,complete\r\n"
            "team-a,GCS_HELD_ON_TIME,2026-03,1,2,0.5,true\r\n"
            "team-a,GCS_HELD_ON_TIME,2026-04,1,1,1,true\r\n"
            "team-a,LOOKED_AFTER_WEEKS,2026-03,1.7143,0,,true\r\n"
            "team-a,LOOKED_AFTER_WEEKS,2026-04,3.7143,0,,true\r\n");
  // The council's, by an administrator; a 12-month repeat DA figure is not complete yet.
  which->set_team("");
  which->set_from_month("2026-01");
  which->clear_indicators();
  which->add_indicators(ov1::INDICATOR_GCS_HELD_ON_TIME);
  which->add_indicators(ov1::INDICATOR_REPEAT_DA_WITHIN_12_MONTHS);
  status = Export(kAdministrator, request, &csv);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_THAT(csv.content(), HasSubstr("\r\ncouncil,GCS_HELD_ON_TIME,2026-04,1,2,0.5,true\r\n"));
  EXPECT_THAT(csv.content(),
              HasSubstr("\r\ncouncil,REPEAT_DA_WITHIN_12_MONTHS,2026-01,1,1,1,false\r\n"));
  EXPECT_THAT(csv.content(),
              HasSubstr("\r\ncouncil,REPEAT_DA_WITHIN_12_MONTHS,2026-03,0,2,0,false\r\n"));
  EXPECT_THAT(csv.content(), HasSubstr("\r\ncouncil,GCS_HELD_ON_TIME,2026-02,0,0,,true\r\n"));
  EXPECT_EQ(std::count(csv.content().begin(), csv.content().end(), '\n'), 1 + 2 * 4);

  // JSON: the same series as GetIndicators.
  ov1::ExportOutcomesRequest json_request;
  json_request.set_format(ov1::EXPORT_FORMAT_JSON);
  json_request.mutable_indicators()->set_team("team-a");
  json_request.mutable_indicators()->set_from_month("2026-01");
  json_request.mutable_indicators()->set_to_month("2026-11");
  ov1::ExportOutcomesResponse json;
  status = Export(kManager, json_request, &json);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(json.content_type(), "application/json");
  EXPECT_TRUE(absl::EndsWith(json.file_name(), ".json")) << json.file_name();
  ov1::IndicatorReport parsed;
  auto parse = google::protobuf::util::JsonStringToMessage(json.content(), &parsed);
  ASSERT_TRUE(parse.ok()) << parse.ToString();
  ov1::IndicatorReport direct = Indicators(kManager, "team-a");
  EXPECT_EQ(parsed.team(), "team-a");
  ASSERT_EQ(parsed.series_size(), 14);
  ASSERT_EQ(parsed.series_size(), direct.series_size());
  for (int i = 0; i < parsed.series_size(); ++i) {
    EXPECT_TRUE(
        google::protobuf::util::MessageDifferencer::Equals(parsed.series(i), direct.series(i)))
        << parsed.series(i).DebugString() << "\nvs\n"
        << direct.series(i).DebugString();
  }
  EXPECT_EQ(parsed.data_as_of().seconds(), direct.data_as_of().seconds());
  for (const auto& e : TeamAExpected()) ExpectSeries(parsed, "team-a", e);
  // Every field present, zeros included.
  EXPECT_THAT(json.content(), HasSubstr("\"complete\": false"));
  EXPECT_THAT(json.content(), HasSubstr("\"denominator\": \"0\""));

  // HTML: the evaluator's report, with the comparison.
  ov1::ExportOutcomesRequest html_request;
  html_request.set_format(ov1::EXPORT_FORMAT_HTML);
  html_request.mutable_indicators()->set_team("team-a");
  html_request.mutable_indicators()->set_from_month("2026-01");
  html_request.mutable_indicators()->set_to_month("2026-11");
  html_request.mutable_comparison()->set_adoption_date("2026-05-01");
  html_request.mutable_comparison()->set_months(3);
  ov1::ExportOutcomesResponse html;
  status = Export(kManager, html_request, &html);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(html.content_type(), "text/html");
  EXPECT_TRUE(absl::EndsWith(html.file_name(), ".html")) << html.file_name();
  const std::string& page = html.content();
  EXPECT_TRUE(absl::StartsWith(page, "<!DOCTYPE html>")) << page.substr(0, 80);
  EXPECT_THAT(page, HasSubstr("team-a"));
  EXPECT_THAT(page, HasSubstr("2026-05-01"));
  size_t charts = 0;
  for (size_t at = page.find("<svg"); at != std::string::npos; at = page.find("<svg", at + 1)) {
    ++charts;
  }
  EXPECT_EQ(charts, 14u);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  // Escaped once: "A&E" as "A&amp;E", never twice, and the markup itself left alone.
  EXPECT_THAT(page, HasSubstr("A&amp;E"));
  EXPECT_THAT(page, Not(HasSubstr("A&E")));
  EXPECT_THAT(page, Not(HasSubstr("&amp;amp;")));
  EXPECT_THAT(page, Not(HasSubstr("&amp;lt;")));
  EXPECT_THAT(page, Not(HasSubstr("&amp;#39;")));
  EXPECT_THAT(page, Not(HasSubstr("&lt;svg")));
  EXPECT_THAT(page, Not(HasSubstr("&lt;td")));
  EXPECT_THAT(page, Not(HasSubstr("nan")));

  // Without an adoption date (none asked, none configured) the report has the figures alone;
  // a malformed one is refused.
  html_request.mutable_comparison()->clear_adoption_date();
  ov1::ExportOutcomesResponse figures_only;
  status = Export(kManager, html_request, &figures_only);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(figures_only.content_type(), "text/html");
  size_t figure_charts = 0;
  for (size_t at = figures_only.content().find("<svg"); at != std::string::npos;
       at = figures_only.content().find("<svg", at + 1)) {
    ++figure_charts;
  }
  EXPECT_EQ(figure_charts, 14u);
  EXPECT_THAT(figures_only.content(), Not(HasSubstr("2026-05-01")));
  html_request.mutable_comparison()->set_adoption_date("2026-02-30");
  EXPECT_TRUE(InvalidNaming(Export(kManager, html_request, &html), "adoption_date"));
  html_request.mutable_comparison()->set_adoption_date("2026-05-01");
  html_request.mutable_comparison()->set_months(61);
  EXPECT_TRUE(InvalidNaming(Export(kManager, html_request, &html), "months"));
  html_request.mutable_comparison()->set_months(3);
  // The comparison's team, when given, must be the indicators' team.
  html_request.mutable_comparison()->set_adoption_date("2026-05-01");
  html_request.mutable_comparison()->set_team("team-b");
  EXPECT_EQ(Export(kManager, html_request, &html).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // No format, or an unknown one.
  ov1::ExportOutcomesRequest unspecified = json_request;
  unspecified.set_format(ov1::EXPORT_FORMAT_UNSPECIFIED);
  ov1::ExportOutcomesResponse ignored;
  EXPECT_TRUE(InvalidNaming(Export(kManager, unspecified, &ignored), "format"));
  unspecified.set_format(static_cast<ov1::ExportFormat>(9));
  EXPECT_TRUE(InvalidNaming(Export(kManager, unspecified, &ignored), "format"));
  // Bad indicators requests are refused as GetIndicators refuses them.
  ov1::ExportOutcomesRequest bad_month = json_request;
  bad_month.mutable_indicators()->set_to_month("2026-13");
  EXPECT_TRUE(InvalidNaming(Export(kManager, bad_month, &ignored), "to_month"));
}

// ---- 6. The event handler ----

TEST_F(IndicatorsTest, CaseRecordsEventsOfUnknownCasesAndBadDatesAreRejected) {
  // A case never opened here.
  auto closed = Envelope("cases/never-opened", 1, "case_records", "fs.events.v1.CaseClosed");
  closed.mutable_case_closed()->set_closure_date("2026-05-01");
  closed.mutable_case_closed()->set_reason_for_closure("RC1");
  auto response = Deliver("case_records", {closed});
  ASSERT_EQ(response.results_size(), 1);
  EXPECT_EQ(response.results(0).event_id(), closed.event_id());
  EXPECT_EQ(response.results(0).outcome(), ev::DELIVERY_OUTCOME_REJECTED);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.cases"), 0);

  // A CaseOpened whose referral date is not a date.
  auto opened = CaseOpened("cases/bad-date", 1, "team-h", "2026-02-30");
  response = Deliver("case_records", {opened});
  ASSERT_EQ(response.results_size(), 1);
  EXPECT_EQ(response.results(0).outcome(), ev::DELIVERY_OUTCOME_REJECTED);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.cases"), 0);
  // The same event fixed may come again and is applied.
  auto fixed = CaseOpened("cases/bad-date", 1, "team-h", "2026-02-28");
  ExpectApplied(Deliver("case_records", {fixed}), 1);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.case_periods WHERE case_id = 'bad-date' "
                          "AND referral_date = '2026-02-28'"),
            1);

  // A CaseOpened without its team.
  auto no_team = CaseOpened("cases/no-team", 1, "", "2026-02-01");
  response = Deliver("case_records", {no_team});
  ASSERT_EQ(response.results_size(), 1);
  EXPECT_EQ(response.results(0).outcome(), ev::DELIVERY_OUTCOME_REJECTED);

  // A plan whose start date is not a date, on a known case.
  auto plan =
      Envelope("cases/bad-date", 2, "case_records", "fs.events.v1.ChildProtectionPlanStarted");
  plan.mutable_child_protection_plan_started()->set_plan(
      "cases/bad-date/people/p1/childProtectionPlans/x1");
  plan.mutable_child_protection_plan_started()->set_person("cases/bad-date/people/p1");
  plan.mutable_child_protection_plan_started()->set_start_date("2026-04-31");
  response = Deliver("case_records", {plan});
  ASSERT_EQ(response.results_size(), 1);
  EXPECT_EQ(response.results(0).outcome(), ev::DELIVERY_OUTCOME_REJECTED);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.cp_plans"), 0);
}

TEST_F(IndicatorsTest, RedeliveryIsADuplicateWithNoSecondEffect) {
  auto opened = CaseOpened("cases/h-dup", 1, "team-h", "2026-03-03");
  ExpectApplied(Deliver("case_records", {opened}), 1);
  auto again = Deliver("case_records", {opened});
  ASSERT_EQ(again.results_size(), 1);
  EXPECT_EQ(again.results(0).event_id(), opened.event_id());
  EXPECT_EQ(again.results(0).outcome(), ev::DELIVERY_OUTCOME_DUPLICATE);
  auto gcs = GcsHeld("cases/h-dup", 1, "sessions/d1", Noon(2026, 3, 10), true);
  ExpectApplied(Deliver("supervision", {gcs}), 1);
  auto gcs_again = Deliver("supervision", {gcs});
  ASSERT_EQ(gcs_again.results_size(), 1);
  EXPECT_EQ(gcs_again.results(0).outcome(), ev::DELIVERY_OUTCOME_DUPLICATE);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.cases"), 1);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.case_periods"), 1);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.gcs_held"), 1);
  auto report = Indicators(kAdministrator, "team-h", "2026-03", "2026-03",
                           {ov1::INDICATOR_GCS_HELD_ON_TIME, ov1::INDICATOR_OPEN_CASES});
  ASSERT_EQ(report.series_size(), 2);
  EXPECT_EQ(Find(report, ov1::INDICATOR_GCS_HELD_ON_TIME)->months(0).value(), 1);
  EXPECT_EQ(Find(report, ov1::INDICATOR_GCS_HELD_ON_TIME)->months(0).denominator(), 1);
  EXPECT_EQ(Find(report, ov1::INDICATOR_OPEN_CASES)->months(0).value(), 1);
}

TEST_F(IndicatorsTest, ModuleSessionsKeepTheLatestRevisionAndCorrectionsRemoveThem) {
  const std::string h = "cases/h-mod";
  auto completed = [&] {
    auto report = Indicators(kAdministrator, "team-h", "2026-10", "2026-10",
                             {ov1::INDICATOR_MODULES_COMPLETED});
    EXPECT_EQ(report.series_size(), 1);
    return report.series_size() == 1 ? report.series(0).months(0).value() : -1;
  };
  auto module_of = [&](const std::string& entry) {
    return OutcomesCount("SELECT module FROM outcomes.module_sessions WHERE entry = '" + h +
                         "/entries/" + entry + "'");
  };
  // The workbook's events may arrive before case_records' CaseOpened: kept by case id.
  ExpectApplied(Deliver("workbook", {ModuleSession(h, 1, "e1", 4, Noon(2026, 10, 5), 2),
                                     ModuleSession(h, 2, "e1", 3, Noon(2026, 10, 5), 1),
                                     ModuleSession(h, 3, "e2", 4, Noon(2026, 10, 12), 1),
                                     ModuleSession(h, 4, "e3", 4, Noon(2026, 10, 19), 1)}),
                4);
  ExpectApplied(Deliver("case_records", {CaseOpened(h, 1, "team-h", "2026-09-01")}), 1);
  // Revision 1 came after revision 2 and changes nothing: e1 is still module 4, whose third
  // session (19 October) completes it.
  EXPECT_EQ(module_of("e1"), 4);
  EXPECT_EQ(OutcomesCount("SELECT revision FROM outcomes.module_sessions WHERE entry = '" + h +
                          "/entries/e1'"),
            2);
  EXPECT_EQ(completed(), 1);
  // A stale correction (revision 1 of e1 made a note) does not remove revision 2.
  ExpectApplied(Deliver("workbook", {EntryFinalised(h, 5, "e1", 1, "NOTE")}), 1);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.module_sessions"), 3);
  // A correction that stays a module session removes nothing either.
  ExpectApplied(Deliver("workbook", {EntryFinalised(h, 6, "e2", 2, "MODULE_SESSION")}), 1);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.module_sessions"), 3);
  EXPECT_EQ(completed(), 1);
  // Revision 3 of e3 is a note: the session is gone, module 4 has two sessions left.
  ExpectApplied(Deliver("workbook", {EntryFinalised(h, 7, "e3", 3, "NOTE")}), 1);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.module_sessions WHERE entry = '" + h +
                          "/entries/e3' AND NOT removed"),
            0);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.module_sessions WHERE NOT removed"), 2);
  EXPECT_EQ(completed(), 0);
  // A stale revision 2 of e3 arriving again does not bring it back.
  ExpectApplied(Deliver("workbook", {ModuleSession(h, 8, "e3", 4, Noon(2026, 10, 19), 2)}), 1);
  EXPECT_EQ(completed(), 0);
  // A third session again (in November) completes module 4 then, not in October.
  ExpectApplied(Deliver("workbook", {ModuleSession(h, 9, "e4", 4, Noon(2026, 11, 2), 1)}), 1);
  EXPECT_EQ(completed(), 0);
  auto november = Indicators(kAdministrator, "team-h", "2026-11", "2026-11",
                             {ov1::INDICATOR_MODULES_COMPLETED});
  ASSERT_EQ(november.series_size(), 1);
  EXPECT_EQ(november.series(0).months(0).value(), 1);
}

TEST_F(IndicatorsTest, OnlyConfiguredProducersDeliver) {
  auto gcs = GcsHeld("cases/h-x", 1, "sessions/x1", Noon(2026, 3, 10), true);
  ev::DeliverRequest request;
  *request.add_events() = gcs;
  for (const char* producer : {"service/intruder", "service/outcomes"}) {
    ev::DeliverResponse response;
    auto status = sink_->Deliver(ContextForPrincipal(producer).get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << producer << ": " << Describe(status);
    EXPECT_EQ(response.results_size(), 0);
  }
  // Neither a partner nor a practitioner.
  ev::DeliverResponse response;
  EXPECT_EQ(sink_->Deliver(ContextForPrincipal(kPolice).get(), request, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(sink_->Deliver(ContextFor(kManager).get(), request, &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.gcs_held"), 0);
  // The same event from supervision is applied.
  ExpectApplied(Deliver("supervision", {gcs}), 1);
  EXPECT_EQ(OutcomesCount("SELECT count(*) FROM outcomes.gcs_held"), 1);
}

// Days are England's: a GCS at 23:30 UTC on 31 March is held on 1 April (BST), one at 23:30
// UTC on 31 January on 31 January (GMT); a session at 23:30 UTC on 30 June is in July; a
// police incident at 23:30 UTC on 31 July is in August.
TEST_F(IndicatorsTest, DaysAreEnglandsDays) {
  auto late = [](int y, int m, int d) {
    return absl::FromCivil(absl::CivilSecond(y, m, d, 23, 30, 0), absl::UTCTimeZone());
  };
  cv1::Case a = OpenCase("2026-01-05");
  Add(a, Child("Amy", "Adams", kNhs1, "2019-03-07"));
  Sync();
  ReportAt(Incident("HERTS-TZ", "Amy", "Adams", "2019-03-07", kNhs1), late(2026, 7, 31));
  ExpectApplied(
      Deliver("supervision", {GcsHeld(a.name(), 1, "sessions/t1", late(2026, 1, 31), true),
                              GcsHeld(a.name(), 2, "sessions/t2", late(2026, 3, 31), true)}),
      2);
  ExpectApplied(Deliver("workbook", {ModuleSession(a.name(), 1, "t1", 1, Noon(2026, 6, 10), 1),
                                     ModuleSession(a.name(), 2, "t2", 1, Noon(2026, 6, 20), 1),
                                     ModuleSession(a.name(), 3, "t3", 1, late(2026, 6, 30), 1)}),
                3);
  auto report = Indicators(kManager, "team-a", "2026-01", "2026-08",
                           {ov1::INDICATOR_GCS_HELD_ON_TIME, ov1::INDICATOR_MODULES_COMPLETED,
                            ov1::INDICATOR_DA_INCIDENTS_ON_OPEN_CASES});
  ASSERT_EQ(report.series_size(), 3);
  const auto* gcs = Find(report, ov1::INDICATOR_GCS_HELD_ON_TIME);
  const auto* modules = Find(report, ov1::INDICATOR_MODULES_COMPLETED);
  const auto* incidents = Find(report, ov1::INDICATOR_DA_INCIDENTS_ON_OPEN_CASES);
  ASSERT_TRUE(gcs && modules && incidents);
  const std::vector<int64_t> gcs_held = {1, 0, 0, 1, 0, 0, 0, 0};
  const std::vector<double> completed = {0, 0, 0, 0, 0, 0, 1, 0};
  const std::vector<double> call_outs = {0, 0, 0, 0, 0, 0, 0, 1};
  for (int i = 0; i < 8; ++i) {
    SCOPED_TRACE(kYear[i]);
    EXPECT_EQ(gcs->months(i).denominator(), gcs_held[i]);
    EXPECT_EQ(gcs->months(i).value(), static_cast<double>(gcs_held[i]));
    EXPECT_EQ(modules->months(i).value(), completed[i]);
    EXPECT_EQ(incidents->months(i).value(), call_outs[i]);
  }
}

// A child still in care: days are counted up to yesterday, not to the month's end.
TEST_F(IndicatorsTest, AnOpenEpisodeCountsDaysUpToYesterday) {
  cv1::Case c = OpenCase("2026-10-01");
  cv1::Person child = Add(c, Child("Amy", "Adams", kNhs1, "2019-03-07"));
  const absl::CivilDay start(2026, 10, 20);
  ASSERT_TRUE(StartEpisode(kLead, child.name(), "2026-10-20", "C2").ok());
  Sync();
  const absl::CivilMonth from(2026, 10);
  auto report = Indicators(
      kManager, "team-a", MonthText(from), MonthText(ThisMonth()),
      {ov1::INDICATOR_LOOKED_AFTER_WEEKS, ov1::INDICATOR_CHILDREN_BECOMING_LOOKED_AFTER});
  const auto* weeks = Find(report, ov1::INDICATOR_LOOKED_AFTER_WEEKS);
  const auto* becoming = Find(report, ov1::INDICATOR_CHILDREN_BECOMING_LOOKED_AFTER);
  ASSERT_TRUE(weeks && becoming);
  const int n = static_cast<int>(ThisMonth() - from) + 1;
  ASSERT_EQ(weeks->months_size(), n);
  for (int i = 0; i < n; ++i) {
    absl::CivilMonth m = from + i;
    SCOPED_TRACE(MonthText(m));
    absl::CivilDay first = std::max(absl::CivilDay(m), start);
    absl::CivilDay last = std::min(LastDay(m), Today() - 1);
    double days = last >= first ? static_cast<double>(last - first + 1) : 0;
    EXPECT_NEAR(weeks->months(i).value(), days / 7, 1e-9);
    EXPECT_EQ(weeks->months(i).complete(), Complete(m, 0));
    EXPECT_EQ(becoming->months(i).value(), i == 0 ? 1 : 0);
  }
  // October: the 20th to the 31st.
  EXPECT_NEAR(weeks->months(0).value(), 12.0 / 7, 1e-9);
}

// Cohorts: "a child becoming looked after" as the indicator defines it. B's second period
// starts while its child is in care; the record that follows (starting the day the first ends)
// continues the same care, so the child did not become looked after in that period's 12 months.
TEST_F(IndicatorsTest, CohortsCountOnlyChildrenBecomingLookedAfter) {
  cv1::Case b = OpenCase("2025-06-02");
  cv1::Person child = Add(b, Child("Cara", "Brown", kNhs4, "2018-01-01"));
  Care(child, "2025-08-01", "2025-09-10");
  cv1::Case closed = CloseOn(b, "2025-08-29");
  auto reopened = Reopen(kManager, closed, kLead.practitioner, nullptr, "2025-09-01");
  ASSERT_TRUE(reopened.ok()) << Describe(reopened);
  Care(child, "2025-09-10", "2025-09-30");
  Sync();
  ov1::Comparison c = Comparison(kManager, "team-a", "2026-01-01", 12);
  std::map<std::string, ov1::CohortRow> by_month;
  for (const auto& row : c.cohorts_by_start_month()) by_month[row.cohort()] = row;
  ASSERT_EQ(by_month.size(), 2u);
  // June 2025: the child became looked after on 1 August.
  EXPECT_EQ(by_month["2025-06"].cases_followed_12_months(), 1);
  EXPECT_NEAR(by_month["2025-06"].looked_after_within_12_months().value(), 1, 1e-9);
  // September 2025: already in care when the period started.
  EXPECT_EQ(by_month["2025-09"].cases_followed_12_months(), 1);
  EXPECT_NEAR(by_month["2025-09"].looked_after_within_12_months().value(), 0, 1e-9)
      << "a record continuing care that began before the period counted as becoming looked "
         "after";
  // The indicator agrees: one child became looked after, in August 2025.
  auto report = Indicators(kManager, "team-a", "2025-08", "2025-09",
                           {ov1::INDICATOR_CHILDREN_BECOMING_LOOKED_AFTER});
  ASSERT_EQ(report.series_size(), 1);
  EXPECT_EQ(report.series(0).months(0).value(), 1);
  EXPECT_EQ(report.series(0).months(1).value(), 0);
}

// ---- Configured unit costs and adoption date ----

class CostsTest : public IndicatorsTest {
 public:
  // Before the servers of this suite read their flags; put back after.
  static void SetUpTestSuite() {
    absl::SetFlag(&FLAGS_adoption_date, std::string("2026-05-01"));
    absl::SetFlag(&FLAGS_cost_care_week_gbp, 70.0);
    absl::SetFlag(&FLAGS_cost_police_call_out_gbp, 0.0);
    absl::SetFlag(&FLAGS_cost_emergency_admission_gbp, 200.0);
  }
  static void TearDownTestSuite() {
    absl::SetFlag(&FLAGS_adoption_date, std::string());
    absl::SetFlag(&FLAGS_cost_care_week_gbp, 0.0);
    absl::SetFlag(&FLAGS_cost_police_call_out_gbp, 0.0);
    absl::SetFlag(&FLAGS_cost_emergency_admission_gbp, 0.0);
  }
};

TEST_F(CostsTest, CostAvoidedFromTheConfiguredUnitCostsAndAdoptionDate) {
  ASSERT_NO_FATAL_FAILURE(BuildDataset());
  ov1::CompareOutcomesRequest request;
  request.set_team("team-a");
  request.set_months(3);
  ov1::Comparison c;
  auto status = Compare(kManager, request, &c);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(c.adoption_date(), "2026-05-01");
  // Looked-after weeks: 38/7 over February-April, 106/7 over May-July; admissions 2 and 0;
  // police call-outs have no unit cost, so no line.
  ASSERT_EQ(c.costs_size(), 2);
  std::map<std::string, ov1::CostLine> lines;
  for (const auto& line : c.costs()) lines[line.item()] = line;
  ASSERT_EQ(lines.count("LOOKED_AFTER_WEEK"), 1u);
  ASSERT_EQ(lines.count("EMERGENCY_ADMISSION"), 1u);
  const auto& care = lines["LOOKED_AFTER_WEEK"];
  EXPECT_EQ(care.payer(), "CHILDRENS_SERVICES");
  EXPECT_EQ(care.unit_cost_gbp(), 70);
  EXPECT_NEAR(care.before_per_month(), 38.0 / 21, 1e-9);
  EXPECT_NEAR(care.after_per_month(), 106.0 / 21, 1e-9);
  EXPECT_NEAR(care.units_avoided(), -68.0 / 7, 1e-9);
  EXPECT_NEAR(care.cost_avoided_gbp(), -680, 1e-6);
  const auto& admissions = lines["EMERGENCY_ADMISSION"];
  EXPECT_EQ(admissions.payer(), "NHS");
  EXPECT_EQ(admissions.unit_cost_gbp(), 200);
  EXPECT_NEAR(admissions.before_per_month(), 2.0 / 3, 1e-9);
  EXPECT_NEAR(admissions.after_per_month(), 0, 1e-9);
  EXPECT_NEAR(admissions.units_avoided(), 2, 1e-9);
  EXPECT_NEAR(admissions.cost_avoided_gbp(), 400, 1e-6);
  EXPECT_NEAR(c.total_cost_avoided_gbp(), -280, 1e-6);

  // The HTML report takes the configured adoption date too, and escapes the payer once.
  ov1::ExportOutcomesRequest html_request;
  html_request.set_format(ov1::EXPORT_FORMAT_HTML);
  html_request.mutable_indicators()->set_team("team-a");
  html_request.mutable_comparison()->set_months(3);
  ov1::ExportOutcomesResponse html;
  status = Export(kManager, html_request, &html);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_THAT(html.content(), HasSubstr("2026-05-01"));
  EXPECT_THAT(html.content(), HasSubstr("Children&#39;s services"));
  EXPECT_THAT(html.content(), Not(HasSubstr("&amp;#39;")));
  EXPECT_THAT(html.content(), Not(HasSubstr("Police call-out")));
}

}  // namespace
}  // namespace fs::outcomes
