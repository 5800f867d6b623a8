// workbook: the Electronic Workbook (entries, revisions, search, chronologies, parenting
// assessments), fed by case_records' events.
#include "common/server.h"
#include "services/workbook/workbook_definition.h"

int main(int argc, char** argv) {
  return fs::RunService(argc, argv, fs::workbook::WorkbookDefinition());
}
