#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/service_type.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "common/config.h"
#include "common/db_pool.h"
#include "common/metrics.h"
#include "common/migrations.h"

namespace fs {

// A gRPC server with the health service (NOT_SERVING while the database is unreachable),
// reflection, the metrics interceptor, TLS or insecure dev credentials, and a graceful stop.
class Server {
 public:
  Server(const ServerConfig& config, Metrics* metrics);
  ~Server();

  // `health_name` is the fully qualified service name reported by grpc.health.v1.
  void AddService(grpc::Service* service, std::string health_name);
  // Binds and starts serving; with grpc_port 0 the kernel picks a port (see port()).
  absl::Status Start();
  int port() const { return port_; }
  // The plaintext health-only port (config.health_port; 0 when there is none).
  int health_port() const { return health_port_; }
  // Stops accepting, lets in-flight calls finish within the grace period, stops probing.
  void Shutdown();

 private:
  void ProbeLoop();
  void SetServing(bool serving);

  ServerConfig config_;
  DatabaseProbe probe_;
  Metrics* metrics_;
  std::vector<std::pair<grpc::Service*, std::string>> services_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;
  int port_ = 0;
  int health_port_ = 0;
  std::thread prober_;
  std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
};

// Everything a service binary differs in.
struct ServiceDefinition {
  std::string name;  // "case_records": also the PostgreSQL schema
  int default_grpc_port = 0;
  int default_metrics_port = 0;
  std::vector<PreparedStatement> statements;
  // Common migrations first, then the service's own (see fs_embed_migrations in CMake).
  std::vector<Migration> migrations;
  // Builds the gRPC services; they live until the process exits.
  std::function<std::vector<std::pair<std::unique_ptr<grpc::Service>, std::string>>(
      ConnectionPool&, const ServerConfig&)>
      make_services;
  // Optional: work in the background once serving (e.g. gauges refreshed from the database);
  // the returned object stops it when destroyed, before the server drains.
  std::function<std::shared_ptr<void>(ConnectionPool&, prometheus::Registry&)> background;
};

// The service's own statements plus those every service runs (audit, outbox, inbox).
std::vector<PreparedStatement> WithCommonStatements(std::vector<PreparedStatement> statements);

// main() of every service: flags, metrics, pool, migrations, serve until SIGTERM/SIGINT.
int RunService(int argc, char** argv, const ServiceDefinition& definition);

}  // namespace fs
