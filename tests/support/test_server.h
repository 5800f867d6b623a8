#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/db_pool.h"
#include "common/metrics.h"
#include "common/server.h"
#include "tests/support/test_database.h"

namespace fs::testing {

// A service running in-process on a real gRPC port against its own throwaway database, the way
// RunService runs it (migrations, pool, health, interceptor), with insecure dev auth so tests
// can say who is calling in metadata.
class TestServer {
 public:
  // `definition.name` is the schema and role suffix. Starts serving before returning.
  explicit TestServer(const ServiceDefinition& definition,
                      void (*configure)(ServerConfig&) = nullptr);
  ~TestServer();

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  const TestDatabase& database() const { return database_; }
  ConnectionPool& pool() { return *pool_; }
  Metrics& metrics() { return metrics_; }
  int port() const { return server_->port(); }

 private:
  TestDatabase database_;
  Metrics metrics_;
  std::unique_ptr<ConnectionPool> pool_;
  std::vector<std::pair<std::unique_ptr<grpc::Service>, std::string>> services_;
  std::unique_ptr<Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

// Metadata a trusted front end would send for a practitioner.
struct As {
  std::string practitioner;
  std::string role = "social_worker";
  std::string teams;
  std::string break_glass_reason;
};

// A client context carrying the identity, with a 10 s deadline.
std::unique_ptr<grpc::ClientContext> ContextFor(const As& who);
// A client context for a partner or service principal path such as "partner/nhs/RXH".
std::unique_ptr<grpc::ClientContext> ContextForPrincipal(const std::string& path);

}  // namespace fs::testing
