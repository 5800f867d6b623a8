#pragma once

#include "common/server.h"

namespace fs::testing {

// A subscriber for the event delivery tests: fs.events.v1.EventSink backed by the common inbox,
// whose effect is one row per applied event in applied_events. An event of case "cases/poison"
// makes the handler fail in the database (division by zero), as a constraint would.
ServiceDefinition EventRecorderDefinition();

}  // namespace fs::testing
