// The subscriber process of tests/python/events_test.py.
#include "common/server.h"
#include "tests/events/event_recorder.h"

int main(int argc, char** argv) {
  return fs::RunService(argc, argv, fs::testing::EventRecorderDefinition());
}
