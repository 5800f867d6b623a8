// A producer for the event delivery tests: serves nothing but health and runs the outbox relay
// to the subscribers given by --event_subscribers. Tests fill its outbox directly.
#include "common/migrations.h"
#include "common/server.h"

int main(int argc, char** argv) {
  fs::ServiceDefinition definition;
  definition.name = "event_producer";
  definition.migrations = fs::EmbeddedMigrations();
  definition.make_services = [](fs::ConnectionPool&, const fs::ServerConfig&) {
    return std::vector<std::pair<std::unique_ptr<grpc::Service>, std::string>>();
  };
  return fs::RunService(argc, argv, definition);
}
