// case_records: families, people, MDT allocations, CP plans, looked-after episodes, alerts and
// the NHS CP-IS look-up.
#include "absl/flags/flag.h"
#include "common/audit.h"
#include "common/migrations.h"
#include "common/server.h"
#include "services/case_records/case_records_service.h"
#include "services/case_records/case_store.h"

ABSL_FLAG(std::string, office_hours_phone, "",
          "Council children's services number for office hours, returned to NHS look-ups (env "
          "FS_OFFICE_HOURS_PHONE)");
ABSL_FLAG(std::string, out_of_hours_phone, "",
          "Council emergency duty team number, returned to NHS look-ups (env "
          "FS_OUT_OF_HOURS_PHONE)");

int main(int argc, char** argv) {
  fs::ServiceDefinition definition;
  definition.name = "case_records";
  definition.default_grpc_port = 50051;
  definition.default_metrics_port = 9101;
  definition.statements = fs::cases::CaseStore::Statements();
  for (auto& statement : fs::AuditStatements()) definition.statements.push_back(statement);
  definition.migrations = fs::EmbeddedMigrations();
  definition.make_services = [](fs::ConnectionPool& pool, const fs::ServerConfig& config) {
    fs::IdentityOptions identity{config.insecure_dev_auth, config.trust_domain,
                                 config.trusted_frontends};
    fs::cases::CouncilContacts contacts{absl::GetFlag(FLAGS_office_hours_phone),
                                        absl::GetFlag(FLAGS_out_of_hours_phone)};
    std::vector<std::pair<std::unique_ptr<grpc::Service>, std::string>> services;
    services.emplace_back(std::make_unique<fs::cases::CaseRecordsServiceImpl>(pool, identity),
                          "fs.cases.v1.CaseRecordsService");
    services.emplace_back(std::make_unique<fs::cases::ChildProtectionInformationServiceImpl>(
                              pool, identity, contacts),
                          "fs.cases.v1.ChildProtectionInformationService");
    return services;
  };
  return fs::RunService(argc, argv, definition);
}
