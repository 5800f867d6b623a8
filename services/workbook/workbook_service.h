#pragma once

#include <string>
#include <vector>

#include "common/db_pool.h"
#include "common/identity.h"
#include "common/rpc_runner.h"
#include "fs/workbook/v1/workbook.grpc.pb.h"

namespace fs::workbook {

namespace v1 = ::fs::workbook::v1;

class WorkbookServiceImpl final : public v1::WorkbookService::Service {
 public:
  WorkbookServiceImpl(ConnectionPool& pool, IdentityOptions identity,
                      std::vector<std::string> module_titles)
      : runner_(pool, std::move(identity), /*practitioners_only=*/true),
        module_titles_(std::move(module_titles)) {}

  grpc::Status CreateEntry(grpc::ServerContext*, const v1::CreateEntryRequest*,
                           v1::Entry*) override;
  grpc::Status GetEntry(grpc::ServerContext*, const v1::GetEntryRequest*, v1::Entry*) override;
  grpc::Status ListEntries(grpc::ServerContext*, const v1::ListEntriesRequest*,
                           v1::ListEntriesResponse*) override;
  grpc::Status UpdateEntry(grpc::ServerContext*, const v1::UpdateEntryRequest*,
                           v1::Entry*) override;
  grpc::Status FinaliseEntry(grpc::ServerContext*, const v1::FinaliseEntryRequest*,
                             v1::Entry*) override;
  grpc::Status SignOffEntry(grpc::ServerContext*, const v1::SignOffEntryRequest*,
                            v1::Entry*) override;
  grpc::Status CorrectEntry(grpc::ServerContext*, const v1::CorrectEntryRequest*,
                            v1::Entry*) override;
  grpc::Status SearchEntries(grpc::ServerContext*, const v1::SearchEntriesRequest*,
                             v1::SearchEntriesResponse*) override;
  grpc::Status GetChronology(grpc::ServerContext*, const v1::GetChronologyRequest*,
                             v1::Chronology*) override;
  grpc::Status ExportChronology(grpc::ServerContext*, const v1::ExportChronologyRequest*,
                                v1::ExportChronologyResponse*) override;
  grpc::Status ListModules(grpc::ServerContext*, const v1::ListModulesRequest*,
                           v1::ListModulesResponse*) override;
  grpc::Status CreateParentingAssessment(grpc::ServerContext*,
                                         const v1::CreateParentingAssessmentRequest*,
                                         v1::ParentingAssessment*) override;
  grpc::Status GetParentingAssessment(grpc::ServerContext*,
                                      const v1::GetParentingAssessmentRequest*,
                                      v1::ParentingAssessment*) override;
  grpc::Status ListParentingAssessments(grpc::ServerContext*,
                                        const v1::ListParentingAssessmentsRequest*,
                                        v1::ListParentingAssessmentsResponse*) override;
  grpc::Status UpdateParentingAssessment(grpc::ServerContext*,
                                         const v1::UpdateParentingAssessmentRequest*,
                                         v1::ParentingAssessment*) override;
  grpc::Status SignOffParentingAssessment(grpc::ServerContext*,
                                          const v1::SignOffParentingAssessmentRequest*,
                                          v1::ParentingAssessment*) override;
  grpc::Status ReviseParentingAssessment(grpc::ServerContext*,
                                         const v1::ReviseParentingAssessmentRequest*,
                                         v1::ParentingAssessment*) override;

 private:
  RpcRunner runner_;
  std::vector<std::string> module_titles_;
};

}  // namespace fs::workbook
