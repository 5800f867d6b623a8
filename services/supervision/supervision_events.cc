#include "services/supervision/supervision_events.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/events.h"
#include "common/idempotency.h"
#include "common/status.h"
#include "services/supervision/supervision_store.h"

namespace fs::supervision {

absl::Status ApplyCaseEvent(pqxx::work& tx, const ev::EventEnvelope& event) {
  auto parsed = EventCaseId(event);
  if (!parsed.ok()) return parsed.status();
  const std::string& case_id = *parsed;
  if (event.payload_case() == ev::EventEnvelope::kCaseOpened) {
    SupervisionStore::InsertCase(tx, case_id, event.case_opened().team());
    return absl::OkStatus();
  }
  if (!SupervisionStore::CaseExists(tx, case_id)) {
    return absl::FailedPreconditionError(
        absl::StrCat(event.case_(), " was never opened here (no CaseOpened received)"));
  }
  absl::Time when = absl::FromUnixSeconds(event.occurred_time().seconds()) +
                    absl::Nanoseconds(event.occurred_time().nanos());
  switch (event.payload_case()) {
    case ev::EventEnvelope::kCaseTeamChanged:
      SupervisionStore::SetTeam(tx, case_id, event.case_team_changed().to_team());
      break;
    case ev::EventEnvelope::kCaseClosed:
      SupervisionStore::Close(tx, case_id);
      break;
    case ev::EventEnvelope::kCaseReopened:
      SupervisionStore::Reopen(tx, case_id);
      break;
    case ev::EventEnvelope::kAllocationStarted: {
      const auto& a = event.allocation_started();
      if (a.allocation().empty() || a.practitioner().empty() || a.role().empty()) {
        return absl::InvalidArgumentError(
            "AllocationStarted without allocation, practitioner or role");
      }
      SupervisionStore::StartAllocation(tx, LastSegment(a.allocation()), case_id, a.practitioner(),
                                        a.role(), when);
      break;
    }
    case ev::EventEnvelope::kAllocationEnded:
      SupervisionStore::EndAllocation(tx, LastSegment(event.allocation_ended().allocation()));
      break;
    default:
      // Supervision subscribes to the types above; anything else changes nothing here.
      break;
  }
  return absl::OkStatus();
}

}  // namespace fs::supervision
