#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

// The council's GCS policy (configuration) and what follows from it: when a case is due and
// whether a session's attendance makes a quorum. Pure C++.
namespace fs::supervision {

// Roles that count as an adult specialist for the quorum.
bool IsAdultSpecialist(const std::string& role);

struct Policy {
  int interval_days = 28;         // N: at least every N days after the last GCS
  int first_due_days = 14;        // M: the first within M days of the first allocation
  int case_minutes = 30;          // T
  int max_cases = 6;              // K
  int planning_window_days = 10;  // planned no earlier than this before the due date
  std::vector<std::string> risk_scale = {"RED", "AMBER", "GREEN"};
  // Who must attend for a case's record to stand: CHAIR, LEAD_SOCIAL_WORKER, ADULT_SPECIALIST
  // (at least one of those allocated, if any is), or any MDT role name (every holder of it).
  std::vector<std::string> quorum = {"CHAIR", "LEAD_SOCIAL_WORKER", "ADULT_SPECIALIST"};
};

// From configuration text: numbers as given; scale and quorum comma-separated.
absl::StatusOr<Policy> MakePolicy(int interval_days, int first_due_days, int case_minutes,
                                  int max_cases, int planning_window_days,
                                  const std::string& risk_scale, const std::string& quorum);

// What is known of a case's supervision.
struct CaseTimes {
  std::optional<absl::Time> first_allocation;
  std::optional<absl::Time> last_held;
  std::optional<absl::CivilDay> next_due_date;  // set by the last record
  // Whether anyone is allocated now: a case with nobody allocated has nobody to supervise.
  bool anyone_allocated = true;
};

// When the case is due: the end of the due day in `zone`. The next due date the last record
// set; else the last GCS plus N days; else the first allocation plus M days; nullopt when no
// one was ever allocated, or nobody is now (nothing to supervise).
std::optional<absl::Time> DueTime(const Policy& policy, const CaseTimes& times,
                                  absl::TimeZone zone);

// FAILED_PRECONDITION naming what is missing, when `attended` (with `chair`) does not make the
// quorum for a case with these allocations (practitioner -> MDT role).
absl::Status CheckQuorum(const Policy& policy, const std::string& chair,
                         const std::set<std::string>& attended,
                         const std::multimap<std::string, std::string>& allocations);

}  // namespace fs::supervision
