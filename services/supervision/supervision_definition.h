#pragma once

#include <functional>

#include "absl/time/clock.h"
#include "common/server.h"

namespace fs::supervision {

// The supervision service: SupervisionService, and the EventSink case_records delivers to.
// `clock` is the present (tests set it).
ServiceDefinition SupervisionDefinition(std::function<absl::Time()> clock = absl::Now);

}  // namespace fs::supervision
