#include "common/case_access.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace fs {

absl::Status RequirePractitioner(const Caller& caller) {
  if (caller.is_practitioner()) return absl::OkStatus();
  return absl::PermissionDeniedError(
      absl::StrCat(caller.principal.uri, " may not call practitioner methods"));
}

absl::Status RequireTeamManager(const Caller& caller) {
  if (auto status = RequirePractitioner(caller); !status.ok()) return status;
  if (caller.role == PractitionerRole::kTeamManager) return absl::OkStatus();
  return absl::PermissionDeniedError("only team managers may do this");
}

bool ManagesTeam(const Caller& caller, absl::string_view team) {
  return caller.is_practitioner() && caller.role == PractitionerRole::kTeamManager &&
         !team.empty() &&
         std::find(caller.teams.begin(), caller.teams.end(), team) != caller.teams.end();
}

absl::StatusOr<AccessBasis> DecideCaseAccess(const Caller& caller,
                                             const CaseRelationship& relationship,
                                             CaseIntent intent) {
  if (auto status = RequirePractitioner(caller); !status.ok()) return status;
  if (relationship.allocated) return AccessBasis::kAllocated;
  if (ManagesTeam(caller, relationship.team)) return AccessBasis::kTeamManager;
  if (!caller.break_glass_reason.empty()) {
    if (caller.break_glass_reason.size() < 10 || caller.break_glass_reason.size() > 500) {
      return absl::InvalidArgumentError(
          "x-fs-break-glass-reason: give a reason of 10 to 500 characters");
    }
    if (intent == CaseIntent::kWrite) {
      return absl::PermissionDeniedError(
          "break-glass gives read-only access; ask the team manager to allocate you to change "
          "this case");
    }
    return AccessBasis::kBreakGlass;
  }
  return absl::PermissionDeniedError(
      "no legitimate relationship to this case (not allocated, not its team manager); give "
      "x-fs-break-glass-reason to access it, which is audited and reviewed");
}

}  // namespace fs
