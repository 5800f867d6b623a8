#pragma once

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "fs/events/v1/events.pb.h"

// Events in and out of supervision. In: case_records' cases and allocations (who attends, when
// the first GCS falls due, which cases are open). Out: GcsHeld.
namespace fs::supervision {

namespace ev = ::fs::events::v1;

inline constexpr char kProducer[] = "supervision";

// The EventSink handler. FAILED_PRECONDITION for an event of a case never opened here.
absl::Status ApplyCaseEvent(pqxx::work& tx, const ev::EventEnvelope& event);

}  // namespace fs::supervision
