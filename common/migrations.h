#pragma once

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace fs {

// One migration: "V001__create_schema.sql" from common/migrations or a service's own folder.
struct Migration {
  std::string version;  // "common/V001" or "V001": unique, applied in list order
  std::string name;     // "create_schema"
  std::string sql;
};

// The embedded migrations of a service binary, common ones first (generated at build time).
const std::vector<Migration>& EmbeddedMigrations();

// Hex SHA-256 of the migration's SQL.
std::string MigrationChecksum(const Migration& migration);

// Applies what is not yet applied to `schema` under a session advisory lock, each migration in
// its own transaction with its checksum recorded in <schema>.schema_migrations. Refuses
// (FAILED_PRECONDITION) when an applied migration's SQL has changed since.
// When `runtime_role` is given, GrantRuntimeAccess runs under the same lock, so replicas
// starting together do not grant concurrently.
absl::Status ApplyMigrations(pqxx::connection& conn, const std::string& schema,
                             const std::vector<Migration>& migrations,
                             const std::string& runtime_role = "");

// Run as the schema owner after ApplyMigrations: gives `runtime_role` what a running service
// needs (use of the schema, DML on its tables, its sequences) and no more, and makes the
// append-only tables (audit_log) INSERT and SELECT only. The runtime role owns nothing, so it
// cannot ALTER a table or disable the audit triggers either. Idempotent.
absl::Status GrantRuntimeAccess(pqxx::connection& owner, const std::string& schema,
                                const std::string& runtime_role);

// Migrates `schema` with the owner's URL (or db_url when there is none) and, when the two are
// different roles, grants the runtime role. The start-up step of every service.
absl::Status MigrateForService(const std::string& db_url, const std::string& migration_db_url,
                               const std::string& schema, const std::vector<Migration>& migrations);

// Checks, read-only with the runtime role, that every migration is applied unedited: what a
// service started with --migrate_on_start=false does, since migrations ran in a Job.
// FAILED_PRECONDITION names what is pending or edited; UNAVAILABLE when unreachable.
absl::Status VerifyMigrations(const std::string& db_url, const std::string& schema,
                              const std::vector<Migration>& migrations);

}  // namespace fs
