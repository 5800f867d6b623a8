#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/dates.h"

// The rules of a case record: its lifecycle and the DfE code lists it is recorded in. Pure C++.
namespace fs::cases {

enum class CaseState {
  kReferral,
  kAssessment,
  kChildInNeed,
  kChildProtection,
  kLookedAfter,
  kClosed,
};

absl::string_view CaseStateName(CaseState state);  // "REFERRAL", ...
absl::StatusOr<CaseState> ParseCaseState(absl::string_view name);

// Whether ChangeCaseState may move an open case from `from` to `to`. Closing and reopening have
// methods of their own (CloseCase, ReopenCase), so CLOSED is never a target or source here.
absl::Status CheckStateChange(CaseState from, CaseState to);

// Whether a case may close now: it must be open and have no open CP plan or looked-after
// episode.
absl::Status CheckClosure(CaseState state, int open_plans, int open_episodes);

// DfE code lists. Each returns INVALID_ARGUMENT naming `field` when the code is not in the list.
absl::Status CheckReasonForClosure(absl::string_view code, absl::string_view field);  // RC1-RC9
absl::Status CheckPrimaryNeedCode(absl::string_view code, absl::string_view field);   // N0-N9
absl::Status CheckReferralSource(absl::string_view code, absl::string_view field);
absl::Status CheckCategoryOfAbuse(absl::string_view code, absl::string_view field);  // NEG...MUL
absl::Status CheckAssessmentFactor(absl::string_view code, absl::string_view field);
absl::Status CheckLegalStatus(absl::string_view code, absl::string_view field);  // SSDA903 LS
absl::Status CheckReasonEpisodeEnded(absl::string_view code, absl::string_view field);  // REC
absl::Status CheckGenderCurrent(int code, absl::string_view field);  // 0, 1, 2, 9

}  // namespace fs::cases
