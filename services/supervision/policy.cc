#include "services/supervision/policy.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace fs::supervision {
namespace {

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    std::string word(absl::StripAsciiWhitespace(part));
    if (!word.empty()) out.push_back(word);
  }
  return out;
}

bool IsToken(const std::string& word) {
  if (word.empty() || word.size() > 40) return false;
  return std::all_of(word.begin(), word.end(), [](char c) {
    return absl::ascii_isupper(static_cast<unsigned char>(c)) ||
           absl::ascii_isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

bool IsAdultSpecialist(const std::string& role) {
  return role == "DA_VICTIM_WORKER" || role == "DA_PERPETRATOR_WORKER" ||
         role == "RECOVERY_WORKER" || role == "MENTAL_HEALTH_PRACTITIONER" ||
         role == "CLINICAL_PSYCHOLOGIST";
}

absl::StatusOr<Policy> MakePolicy(int interval_days, int first_due_days, int case_minutes,
                                  int max_cases, int planning_window_days,
                                  const std::string& risk_scale, const std::string& quorum) {
  Policy policy;
  if (interval_days < 7 || interval_days > 92) {
    return absl::InvalidArgumentError("gcs_interval_days: 7 to 92");
  }
  if (first_due_days < 1 || first_due_days > 92) {
    return absl::InvalidArgumentError("gcs_first_due_days: 1 to 92");
  }
  if (case_minutes < 15 || case_minutes > 240 || case_minutes % 15 != 0) {
    return absl::InvalidArgumentError("gcs_case_minutes: a multiple of 15 from 15 to 240");
  }
  if (max_cases < 1 || max_cases > 20) return absl::InvalidArgumentError("gcs_max_cases: 1 to 20");
  if (planning_window_days < 0 || planning_window_days > interval_days) {
    return absl::InvalidArgumentError("gcs_planning_window_days: 0 to the interval");
  }
  policy.interval_days = interval_days;
  policy.first_due_days = first_due_days;
  policy.case_minutes = case_minutes;
  policy.max_cases = max_cases;
  policy.planning_window_days = planning_window_days;
  if (!risk_scale.empty()) {
    policy.risk_scale = Words(risk_scale);
    if (policy.risk_scale.empty() || policy.risk_scale.size() > 10 ||
        !std::all_of(policy.risk_scale.begin(), policy.risk_scale.end(), IsToken)) {
      return absl::InvalidArgumentError(
          "gcs_risk_scale: 1 to 10 ratings of capital letters, digits and '_', comma-separated");
    }
  }
  if (!quorum.empty()) {
    policy.quorum = Words(quorum);
    if (!std::all_of(policy.quorum.begin(), policy.quorum.end(), IsToken)) {
      return absl::InvalidArgumentError(
          "gcs_quorum: CHAIR, LEAD_SOCIAL_WORKER, ADULT_SPECIALIST or MDT role names");
    }
  }
  return policy;
}

std::optional<absl::Time> DueTime(const Policy& policy, const CaseTimes& times,
                                  absl::TimeZone zone) {
  if (!times.anyone_allocated) return std::nullopt;
  std::optional<absl::CivilDay> day;
  if (times.next_due_date) {
    day = *times.next_due_date;
  } else if (times.last_held) {
    day = absl::CivilDay(absl::ToCivilDay(*times.last_held, zone)) + policy.interval_days;
  } else if (times.first_allocation) {
    day = absl::CivilDay(absl::ToCivilDay(*times.first_allocation, zone)) + policy.first_due_days;
  }
  if (!day) return std::nullopt;
  // The end of the due day: a GCS any time that day is on time.
  return absl::FromCivil(absl::CivilSecond(*day + 1), zone);
}

absl::Status CheckQuorum(const Policy& policy, const std::string& chair,
                         const std::set<std::string>& attended,
                         const std::multimap<std::string, std::string>& allocations) {
  std::vector<std::string> missing;
  for (const auto& need : policy.quorum) {
    if (need == "CHAIR") {
      if (!attended.contains(chair)) missing.push_back("the chair");
    } else if (need == "ADULT_SPECIALIST") {
      // At least one of the adult specialists allocated (none allocated: nothing to ask).
      bool allocated = false;
      bool present = false;
      for (const auto& [who, role] : allocations) {
        if (!IsAdultSpecialist(role)) continue;
        allocated = true;
        present = present || attended.contains(who);
      }
      if (allocated && !present) missing.push_back("an adult specialist");
    } else {
      for (const auto& [who, role] : allocations) {
        if (role == need && !attended.contains(who)) {
          missing.push_back(absl::StrCat(who, " (", absl::AsciiStrToLower(need), ")"));
        }
      }
    }
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("quorum not met: ", absl::StrJoin(missing, ", "), " did not attend"));
}

}  // namespace fs::supervision
