#include "common/identity.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fs {
namespace {

using ::testing::HasSubstr;

constexpr absl::string_view kDomain = "fs.local";

TEST(PrincipalParseTest, Practitioner) {
  auto principal = Principal::Parse("spiffe://fs.local/practitioner/p-123", kDomain);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->kind, PrincipalKind::kPractitioner);
  EXPECT_EQ(principal->id, "p-123");
  EXPECT_EQ(principal->uri, "spiffe://fs.local/practitioner/p-123");
}

TEST(PrincipalParseTest, Service) {
  auto principal = Principal::Parse("spiffe://fs.local/service/web-frontend", kDomain);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->kind, PrincipalKind::kService);
  EXPECT_EQ(principal->id, "web-frontend");
  EXPECT_EQ(principal->uri, "spiffe://fs.local/service/web-frontend");
}

TEST(PrincipalParseTest, NhsPartner) {
  auto principal = Principal::Parse("spiffe://fs.local/partner/nhs/RX1", kDomain);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->kind, PrincipalKind::kNhsPartner);
  EXPECT_EQ(principal->id, "RX1");
  EXPECT_EQ(principal->uri, "spiffe://fs.local/partner/nhs/RX1");
}

TEST(PrincipalParseTest, PolicePartner) {
  auto principal = Principal::Parse("spiffe://fs.local/partner/police/met_01", kDomain);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->kind, PrincipalKind::kPolicePartner);
  EXPECT_EQ(principal->id, "met_01");
  EXPECT_EQ(principal->uri, "spiffe://fs.local/partner/police/met_01");
}

TEST(PrincipalParseTest, UsesTheGivenTrustDomain) {
  auto principal = Principal::Parse("spiffe://example.org/service/api", "example.org");
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->kind, PrincipalKind::kService);
  EXPECT_EQ(principal->id, "api");

  EXPECT_EQ(Principal::Parse("spiffe://fs.local/service/api", "example.org").status().code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(PrincipalParseTest, AcceptsAllAllowedIdCharacters) {
  auto principal = Principal::Parse("spiffe://fs.local/practitioner/Az09._-", kDomain);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->id, "Az09._-");
}

TEST(PrincipalParseTest, WrongTrustDomainIsPermissionDenied) {
  for (absl::string_view uri : {
           "spiffe://other.local/practitioner/p1",
           "spiffe://fs.local.evil.example/practitioner/p1",  // trust domain only as a prefix
           "spiffe://fs.localhost/practitioner/p1",
           "spiffe://evil.fs.local/practitioner/p1",
           "spiffe://FS.LOCAL/practitioner/p1",
           "spiffe:///practitioner/p1",
           "spiffe://fs.local",
       }) {
    SCOPED_TRACE(uri);
    auto principal = Principal::Parse(uri, kDomain);
    ASSERT_FALSE(principal.ok());
    EXPECT_EQ(principal.status().code(), absl::StatusCode::kPermissionDenied);
    EXPECT_THAT(principal.status().message(), HasSubstr("trust domain"));
  }
}

TEST(PrincipalParseTest, NotSpiffeIsInvalidArgument) {
  for (absl::string_view uri : {
           "",
           "https://fs.local/practitioner/p1",
           "spiffe:/fs.local/practitioner/p1",
           "fs.local/practitioner/p1",
           "practitioner/p1",
           " spiffe://fs.local/practitioner/p1",
       }) {
    SCOPED_TRACE(uri);
    auto principal = Principal::Parse(uri, kDomain);
    ASSERT_FALSE(principal.ok());
    EXPECT_EQ(principal.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(PrincipalParseTest, WrongPathShapeIsInvalidArgument) {
  for (absl::string_view uri : {
           // Too few segments.
           "spiffe://fs.local/",
           "spiffe://fs.local/practitioner",
           "spiffe://fs.local/service",
           "spiffe://fs.local/partner/p1",
           "spiffe://fs.local/partner/nhs",
           "spiffe://fs.local/partner/police",
           // Too many segments.
           "spiffe://fs.local/practitioner/p1/extra",
           "spiffe://fs.local/practitioner/p1/",
           "spiffe://fs.local/service/api/v2",
           "spiffe://fs.local/partner/nhs/RX1/extra",
           "spiffe://fs.local/partner/police/met/extra",
           "spiffe://fs.local//practitioner/p1",
           // Unknown kind.
           "spiffe://fs.local/admin/p1",
           "spiffe://fs.local/Practitioner/p1",
           "spiffe://fs.local/partner/fire/F1",
           "spiffe://fs.local/partner/NHS/RX1",
           "spiffe://fs.local/nhs/RX1",
           "spiffe://fs.local/practitioner/nhs/RX1",
       }) {
    SCOPED_TRACE(uri);
    auto principal = Principal::Parse(uri, kDomain);
    ASSERT_FALSE(principal.ok());
    EXPECT_EQ(principal.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(PrincipalParseTest, InvalidIdCharactersAreInvalidArgument) {
  for (absl::string_view uri : {
           "spiffe://fs.local/practitioner/",
           "spiffe://fs.local/service/",
           "spiffe://fs.local/partner/nhs/",
           "spiffe://fs.local/partner/police/",
           "spiffe://fs.local/practitioner/p 1",
           "spiffe://fs.local/practitioner/p%201",
           "spiffe://fs.local/practitioner/p@1",
           "spiffe://fs.local/practitioner/p:1",
           "spiffe://fs.local/practitioner/p1?x=1",
           "spiffe://fs.local/practitioner/p1#frag",
           "spiffe://fs.local/service/api\n",
           "spiffe://fs.local/partner/nhs/R\xc3\xa9",  // non-ASCII (UTF-8 e-acute)
           "spiffe://fs.local/partner/police/met,kent",
       }) {
    SCOPED_TRACE(uri);
    auto principal = Principal::Parse(uri, kDomain);
    ASSERT_FALSE(principal.ok());
    EXPECT_EQ(principal.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(PrincipalParseTest, IdLengthLimitIs128) {
  const std::string longest(128, 'a');
  auto ok = Principal::Parse("spiffe://fs.local/practitioner/" + longest, kDomain);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->id, longest);

  for (const std::string& id : {std::string(129, 'a'), std::string(1000, 'b')}) {
    SCOPED_TRACE(id.size());
    for (absl::string_view prefix :
         {"spiffe://fs.local/practitioner/", "spiffe://fs.local/service/",
          "spiffe://fs.local/partner/nhs/", "spiffe://fs.local/partner/police/"}) {
      SCOPED_TRACE(prefix);
      auto principal = Principal::Parse(std::string(prefix) + id, kDomain);
      ASSERT_FALSE(principal.ok());
      EXPECT_EQ(principal.status().code(), absl::StatusCode::kInvalidArgument);
    }
  }
}

const std::vector<std::pair<PractitionerRole, absl::string_view>>& AllRoles() {
  static const auto* const kRoles = new std::vector<std::pair<PractitionerRole, absl::string_view>>{
      {PractitionerRole::kSocialWorker, "social_worker"},
      {PractitionerRole::kTeamManager, "team_manager"},
      {PractitionerRole::kFamilySupportWorker, "family_support_worker"},
      {PractitionerRole::kParentingAssessor, "parenting_assessor"},
      {PractitionerRole::kDaVictimWorker, "da_victim_worker"},
      {PractitionerRole::kDaPerpetratorWorker, "da_perpetrator_worker"},
      {PractitionerRole::kRecoveryWorker, "recovery_worker"},
      {PractitionerRole::kMentalHealthPractitioner, "mental_health_practitioner"},
      {PractitionerRole::kClinicalPsychologist, "clinical_psychologist"},
      {PractitionerRole::kAdministrator, "administrator"},
  };
  return *kRoles;
}

TEST(PractitionerRoleTest, NameOfEveryRole) {
  for (const auto& [role, name] : AllRoles()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(PractitionerRoleName(role), name);
  }
}

TEST(PractitionerRoleTest, ParseOfEveryRoleName) {
  for (const auto& [role, name] : AllRoles()) {
    SCOPED_TRACE(name);
    auto parsed = ParsePractitionerRole(name);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, role);
  }
}

TEST(PractitionerRoleTest, RoundTripThroughName) {
  for (const auto& [role, name] : AllRoles()) {
    SCOPED_TRACE(name);
    auto parsed = ParsePractitionerRole(PractitionerRoleName(role));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, role);
  }
}

TEST(PractitionerRoleTest, UnknownRoleIsInvalidArgument) {
  for (absl::string_view text :
       {"", "unknown", "admin", "Social_Worker", "SOCIAL_WORKER", "social worker", "social-worker",
        " social_worker", "social_worker ", "team_manager,administrator"}) {
    SCOPED_TRACE(text);
    auto parsed = ParsePractitionerRole(text);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(parsed.status().message(), HasSubstr("x-fs-role"));
  }
  EXPECT_THAT(ParsePractitionerRole("wizard").status().message(), HasSubstr("'wizard'"));
}

TEST(PractitionerRoleTest, NameOfUnknownRoleValue) {
  EXPECT_EQ(PractitionerRoleName(static_cast<PractitionerRole>(99)), "unknown");
  EXPECT_FALSE(ParsePractitionerRole(PractitionerRoleName(static_cast<PractitionerRole>(99))).ok());
}

Caller MakeCaller(PrincipalKind kind, PractitionerRole role) {
  Caller caller;
  caller.principal.kind = kind;
  caller.principal.id = "x1";
  caller.role = role;
  return caller;
}

TEST(CallerTest, AuditRoleOfPractitionerIsTheRoleName) {
  for (const auto& [role, name] : AllRoles()) {
    SCOPED_TRACE(name);
    EXPECT_EQ(MakeCaller(PrincipalKind::kPractitioner, role).AuditRole(), name);
  }
}

TEST(CallerTest, AuditRoleOfServiceIgnoresPractitionerRole) {
  EXPECT_EQ(MakeCaller(PrincipalKind::kService, PractitionerRole::kSocialWorker).AuditRole(),
            "service");
  EXPECT_EQ(MakeCaller(PrincipalKind::kService, PractitionerRole::kAdministrator).AuditRole(),
            "service");
}

TEST(CallerTest, AuditRoleOfNhsPartner) {
  EXPECT_EQ(MakeCaller(PrincipalKind::kNhsPartner, PractitionerRole::kSocialWorker).AuditRole(),
            "nhs_partner");
  EXPECT_EQ(MakeCaller(PrincipalKind::kNhsPartner, PractitionerRole::kTeamManager).AuditRole(),
            "nhs_partner");
}

TEST(CallerTest, AuditRoleOfPolicePartner) {
  EXPECT_EQ(MakeCaller(PrincipalKind::kPolicePartner, PractitionerRole::kSocialWorker).AuditRole(),
            "police_partner");
  EXPECT_EQ(MakeCaller(PrincipalKind::kPolicePartner, PractitionerRole::kAdministrator).AuditRole(),
            "police_partner");
}

TEST(CallerTest, AuditRoleOfParsedPrincipals) {
  struct Case {
    absl::string_view uri;
    absl::string_view audit_role;
    bool practitioner;
    bool partner;
  };
  for (const Case& c : {
           Case{"spiffe://fs.local/practitioner/p1", "clinical_psychologist", true, false},
           Case{"spiffe://fs.local/service/api", "service", false, false},
           Case{"spiffe://fs.local/partner/nhs/RX1", "nhs_partner", false, true},
           Case{"spiffe://fs.local/partner/police/met", "police_partner", false, true},
       }) {
    SCOPED_TRACE(c.uri);
    auto principal = Principal::Parse(c.uri, kDomain);
    ASSERT_TRUE(principal.ok()) << principal.status();
    Caller caller;
    caller.principal = *principal;
    caller.role = PractitionerRole::kClinicalPsychologist;
    EXPECT_EQ(caller.AuditRole(), c.audit_role);
    EXPECT_EQ(caller.is_practitioner(), c.practitioner);
    EXPECT_EQ(caller.is_partner(), c.partner);
  }
}

}  // namespace
}  // namespace fs
