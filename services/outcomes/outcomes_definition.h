#pragma once

#include <functional>

#include "absl/time/clock.h"
#include "common/server.h"

namespace fs::outcomes {

// The outcomes service: PartnerIntakeService, OutcomesService, and the EventSink case_records,
// the workbook and supervision deliver to. `clock` is the present (tests set it).
ServiceDefinition OutcomesDefinition(std::function<absl::Time()> clock = absl::Now);

}  // namespace fs::outcomes
