// Who may change what, and requests that must be refused cleanly: break-glass is read-only,
// allocations and transfers need the lead or the team manager, request ids name one create,
// malformed input is INVALID_ARGUMENT or NOT_FOUND (never INTERNAL), and what the audit log
// keeps of caller-supplied text is bounded.
#include "services/case_records/case_records_integration_fixture.h"

namespace fs::cases {
namespace {

As WithBreakGlass(As who) {
  who.break_glass_reason = "Emergency duty: child presented at A&E overnight";
  return who;
}

TEST_F(CaseRecordsTest, BreakGlassReadsButNeverWrites) {
  v1::Case c = NewCase();
  v1::Person child = NewChild(c);
  const As glass = WithBreakGlass(kStranger);
  v1::Case read;
  ASSERT_TRUE(GetCase(glass, c.name(), &read).ok());

  // Turning emergency access into a standing relationship is refused...
  EXPECT_EQ(Allocate(glass, c.name(), kStranger.practitioner,
                     v1::FAMILY_SAFEGUARDING_ROLE_FAMILY_SUPPORT_WORKER)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // ...and so is any other change.
  EXPECT_EQ(ChangeState(glass, c.name(), read.etag(), v1::CASE_STATE_ASSESSMENT).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(StartPlan(glass, child.name(), "2026-10-01").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::CreatePersonResponse person;
  EXPECT_EQ(CreatePerson(glass, c.name(), Adult("Bea", "Smith"), &person).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Still no relationship afterwards: without the reason the stranger is refused again.
  EXPECT_EQ(GetCase(kStranger, c.name()).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Fetch(c.name()).etag(), c.etag());
}

TEST_F(CaseRecordsTest, OnlyTheLeadOrTheTeamManagerAllocates) {
  v1::Case c = NewCase();
  ASSERT_TRUE(Allocate(kLead, c.name(), kSupport.practitioner,
                       v1::FAMILY_SAFEGUARDING_ROLE_FAMILY_SUPPORT_WORKER)
                  .ok());
  // An allocated practitioner who is not the lead cannot bring others (or themselves) in.
  EXPECT_EQ(Allocate(kSupport, c.name(), "da-worker", v1::FAMILY_SAFEGUARDING_ROLE_DA_VICTIM_WORKER)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(
      Allocate(kManager, c.name(), "da-worker", v1::FAMILY_SAFEGUARDING_ROLE_DA_VICTIM_WORKER)
          .ok());
  // A manager of another team who happens to be allocated cannot hand over the lead.
  ASSERT_TRUE(Allocate(kLead, c.name(), kOtherManager.practitioner,
                       v1::FAMILY_SAFEGUARDING_ROLE_CLINICAL_PSYCHOLOGIST)
                  .ok());
  EXPECT_EQ(Allocate(kOtherManager, c.name(), kOtherManager.practitioner,
                     v1::FAMILY_SAFEGUARDING_ROLE_LEAD_SOCIAL_WORKER)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Scalar<std::string>("SELECT practitioner FROM case_records.allocations WHERE "
                                "role = 'LEAD_SOCIAL_WORKER' AND end_time IS NULL"),
            kLead.practitioner);
}

TEST_F(CaseRecordsTest, PractitionersEndTheirOwnAllocationButNotOthers) {
  v1::Case c = NewCase();
  v1::Allocation support;
  ASSERT_TRUE(Allocate(kLead, c.name(), kSupport.practitioner,
                       v1::FAMILY_SAFEGUARDING_ROLE_FAMILY_SUPPORT_WORKER, &support)
                  .ok());
  v1::Allocation psychologist;
  ASSERT_TRUE(Allocate(kLead, c.name(), "psy-1", v1::FAMILY_SAFEGUARDING_ROLE_CLINICAL_PSYCHOLOGIST,
                       &psychologist)
                  .ok());
  EXPECT_EQ(EndAllocation(kSupport, psychologist.name()).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(EndAllocation(kSupport, support.name()).ok());
  EXPECT_TRUE(EndAllocation(kLead, psychologist.name()).ok());
}

TEST_F(CaseRecordsTest, MovingACaseBetweenTeamsNeedsTheManagerOfBoth) {
  v1::Case c = NewCase();
  v1::UpdateCaseRequest move;
  move.mutable_case_()->set_name(c.name());
  move.mutable_case_()->set_etag(c.etag());
  move.mutable_case_()->set_team("team-b");
  move.mutable_update_mask()->add_paths("team");
  v1::Case moved;
  // The lead may not move it; nor may a manager of team-a alone.
  EXPECT_EQ(cases_->UpdateCase(ContextFor(kLead).get(), move, &moved).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(cases_->UpdateCase(ContextFor(kManager).get(), move, &moved).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Fetch(c.name()).team(), "team-a");
  As both{"tm-ab", "team_manager", "team-a,team-b", ""};
  ASSERT_TRUE(cases_->UpdateCase(ContextFor(both).get(), move, &moved).ok());
  EXPECT_EQ(moved.team(), "team-b");
  // Team-a's manager no longer manages it; team-b's does; the allocated lead still reads it.
  EXPECT_EQ(GetCase(kManager, c.name()).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(GetCase(kOtherManager, c.name()).ok());
  EXPECT_TRUE(GetCase(kLead, c.name()).ok());
}

TEST_F(CaseRecordsTest, ARequestIdReusedForAnotherParentIsRefusedNotCrashed) {
  v1::Case c = NewCase();
  v1::Person amy = NewChild(c, kNhs2, "2018-01-01");
  v1::Person ben = NewChild(c, kNhs3, "2019-02-02");

  v1::StartChildProtectionPlanRequest plan;
  plan.set_parent(amy.name());
  plan.set_request_id("form-42");
  plan.mutable_plan()->set_start_date("2026-10-01");
  plan.mutable_plan()->set_initial_category_of_abuse("NEG");
  v1::ChildProtectionPlan first;
  ASSERT_TRUE(cases_->StartChildProtectionPlan(ContextFor(kLead).get(), plan, &first).ok());
  plan.set_parent(ben.name());
  v1::ChildProtectionPlan second;
  EXPECT_TRUE(InvalidNaming(
      cases_->StartChildProtectionPlan(ContextFor(kLead).get(), plan, &second), "request_id"));

  v1::StartLookedAfterEpisodeRequest episode;
  episode.set_parent(amy.name());
  episode.set_request_id("form-43");
  episode.mutable_episode()->set_start_date("2026-10-02");
  episode.mutable_episode()->set_legal_status("C2");
  v1::LookedAfterEpisode e;
  ASSERT_TRUE(cases_->StartLookedAfterEpisode(ContextFor(kLead).get(), episode, &e).ok());
  episode.set_parent(ben.name());
  EXPECT_TRUE(InvalidNaming(cases_->StartLookedAfterEpisode(ContextFor(kLead).get(), episode, &e),
                            "request_id"));

  v1::Case other = NewCase();
  v1::CreatePersonResponse created;
  ASSERT_TRUE(CreatePerson(kLead, c.name(), Adult("Ann", "Lee"), &created, "form-44").ok());
  EXPECT_TRUE(InvalidNaming(
      CreatePerson(kLead, other.name(), Adult("Ann", "Lee"), &created, "form-44"), "request_id"));
  EXPECT_EQ(Count("people", "case_id = '" + other.name().substr(6) + "'"), 0);

  // The server is still up and answering.
  EXPECT_TRUE(GetCase(kLead, c.name()).ok());
}

TEST_F(CaseRecordsTest, UnknownEnumValuesAndMalformedIdsAreTheCallersMistake) {
  v1::Case c = NewCase();
  EXPECT_TRUE(
      InvalidNaming(Allocate(kLead, c.name(), "x-1", static_cast<v1::FamilySafeguardingRole>(42)),
                    "allocation.role"));
  v1::Person odd = Adult("Odd", "Kind");
  odd.set_kind(static_cast<v1::PersonKind>(7));
  v1::CreatePersonResponse response;
  EXPECT_TRUE(InvalidNaming(CreatePerson(kLead, c.name(), odd, &response), "person.kind"));
  for (const std::string& name :
       {std::string("cases/") + std::string(36, '-'), std::string("cases/") + std::string(36, 'a'),
        std::string("cases/00000000-0000-0000-0000-00000000000G")}) {
    EXPECT_EQ(GetCase(kLead, name).error_code(), grpc::StatusCode::NOT_FOUND) << name;
  }
}

TEST_F(CaseRecordsTest, DatesOfThingsThatHappenedCannotBeInTheFuture) {
  v1::CreateCaseRequest request = CaseRequest();
  request.mutable_case_()->set_referral_date("2099-01-01");
  v1::Case created;
  EXPECT_TRUE(InvalidNaming(cases_->CreateCase(ContextFor(kLead).get(), request, &created),
                            "case.referral_date"));
  v1::Case c = NewCase();
  v1::Person child = NewChild(c);
  EXPECT_TRUE(InvalidNaming(StartPlan(kLead, child.name(), "2099-01-01"), "plan.start_date"));
  v1::ChildProtectionPlan plan;
  ASSERT_TRUE(StartPlan(kLead, child.name(), "2026-10-01", &plan).ok());
  EXPECT_TRUE(InvalidNaming(EndPlan(kLead, plan.name(), "2099-01-01"), "end_date"));
  v1::CreatePersonResponse response;
  EXPECT_TRUE(InvalidNaming(
      CreatePerson(kLead, c.name(), Child("Future", "Child", kNhs5, "2099-01-01"), &response),
      "person.birth_date"));
}

TEST_F(CaseRecordsTest, HugeCallerTextIsRefusedAndKeptShortInTheAuditLog) {
  std::string name = "cases/" + std::string(100000, 'x');
  grpc::Status refused = GetCase(kLead, name);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << Describe(refused);
  EXPECT_LE(Scalar<long long>("SELECT max(octet_length(resource)) FROM case_records.audit_log"),
            520);
  EXPECT_EQ(AuditCount("action = 'GetCase' AND outcome = 'INVALID_ARGUMENT'"), 1);
  EXPECT_TRUE(AuditChainIntact());
}

}  // namespace
}  // namespace fs::cases
