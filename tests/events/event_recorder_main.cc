// A subscriber for the event delivery tests: fs.events.v1.EventSink backed by the common inbox,
// whose effect is one row per applied event in applied_events.
#include "common/events.h"
#include "common/migrations.h"
#include "common/server.h"

int main(int argc, char** argv) {
  fs::ServiceDefinition definition;
  definition.name = "event_recorder";
  definition.statements = {
      {"record_event",
       "INSERT INTO applied_events (event_id, case_key, sequence, type) VALUES ($1::uuid, $2, "
       "$3, $4)"}};
  definition.migrations = fs::EmbeddedMigrations();
  definition.make_services = [](fs::ConnectionPool& pool, const fs::ServerConfig& config) {
    fs::IdentityOptions identity{config.insecure_dev_auth, config.trust_domain,
                                 config.trusted_frontends};
    auto record = [](pqxx::work& tx, const fs::ev::EventEnvelope& event) {
      tx.exec_prepared0("record_event", event.event_id(), event.case_(), event.sequence(),
                        event.type());
      return absl::OkStatus();
    };
    std::vector<std::pair<std::unique_ptr<grpc::Service>, std::string>> services;
    services.emplace_back(
        std::make_unique<fs::EventSinkService>(pool, identity, config.event_producers, record),
        "fs.events.v1.EventSink");
    return services;
  };
  return fs::RunService(argc, argv, definition);
}
