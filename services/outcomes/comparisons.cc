// Comparisons evaluators make: before and after adoption, cohorts by start month and by
// vulnerability, and cost avoided. Counts compare as Poisson rates per month (rate ratio with a
// log-normal 95% interval), proportions as risk ratios (log-normal interval), stocks by their
// monthly means without an interval (month-end counts of the same children are not independent).
#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/dates.h"
#include "services/outcomes/indicators.h"

namespace fs::outcomes {
namespace {

constexpr double kZ = 1.959963984540054;

// Sums the complete months of `series` between `from` and `to` (inclusive).
v1::PeriodSummary Summarise(const v1::Series& series, absl::CivilMonth from, absl::CivilMonth to) {
  v1::PeriodSummary summary;
  std::string first, last;
  double total = 0;
  long long numerator = 0, denominator = 0;
  int months = 0;
  for (const auto& m : series.months()) {
    auto month = ParseMonth(m.month());
    if (!month || *month < from || *month > to || !m.complete()) continue;
    if (first.empty()) first = m.month();
    last = m.month();
    ++months;
    total += m.value();
    numerator += std::llround(m.value());
    denominator += m.denominator();
  }
  summary.set_from_month(first);
  summary.set_to_month(last);
  summary.set_months(months);
  summary.set_total(total);
  summary.set_per_month(months > 0 ? total / months : 0);
  if (KindOf(series.indicator()) == IndicatorKind::kRate) {
    summary.set_numerator(numerator);
    summary.set_denominator(denominator);
    *summary.mutable_rate() = WilsonProportion(numerator, denominator);
  }
  return summary;
}

v1::BeforeAfter BeforeAndAfter(const v1::Series& series, absl::CivilMonth adoption, int months) {
  v1::BeforeAfter result;
  result.set_indicator(series.indicator());
  *result.mutable_before() = Summarise(series, adoption - months, adoption - 1);
  *result.mutable_after() = Summarise(series, adoption, adoption + (months - 1));
  const auto& b = result.before();
  const auto& a = result.after();
  auto* ratio = result.mutable_ratio();
  if (b.months() == 0 || a.months() == 0) {
    result.set_note(b.months() == 0 ? "no complete month before adoption"
                                    : "no complete month after adoption yet");
    return result;
  }
  bool has_ratio = false;
  switch (KindOf(series.indicator())) {
    case IndicatorKind::kStock:
      if (b.per_month() > 0) {
        ratio->set_value(a.per_month() / b.per_month());
        has_ratio = true;
      }
      result.set_note("a month-end stock: compared by monthly means, no interval");
      break;
    case IndicatorKind::kCount: {
      if (b.total() == 0) {
        result.set_note("none before adoption: no ratio");
        break;
      }
      double rb = b.total() / b.months(), ra = a.total() / a.months();
      ratio->set_value(ra / rb);
      has_ratio = true;
      if (a.total() > 0) {
        double se = std::sqrt(1.0 / b.total() + 1.0 / a.total());
        ratio->set_has_interval(true);
        ratio->set_lower(std::exp(std::log(ra / rb) - kZ * se));
        ratio->set_upper(std::exp(std::log(ra / rb) + kZ * se));
      }
      if (b.total() < 5 || a.total() < 5) result.set_note("fewer than 5 on one side: fragile");
      break;
    }
    case IndicatorKind::kRate: {
      if (b.denominator() == 0 || a.denominator() == 0 || b.numerator() == 0) {
        result.set_note("too few cases before adoption for a ratio");
        break;
      }
      double pb = static_cast<double>(b.numerator()) / static_cast<double>(b.denominator());
      double pa = static_cast<double>(a.numerator()) / static_cast<double>(a.denominator());
      ratio->set_value(pa / pb);
      has_ratio = true;
      if (a.numerator() > 0) {
        double se = std::sqrt(1.0 / a.numerator() - 1.0 / a.denominator() + 1.0 / b.numerator() -
                              1.0 / b.denominator());
        ratio->set_has_interval(true);
        ratio->set_lower(std::exp(std::log(pa / pb) - kZ * se));
        ratio->set_upper(std::exp(std::log(pa / pb) + kZ * se));
      }
      if (b.numerator() < 5 || a.numerator() < 5) {
        result.set_note("fewer than 5 on one side: fragile");
      }
      break;
    }
  }
  // A fall to nothing is -100%, not "no change".
  if (has_ratio) result.set_change_percent((ratio->value() - 1) * 100);
  return result;
}

std::string VulnerabilityLabel(const CaseFacts& c) {
  std::vector<std::string> parts;
  if (c.domestic_abuse) parts.push_back("DA");
  if (c.substance_misuse) parts.push_back("SUBSTANCE");
  if (c.mental_health) parts.push_back("MENTAL_HEALTH");
  return parts.empty() ? "NONE" : absl::StrJoin(parts, "+");
}

// Rank of a vulnerability label: singles, pairs, all three, none.
int LabelRank(const std::string& label) {
  static const std::vector<std::string> kOrder = {"DA",
                                                  "SUBSTANCE",
                                                  "MENTAL_HEALTH",
                                                  "DA+SUBSTANCE",
                                                  "DA+MENTAL_HEALTH",
                                                  "SUBSTANCE+MENTAL_HEALTH",
                                                  "DA+SUBSTANCE+MENTAL_HEALTH",
                                                  "NONE"};
  for (size_t i = 0; i < kOrder.size(); ++i) {
    if (kOrder[i] == label) return static_cast<int>(i);
  }
  return static_cast<int>(kOrder.size());
}

struct Tally {
  int cases = 0;
  int followed = 0;
  int cp = 0, la = 0, da = 0, admission = 0;
};

v1::CohortRow ToRow(const std::string& cohort, const Tally& t) {
  v1::CohortRow row;
  row.set_cohort(cohort);
  row.set_cases(t.cases);
  row.set_cases_followed_12_months(t.followed);
  *row.mutable_cp_plan_within_12_months() = WilsonProportion(t.cp, t.followed);
  *row.mutable_looked_after_within_12_months() = WilsonProportion(t.la, t.followed);
  *row.mutable_repeat_da_within_12_months() = WilsonProportion(t.da, t.followed);
  *row.mutable_adult_admission_within_12_months() = WilsonProportion(t.admission, t.followed);
  return row;
}

}  // namespace

v1::Comparison Compare(const Dataset& data, const std::string& team, absl::CivilDay adoption,
                       int months, const CostOptions& costs, const IndicatorOptions& options) {
  v1::Comparison comparison;
  comparison.set_team(team);
  comparison.set_adoption_date(FormatDate(adoption));
  absl::CivilMonth adopted(adoption);
  absl::CivilMonth from = adopted - months, to = adopted + (months - 1);

  std::vector<v1::Series> series =
      ComputeIndicators(data, team, from, to, AllIndicators(), options);
  std::map<v1::Indicator, const v1::BeforeAfter*> by_indicator;
  for (const auto& s : series) {
    *comparison.add_before_after() = BeforeAndAfter(s, adopted, months);
  }
  for (const auto& ba : comparison.before_after()) by_indicator[ba.indicator()] = &ba;

  // Cohorts: each case period starting in the window, followed for 12 months.
  std::unordered_map<std::string, std::vector<const Spell*>> plans, episodes;
  std::unordered_map<std::string, std::vector<const Happening*>> incidents, admissions;
  for (const auto& s : data.cp_plans) plans[s.case_id].push_back(&s);
  for (const auto& s : data.looked_after) episodes[s.case_id].push_back(&s);
  for (const auto& h : data.da_incidents) incidents[h.case_id].push_back(&h);
  for (const auto& h : data.adult_admissions) admissions[h.case_id].push_back(&h);
  auto any_spell = [](const std::vector<const Spell*>* spells, absl::CivilDay a, absl::CivilDay b) {
    if (spells == nullptr) return false;
    for (const Spell* s : *spells) {
      if (s->start >= a && s->start <= b) return true;
    }
    return false;
  };
  // A child becoming looked after (not a continuation of care), as the indicator counts.
  std::unordered_map<std::string, std::vector<const Spell*>> by_person;
  for (const auto& s : data.looked_after) by_person[s.person].push_back(&s);
  auto becoming_looked_after = [&](const std::vector<const Spell*>* spells, absl::CivilDay a,
                                   absl::CivilDay b) {
    if (spells == nullptr) return false;
    for (const Spell* s : *spells) {
      if (s->start >= a && s->start <= b && !ContinuesCare(*s, by_person[s->person])) return true;
    }
    return false;
  };
  auto any_happening = [](const std::vector<const Happening*>* list, absl::CivilDay a,
                          absl::CivilDay b, bool after_start) {
    if (list == nullptr) return false;
    for (const Happening* h : *list) {
      if ((after_start ? h->day > a : h->day >= a) && h->day <= b) return true;
    }
    return false;
  };
  auto find = [](auto& map, const std::string& key) {
    auto it = map.find(key);
    return it == map.end() ? nullptr : &it->second;
  };
  std::map<absl::CivilMonth, Tally> by_month;
  std::map<std::string, Tally> by_label;
  for (const auto& c : data.cases) {
    for (const auto& p : c.periods) {
      absl::CivilMonth month(p.start);
      if (month < from || month > to) continue;
      if (!team.empty() && TeamOn(c, p.start) != team) continue;
      Tally* tallies[] = {&by_month[month], &by_label[VulnerabilityLabel(c)]};
      absl::CivilDay until = AddMonths(p.start, 12);
      bool followed = until < options.today;
      bool cp = any_spell(find(plans, c.id), p.start, until);
      bool la = becoming_looked_after(find(episodes, c.id), p.start, until);
      bool da = any_happening(find(incidents, c.id), p.start, until, true);
      bool admitted = any_happening(find(admissions, c.id), p.start, until, false);
      for (Tally* t : tallies) {
        ++t->cases;
        if (!followed) continue;
        ++t->followed;
        t->cp += cp;
        t->la += la;
        t->da += da;
        t->admission += admitted;
      }
    }
  }
  for (const auto& [month, tally] : by_month) {
    *comparison.add_cohorts_by_start_month() = ToRow(FormatMonth(month), tally);
  }
  std::vector<std::pair<std::string, Tally>> labels(by_label.begin(), by_label.end());
  std::sort(labels.begin(), labels.end(),
            [](const auto& a, const auto& b) { return LabelRank(a.first) < LabelRank(b.first); });
  for (const auto& [label, tally] : labels)
    *comparison.add_by_vulnerability() = ToRow(label, tally);

  // Cost avoided: units per month before minus after, over the months after.
  struct Line {
    const char* item;
    const char* payer;
    double unit;
    v1::Indicator indicator;
  };
  const Line lines[] = {
      {"LOOKED_AFTER_WEEK", "CHILDRENS_SERVICES", costs.care_week_gbp,
       v1::INDICATOR_LOOKED_AFTER_WEEKS},
      {"POLICE_CALL_OUT", "POLICE", costs.police_call_out_gbp,
       v1::INDICATOR_DA_INCIDENTS_ON_OPEN_CASES},
      {"EMERGENCY_ADMISSION", "NHS", costs.emergency_admission_gbp,
       v1::INDICATOR_ADULT_EMERGENCY_ADMISSIONS},
  };
  double total = 0;
  for (const Line& line : lines) {
    if (line.unit <= 0) continue;
    const v1::BeforeAfter& ba = *by_indicator.at(line.indicator);
    auto* cost = comparison.add_costs();
    cost->set_item(line.item);
    cost->set_payer(line.payer);
    cost->set_unit_cost_gbp(line.unit);
    cost->set_before_per_month(ba.before().per_month());
    cost->set_after_per_month(ba.after().per_month());
    if (ba.before().months() > 0 && ba.after().months() > 0) {
      double avoided = (ba.before().per_month() - ba.after().per_month()) * ba.after().months();
      cost->set_units_avoided(avoided);
      cost->set_cost_avoided_gbp(avoided * line.unit);
      total += avoided * line.unit;
    }
  }
  comparison.set_total_cost_avoided_gbp(total);
  return comparison;
}

}  // namespace fs::outcomes
