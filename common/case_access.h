#pragma once

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/identity.h"

// Who may read or change a case: need-to-know, with audited break-glass. Pure C++.
namespace fs {

enum class AccessBasis {
  kAllocated,    // an active MDT allocation on the case
  kTeamManager,  // team manager of the case's team
  kBreakGlass,   // no relationship: allowed with a reason, audited and flagged
};

// Break-glass is for reading in an emergency; changing a case needs a relationship.
enum class CaseIntent { kRead, kWrite };

// What the store knows about the caller's relationship to one case.
struct CaseRelationship {
  bool allocated = false;
  absl::string_view team;
};

// PERMISSION_DENIED for partners and services (they have their own narrow RPCs), for a
// practitioner with no relationship and no break-glass reason, and for break-glass writes.
absl::StatusOr<AccessBasis> DecideCaseAccess(const Caller& caller,
                                             const CaseRelationship& relationship,
                                             CaseIntent intent = CaseIntent::kRead);

// A team manager whose teams include `team`: allocates, hands over the lead, moves cases.
bool ManagesTeam(const Caller& caller, absl::string_view team);

// Only practitioners call case and workbook RPCs; partners use their own narrow RPCs.
absl::Status RequirePractitioner(const Caller& caller);

// Team managers only (break-glass review list).
absl::Status RequireTeamManager(const Caller& caller);

}  // namespace fs
