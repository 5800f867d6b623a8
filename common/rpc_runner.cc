#include "common/rpc_runner.h"

#include "absl/strings/ascii.h"
#include "common/case_access.h"
#include "common/status.h"

namespace fs {
namespace {

std::string CodeName(absl::StatusCode code) {
  return absl::AsciiStrToUpper(absl::StatusCodeToString(code));
}

}  // namespace

grpc::Status RpcRunner::RunBody(grpc::ServerContext* context, absl::string_view action,
                                absl::string_view resource, const Body& body) {
  auto caller = ResolveCaller(*context, identity_);
  if (!caller.ok()) {
    // Refused identities leave a trace too (an impersonation attempt is worth reviewing).
    AuditEvent event{std::string(action), std::string(resource), CodeName(caller.status().code()),
                     ""};
    std::string who = UnverifiedCaller(*context);
    pool_
        .Transact([&](pqxx::work& tx) {
          AppendAuditUnverified(tx, who, event);
          return absl::OkStatus();
        })
        .IgnoreError();
    return ToGrpcStatus(caller.status());
  }
  AuditEvent event;
  // Partners and services are refused before the request is looked at, so that a malformed
  // request or a missing resource never answers them anything but PERMISSION_DENIED.
  absl::Status status = practitioners_only_ ? RequirePractitioner(*caller) : absl::OkStatus();
  if (status.ok()) {
    status = pool_.Transact([&](pqxx::work& tx) {
      event = AuditEvent{std::string(action), std::string(resource), "OK", ""};
      absl::Status result = body(*caller, tx, event);
      if (result.ok()) AppendAudit(tx, *caller, event);
      return result;
    });
  }
  if (!status.ok()) {
    // Refusals and failures are audited too, in a transaction of their own; if the database
    // itself is down this fails as well and the caller sees UNAVAILABLE either way.
    event.outcome = CodeName(status.code());
    if (event.action.empty())
      event = AuditEvent{std::string(action), std::string(resource), CodeName(status.code()), ""};
    AppendAuditAlone(pool_, *caller, event).IgnoreError();
  }
  return ToGrpcStatus(status);
}

}  // namespace fs
