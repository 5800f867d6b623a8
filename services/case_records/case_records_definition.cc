#include "services/case_records/case_records_definition.h"

#include "absl/flags/flag.h"
#include "common/audit.h"
#include "common/migrations.h"
#include "services/case_records/case_records_service.h"
#include "services/case_records/case_store.h"

ABSL_FLAG(std::string, office_hours_phone, "",
          "Council children's services number for office hours, returned to NHS look-ups (env "
          "FS_OFFICE_HOURS_PHONE)");
ABSL_FLAG(std::string, out_of_hours_phone, "",
          "Council emergency duty team number, returned to NHS look-ups (env "
          "FS_OUT_OF_HOURS_PHONE)");

namespace fs::cases {

ServiceDefinition CaseRecordsDefinition() {
  ServiceDefinition definition;
  definition.name = "case_records";
  definition.default_grpc_port = 50051;
  definition.default_metrics_port = 9101;
  definition.statements = CaseStore::Statements();
  definition.migrations = EmbeddedMigrations();
  definition.make_services = [](ConnectionPool& pool, const ServerConfig& config) {
    IdentityOptions identity{config.insecure_dev_auth, config.trust_domain,
                             config.trusted_frontends};
    CouncilContacts contacts{absl::GetFlag(FLAGS_office_hours_phone),
                             absl::GetFlag(FLAGS_out_of_hours_phone)};
    std::vector<std::pair<std::unique_ptr<grpc::Service>, std::string>> services;
    services.emplace_back(std::make_unique<CaseRecordsServiceImpl>(pool, identity),
                          "fs.cases.v1.CaseRecordsService");
    services.emplace_back(
        std::make_unique<ChildProtectionInformationServiceImpl>(pool, identity, contacts),
        "fs.cases.v1.ChildProtectionInformationService");
    return services;
  };
  return definition;
}

}  // namespace fs::cases
