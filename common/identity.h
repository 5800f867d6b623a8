#pragma once

#include <grpcpp/server_context.h>

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace fs {

enum class PrincipalKind { kPractitioner, kService, kNhsPartner, kPolicePartner };

// Who is calling, parsed from a SPIFFE-style URI:
//   spiffe://<trust-domain>/practitioner/<id>
//   spiffe://<trust-domain>/service/<name>
//   spiffe://<trust-domain>/partner/nhs/<org-code>
//   spiffe://<trust-domain>/partner/police/<force-code>
struct Principal {
  PrincipalKind kind = PrincipalKind::kPractitioner;
  // Practitioner id, service name, or partner organisation code.
  std::string id;
  std::string uri;

  static absl::StatusOr<Principal> Parse(absl::string_view uri, absl::string_view trust_domain);
};

// Practitioner roles a trusted front end may assert ("x-fs-role").
enum class PractitionerRole {
  kSocialWorker,
  kTeamManager,
  kFamilySupportWorker,
  kParentingAssessor,
  kDaVictimWorker,
  kDaPerpetratorWorker,
  kRecoveryWorker,
  kMentalHealthPractitioner,
  kClinicalPsychologist,
  kAdministrator,
};

absl::StatusOr<PractitionerRole> ParsePractitionerRole(absl::string_view text);
absl::string_view PractitionerRoleName(PractitionerRole role);

// The authenticated caller of one RPC.
struct Caller {
  Principal principal;
  // Practitioners only.
  PractitionerRole role = PractitionerRole::kSocialWorker;
  // Teams the practitioner belongs to or manages ("x-fs-team", comma-separated).
  std::vector<std::string> teams;
  // "x-fs-break-glass-reason": given when the caller has no legitimate relationship.
  std::string break_glass_reason;

  bool is_practitioner() const { return principal.kind == PrincipalKind::kPractitioner; }
  bool is_partner() const {
    return principal.kind == PrincipalKind::kNhsPartner ||
           principal.kind == PrincipalKind::kPolicePartner;
  }
  // The role as recorded in audit rows: the practitioner role or the principal kind.
  std::string AuditRole() const;
};

struct IdentityOptions {
  bool insecure_dev_auth = false;
  std::string trust_domain = "fs.local";
  std::vector<std::string> trusted_frontends;
};

// Resolves the caller: from the verified client certificate (URI SAN) under TLS, where a trusted
// front-end service may pass the practitioner and role in metadata; from metadata alone only in
// insecure dev mode. UNAUTHENTICATED when there is no identity; INVALID_ARGUMENT when the
// metadata is malformed.
absl::StatusOr<Caller> ResolveCaller(const grpc::ServerContext& context,
                                     const IdentityOptions& options);

// What is known of a caller whose identity did not resolve, for the audit log: the verified
// certificate URI, else the claimed x-fs-principal, else the peer address.
std::string UnverifiedCaller(const grpc::ServerContext& context);

}  // namespace fs
