#pragma once

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "fs/events/v1/events.pb.h"

// Events in and out of outcomes. In: case_records' cases, people, plans and episodes; the
// workbook's module sessions; supervision's GcsHeld. Out: PartnerIncidentMatched (case_records
// alerts the lead worker).
namespace fs::outcomes {

namespace ev = ::fs::events::v1;

inline constexpr char kProducer[] = "outcomes";

// The EventSink handler. A case_records event of a case never opened here is
// FAILED_PRECONDITION; the workbook's and supervision's are kept by case id whatever the order
// the producers' relays deliver in.
absl::Status ApplyEvent(pqxx::work& tx, const ev::EventEnvelope& event);

}  // namespace fs::outcomes
