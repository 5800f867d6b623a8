#include "tests/bench/gcs_instance.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace fs::supervision::bench {
namespace {

// Roles of the practitioners of a team besides the manager and the deputy, with weights.
const std::vector<std::pair<const char*, int>>& Roles() {
  static const auto* roles = new std::vector<std::pair<const char*, int>>{
      {"social worker", 9},   {"DA victim worker", 2},           {"DA perpetrator worker", 2},
      {"recovery worker", 2}, {"mental health practitioner", 2}, {"family support worker", 2},
  };
  return *roles;
}

std::string RoleCode(const std::string& role) {
  if (role == "social worker") return "sw";
  if (role == "DA victim worker") return "dav";
  if (role == "DA perpetrator worker") return "dap";
  if (role == "recovery worker") return "rec";
  if (role == "mental health practitioner") return "mh";
  if (role == "family support worker") return "fsw";
  return "x";
}

WorkingHours Hours(int from_minute, int to_minute, std::vector<int> weekdays) {
  WorkingHours hours;
  for (int d : weekdays) hours.days[d] = {{from_minute, to_minute}};
  return hours;
}

// Most work Mon-Fri 9-17; some part-time patterns, all on half hours.
WorkingHours DrawHours(Rng& rng, bool chair) {
  int p = rng.Uniform(0, 99);
  if (chair || p < 70) return WorkingHours::Standard();
  if (p < 80) {  // four days: one weekday off
    std::vector<int> days = {0, 1, 2, 3, 4};
    days.erase(days.begin() + rng.Uniform(0, 4));
    return Hours(9 * 60, 17 * 60, days);
  }
  if (p < 88) {  // three days
    return rng.Chance(0.5) ? Hours(9 * 60, 17 * 60, {0, 1, 2}) : Hours(9 * 60, 17 * 60, {2, 3, 4});
  }
  if (p < 95) return Hours(9 * 60 + 30, 15 * 60, {0, 1, 2, 3, 4});  // school hours
  return Hours(9 * 60, 13 * 60, {0, 1, 2, 3, 4});                   // mornings
}

absl::Time At(absl::CivilDay day, int minute, absl::TimeZone zone) {
  return absl::FromCivil(
      absl::CivilMinute(day.year(), day.month(), day.day(), minute / 60, minute % 60), zone);
}

Availability DrawAvailability(Rng& rng, bool chair, const std::vector<absl::CivilDay>& mondays,
                              absl::CivilDay first, absl::CivilDay end, absl::TimeZone zone) {
  Availability a;
  a.hours = DrawHours(rng, chair);
  if (!mondays.empty() && rng.Chance(0.10)) {  // a week of leave
    absl::CivilDay monday = mondays[rng.Uniform(0, static_cast<int>(mondays.size()) - 1)];
    a.leave.push_back({monday, monday + 4});
  }
  for (absl::CivilDay monday : mondays) {
    // A few busy blocks a week (visits, court, core groups, training): 30 min to 2 h.
    int blocks = chair ? rng.Uniform(3, 6) : rng.Uniform(2, 5);
    for (int b = 0; b < blocks; ++b) {
      absl::CivilDay day = monday + rng.Uniform(0, 4);
      if (day < first || day >= end) continue;
      int from = 9 * 60 + 30 * rng.Uniform(0, 14);
      int to = std::min(17 * 60, from + 30 * rng.Uniform(1, 4));
      a.busy.push_back({At(day, from, zone), At(day, to, zone)});
    }
    if (rng.Chance(0.05)) {  // a whole day out (court, training)
      absl::CivilDay day = monday + rng.Uniform(0, 4);
      if (day >= first && day < end) {
        a.busy.push_back({At(day, 9 * 60, zone), At(day, 17 * 60, zone)});
      }
    }
  }
  return a;
}

// The case's least lateness with nobody else's case in the way (-1: never possible).
int64_t LatenessAlone(const Problem& problem, const CaseToPlace& c) {
  const SlotGrid& grid = *problem.grid;
  int64_t best = -1;
  for (const auto& chair : c.chairs) {
    std::vector<const FreeTime*> everyone;
    bool ok = problem.free.contains(chair);
    if (ok) everyone.push_back(&problem.free.at(chair));
    for (const auto& a : c.attendees) {
      if (!problem.free.contains(a)) ok = false;
      if (ok) everyone.push_back(&problem.free.at(a));
    }
    if (!ok) continue;
    int s = EarliestCommonRun(everyone, grid.SlotAt(c.earliest), grid.size(), problem.case_slots);
    if (s < 0) continue;
    int64_t late = LatenessMinutes(grid, s + problem.case_slots, c.due);
    if (best < 0 || late < best) best = late;
  }
  return best;
}

}  // namespace

uint64_t Rng::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

int Rng::Uniform(int lo, int hi) {
  if (hi <= lo) return lo;
  return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
}

bool Rng::Chance(double p) { return static_cast<double>(Next() >> 11) * 0x1.0p-53 < p; }

Instance Generate(const InstanceSpec& spec) {
  Instance instance;
  instance.spec = spec;
  absl::LoadTimeZone("Europe/London", &instance.zone);
  instance.holidays = *HolidayCalendar::Create("");
  const absl::TimeZone zone = instance.zone;
  instance.grid = std::make_unique<SlotGrid>(At(spec.first_day, 0, zone), At(spec.end_day, 0, zone),
                                             absl::Minutes(15), zone);
  Rng rng(spec.seed * 0x2545F4914F6CDD1DULL + 7);

  std::vector<absl::CivilDay> mondays;
  for (absl::CivilDay d = spec.first_day; d < spec.end_day; d += 1) {
    // Weeks that start in the horizon, or the partial first week.
    absl::CivilDay monday = d - WeekdayIndex(d);
    if (mondays.empty() || mondays.back() != monday) mondays.push_back(monday);
  }

  // Teams of about 12 (a manager, a deputy and 8-12 practitioners).
  int teams = std::max(1, spec.practitioners / 12);
  std::vector<int> sizes(teams, spec.practitioners / teams);
  for (int t = 0; t < spec.practitioners % teams; ++t) ++sizes[t];
  for (int t = 0; t < teams && teams > 1; ++t) {
    int other = rng.Uniform(0, teams - 1);
    int move = rng.Uniform(1, 2);
    if (other != t && sizes[t] - move >= 10 && sizes[other] + move <= 14) {
      sizes[t] -= move;
      sizes[other] += move;
    }
  }
  instance.teams = teams;

  int role_total = 0;
  for (const auto& [role, weight] : Roles()) role_total += weight;
  std::vector<std::vector<int>> members(teams);  // indexes of non-chair people
  std::vector<std::vector<int>> social_workers(teams);
  std::vector<std::vector<std::string>> chairs(teams);
  for (int t = 0; t < teams; ++t) {
    for (int i = 0; i < sizes[t]; ++i) {
      Person person;
      person.team = t;
      if (i == 0) {
        person.role = "manager";
        person.id = absl::StrFormat("t%03d-tm", t);
      } else if (i == 1) {
        person.role = "deputy";
        person.id = absl::StrFormat("t%03d-dtm", t);
      } else {
        // The first three of a team are social workers; the rest drawn by weight.
        if (i < 5) {
          person.role = "social worker";
        } else {
          int r = rng.Uniform(0, role_total - 1);
          for (const auto& [role, weight] : Roles()) {
            if (r < weight) {
              person.role = role;
              break;
            }
            r -= weight;
          }
        }
        person.id = absl::StrFormat("t%03d-%s%02d", t, RoleCode(person.role), i);
      }
      bool chair = i < 2;
      person.availability =
          DrawAvailability(rng, chair, mondays, spec.first_day, spec.end_day, zone);
      int index = static_cast<int>(instance.people.size());
      if (chair) {
        chairs[t].push_back(person.id);
      } else {
        members[t].push_back(index);
        if (person.role == "social worker") social_workers[t].push_back(index);
      }
      instance.people.push_back(std::move(person));
    }
  }

  // Cases: a team drawn by its number of practitioners; the allocated social worker and 2-5
  // others of the team.
  int member_total = 0;
  for (const auto& m : members) member_total += static_cast<int>(m.size());
  const int horizon_days = static_cast<int>(spec.end_day - spec.first_day);
  for (int c = 0; c < spec.cases; ++c) {
    int pick = rng.Uniform(0, member_total - 1);
    int t = 0;
    while (pick >= static_cast<int>(members[t].size()))
      pick -= static_cast<int>(members[t++].size());
    CaseToPlace case_to_place;
    case_to_place.id = absl::StrFormat("c%05d", c);
    std::vector<int> pool = members[t];
    int sw =
        social_workers[t].empty()
            ? pool[rng.Uniform(0, static_cast<int>(pool.size()) - 1)]
            : social_workers[t][rng.Uniform(0, static_cast<int>(social_workers[t].size()) - 1)];
    std::vector<int> chosen = {sw};
    pool.erase(std::find(pool.begin(), pool.end(), sw));
    int others = std::min(rng.Uniform(2, 5), static_cast<int>(pool.size()));
    for (int i = 0; i < others; ++i) {
      int j = rng.Uniform(i, static_cast<int>(pool.size()) - 1);
      std::swap(pool[i], pool[j]);
      chosen.push_back(pool[i]);
    }
    std::sort(chosen.begin(), chosen.end());
    for (int i : chosen) case_to_place.attendees.push_back(instance.people[i].id);
    absl::CivilDay due = rng.Chance(0.08) ? spec.first_day - rng.Uniform(1, 7)
                                          : spec.first_day + rng.Uniform(0, horizon_days - 1);
    if (WeekdayIndex(due) >= 5) due -= WeekdayIndex(due) - 4;  // a weekend: the Friday before
    case_to_place.due = At(due, 17 * 60, zone);
    case_to_place.earliest = At(due - 10, 17 * 60, zone);
    case_to_place.chairs = chairs[t];
    instance.cases.push_back(std::move(case_to_place));
  }
  return instance;
}

Problem MakeProblem(const Instance& instance) {
  Problem problem;
  problem.grid = instance.grid.get();
  problem.case_slots = instance.spec.case_minutes / 15;
  problem.max_cases = instance.spec.max_cases;
  problem.cases = instance.cases;
  for (const auto& person : instance.people) {
    problem.free[person.id] = BuildFreeTime(*instance.grid, person.availability, instance.holidays);
  }
  return problem;
}

std::string Fingerprint(const Instance& instance) {
  std::string out;
  absl::TimeZone utc = absl::UTCTimeZone();
  for (const auto& p : instance.people) {
    absl::StrAppend(&out, p.id, "|", p.role, "|", p.team, "|");
    for (int d = 0; d < 7; ++d) {
      for (const auto& [from, to] : p.availability.hours.days[d]) {
        absl::StrAppend(&out, d, ":", from, "-", to, ",");
      }
    }
    for (const auto& [from, to] : p.availability.leave) {
      absl::StrAppend(&out, "L", absl::FormatCivilTime(from), "..", absl::FormatCivilTime(to));
    }
    for (const auto& [from, to] : p.availability.busy) {
      absl::StrAppend(&out, "B", absl::FormatTime("%Y%m%d%H%M", from, utc), "-",
                      absl::FormatTime("%H%M", to, utc));
    }
    out += "\n";
  }
  for (const auto& c : instance.cases) {
    absl::StrAppend(&out, c.id, "|", absl::FormatTime("%Y%m%d%H%M", c.due, utc), "|",
                    absl::FormatTime("%Y%m%d%H%M", c.earliest, utc), "|");
    for (const auto& a : c.attendees) absl::StrAppend(&out, a, ",");
    out += "|";
    for (const auto& a : c.chairs) absl::StrAppend(&out, a, ",");
    out += "\n";
  }
  return out;
}

std::string Fingerprint(const Plan& plan) {
  std::string out;
  for (const auto& s : plan.sessions) {
    absl::StrAppend(&out, s.chair, "@", s.start_slot, "-", s.end_slot, ":");
    for (const auto& p : s.cases) absl::StrAppend(&out, p.case_id, "/", p.slot, ",");
    out += "\n";
  }
  for (const auto& u : plan.unplaced) absl::StrAppend(&out, "U", u.case_id, ":", u.reason, "\n");
  absl::StrAppend(&out, plan.total_lateness_minutes, "/", plan.on_time, "/", plan.late);
  return out;
}

int64_t LatenessMinutes(const SlotGrid& grid, int end_slot, absl::Time due) {
  absl::Time end = grid.TimeOf(end_slot);
  if (end <= due) return 0;
  return absl::ToInt64Minutes(end - due + absl::Seconds(59));
}

Evaluation Evaluate(const Problem& problem, const Plan& plan) {
  Evaluation e;
  const SlotGrid& grid = *problem.grid;
  const int d = problem.case_slots;
  auto fault = [&](std::string what) {
    if (e.sound) e.first_fault = std::move(what);
    e.sound = false;
  };
  std::map<std::string, const CaseToPlace*> cases;
  for (const auto& c : problem.cases) cases[c.id] = &c;
  std::map<std::string, std::vector<uint64_t>> taken;  // person -> bitset of slots
  auto take = [&](const std::string& who, int from, int to, const std::string& what) {
    auto free = problem.free.find(who);
    if (free == problem.free.end()) {
      fault(absl::StrCat(who, " has no free time (", what, ")"));
      return;
    }
    auto& bits = taken[who];
    if (bits.empty()) bits.assign((grid.size() + 63) / 64, 0);
    for (int s = from; s < to; ++s) {
      if (s < 0 || s >= grid.size() || !free->second.IsFree(s)) {
        fault(absl::StrCat(who, " not free at slot ", s, " (", what, ")"));
        return;
      }
      uint64_t bit = uint64_t{1} << (s % 64);
      if (bits[s / 64] & bit) {
        fault(absl::StrCat(who, " double-booked at slot ", s, " (", what, ")"));
        return;
      }
      bits[s / 64] |= bit;
    }
  };
  std::set<std::string> seen;
  std::map<std::string, int> chaired;
  for (const auto& s : plan.sessions) {
    ++e.sessions;
    ++chaired[s.chair];
    if (s.cases.empty()) fault("an empty session");
    if (static_cast<int>(s.cases.size()) > problem.max_cases) fault("more than K cases");
    if (s.end_slot <= s.start_slot || grid.Day(s.start_slot) != grid.Day(s.end_slot - 1)) {
      fault("a session spans days");
    }
    for (const auto& p : s.cases) {
      auto it = cases.find(p.case_id);
      if (it == cases.end()) {
        fault(absl::StrCat("unknown case ", p.case_id));
        continue;
      }
      const CaseToPlace& c = *it->second;
      if (!seen.insert(c.id).second) fault(absl::StrCat(c.id, " placed twice"));
      if (p.slot < s.start_slot || p.slot + d > s.end_slot) fault("a case outside its session");
      if (std::find(c.chairs.begin(), c.chairs.end(), s.chair) == c.chairs.end()) {
        fault(absl::StrCat(s.chair, " may not chair ", c.id));
      }
      if (p.slot < grid.SlotAt(c.earliest)) fault(absl::StrCat(c.id, " before its earliest"));
      take(s.chair, p.slot, p.slot + d, c.id);
      for (const auto& who : c.attendees) {
        if (who != s.chair) take(who, p.slot, p.slot + d, c.id);
      }
      int64_t late = LatenessMinutes(grid, p.slot + d, c.due);
      e.lateness_minutes += late;
      e.lateness_alone_minutes += LatenessAlone(problem, c);
      ++(late == 0 ? e.on_time : e.late);
      ++e.placed;
    }
  }
  for (const auto& u : plan.unplaced) {
    if (!seen.insert(u.case_id).second) fault(absl::StrCat(u.case_id, " placed and unplaced"));
    ++e.unplaced;
    if (LatenessAlone(problem, *cases.at(u.case_id)) >= 0) ++e.unplaced_but_free_alone;
  }
  if (seen.size() != problem.cases.size()) fault("some case neither placed nor reported");
  auto per = SessionsPerPractitioner(plan, problem.cases);
  for (const auto& [who, n] : per) {
    e.attendances += n;
    e.max_sessions_per_practitioner = std::max(e.max_sessions_per_practitioner, n);
  }
  if (!per.empty())
    e.mean_sessions_per_practitioner = static_cast<double>(e.attendances) / per.size();
  for (const auto& [who, n] : chaired) e.max_chaired = std::max(e.max_chaired, n);
  return e;
}

}  // namespace fs::supervision::bench
