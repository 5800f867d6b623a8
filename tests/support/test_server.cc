#include "tests/support/test_server.h"

#include <chrono>
#include <pqxx/pqxx>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "common/migrations.h"

namespace fs::testing {

TestServer::TestServer(const ServiceDefinition& definition, void (*configure)(ServerConfig&))
    : database_(definition.name) {
  ServerConfig config;
  config.service_name = definition.name;
  config.db_url = database_.service_url();
  config.grpc_port = 0;
  config.insecure_dev_auth = true;
  config.pool_size = 4;
  config.health_check_interval = absl::Milliseconds(200);
  config.shutdown_grace = absl::Seconds(2);
  if (configure != nullptr) configure(config);
  config.migration_db_url = database_.owner_url();
  auto migrated = MigrateForService(config.db_url, config.migration_db_url, definition.name,
                                    definition.migrations);
  if (!migrated.ok()) throw std::runtime_error(std::string(migrated.message()));
  ConnectionPool::Options options;
  options.url = config.db_url;
  options.schema = definition.name;
  options.size = config.pool_size;
  options.acquire_timeout = absl::Seconds(2);
  pool_ = std::make_unique<ConnectionPool>(options, WithCommonStatements(definition.statements),
                                           &metrics_.pool());
  services_ = definition.make_services(*pool_, config);
  server_ = std::make_unique<Server>(config, &metrics_);
  for (auto& [service, name] : services_) server_->AddService(service.get(), name);
  auto status = server_->Start();
  if (!status.ok()) throw std::runtime_error(std::string(status.message()));
  channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                 grpc::InsecureChannelCredentials());
}

TestServer::~TestServer() {
  server_->Shutdown();
  pool_->Close();
}

std::unique_ptr<grpc::ClientContext> ContextFor(const As& who) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context->AddMetadata("x-fs-principal",
                       absl::StrCat("spiffe://fs.local/practitioner/", who.practitioner));
  context->AddMetadata("x-fs-role", who.role);
  if (!who.teams.empty()) context->AddMetadata("x-fs-team", who.teams);
  if (!who.break_glass_reason.empty()) {
    context->AddMetadata("x-fs-break-glass-reason", who.break_glass_reason);
  }
  return context;
}

std::unique_ptr<grpc::ClientContext> ContextForPrincipal(const std::string& path) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  context->AddMetadata("x-fs-principal", absl::StrCat("spiffe://fs.local/", path));
  return context;
}

}  // namespace fs::testing
