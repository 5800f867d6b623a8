#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/bank_holidays.h"
#include "common/db_pool.h"
#include "common/identity.h"
#include "common/rpc_runner.h"
#include "fs/supervision/v1/supervision.grpc.pb.h"
#include "services/supervision/policy.h"

namespace fs::supervision {

namespace v1 = ::fs::supervision::v1;

class SupervisionServiceImpl final : public v1::SupervisionService::Service {
 public:
  // `clock` is the present (tests move it).
  SupervisionServiceImpl(ConnectionPool& pool, IdentityOptions identity, Policy policy,
                         HolidayCalendar holidays, std::string calendar_domain,
                         std::function<absl::Time()> clock)
      : runner_(pool, std::move(identity), /*practitioners_only=*/true),
        policy_(std::move(policy)),
        holidays_(std::move(holidays)),
        calendar_domain_(std::move(calendar_domain)),
        clock_(std::move(clock)) {}

  grpc::Status ListCaseStatuses(grpc::ServerContext*, const v1::ListCaseStatusesRequest*,
                                v1::ListCaseStatusesResponse*) override;
  grpc::Status GetCaseStatus(grpc::ServerContext*, const v1::GetCaseStatusRequest*,
                             v1::CaseStatus*) override;
  grpc::Status RecordEarlierSupervision(grpc::ServerContext*,
                                        const v1::RecordEarlierSupervisionRequest*,
                                        v1::CaseStatus*) override;
  grpc::Status GetTeamChairs(grpc::ServerContext*, const v1::GetTeamChairsRequest*,
                             v1::TeamChairs*) override;
  grpc::Status UpdateTeamChairs(grpc::ServerContext*, const v1::UpdateTeamChairsRequest*,
                                v1::TeamChairs*) override;
  grpc::Status GetWorkingHours(grpc::ServerContext*, const v1::GetWorkingHoursRequest*,
                               v1::WorkingHours*) override;
  grpc::Status UpdateWorkingHours(grpc::ServerContext*, const v1::UpdateWorkingHoursRequest*,
                                  v1::WorkingHours*) override;
  grpc::Status CreateLeave(grpc::ServerContext*, const v1::CreateLeaveRequest*,
                           v1::Leave*) override;
  grpc::Status DeleteLeave(grpc::ServerContext*, const v1::DeleteLeaveRequest*,
                           v1::Leave*) override;
  grpc::Status ListLeave(grpc::ServerContext*, const v1::ListLeaveRequest*,
                         v1::ListLeaveResponse*) override;
  grpc::Status CreateBusyBlock(grpc::ServerContext*, const v1::CreateBusyBlockRequest*,
                               v1::BusyBlock*) override;
  grpc::Status DeleteBusyBlock(grpc::ServerContext*, const v1::DeleteBusyBlockRequest*,
                               v1::BusyBlock*) override;
  grpc::Status ListBusyBlocks(grpc::ServerContext*, const v1::ListBusyBlocksRequest*,
                              v1::ListBusyBlocksResponse*) override;
  grpc::Status PlanSessions(grpc::ServerContext*, const v1::PlanSessionsRequest*,
                            v1::PlanSessionsResponse*) override;
  grpc::Status ListSessions(grpc::ServerContext*, const v1::ListSessionsRequest*,
                            v1::ListSessionsResponse*) override;
  grpc::Status GetSession(grpc::ServerContext*, const v1::GetSessionRequest*,
                          v1::Session*) override;
  grpc::Status ConfirmSession(grpc::ServerContext*, const v1::ConfirmSessionRequest*,
                              v1::Session*) override;
  grpc::Status CancelSession(grpc::ServerContext*, const v1::CancelSessionRequest*,
                             v1::Session*) override;
  grpc::Status RecordSession(grpc::ServerContext*, const v1::RecordSessionRequest*,
                             v1::Session*) override;
  grpc::Status ImportFreeBusy(grpc::ServerContext*, const v1::ImportFreeBusyRequest*,
                              v1::ImportFreeBusyResponse*) override;
  grpc::Status GetCalendarFeed(grpc::ServerContext*, const v1::GetCalendarFeedRequest*,
                               v1::CalendarFeed*) override;

 private:
  RpcRunner runner_;
  Policy policy_;
  HolidayCalendar holidays_;
  std::string calendar_domain_;
  std::function<absl::Time()> clock_;
};

}  // namespace fs::supervision
