#pragma once

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/db_pool.h"
#include "common/identity.h"

// Idempotent creates: a retried create with the same request_id returns what the first made.
// The service's schema has the table:
//   create_requests (principal, method, request_id, resource, create_time,
//                    PRIMARY KEY (principal, method, request_id))
namespace fs {

std::vector<PreparedStatement> CreateRequestStatements();

// The id (last segment of the resource name) this caller's earlier `method` call with the same
// request_id made, if any; nothing when request_id is empty.
std::optional<std::string> EarlierCreate(pqxx::work& tx, const Caller& caller,
                                         absl::string_view method, const std::string& request_id);

// Records what a create with a request_id made, so that a retry returns it.
void RememberCreate(pqxx::work& tx, const Caller& caller, absl::string_view method,
                    const std::string& request_id, const std::string& resource);

// A request_id names one create: reusing it for a different parent is the caller's mistake.
absl::Status RequestIdReused();

// "cases/a/people/b" -> "b".
std::string LastSegment(const std::string& name);

}  // namespace fs
