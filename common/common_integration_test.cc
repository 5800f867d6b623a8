// The common library against a real PostgreSQL: migrations, the pool, the audit chain.
#include <gtest/gtest.h>

#include <atomic>
#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/audit.h"
#include "common/db_pool.h"
#include "common/events.h"
#include "common/migrations.h"
#include "tests/support/test_database.h"

namespace fs {
namespace {

using ::fs::testing::TestDatabase;

// The common migrations every service embeds (the audit log), then one of the test's own.
std::vector<Migration> TestMigrations() {
  std::vector<Migration> migrations = EmbeddedMigrations();
  migrations.push_back({"V001", "widgets", "CREATE TABLE widgets (id int PRIMARY KEY, v text)"});
  return migrations;
}

long long Count(const std::string& url, const std::string& sql) {
  pqxx::connection conn(url);
  pqxx::read_transaction tx(conn);
  return tx.exec(sql)[0][0].as<long long>();
}

TEST(MigrationsTest, AppliesFromEmptyAndRerunsAsANoOp) {
  TestDatabase db("case_records");
  pqxx::connection conn(db.owner_url());
  ASSERT_TRUE(ApplyMigrations(conn, "case_records", TestMigrations()).ok());
  EXPECT_EQ(Count(db.admin_url(), "SELECT count(*) FROM case_records.schema_migrations"),
            static_cast<long long>(TestMigrations().size()));
  EXPECT_EQ(Count(db.admin_url(), "SELECT count(*) FROM case_records.widgets"), 0);
  ASSERT_TRUE(ApplyMigrations(conn, "case_records", TestMigrations()).ok());
  EXPECT_EQ(Count(db.admin_url(), "SELECT count(*) FROM case_records.schema_migrations"),
            static_cast<long long>(TestMigrations().size()));
  pqxx::read_transaction tx(conn);
  auto row = tx.exec1("SELECT checksum FROM case_records.schema_migrations WHERE version = 'V001'");
  EXPECT_EQ(row[0].as<std::string>(), MigrationChecksum(TestMigrations().back()));
}

TEST(MigrationsTest, RefusesWhenAnAppliedMigrationWasEdited) {
  TestDatabase db("case_records");
  pqxx::connection conn(db.owner_url());
  ASSERT_TRUE(ApplyMigrations(conn, "case_records", TestMigrations()).ok());
  auto edited = TestMigrations();
  edited.back().sql += ";  -- edited";
  edited.push_back({"V002", "more", "CREATE TABLE more_widgets (id int)"});
  auto status = ApplyMigrations(conn, "case_records", edited);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(status.message().find("V001__widgets"), std::string::npos) << status.message();
  // Nothing after the edited migration was applied.
  EXPECT_EQ(Count(db.admin_url(), "SELECT count(*) FROM case_records.schema_migrations"),
            static_cast<long long>(TestMigrations().size()));
}

TEST(MigrationsTest, AFailingMigrationLeavesNoTraceAndIsRetriedNextStart) {
  TestDatabase db("case_records");
  pqxx::connection conn(db.owner_url());
  auto migrations = TestMigrations();
  migrations.push_back({"V002", "broken", "CREATE TABLE ok_part (id int); SELECT 1/0"});
  EXPECT_FALSE(ApplyMigrations(conn, "case_records", migrations).ok());
  EXPECT_EQ(Count(db.admin_url(),
                  "SELECT count(*) FROM pg_tables WHERE schemaname = 'case_records' AND "
                  "tablename = 'ok_part'"),
            0);
  migrations.back().sql = "CREATE TABLE ok_part (id int)";
  EXPECT_TRUE(ApplyMigrations(conn, "case_records", migrations).ok());
  EXPECT_EQ(Count(db.admin_url(), "SELECT count(*) FROM case_records.schema_migrations"),
            static_cast<long long>(TestMigrations().size()) + 1);
}

TEST(MigrationsTest, ConcurrentStartsApplyEachMigrationOnce) {
  TestDatabase db("case_records");
  std::atomic<int> ok{0};
  std::vector<std::thread> starts;
  for (int i = 0; i < 4; ++i) {
    starts.emplace_back([&] {
      pqxx::connection conn(db.owner_url());
      if (ApplyMigrations(conn, "case_records", TestMigrations()).ok()) ++ok;
    });
  }
  for (auto& t : starts) t.join();
  EXPECT_EQ(ok.load(), 4);
  EXPECT_EQ(Count(db.admin_url(), "SELECT count(*) FROM case_records.schema_migrations"),
            static_cast<long long>(TestMigrations().size()));
}

// --migrate_on_start=false: the runtime role only checks, read-only, what a migration Job did.
TEST(VerifyMigrationsTest, NamesPendingMigrationsAndAppliesNothingThenPassesOnceApplied) {
  TestDatabase db("case_records");
  ASSERT_TRUE(
      MigrateForService(db.service_url(), db.owner_url(), "case_records", TestMigrations()).ok());
  EXPECT_TRUE(VerifyMigrations(db.service_url(), "case_records", TestMigrations()).ok());

  auto next_release = TestMigrations();
  next_release.push_back({"V002", "gadgets", "CREATE TABLE gadgets (id int)"});
  next_release.push_back({"V003", "gizmos", "CREATE TABLE gizmos (id int)"});
  auto status = VerifyMigrations(db.service_url(), "case_records", next_release);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find("V002__gadgets"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("V003__gizmos"), std::string::npos) << status.message();
  EXPECT_EQ(status.message().find("V001__widgets"), std::string::npos)
      << "an applied migration named as pending: " << status.message();
  // Checking changed nothing.
  EXPECT_EQ(Count(db.admin_url(), "SELECT count(*) FROM case_records.schema_migrations"),
            static_cast<long long>(TestMigrations().size()));
  EXPECT_EQ(Count(db.admin_url(),
                  "SELECT count(*) FROM pg_tables WHERE schemaname = 'case_records' AND "
                  "tablename IN ('gadgets', 'gizmos')"),
            0);

  // The Job applies V002 only: V003 alone is still pending.
  auto partly = TestMigrations();
  partly.push_back(next_release[next_release.size() - 2]);
  pqxx::connection owner(db.owner_url());
  ASSERT_TRUE(ApplyMigrations(owner, "case_records", partly, "fs_case_records_app").ok());
  status = VerifyMigrations(db.service_url(), "case_records", next_release);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(status.message().find("V002__gadgets"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("V003__gizmos"), std::string::npos) << status.message();

  ASSERT_TRUE(
      MigrateForService(db.service_url(), db.owner_url(), "case_records", next_release).ok());
  status = VerifyMigrations(db.service_url(), "case_records", next_release);
  EXPECT_TRUE(status.ok()) << status;
}

TEST(VerifyMigrationsTest, RefusesAMigrationEditedAfterItWasApplied) {
  TestDatabase db("case_records");
  ASSERT_TRUE(
      MigrateForService(db.service_url(), db.owner_url(), "case_records", TestMigrations()).ok());
  auto edited = TestMigrations();
  edited.back().sql += ";  -- edited";
  auto status = VerifyMigrations(db.service_url(), "case_records", edited);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find("V001__widgets"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("differs"), std::string::npos) << status.message();
  // The release that was applied still passes.
  EXPECT_TRUE(VerifyMigrations(db.service_url(), "case_records", TestMigrations()).ok());
}

// No migration Job ran with this runtime role: it has no grants at all. That is a deployment
// mistake to fix (FAILED_PRECONDITION), not a database to wait for (UNAVAILABLE).
TEST(VerifyMigrationsTest, ARuntimeRoleWithoutGrantsIsAFailedPreconditionNotUnavailable) {
  TestDatabase db("case_records");
  // Nothing applied; the schema exists but the runtime role may not even look into it.
  auto status = VerifyMigrations(db.service_url(), "case_records", TestMigrations());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find("may not read schema case_records"), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("--migrate_only"), std::string::npos) << status.message();

  // Applied by the owner without granting the runtime role anything.
  pqxx::connection owner(db.owner_url());
  ASSERT_TRUE(ApplyMigrations(owner, "case_records", TestMigrations()).ok());
  status = VerifyMigrations(db.service_url(), "case_records", TestMigrations());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find("may not read schema case_records"), std::string::npos)
      << status.message();

  // The schema is visible but its tables are not readable.
  {
    pqxx::work tx(owner);
    tx.exec("GRANT USAGE ON SCHEMA case_records TO fs_case_records_app");
    tx.commit();
  }
  status = VerifyMigrations(db.service_url(), "case_records", TestMigrations());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find("may not read schema case_records"), std::string::npos)
      << status.message();

  // Once the grants come, the same check passes.
  ASSERT_TRUE(GrantRuntimeAccess(owner, "case_records", "fs_case_records_app").ok());
  status = VerifyMigrations(db.service_url(), "case_records", TestMigrations());
  EXPECT_TRUE(status.ok()) << status;
}

TEST(VerifyMigrationsTest, AnEmptySchemaTheRuntimeRoleMayReadIsAFailedPrecondition) {
  TestDatabase db("case_records");
  {
    pqxx::connection owner(db.owner_url());
    pqxx::work tx(owner);
    tx.exec("GRANT USAGE ON SCHEMA case_records TO fs_case_records_app");
    tx.commit();
  }
  auto status = VerifyMigrations(db.service_url(), "case_records", TestMigrations());
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find("no migrations applied"), std::string::npos) << status.message();
  EXPECT_NE(status.message().find("--migrate_only"), std::string::npos) << status.message();
}

TEST(VerifyMigrationsTest, AnUnreachableDatabaseIsUnavailable) {
  // Nothing listens on port 1 of loopback.
  auto status = VerifyMigrations("postgresql://fs_case_records_app@127.0.0.1:1/fs", "case_records",
                                 TestMigrations());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
}

class PoolTest : public ::testing::Test {
 protected:
  // Migrated by the owner; the pool runs as the runtime role, as services do.
  PoolTest() : db_("case_records") {
    auto status =
        MigrateForService(db_.service_url(), db_.owner_url(), "case_records", TestMigrations());
    EXPECT_TRUE(status.ok()) << status;
  }
  ConnectionPool::Options Options(int size) {
    ConnectionPool::Options options;
    options.url = db_.service_url();
    options.schema = "case_records";
    options.size = size;
    options.acquire_timeout = absl::Milliseconds(300);
    return options;
  }
  TestDatabase db_;
};

TEST_F(PoolTest, RuntimeRoleMayUseTheTablesButNotChangeTheSchema) {
  ConnectionPool pool(Options(1), {});
  EXPECT_TRUE(pool.Transact([](pqxx::work& tx) {
                    tx.exec("INSERT INTO widgets VALUES (1, 'a')");
                    tx.exec("UPDATE widgets SET v = 'b' WHERE id = 1");
                    tx.exec("DELETE FROM widgets WHERE id = 1");
                    return absl::OkStatus();
                  })
                  .ok());
  for (const char* sql :
       {"CREATE TABLE intruder (id int)", "DROP TABLE widgets", "DELETE FROM schema_migrations"}) {
    auto status = pool.Transact([&](pqxx::work& tx) {
      tx.exec(sql);
      return absl::OkStatus();
    });
    EXPECT_FALSE(status.ok()) << sql;
  }
  EXPECT_EQ(Count(db_.admin_url(), "SELECT count(*) FROM case_records.schema_migrations"),
            static_cast<long long>(TestMigrations().size()));
}

TEST_F(PoolTest, IsBoundedAndTimesOutWithUnavailable) {
  ConnectionPool pool(Options(2), {});
  std::atomic<bool> release{false};
  std::atomic<int> holding{0};
  std::vector<std::thread> holders;
  for (int i = 0; i < 2; ++i) {
    holders.emplace_back([&] {
      pool.WithConnection([&](pqxx::connection&) {
            ++holding;
            while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
            return absl::OkStatus();
          })
          .IgnoreError();
    });
  }
  while (holding < 2) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  absl::Status third = pool.Ping();
  EXPECT_EQ(third.code(), absl::StatusCode::kUnavailable) << third;
  release = true;
  for (auto& t : holders) t.join();
  EXPECT_TRUE(pool.Ping().ok());
}

TEST_F(PoolTest, PreparesStatementsAndSetsTheSchemaOnEveryConnection) {
  ConnectionPool pool(Options(2), {{"insert_widget", "INSERT INTO widgets VALUES ($1, $2)"}});
  ASSERT_TRUE(pool.Transact([](pqxx::work& tx) {
                    tx.exec_prepared0("insert_widget", 1, "one");
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_EQ(Count(db_.admin_url(), "SELECT count(*) FROM case_records.widgets"), 1);
}

TEST_F(PoolTest, RetriesSerializationFailuresAndRollsBackErrors) {
  ConnectionPool pool(Options(2), {});
  int attempts = 0;
  auto status = pool.Transact([&](pqxx::work& tx) {
    tx.exec(absl::StrCat("INSERT INTO widgets VALUES (", 100 + attempts, ", 'try')"));
    if (++attempts == 1) {
      tx.exec("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$");
    }
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(attempts, 2);
  // Only the second attempt's row exists: the first rolled back.
  EXPECT_EQ(Count(db_.admin_url(), "SELECT count(*) FROM case_records.widgets"), 1);
  EXPECT_EQ(Count(db_.admin_url(), "SELECT count(*) FROM case_records.widgets WHERE id = 101"), 1);

  auto refused = pool.Transact([](pqxx::work& tx) {
    tx.exec("INSERT INTO widgets VALUES (7, 'not kept')");
    return absl::InvalidArgumentError("caller mistake");
  });
  EXPECT_EQ(refused.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Count(db_.admin_url(), "SELECT count(*) FROM case_records.widgets WHERE id = 7"), 0);
}

// "Not now" from the database (a statement timeout, a read-only server after a failover) is
// UNAVAILABLE, so that callers retry and event sinks redeliver; "not this" (a constraint or a
// bad value) stays INTERNAL.
TEST_F(PoolTest, TransientDatabaseRefusalsAreUnavailableOthersInternal) {
  ConnectionPool::Options options = Options(1);
  options.statement_timeout = absl::Milliseconds(200);
  ConnectionPool pool(options, {});
  auto timed_out = pool.Transact([](pqxx::work& tx) {
    tx.exec("SELECT pg_sleep(2)");
    return absl::OkStatus();
  });
  EXPECT_EQ(timed_out.code(), absl::StatusCode::kUnavailable) << timed_out;
  auto read_only = pool.Transact([](pqxx::work& tx) {
    tx.exec("SET TRANSACTION READ ONLY");
    tx.exec("INSERT INTO widgets VALUES (1, 'a')");
    return absl::OkStatus();
  });
  EXPECT_EQ(read_only.code(), absl::StatusCode::kUnavailable) << read_only;
  auto bad_value = pool.Transact([](pqxx::work& tx) {
    tx.exec("SELECT 1 / 0");
    return absl::OkStatus();
  });
  EXPECT_EQ(bad_value.code(), absl::StatusCode::kInternal) << bad_value;
  EXPECT_TRUE(pool.Ping().ok());
}

TEST_F(PoolTest, AuditChainHoldsUnderConcurrentWritersAndMatchesTheCppHash) {
  std::vector<PreparedStatement> statements = AuditStatements();
  ConnectionPool pool(Options(6), statements);
  Caller caller;
  caller.principal.uri = "spiffe://fs.local/practitioner/p1";
  caller.role = PractitionerRole::kSocialWorker;
  std::vector<std::thread> writers;
  for (int w = 0; w < 6; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 25; ++i) {
        AuditEvent event{"GetCase", absl::StrCat("cases/", w, "-", i), "OK",
                         i % 5 == 0 ? "emergency out of hours" : ""};
        EXPECT_TRUE(pool.Transact([&](pqxx::work& tx) {
                          AppendAudit(tx, caller, event);
                          return absl::OkStatus();
                        })
                        .ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  pqxx::connection conn(db_.service_url());
  pqxx::read_transaction tx(conn);
  EXPECT_TRUE(tx.exec1("SELECT case_records.verify_audit_chain()")[0].is_null());
  std::vector<AuditRow> rows;
  for (const auto& r :
       tx.exec("SELECT id, (extract(epoch FROM occurred_at) * 1000000)::bigint, principal, role, "
               "action, resource, break_glass_reason, outcome, prev_hash, row_hash FROM "
               "case_records.audit_log ORDER BY id")) {
    rows.push_back({r[0].as<long long>(), r[1].as<long long>(), r[2].as<std::string>(),
                    r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<std::string>(),
                    r[6].as<std::string>(), r[7].as<std::string>(), r[8].as<std::string>(),
                    r[9].as<std::string>()});
  }
  ASSERT_EQ(rows.size(), 150u);
  EXPECT_EQ(rows.back().id, 150);
  EXPECT_EQ(FirstBrokenAuditRow(rows), 0);
  EXPECT_EQ(rows[0].role, "social_worker");
}

TEST_F(PoolTest, AuditLogRefusesUpdateDeleteAndTruncateAndTamperingIsDetected) {
  ConnectionPool pool(Options(1), AuditStatements());
  Caller caller;
  caller.principal.uri = "spiffe://fs.local/partner/nhs/RXH";
  caller.principal.kind = PrincipalKind::kNhsPartner;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pool.Transact([&](pqxx::work& tx) {
                      AppendAudit(tx, caller, {"Lookup", absl::StrCat("n/", i), "OK", ""});
                      return absl::OkStatus();
                    })
                    .ok());
  }
  for (const char* sql :
       {"UPDATE case_records.audit_log SET outcome = 'X' WHERE id = 2",
        "DELETE FROM case_records.audit_log WHERE id = 3", "TRUNCATE case_records.audit_log"}) {
    for (const std::string& url : {db_.service_url(), db_.owner_url(), db_.admin_url()}) {
      pqxx::connection conn(url);
      pqxx::work tx(conn);
      EXPECT_THROW(tx.exec(sql), pqxx::sql_error) << sql << " as " << url;
    }
  }
  // The runtime role owns nothing: it cannot switch the triggers off.
  {
    pqxx::connection conn(db_.service_url());
    pqxx::work tx(conn);
    EXPECT_THROW(
        tx.exec("ALTER TABLE case_records.audit_log DISABLE TRIGGER audit_log_no_update_delete"),
        pqxx::sql_error);
  }
  // A superuser who disables the trigger can still edit; the chain then shows where.
  {
    pqxx::connection conn(db_.admin_url());
    pqxx::work tx(conn);
    tx.exec("ALTER TABLE case_records.audit_log DISABLE TRIGGER audit_log_no_update_delete");
    tx.exec("UPDATE case_records.audit_log SET resource = 'n/forged' WHERE id = 2");
    tx.commit();
  }
  EXPECT_EQ(Count(db_.admin_url(), "SELECT case_records.verify_audit_chain()"), 2);
}

TEST_F(PoolTest, ConcurrentWritersGetGaplessOrderedSequencesPerCase) {
  ConnectionPool pool(Options(6), EventStatements());
  std::vector<std::thread> writers;
  for (int w = 0; w < 6; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 40; ++i) {
        ev::EventEnvelope envelope;
        envelope.mutable_case_state_changed()->set_to_state(absl::StrCat("W", w, "-", i));
        EXPECT_TRUE(pool.Transact([&](pqxx::work& tx) {
                          AppendEvent(tx, "test", absl::StrCat("cases/c", i % 4), envelope);
                          return absl::OkStatus();
                        })
                        .ok());
      }
    });
  }
  for (auto& t : writers) t.join();
  // 240 events over 4 cases: each case 1..60 with no gap, and commit order (id) follows the
  // sequence within a case.
  EXPECT_EQ(Count(db_.admin_url(), "SELECT count(*) FROM case_records.outbox"), 240);
  EXPECT_EQ(Count(db_.admin_url(),
                  "SELECT count(*) FROM (SELECT case_key, sequence, row_number() OVER (PARTITION "
                  "BY case_key ORDER BY id) AS n FROM case_records.outbox) t WHERE sequence <> n"),
            0);
  EXPECT_EQ(Count(db_.admin_url(), "SELECT max(sequence) FROM case_records.outbox"), 60);
}

TEST_F(PoolTest, PruningKeepsWhatAnySubscriberStillNeeds) {
  ConnectionPool pool(Options(2), EventStatements());
  ASSERT_TRUE(pool.Transact([](pqxx::work& tx) {
                    for (int i = 0; i < 3; ++i) {
                      ev::EventEnvelope envelope;
                      envelope.mutable_case_closed()->set_reason_for_closure("RC1");
                      AppendEvent(tx, "test", "cases/x", envelope);
                    }
                    // One subscriber has everything, the other only the first event.
                    tx.exec(
                        "INSERT INTO outbox_progress (subscriber, case_key, acked_sequence) "
                        "VALUES ('a', 'cases/x', 3), ('b', 'cases/x', 1)");
                    return absl::OkStatus();
                  })
                  .ok());
  std::vector<Subscriber> both = {{"a", "h:1", {}}, {"b", "h:2", {}}};
  auto kept_recent = PruneOutbox(pool, both, absl::Hours(1));
  ASSERT_TRUE(kept_recent.ok());
  EXPECT_EQ(*kept_recent, 0);  // younger than the retention
  auto pruned = PruneOutbox(pool, both, absl::ZeroDuration());
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(*pruned, 1);
  EXPECT_EQ(Count(db_.admin_url(), "SELECT min(sequence) FROM case_records.outbox"), 2);
}

}  // namespace
}  // namespace fs
