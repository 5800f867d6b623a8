// case_records over real gRPC against a real PostgreSQL (a throwaway database per test).
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <string>

#include "fs/cases/v1/case_records.grpc.pb.h"
#include "services/case_records/case_records_definition.h"
#include "tests/support/test_server.h"

namespace fs::cases {
namespace {

using ::fs::testing::As;
using ::fs::testing::ContextFor;
using ::fs::testing::ContextForPrincipal;
using ::fs::testing::TestServer;

const As kLead{"sw-lead", "social_worker", "team-a", ""};
const As kManager{"tm-a", "team_manager", "team-a", ""};
const As kStranger{"sw-other", "social_worker", "team-b", ""};

class CaseRecordsTest : public ::testing::Test {
 protected:
  CaseRecordsTest()
      : server_(CaseRecordsDefinition()),
        cases_(v1::CaseRecordsService::NewStub(server_.channel())),
        nhs_(v1::ChildProtectionInformationService::NewStub(server_.channel())) {}

  v1::Case NewCase(const std::string& request_id = "") {
    v1::CreateCaseRequest request;
    request.set_request_id(request_id);
    auto* c = request.mutable_case_();
    c->set_referral_date("2026-09-01");
    c->set_referral_source("6");
    c->set_team("team-a");
    c->set_lead_social_worker(kLead.practitioner);
    c->set_council_reference("REF-1");
    v1::Case created;
    auto status = cases_->CreateCase(ContextFor(kLead).get(), request, &created);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return created;
  }

  v1::Person NewChild(const v1::Case& c, const std::string& nhs = "9434765919",
                      const std::string& born = "2019-03-07") {
    v1::CreatePersonRequest request;
    request.set_parent(c.name());
    auto* p = request.mutable_person();
    p->set_kind(v1::PERSON_KIND_CHILD);
    p->set_given_name("Zoë");
    p->set_family_name("O'Brien");
    p->set_nhs_number(nhs);
    p->set_birth_date(born);
    v1::CreatePersonResponse response;
    auto status = cases_->CreatePerson(ContextFor(kLead).get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.person();
  }

  // Rows in this test's audit log, through the superuser (the service role reads it too).
  long long AuditCount(const std::string& where) {
    pqxx::connection conn(server_.database().admin_url());
    pqxx::read_transaction tx(conn);
    return tx.exec("SELECT count(*) FROM case_records.audit_log WHERE " + where)[0][0]
        .as<long long>();
  }

  TestServer server_;
  std::unique_ptr<v1::CaseRecordsService::Stub> cases_;
  std::unique_ptr<v1::ChildProtectionInformationService::Stub> nhs_;
};

TEST_F(CaseRecordsTest, CreateAndGetRoundTripWithLeadAllocated) {
  v1::Case created = NewCase();
  EXPECT_EQ(created.state(), v1::CASE_STATE_REFERRAL);
  EXPECT_EQ(created.lead_social_worker(), "sw-lead");
  v1::GetCaseRequest get;
  get.set_name(created.name());
  v1::Case fetched;
  ASSERT_TRUE(cases_->GetCase(ContextFor(kLead).get(), get, &fetched).ok());
  EXPECT_EQ(fetched.name(), created.name());
  EXPECT_EQ(fetched.council_reference(), "REF-1");
  EXPECT_EQ(fetched.etag(), created.etag());
  EXPECT_EQ(AuditCount("action = 'GetCase' AND outcome = 'OK'"), 1);
}

TEST_F(CaseRecordsTest, StrangerIsDeniedUnlessBreakGlassWhichIsFlagged) {
  v1::Case created = NewCase();
  v1::GetCaseRequest get;
  get.set_name(created.name());
  v1::Case fetched;
  auto denied = cases_->GetCase(ContextFor(kStranger).get(), get, &fetched);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(AuditCount("action = 'GetCase' AND outcome = 'PERMISSION_DENIED'"), 1);

  As glass = kStranger;
  glass.break_glass_reason = "Out-of-hours emergency: child at A&E";
  ASSERT_TRUE(cases_->GetCase(ContextFor(glass).get(), get, &fetched).ok());
  v1::ListBreakGlassAccessesResponse review;
  ASSERT_TRUE(cases_
                  ->ListBreakGlassAccesses(ContextFor(kManager).get(),
                                           v1::ListBreakGlassAccessesRequest(), &review)
                  .ok());
  ASSERT_EQ(review.accesses_size(), 1);
  EXPECT_EQ(review.accesses(0).resource(), created.name());
  EXPECT_EQ(review.accesses(0).reason(), glass.break_glass_reason);
  EXPECT_EQ(review.accesses(0).principal(), "spiffe://fs.local/practitioner/sw-other");
}

TEST_F(CaseRecordsTest, NhsLookupAnswersAuditsAndAlertsTheLead) {
  v1::Case c = NewCase();
  v1::Person child = NewChild(c);
  v1::StartChildProtectionPlanRequest start;
  start.set_parent(child.name());
  start.mutable_plan()->set_start_date("2026-10-01");
  start.mutable_plan()->set_initial_category_of_abuse("NEG");
  v1::ChildProtectionPlan plan;
  ASSERT_TRUE(cases_->StartChildProtectionPlan(ContextFor(kLead).get(), start, &plan).ok());

  v1::LookupChildProtectionStatusRequest lookup;
  lookup.set_nhs_number("943 476 5919");
  v1::LookupChildProtectionStatusResponse answer;
  auto status = nhs_->LookupChildProtectionStatus(ContextForPrincipal("partner/nhs/RXH").get(),
                                                  lookup, &answer);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(answer.information_held());
  EXPECT_TRUE(answer.has_child_protection_plan());
  EXPECT_EQ(answer.plan_start_date(), "2026-10-01");
  ASSERT_EQ(answer.recent_accesses_size(), 1);
  EXPECT_EQ(answer.recent_accesses(0).organisation(), "RXH");

  v1::ListAlertsResponse alerts;
  ASSERT_TRUE(cases_->ListAlerts(ContextFor(kLead).get(), v1::ListAlertsRequest(), &alerts).ok());
  bool alerted = false;
  for (const auto& alert : alerts.alerts()) {
    alerted |= alert.message().find("RXH") != std::string::npos && alert.person() == child.name();
  }
  EXPECT_TRUE(alerted);
  EXPECT_EQ(AuditCount("action = 'LookupChildProtectionStatus' AND principal = "
                       "'spiffe://fs.local/partner/nhs/RXH' AND outcome = 'OK'"),
            1);
}

}  // namespace
}  // namespace fs::cases
