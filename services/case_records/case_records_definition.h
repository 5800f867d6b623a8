#pragma once

#include "common/server.h"

namespace fs::cases {

// Everything that makes this binary case_records: schema, ports, statements, migrations and
// services. Shared by main() and the integration tests, so tests run what production runs.
ServiceDefinition CaseRecordsDefinition();

}  // namespace fs::cases
