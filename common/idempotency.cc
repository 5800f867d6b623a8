#include "common/idempotency.h"

#include "common/status.h"

namespace fs {

std::vector<PreparedStatement> CreateRequestStatements() {
  return {
      {"find_create_request",
       "SELECT resource FROM create_requests WHERE principal = $1 AND method = $2 AND "
       "request_id = $3"},
      {"record_create_request",
       "INSERT INTO create_requests (principal, method, request_id, resource) VALUES ($1, $2, $3, "
       "$4)"},
  };
}

std::string LastSegment(const std::string& name) { return name.substr(name.rfind('/') + 1); }

std::optional<std::string> EarlierCreate(pqxx::work& tx, const Caller& caller,
                                         absl::string_view method, const std::string& request_id) {
  if (request_id.empty()) return std::nullopt;
  auto rows = tx.exec_prepared("find_create_request", caller.principal.uri, std::string(method),
                               request_id);
  if (rows.empty()) return std::nullopt;
  return LastSegment(rows[0][0].as<std::string>());
}

void RememberCreate(pqxx::work& tx, const Caller& caller, absl::string_view method,
                    const std::string& request_id, const std::string& resource) {
  if (request_id.empty()) return;
  tx.exec_prepared0("record_create_request", caller.principal.uri, std::string(method), request_id,
                    resource);
}

absl::Status RequestIdReused() {
  return InvalidField("request_id",
                      "already used for a different request; use a new request_id for each "
                      "create");
}

}  // namespace fs
