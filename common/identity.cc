#include "common/identity.h"

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status.h"

namespace fs {
namespace {

constexpr std::array<std::pair<PractitionerRole, absl::string_view>, 10> kRoleNames = {{
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
}};

bool ValidSegment(absl::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

std::string Metadata(const grpc::ServerContext& context, absl::string_view key) {
  const auto& md = context.client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

// The URI SAN of a verified peer certificate, if any.
std::string PeerUri(const grpc::ServerContext& context) {
  auto auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return "";
  for (const char* property : {"peer_spiffe_id", "peer_uri"}) {
    auto values = auth->FindPropertyValues(property);
    for (const auto& value : values) {
      std::string uri(value.data(), value.size());
      if (absl::StartsWith(uri, "spiffe://")) return uri;
    }
  }
  return "";
}

absl::Status ReadPractitionerMetadata(const grpc::ServerContext& context, Caller* caller) {
  std::string role = Metadata(context, "x-fs-role");
  if (role.empty()) return absl::UnauthenticatedError("x-fs-role is required for a practitioner");
  auto parsed = ParsePractitionerRole(role);
  if (!parsed.ok()) return parsed.status();
  caller->role = *parsed;
  for (auto team : absl::StrSplit(Metadata(context, "x-fs-team"), ',', absl::SkipWhitespace())) {
    std::string name(absl::StripAsciiWhitespace(team));
    if (!ValidSegment(name)) {
      return absl::InvalidArgumentError(absl::StrCat("x-fs-team: invalid team name ", Quote(name)));
    }
    caller->teams.push_back(std::move(name));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Principal> Principal::Parse(absl::string_view uri, absl::string_view trust_domain) {
  absl::string_view rest = uri;
  if (!absl::ConsumePrefix(&rest, "spiffe://")) {
    return absl::InvalidArgumentError("principal must be a spiffe:// URI");
  }
  if (!absl::ConsumePrefix(&rest, trust_domain) || !absl::ConsumePrefix(&rest, "/")) {
    return absl::PermissionDeniedError(
        absl::StrCat("principal is not in trust domain '", trust_domain, "'"));
  }
  std::vector<absl::string_view> parts = absl::StrSplit(rest, '/');
  Principal principal;
  principal.uri = std::string(uri);
  if (parts.size() == 2 && parts[0] == "practitioner") {
    principal.kind = PrincipalKind::kPractitioner;
  } else if (parts.size() == 2 && parts[0] == "service") {
    principal.kind = PrincipalKind::kService;
  } else if (parts.size() == 3 && parts[0] == "partner" && parts[1] == "nhs") {
    principal.kind = PrincipalKind::kNhsPartner;
  } else if (parts.size() == 3 && parts[0] == "partner" && parts[1] == "police") {
    principal.kind = PrincipalKind::kPolicePartner;
  } else {
    return absl::InvalidArgumentError(
        "principal path must be practitioner/<id>, service/<name>, partner/nhs/<org> or "
        "partner/police/<force>");
  }
  if (!ValidSegment(parts.back())) {
    return absl::InvalidArgumentError("principal id must be 1-128 of [A-Za-z0-9._-]");
  }
  principal.id = std::string(parts.back());
  return principal;
}

absl::StatusOr<PractitionerRole> ParsePractitionerRole(absl::string_view text) {
  for (const auto& [role, name] : kRoleNames) {
    if (name == text) return role;
  }
  return absl::InvalidArgumentError(absl::StrCat("x-fs-role: unknown role ", Quote(text)));
}

absl::string_view PractitionerRoleName(PractitionerRole role) {
  for (const auto& [r, name] : kRoleNames) {
    if (r == role) return name;
  }
  return "unknown";
}

std::string Caller::AuditRole() const {
  switch (principal.kind) {
    case PrincipalKind::kPractitioner:
      return std::string(PractitionerRoleName(role));
    case PrincipalKind::kService:
      return "service";
    case PrincipalKind::kNhsPartner:
      return "nhs_partner";
    case PrincipalKind::kPolicePartner:
      return "police_partner";
  }
  return "unknown";
}

absl::StatusOr<Caller> ResolveCaller(const grpc::ServerContext& context,
                                     const IdentityOptions& options) {
  Caller caller;
  std::string peer = PeerUri(context);
  std::string asserted = Metadata(context, "x-fs-principal");
  if (!peer.empty()) {
    auto principal = Principal::Parse(peer, options.trust_domain);
    if (!principal.ok()) return absl::UnauthenticatedError(principal.status().message());
    caller.principal = *principal;
    bool trusted_frontend =
        principal->kind == PrincipalKind::kService &&
        std::find(options.trusted_frontends.begin(), options.trusted_frontends.end(),
                  principal->id) != options.trusted_frontends.end();
    if (!asserted.empty()) {
      if (!trusted_frontend) {
        return absl::PermissionDeniedError(
            "only a trusted front end may act for a practitioner (x-fs-principal)");
      }
      auto acting = Principal::Parse(asserted, options.trust_domain);
      if (!acting.ok()) return acting.status();
      if (acting->kind != PrincipalKind::kPractitioner) {
        return absl::InvalidArgumentError("x-fs-principal: a front end acts for practitioners");
      }
      caller.principal = *acting;
    } else if (principal->kind == PrincipalKind::kPractitioner) {
      // A role asserted by the practitioner's own client is not trusted.
      return absl::PermissionDeniedError("practitioners call through a trusted front end");
    }
  } else if (options.insecure_dev_auth) {
    if (asserted.empty()) {
      return absl::UnauthenticatedError("x-fs-principal metadata is required (insecure dev auth)");
    }
    auto principal = Principal::Parse(asserted, options.trust_domain);
    if (!principal.ok()) return principal.status();
    caller.principal = *principal;
  } else {
    return absl::UnauthenticatedError("no client identity: a client certificate is required");
  }
  if (caller.is_practitioner()) {
    if (auto status = ReadPractitionerMetadata(context, &caller); !status.ok()) return status;
  }
  caller.break_glass_reason =
      std::string(absl::StripAsciiWhitespace(Metadata(context, "x-fs-break-glass-reason")));
  return caller;
}

std::string UnverifiedCaller(const grpc::ServerContext& context) {
  if (std::string peer = PeerUri(context); !peer.empty()) {
    std::string claimed = Metadata(context, "x-fs-principal");
    return claimed.empty() ? peer : absl::StrCat(peer, " claiming ", claimed);
  }
  if (std::string claimed = Metadata(context, "x-fs-principal"); !claimed.empty()) {
    return absl::StrCat("claimed ", claimed, " from ", context.peer());
  }
  return absl::StrCat("anonymous from ", context.peer());
}

}  // namespace fs
