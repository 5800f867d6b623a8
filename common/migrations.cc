#include "common/migrations.h"

#include <openssl/sha.h>

#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/db_pool.h"

namespace fs {

std::string MigrationChecksum(const Migration& migration) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(migration.sql.data()), migration.sql.size(),
         digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

namespace {

// version -> checksum of what schema_migrations records as applied.
std::map<std::string, std::string> AppliedMigrations(pqxx::transaction_base& tx,
                                                     const std::string& schema) {
  std::map<std::string, std::string> applied;
  for (const auto& row : tx.exec(absl::StrCat("SELECT version, checksum FROM ",
                                              tx.quote_name(schema), ".schema_migrations"))) {
    applied[row[0].as<std::string>()] = row[1].as<std::string>();
  }
  return applied;
}

}  // namespace

absl::Status ApplyMigrations(pqxx::connection& conn, const std::string& schema,
                             const std::vector<Migration>& migrations,
                             const std::string& runtime_role) {
  std::string lock_key = absl::StrCat("fs_migrations:", schema);
  {
    pqxx::nontransaction tx(conn);
    tx.exec_params("SELECT pg_advisory_lock(hashtext($1))", lock_key);
  }
  absl::Status result = absl::OkStatus();
  try {
    {
      pqxx::work tx(conn);
      std::string qschema = tx.quote_name(schema);
      // The schema normally exists already (created for the service's role by the operator);
      // CREATE SCHEMA IF NOT EXISTS would still need CREATE on the database.
      if (tx.exec_params("SELECT 1 FROM pg_namespace WHERE nspname = $1", schema).empty()) {
        tx.exec(absl::StrCat("CREATE SCHEMA ", qschema));
      }
      tx.exec(absl::StrCat("CREATE TABLE IF NOT EXISTS ", qschema,
                           ".schema_migrations (version text PRIMARY KEY, name text NOT NULL, "
                           "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT "
                           "now())"));
      tx.commit();
    }
    std::map<std::string, std::string> applied;
    {
      pqxx::read_transaction tx(conn);
      applied = AppliedMigrations(tx, schema);
    }
    for (const auto& migration : migrations) {
      std::string checksum = MigrationChecksum(migration);
      auto it = applied.find(migration.version);
      if (it != applied.end()) {
        if (it->second != checksum) {
          result = absl::FailedPreconditionError(
              absl::StrCat("migration ", migration.version, "__", migration.name,
                           " was edited after it was applied (checksum ", checksum, ", recorded ",
                           it->second, "); add a new migration instead"));
          break;
        }
        continue;
      }
      pqxx::work tx(conn);
      std::string qschema = tx.quote_name(schema);
      tx.exec(absl::StrCat("SET LOCAL search_path TO ", qschema));
      tx.exec(migration.sql);
      tx.exec_params(absl::StrCat("INSERT INTO ", qschema,
                                  ".schema_migrations (version, name, checksum) VALUES ($1, $2, "
                                  "$3)"),
                     migration.version, migration.name, checksum);
      tx.commit();
    }
    if (result.ok() && !runtime_role.empty()) {
      result = GrantRuntimeAccess(conn, schema, runtime_role);
    }
  } catch (const std::exception& e) {
    result = absl::InternalError(absl::StrCat("migration failed: ", e.what()));
  }
  try {
    pqxx::nontransaction tx(conn);
    tx.exec_params("SELECT pg_advisory_unlock(hashtext($1))", lock_key);
  } catch (const std::exception&) {
    // The session lock goes with the connection if it was lost.
  }
  return result;
}

absl::Status GrantRuntimeAccess(pqxx::connection& owner, const std::string& schema,
                                const std::string& runtime_role) {
  try {
    pqxx::work tx(owner);
    std::string s = tx.quote_name(schema);
    std::string r = tx.quote_name(runtime_role);
    tx.exec(absl::StrCat("GRANT USAGE ON SCHEMA ", s, " TO ", r));
    tx.exec(absl::StrCat("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ", s, " TO ",
                         r));
    tx.exec(absl::StrCat("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ", s, " TO ", r));
    tx.exec(absl::StrCat("REVOKE INSERT, UPDATE, DELETE ON ", s, ".schema_migrations FROM ", r));
    if (!tx.exec_params("SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = "
                        "'audit_log'",
                        schema)
             .empty()) {
      tx.exec(absl::StrCat("REVOKE UPDATE, DELETE, TRUNCATE ON ", s, ".audit_log FROM ", r));
    }
    tx.commit();
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("granting ", runtime_role, " failed: ", e.what()));
  }
}

absl::Status MigrateForService(const std::string& db_url, const std::string& migration_db_url,
                               const std::string& schema,
                               const std::vector<Migration>& migrations) {
  try {
    std::string runtime_role;
    if (!migration_db_url.empty()) {
      pqxx::connection runtime(WithConnectTimeout(db_url));
      pqxx::nontransaction tx(runtime);
      runtime_role = tx.exec1("SELECT current_user")[0].as<std::string>();
    }
    pqxx::connection owner(
        WithConnectTimeout(migration_db_url.empty() ? db_url : migration_db_url));
    {
      pqxx::nontransaction tx(owner);
      if (tx.exec1("SELECT current_user")[0].as<std::string>() == runtime_role) {
        runtime_role.clear();  // one role does both: nothing to grant
      }
    }
    return ApplyMigrations(owner, schema, migrations, runtime_role);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot reach the database: ", e.what()));
  }
}

absl::Status VerifyMigrations(const std::string& db_url, const std::string& schema,
                              const std::vector<Migration>& migrations) {
  std::map<std::string, std::string> applied;
  try {
    pqxx::connection conn(WithConnectTimeout(db_url));
    pqxx::read_transaction tx(conn);
    if (tx.exec_params("SELECT to_regclass($1)", schema + ".schema_migrations")[0][0].is_null()) {
      return absl::FailedPreconditionError(
          absl::StrCat("schema ", schema,
                       " has no migrations applied: run the service with "
                       "--migrate_only and the schema owner's --migration_db_url first"));
    }
    applied = AppliedMigrations(tx, schema);
  } catch (const pqxx::insufficient_privilege& e) {
    // The grants come with the migrations: a runtime role without them means none ran here.
    return absl::FailedPreconditionError(
        absl::StrCat("the runtime role may not read schema ", schema, " (",
                     absl::StripTrailingAsciiWhitespace(e.what()),
                     "): run the service with --migrate_only and the schema owner's "
                     "--migration_db_url first"));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot reach the database: ", e.what()));
  }
  std::vector<std::string> pending;
  for (const auto& migration : migrations) {
    auto it = applied.find(migration.version);
    if (it == applied.end()) {
      pending.push_back(absl::StrCat(migration.version, "__", migration.name));
    } else if (it->second != MigrationChecksum(migration)) {
      return absl::FailedPreconditionError(
          absl::StrCat("migration ", migration.version, "__", migration.name,
                       " differs from the one applied (an edited migration or another release)"));
    }
  }
  if (!pending.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("migrations pending in schema ", schema, ": ", absl::StrJoin(pending, ", "),
                     "; run the service with --migrate_only and the schema owner's "
                     "--migration_db_url first"));
  }
  return absl::OkStatus();
}

}  // namespace fs
