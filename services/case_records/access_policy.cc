#include "services/case_records/access_policy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace fs::cases {

absl::Status RequirePractitioner(const Caller& caller) {
  if (caller.is_practitioner()) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat(caller.principal.uri, " may not call case-records methods"));
}

absl::Status RequireTeamManager(const Caller& caller) {
  if (auto status = RequirePractitioner(caller); !status.ok()) return status;
  if (caller.role == PractitionerRole::kTeamManager) return absl::OkStatus();
  return absl::PermissionDeniedError("only team managers may do this");
}

absl::StatusOr<AccessBasis> DecideCaseAccess(const Caller& caller,
                                             const CaseRelationship& relationship) {
  if (auto status = RequirePractitioner(caller); !status.ok()) return status;
  if (relationship.allocated) return AccessBasis::kAllocated;
  if (caller.role == PractitionerRole::kTeamManager && !relationship.team.empty() &&
      std::find(caller.teams.begin(), caller.teams.end(), relationship.team) !=
          caller.teams.end()) {
    return AccessBasis::kTeamManager;
  }
  if (!caller.break_glass_reason.empty()) {
    if (caller.break_glass_reason.size() < 10) {
      return absl::InvalidArgumentError(
          "x-fs-break-glass-reason: give a reason of at least 10 characters");
    }
    return AccessBasis::kBreakGlass;
  }
  return absl::PermissionDeniedError(
      "no legitimate relationship to this case (not allocated, not its team manager); give "
      "x-fs-break-glass-reason to access it, which is audited and reviewed");
}

}  // namespace fs::cases
