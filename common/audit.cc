#include "common/audit.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace fs {
namespace {

void AppendField(std::string* out, absl::string_view field) {
  absl::StrAppend(out, field.size(), ":", field);
}

}  // namespace

std::vector<PreparedStatement> AuditStatements() {
  return {{"fs_audit_append",
           "INSERT INTO audit_log (id, occurred_at, principal, role, action, resource, "
           "break_glass_reason, outcome, prev_hash, row_hash) "
           "VALUES (0, now(), $1, $2, $3, $4, $5, $6, '', '')"}};
}

void AppendAudit(pqxx::work& tx, const Caller& caller, const AuditEvent& event) {
  tx.exec_prepared0("fs_audit_append", caller.principal.uri, caller.AuditRole(), event.action,
                    event.resource, event.break_glass_reason, event.outcome);
}

absl::Status AppendAuditAlone(ConnectionPool& pool, const Caller& caller, const AuditEvent& event) {
  return pool.Transact([&](pqxx::work& tx) {
    AppendAudit(tx, caller, event);
    return absl::OkStatus();
  });
}

std::string AuditRowHash(const AuditRow& row) {
  std::string canonical;
  AppendField(&canonical, row.prev_hash);
  AppendField(&canonical, absl::StrCat(row.id));
  AppendField(&canonical, absl::StrCat(row.occurred_at_micros));
  AppendField(&canonical, row.principal);
  AppendField(&canonical, row.role);
  AppendField(&canonical, row.action);
  AppendField(&canonical, row.resource);
  AppendField(&canonical, row.break_glass_reason);
  AppendField(&canonical, row.outcome);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

long long FirstBrokenAuditRow(const std::vector<AuditRow>& rows) {
  std::string expected_prev(64, '0');
  long long expected_id = 1;
  for (const auto& row : rows) {
    if (row.id != expected_id || row.prev_hash != expected_prev ||
        row.row_hash != AuditRowHash(row)) {
      return row.id;
    }
    expected_prev = row.row_hash;
    expected_id = row.id + 1;
  }
  return 0;
}

}  // namespace fs
