// The fixture the case_records integration tests share: a throwaway database and an in-process
// server per test, identities, and helpers that create the usual resources (expecting success)
// or read the database directly for assertions the API cannot make.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <latch>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fs/cases/v1/case_records.grpc.pb.h"
#include "services/case_records/case_records_definition.h"
#include "tests/support/test_server.h"

namespace fs::cases {

using ::fs::testing::As;
using ::fs::testing::ContextFor;
using ::fs::testing::ContextForPrincipal;
using ::fs::testing::TestServer;

// team-a: the lead social worker, the team manager, a family support worker, another social
// worker. team-b: a social worker and a manager with no relationship to team-a's cases.
inline const As kLead{"sw-lead", "social_worker", "team-a", ""};
inline const As kManager{"tm-a", "team_manager", "team-a", ""};
inline const As kSupport{"fsw-1", "family_support_worker", "team-a", ""};
inline const As kNewLead{"sw-new", "social_worker", "team-a", ""};
inline const As kStranger{"sw-other", "social_worker", "team-b", ""};
inline const As kOtherManager{"tm-b", "team_manager", "team-b", ""};

inline constexpr char kNhsPartner[] = "partner/nhs/RXH";
inline constexpr char kPolicePartner[] = "partner/police/HERTS";

// Valid NHS numbers (modulus 11), the documented example first, then the test range.
inline constexpr char kNhs1[] = "9434765919";
inline constexpr char kNhs2[] = "9990000018";
inline constexpr char kNhs3[] = "9990000026";
inline constexpr char kNhs4[] = "9990000034";
inline constexpr char kNhs5[] = "9990000042";

inline std::string Describe(const grpc::Status& status) {
  return absl::StrCat("code ", status.error_code(), ": ", status.error_message());
}

// INVALID_ARGUMENT whose message names `field`.
inline ::testing::AssertionResult InvalidNaming(const grpc::Status& status,
                                                const std::string& field) {
  if (status.error_code() != grpc::StatusCode::INVALID_ARGUMENT) {
    return ::testing::AssertionFailure() << "expected INVALID_ARGUMENT, got " << Describe(status);
  }
  if (status.error_message().find(field) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "message does not name '" << field << "': " << status.error_message();
  }
  return ::testing::AssertionSuccess();
}

class CaseRecordsTest : public ::testing::Test {
 protected:
  // `configure` adjusts case_records' configuration (e.g. the name match secret).
  explicit CaseRecordsTest(void (*configure)(ServerConfig&) = nullptr)
      : server_(CaseRecordsDefinition(), configure),
        cases_(v1::CaseRecordsService::NewStub(server_.channel())),
        nhs_(v1::ChildProtectionInformationService::NewStub(server_.channel())) {}

  // ---- Requests and creates (the helpers EXPECT success) ----

  static v1::CreateCaseRequest CaseRequest(const std::string& request_id = "") {
    v1::CreateCaseRequest request;
    request.set_request_id(request_id);
    auto* c = request.mutable_case_();
    c->set_referral_date("2026-09-01");
    c->set_referral_source("6");
    c->set_primary_need_code("N1");
    c->set_team("team-a");
    c->set_lead_social_worker(kLead.practitioner);
    c->set_council_reference("REF-1");
    return request;
  }

  v1::Case NewCase(const std::string& request_id = "") {
    v1::Case created;
    auto status = cases_->CreateCase(ContextFor(kLead).get(), CaseRequest(request_id), &created);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return created;
  }

  static v1::Person Child(const std::string& given, const std::string& family,
                          const std::string& nhs, const std::string& born) {
    v1::Person p;
    p.set_kind(v1::PERSON_KIND_CHILD);
    p.set_given_name(given);
    p.set_family_name(family);
    p.set_nhs_number(nhs);
    p.set_birth_date(born);
    return p;
  }

  static v1::Person Adult(const std::string& given, const std::string& family) {
    v1::Person p;
    p.set_kind(v1::PERSON_KIND_ADULT);
    p.set_given_name(given);
    p.set_family_name(family);
    p.set_birth_date("1990-05-20");
    return p;
  }

  grpc::Status CreatePerson(const As& who, const std::string& parent, const v1::Person& person,
                            v1::CreatePersonResponse* response,
                            const std::string& request_id = "") {
    v1::CreatePersonRequest request;
    request.set_parent(parent);
    *request.mutable_person() = person;
    request.set_request_id(request_id);
    return cases_->CreatePerson(ContextFor(who).get(), request, response);
  }

  v1::CreatePersonResponse AddPerson(const v1::Case& c, const v1::Person& person) {
    v1::CreatePersonResponse response;
    auto status = CreatePerson(kLead, c.name(), person, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return response;
  }

  v1::Person NewChild(const v1::Case& c, const std::string& nhs = kNhs1,
                      const std::string& born = "2019-03-07") {
    return AddPerson(c, Child("Zoë", "O'Brien", nhs, born)).person();
  }

  grpc::Status GetCase(const As& who, const std::string& name, v1::Case* out = nullptr) {
    v1::GetCaseRequest request;
    request.set_name(name);
    v1::Case ignored;
    return cases_->GetCase(ContextFor(who).get(), request, out ? out : &ignored);
  }

  v1::Case Fetch(const std::string& name, const As& who = kManager) {
    v1::Case c;
    auto status = GetCase(who, name, &c);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return c;
  }

  grpc::Status ChangeState(const As& who, const std::string& name, const std::string& etag,
                           v1::CaseState state, v1::Case* out = nullptr) {
    v1::ChangeCaseStateRequest request;
    request.set_name(name);
    request.set_etag(etag);
    request.set_state(state);
    v1::Case ignored;
    return cases_->ChangeCaseState(ContextFor(who).get(), request, out ? out : &ignored);
  }

  grpc::Status Close(const As& who, const v1::Case& c, const std::string& reason,
                     v1::Case* out = nullptr, const std::string& date = "2026-11-01") {
    v1::CloseCaseRequest request;
    request.set_name(c.name());
    request.set_etag(c.etag());
    request.set_reason_for_closure(reason);
    request.set_closure_date(date);
    v1::Case ignored;
    return cases_->CloseCase(ContextFor(who).get(), request, out ? out : &ignored);
  }

  grpc::Status Reopen(const As& who, const v1::Case& c, const std::string& lead,
                      v1::Case* out = nullptr, const std::string& date = "2026-11-20") {
    v1::ReopenCaseRequest request;
    request.set_name(c.name());
    request.set_etag(c.etag());
    request.set_referral_date(date);
    request.set_referral_source("3E");
    request.set_lead_social_worker(lead);
    v1::Case ignored;
    return cases_->ReopenCase(ContextFor(who).get(), request, out ? out : &ignored);
  }

  grpc::Status Allocate(const As& who, const std::string& parent, const std::string& practitioner,
                        v1::FamilySafeguardingRole role, v1::Allocation* out = nullptr) {
    v1::AllocatePractitionerRequest request;
    request.set_parent(parent);
    request.mutable_allocation()->set_practitioner(practitioner);
    request.mutable_allocation()->set_role(role);
    v1::Allocation ignored;
    return cases_->AllocatePractitioner(ContextFor(who).get(), request, out ? out : &ignored);
  }

  grpc::Status EndAllocation(const As& who, const std::string& name,
                             v1::Allocation* out = nullptr) {
    v1::EndAllocationRequest request;
    request.set_name(name);
    request.set_reason("work complete");
    v1::Allocation ignored;
    return cases_->EndAllocation(ContextFor(who).get(), request, out ? out : &ignored);
  }

  std::vector<v1::Allocation> Allocations(const std::string& parent, bool include_ended,
                                          const As& who = kManager) {
    v1::ListAllocationsRequest request;
    request.set_parent(parent);
    request.set_include_ended(include_ended);
    v1::ListAllocationsResponse response;
    auto status = cases_->ListAllocations(ContextFor(who).get(), request, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return {response.allocations().begin(), response.allocations().end()};
  }

  grpc::Status StartPlan(const As& who, const std::string& child, const std::string& start,
                         v1::ChildProtectionPlan* out = nullptr,
                         const std::string& category = "NEG") {
    v1::StartChildProtectionPlanRequest request;
    request.set_parent(child);
    request.mutable_plan()->set_start_date(start);
    request.mutable_plan()->set_initial_category_of_abuse(category);
    v1::ChildProtectionPlan ignored;
    return cases_->StartChildProtectionPlan(ContextFor(who).get(), request, out ? out : &ignored);
  }

  grpc::Status EndPlan(const As& who, const std::string& plan, const std::string& end,
                       v1::ChildProtectionPlan* out = nullptr) {
    v1::EndChildProtectionPlanRequest request;
    request.set_name(plan);
    request.set_end_date(end);
    v1::ChildProtectionPlan ignored;
    return cases_->EndChildProtectionPlan(ContextFor(who).get(), request, out ? out : &ignored);
  }

  grpc::Status StartEpisode(const As& who, const std::string& child, const std::string& start,
                            const std::string& legal_status,
                            v1::LookedAfterEpisode* out = nullptr) {
    v1::StartLookedAfterEpisodeRequest request;
    request.set_parent(child);
    request.mutable_episode()->set_start_date(start);
    request.mutable_episode()->set_legal_status(legal_status);
    v1::LookedAfterEpisode ignored;
    return cases_->StartLookedAfterEpisode(ContextFor(who).get(), request, out ? out : &ignored);
  }

  grpc::Status EndEpisode(const As& who, const std::string& episode, const std::string& end,
                          const std::string& reason, v1::LookedAfterEpisode* out = nullptr) {
    v1::EndLookedAfterEpisodeRequest request;
    request.set_name(episode);
    request.set_end_date(end);
    request.set_reason_ended(reason);
    v1::LookedAfterEpisode ignored;
    return cases_->EndLookedAfterEpisode(ContextFor(who).get(), request, out ? out : &ignored);
  }

  std::vector<v1::Alert> Alerts(const As& who, bool include_acknowledged = false) {
    v1::ListAlertsRequest request;
    request.set_include_acknowledged(include_acknowledged);
    v1::ListAlertsResponse response;
    auto status = cases_->ListAlerts(ContextFor(who).get(), request, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return {response.alerts().begin(), response.alerts().end()};
  }

  grpc::Status Lookup(const std::string& principal, const std::string& nhs,
                      v1::LookupChildProtectionStatusResponse* out = nullptr) {
    v1::LookupChildProtectionStatusRequest request;
    request.set_nhs_number(nhs);
    v1::LookupChildProtectionStatusResponse ignored;
    return nhs_->LookupChildProtectionStatus(ContextForPrincipal(principal).get(), request,
                                             out ? out : &ignored);
  }

  // ---- The database, through the superuser ----

  // The first column of the first row of `sql` (which names tables as case_records.<table>).
  template <typename T = long long>
  T Scalar(const std::string& sql) {
    pqxx::connection conn(server_.database().admin_url());
    pqxx::read_transaction tx(conn);
    return tx.exec1(sql)[0].as<T>();
  }

  long long Count(const std::string& table, const std::string& where = "true") {
    return Scalar("SELECT count(*) FROM case_records." + table + " WHERE " + where);
  }

  long long AuditCount(const std::string& where) { return Count("audit_log", where); }

  // (action, outcome) of every audit row, in chain order.
  std::vector<std::pair<std::string, std::string>> AuditTrail() {
    pqxx::connection conn(server_.database().admin_url());
    pqxx::read_transaction tx(conn);
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& row :
         tx.exec("SELECT action, outcome FROM case_records.audit_log ORDER BY id")) {
      out.emplace_back(row[0].as<std::string>(), row[1].as<std::string>());
    }
    return out;
  }

  // True when verify_audit_chain() finds no broken row.
  bool AuditChainIntact() {
    pqxx::connection conn(server_.database().admin_url());
    pqxx::read_transaction tx(conn);
    return tx.exec1("SELECT case_records.verify_audit_chain()")[0].is_null();
  }

  static std::string IdOf(const std::string& name) { return name.substr(name.rfind('/') + 1); }

  // Runs `body(i)` on `n` threads released together; returns when all have finished.
  static void InParallel(int n, const std::function<void(int)>& body) {
    std::latch ready(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        ready.arrive_and_wait();
        body(i);
      });
    }
    for (auto& t : threads) t.join();
  }

  TestServer server_;
  std::unique_ptr<v1::CaseRecordsService::Stub> cases_;
  std::unique_ptr<v1::ChildProtectionInformationService::Stub> nhs_;
};

}  // namespace fs::cases
