#pragma once

#include <functional>
#include <semaphore>
#include <string>

#include "absl/time/time.h"
#include "common/bank_holidays.h"
#include "common/db_pool.h"
#include "common/identity.h"
#include "common/rpc_runner.h"
#include "fs/outcomes/v1/outcomes.grpc.pb.h"
#include "services/outcomes/indicators.h"

namespace fs::outcomes {

struct OutcomesOptions {
  // Keys name match keys (common/name_match.h); empty: police reports match by NHS number only.
  std::string match_secret;
  // Practitioners of this team work the front door queue.
  std::string front_door_team = "front-door";
  // When the council adopted Family Safeguarding ("" when not configured: requests must say).
  std::string adoption_date;
  CostOptions costs;
  int module_sessions_to_complete = 3;
  HolidayCalendar holidays;
  std::function<absl::Time()> clock = absl::Now;
  // Figure requests computed at once (each holds a database connection while it counts).
  int concurrent_figures = 2;
};

class PartnerIntakeServiceImpl final : public v1::PartnerIntakeService::Service {
 public:
  PartnerIntakeServiceImpl(ConnectionPool& pool, IdentityOptions identity, OutcomesOptions options)
      : runner_(pool, std::move(identity), /*practitioners_only=*/false),
        options_(std::move(options)) {}

  grpc::Status ReportDomesticAbuseIncident(grpc::ServerContext*,
                                           const v1::ReportDomesticAbuseIncidentRequest*,
                                           v1::IntakeAcknowledgement*) override;
  grpc::Status ReportEmergencyAdmission(grpc::ServerContext*,
                                        const v1::ReportEmergencyAdmissionRequest*,
                                        v1::IntakeAcknowledgement*) override;
  grpc::Status GetIntakeAcknowledgement(grpc::ServerContext*,
                                        const v1::GetIntakeAcknowledgementRequest*,
                                        v1::IntakeAcknowledgement*) override;
  grpc::Status ListIntakeAcknowledgements(grpc::ServerContext*,
                                          const v1::ListIntakeAcknowledgementsRequest*,
                                          v1::ListIntakeAcknowledgementsResponse*) override;

 private:
  RpcRunner runner_;
  OutcomesOptions options_;
};

class OutcomesServiceImpl final : public v1::OutcomesService::Service {
 public:
  OutcomesServiceImpl(ConnectionPool& pool, IdentityOptions identity, OutcomesOptions options)
      : runner_(pool, std::move(identity), /*practitioners_only=*/true),
        options_(std::move(options)),
        figures_(options_.concurrent_figures) {}

  grpc::Status ListFrontDoorItems(grpc::ServerContext*, const v1::ListFrontDoorItemsRequest*,
                                  v1::ListFrontDoorItemsResponse*) override;
  grpc::Status GetFrontDoorItem(grpc::ServerContext*, const v1::GetFrontDoorItemRequest*,
                                v1::FrontDoorItem*) override;
  grpc::Status GetIncident(grpc::ServerContext*, const v1::GetIncidentRequest*,
                           v1::Incident*) override;
  grpc::Status ResolveFrontDoorItem(grpc::ServerContext*, const v1::ResolveFrontDoorItemRequest*,
                                    v1::FrontDoorItem*) override;
  grpc::Status GetIndicators(grpc::ServerContext*, const v1::GetIndicatorsRequest*,
                             v1::IndicatorReport*) override;
  grpc::Status CompareOutcomes(grpc::ServerContext*, const v1::CompareOutcomesRequest*,
                               v1::Comparison*) override;
  grpc::Status ExportOutcomes(grpc::ServerContext*, const v1::ExportOutcomesRequest*,
                              v1::ExportOutcomesResponse*) override;

 private:
  RpcRunner runner_;
  OutcomesOptions options_;
  std::counting_semaphore<> figures_;
};

}  // namespace fs::outcomes
