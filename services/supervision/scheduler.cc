#include "services/supervision/scheduler.h"

#include <algorithm>
#include <limits>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace fs::supervision {
namespace {

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
  // Gives back time this run booked (it was free before, so it is free again).
  void Unbook(const std::string& id, int from, int to) {
    if (FreeTime* available = Available(id)) available->Set(from, to, true);
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

// Why a case placed late had no time before its due date.
std::string ReasonLate(const Problem& problem, const CaseToPlace& c) {
  const SlotGrid& grid = *problem.grid;
  int from = grid.SlotAt(c.earliest);
  // The last start that would still end by the due time.
  int by = grid.SlotAt(c.due) - problem.case_slots + 1;
  if (by <= from || c.due <= grid.TimeOf(0)) {
    return "already overdue when the horizon starts";
  }
  std::vector<std::string> never;
  std::vector<const FreeTime*> everyone;
  for (const auto& id : c.attendees) {
    const FreeTime& free = problem.free.at(id);
    everyone.push_back(&free);
    if (EarliestCommonRun({&free}, from, by + problem.case_slots - 1, problem.case_slots) < 0) {
      never.push_back(id);
    }
  }
  std::string first = absl::FormatTime("%Y-%m-%d", grid.TimeOf(from), grid.zone());
  std::string last = absl::FormatTime("%Y-%m-%d", c.due - absl::Seconds(1), grid.zone());
  std::string window =
      first == last ? absl::StrCat("on ", first) : absl::StrCat("from ", first, " to ", last);
  if (!never.empty()) {
    return absl::StrCat(absl::StrJoin(never, ", "), never.size() == 1 ? " is" : " are",
                        " not free ", window);
  }
  bool together = false;
  for (const auto& chair : c.chairs) {
    auto it = problem.free.find(chair);
    if (it == problem.free.end()) continue;
    std::vector<const FreeTime*> with_chair = everyone;
    with_chair.push_back(&it->second);
    if (EarliestCommonRun(with_chair, from, by + problem.case_slots - 1, problem.case_slots) >= 0) {
      together = true;
    }
  }
  if (!together) {
    return absl::StrCat("no time ", window, " when ", absl::StrJoin(c.attendees, ", "),
                        " and a chair are all free together");
  }
  return absl::StrCat("the times ", window, " when everyone is free went to cases due earlier");
}

}  // namespace

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

namespace {

// One run of the scheduler: the sessions so far and everyone's remaining time.
class Planner {
 public:
  explicit Planner(const Problem& problem)
      : problem_(problem), grid_(*problem.grid), d_(problem.case_slots), bookings_(problem) {
    for (const auto& c : problem.cases) cases_[c.id] = &c;
  }

  Plan Run() {
    KeepConfirmed();
    PlaceEarliestDueFirst();
    Consolidate();
    return Finish();
  }

 private:
  using Score = std::tuple<int64_t, int, int, int, int, int>;

  // Confirmed sessions first: kept as they are, less any case that became impossible there
  // (closed, no longer due, or an attendee no longer free); a session whose chair is no longer
  // free is given up whole.
  void KeepConfirmed() {
    std::vector<PlannedSession> confirmed = problem_.confirmed;
    std::sort(confirmed.begin(), confirmed.end(),
              [](const PlannedSession& a, const PlannedSession& b) { return a.id < b.id; });
    for (const auto& session : confirmed) {
      FreeTime* chair = bookings_.Available(session.chair);
      bool chair_ok =
          chair && chair->IsFreeRun(session.start_slot, session.end_slot - session.start_slot);
      PlannedSession kept = session;
      kept.cases.clear();
      for (const auto& placement : session.cases) {
        auto it = cases_.find(placement.case_id);
        if (it == cases_.end()) continue;  // closed or no longer due: simply leaves the session
        bool ok = chair_ok;
        for (const auto& id : it->second->attendees) {
          const FreeTime* available = bookings_.Available(id);
          if (!available || !available->IsFreeRun(placement.slot, d_)) ok = false;
        }
        if (ok) {
          kept.cases.push_back(placement);
          placed_.insert(placement.case_id);
          for (const auto& id : it->second->attendees) {
            bookings_.Book(id, placement.slot, placement.slot + d_);
          }
        } else {
          plan_.moved.push_back(placement.case_id);
        }
      }
      if (kept.cases.empty()) continue;
      bookings_.Book(kept.chair, kept.start_slot, kept.end_slot);
      kept.confirmed = true;
      AddSession(std::move(kept));
    }
  }

  // Then the rest, earliest due first (ties by id): each where it is least late; among equally
  // late places, joining a session (at its end) before opening one, then the session sharing
  // most attendees, then the least loaded chair, then the earliest time.
  void PlaceEarliestDueFirst() {
    std::vector<const CaseToPlace*> order;
    for (const auto& c : problem_.cases) {
      if (!placed_.contains(c.id)) order.push_back(&c);
    }
    std::sort(order.begin(), order.end(), [](const CaseToPlace* a, const CaseToPlace* b) {
      return std::tie(a->due, a->id) < std::tie(b->due, b->id);
    });
    for (const CaseToPlace* c : order) {
      int from = grid_.SlotAt(c->earliest);
      std::vector<const FreeTime*> attendees;
      if (!Attendees(*c, &attendees)) {
        plan_.unplaced.push_back({c->id, ReasonUnplaced(problem_, *c, from)});
        continue;
      }
      bool found = false;
      Score best;
      std::string best_chair;
      int best_slot = -1;
      int best_session = -1;
      BestJoin(*c, attendees, from, std::numeric_limits<int64_t>::max(), /*before_start=*/false,
               &found, &best, &best_session, &best_slot);
      // Opening a session with each possible chair at the earliest common free time.
      for (int k = 0; k < static_cast<int>(c->chairs.size()); ++k) {
        const FreeTime* chair = bookings_.Available(c->chairs[k]);
        if (!chair) continue;
        std::vector<const FreeTime*> everyone = attendees;
        everyone.push_back(chair);
        int slot = EarliestCommonRun(everyone, from, grid_.size(), d_);
        if (slot < 0) continue;
        Score score{Lateness(slot, *c), 1, 0, chair_load_[c->chairs[k]], slot, k};
        if (!found || score < best) {
          found = true;
          best = score;
          best_session = -1;
          best_chair = c->chairs[k];
          best_slot = slot;
        }
      }
      if (!found) {
        plan_.unplaced.push_back({c->id, ReasonUnplaced(problem_, *c, from)});
        continue;
      }
      if (best_session < 0) {
        PlannedSession s;
        s.chair = best_chair;
        s.start_slot = best_slot;
        s.end_slot = best_slot;
        best_session = AddSession(std::move(s));
      }
      Join(*c, best_session, best_slot, nullptr);
    }
  }

  // Fewer sessions: the smallest sessions first, each emptied into others of its cases' chairs
  // when every one of its cases finds a place no later than it had, and nobody attends more
  // sessions than before. Repeated while it helps; lateness never grows.
  void Consolidate() {
    for (int pass = 0; pass < 8; ++pass) {
      std::vector<int> order;
      for (int i = 0; i < static_cast<int>(sessions_.size()); ++i) {
        if (!removed_[i] && !sessions_[i].confirmed) order.push_back(i);
      }
      std::sort(order.begin(), order.end(), [this](int a, int b) {
        const auto& x = sessions_[a];
        const auto& y = sessions_[b];
        return std::tuple(x.cases.size(), x.start_slot, x.chair, a) <
               std::tuple(y.cases.size(), y.start_slot, y.chair, b);
      });
      bool improved = false;
      for (int i : order) improved = TryEmpty(i) || improved;
      if (!improved) return;
    }
  }

  // What one booking changed, to undo it.
  struct Booked {
    std::string id;
    int from;
    int to;
  };

  bool TryEmpty(int index) {
    const PlannedSession emptied = sessions_[index];
    removed_[index] = true;
    bookings_.Unbook(emptied.chair, emptied.start_slot, emptied.end_slot);
    for (const auto& p : emptied.cases) {
      for (const auto& id : cases_.at(p.case_id)->attendees)
        bookings_.Unbook(id, p.slot, p.slot + d_);
    }
    std::map<int, PlannedSession> before;  // targets as they were
    std::vector<Booked> booked;
    bool ok = true;
    for (const auto& p : emptied.cases) {
      const CaseToPlace& c = *cases_.at(p.case_id);
      std::vector<const FreeTime*> attendees;
      if (!Attendees(c, &attendees)) {
        ok = false;
        break;
      }
      bool found = false;
      Score best;
      int target = -1;
      int slot = -1;
      BestJoin(c, attendees, grid_.SlotAt(c.earliest), Lateness(p.slot, c),
               /*before_start=*/true, &found, &best, &target, &slot);
      if (!found) {
        ok = false;
        break;
      }
      before.emplace(target, sessions_[target]);
      Join(c, target, slot, &booked);
    }
    if (ok) {
      // Nobody attends more sessions than before (each person, not only in total).
      std::map<std::string, int> before_count;
      std::map<std::string, int> after_count;
      for (const auto& id : Present(emptied)) ++before_count[id];
      for (const auto& [target, was] : before) {
        for (const auto& id : Present(was)) ++before_count[id];
        for (const auto& id : Present(sessions_[target])) ++after_count[id];
      }
      for (const auto& [id, count] : after_count) ok = ok && count <= before_count[id];
    }
    if (ok) {
      --chair_load_[emptied.chair];
      return true;
    }
    for (const auto& b : booked) bookings_.Unbook(b.id, b.from, b.to);
    for (auto& [target, was] : before) sessions_[target] = std::move(was);
    bookings_.Book(emptied.chair, emptied.start_slot, emptied.end_slot);
    for (const auto& p : emptied.cases) {
      for (const auto& id : cases_.at(p.case_id)->attendees)
        bookings_.Book(id, p.slot, p.slot + d_);
    }
    removed_[index] = false;
    return false;
  }

  // The best place for `c` in an open session of one of its chairs, no later than
  // `max_lateness`: at the session's end or just before its start, on the session's day, with
  // the chair and every attendee free.
  void BestJoin(const CaseToPlace& c, const std::vector<const FreeTime*>& attendees, int from,
                int64_t max_lateness, bool before_start, bool* found, Score* best,
                int* best_session, int* best_slot) {
    std::set<std::string> mine(c.attendees.begin(), c.attendees.end());
    for (const auto& chair_id : c.chairs) {
      auto by_chair = by_chair_.find(chair_id);
      if (by_chair == by_chair_.end()) continue;
      const FreeTime* chair = bookings_.Available(chair_id);
      if (!chair) continue;
      for (int i : by_chair->second) {
        const PlannedSession& s = sessions_[i];
        if (removed_[i] || s.confirmed || static_cast<int>(s.cases.size()) >= problem_.max_cases) {
          continue;
        }
        int overlap = -1;
        for (int slot : {s.end_slot, before_start ? s.start_slot - d_ : -1}) {
          if (slot < from || slot < 0 || slot + d_ > grid_.size()) continue;
          if (grid_.Day(slot) != grid_.Day(s.start_slot) ||
              grid_.Day(slot + d_ - 1) != grid_.Day(s.start_slot)) {
            continue;
          }
          if (!chair->IsFreeRun(slot, d_)) continue;
          bool free = true;
          for (const FreeTime* a : attendees) free = free && a->IsFreeRun(slot, d_);
          if (!free) continue;
          int64_t late = Lateness(slot, c);
          if (late > max_lateness) continue;
          if (overlap < 0) {
            overlap = 0;
            for (const auto& p : s.cases) {
              for (const auto& id : cases_.at(p.case_id)->attendees) overlap += mine.contains(id);
            }
          }
          Score score{late, 0, -overlap, chair_load_[s.chair], slot, i};
          if (!*found || score < *best) {
            *found = true;
            *best = score;
            *best_session = i;
            *best_slot = slot;
          }
        }
      }
    }
  }

  // Puts `c` into session `index` at `slot` (its end or just before its start).
  void Join(const CaseToPlace& c, int index, int slot, std::vector<Booked>* booked) {
    PlannedSession& s = sessions_[index];
    if (s.cases.empty() || slot >= s.end_slot) {
      if (s.cases.empty()) s.start_slot = slot;
      s.cases.push_back({c.id, slot});
      s.end_slot = slot + d_;
    } else {
      s.cases.insert(s.cases.begin(), {c.id, slot});
      s.start_slot = slot;
    }
    bookings_.Book(s.chair, slot, slot + d_);
    for (const auto& id : c.attendees) bookings_.Book(id, slot, slot + d_);
    if (booked) {
      booked->push_back({s.chair, slot, slot + d_});
      for (const auto& id : c.attendees) booked->push_back({id, slot, slot + d_});
    }
  }

  int AddSession(PlannedSession session) {
    int index = static_cast<int>(sessions_.size());
    ++chair_load_[session.chair];
    by_chair_[session.chair].push_back(index);
    sessions_.push_back(std::move(session));
    removed_.push_back(false);
    return index;
  }

  // false when an attendee has no availability at all.
  bool Attendees(const CaseToPlace& c, std::vector<const FreeTime*>* out) {
    for (const auto& id : c.attendees) {
      const FreeTime* available = bookings_.Available(id);
      if (!available) return false;
      out->push_back(available);
    }
    return true;
  }

  std::set<std::string> Present(const PlannedSession& s) const {
    std::set<std::string> present = {s.chair};
    for (const auto& p : s.cases) {
      const auto& attendees = cases_.at(p.case_id)->attendees;
      present.insert(attendees.begin(), attendees.end());
    }
    return present;
  }

  int64_t Lateness(int start_slot, const CaseToPlace& c) const {
    return LatenessMinutes(grid_, start_slot + d_, c.due);
  }

  Plan Finish() {
    std::vector<PlannedSession> sessions;
    for (int i = 0; i < static_cast<int>(sessions_.size()); ++i) {
      if (removed_[i]) continue;
      for (const auto& p : sessions_[i].cases) {
        const CaseToPlace& c = *cases_.at(p.case_id);
        int64_t late = Lateness(p.slot, c);
        plan_.total_lateness_minutes += late;
        if (late == 0) {
          ++plan_.on_time;
        } else {
          ++plan_.late;
          plan_.late_reasons.push_back({c.id, sessions_[i].confirmed
                                                  ? "kept in its confirmed session"
                                                  : ReasonLate(problem_, c)});
        }
      }
      sessions.push_back(std::move(sessions_[i]));
    }
    std::sort(sessions.begin(), sessions.end(),
              [](const PlannedSession& a, const PlannedSession& b) {
                return std::tie(a.start_slot, a.chair) < std::tie(b.start_slot, b.chair);
              });
    plan_.sessions = std::move(sessions);
    std::sort(plan_.unplaced.begin(), plan_.unplaced.end(),
              [](const Unplaced& a, const Unplaced& b) { return a.case_id < b.case_id; });
    std::sort(plan_.moved.begin(), plan_.moved.end());
    std::sort(plan_.late_reasons.begin(), plan_.late_reasons.end(),
              [](const Unplaced& a, const Unplaced& b) { return a.case_id < b.case_id; });
    return std::move(plan_);
  }

  const Problem& problem_;
  const SlotGrid& grid_;
  const int d_;
  Bookings bookings_;
  std::map<std::string, const CaseToPlace*> cases_;
  std::set<std::string> placed_;
  std::vector<PlannedSession> sessions_;
  std::vector<bool> removed_;
  std::map<std::string, std::vector<int>> by_chair_;
  std::map<std::string, int> chair_load_;  // sessions chaired
  Plan plan_;
};

}  // namespace

Plan Schedule(const Problem& problem) { return Planner(problem).Run(); }

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
