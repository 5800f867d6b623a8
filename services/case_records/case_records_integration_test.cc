// case_records over real gRPC against a real PostgreSQL (a throwaway database per test): cases,
// identity, idempotent creates, etags and the case state machine. People, allocations, plans,
// the NHS look-up and the audit log have their own case_records_*_integration_test.cc.
#include <gtest/gtest.h>

#include <functional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "services/case_records/case_records_integration_fixture.h"

namespace fs::cases {
namespace {

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

// ---- CreateCase validation and who may call ----

TEST_F(CaseRecordsTest, CreateCaseValidationNamesTheField) {
  struct Bad {
    std::string field;
    std::function<void(v1::Case&)> spoil;
  };
  const std::vector<Bad> bad = {
      {"case.team", [](v1::Case& c) { c.clear_team(); }},
      {"case.team", [](v1::Case& c) { c.set_team("team a/b"); }},
      {"case.lead_social_worker", [](v1::Case& c) { c.clear_lead_social_worker(); }},
      {"case.referral_date", [](v1::Case& c) { c.set_referral_date("2026-02-30"); }},
      {"case.referral_date", [](v1::Case& c) { c.set_referral_date("01/09/2026"); }},
      {"case.referral_date", [](v1::Case& c) { c.clear_referral_date(); }},
      {"case.referral_source", [](v1::Case& c) { c.set_referral_source("99"); }},
      {"case.referral_source", [](v1::Case& c) { c.clear_referral_source(); }},
      {"case.primary_need_code", [](v1::Case& c) { c.set_primary_need_code("N10"); }},
      {"case.primary_need_code", [](v1::Case& c) { c.set_primary_need_code("n1"); }},
  };
  for (const auto& b : bad) {
    v1::CreateCaseRequest request = CaseRequest();
    b.spoil(*request.mutable_case_());
    v1::Case created;
    auto status = cases_->CreateCase(ContextFor(kLead).get(), request, &created);
    EXPECT_TRUE(InvalidNaming(status, b.field)) << request.case_().ShortDebugString();
  }
  EXPECT_EQ(Count("cases"), 0);
  EXPECT_EQ(Count("allocations"), 0);
  EXPECT_EQ(AuditCount("action = 'CreateCase' AND outcome = 'INVALID_ARGUMENT'"),
            static_cast<long long>(bad.size()));
  EXPECT_EQ(AuditCount("outcome = 'OK'"), 0);
}

TEST_F(CaseRecordsTest, PractitionerCannotOpenACaseForAnotherTeam) {
  v1::CreateCaseRequest request = CaseRequest();
  request.mutable_case_()->set_team("team-b");
  v1::Case created;
  auto status = cases_->CreateCase(ContextFor(kLead).get(), request, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  // No x-fs-team at all: no team to open cases for.
  As teamless = kLead;
  teamless.teams = "";
  status = cases_->CreateCase(ContextFor(teamless).get(), CaseRequest(), &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  EXPECT_EQ(Count("cases"), 0);
  EXPECT_EQ(AuditCount("action = 'CreateCase' AND outcome = 'PERMISSION_DENIED'"), 2);
}

TEST_F(CaseRecordsTest, CallsWithoutIdentityAreUnauthenticated) {
  v1::Case c = NewCase();
  {
    grpc::ClientContext context;
    v1::Case created;
    auto status = cases_->CreateCase(&context, CaseRequest(), &created);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(status);
  }
  {
    grpc::ClientContext context;
    v1::GetCaseRequest request;
    request.set_name(c.name());
    v1::Case fetched;
    auto status = cases_->GetCase(&context, request, &fetched);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(status);
    EXPECT_FALSE(fetched.has_create_time());
  }
  {
    grpc::ClientContext context;
    v1::LookupChildProtectionStatusRequest request;
    request.set_nhs_number(kNhs1);
    v1::LookupChildProtectionStatusResponse answer;
    auto status = nhs_->LookupChildProtectionStatus(&context, request, &answer);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(status);
  }
  {
    // A practitioner principal without the front end's role is not an identity either.
    grpc::ClientContext context;
    context.AddMetadata("x-fs-principal", "spiffe://fs.local/practitioner/sw-lead");
    context.AddMetadata("x-fs-team", "team-a");
    v1::Case fetched;
    v1::GetCaseRequest request;
    request.set_name(c.name());
    auto status = cases_->GetCase(&context, request, &fetched);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << Describe(status);
  }
  EXPECT_EQ(Count("cases"), 1);
  EXPECT_EQ(Count("nhs_accesses"), 0);
}

// Every CaseRecordsService method, each called with the given context on real resources.
struct Resources {
  std::string case_name, person, allocation, plan, episode, alert;
};

std::vector<std::pair<std::string, std::function<grpc::Status(grpc::ClientContext*)>>> EveryMethod(
    v1::CaseRecordsService::Stub* stub, const Resources& r) {
  std::vector<std::pair<std::string, std::function<grpc::Status(grpc::ClientContext*)>>> calls;
  auto add = [&](std::string method, std::function<grpc::Status(grpc::ClientContext*)> call) {
    calls.emplace_back(std::move(method), std::move(call));
  };
  add("CreateCase", [=](grpc::ClientContext* ctx) {
    v1::CreateCaseRequest req;
    auto* c = req.mutable_case_();
    c->set_referral_date("2026-09-01");
    c->set_referral_source("6");
    c->set_team("team-a");
    c->set_lead_social_worker("sw-lead");
    v1::Case resp;
    return stub->CreateCase(ctx, req, &resp);
  });
  add("GetCase", [=](grpc::ClientContext* ctx) {
    v1::GetCaseRequest req;
    req.set_name(r.case_name);
    v1::Case resp;
    return stub->GetCase(ctx, req, &resp);
  });
  add("ListCases", [=](grpc::ClientContext* ctx) {
    v1::ListCasesResponse resp;
    return stub->ListCases(ctx, v1::ListCasesRequest(), &resp);
  });
  add("UpdateCase", [=](grpc::ClientContext* ctx) {
    v1::UpdateCaseRequest req;
    req.mutable_case_()->set_name(r.case_name);
    req.mutable_case_()->set_etag("v1");
    req.mutable_case_()->set_council_reference("PWNED");
    req.mutable_update_mask()->add_paths("council_reference");
    v1::Case resp;
    return stub->UpdateCase(ctx, req, &resp);
  });
  add("ChangeCaseState", [=](grpc::ClientContext* ctx) {
    v1::ChangeCaseStateRequest req;
    req.set_name(r.case_name);
    req.set_etag("v1");
    req.set_state(v1::CASE_STATE_ASSESSMENT);
    v1::Case resp;
    return stub->ChangeCaseState(ctx, req, &resp);
  });
  add("CloseCase", [=](grpc::ClientContext* ctx) {
    v1::CloseCaseRequest req;
    req.set_name(r.case_name);
    req.set_etag("v1");
    req.set_reason_for_closure("RC1");
    req.set_closure_date("2026-11-01");
    v1::Case resp;
    return stub->CloseCase(ctx, req, &resp);
  });
  add("ReopenCase", [=](grpc::ClientContext* ctx) {
    v1::ReopenCaseRequest req;
    req.set_name(r.case_name);
    req.set_etag("v1");
    req.set_referral_date("2026-11-20");
    req.set_referral_source("6");
    req.set_lead_social_worker("sw-lead");
    v1::Case resp;
    return stub->ReopenCase(ctx, req, &resp);
  });
  add("CreatePerson", [=](grpc::ClientContext* ctx) {
    v1::CreatePersonRequest req;
    req.set_parent(r.case_name);
    req.mutable_person()->set_kind(v1::PERSON_KIND_ADULT);
    req.mutable_person()->set_given_name("Eve");
    req.mutable_person()->set_family_name("Intruder");
    v1::CreatePersonResponse resp;
    return stub->CreatePerson(ctx, req, &resp);
  });
  add("GetPerson", [=](grpc::ClientContext* ctx) {
    v1::GetPersonRequest req;
    req.set_name(r.person);
    v1::Person resp;
    return stub->GetPerson(ctx, req, &resp);
  });
  add("ListPeople", [=](grpc::ClientContext* ctx) {
    v1::ListPeopleRequest req;
    req.set_parent(r.case_name);
    v1::ListPeopleResponse resp;
    return stub->ListPeople(ctx, req, &resp);
  });
  add("UpdatePerson", [=](grpc::ClientContext* ctx) {
    v1::UpdatePersonRequest req;
    req.mutable_person()->set_name(r.person);
    req.mutable_person()->set_etag("v1");
    req.mutable_person()->set_given_name("Changed");
    req.mutable_update_mask()->add_paths("given_name");
    v1::Person resp;
    return stub->UpdatePerson(ctx, req, &resp);
  });
  add("SearchPeople", [=](grpc::ClientContext* ctx) {
    v1::SearchPeopleRequest req;
    req.set_nhs_number(kNhs1);
    v1::SearchPeopleResponse resp;
    return stub->SearchPeople(ctx, req, &resp);
  });
  add("AllocatePractitioner", [=](grpc::ClientContext* ctx) {
    v1::AllocatePractitionerRequest req;
    req.set_parent(r.case_name);
    req.mutable_allocation()->set_practitioner("fsw-9");
    req.mutable_allocation()->set_role(v1::FAMILY_SAFEGUARDING_ROLE_FAMILY_SUPPORT_WORKER);
    v1::Allocation resp;
    return stub->AllocatePractitioner(ctx, req, &resp);
  });
  add("EndAllocation", [=](grpc::ClientContext* ctx) {
    v1::EndAllocationRequest req;
    req.set_name(r.allocation);
    v1::Allocation resp;
    return stub->EndAllocation(ctx, req, &resp);
  });
  add("ListAllocations", [=](grpc::ClientContext* ctx) {
    v1::ListAllocationsRequest req;
    req.set_parent(r.case_name);
    v1::ListAllocationsResponse resp;
    return stub->ListAllocations(ctx, req, &resp);
  });
  add("ListCaseload", [=](grpc::ClientContext* ctx) {
    v1::ListCaseloadRequest req;
    req.set_practitioner("sw-lead");
    v1::ListCaseloadResponse resp;
    return stub->ListCaseload(ctx, req, &resp);
  });
  add("StartChildProtectionPlan", [=](grpc::ClientContext* ctx) {
    v1::StartChildProtectionPlanRequest req;
    req.set_parent(r.person);
    req.mutable_plan()->set_start_date("2026-10-01");
    req.mutable_plan()->set_initial_category_of_abuse("NEG");
    v1::ChildProtectionPlan resp;
    return stub->StartChildProtectionPlan(ctx, req, &resp);
  });
  add("UpdateChildProtectionPlan", [=](grpc::ClientContext* ctx) {
    v1::UpdateChildProtectionPlanRequest req;
    req.mutable_plan()->set_name(r.plan);
    req.mutable_plan()->set_etag("v1");
    req.mutable_plan()->set_latest_category_of_abuse("PHY");
    req.mutable_update_mask()->add_paths("latest_category_of_abuse");
    v1::ChildProtectionPlan resp;
    return stub->UpdateChildProtectionPlan(ctx, req, &resp);
  });
  add("EndChildProtectionPlan", [=](grpc::ClientContext* ctx) {
    v1::EndChildProtectionPlanRequest req;
    req.set_name(r.plan);
    req.set_end_date("2026-11-10");
    v1::ChildProtectionPlan resp;
    return stub->EndChildProtectionPlan(ctx, req, &resp);
  });
  add("ListChildProtectionPlans", [=](grpc::ClientContext* ctx) {
    v1::ListChildProtectionPlansRequest req;
    req.set_parent(r.person);
    v1::ListChildProtectionPlansResponse resp;
    return stub->ListChildProtectionPlans(ctx, req, &resp);
  });
  add("StartLookedAfterEpisode", [=](grpc::ClientContext* ctx) {
    v1::StartLookedAfterEpisodeRequest req;
    req.set_parent(r.person);
    req.mutable_episode()->set_start_date("2026-10-05");
    req.mutable_episode()->set_legal_status("C2");
    v1::LookedAfterEpisode resp;
    return stub->StartLookedAfterEpisode(ctx, req, &resp);
  });
  add("EndLookedAfterEpisode", [=](grpc::ClientContext* ctx) {
    v1::EndLookedAfterEpisodeRequest req;
    req.set_name(r.episode);
    req.set_end_date("2026-11-10");
    req.set_reason_ended("E11");
    v1::LookedAfterEpisode resp;
    return stub->EndLookedAfterEpisode(ctx, req, &resp);
  });
  add("ListLookedAfterEpisodes", [=](grpc::ClientContext* ctx) {
    v1::ListLookedAfterEpisodesRequest req;
    req.set_parent(r.person);
    v1::ListLookedAfterEpisodesResponse resp;
    return stub->ListLookedAfterEpisodes(ctx, req, &resp);
  });
  add("ListAlerts", [=](grpc::ClientContext* ctx) {
    v1::ListAlertsResponse resp;
    return stub->ListAlerts(ctx, v1::ListAlertsRequest(), &resp);
  });
  add("AcknowledgeAlert", [=](grpc::ClientContext* ctx) {
    v1::AcknowledgeAlertRequest req;
    req.set_name(r.alert);
    v1::Alert resp;
    return stub->AcknowledgeAlert(ctx, req, &resp);
  });
  add("ListBreakGlassAccesses", [=](grpc::ClientContext* ctx) {
    v1::ListBreakGlassAccessesResponse resp;
    return stub->ListBreakGlassAccesses(ctx, v1::ListBreakGlassAccessesRequest(), &resp);
  });
  return calls;
}

TEST_F(CaseRecordsTest, PartnersAreDeniedEveryCaseRecordsMethod) {
  v1::Case c = NewCase();
  v1::Person child = NewChild(c);
  v1::ChildProtectionPlan plan;
  ASSERT_TRUE(StartPlan(kLead, child.name(), "2026-10-01", &plan).ok());
  v1::LookedAfterEpisode episode;
  ASSERT_TRUE(StartEpisode(kLead, child.name(), "2026-10-05", "C2", &episode).ok());
  v1::Allocation support;
  ASSERT_TRUE(Allocate(kLead, c.name(), kSupport.practitioner,
                       v1::FAMILY_SAFEGUARDING_ROLE_FAMILY_SUPPORT_WORKER, &support)
                  .ok());
  std::vector<v1::Alert> alerts = Alerts(kLead);
  ASSERT_FALSE(alerts.empty());
  Resources real{c.name(),    child.name(),   support.name(),
                 plan.name(), episode.name(), alerts[0].name()};

  const long long audit_before = Count("audit_log");
  const auto real_calls = EveryMethod(cases_.get(), real);
  const auto empty_calls = EveryMethod(cases_.get(), Resources());
  ASSERT_EQ(real_calls.size(), 26u);
  for (const std::string principal : {kNhsPartner, kPolicePartner}) {
    for (const auto* calls : {&real_calls, &empty_calls}) {
      for (const auto& [method, call] : *calls) {
        auto status = call(ContextForPrincipal(principal).get());
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << principal << " " << method << (calls == &empty_calls ? " (empty request) " : " ")
            << Describe(status);
      }
    }
  }
  // Police are not NHS: the CP-IS look-up is refused too.
  auto police = Lookup(kPolicePartner, kNhs1);
  EXPECT_EQ(police.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(police);

  // Nothing changed, and every refusal was audited under the partner's identity.
  v1::Case after = Fetch(c.name());
  EXPECT_EQ(after.etag(), c.etag());
  EXPECT_EQ(after.council_reference(), "REF-1");
  EXPECT_EQ(Count("cases"), 1);
  EXPECT_EQ(Count("people"), 1);
  EXPECT_EQ(Count("allocations", "end_time IS NULL"), 2);
  EXPECT_EQ(Count("child_protection_plans", "end_date IS NULL"), 1);
  EXPECT_EQ(Count("alerts", "acknowledge_time IS NOT NULL"), 0);
  EXPECT_EQ(Count("nhs_accesses"), 0);
  EXPECT_EQ(Count("audit_log",
                  "id > " + std::to_string(audit_before) + " AND outcome = 'PERMISSION_DENIED'"),
            2 * 2 * 26 + 1);
  EXPECT_EQ(AuditCount("principal = 'spiffe://fs.local/partner/police/HERTS' AND outcome = "
                       "'PERMISSION_DENIED' AND role = 'police_partner'"),
            2 * 26 + 1);
}

// ---- Idempotent creates ----

TEST_F(CaseRecordsTest, RetriedCreateCaseReturnsTheFirstCase) {
  v1::Case first = NewCase("req-0001");
  v1::CreateCaseRequest retry = CaseRequest("req-0001");
  retry.mutable_case_()->set_council_reference("REF-RETRIED");
  v1::Case second;
  ASSERT_TRUE(cases_->CreateCase(ContextFor(kLead).get(), retry, &second).ok());
  EXPECT_EQ(second.name(), first.name());
  EXPECT_EQ(second.council_reference(), "REF-1");
  EXPECT_EQ(second.etag(), first.etag());
  EXPECT_EQ(second.lead_social_worker(), "sw-lead");
  EXPECT_EQ(Count("cases"), 1);
  EXPECT_EQ(Count("allocations"), 1);
  EXPECT_EQ(Count("alerts"), 1);
  EXPECT_EQ(Count("case_referrals"), 1);

  // Another key, or the same key from another practitioner, is another create.
  v1::Case other = NewCase("req-0002");
  EXPECT_NE(other.name(), first.name());
  As colleague = kNewLead;
  v1::Case theirs;
  ASSERT_TRUE(
      cases_->CreateCase(ContextFor(colleague).get(), CaseRequest("req-0001"), &theirs).ok());
  EXPECT_NE(theirs.name(), first.name());
  EXPECT_EQ(Count("cases"), 3);
  EXPECT_EQ(AuditCount("action = 'CreateCase' AND outcome = 'OK'"), 4);
}

TEST_F(CaseRecordsTest, CreateCaseRetriedInParallelMakesOneCase) {
  constexpr int kThreads = 8;
  std::vector<grpc::Status> statuses(kThreads);
  std::vector<v1::Case> results(kThreads);
  InParallel(kThreads, [&](int i) {
    statuses[i] =
        cases_->CreateCase(ContextFor(kLead).get(), CaseRequest("parallel-create"), &results[i]);
  });
  for (int i = 0; i < kThreads; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << i << ": " << Describe(statuses[i]);
    EXPECT_EQ(results[i].name(), results[0].name()) << i;
    EXPECT_EQ(results[i].lead_social_worker(), "sw-lead") << i;
  }
  EXPECT_EQ(Count("cases"), 1);
  EXPECT_EQ(Count("allocations"), 1);
  EXPECT_EQ(Count("alerts"), 1);
  EXPECT_EQ(Count("case_referrals"), 1);
  EXPECT_EQ(Count("create_requests"), 1);
  EXPECT_EQ(Scalar<std::string>("SELECT 'cases/' || id::text FROM case_records.cases"),
            results[0].name());
  EXPECT_EQ(AuditCount("action = 'CreateCase' AND outcome = 'OK'"), kThreads);
  EXPECT_EQ(AuditCount("outcome <> 'OK'"), 0);
  EXPECT_TRUE(AuditChainIntact());
}

// ---- Etags and update masks ----

v1::UpdateCaseRequest CaseUpdate(const v1::Case& c, const std::string& reference) {
  v1::UpdateCaseRequest request;
  request.mutable_case_()->set_name(c.name());
  request.mutable_case_()->set_etag(c.etag());
  request.mutable_case_()->set_council_reference(reference);
  request.mutable_update_mask()->add_paths("council_reference");
  return request;
}

TEST_F(CaseRecordsTest, UpdateCaseChangesOnlyTheMaskedFields) {
  v1::Case c = NewCase();
  v1::UpdateCaseRequest request = CaseUpdate(c, "REF-2");
  request.mutable_case_()->set_primary_need_code("N7");  // not in the mask: ignored
  request.mutable_case_()->set_team("team-b");           // not in the mask: ignored
  v1::Case updated;
  auto status = cases_->UpdateCase(ContextFor(kLead).get(), request, &updated);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(updated.council_reference(), "REF-2");
  EXPECT_EQ(updated.primary_need_code(), "N1");
  EXPECT_EQ(updated.team(), "team-a");
  EXPECT_NE(updated.etag(), c.etag());
  EXPECT_EQ(updated.lead_social_worker(), "sw-lead");

  request = CaseUpdate(updated, "");
  request.mutable_case_()->set_primary_need_code("N7");
  request.mutable_update_mask()->add_paths("primary_need_code");
  v1::Case again;
  ASSERT_TRUE(cases_->UpdateCase(ContextFor(kLead).get(), request, &again).ok());
  EXPECT_EQ(again.council_reference(), "");
  EXPECT_EQ(again.primary_need_code(), "N7");
  EXPECT_EQ(Fetch(c.name()).etag(), again.etag());

  // A bad value in a masked field is refused by name.
  request = CaseUpdate(again, "REF-3");
  request.mutable_case_()->set_primary_need_code("N99");
  request.mutable_update_mask()->add_paths("primary_need_code");
  status = cases_->UpdateCase(ContextFor(kLead).get(), request, &updated);
  EXPECT_TRUE(InvalidNaming(status, "case.primary_need_code"));
  EXPECT_EQ(Fetch(c.name()).council_reference(), "");
}

TEST_F(CaseRecordsTest, UpdateCaseWithStaleEtagIsAbortedAndChangesNothing) {
  v1::Case c = NewCase();
  v1::Case updated;
  ASSERT_TRUE(cases_->UpdateCase(ContextFor(kLead).get(), CaseUpdate(c, "REF-2"), &updated).ok());
  auto status = cases_->UpdateCase(ContextFor(kLead).get(), CaseUpdate(c, "REF-STALE"), &updated);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << Describe(status);
  v1::Case now = Fetch(c.name());
  EXPECT_EQ(now.council_reference(), "REF-2");
  EXPECT_EQ(Scalar("SELECT version FROM case_records.cases"), 2);
  EXPECT_EQ(AuditCount("action = 'UpdateCase' AND outcome = 'ABORTED'"), 1);

  // The stale etag is refused by the state change too.
  status = ChangeState(kLead, c.name(), c.etag(), v1::CASE_STATE_ASSESSMENT);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << Describe(status);
  EXPECT_EQ(Fetch(c.name()).state(), v1::CASE_STATE_REFERRAL);
}

TEST_F(CaseRecordsTest, UpdateCaseWithoutEtagIsInvalid) {
  v1::Case c = NewCase();
  v1::UpdateCaseRequest request = CaseUpdate(c, "REF-2");
  request.mutable_case_()->clear_etag();
  v1::Case updated;
  auto status = cases_->UpdateCase(ContextFor(kLead).get(), request, &updated);
  EXPECT_TRUE(InvalidNaming(status, "case.etag"));
  EXPECT_EQ(Fetch(c.name()).council_reference(), "REF-1");
  status = ChangeState(kLead, c.name(), "", v1::CASE_STATE_ASSESSMENT);
  EXPECT_TRUE(InvalidNaming(status, "etag"));
}

TEST_F(CaseRecordsTest, UpdateCaseMaskMissingOrUnknownIsInvalid) {
  v1::Case c = NewCase();
  v1::Case updated;
  v1::UpdateCaseRequest request = CaseUpdate(c, "REF-2");
  request.clear_update_mask();
  EXPECT_TRUE(
      InvalidNaming(cases_->UpdateCase(ContextFor(kLead).get(), request, &updated), "update_mask"));
  for (const std::string path : {"state", "etag", "name", "referral_date", "no_such_field"}) {
    request = CaseUpdate(c, "REF-2");
    request.mutable_update_mask()->add_paths(path);
    auto status = cases_->UpdateCase(ContextFor(kLead).get(), request, &updated);
    EXPECT_TRUE(InvalidNaming(status, "update_mask")) << path;
    EXPECT_NE(status.error_message().find(path), std::string::npos) << status.error_message();
  }
  v1::Case now = Fetch(c.name());
  EXPECT_EQ(now.council_reference(), "REF-1");
  EXPECT_EQ(now.etag(), c.etag());
}

TEST_F(CaseRecordsTest, ConcurrentUpdatesWithOneEtagLetExactlyOneThrough) {
  v1::Case c = NewCase();
  constexpr int kThreads = 8;
  std::vector<grpc::Status> statuses(kThreads);
  std::vector<v1::Case> results(kThreads);
  InParallel(kThreads, [&](int i) {
    statuses[i] = cases_->UpdateCase(ContextFor(kLead).get(),
                                     CaseUpdate(c, "REF-T" + std::to_string(i)), &results[i]);
  });
  int ok = 0, winner = -1;
  for (int i = 0; i < kThreads; ++i) {
    if (statuses[i].ok()) {
      ++ok;
      winner = i;
    } else {
      EXPECT_EQ(statuses[i].error_code(), grpc::StatusCode::ABORTED) << Describe(statuses[i]);
    }
  }
  ASSERT_EQ(ok, 1);
  v1::Case now = Fetch(c.name());
  EXPECT_EQ(now.council_reference(), "REF-T" + std::to_string(winner));
  EXPECT_EQ(now.etag(), results[winner].etag());
  EXPECT_EQ(Scalar("SELECT version FROM case_records.cases"), 2);
  EXPECT_EQ(AuditCount("action = 'UpdateCase' AND outcome = 'OK'"), 1);
  EXPECT_EQ(AuditCount("action = 'UpdateCase' AND outcome = 'ABORTED'"), kThreads - 1);
  EXPECT_TRUE(AuditChainIntact());
}

// ---- The state machine ----

TEST_F(CaseRecordsTest, StateMachineOverGrpc) {
  v1::Case c = NewCase();
  v1::Case assessed, protected_;
  ASSERT_TRUE(ChangeState(kLead, c.name(), c.etag(), v1::CASE_STATE_ASSESSMENT, &assessed).ok());
  EXPECT_EQ(assessed.state(), v1::CASE_STATE_ASSESSMENT);
  auto status =
      ChangeState(kLead, c.name(), assessed.etag(), v1::CASE_STATE_CHILD_PROTECTION, &protected_);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(protected_.state(), v1::CASE_STATE_CHILD_PROTECTION);
  EXPECT_EQ(protected_.lead_social_worker(), "sw-lead");
  // Back to ASSESSMENT or REFERRAL is not a move; CLOSED goes through CloseCase.
  status = ChangeState(kLead, c.name(), protected_.etag(), v1::CASE_STATE_ASSESSMENT);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  EXPECT_TRUE(InvalidNaming(
      ChangeState(kLead, c.name(), protected_.etag(), v1::CASE_STATE_REFERRAL), "state"));
  EXPECT_TRUE(InvalidNaming(ChangeState(kLead, c.name(), protected_.etag(), v1::CASE_STATE_CLOSED),
                            "state"));
  EXPECT_TRUE(InvalidNaming(
      ChangeState(kLead, c.name(), protected_.etag(), v1::CASE_STATE_UNSPECIFIED), "state"));
  EXPECT_EQ(Fetch(c.name()).state(), v1::CASE_STATE_CHILD_PROTECTION);

  v1::Case fresh = NewCase();
  status = ChangeState(kLead, fresh.name(), fresh.etag(), v1::CASE_STATE_CHILD_IN_NEED);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  status = ChangeState(kLead, fresh.name(), fresh.etag(), v1::CASE_STATE_REFERRAL);
  EXPECT_NE(status.error_code(), grpc::StatusCode::OK);
  EXPECT_EQ(Fetch(fresh.name()).state(), v1::CASE_STATE_REFERRAL);
  EXPECT_EQ(Fetch(fresh.name()).etag(), fresh.etag());

  // Every accepted move is in the history, with who made it.
  EXPECT_EQ(Count("case_state_changes", "case_id::text = '" + IdOf(c.name()) + "'"), 3);
  EXPECT_EQ(Count("case_state_changes",
                  "from_state = 'ASSESSMENT' AND to_state = 'CHILD_PROTECTION' AND changed_by = "
                  "'spiffe://fs.local/practitioner/sw-lead'"),
            1);
  // A stranger cannot move the case.
  status = ChangeState(kStranger, fresh.name(), fresh.etag(), v1::CASE_STATE_ASSESSMENT);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
}

TEST_F(CaseRecordsTest, CloseCaseRefusedWhileAChildProtectionPlanIsOpen) {
  v1::Case c = NewCase();
  v1::Person child = NewChild(c);
  v1::ChildProtectionPlan plan;
  ASSERT_TRUE(StartPlan(kLead, child.name(), "2026-10-01", &plan).ok());
  c = Fetch(c.name());
  auto status = Close(kLead, c, "RC1");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  EXPECT_EQ(Fetch(c.name()).state(), v1::CASE_STATE_REFERRAL);
  EXPECT_EQ(Count("allocations", "end_time IS NULL"), 1);

  ASSERT_TRUE(EndPlan(kLead, plan.name(), "2026-10-20").ok());
  v1::Case closed;
  status = Close(kLead, Fetch(c.name()), "RC1", &closed);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(closed.state(), v1::CASE_STATE_CLOSED);
  EXPECT_EQ(closed.reason_for_closure(), "RC1");
  EXPECT_EQ(closed.closure_date(), "2026-11-01");
}

TEST_F(CaseRecordsTest, CloseCaseRefusedWhileALookedAfterEpisodeIsOpen) {
  v1::Case c = NewCase();
  v1::Person child = NewChild(c);
  v1::LookedAfterEpisode episode;
  ASSERT_TRUE(StartEpisode(kLead, child.name(), "2026-10-01", "C2", &episode).ok());
  auto status = Close(kLead, Fetch(c.name()), "RC2");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  EXPECT_EQ(Fetch(c.name()).state(), v1::CASE_STATE_REFERRAL);

  ASSERT_TRUE(EndEpisode(kLead, episode.name(), "2026-10-15", "E11").ok());
  status = Close(kLead, Fetch(c.name()), "RC2");
  EXPECT_TRUE(status.ok()) << Describe(status);
}

TEST_F(CaseRecordsTest, CloseCaseWithABadReasonOrDateIsInvalid) {
  v1::Case c = NewCase();
  EXPECT_TRUE(InvalidNaming(Close(kLead, c, "RC0"), "reason_for_closure"));
  EXPECT_TRUE(InvalidNaming(Close(kLead, c, "RC10"), "reason_for_closure"));
  EXPECT_TRUE(InvalidNaming(Close(kLead, c, ""), "reason_for_closure"));
  EXPECT_TRUE(InvalidNaming(Close(kLead, c, "RC1", nullptr, "2026-13-01"), "closure_date"));
  // Before the referral date (2026-09-01).
  EXPECT_TRUE(InvalidNaming(Close(kLead, c, "RC1", nullptr, "2026-08-31"), "closure_date"));
  v1::Case now = Fetch(c.name());
  EXPECT_EQ(now.state(), v1::CASE_STATE_REFERRAL);
  EXPECT_EQ(now.etag(), c.etag());
  // A stale etag on close is ABORTED.
  v1::Case moved;
  ASSERT_TRUE(ChangeState(kLead, c.name(), c.etag(), v1::CASE_STATE_ASSESSMENT, &moved).ok());
  auto status = Close(kLead, c, "RC1");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << Describe(status);
}

TEST_F(CaseRecordsTest, CloseCaseEndsEveryAllocationAndTheFormerLeadLosesAccess) {
  v1::Case c = NewCase();
  ASSERT_TRUE(Allocate(kLead, c.name(), kSupport.practitioner,
                       v1::FAMILY_SAFEGUARDING_ROLE_FAMILY_SUPPORT_WORKER)
                  .ok());
  ASSERT_EQ(Allocations(c.name(), false).size(), 2u);
  v1::Case closed;
  ASSERT_TRUE(Close(kLead, Fetch(c.name()), "RC8", &closed).ok());
  EXPECT_EQ(closed.lead_social_worker(), "");

  EXPECT_TRUE(Allocations(c.name(), false).empty());
  std::vector<v1::Allocation> history = Allocations(c.name(), true);
  ASSERT_EQ(history.size(), 2u);
  for (const auto& a : history) {
    EXPECT_TRUE(a.has_end_time()) << a.ShortDebugString();
    EXPECT_EQ(a.end_reason(), "case closed");
  }
  EXPECT_EQ(GetCase(kLead, c.name()).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(GetCase(kSupport, c.name()).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(GetCase(kManager, c.name()).ok());
  // No longer on anyone's caseload.
  v1::ListCaseloadResponse caseload;
  auto listed = cases_->ListCaseload(ContextFor(kLead).get(), v1::ListCaseloadRequest(), &caseload);
  ASSERT_TRUE(listed.ok()) << Describe(listed);
  EXPECT_EQ(caseload.items_size(), 0);

  // A closed case is read-only until reopened.
  v1::Case now = Fetch(c.name());
  v1::Case ignored;
  auto status = cases_->UpdateCase(ContextFor(kManager).get(), CaseUpdate(now, "X"), &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  status = ChangeState(kManager, c.name(), now.etag(), v1::CASE_STATE_ASSESSMENT);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  status = Close(kManager, now, "RC1");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  v1::CreatePersonResponse person;
  status = CreatePerson(kManager, c.name(), Adult("Late", "Arrival"), &person);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  status = Allocate(kManager, c.name(), kSupport.practitioner,
                    v1::FAMILY_SAFEGUARDING_ROLE_FAMILY_SUPPORT_WORKER);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  EXPECT_EQ(Count("allocations", "end_time IS NULL"), 0);
  EXPECT_EQ(Count("people"), 0);
}

TEST_F(CaseRecordsTest, ReopenCaseKeepsHistoryCountsAndAllocatesTheNewLead) {
  v1::Case c = NewCase();
  v1::Person child = NewChild(c);
  v1::Case closed;
  ASSERT_TRUE(Close(kLead, Fetch(c.name()), "RC1", &closed).ok());

  // Only someone who may still see the case can reopen it: its team manager.
  EXPECT_EQ(Reopen(kLead, closed, kNewLead.practitioner).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(InvalidNaming(Reopen(kManager, closed, kNewLead.practitioner, nullptr, "2026-10-01"),
                            "referral_date"));
  EXPECT_TRUE(InvalidNaming(Reopen(kManager, closed, ""), "lead_social_worker"));
  v1::Case reopened;
  auto status = Reopen(kManager, closed, kNewLead.practitioner, &reopened);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(reopened.name(), c.name());
  EXPECT_EQ(reopened.state(), v1::CASE_STATE_REFERRAL);
  EXPECT_EQ(reopened.re_referral_count(), 1);
  EXPECT_EQ(reopened.referral_date(), "2026-11-20");
  EXPECT_EQ(reopened.referral_source(), "3E");
  EXPECT_EQ(reopened.closure_date(), "");
  EXPECT_EQ(reopened.reason_for_closure(), "");
  EXPECT_EQ(reopened.lead_social_worker(), "sw-new");
  EXPECT_EQ(reopened.create_time().seconds(), c.create_time().seconds());

  // The new lead is allocated (and told); the former lead is not.
  EXPECT_TRUE(GetCase(kNewLead, c.name()).ok());
  EXPECT_EQ(GetCase(kLead, c.name()).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  std::vector<v1::Allocation> active = Allocations(c.name(), false);
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].practitioner(), "sw-new");
  EXPECT_EQ(active[0].role(), v1::FAMILY_SAFEGUARDING_ROLE_LEAD_SOCIAL_WORKER);
  EXPECT_EQ(Allocations(c.name(), true).size(), 2u);
  bool told = false;
  for (const auto& alert : Alerts(kNewLead)) told |= alert.case_() == c.name();
  EXPECT_TRUE(told);

  // History: both referrals, the first with its closure; the people are still there.
  EXPECT_EQ(Count("case_referrals"), 2);
  EXPECT_EQ(Count("case_referrals",
                  "referral_number = 1 AND closure_date = '2026-11-01' AND "
                  "reason_for_closure = 'RC1'"),
            1);
  EXPECT_EQ(Count("case_referrals",
                  "referral_number = 2 AND closure_date IS NULL AND "
                  "referral_date = '2026-11-20' AND referral_source = '3E'"),
            1);
  EXPECT_EQ(Count("case_state_changes", "from_state = 'CLOSED' AND to_state = 'REFERRAL'"), 1);
  v1::GetPersonRequest get_person;
  get_person.set_name(child.name());
  v1::Person still;
  ASSERT_TRUE(cases_->GetPerson(ContextFor(kNewLead).get(), get_person, &still).ok());
  EXPECT_EQ(still.nhs_number(), kNhs1);

  // Reopening an open case is refused; a reopened case closes and reopens again.
  status = Reopen(kManager, reopened, kNewLead.practitioner);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  v1::Case closed_again;
  status = Close(kNewLead, reopened, "RC3", &closed_again, "2026-11-21");
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(closed_again.state(), v1::CASE_STATE_CLOSED);
  EXPECT_EQ(closed_again.re_referral_count(), 1);
  v1::Case third;
  ASSERT_TRUE(Reopen(kManager, closed_again, kLead.practitioner, &third, "2026-11-22").ok());
  EXPECT_EQ(third.re_referral_count(), 2);
  EXPECT_EQ(third.lead_social_worker(), "sw-lead");
  EXPECT_EQ(Count("case_referrals"), 3);
}

TEST_F(CaseRecordsTest, ReopenAnOpenCaseIsAFailedPrecondition) {
  v1::Case c = NewCase();
  auto status = Reopen(kManager, c, kNewLead.practitioner);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  EXPECT_EQ(Fetch(c.name()).re_referral_count(), 0);
  EXPECT_EQ(Allocations(c.name(), true).size(), 1u);
}

TEST_F(CaseRecordsTest, ListCasesShowsOnlyCasesTheCallerMaySee) {
  v1::Case a = NewCase();
  v1::Case b = NewCase();
  v1::Case moved;
  ASSERT_TRUE(ChangeState(kLead, b.name(), b.etag(), v1::CASE_STATE_ASSESSMENT, &moved).ok());
  auto list = [&](const As& who, v1::CaseState state = v1::CASE_STATE_UNSPECIFIED) {
    v1::ListCasesRequest request;
    request.set_state(state);
    v1::ListCasesResponse response;
    auto status = cases_->ListCases(ContextFor(who).get(), request, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    std::set<std::string> names;
    for (const auto& c : response.cases()) names.insert(c.name());
    return names;
  };
  EXPECT_EQ(list(kLead), (std::set<std::string>{a.name(), b.name()}));
  EXPECT_EQ(list(kManager), (std::set<std::string>{a.name(), b.name()}));
  EXPECT_EQ(list(kManager, v1::CASE_STATE_ASSESSMENT), (std::set<std::string>{b.name()}));
  EXPECT_TRUE(list(kStranger).empty());
  EXPECT_TRUE(list(kOtherManager).empty());
  EXPECT_TRUE(list(kSupport).empty());

  v1::ListCasesRequest paged;
  paged.set_page_size(1);
  v1::ListCasesResponse first, second;
  ASSERT_TRUE(cases_->ListCases(ContextFor(kLead).get(), paged, &first).ok());
  ASSERT_EQ(first.cases_size(), 1);
  ASSERT_FALSE(first.next_page_token().empty());
  paged.set_page_token(first.next_page_token());
  ASSERT_TRUE(cases_->ListCases(ContextFor(kLead).get(), paged, &second).ok());
  ASSERT_EQ(second.cases_size(), 1);
  EXPECT_NE(second.cases(0).name(), first.cases(0).name());
  EXPECT_TRUE(second.next_page_token().empty());
  paged.set_page_token("not-a-token");
  EXPECT_TRUE(
      InvalidNaming(cases_->ListCases(ContextFor(kLead).get(), paged, &second), "page_token"));
}

}  // namespace
}  // namespace fs::cases
