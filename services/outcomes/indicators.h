#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "fs/outcomes/v1/outcomes.pb.h"

// The outcome indicators and comparisons, computed from facts (the projection of the services'
// events and the partners' reports). Pure C++: the store loads a Dataset, these functions count.
namespace fs::outcomes {

namespace v1 = ::fs::outcomes::v1;

// One referral-to-closure period of a case (a reopened case has several).
struct CasePeriod {
  absl::CivilDay start;               // referral date
  std::optional<absl::CivilDay> end;  // closure date
};

struct CaseFacts {
  std::string id;
  // The team from each day on, oldest first; the first entry is the opening team.
  std::vector<std::pair<absl::CivilDay, std::string>> teams;
  std::vector<CasePeriod> periods;  // oldest first
  // The trio of vulnerabilities, from the assessment factors of the case's people.
  bool domestic_abuse = false;
  bool substance_misuse = false;
  bool mental_health = false;
};

struct PersonFacts {
  std::string id;
  std::string case_id;
  bool child = false;
  std::optional<absl::CivilDay> birth;
};

// A child protection plan or a looked-after episode.
struct Spell {
  std::string case_id;
  std::string person;
  absl::CivilDay start;
  std::optional<absl::CivilDay> end;
};

// Something that happened to a case on a day: a police DA incident, an adult's emergency
// admission, a GCS held (flag: on time), a module session (module 1-8).
struct Happening {
  // The incident, admission, session or entry: an incident naming two cases is one call-out.
  std::string id;
  std::string case_id;
  absl::CivilDay day;
  bool flag = false;
  int module = 0;
};

struct Dataset {
  std::vector<CaseFacts> cases;
  std::vector<PersonFacts> people;
  std::vector<Spell> cp_plans;
  std::vector<Spell> looked_after;
  std::vector<Happening> da_incidents;
  std::vector<Happening> adult_admissions;
  std::vector<Happening> gcs_held;
  std::vector<Happening> module_sessions;
};

struct IndicatorOptions {
  // Months not yet over (or whose follow-up window has not passed) are marked incomplete.
  absl::CivilDay today;
  // A module counts as completed for a case at its Nth recorded session.
  int module_sessions_to_complete = 3;
};

// Whether a looked-after episode continues care rather than starting it: another episode of the
// same child (in `same_child`) runs on the day before it starts (one starting the day another
// ends, or while another runs, is the same period of care).
bool ContinuesCare(const Spell& episode, const std::vector<const Spell*>& same_child);

// The case's team on `day` (the opening team before the first change).
const std::string& TeamOn(const CaseFacts& c, absl::CivilDay day);

// Monthly series for `team` ("" for the council) from `from` to `to` inclusive, one series per
// indicator asked, in the order asked (every indicator in enum order when `which` is empty). Each
// event counts for the team the case belonged to on its day.
std::vector<v1::Series> ComputeIndicators(const Dataset& data, const std::string& team,
                                          absl::CivilMonth from, absl::CivilMonth to,
                                          const std::vector<v1::Indicator>& which,
                                          const IndicatorOptions& options);

// Counts of events, rates (numerator over a denominator), and stocks (counted at month end, or
// weeks in care): they compare differently (comparisons.cc).
enum class IndicatorKind { kCount, kRate, kStock };
IndicatorKind KindOf(v1::Indicator indicator);

// Every indicator in enum order.
std::vector<v1::Indicator> AllIndicators();

// The same day `n` months later, clamped to the month's end (31 Jan + 1 = 28/29 Feb).
absl::CivilDay AddMonths(absl::CivilDay day, int n);

// "2026-04" <-> CivilMonth.
std::string FormatMonth(absl::CivilMonth month);
std::optional<absl::CivilMonth> ParseMonth(const std::string& text);

struct CostOptions {
  double care_week_gbp = 0;
  double police_call_out_gbp = 0;
  double emergency_admission_gbp = 0;
};

// Before/after `adoption` (months before its month vs from it on, `months` each side, complete
// months only), cohorts by start month and by vulnerability over the cases of `team`, and cost
// avoided from unit costs (lines with a zero unit cost are left out).
v1::Comparison Compare(const Dataset& data, const std::string& team, absl::CivilDay adoption,
                       int months, const CostOptions& costs, const IndicatorOptions& options);

// 95% Wilson score interval of k successes in n.
v1::Estimate WilsonProportion(long long k, long long n);

}  // namespace fs::outcomes
