#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>
#include <pqxx/pqxx>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/audit.h"
#include "common/db_pool.h"
#include "common/identity.h"

namespace fs {

// Runs one RPC: resolves the caller, runs the body in one transaction that ends with the audit
// row, audits refusals in a transaction of their own, and maps the status once.
class RpcRunner {
 public:
  using Body = std::function<absl::Status(const Caller&, pqxx::work&, AuditEvent&)>;
  // `practitioners_only`: every other principal is refused (and audited) before the body runs.
  RpcRunner(ConnectionPool& pool, IdentityOptions identity, bool practitioners_only)
      : pool_(pool), identity_(std::move(identity)), practitioners_only_(practitioners_only) {}

  template <typename Response>
  grpc::Status Run(grpc::ServerContext* context, absl::string_view action,
                   absl::string_view resource, Response* response, const Body& body) {
    return RunBody(context, action, resource, [&](const Caller& c, pqxx::work& tx, AuditEvent& e) {
      response->Clear();  // a retried transaction starts from an empty response
      return body(c, tx, e);
    });
  }

 private:
  grpc::Status RunBody(grpc::ServerContext* context, absl::string_view action,
                       absl::string_view resource, const Body& body);
  ConnectionPool& pool_;
  IdentityOptions identity_;
  bool practitioners_only_;
};

}  // namespace fs
