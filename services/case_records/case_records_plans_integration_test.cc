// case_records child protection plans, looked-after episodes and the NHS CP-IS look-up over real
// gRPC and PostgreSQL.
#include <google/protobuf/util/message_differencer.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "services/case_records/case_records_integration_fixture.h"

ABSL_DECLARE_FLAG(std::string, office_hours_phone);
ABSL_DECLARE_FLAG(std::string, out_of_hours_phone);

namespace fs::cases {
namespace {

using CaseRecordsPlansTest = CaseRecordsTest;

v1::UpdateChildProtectionPlanRequest PlanUpdate(const v1::ChildProtectionPlan& plan,
                                                const std::vector<std::string>& paths) {
  v1::UpdateChildProtectionPlanRequest request;
  request.mutable_plan()->set_name(plan.name());
  request.mutable_plan()->set_etag(plan.etag());
  for (const auto& path : paths) request.mutable_update_mask()->add_paths(path);
  return request;
}

TEST_F(CaseRecordsPlansTest, OneOpenPlanPerChildAndOnlyForChildren) {
  v1::Case c = NewCase();
  v1::Person child = NewChild(c);
  v1::Person adult = AddPerson(c, Adult("Mary", "O'Brien")).person();

  v1::ChildProtectionPlan plan;
  auto status = StartPlan(kLead, child.name(), "2026-10-01", &plan, "EMO");
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(plan.name().rfind(child.name() + "/childProtectionPlans/", 0), 0u) << plan.name();
  EXPECT_EQ(plan.start_date(), "2026-10-01");
  EXPECT_EQ(plan.end_date(), "");
  EXPECT_EQ(plan.initial_category_of_abuse(), "EMO");
  EXPECT_EQ(plan.latest_category_of_abuse(), "EMO");
  EXPECT_EQ(plan.number_of_previous_plans(), 0);
  EXPECT_FALSE(plan.etag().empty());

  status = StartPlan(kLead, child.name(), "2026-10-02");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  status = StartPlan(kLead, adult.name(), "2026-10-01");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  status = StartPlan(kStranger, child.name(), "2026-10-01");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);

  v1::Person sibling = NewChild(c, kNhs2, "2021-01-01");
  EXPECT_TRUE(InvalidNaming(StartPlan(kLead, sibling.name(), "2026-10-01", nullptr, "XXX"),
                            "plan.initial_category_of_abuse"));
  EXPECT_TRUE(InvalidNaming(StartPlan(kLead, sibling.name(), "2026-02-30"), "plan.start_date"));
  v1::StartChildProtectionPlanRequest request;
  request.set_parent(sibling.name());
  request.mutable_plan()->set_start_date("2026-10-01");
  request.mutable_plan()->set_initial_category_of_abuse("PHY");
  request.mutable_plan()->set_review_date("2026-09-30");
  v1::ChildProtectionPlan ignored;
  EXPECT_TRUE(
      InvalidNaming(cases_->StartChildProtectionPlan(ContextFor(kLead).get(), request, &ignored),
                    "plan.review_date"));
  EXPECT_EQ(Count("child_protection_plans"), 1);

  // With a request id, a retried start returns the first plan.
  request.mutable_plan()->set_review_date("2026-12-01");
  request.set_request_id("plan-1");
  v1::ChildProtectionPlan first, second;
  ASSERT_TRUE(cases_->StartChildProtectionPlan(ContextFor(kLead).get(), request, &first).ok());
  status = cases_->StartChildProtectionPlan(ContextFor(kLead).get(), request, &second);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(second.name(), first.name());
  EXPECT_EQ(second.review_date(), "2026-12-01");
  EXPECT_EQ(Count("child_protection_plans"), 2);
}

TEST_F(CaseRecordsPlansTest, UpdatePlanLatestCategoryUnderTheEtag) {
  v1::Case c = NewCase();
  v1::Person child = NewChild(c);
  v1::ChildProtectionPlan plan;
  ASSERT_TRUE(StartPlan(kLead, child.name(), "2026-10-01", &plan).ok());

  v1::UpdateChildProtectionPlanRequest request = PlanUpdate(plan, {"latest_category_of_abuse"});
  request.mutable_plan()->set_latest_category_of_abuse("MUL");
  request.mutable_plan()->set_initial_category_of_abuse("SAB");  // not in the mask
  v1::ChildProtectionPlan updated;
  auto status = cases_->UpdateChildProtectionPlan(ContextFor(kLead).get(), request, &updated);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(updated.latest_category_of_abuse(), "MUL");
  EXPECT_EQ(updated.initial_category_of_abuse(), "NEG");
  EXPECT_NE(updated.etag(), plan.etag());

  v1::ChildProtectionPlan ignored;
  request = PlanUpdate(plan, {"latest_category_of_abuse"});  // the stale etag
  request.mutable_plan()->set_latest_category_of_abuse("PHY");
  status = cases_->UpdateChildProtectionPlan(ContextFor(kLead).get(), request, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ABORTED) << Describe(status);
  request.mutable_plan()->clear_etag();
  EXPECT_TRUE(InvalidNaming(
      cases_->UpdateChildProtectionPlan(ContextFor(kLead).get(), request, &ignored), "plan.etag"));
  request = PlanUpdate(updated, {});
  EXPECT_TRUE(
      InvalidNaming(cases_->UpdateChildProtectionPlan(ContextFor(kLead).get(), request, &ignored),
                    "update_mask"));
  request = PlanUpdate(updated, {"start_date"});
  request.mutable_plan()->set_start_date("2020-01-01");
  EXPECT_TRUE(
      InvalidNaming(cases_->UpdateChildProtectionPlan(ContextFor(kLead).get(), request, &ignored),
                    "update_mask"));
  request = PlanUpdate(updated, {"latest_category_of_abuse"});
  request.mutable_plan()->set_latest_category_of_abuse("BAD");
  EXPECT_TRUE(
      InvalidNaming(cases_->UpdateChildProtectionPlan(ContextFor(kLead).get(), request, &ignored),
                    "plan.latest_category_of_abuse"));
  request = PlanUpdate(updated, {"review_date"});
  request.mutable_plan()->set_review_date("2027-01-15");
  v1::ChildProtectionPlan reviewed;
  ASSERT_TRUE(cases_->UpdateChildProtectionPlan(ContextFor(kLead).get(), request, &reviewed).ok());
  EXPECT_EQ(reviewed.review_date(), "2027-01-15");
  EXPECT_EQ(reviewed.latest_category_of_abuse(), "MUL");

  v1::ListChildProtectionPlansRequest list;
  list.set_parent(child.name());
  v1::ListChildProtectionPlansResponse plans;
  ASSERT_TRUE(cases_->ListChildProtectionPlans(ContextFor(kLead).get(), list, &plans).ok());
  ASSERT_EQ(plans.plans_size(), 1);
  EXPECT_EQ(plans.plans(0).latest_category_of_abuse(), "MUL");
  EXPECT_EQ(plans.plans(0).etag(), reviewed.etag());
  EXPECT_EQ(Count("child_protection_plans", "latest_category = 'MUL' AND initial_category = 'NEG'"),
            1);
}

TEST_F(CaseRecordsPlansTest, EndingAPlanCountsItForTheNext) {
  v1::Case c = NewCase();
  v1::Person child = NewChild(c);
  v1::ChildProtectionPlan plan;
  ASSERT_TRUE(StartPlan(kLead, child.name(), "2026-10-01", &plan).ok());
  EXPECT_TRUE(InvalidNaming(EndPlan(kLead, plan.name(), "2026-09-30"), "end_date"));
  EXPECT_TRUE(InvalidNaming(EndPlan(kLead, plan.name(), "2026-11-31"), "end_date"));
  EXPECT_EQ(Count("child_protection_plans", "end_date IS NULL"), 1);

  v1::ChildProtectionPlan ended;
  auto status = EndPlan(kLead, plan.name(), "2026-11-10", &ended);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(ended.end_date(), "2026-11-10");
  status = EndPlan(kLead, plan.name(), "2026-11-11");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  v1::UpdateChildProtectionPlanRequest request = PlanUpdate(ended, {"latest_category_of_abuse"});
  request.mutable_plan()->set_latest_category_of_abuse("PHY");
  v1::ChildProtectionPlan ignored;
  status = cases_->UpdateChildProtectionPlan(ContextFor(kLead).get(), request, &ignored);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);

  v1::ChildProtectionPlan next;
  ASSERT_TRUE(StartPlan(kLead, child.name(), "2026-11-15", &next, "PHY").ok());
  EXPECT_EQ(next.number_of_previous_plans(), 1);
  v1::ListChildProtectionPlansRequest list;
  list.set_parent(child.name());
  v1::ListChildProtectionPlansResponse plans;
  ASSERT_TRUE(cases_->ListChildProtectionPlans(ContextFor(kManager).get(), list, &plans).ok());
  ASSERT_EQ(plans.plans_size(), 2);
  EXPECT_EQ(plans.plans(0).name(), plan.name());
  EXPECT_EQ(plans.plans(0).end_date(), "2026-11-10");
  EXPECT_EQ(plans.plans(1).name(), next.name());
  EXPECT_EQ(plans.plans(1).number_of_previous_plans(), 1);
  EXPECT_EQ(
      cases_->ListChildProtectionPlans(ContextFor(kStranger).get(), list, &plans).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  // A different child's count is its own.
  v1::Person sibling = NewChild(c, kNhs2, "2021-01-01");
  v1::ChildProtectionPlan theirs;
  ASSERT_TRUE(StartPlan(kLead, sibling.name(), "2026-11-15", &theirs).ok());
  EXPECT_EQ(theirs.number_of_previous_plans(), 0);
}

TEST_F(CaseRecordsPlansTest, LookedAfterEpisodesUseLsAndRecCodes) {
  v1::Case c = NewCase();
  v1::Person child = NewChild(c);
  v1::Person adult = AddPerson(c, Adult("Mary", "O'Brien")).person();
  EXPECT_TRUE(
      InvalidNaming(StartEpisode(kLead, child.name(), "2026-10-01", "ZZ"), "episode.legal_status"));
  EXPECT_TRUE(
      InvalidNaming(StartEpisode(kLead, child.name(), "2026-10-01", ""), "episode.legal_status"));
  EXPECT_TRUE(
      InvalidNaming(StartEpisode(kLead, child.name(), "2026-10-32", "C2"), "episode.start_date"));
  auto status = StartEpisode(kLead, adult.name(), "2026-10-01", "C2");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  EXPECT_EQ(Count("looked_after_episodes"), 0);

  v1::LookedAfterEpisode episode;
  status = StartEpisode(kLead, child.name(), "2026-10-01", "V2", &episode);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(episode.name().rfind(child.name() + "/lookedAfterEpisodes/", 0), 0u);
  EXPECT_EQ(episode.start_date(), "2026-10-01");
  EXPECT_EQ(episode.legal_status(), "V2");
  EXPECT_EQ(episode.end_date(), "");
  status = StartEpisode(kLead, child.name(), "2026-10-05", "C2");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);

  EXPECT_TRUE(
      InvalidNaming(EndEpisode(kLead, episode.name(), "2026-11-01", "E99"), "reason_ended"));
  EXPECT_TRUE(InvalidNaming(EndEpisode(kLead, episode.name(), "2026-11-01", ""), "reason_ended"));
  EXPECT_TRUE(InvalidNaming(EndEpisode(kLead, episode.name(), "2026-09-30", "E11"), "end_date"));
  EXPECT_EQ(Count("looked_after_episodes", "end_date IS NULL"), 1);
  v1::LookedAfterEpisode ended;
  status = EndEpisode(kLead, episode.name(), "2026-11-01", "E11", &ended);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(ended.end_date(), "2026-11-01");
  EXPECT_EQ(ended.reason_ended(), "E11");
  EXPECT_EQ(ended.legal_status(), "V2");
  status = EndEpisode(kLead, episode.name(), "2026-11-02", "E11");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);

  v1::LookedAfterEpisode second;
  ASSERT_TRUE(StartEpisode(kLead, child.name(), "2026-11-10", "C2", &second).ok());
  v1::ListLookedAfterEpisodesRequest list;
  list.set_parent(child.name());
  v1::ListLookedAfterEpisodesResponse episodes;
  ASSERT_TRUE(cases_->ListLookedAfterEpisodes(ContextFor(kLead).get(), list, &episodes).ok());
  ASSERT_EQ(episodes.episodes_size(), 2);
  EXPECT_EQ(episodes.episodes(0).reason_ended(), "E11");
  EXPECT_EQ(episodes.episodes(1).name(), second.name());
  EXPECT_EQ(episodes.episodes(1).end_date(), "");
  EXPECT_EQ(
      cases_->ListLookedAfterEpisodes(ContextFor(kStranger).get(), list, &episodes).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
}

// ---- The NHS look-up ----

constexpr char kOfficePhone[] = "01992 555 000";
constexpr char kOutOfHoursPhone[] = "0300 123 4043";

class CaseRecordsNhsLookupTest : public CaseRecordsTest {
 protected:
  // The contact numbers are flags read when the server is built, before each test's fixture.
  static void SetUpTestSuite() {
    absl::SetFlag(&FLAGS_office_hours_phone, kOfficePhone);
    absl::SetFlag(&FLAGS_out_of_hours_phone, kOutOfHoursPhone);
  }
  static void TearDownTestSuite() {
    absl::SetFlag(&FLAGS_office_hours_phone, "");
    absl::SetFlag(&FLAGS_out_of_hours_phone, "");
  }

  v1::LookupChildProtectionStatusResponse Look(const std::string& nhs,
                                               const std::string& principal = kNhsPartner) {
    v1::LookupChildProtectionStatusResponse answer;
    auto status = Lookup(principal, nhs, &answer);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return answer;
  }
};

TEST_F(CaseRecordsNhsLookupTest, NoPlanAndNeverSeenGetTheSameAnswer) {
  v1::Case c = NewCase();
  NewChild(c, kNhs2, "2019-03-07");  // held, no plan
  v1::Person ended_plan_child = NewChild(c, kNhs3, "2018-01-01");
  v1::ChildProtectionPlan plan;
  ASSERT_TRUE(StartPlan(kLead, ended_plan_child.name(), "2026-10-01", &plan).ok());
  ASSERT_TRUE(EndPlan(kLead, plan.name(), "2026-11-01").ok());

  v1::LookupChildProtectionStatusResponse held = Look(kNhs2);
  v1::LookupChildProtectionStatusResponse unknown = Look(kNhs5);
  v1::LookupChildProtectionStatusResponse ended = Look(kNhs3);
  for (auto* answer : {&held, &unknown, &ended}) {
    EXPECT_FALSE(answer->information_held());
    EXPECT_FALSE(answer->has_child_protection_plan());
    EXPECT_FALSE(answer->looked_after());
    EXPECT_FALSE(answer->unborn_with_child_protection_plan());
    EXPECT_EQ(answer->plan_start_date(), "");
    EXPECT_EQ(answer->plan_end_date(), "");
    EXPECT_EQ(answer->office_hours_phone(), kOfficePhone);
    EXPECT_EQ(answer->out_of_hours_phone(), kOutOfHoursPhone);
    ASSERT_EQ(answer->recent_accesses_size(), 1);
    EXPECT_EQ(answer->recent_accesses(0).organisation(), "RXH");
    answer->clear_recent_accesses();
  }
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(held, unknown))
      << held.ShortDebugString() << " vs " << unknown.ShortDebugString();
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(ended, unknown))
      << ended.ShortDebugString() << " vs " << unknown.ShortDebugString();
  // Every look-up is logged, held or not.
  EXPECT_EQ(Count("nhs_accesses"), 3);
  EXPECT_EQ(AuditCount("action = 'LookupChildProtectionStatus' AND outcome = 'OK' AND role = "
                       "'nhs_partner'"),
            3);
}

TEST_F(CaseRecordsNhsLookupTest, RefusesInvalidNumbersAndNonNhsCallers) {
  v1::Case c = NewCase();
  v1::Person child = NewChild(c, kNhs2, "2019-03-07");
  ASSERT_TRUE(StartPlan(kLead, child.name(), "2026-10-01").ok());
  for (const std::string bad : {"9434765918", "", "12345", "not a number"}) {
    EXPECT_TRUE(InvalidNaming(Lookup(kNhsPartner, bad), "nhs_number")) << bad;
  }
  for (const As& who : {kLead, kManager}) {
    v1::LookupChildProtectionStatusRequest request;
    request.set_nhs_number(kNhs2);
    v1::LookupChildProtectionStatusResponse answer;
    auto status = nhs_->LookupChildProtectionStatus(ContextFor(who).get(), request, &answer);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
    EXPECT_FALSE(answer.information_held());
  }
  auto status = Lookup(kPolicePartner, kNhs2);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  status = Lookup("service/workbook", kNhs2);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << Describe(status);
  EXPECT_EQ(Count("nhs_accesses"), 0);
  // Refused look-ups raise no alert either (the lead has only the new-case alert).
  EXPECT_EQ(Alerts(kLead).size(), 1u);
  EXPECT_EQ(AuditCount("action = 'LookupChildProtectionStatus' AND outcome = 'INVALID_ARGUMENT'"),
            4);
  EXPECT_EQ(AuditCount("action = 'LookupChildProtectionStatus' AND outcome = 'PERMISSION_DENIED'"),
            4);
}

TEST_F(CaseRecordsNhsLookupTest, UnbornChildWithAPlan) {
  v1::Case c = NewCase();
  v1::Person unborn = Child("Baby", "O'Brien", kNhs3, "");
  unborn.set_expected_birth_date("2027-02-14");
  v1::Person child = AddPerson(c, unborn).person();
  ASSERT_TRUE(StartPlan(kLead, child.name(), "2026-10-01").ok());
  v1::LookupChildProtectionStatusResponse answer = Look(kNhs3);
  EXPECT_TRUE(answer.information_held());
  EXPECT_TRUE(answer.unborn_with_child_protection_plan());
  EXPECT_FALSE(answer.has_child_protection_plan());
  EXPECT_FALSE(answer.looked_after());
  EXPECT_EQ(answer.plan_start_date(), "2026-10-01");
  EXPECT_EQ(answer.office_hours_phone(), kOfficePhone);
}

TEST_F(CaseRecordsNhsLookupTest, LookedAfterChild) {
  v1::Case c = NewCase();
  v1::Person child = NewChild(c, kNhs4, "2016-04-04");
  ASSERT_TRUE(StartEpisode(kLead, child.name(), "2026-10-01", "C2").ok());
  v1::LookupChildProtectionStatusResponse answer = Look(kNhs4);
  EXPECT_TRUE(answer.information_held());
  EXPECT_TRUE(answer.looked_after());
  EXPECT_FALSE(answer.has_child_protection_plan());
  EXPECT_FALSE(answer.unborn_with_child_protection_plan());
  EXPECT_EQ(answer.plan_start_date(), "");
  // And a plan as well.
  ASSERT_TRUE(StartPlan(kLead, child.name(), "2026-10-10").ok());
  answer = Look(kNhs4);
  EXPECT_TRUE(answer.looked_after());
  EXPECT_TRUE(answer.has_child_protection_plan());
  EXPECT_EQ(answer.plan_start_date(), "2026-10-10");
}

TEST_F(CaseRecordsNhsLookupTest, ThirtyLookupsShowTheLastTwentyFiveNewestFirst) {
  v1::Case c = NewCase();
  v1::Person child = NewChild(c, kNhs2, "2019-03-07");
  ASSERT_TRUE(StartPlan(kLead, child.name(), "2026-10-01").ok());
  v1::LookupChildProtectionStatusResponse last;
  for (int i = 0; i < 30; ++i) {
    char org[8];
    std::snprintf(org, sizeof(org), "R%02d", i);
    last = Look(kNhs2, std::string("partner/nhs/") + org);
  }
  ASSERT_EQ(last.recent_accesses_size(), 25);
  for (int i = 0; i < 25; ++i) {
    char org[8];
    std::snprintf(org, sizeof(org), "R%02d", 29 - i);
    EXPECT_EQ(last.recent_accesses(i).organisation(), org) << i;
    if (i > 0) {
      EXPECT_GE(last.recent_accesses(i - 1).time(), last.recent_accesses(i).time()) << i;
    }
  }
  // Another child's accesses are its own.
  EXPECT_EQ(Look(kNhs5).recent_accesses_size(), 1);
  EXPECT_EQ(Count("nhs_accesses", "nhs_number = '9990000018'"), 30);

  // Each look-up alerted the lead social worker (and nobody else), naming the organisation.
  std::vector<v1::Alert> alerts = Alerts(kLead);
  int lookup_alerts = 0;
  for (const auto& alert : alerts) {
    if (alert.person() != child.name()) continue;
    ++lookup_alerts;
    EXPECT_EQ(alert.case_(), c.name());
  }
  EXPECT_EQ(lookup_alerts, 30);
  EXPECT_NE(alerts[0].message().find("R29"), std::string::npos) << alerts[0].message();
  EXPECT_EQ(Count("alerts", "practitioner <> 'sw-lead'"), 0);
}

TEST_F(CaseRecordsNhsLookupTest, LookupAlertsTheCurrentLead) {
  v1::Case c = NewCase();
  v1::Person child = NewChild(c, kNhs2, "2019-03-07");
  ASSERT_TRUE(StartPlan(kLead, child.name(), "2026-10-01").ok());
  ASSERT_TRUE(Allocate(kManager, c.name(), kNewLead.practitioner,
                       v1::FAMILY_SAFEGUARDING_ROLE_LEAD_SOCIAL_WORKER)
                  .ok());
  const size_t before = Alerts(kLead).size();
  Look(kNhs2);
  EXPECT_EQ(Alerts(kLead).size(), before);
  std::vector<v1::Alert> alerts = Alerts(kNewLead);
  ASSERT_FALSE(alerts.empty());
  EXPECT_EQ(alerts[0].person(), child.name());
  EXPECT_NE(alerts[0].message().find("RXH"), std::string::npos);
}

}  // namespace
}  // namespace fs::cases
