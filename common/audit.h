#pragma once

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/db_pool.h"
#include "common/identity.h"

namespace fs {

// One audit row as the service writes it; id, time and hashes are set by the database.
struct AuditEvent {
  std::string action;    // the RPC, e.g. "GetCase"
  std::string resource;  // the resource name, e.g. "cases/123"
  std::string outcome;   // "OK", or the canonical code name of the refusal
  // Set only when the access relied on break-glass: flags the row for managers' review.
  std::string break_glass_reason;
};

// A stored audit row, for verification.
struct AuditRow {
  long long id = 0;
  long long occurred_at_micros = 0;  // since the Unix epoch
  std::string principal;
  std::string role;
  std::string action;
  std::string resource;
  std::string break_glass_reason;
  std::string outcome;
  std::string prev_hash;
  std::string row_hash;
};

// Resource names and reasons longer than this are cut (with "...") before they are stored.
inline constexpr size_t kMaxAuditText = 512;

// Statements the audit writer needs; add them to the pool's prepared statements.
std::vector<PreparedStatement> AuditStatements();

// Appends an audit row inside the RPC's transaction: durable exactly when the effect is.
void AppendAudit(pqxx::work& tx, const Caller& caller, const AuditEvent& event);

// The same for a caller whose identity did not verify: `principal` is what is known of it.
void AppendAuditUnverified(pqxx::work& tx, const std::string& principal, const AuditEvent& event);

// Appends an audit row in a transaction of its own (refused or failed calls).
absl::Status AppendAuditAlone(ConnectionPool& pool, const Caller& caller, const AuditEvent& event);

// SHA-256 over the canonical text of a row, hex encoded: the same as the database computes.
std::string AuditRowHash(const AuditRow& row);

// Verifies a chain read in id order from the first row; returns the id of the first row that
// does not verify, or 0 when the chain is intact.
long long FirstBrokenAuditRow(const std::vector<AuditRow>& rows);

}  // namespace fs
