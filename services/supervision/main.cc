// supervision: Group Case Supervision cadence, availability, the automatic scheduler and the
// record of each session, fed by case_records' events.
#include "common/server.h"
#include "services/supervision/supervision_definition.h"

int main(int argc, char** argv) {
  return fs::RunService(argc, argv, fs::supervision::SupervisionDefinition());
}
