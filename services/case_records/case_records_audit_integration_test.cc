// case_records audit log over real gRPC and PostgreSQL: one row per call with its outcome, the
// hash chain under concurrent load, and a log the database itself keeps append-only.
#include <gtest/gtest.h>

#include <atomic>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "services/case_records/case_records_integration_fixture.h"

namespace fs::cases {
namespace {

using CaseRecordsAuditTest = CaseRecordsTest;
using Trail = std::vector<std::pair<std::string, std::string>>;

TEST_F(CaseRecordsAuditTest, EveryCallWritesOneRowWithItsOutcome) {
  v1::Case c = NewCase();
  EXPECT_EQ(GetCase(kStranger, c.name()).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  v1::Person child = NewChild(c);
  v1::UpdateCaseRequest update;
  update.mutable_case_()->set_name(c.name());
  update.mutable_update_mask()->add_paths("council_reference");
  v1::Case ignored;
  EXPECT_EQ(cases_->UpdateCase(ContextFor(kLead).get(), update, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(ChangeState(kLead, c.name(), c.etag(), v1::CASE_STATE_ASSESSMENT).ok());
  EXPECT_EQ(ChangeState(kLead, c.name(), c.etag(), v1::CASE_STATE_CHILD_IN_NEED).error_code(),
            grpc::StatusCode::ABORTED);
  EXPECT_EQ(Close(kLead, c, "RC0").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reopen(kManager, Fetch(c.name(), kLead), "sw-new").error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Allocate(kManager, c.name(), kLead.practitioner,
                     v1::FAMILY_SAFEGUARDING_ROLE_LEAD_SOCIAL_WORKER)
                .error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  v1::GetPersonRequest missing;
  missing.set_name(c.name() + "/people/00000000-0000-0000-0000-000000000000");
  v1::Person person;
  EXPECT_EQ(cases_->GetPerson(ContextFor(kLead).get(), missing, &person).error_code(),
            grpc::StatusCode::NOT_FOUND);
  Alerts(kLead);
  EXPECT_TRUE(Lookup(kNhsPartner, kNhs1).ok());
  {
    grpc::ClientContext anonymous;  // no identity: refused, and audited as what is known
    v1::GetCaseRequest get;
    get.set_name(c.name());
    EXPECT_EQ(cases_->GetCase(&anonymous, get, &ignored).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_EQ(Lookup(kPolicePartner, kNhs1).error_code(), grpc::StatusCode::PERMISSION_DENIED);

  const Trail expected = {
      {"CreateCase", "OK"},
      {"GetCase", "PERMISSION_DENIED"},
      {"CreatePerson", "OK"},
      {"UpdateCase", "INVALID_ARGUMENT"},
      {"ChangeCaseState", "OK"},
      {"ChangeCaseState", "ABORTED"},
      {"CloseCase", "INVALID_ARGUMENT"},
      {"GetCase", "OK"},  // the Fetch for the reopen attempt
      {"ReopenCase", "FAILED_PRECONDITION"},
      {"AllocatePractitioner", "ALREADY_EXISTS"},
      {"GetPerson", "NOT_FOUND"},
      {"ListAlerts", "OK"},
      {"LookupChildProtectionStatus", "OK"},
      {"GetCase", "UNAUTHENTICATED"},
      {"LookupChildProtectionStatus", "PERMISSION_DENIED"},
  };
  EXPECT_EQ(AuditTrail(), expected);

  EXPECT_EQ(AuditCount("action = 'GetCase' AND outcome = 'UNAUTHENTICATED' AND role = "
                       "'unverified' AND principal LIKE 'anonymous from %'"),
            1);

  // Who, in which role, on what.
  EXPECT_EQ(AuditCount("action = 'GetCase' AND outcome = 'PERMISSION_DENIED' AND principal = "
                       "'spiffe://fs.local/practitioner/sw-other' AND role = 'social_worker' "
                       "AND resource = '" +
                       c.name() + "'"),
            1);
  EXPECT_EQ(AuditCount("action = 'CreatePerson' AND resource = '" + child.name() + "'"), 1);
  EXPECT_EQ(AuditCount("action = 'CreateCase' AND resource = '" + c.name() + "'"), 1);
  EXPECT_EQ(AuditCount("action = 'ReopenCase' AND role = 'team_manager'"), 1);
  EXPECT_EQ(
      AuditCount("action = 'LookupChildProtectionStatus' AND outcome = 'OK' AND resource = '" +
                 child.name() + "' AND role = 'nhs_partner'"),
      1);
  EXPECT_EQ(AuditCount("action = 'ListAlerts' AND resource = 'practitioners/sw-lead/alerts'"), 1);
  EXPECT_TRUE(AuditChainIntact());
}

TEST_F(CaseRecordsAuditTest, BreakGlassReasonIsRecordedOnTheRow) {
  v1::Case c = NewCase();
  As glass = kStranger;
  glass.break_glass_reason = "Child presented at A&E out of hours";
  ASSERT_TRUE(GetCase(glass, c.name()).ok());
  EXPECT_EQ(AuditCount("action = 'GetCase' AND outcome = 'OK' AND break_glass_reason = "
                       "'Child presented at A&E out of hours'"),
            1);
  // A legitimate relationship is not break-glass, reason or not.
  As lead = kLead;
  lead.break_glass_reason = "Not needed but sent anyway";
  ASSERT_TRUE(GetCase(lead, c.name()).ok());
  EXPECT_EQ(AuditCount("break_glass_reason <> ''"), 1);
}

TEST_F(CaseRecordsAuditTest, ChainHoldsUnderConcurrentLoad) {
  v1::Case c = NewCase();
  constexpr int kThreads = 8;
  constexpr int kRounds = 5;
  std::atomic<int> failures{0};
  InParallel(kThreads, [&](int i) {
    for (int round = 0; round < kRounds; ++round) {
      // One success and one refusal per round, from every thread at once.
      v1::Case created;
      if (!cases_
               ->CreateCase(ContextFor(kLead).get(),
                            CaseRequest("load-" + std::to_string(i) + "-" + std::to_string(round)),
                            &created)
               .ok()) {
        ++failures;
      }
      if (GetCase(kStranger, c.name()).error_code() != grpc::StatusCode::PERMISSION_DENIED) {
        ++failures;
      }
    }
  });
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Count("cases"), 1 + kThreads * kRounds);
  EXPECT_EQ(AuditCount("action = 'CreateCase' AND outcome = 'OK'"), 1 + kThreads * kRounds);
  EXPECT_EQ(AuditCount("action = 'GetCase' AND outcome = 'PERMISSION_DENIED'"), kThreads * kRounds);
  // Ids are gapless 1..n and every hash verifies.
  EXPECT_EQ(Scalar("SELECT max(id) FROM case_records.audit_log"), Count("audit_log"));
  EXPECT_TRUE(AuditChainIntact());
}

TEST_F(CaseRecordsAuditTest, DatabaseRefusesUpdateAndDeleteEvenForTheServiceRole) {
  v1::Case c = NewCase();
  ASSERT_TRUE(GetCase(kLead, c.name()).ok());
  ASSERT_EQ(Count("audit_log"), 2);
  pqxx::connection conn(server_.database().service_url());
  for (const std::string sql :
       {"UPDATE case_records.audit_log SET outcome = 'PERMISSION_DENIED' WHERE id = 2",
        "DELETE FROM case_records.audit_log WHERE id = 2", "DELETE FROM case_records.audit_log",
        "TRUNCATE case_records.audit_log"}) {
    pqxx::work tx(conn);
    EXPECT_THROW(tx.exec(sql), pqxx::sql_error) << sql;
  }
  EXPECT_EQ(Count("audit_log"), 2);
  EXPECT_EQ(AuditCount("id = 2 AND action = 'GetCase' AND outcome = 'OK'"), 1);
  EXPECT_TRUE(AuditChainIntact());
}

TEST_F(CaseRecordsAuditTest, VerifyFindsATamperedRow) {
  v1::Case c = NewCase();
  ASSERT_TRUE(GetCase(kLead, c.name()).ok());
  ASSERT_EQ(GetCase(kStranger, c.name()).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(AuditChainIntact());
  // Only a superuser switching the guard off can edit a row, and the chain then shows where.
  pqxx::connection conn(server_.database().admin_url());
  pqxx::work tx(conn);
  tx.exec("ALTER TABLE case_records.audit_log DISABLE TRIGGER audit_log_no_update_delete");
  tx.exec("UPDATE case_records.audit_log SET outcome = 'OK' WHERE id = 3");
  tx.exec("ALTER TABLE case_records.audit_log ENABLE TRIGGER audit_log_no_update_delete");
  tx.commit();
  EXPECT_EQ(Scalar("SELECT case_records.verify_audit_chain()"), 3);
}

}  // namespace
}  // namespace fs::cases
