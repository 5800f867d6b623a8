#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/bank_holidays.h"
#include "services/supervision/scheduler.h"

// Generated Group Case Supervision instances for the benchmark (tests/bench), and an evaluation
// of a plan that does not trust the scheduler: soundness and the figures the benchmark reports.
namespace fs::supervision::bench {

// A small deterministic generator (splitmix64): the same seed gives the same instance with any
// standard library (std:: distributions are not specified bit for bit).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  int Uniform(int lo, int hi);  // inclusive
  bool Chance(double p);

 private:
  uint64_t state_;
};

struct InstanceSpec {
  std::string name;
  int cases = 100;
  int practitioners = 15;  // everyone, managers and deputies included
  // Horizon: [first_day 00:00, end_day 00:00) Europe/London.
  absl::CivilDay first_day = absl::CivilDay(2026, 11, 2);
  absl::CivilDay end_day = absl::CivilDay(2026, 12, 1);
  uint64_t seed = 1;
  int case_minutes = 30;  // T
  int max_cases = 6;      // K
};

struct Person {
  std::string id;
  std::string role;  // manager, deputy, social worker, DA victim worker, ...
  int team = 0;
  Availability availability;
};

struct Instance {
  InstanceSpec spec;
  absl::TimeZone zone;
  HolidayCalendar holidays;
  std::unique_ptr<SlotGrid> grid;
  int teams = 0;
  std::vector<Person> people;
  std::vector<CaseToPlace> cases;
};

// Teams of a manager, a deputy and 8-12 practitioners (social workers, DA victim and perpetrator
// workers, recovery, mental health, family support); Mon-Fri 9-17 for most, some part-time
// patterns, ~10% on a week of leave, a few busy blocks a week each (all on half hours); cases of
// the team with 3-6 allocated practitioners, due at 17:00 on days spread over the horizon (~8%
// already overdue), earliest = due - 10 days, chairs {manager, deputy}.
Instance Generate(const InstanceSpec& spec);

// Builds each person's free time (BuildFreeTime) into a Problem over instance.grid.
Problem MakeProblem(const Instance& instance);

// A text digest of everything generated (for the determinism test).
std::string Fingerprint(const Instance& instance);
std::string Fingerprint(const Plan& plan);

// Lateness of a case ending at `end_slot` as the scheduler counts it (whole minutes, rounded up).
int64_t LatenessMinutes(const SlotGrid& grid, int end_slot, absl::Time due);

struct Evaluation {
  bool sound = true;
  std::string first_fault;  // when not sound
  int placed = 0;
  int on_time = 0;
  int late = 0;
  int unplaced = 0;
  int64_t lateness_minutes = 0;
  // A lower bound on lateness_minutes: each placed case at the earliest time its attendees and
  // one of its chairs are free in their own free time, as if no other case existed.
  int64_t lateness_alone_minutes = 0;
  int sessions = 0;
  int64_t attendances = 0;  // sum over practitioners of sessions attended
  int max_sessions_per_practitioner = 0;
  double mean_sessions_per_practitioner = 0;  // over everyone with at least one session
  int max_chaired = 0;
  // Unplaced cases for which attendees and a chair had a common free time from `earliest` in
  // their own free time (before anything was booked): capacity, or the scheduler's order.
  int unplaced_but_free_alone = 0;
};

// Recomputes everything from the problem (never from the plan's own counters) and checks:
// every case placed once or reported unplaced, at most K cases a session, a session on one day,
// the chair one of the case's chairs, not before `earliest`, nobody double-booked, everyone free.
Evaluation Evaluate(const Problem& problem, const Plan& plan);

}  // namespace fs::supervision::bench
