// case_records: families, people, MDT allocations, CP plans, looked-after episodes, alerts and
// the NHS CP-IS look-up.
#include "common/server.h"
#include "services/case_records/case_records_definition.h"

int main(int argc, char** argv) {
  return fs::RunService(argc, argv, fs::cases::CaseRecordsDefinition());
}
