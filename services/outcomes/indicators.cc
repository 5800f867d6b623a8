#include "services/outcomes/indicators.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

// Definitions (docs/outcomes-decisions.md says them in words). For a month with first day F and
// last day L:
// - on a plan / looked after on day d: start <= d and (no end or d < end);
// - a case is open on day d when a period has start <= d and (no end or d < end);
// - stocks (children on CP plans, open cases) are counted on L; events in the month they happen;
//   follow-up measures (repeat DA) in the month the case started, complete once the window
//   after L has passed.
namespace fs::outcomes {
namespace {

using Index = std::unordered_map<std::string, const CaseFacts*>;

bool Covers(absl::CivilDay start, const std::optional<absl::CivilDay>& end, absl::CivilDay day) {
  return start <= day && (!end || day < *end);
}

bool OpenOn(const CaseFacts& c, absl::CivilDay day) {
  for (const auto& p : c.periods) {
    if (Covers(p.start, p.end, day)) return true;
  }
  return false;
}

// Open on `day`, counting the closure day itself (an admission on the day a case closes was
// of a person on an open case).
bool OpenIncluding(const CaseFacts& c, absl::CivilDay day) {
  for (const auto& p : c.periods) {
    if (p.start <= day && (!p.end || day <= *p.end)) return true;
  }
  return false;
}

// Monthly buckets of one series.
class Buckets {
 public:
  Buckets(absl::CivilMonth from, absl::CivilMonth to)
      : from_(from),
        size_(to >= from ? static_cast<int>(to - from) + 1 : 0),
        value_(size_, 0.0),
        denominator_(size_, 0) {}
  int Slot(absl::CivilDay day) const {
    long long slot = absl::CivilMonth(day) - from_;
    return slot >= 0 && slot < size_ ? static_cast<int>(slot) : -1;
  }
  void Add(absl::CivilDay day, double value, long long denominator = 0) {
    if (int s = Slot(day); s >= 0) {
      value_[s] += value;
      denominator_[s] += denominator;
    }
  }
  int size() const { return size_; }
  absl::CivilMonth month(int slot) const { return from_ + slot; }
  absl::CivilDay last_day(int slot) const { return absl::CivilDay(month(slot) + 1) - 1; }

  v1::Series ToSeries(v1::Indicator indicator, const std::string& team, bool rate,
                      int follow_months, absl::CivilDay today) const {
    v1::Series series;
    series.set_indicator(indicator);
    series.set_team(team);
    for (int s = 0; s < size_; ++s) {
      auto* m = series.add_months();
      m->set_month(FormatMonth(month(s)));
      m->set_value(value_[s]);
      if (rate) {
        m->set_denominator(denominator_[s]);
        m->set_rate(denominator_[s] > 0 ? value_[s] / static_cast<double>(denominator_[s]) : 0);
      }
      m->set_complete(AddMonths(last_day(s), follow_months) < today);
    }
    return series;
  }

 private:
  absl::CivilMonth from_;
  int size_;
  std::vector<double> value_;
  std::vector<long long> denominator_;
};

class Calculator {
 public:
  Calculator(const Dataset& data, const std::string& team, const IndicatorOptions& options)
      : data_(data), team_(team), options_(options) {
    for (const auto& c : data.cases) cases_[c.id] = &c;
    for (const auto& s : data.cp_plans) plans_by_person_[s.person].push_back(&s);
    for (const auto& s : data.looked_after) episodes_by_person_[s.person].push_back(&s);
    for (const auto& p : data.people) {
      if (p.child) children_by_case_[p.case_id].push_back(&p);
    }
    for (const auto& h : data.da_incidents) incidents_by_case_[h.case_id].push_back(&h);
  }

  // The case if it is known and belonged to the team on `day`.
  const CaseFacts* Counted(const std::string& case_id, absl::CivilDay day) const {
    auto it = cases_.find(case_id);
    if (it == cases_.end()) return nullptr;
    if (!team_.empty() && TeamOn(*it->second, day) != team_) return nullptr;
    return it->second;
  }

  void Fill(v1::Indicator indicator, Buckets& b) const {
    switch (indicator) {
      case v1::INDICATOR_CHILDREN_ON_CP_PLANS:
        return Stock(b, data_.cp_plans);
      case v1::INDICATOR_CP_PLAN_STARTS:
        for (const auto& s : data_.cp_plans) {
          if (Counted(s.case_id, s.start)) b.Add(s.start, 1);
        }
        return;
      case v1::INDICATOR_REPEAT_CP_PLANS_WITHIN_2_YEARS:
        for (const auto& s : data_.cp_plans) {
          if (!Counted(s.case_id, s.start) || b.Slot(s.start) < 0) continue;
          bool repeat = false;
          for (const Spell* earlier : plans_by_person_.at(s.person)) {
            if (earlier != &s && earlier->end && *earlier->end <= s.start &&
                s.start - *earlier->end <= 730) {
              repeat = true;
            }
          }
          b.Add(s.start, repeat ? 1 : 0, 1);
        }
        return;
      case v1::INDICATOR_CHILDREN_BECOMING_LOOKED_AFTER:
        return BecomingLookedAfter(b);
      case v1::INDICATOR_CHILDREN_KEPT_SAFELY_AT_HOME_AT_CLOSURE:
        return KeptAtHome(b);
      case v1::INDICATOR_REPEAT_DA_WITHIN_6_MONTHS:
        return RepeatDa(b, 6);
      case v1::INDICATOR_REPEAT_DA_WITHIN_12_MONTHS:
        return RepeatDa(b, 12);
      case v1::INDICATOR_ADULT_EMERGENCY_ADMISSIONS: {
        // One admission however many cases of the team the adult is on.
        std::set<std::string> seen;
        for (const auto& h : data_.adult_admissions) {
          const CaseFacts* c = Counted(h.case_id, h.day);
          if (c && OpenIncluding(*c, h.day) && seen.insert(h.id).second) b.Add(h.day, 1);
        }
        return;
      }
      case v1::INDICATOR_RE_REFERRALS_WITHIN_12_MONTHS:
        for (const auto& c : data_.cases) {
          for (size_t i = 0; i < c.periods.size(); ++i) {
            absl::CivilDay start = c.periods[i].start;
            if (!Counted(c.id, start)) continue;
            bool within =
                i > 0 && c.periods[i - 1].end && start <= AddMonths(*c.periods[i - 1].end, 12);
            b.Add(start, within ? 1 : 0, 1);
          }
        }
        return;
      case v1::INDICATOR_GCS_HELD_ON_TIME:
        for (const auto& h : data_.gcs_held) {
          if (Counted(h.case_id, h.day)) b.Add(h.day, h.flag ? 1 : 0, 1);
        }
        return;
      case v1::INDICATOR_MODULES_COMPLETED:
        return ModulesCompleted(b);
      case v1::INDICATOR_DA_INCIDENTS_ON_OPEN_CASES: {
        // One call-out however many cases of the team it names.
        std::set<std::string> seen;
        for (const auto& h : data_.da_incidents) {
          const CaseFacts* c = Counted(h.case_id, h.day);
          if (c && OpenIncluding(*c, h.day) && seen.insert(h.id).second) b.Add(h.day, 1);
        }
        return;
      }
      case v1::INDICATOR_LOOKED_AFTER_WEEKS:
        return LookedAfterWeeks(b);
      case v1::INDICATOR_OPEN_CASES:
        for (int s = 0; s < b.size(); ++s) {
          absl::CivilDay last = b.last_day(s);
          for (const auto& c : data_.cases) {
            if (OpenOn(c, last) && Counted(c.id, last)) b.Add(last, 1);
          }
        }
        return;
      default:
        return;
    }
  }

 private:
  // Distinct people on a spell at each month's end.
  void Stock(Buckets& b, const std::vector<Spell>& spells) const {
    for (int s = 0; s < b.size(); ++s) {
      absl::CivilDay last = b.last_day(s);
      std::unordered_set<std::string> people;
      for (const auto& spell : spells) {
        if (Covers(spell.start, spell.end, last) && Counted(spell.case_id, last)) {
          people.insert(spell.person);
        }
      }
      b.Add(last, static_cast<double>(people.size()));
    }
  }

  void BecomingLookedAfter(Buckets& b) const {
    std::set<std::pair<int, std::string>> counted;  // (slot, person): once a month
    for (const auto& e : data_.looked_after) {
      int slot = b.Slot(e.start);
      if (slot < 0 || !Counted(e.case_id, e.start)) continue;
      if (ContinuesCare(e, episodes_by_person_.at(e.person))) continue;
      if (counted.insert({slot, e.person}).second) b.Add(e.start, 1);
    }
  }

  void KeptAtHome(Buckets& b) const {
    for (const auto& c : data_.cases) {
      for (const auto& p : c.periods) {
        if (!p.end || b.Slot(*p.end) < 0 || !Counted(c.id, *p.end)) continue;
        auto it = children_by_case_.find(c.id);
        if (it == children_by_case_.end()) continue;
        for (const PersonFacts* child : it->second) {
          if (!child->birth || *child->birth > *p.end) continue;  // unborn at closure
          // Looked after on the closure day: an episode still running then.
          bool in_care = false;
          auto episodes = episodes_by_person_.find(child->id);
          if (episodes != episodes_by_person_.end()) {
            for (const Spell* e : episodes->second) {
              if (e->start <= *p.end && (!e->end || *e->end > *p.end)) in_care = true;
            }
          }
          b.Add(*p.end, in_care ? 0 : 1, 1);
        }
      }
    }
  }

  void RepeatDa(Buckets& b, int months) const {
    for (const auto& c : data_.cases) {
      auto incidents = incidents_by_case_.find(c.id);
      for (const auto& p : c.periods) {
        if (b.Slot(p.start) < 0 || !Counted(c.id, p.start)) continue;
        absl::CivilDay until = AddMonths(p.start, months);
        bool repeat = false;
        if (incidents != incidents_by_case_.end()) {
          for (const Happening* h : incidents->second) {
            if (h->day > p.start && h->day <= until) repeat = true;
          }
        }
        b.Add(p.start, repeat ? 1 : 0, 1);
      }
    }
  }

  void ModulesCompleted(Buckets& b) const {
    std::map<std::pair<std::string, int>, std::vector<absl::CivilDay>> sessions;
    for (const auto& h : data_.module_sessions) {
      if (h.module >= 1) sessions[{h.case_id, h.module}].push_back(h.day);
    }
    size_t n = static_cast<size_t>(std::max(1, options_.module_sessions_to_complete));
    for (auto& [key, days] : sessions) {
      if (days.size() < n) continue;
      std::nth_element(days.begin(), days.begin() + static_cast<long>(n - 1), days.end());
      absl::CivilDay completed = days[n - 1];
      if (Counted(key.first, completed)) b.Add(completed, 1);
    }
  }

  // Each day a child is looked after counts once (overlapping records of the same care do not
  // double it), for the team the case had that day, up to yesterday.
  void LookedAfterWeeks(Buckets& b) const {
    if (b.size() == 0) return;
    absl::CivilDay first = absl::CivilDay(b.month(0));
    absl::CivilDay last = std::min(b.last_day(b.size() - 1), options_.today - 1);
    for (const auto& [person, episodes] : episodes_by_person_) {
      std::vector<std::pair<absl::CivilDay, absl::CivilDay>> spans;  // [from, until] inclusive
      for (const Spell* e : episodes) {
        absl::CivilDay from = std::max(first, e->start);
        absl::CivilDay until = e->end ? std::min(last, *e->end - 1) : last;
        if (from <= until) spans.emplace_back(from, until);
      }
      std::sort(spans.begin(), spans.end());
      absl::CivilDay next = first - 1;  // days before `next` are counted already
      for (const auto& [from, until] : spans) {
        for (absl::CivilDay d = std::max(from, next); d <= until; ++d) {
          if (Counted(episodes.front()->case_id, d)) b.Add(d, 1.0 / 7.0);
        }
        next = std::max(next, until + 1);
      }
    }
  }

  const Dataset& data_;
  const std::string& team_;
  const IndicatorOptions& options_;
  Index cases_;
  std::unordered_map<std::string, std::vector<const Spell*>> plans_by_person_;
  std::unordered_map<std::string, std::vector<const Spell*>> episodes_by_person_;
  std::unordered_map<std::string, std::vector<const PersonFacts*>> children_by_case_;
  std::unordered_map<std::string, std::vector<const Happening*>> incidents_by_case_;
};

int FollowMonths(v1::Indicator i) {
  if (i == v1::INDICATOR_REPEAT_DA_WITHIN_6_MONTHS) return 6;
  if (i == v1::INDICATOR_REPEAT_DA_WITHIN_12_MONTHS) return 12;
  return 0;
}

}  // namespace

bool ContinuesCare(const Spell& episode, const std::vector<const Spell*>& same_child) {
  for (const Spell* other : same_child) {
    if (other != &episode && Covers(other->start, other->end, episode.start - 1)) return true;
  }
  return false;
}

const std::string& TeamOn(const CaseFacts& c, absl::CivilDay day) {
  static const std::string kNone;
  if (c.teams.empty()) return kNone;
  const std::string* team = &c.teams.front().second;
  for (const auto& [from, name] : c.teams) {
    if (from <= day) team = &name;
  }
  return *team;
}

absl::CivilDay AddMonths(absl::CivilDay day, int n) {
  absl::CivilMonth month = absl::CivilMonth(day) + n;
  absl::CivilDay last = absl::CivilDay(month + 1) - 1;
  // CivilDay(2027, 2, 31) would normalise into March: clamp to the month's last day first.
  return day.day() > last.day() ? last : absl::CivilDay(month.year(), month.month(), day.day());
}

std::string FormatMonth(absl::CivilMonth month) {
  return absl::StrFormat("%04d-%02d", month.year(), month.month());
}

std::optional<absl::CivilMonth> ParseMonth(const std::string& text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  for (size_t i : {0, 1, 2, 3, 5, 6}) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  }
  int year = std::stoi(text.substr(0, 4)), month = std::stoi(text.substr(5, 2));
  if (month < 1 || month > 12 || year < 1900 || year > 2200) return std::nullopt;
  return absl::CivilMonth(year, month);
}

IndicatorKind KindOf(v1::Indicator i) {
  switch (i) {
    case v1::INDICATOR_CHILDREN_ON_CP_PLANS:
    case v1::INDICATOR_OPEN_CASES:
    case v1::INDICATOR_LOOKED_AFTER_WEEKS:
      return IndicatorKind::kStock;
    case v1::INDICATOR_REPEAT_CP_PLANS_WITHIN_2_YEARS:
    case v1::INDICATOR_CHILDREN_KEPT_SAFELY_AT_HOME_AT_CLOSURE:
    case v1::INDICATOR_REPEAT_DA_WITHIN_6_MONTHS:
    case v1::INDICATOR_REPEAT_DA_WITHIN_12_MONTHS:
    case v1::INDICATOR_RE_REFERRALS_WITHIN_12_MONTHS:
    case v1::INDICATOR_GCS_HELD_ON_TIME:
      return IndicatorKind::kRate;
    default:
      return IndicatorKind::kCount;
  }
}

std::vector<v1::Indicator> AllIndicators() {
  std::vector<v1::Indicator> all;
  for (int i = v1::Indicator_MIN + 1; i <= v1::Indicator_MAX; ++i) {
    if (v1::Indicator_IsValid(i)) all.push_back(static_cast<v1::Indicator>(i));
  }
  return all;
}

std::vector<v1::Series> ComputeIndicators(const Dataset& data, const std::string& team,
                                          absl::CivilMonth from, absl::CivilMonth to,
                                          const std::vector<v1::Indicator>& which,
                                          const IndicatorOptions& options) {
  Calculator calculator(data, team, options);
  std::vector<v1::Indicator> indicators = which.empty() ? AllIndicators() : which;
  std::vector<v1::Series> out;
  for (v1::Indicator indicator : indicators) {
    Buckets buckets(from, to);
    calculator.Fill(indicator, buckets);
    out.push_back(buckets.ToSeries(indicator, team, KindOf(indicator) == IndicatorKind::kRate,
                                   FollowMonths(indicator), options.today));
  }
  return out;
}

v1::Estimate WilsonProportion(long long k, long long n) {
  v1::Estimate e;
  if (n <= 0) return e;
  double p = static_cast<double>(k) / static_cast<double>(n);
  e.set_value(p);
  const double z = 1.959963984540054;
  double nn = static_cast<double>(n);
  double centre = (p + z * z / (2 * nn)) / (1 + z * z / nn);
  double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / (1 + z * z / nn);
  e.set_has_interval(true);
  e.set_lower(std::max(0.0, centre - half));
  e.set_upper(std::min(1.0, centre + half));
  return e;
}

}  // namespace fs::outcomes
