// case_records MDT allocations, caseloads, alerts and the break-glass review over real gRPC and
// PostgreSQL.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "services/case_records/case_records_integration_fixture.h"

namespace fs::cases {
namespace {

using CaseRecordsAllocationTest = CaseRecordsTest;

constexpr auto kLeadRole = v1::FAMILY_SAFEGUARDING_ROLE_LEAD_SOCIAL_WORKER;
constexpr auto kSupportRole = v1::FAMILY_SAFEGUARDING_ROLE_FAMILY_SUPPORT_WORKER;

std::vector<v1::Allocation> ActiveLeads(const std::vector<v1::Allocation>& allocations) {
  std::vector<v1::Allocation> leads;
  for (const auto& a : allocations) {
    if (a.role() == kLeadRole && !a.has_end_time()) leads.push_back(a);
  }
  return leads;
}

TEST_F(CaseRecordsAllocationTest, AllocatedPractitionerCanReadTheCaseAndIsAlerted) {
  v1::Case c = NewCase();
  EXPECT_EQ(GetCase(kSupport, c.name()).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(Alerts(kSupport).empty());

  v1::Allocation allocation;
  auto status = Allocate(kLead, c.name(), kSupport.practitioner, kSupportRole, &allocation);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(allocation.name().rfind(c.name() + "/allocations/", 0), 0u) << allocation.name();
  EXPECT_EQ(allocation.practitioner(), "fsw-1");
  EXPECT_EQ(allocation.role(), kSupportRole);
  EXPECT_EQ(allocation.team(), "team-a");
  EXPECT_TRUE(allocation.has_start_time());
  EXPECT_FALSE(allocation.has_end_time());

  EXPECT_TRUE(GetCase(kSupport, c.name()).ok());
  std::vector<v1::Alert> alerts = Alerts(kSupport);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].case_(), c.name());
  EXPECT_NE(alerts[0].message().find("FAMILY_SUPPORT_WORKER"), std::string::npos)
      << alerts[0].message();
  EXPECT_EQ(alerts[0].name().rfind("practitioners/fsw-1/alerts/", 0), 0u);

  // The same practitioner in the same role twice: ALREADY_EXISTS; in another role: fine.
  status = Allocate(kLead, c.name(), kSupport.practitioner, kSupportRole);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << Describe(status);
  status = Allocate(kLead, c.name(), kSupport.practitioner,
                    v1::FAMILY_SAFEGUARDING_ROLE_PARENTING_ASSESSOR);
  EXPECT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(Count("allocations", "practitioner = 'fsw-1' AND end_time IS NULL"), 2);
  EXPECT_EQ(Allocations(c.name(), false).size(), 3u);

  // Who may allocate: someone with a relationship to the case.
  status = Allocate(kStranger, c.name(), "anyone", kSupportRole);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  EXPECT_TRUE(
      InvalidNaming(Allocate(kLead, c.name(), "", kSupportRole), "allocation.practitioner"));
  EXPECT_TRUE(
      InvalidNaming(Allocate(kLead, c.name(), "fsw-2", v1::FAMILY_SAFEGUARDING_ROLE_UNSPECIFIED),
                    "allocation.role"));
  EXPECT_EQ(Count("allocations"), 3);
}

TEST_F(CaseRecordsAllocationTest, RetriedAllocationWithARequestIdAllocatesOnce) {
  v1::Case c = NewCase();
  v1::AllocatePractitionerRequest request;
  request.set_parent(c.name());
  request.set_request_id("alloc-1");
  request.mutable_allocation()->set_practitioner(kSupport.practitioner);
  request.mutable_allocation()->set_role(kSupportRole);
  v1::Allocation first, second;
  ASSERT_TRUE(cases_->AllocatePractitioner(ContextFor(kLead).get(), request, &first).ok());
  auto status = cases_->AllocatePractitioner(ContextFor(kLead).get(), request, &second);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(second.name(), first.name());
  EXPECT_EQ(Count("allocations", "practitioner = 'fsw-1'"), 1);
  EXPECT_EQ(Count("alerts", "practitioner = 'fsw-1'"), 1);
}

TEST_F(CaseRecordsAllocationTest, OnlyATeamManagerChangesTheLead) {
  v1::Case c = NewCase();
  ASSERT_TRUE(Allocate(kLead, c.name(), kSupport.practitioner, kSupportRole).ok());
  auto status = Allocate(kLead, c.name(), kNewLead.practitioner, kLeadRole);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  status = Allocate(kSupport, c.name(), kSupport.practitioner, kLeadRole);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  // A team manager of another team has no relationship to the case at all.
  status = Allocate(kOtherManager, c.name(), kNewLead.practitioner, kLeadRole);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  std::vector<v1::Allocation> leads = ActiveLeads(Allocations(c.name(), true));
  ASSERT_EQ(leads.size(), 1u);
  EXPECT_EQ(leads[0].practitioner(), "sw-lead");
  EXPECT_EQ(Count("allocations", "role = 'LEAD_SOCIAL_WORKER'"), 1);
}

TEST_F(CaseRecordsAllocationTest, TeamManagerHandsTheLeadOver) {
  v1::Case c = NewCase();
  v1::Allocation handover;
  auto status = Allocate(kManager, c.name(), kNewLead.practitioner, kLeadRole, &handover);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(handover.role(), kLeadRole);

  std::vector<v1::Allocation> history = Allocations(c.name(), true);
  ASSERT_EQ(history.size(), 2u);
  std::vector<v1::Allocation> leads = ActiveLeads(history);
  ASSERT_EQ(leads.size(), 1u);
  EXPECT_EQ(leads[0].practitioner(), "sw-new");
  EXPECT_EQ(leads[0].name(), handover.name());
  for (const auto& a : history) {
    if (a.practitioner() != "sw-lead") continue;
    EXPECT_TRUE(a.has_end_time());
    EXPECT_NE(a.end_reason().find("sw-new"), std::string::npos) << a.end_reason();
  }
  std::vector<v1::Allocation> active = Allocations(c.name(), false);
  ASSERT_EQ(active.size(), 1u);
  EXPECT_EQ(active[0].practitioner(), "sw-new");
  EXPECT_EQ(Fetch(c.name()).lead_social_worker(), "sw-new");
  EXPECT_EQ(GetCase(kLead, c.name()).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(GetCase(kNewLead, c.name()).ok());
  // Re-allocating the current lead as lead is a duplicate, and changes nothing.
  status = Allocate(kManager, c.name(), kNewLead.practitioner, kLeadRole);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << Describe(status);
  EXPECT_EQ(Count("allocations", "role = 'LEAD_SOCIAL_WORKER' AND end_time IS NULL"), 1);
}

TEST_F(CaseRecordsAllocationTest, EndAllocationRules) {
  v1::Case c = NewCase();
  std::vector<v1::Allocation> initial = Allocations(c.name(), false);
  ASSERT_EQ(initial.size(), 1u);
  const std::string lead_allocation = initial[0].name();
  auto status = EndAllocation(kManager, lead_allocation);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  EXPECT_EQ(ActiveLeads(Allocations(c.name(), false)).size(), 1u);

  v1::Allocation support;
  ASSERT_TRUE(Allocate(kLead, c.name(), kSupport.practitioner, kSupportRole, &support).ok());
  ASSERT_TRUE(GetCase(kSupport, c.name()).ok());
  v1::Allocation ended;
  status = EndAllocation(kLead, support.name(), &ended);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_TRUE(ended.has_end_time());
  EXPECT_EQ(ended.end_reason(), "work complete");
  EXPECT_EQ(ended.name(), support.name());
  EXPECT_EQ(GetCase(kSupport, c.name()).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  status = EndAllocation(kLead, support.name());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);

  status = EndAllocation(kLead, c.name() + "/allocations/00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(status);
  EXPECT_TRUE(InvalidNaming(EndAllocation(kLead, c.name()), "name"));
  status = EndAllocation(kStranger, lead_allocation);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);

  // The history keeps the ended allocation; the active list does not.
  EXPECT_EQ(Allocations(c.name(), true).size(), 2u);
  EXPECT_EQ(Allocations(c.name(), false).size(), 1u);
  // Ended, the practitioner may be allocated again.
  status = Allocate(kLead, c.name(), kSupport.practitioner, kSupportRole);
  EXPECT_TRUE(status.ok()) << Describe(status);
}

TEST_F(CaseRecordsAllocationTest, ListAllocationsPaginates) {
  v1::Case c = NewCase();
  for (const char* who : {"p1", "p2", "p3", "p4"}) {
    ASSERT_TRUE(Allocate(kLead, c.name(), who, kSupportRole).ok());
  }
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    v1::ListAllocationsRequest request;
    request.set_parent(c.name());
    request.set_page_size(2);
    request.set_page_token(token);
    v1::ListAllocationsResponse response;
    ASSERT_TRUE(cases_->ListAllocations(ContextFor(kLead).get(), request, &response).ok());
    for (const auto& a : response.allocations()) EXPECT_TRUE(seen.insert(a.name()).second);
    token = response.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen.size(), 5u);
}

std::vector<v1::CaseloadItem> Items(const v1::ListCaseloadResponse& r) {
  return {r.items().begin(), r.items().end()};
}

TEST_F(CaseRecordsAllocationTest, ListCaseloadForSelfAndForOthers) {
  v1::Case a = NewCase();
  v1::Case b = NewCase();
  ASSERT_TRUE(Allocate(kLead, b.name(), kSupport.practitioner, kSupportRole).ok());
  auto caseload = [&](const As& who, const std::string& practitioner,
                      v1::ListCaseloadResponse* response) {
    v1::ListCaseloadRequest request;
    request.set_practitioner(practitioner);
    return cases_->ListCaseload(ContextFor(who).get(), request, response);
  };

  v1::ListCaseloadResponse mine;
  auto status = caseload(kLead, "", &mine);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ASSERT_EQ(mine.items_size(), 2);
  std::set<std::string> names;
  for (const auto& item : Items(mine)) {
    names.insert(item.case_().name());
    EXPECT_EQ(item.role(), kLeadRole);
    EXPECT_EQ(item.allocation().rfind(item.case_().name() + "/allocations/", 0), 0u);
    EXPECT_EQ(item.case_().team(), "team-a");
    EXPECT_EQ(item.case_().state(), v1::CASE_STATE_REFERRAL);
  }
  EXPECT_EQ(names, (std::set<std::string>{a.name(), b.name()}));
  v1::ListCaseloadResponse own_by_id;
  ASSERT_TRUE(caseload(kLead, "sw-lead", &own_by_id).ok());
  EXPECT_EQ(own_by_id.items_size(), 2);

  v1::ListCaseloadResponse support;
  ASSERT_TRUE(caseload(kSupport, "", &support).ok());
  ASSERT_EQ(support.items_size(), 1);
  EXPECT_EQ(support.items(0).case_().name(), b.name());
  EXPECT_EQ(support.items(0).role(), kSupportRole);

  v1::ListCaseloadResponse ignored;
  status = caseload(kSupport, "sw-lead", &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  status = caseload(kStranger, "sw-lead", &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  EXPECT_EQ(ignored.items_size(), 0);

  v1::ListCaseloadResponse managed;
  status = caseload(kManager, "sw-lead", &managed);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(managed.items_size(), 2);
  // A manager of another team sees none of team-a's cases in it: they may not read them.
  v1::ListCaseloadResponse foreign;
  status = caseload(kOtherManager, "sw-lead", &foreign);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(foreign.items_size(), 0) << foreign.ShortDebugString();

  // Pages.
  v1::ListCaseloadRequest paged;
  paged.set_page_size(1);
  v1::ListCaseloadResponse page1, page2;
  ASSERT_TRUE(cases_->ListCaseload(ContextFor(kLead).get(), paged, &page1).ok());
  ASSERT_EQ(page1.items_size(), 1);
  ASSERT_FALSE(page1.next_page_token().empty());
  paged.set_page_token(page1.next_page_token());
  ASSERT_TRUE(cases_->ListCaseload(ContextFor(kLead).get(), paged, &page2).ok());
  ASSERT_EQ(page2.items_size(), 1);
  EXPECT_NE(page2.items(0).case_().name(), page1.items(0).case_().name());
  EXPECT_TRUE(page2.next_page_token().empty());
  EXPECT_EQ(AuditCount("action = 'ListCaseload' AND outcome = 'PERMISSION_DENIED' AND resource = "
                       "'practitioners/sw-lead'"),
            2);
}

TEST_F(CaseRecordsAllocationTest, AlertsAreTheCallersOwnAndAcknowledgedOnesAreHidden) {
  v1::Case a = NewCase();
  v1::Case b = NewCase();
  ASSERT_TRUE(Allocate(kLead, b.name(), kSupport.practitioner, kSupportRole).ok());

  std::vector<v1::Alert> lead_alerts = Alerts(kLead);
  ASSERT_EQ(lead_alerts.size(), 2u);
  // Newest first.
  EXPECT_EQ(lead_alerts[0].case_(), b.name());
  EXPECT_EQ(lead_alerts[1].case_(), a.name());
  for (const auto& alert : lead_alerts) {
    EXPECT_EQ(alert.name().rfind("practitioners/sw-lead/alerts/", 0), 0u) << alert.name();
    EXPECT_FALSE(alert.has_acknowledge_time());
  }
  std::vector<v1::Alert> support_alerts = Alerts(kSupport);
  ASSERT_EQ(support_alerts.size(), 1u);
  EXPECT_EQ(support_alerts[0].case_(), b.name());
  EXPECT_TRUE(Alerts(kManager).empty());

  // Someone else's alert: refused, and it stays unacknowledged.
  v1::AcknowledgeAlertRequest ack;
  ack.set_name(lead_alerts[0].name());
  v1::Alert acknowledged;
  auto status = cases_->AcknowledgeAlert(ContextFor(kSupport).get(), ack, &acknowledged);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  // Their id under one's own name finds nothing.
  ack.set_name("practitioners/fsw-1/alerts/" + IdOf(lead_alerts[0].name()));
  status = cases_->AcknowledgeAlert(ContextFor(kSupport).get(), ack, &acknowledged);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(status);
  EXPECT_EQ(Count("alerts", "acknowledge_time IS NOT NULL"), 0);

  ack.set_name(lead_alerts[0].name());
  status = cases_->AcknowledgeAlert(ContextFor(kLead).get(), ack, &acknowledged);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(acknowledged.name(), lead_alerts[0].name());
  EXPECT_TRUE(acknowledged.has_acknowledge_time());
  // Acknowledging again is harmless and keeps the first time.
  v1::Alert again;
  ASSERT_TRUE(cases_->AcknowledgeAlert(ContextFor(kLead).get(), ack, &again).ok());
  EXPECT_EQ(again.acknowledge_time().seconds(), acknowledged.acknowledge_time().seconds());
  EXPECT_EQ(again.acknowledge_time().nanos(), acknowledged.acknowledge_time().nanos());

  std::vector<v1::Alert> unacknowledged = Alerts(kLead);
  ASSERT_EQ(unacknowledged.size(), 1u);
  EXPECT_EQ(unacknowledged[0].name(), lead_alerts[1].name());
  std::vector<v1::Alert> all = Alerts(kLead, true);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name(), lead_alerts[0].name());
  EXPECT_TRUE(all[0].has_acknowledge_time());
  EXPECT_EQ(Count("alerts", "acknowledge_time IS NOT NULL"), 1);
  EXPECT_EQ(Alerts(kSupport).size(), 1u);

  ack.set_name("practitioners/sw-lead/alerts/not-a-uuid");
  status = cases_->AcknowledgeAlert(ContextFor(kLead).get(), ack, &acknowledged);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(status);
  EXPECT_EQ(AuditCount("action = 'AcknowledgeAlert' AND outcome = 'PERMISSION_DENIED'"), 1);
}

TEST_F(CaseRecordsAllocationTest, BreakGlassReviewIsForTeamManagersOnly) {
  v1::Case c = NewCase();
  v1::ListBreakGlassAccessesResponse review;
  for (const As& who : {kLead, kSupport, kStranger}) {
    auto status = cases_->ListBreakGlassAccesses(ContextFor(who).get(),
                                                 v1::ListBreakGlassAccessesRequest(), &review);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << who.practitioner << " " << Describe(status);
    EXPECT_EQ(review.accesses_size(), 0);
  }
  EXPECT_EQ(AuditCount("action = 'ListBreakGlassAccesses' AND outcome = 'PERMISSION_DENIED'"), 3);

  // A reason too short to review is refused; a real one is allowed and listed.
  As glass = kStranger;
  glass.break_glass_reason = "urgent";
  EXPECT_EQ(GetCase(glass, c.name()).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  glass.break_glass_reason = "Police strategy discussion tonight";
  ASSERT_TRUE(GetCase(glass, c.name()).ok());
  // A practitioner who is allocated is not on break-glass even when a reason is sent.
  As allocated = kLead;
  allocated.break_glass_reason = "Habitually sends a reason";
  ASSERT_TRUE(GetCase(allocated, c.name()).ok());
  auto status = cases_->ListBreakGlassAccesses(ContextFor(kManager).get(),
                                               v1::ListBreakGlassAccessesRequest(), &review);
  ASSERT_TRUE(status.ok()) << Describe(status);
  ASSERT_EQ(review.accesses_size(), 1);
  EXPECT_EQ(review.accesses(0).action(), "GetCase");
  EXPECT_EQ(review.accesses(0).role(), "social_worker");
  EXPECT_EQ(review.accesses(0).reason(), "Police strategy discussion tonight");
}

}  // namespace
}  // namespace fs::cases
