// outcomes: the council's outcome figures kept live from the services' events and from police and
// NHS reports, the comparisons evaluators make, and the front door's queue of unmatched incidents.
#include "common/server.h"
#include "services/outcomes/outcomes_definition.h"

int main(int argc, char** argv) {
  return fs::RunService(argc, argv, fs::outcomes::OutcomesDefinition());
}
