#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/bank_holidays.h"

// The Group Case Supervision scheduler: sessions (a chair, a time, up to K cases of T minutes
// each) at times when every required attendee is free, before each case's due date. Pure C++,
// deterministic for the same input.
namespace fs::supervision {

// Equal slots over the planning horizon in absolute time; each slot knows its local day,
// weekday and minute in the council's zone, so clock changes need no special case.
class SlotGrid {
 public:
  SlotGrid(absl::Time start, absl::Time end, absl::Duration slot, absl::TimeZone zone);
  int size() const { return static_cast<int>(days_.size()); }
  absl::Duration slot() const { return slot_; }
  absl::Time TimeOf(int slot) const { return start_ + slot * slot_; }
  // The slot containing `t`, clamped to [0, size()].
  int SlotAt(absl::Time t) const;
  absl::CivilDay Day(int slot) const { return days_[slot]; }
  int MinuteOfDay(int slot) const { return minutes_[slot]; }
  absl::TimeZone zone() const { return zone_; }

 private:
  absl::Time start_;
  absl::Duration slot_;
  absl::TimeZone zone_;
  std::vector<absl::CivilDay> days_;
  std::vector<int> minutes_;
};

// 0 Monday .. 6 Sunday: the index of WorkingHours::days.
int WeekdayIndex(absl::CivilDay day);

// Working hours per weekday (0 Monday .. 6 Sunday): [start, end) minutes after local midnight.
struct WorkingHours {
  std::array<std::vector<std::pair<int, int>>, 7> days;
  // Monday to Friday, 09:00 to 17:00.
  static WorkingHours Standard();
};

// What a practitioner told us of their time.
struct Availability {
  WorkingHours hours = WorkingHours::Standard();
  std::vector<std::pair<absl::CivilDay, absl::CivilDay>> leave;  // whole local days, inclusive
  std::vector<std::pair<absl::Time, absl::Time>> busy;           // [from, to)
};

// Free slots of one person over the grid (a bit per slot).
class FreeTime {
 public:
  FreeTime() = default;
  explicit FreeTime(int slots) : slots_(slots), words_((slots + 63) / 64, 0) {}
  void Set(int from, int to, bool free);
  bool IsFree(int slot) const { return (words_[slot / 64] >> (slot % 64)) & 1; }
  bool IsFreeRun(int from, int length) const;
  bool Any(int length) const;  // some run of `length` free slots exists
  int slots() const { return slots_; }
  const std::vector<uint64_t>& words() const { return words_; }

 private:
  int slots_ = 0;
  std::vector<uint64_t> words_;
};

// Working hours, minus bank holidays, leave and busy blocks.
FreeTime BuildFreeTime(const SlotGrid& grid, const Availability& availability,
                       const HolidayCalendar& holidays);

// The first slot s in [from, to - length] where every person is free for [s, s + length), or -1.
int EarliestCommonRun(const std::vector<const FreeTime*>& people, int from, int to, int length);

struct CaseToPlace {
  std::string id;
  absl::Time due;
  // Not before this (a GCS far ahead of its due date shortens the next interval for nothing).
  absl::Time earliest;
  // Practitioners who must attend (the chair aside).
  std::vector<std::string> attendees;
  // Who may chair, in order of preference (the team manager, then named deputies).
  std::vector<std::string> chairs;
};

struct Placement {
  std::string case_id;
  int slot = 0;  // start slot of the case's part of the session
};

struct PlannedSession {
  std::string id;  // empty for a session made by this run
  std::string chair;
  int start_slot = 0;
  int end_slot = 0;  // exclusive
  std::vector<Placement> cases;
  bool confirmed = false;
};

struct Unplaced {
  std::string case_id;
  std::string reason;
};

struct Problem {
  const SlotGrid* grid = nullptr;
  int case_slots = 2;                    // T minutes as slots
  int max_cases = 6;                     // K
  std::map<std::string, FreeTime> free;  // every practitioner named anywhere
  std::vector<CaseToPlace> cases;
  // Sessions confirmed earlier: kept while still possible (their cases among `cases`).
  std::vector<PlannedSession> confirmed;
};

struct Plan {
  std::vector<PlannedSession> sessions;  // by start, then chair
  std::vector<Unplaced> unplaced;        // by case id
  int64_t total_lateness_minutes = 0;
  int on_time = 0;
  int late = 0;
  // Cases taken out of confirmed sessions because they became impossible there.
  std::vector<std::string> moved;
  // Every case placed after its due date, and why no earlier time was possible (by case id).
  std::vector<Unplaced> late_reasons;
};

Plan Schedule(const Problem& problem);

// Sessions each practitioner attends (chairing or for at least one case).
std::map<std::string, int> SessionsPerPractitioner(const Plan& plan,
                                                   const std::vector<CaseToPlace>& cases);

}  // namespace fs::supervision
