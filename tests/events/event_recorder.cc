#include "tests/events/event_recorder.h"

#include "common/events.h"
#include "common/migrations.h"

namespace fs::testing {

ServiceDefinition EventRecorderDefinition() {
  ServiceDefinition definition;
  definition.name = "event_recorder";
  definition.statements = {
      {"record_event",
       "INSERT INTO applied_events (event_id, case_key, sequence, type) VALUES ($1::uuid, $2, "
       "$3, $4)"}};
  definition.migrations = EmbeddedMigrations();
  definition.make_services = [](ConnectionPool& pool, const ServerConfig& config) {
    IdentityOptions identity{config.insecure_dev_auth, config.trust_domain,
                             config.trusted_frontends};
    auto record = [](pqxx::work& tx, const ev::EventEnvelope& event) {
      if (event.case_() == "cases/poison") tx.exec("SELECT 1 / 0");
      tx.exec_prepared0("record_event", event.event_id(), event.case_(), event.sequence(),
                        event.type());
      return absl::OkStatus();
    };
    std::vector<std::pair<std::unique_ptr<grpc::Service>, std::string>> services;
    services.emplace_back(
        std::make_unique<EventSinkService>(pool, identity, config.event_producers, record),
        "fs.events.v1.EventSink");
    return services;
  };
  return definition;
}

}  // namespace fs::testing
