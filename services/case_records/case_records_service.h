#pragma once

#include <functional>
#include <string>

#include "common/audit.h"
#include "common/db_pool.h"
#include "common/identity.h"
#include "common/rpc_runner.h"
#include "fs/cases/v1/case_records.grpc.pb.h"

namespace fs::cases {

class CaseRecordsServiceImpl final : public v1::CaseRecordsService::Service {
 public:
  // `match_secret` keys the name match keys of published person facts (none when empty).
  CaseRecordsServiceImpl(ConnectionPool& pool, IdentityOptions identity,
                         std::string match_secret = "")
      : runner_(pool, std::move(identity), /*practitioners_only=*/true),
        match_secret_(std::move(match_secret)) {}

  grpc::Status CreateCase(grpc::ServerContext*, const v1::CreateCaseRequest*, v1::Case*) override;
  grpc::Status GetCase(grpc::ServerContext*, const v1::GetCaseRequest*, v1::Case*) override;
  grpc::Status ListCases(grpc::ServerContext*, const v1::ListCasesRequest*,
                         v1::ListCasesResponse*) override;
  grpc::Status UpdateCase(grpc::ServerContext*, const v1::UpdateCaseRequest*, v1::Case*) override;
  grpc::Status ChangeCaseState(grpc::ServerContext*, const v1::ChangeCaseStateRequest*,
                               v1::Case*) override;
  grpc::Status CloseCase(grpc::ServerContext*, const v1::CloseCaseRequest*, v1::Case*) override;
  grpc::Status ReopenCase(grpc::ServerContext*, const v1::ReopenCaseRequest*, v1::Case*) override;
  grpc::Status CreatePerson(grpc::ServerContext*, const v1::CreatePersonRequest*,
                            v1::CreatePersonResponse*) override;
  grpc::Status GetPerson(grpc::ServerContext*, const v1::GetPersonRequest*, v1::Person*) override;
  grpc::Status ListPeople(grpc::ServerContext*, const v1::ListPeopleRequest*,
                          v1::ListPeopleResponse*) override;
  grpc::Status UpdatePerson(grpc::ServerContext*, const v1::UpdatePersonRequest*,
                            v1::Person*) override;
  grpc::Status SearchPeople(grpc::ServerContext*, const v1::SearchPeopleRequest*,
                            v1::SearchPeopleResponse*) override;
  grpc::Status AllocatePractitioner(grpc::ServerContext*, const v1::AllocatePractitionerRequest*,
                                    v1::Allocation*) override;
  grpc::Status EndAllocation(grpc::ServerContext*, const v1::EndAllocationRequest*,
                             v1::Allocation*) override;
  grpc::Status ListAllocations(grpc::ServerContext*, const v1::ListAllocationsRequest*,
                               v1::ListAllocationsResponse*) override;
  grpc::Status ListCaseload(grpc::ServerContext*, const v1::ListCaseloadRequest*,
                            v1::ListCaseloadResponse*) override;
  grpc::Status StartChildProtectionPlan(grpc::ServerContext*,
                                        const v1::StartChildProtectionPlanRequest*,
                                        v1::ChildProtectionPlan*) override;
  grpc::Status UpdateChildProtectionPlan(grpc::ServerContext*,
                                         const v1::UpdateChildProtectionPlanRequest*,
                                         v1::ChildProtectionPlan*) override;
  grpc::Status EndChildProtectionPlan(grpc::ServerContext*,
                                      const v1::EndChildProtectionPlanRequest*,
                                      v1::ChildProtectionPlan*) override;
  grpc::Status ListChildProtectionPlans(grpc::ServerContext*,
                                        const v1::ListChildProtectionPlansRequest*,
                                        v1::ListChildProtectionPlansResponse*) override;
  grpc::Status StartLookedAfterEpisode(grpc::ServerContext*,
                                       const v1::StartLookedAfterEpisodeRequest*,
                                       v1::LookedAfterEpisode*) override;
  grpc::Status EndLookedAfterEpisode(grpc::ServerContext*, const v1::EndLookedAfterEpisodeRequest*,
                                     v1::LookedAfterEpisode*) override;
  grpc::Status ListLookedAfterEpisodes(grpc::ServerContext*,
                                       const v1::ListLookedAfterEpisodesRequest*,
                                       v1::ListLookedAfterEpisodesResponse*) override;
  grpc::Status ListAlerts(grpc::ServerContext*, const v1::ListAlertsRequest*,
                          v1::ListAlertsResponse*) override;
  grpc::Status AcknowledgeAlert(grpc::ServerContext*, const v1::AcknowledgeAlertRequest*,
                                v1::Alert*) override;
  grpc::Status ListBreakGlassAccesses(grpc::ServerContext*,
                                      const v1::ListBreakGlassAccessesRequest*,
                                      v1::ListBreakGlassAccessesResponse*) override;

 private:
  RpcRunner runner_;
  std::string match_secret_;
};

// The council's contact numbers the NHS look-up returns.
struct CouncilContacts {
  std::string office_hours_phone;
  std::string out_of_hours_phone;
};

class ChildProtectionInformationServiceImpl final
    : public v1::ChildProtectionInformationService::Service {
 public:
  ChildProtectionInformationServiceImpl(ConnectionPool& pool, IdentityOptions identity,
                                        CouncilContacts contacts)
      : runner_(pool, std::move(identity), /*practitioners_only=*/false),
        contacts_(std::move(contacts)) {}

  grpc::Status LookupChildProtectionStatus(grpc::ServerContext*,
                                           const v1::LookupChildProtectionStatusRequest*,
                                           v1::LookupChildProtectionStatusResponse*) override;

 private:
  RpcRunner runner_;
  CouncilContacts contacts_;
};

}  // namespace fs::cases
