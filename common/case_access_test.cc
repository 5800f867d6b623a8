#include "common/case_access.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/identity.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fs {
namespace {

using ::testing::HasSubstr;

Caller Practitioner(PractitionerRole role, std::vector<std::string> teams = {},
                    std::string break_glass_reason = "") {
  Caller caller;
  caller.principal.kind = PrincipalKind::kPractitioner;
  caller.principal.id = "p-1";
  caller.principal.uri = "spiffe://fs.local/practitioner/p-1";
  caller.role = role;
  caller.teams = std::move(teams);
  caller.break_glass_reason = std::move(break_glass_reason);
  return caller;
}

Caller NonPractitioner(PrincipalKind kind, std::string uri) {
  Caller caller;
  caller.principal.kind = kind;
  caller.principal.id = "x";
  caller.principal.uri = std::move(uri);
  // Even if the metadata claimed a manager role, team and reason, these must not count.
  caller.role = PractitionerRole::kTeamManager;
  caller.teams = {"north"};
  caller.break_glass_reason = "urgent safeguarding concern overnight";
  return caller;
}

constexpr char kGoodReason[] = "Out-of-hours duty: police report a child at risk tonight";

// ---------------------------------------------------------------------------------------------
// DecideCaseAccess.

TEST(DecideCaseAccessTest, AllocatedPractitionerWithoutReason) {
  absl::StatusOr<AccessBasis> basis =
      DecideCaseAccess(Practitioner(PractitionerRole::kSocialWorker),
                       CaseRelationship{.allocated = true, .team = "north"});
  ASSERT_TRUE(basis.ok()) << basis.status();
  EXPECT_EQ(*basis, AccessBasis::kAllocated);
}

TEST(DecideCaseAccessTest, AllocatedAdultWorkerWithoutReason) {
  absl::StatusOr<AccessBasis> basis =
      DecideCaseAccess(Practitioner(PractitionerRole::kRecoveryWorker),
                       CaseRelationship{.allocated = true, .team = "north"});
  ASSERT_TRUE(basis.ok()) << basis.status();
  EXPECT_EQ(*basis, AccessBasis::kAllocated);
}

TEST(DecideCaseAccessTest, AllocatedWinsOverBreakGlass) {
  // An allocated worker who also sends a reason is not flagged as break-glass.
  absl::StatusOr<AccessBasis> basis =
      DecideCaseAccess(Practitioner(PractitionerRole::kSocialWorker, {}, kGoodReason),
                       CaseRelationship{.allocated = true, .team = "north"});
  ASSERT_TRUE(basis.ok()) << basis.status();
  EXPECT_EQ(*basis, AccessBasis::kAllocated);
}

TEST(DecideCaseAccessTest, TeamManagerOfTheCaseTeam) {
  absl::StatusOr<AccessBasis> basis =
      DecideCaseAccess(Practitioner(PractitionerRole::kTeamManager, {"south", "north"}),
                       CaseRelationship{.allocated = false, .team = "north"});
  ASSERT_TRUE(basis.ok()) << basis.status();
  EXPECT_EQ(*basis, AccessBasis::kTeamManager);
}

TEST(DecideCaseAccessTest, TeamManagerOfAnotherTeamIsDenied) {
  absl::StatusOr<AccessBasis> basis =
      DecideCaseAccess(Practitioner(PractitionerRole::kTeamManager, {"south"}),
                       CaseRelationship{.allocated = false, .team = "north"});
  EXPECT_EQ(basis.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(DecideCaseAccessTest, TeamManagerTeamNamesMatchExactly) {
  absl::StatusOr<AccessBasis> basis =
      DecideCaseAccess(Practitioner(PractitionerRole::kTeamManager, {"north-east", "North"}),
                       CaseRelationship{.allocated = false, .team = "north"});
  EXPECT_EQ(basis.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(DecideCaseAccessTest, CaseWithoutTeamGivesNoTeamManagerAccess) {
  absl::StatusOr<AccessBasis> basis =
      DecideCaseAccess(Practitioner(PractitionerRole::kTeamManager, {""}),
                       CaseRelationship{.allocated = false, .team = ""});
  EXPECT_EQ(basis.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(DecideCaseAccessTest, SocialWorkerInCaseTeamButNotAllocatedIsDenied) {
  absl::StatusOr<AccessBasis> basis =
      DecideCaseAccess(Practitioner(PractitionerRole::kSocialWorker, {"north"}),
                       CaseRelationship{.allocated = false, .team = "north"});
  EXPECT_EQ(basis.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(basis.status().message(), HasSubstr("x-fs-break-glass-reason"));
}

TEST(DecideCaseAccessTest, OtherRolesInCaseTeamButNotAllocatedAreDenied) {
  for (PractitionerRole role :
       {PractitionerRole::kFamilySupportWorker, PractitionerRole::kDaPerpetratorWorker,
        PractitionerRole::kAdministrator, PractitionerRole::kClinicalPsychologist}) {
    absl::StatusOr<AccessBasis> basis = DecideCaseAccess(
        Practitioner(role, {"north"}), CaseRelationship{.allocated = false, .team = "north"});
    EXPECT_EQ(basis.status().code(), absl::StatusCode::kPermissionDenied)
        << PractitionerRoleName(role);
  }
}

TEST(DecideCaseAccessTest, NoRelationshipWithReasonIsBreakGlass) {
  absl::StatusOr<AccessBasis> basis =
      DecideCaseAccess(Practitioner(PractitionerRole::kSocialWorker, {"south"}, kGoodReason),
                       CaseRelationship{.allocated = false, .team = "north"});
  ASSERT_TRUE(basis.ok()) << basis.status();
  EXPECT_EQ(*basis, AccessBasis::kBreakGlass);
}

TEST(DecideCaseAccessTest, ReasonOfExactlyTenCharactersIsEnough) {
  absl::StatusOr<AccessBasis> basis =
      DecideCaseAccess(Practitioner(PractitionerRole::kSocialWorker, {}, "0123456789"),
                       CaseRelationship{.allocated = false, .team = "north"});
  ASSERT_TRUE(basis.ok()) << basis.status();
  EXPECT_EQ(*basis, AccessBasis::kBreakGlass);
}

TEST(DecideCaseAccessTest, TooShortReasonIsInvalid) {
  absl::StatusOr<AccessBasis> basis =
      DecideCaseAccess(Practitioner(PractitionerRole::kSocialWorker, {}, "urgent!!!"),
                       CaseRelationship{.allocated = false, .team = "north"});
  EXPECT_EQ(basis.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(basis.status().message(), HasSubstr("x-fs-break-glass-reason"));
}

TEST(DecideCaseAccessTest, NoRelationshipAndNoReasonIsDenied) {
  absl::StatusOr<AccessBasis> basis =
      DecideCaseAccess(Practitioner(PractitionerRole::kSocialWorker),
                       CaseRelationship{.allocated = false, .team = "north"});
  EXPECT_EQ(basis.status().code(), absl::StatusCode::kPermissionDenied);
}

TEST(DecideCaseAccessTest, PartnersAndServicesAreDeniedEvenIfAllocated) {
  for (const Caller& caller :
       {NonPractitioner(PrincipalKind::kNhsPartner, "spiffe://fs.local/partner/nhs/RX1"),
        NonPractitioner(PrincipalKind::kPolicePartner, "spiffe://fs.local/partner/police/43"),
        NonPractitioner(PrincipalKind::kService, "spiffe://fs.local/service/reporting")}) {
    absl::StatusOr<AccessBasis> basis =
        DecideCaseAccess(caller, CaseRelationship{.allocated = true, .team = "north"});
    EXPECT_EQ(basis.status().code(), absl::StatusCode::kPermissionDenied) << caller.principal.uri;
    EXPECT_THAT(basis.status().message(), HasSubstr(caller.principal.uri));
  }
}

// ---------------------------------------------------------------------------------------------
// RequirePractitioner / RequireTeamManager.

TEST(RequirePractitionerTest, PractitionerOkPartnerDenied) {
  EXPECT_TRUE(RequirePractitioner(Practitioner(PractitionerRole::kAdministrator)).ok());
  EXPECT_EQ(RequirePractitioner(NonPractitioner(PrincipalKind::kPolicePartner,
                                                "spiffe://fs.local/partner/police/43"))
                .code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(RequireTeamManagerTest, ManagerIsAllowed) {
  EXPECT_TRUE(RequireTeamManager(Practitioner(PractitionerRole::kTeamManager)).ok());
}

TEST(RequireTeamManagerTest, SocialWorkerIsDenied) {
  EXPECT_EQ(RequireTeamManager(Practitioner(PractitionerRole::kSocialWorker)).code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(RequireTeamManagerTest, ServiceClaimingManagerRoleIsDenied) {
  EXPECT_EQ(RequireTeamManager(
                NonPractitioner(PrincipalKind::kService, "spiffe://fs.local/service/reporting"))
                .code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace fs

namespace fs {
namespace {

Caller Practitioner(const std::string& id, PractitionerRole role, std::vector<std::string> teams,
                    const std::string& reason = "") {
  Caller caller;
  caller.principal.kind = PrincipalKind::kPractitioner;
  caller.principal.id = id;
  caller.role = role;
  caller.teams = std::move(teams);
  caller.break_glass_reason = reason;
  return caller;
}

TEST(CaseIntentTest, BreakGlassIsReadOnly) {
  Caller glass = Practitioner("sw-9", PractitionerRole::kSocialWorker, {"team-b"},
                              "Child at A&E, out of hours");
  CaseRelationship none{false, "team-a"};
  auto read = DecideCaseAccess(glass, none, CaseIntent::kRead);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, AccessBasis::kBreakGlass);
  EXPECT_EQ(DecideCaseAccess(glass, none, CaseIntent::kWrite).status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(CaseIntentTest, RelationshipsMayWrite) {
  Caller lead = Practitioner("sw-1", PractitionerRole::kSocialWorker, {"team-a"});
  auto allocated = DecideCaseAccess(lead, {true, "team-a"}, CaseIntent::kWrite);
  ASSERT_TRUE(allocated.ok());
  EXPECT_EQ(*allocated, AccessBasis::kAllocated);
  Caller manager = Practitioner("tm-1", PractitionerRole::kTeamManager, {"team-a"});
  auto managed = DecideCaseAccess(manager, {false, "team-a"}, CaseIntent::kWrite);
  ASSERT_TRUE(managed.ok());
  EXPECT_EQ(*managed, AccessBasis::kTeamManager);
}

TEST(CaseIntentTest, OverlongBreakGlassReasonIsRefused) {
  Caller glass = Practitioner("sw-9", PractitionerRole::kSocialWorker, {}, std::string(501, 'r'));
  EXPECT_EQ(DecideCaseAccess(glass, {false, "team-a"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ManagesTeamTest, OnlyAManagerOfThatTeam) {
  EXPECT_TRUE(ManagesTeam(Practitioner("tm", PractitionerRole::kTeamManager, {"a", "b"}), "b"));
  EXPECT_FALSE(ManagesTeam(Practitioner("tm", PractitionerRole::kTeamManager, {"a"}), "b"));
  EXPECT_FALSE(ManagesTeam(Practitioner("sw", PractitionerRole::kSocialWorker, {"b"}), "b"));
  EXPECT_FALSE(ManagesTeam(Practitioner("tm", PractitionerRole::kTeamManager, {"a"}), ""));
  Caller service;
  service.principal.kind = PrincipalKind::kService;
  service.role = PractitionerRole::kTeamManager;
  service.teams = {"b"};
  EXPECT_FALSE(ManagesTeam(service, "b"));
}

}  // namespace
}  // namespace fs
