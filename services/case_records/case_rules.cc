#include "services/case_records/case_rules.h"

#include <algorithm>
#include <array>
#include <initializer_list>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/status.h"

namespace fs::cases {
namespace {

constexpr std::array<std::pair<CaseState, absl::string_view>, 6> kStateNames = {{
    {CaseState::kReferral, "REFERRAL"},
    {CaseState::kAssessment, "ASSESSMENT"},
    {CaseState::kChildInNeed, "CHILD_IN_NEED"},
    {CaseState::kChildProtection, "CHILD_PROTECTION"},
    {CaseState::kLookedAfter, "LOOKED_AFTER"},
    {CaseState::kClosed, "CLOSED"},
}};

absl::Status CheckInList(absl::string_view code, absl::string_view field,
                         std::initializer_list<absl::string_view> allowed,
                         absl::string_view list_name) {
  if (std::find(allowed.begin(), allowed.end(), code) != allowed.end()) {
    return absl::OkStatus();
  }
  return InvalidField(field, absl::StrCat(Quote(code), " is not a ", list_name, " code (",
                                          absl::StrJoin(allowed, ", "), ")"));
}

}  // namespace

absl::string_view CaseStateName(CaseState state) {
  for (const auto& [s, name] : kStateNames) {
    if (s == state) return name;
  }
  return "UNKNOWN";
}

absl::StatusOr<CaseState> ParseCaseState(absl::string_view name) {
  for (const auto& [s, n] : kStateNames) {
    if (n == name) return s;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown case state ", Quote(name)));
}

absl::Status CheckStateChange(CaseState from, CaseState to) {
  using S = CaseState;
  if (from == S::kClosed) {
    return absl::FailedPreconditionError("the case is closed; reopen it with ReopenCase");
  }
  if (to == S::kClosed) return InvalidField("state", "close a case with CloseCase");
  if (to == S::kReferral) {
    return InvalidField("state", "a case returns to REFERRAL only through ReopenCase");
  }
  if (from == to) {
    return absl::FailedPreconditionError(
        absl::StrCat("the case is already in ", CaseStateName(to)));
  }
  bool allowed = false;
  switch (from) {
    case S::kReferral:
      allowed = to == S::kAssessment;
      break;
    // After assessment the case is stepped up or down between the statutory plans freely.
    case S::kAssessment:
    case S::kChildInNeed:
    case S::kChildProtection:
    case S::kLookedAfter:
      allowed = to != S::kAssessment;
      break;
    case S::kClosed:
      break;
  }
  if (!allowed) {
    return absl::FailedPreconditionError(
        absl::StrCat("a case cannot move from ", CaseStateName(from), " to ", CaseStateName(to)));
  }
  return absl::OkStatus();
}

absl::Status CheckClosure(CaseState state, int open_plans, int open_episodes) {
  if (state == CaseState::kClosed) return absl::FailedPreconditionError("the case is closed");
  if (open_plans > 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "end the ", open_plans, " open child protection plan(s) before closing the case"));
  }
  if (open_episodes > 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "end the ", open_episodes, " open looked-after episode(s) before closing the case"));
  }
  return absl::OkStatus();
}

absl::Status CheckReasonForClosure(absl::string_view code, absl::string_view field) {
  return CheckInList(code, field, {"RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8", "RC9"},
                     "ReasonForClosure");
}

absl::Status CheckPrimaryNeedCode(absl::string_view code, absl::string_view field) {
  return CheckInList(code, field, {"N0", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9"},
                     "PrimaryNeedCode");
}

absl::Status CheckReferralSource(absl::string_view code, absl::string_view field) {
  return CheckInList(code, field,
                     {"1A", "1B", "1C", "1D", "2A", "2B", "3A", "3B", "3C", "3D", "3E",
                      "3F", "4",  "5A", "5B", "5C", "5D", "6",  "7",  "8",  "9",  "10"},
                     "ReferralSource");
}

absl::Status CheckCategoryOfAbuse(absl::string_view code, absl::string_view field) {
  return CheckInList(code, field, {"NEG", "PHY", "EMO", "SAB", "MUL"}, "category of abuse");
}

absl::Status CheckAssessmentFactor(absl::string_view code, absl::string_view field) {
  return CheckInList(code, field,
                     {"1A",  "1B",  "1C",  "2A",  "2B",  "2C",  "3A",  "3B",  "3C",  "4A",  "4B",
                      "4C",  "5A",  "5B",  "5C",  "6A",  "6B",  "6C",  "7A",  "8B",  "8C",  "8D",
                      "8E",  "8F",  "9A",  "10A", "11A", "12A", "13A", "14A", "15A", "16A", "17A",
                      "18B", "18C", "19A", "19B", "20",  "21",  "22A", "23A", "24A"},
                     "assessment factor");
}

absl::Status CheckLegalStatus(absl::string_view code, absl::string_view field) {
  return CheckInList(code, field,
                     {"C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4"},
                     "legal status (LS)");
}

absl::Status CheckReasonEpisodeEnded(absl::string_view code, absl::string_view field) {
  return CheckInList(code, field,
                     {"E11", "E12", "E13", "E14", "E15", "E16", "E17", "E2", "E3", "E41", "E45",
                      "E46", "E47", "E48", "E4A", "E4B", "E5",  "E6",  "E7", "E8", "E9",  "X1"},
                     "reason episode ended (REC)");
}

absl::Status CheckGenderCurrent(int code, absl::string_view field) {
  if (code == 0 || code == 1 || code == 2 || code == 9) return absl::OkStatus();
  return InvalidField(field, "GenderCurrent is 0 (not recorded), 1, 2 or 9 (indeterminate)");
}

}  // namespace fs::cases
