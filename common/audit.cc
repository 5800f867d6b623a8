#include "common/audit.h"

#include <openssl/sha.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace fs {
namespace {

void AppendField(std::string* out, absl::string_view field) {
  absl::StrAppend(out, field.size(), ":", field);
}

// Caller-supplied text (an invalid resource name, a reason) is kept to `max` bytes in a table
// nobody can delete from, cut at a UTF-8 character boundary.
std::string Bounded(absl::string_view text, size_t max) {
  if (text.size() <= max) return std::string(text);
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return absl::StrCat(text.substr(0, end), "...");
}

}  // namespace

std::vector<PreparedStatement> AuditStatements() {
  return {{"fs_audit_append",
           "INSERT INTO audit_log (id, occurred_at, principal, role, action, resource, "
           "break_glass_reason, outcome, prev_hash, row_hash) "
           "VALUES (0, now(), $1, $2, $3, $4, $5, $6, '', '')"}};
}

namespace {
void Append(pqxx::work& tx, const std::string& principal, const std::string& role,
            const AuditEvent& event) {
  tx.exec_prepared0("fs_audit_append", Bounded(principal, kMaxAuditText), role, event.action,
                    Bounded(event.resource, kMaxAuditText),
                    Bounded(event.break_glass_reason, kMaxAuditText), event.outcome);
}
}  // namespace

void AppendAudit(pqxx::work& tx, const Caller& caller, const AuditEvent& event) {
  Append(tx, caller.principal.uri, caller.AuditRole(), event);
}

void AppendAuditUnverified(pqxx::work& tx, const std::string& principal, const AuditEvent& event) {
  Append(tx, principal, "unverified", event);
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
