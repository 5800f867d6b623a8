#include "services/supervision/scheduler.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace fs::supervision {
namespace {

int WeekdayIndex(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return 0;
    case absl::Weekday::tuesday:
      return 1;
    case absl::Weekday::wednesday:
      return 2;
    case absl::Weekday::thursday:
      return 3;
    case absl::Weekday::friday:
      return 4;
    case absl::Weekday::saturday:
      return 5;
    case absl::Weekday::sunday:
      return 6;
  }
  return 0;
}

// Each practitioner's free time less what this run has booked so far.
class Bookings {
 public:
  explicit Bookings(const Problem& problem) : problem_(problem) {}
  // nullptr for someone with no availability at all.
  FreeTime* Available(const std::string& id) {
    auto it = available_.find(id);
    if (it != available_.end()) return &it->second;
    auto free = problem_.free.find(id);
    if (free == problem_.free.end()) return nullptr;
    return &available_.emplace(id, free->second).first->second;
  }
  void Book(const std::string& id, int from, int to) {
    if (FreeTime* available = Available(id)) available->Set(from, to, false);
  }

 private:
  const Problem& problem_;
  std::map<std::string, FreeTime> available_;
};

int64_t LatenessMinutes(const SlotGrid& grid, int end_slot, absl::Time due) {
  absl::Time end = grid.TimeOf(end_slot);
  if (end <= due) return 0;
  return absl::ToInt64Minutes(end - due + absl::Seconds(59));
}

// Why a case found no time: who is never free, or no chair.
std::string ReasonUnplaced(const Problem& problem, const CaseToPlace& c, int from) {
  if (c.chairs.empty()) return "no chair: the case's team has no manager or deputy set";
  std::vector<std::string> never;
  for (const auto& id : c.attendees) {
    auto it = problem.free.find(id);
    if (it == problem.free.end() || !it->second.Any(problem.case_slots)) never.push_back(id);
  }
  if (!never.empty()) {
    return absl::StrCat(absl::StrJoin(never, ", "), never.size() == 1 ? " is" : " are",
                        " never free in the horizon");
  }
  bool chair_free = false;
  for (const auto& chair : c.chairs) {
    auto it = problem.free.find(chair);
    if (it != problem.free.end() && it->second.Any(problem.case_slots)) chair_free = true;
  }
  if (!chair_free) {
    return absl::StrCat("no chair is free in the horizon (", absl::StrJoin(c.chairs, ", "), ")");
  }
  return absl::StrCat(
      "no time from ",
      absl::FormatTime("%Y-%m-%d", problem.grid->TimeOf(from), problem.grid->zone()), " when ",
      absl::StrJoin(c.attendees, ", "), " and a chair are all free (others' sessions included)");
}

}  // namespace

SlotGrid::SlotGrid(absl::Time start, absl::Time end, absl::Duration slot, absl::TimeZone zone)
    : start_(start), slot_(slot), zone_(zone) {
  for (absl::Time t = start; t < end; t += slot) {
    absl::CivilSecond local = absl::ToCivilSecond(t, zone);
    days_.push_back(absl::CivilDay(local));
    minutes_.push_back(local.hour() * 60 + local.minute());
  }
}

int SlotGrid::SlotAt(absl::Time t) const {
  if (t <= start_) return 0;
  int64_t slot = (t - start_) / slot_;
  return static_cast<int>(std::min<int64_t>(slot, size()));
}

WorkingHours WorkingHours::Standard() {
  WorkingHours hours;
  for (int d = 0; d < 5; ++d) hours.days[d] = {{9 * 60, 17 * 60}};
  return hours;
}

void FreeTime::Set(int from, int to, bool free) {
  from = std::max(from, 0);
  to = std::min(to, slots_);
  for (int s = from; s < to; ++s) {
    uint64_t bit = uint64_t{1} << (s % 64);
    if (free) {
      words_[s / 64] |= bit;
    } else {
      words_[s / 64] &= ~bit;
    }
  }
}

bool FreeTime::IsFreeRun(int from, int length) const {
  if (from < 0 || from + length > slots_) return false;
  for (int s = from; s < from + length; ++s) {
    if (!IsFree(s)) return false;
  }
  return true;
}

bool FreeTime::Any(int length) const { return EarliestCommonRun({this}, 0, slots_, length) >= 0; }

FreeTime BuildFreeTime(const SlotGrid& grid, const Availability& availability,
                       const HolidayCalendar& holidays) {
  FreeTime free(grid.size());
  int slot_minutes = static_cast<int>(absl::ToInt64Minutes(grid.slot()));
  std::set<absl::CivilDay> leave;
  for (const auto& [first, last] : availability.leave) {
    for (absl::CivilDay d = first; d <= last && d - first < 400; d += 1) leave.insert(d);
  }
  for (int s = 0; s < grid.size(); ++s) {
    absl::CivilDay day = grid.Day(s);
    if (holidays.IsHoliday(day) || leave.contains(day)) continue;
    int minute = grid.MinuteOfDay(s);
    for (const auto& [start, end] : availability.hours.days[WeekdayIndex(day)]) {
      if (minute >= start && minute + slot_minutes <= end) {
        free.Set(s, s + 1, true);
        break;
      }
    }
  }
  for (const auto& [from, to] : availability.busy) {
    int first = grid.SlotAt(from);
    int last = grid.SlotAt(to);
    if (last < grid.size() && grid.TimeOf(last) < to) ++last;  // a partly busy slot is busy
    free.Set(first, last, false);
  }
  return free;
}

int EarliestCommonRun(const std::vector<const FreeTime*>& people, int from, int to, int length) {
  if (people.empty() || length <= 0) return -1;
  int slots = people[0]->slots();
  to = std::min(to, slots);
  int run = 0;
  for (int s = std::max(from, 0); s < to; ++s) {
    // Whole empty words are skipped fast.
    if (s % 64 == 0) {
      uint64_t word = ~uint64_t{0};
      for (const FreeTime* p : people) word &= p->words()[s / 64];
      if (word == 0) {
        run = 0;
        s += 63;
        continue;
      }
    }
    bool free = true;
    for (const FreeTime* p : people) {
      if (!p->IsFree(s)) {
        free = false;
        break;
      }
    }
    run = free ? run + 1 : 0;
    if (run == length) return s - length + 1;
  }
  return -1;
}

Plan Schedule(const Problem& problem) {
  const SlotGrid& grid = *problem.grid;
  const int d = problem.case_slots;
  Plan plan;
  Bookings bookings(problem);
  std::map<std::string, const CaseToPlace*> cases;
  for (const auto& c : problem.cases) cases[c.id] = &c;
  std::set<std::string> placed;
  std::map<std::string, int> chair_load;  // sessions chaired

  // Confirmed sessions first: kept as they are, less any case that became impossible there
  // (closed, no longer due, or an attendee no longer free); a session whose chair is no longer
  // free is given up whole.
  std::vector<PlannedSession> sessions;
  std::vector<PlannedSession> confirmed = problem.confirmed;
  std::sort(confirmed.begin(), confirmed.end(),
            [](const PlannedSession& a, const PlannedSession& b) { return a.id < b.id; });
  for (const auto& session : confirmed) {
    FreeTime* chair = bookings.Available(session.chair);
    bool chair_ok =
        chair && chair->IsFreeRun(session.start_slot, session.end_slot - session.start_slot);
    PlannedSession kept = session;
    kept.cases.clear();
    for (const auto& placement : session.cases) {
      auto it = cases.find(placement.case_id);
      if (it == cases.end()) continue;  // closed or no longer due: simply leaves the session
      bool ok = chair_ok;
      for (const auto& id : it->second->attendees) {
        const FreeTime* available = bookings.Available(id);
        if (!available || !available->IsFreeRun(placement.slot, d)) ok = false;
      }
      if (ok) {
        kept.cases.push_back(placement);
        placed.insert(placement.case_id);
        for (const auto& id : it->second->attendees) {
          bookings.Book(id, placement.slot, placement.slot + d);
        }
      } else {
        plan.moved.push_back(placement.case_id);
      }
    }
    if (kept.cases.empty()) continue;
    bookings.Book(kept.chair, kept.start_slot, kept.end_slot);
    kept.confirmed = true;
    ++chair_load[kept.chair];
    sessions.push_back(std::move(kept));
  }

  // Then the rest, earliest due first (ties by id): each where it is least late; among equally
  // late places, joining a session before opening one, then the session sharing most
  // attendees, then the least loaded chair, then the earliest time.
  std::vector<const CaseToPlace*> order;
  for (const auto& c : problem.cases) {
    if (!placed.contains(c.id)) order.push_back(&c);
  }
  std::sort(order.begin(), order.end(), [](const CaseToPlace* a, const CaseToPlace* b) {
    return std::tie(a->due, a->id) < std::tie(b->due, b->id);
  });
  for (const CaseToPlace* c : order) {
    int from = grid.SlotAt(c->earliest);
    std::vector<const FreeTime*> attendees;
    bool missing = false;
    for (const auto& id : c->attendees) {
      const FreeTime* available = bookings.Available(id);
      if (!available) missing = true;
      attendees.push_back(available);
    }
    using Score = std::tuple<int64_t, int, int, int, int, int>;  // see above; last: index
    bool found = false;
    Score best;
    std::string best_chair;
    int best_slot = -1;
    int best_session = -1;
    if (!missing) {
      std::set<std::string> mine(c->attendees.begin(), c->attendees.end());
      // Joining an open (unconfirmed) session of one of the case's chairs, at its end.
      for (int i = 0; i < static_cast<int>(sessions.size()); ++i) {
        const auto& s = sessions[i];
        if (s.confirmed || static_cast<int>(s.cases.size()) >= problem.max_cases) continue;
        if (std::find(c->chairs.begin(), c->chairs.end(), s.chair) == c->chairs.end()) continue;
        int slot = s.end_slot;
        if (slot < from || slot + d > grid.size()) continue;
        const FreeTime* chair = bookings.Available(s.chair);
        if (!chair || !chair->IsFreeRun(slot, d)) continue;
        if (grid.Day(slot) != grid.Day(s.start_slot)) continue;
        bool ok = true;
        for (const FreeTime* a : attendees) ok = ok && a->IsFreeRun(slot, d);
        if (!ok) continue;
        int overlap = 0;
        for (const auto& p : s.cases) {
          for (const auto& id : cases.at(p.case_id)->attendees) overlap += mine.contains(id);
        }
        Score score{
            LatenessMinutes(grid, slot + d, c->due), 0, -overlap, chair_load[s.chair], slot, i};
        if (!found || score < best) {
          found = true;
          best = score;
          best_session = i;
          best_slot = slot;
        }
      }
      // Opening a session with each possible chair at the earliest common free time.
      for (int k = 0; k < static_cast<int>(c->chairs.size()); ++k) {
        const FreeTime* chair = bookings.Available(c->chairs[k]);
        if (!chair) continue;
        std::vector<const FreeTime*> everyone = attendees;
        everyone.push_back(chair);
        int slot = EarliestCommonRun(everyone, from, grid.size(), d);
        if (slot < 0) continue;
        Score score{
            LatenessMinutes(grid, slot + d, c->due), 1, 0, chair_load[c->chairs[k]], slot, k};
        if (!found || score < best) {
          found = true;
          best = score;
          best_session = -1;
          best_chair = c->chairs[k];
          best_slot = slot;
        }
      }
    }
    if (!found) {
      plan.unplaced.push_back({c->id, ReasonUnplaced(problem, *c, from)});
      continue;
    }
    if (best_session < 0) {
      PlannedSession s;
      s.chair = best_chair;
      s.start_slot = best_slot;
      s.end_slot = best_slot;
      ++chair_load[best_chair];
      sessions.push_back(std::move(s));
      best_session = static_cast<int>(sessions.size()) - 1;
    }
    PlannedSession& s = sessions[best_session];
    s.cases.push_back({c->id, best_slot});
    s.end_slot = best_slot + d;
    bookings.Book(s.chair, best_slot, best_slot + d);
    for (const auto& id : c->attendees) bookings.Book(id, best_slot, best_slot + d);
  }

  for (const auto& s : sessions) {
    for (const auto& p : s.cases) {
      int64_t late = LatenessMinutes(grid, p.slot + d, cases.at(p.case_id)->due);
      plan.total_lateness_minutes += late;
      if (late == 0) {
        ++plan.on_time;
      } else {
        ++plan.late;
      }
    }
  }
  std::sort(sessions.begin(), sessions.end(), [](const PlannedSession& a, const PlannedSession& b) {
    return std::tie(a.start_slot, a.chair) < std::tie(b.start_slot, b.chair);
  });
  plan.sessions = std::move(sessions);
  std::sort(plan.unplaced.begin(), plan.unplaced.end(),
            [](const Unplaced& a, const Unplaced& b) { return a.case_id < b.case_id; });
  std::sort(plan.moved.begin(), plan.moved.end());
  return plan;
}

std::map<std::string, int> SessionsPerPractitioner(const Plan& plan,
                                                   const std::vector<CaseToPlace>& cases) {
  std::map<std::string, const CaseToPlace*> by_id;
  for (const auto& c : cases) by_id[c.id] = &c;
  std::map<std::string, int> count;
  for (const auto& s : plan.sessions) {
    std::set<std::string> present = {s.chair};
    for (const auto& p : s.cases) {
      auto it = by_id.find(p.case_id);
      if (it == by_id.end()) continue;
      present.insert(it->second->attendees.begin(), it->second->attendees.end());
    }
    for (const auto& id : present) ++count[id];
  }
  return count;
}

}  // namespace fs::supervision
