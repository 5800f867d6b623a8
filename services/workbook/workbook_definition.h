#pragma once

#include "common/server.h"

namespace fs::workbook {

// The workbook service: WorkbookService, and the EventSink case_records delivers to.
ServiceDefinition WorkbookDefinition();

}  // namespace fs::workbook
