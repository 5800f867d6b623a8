// The fixture the supervision integration tests share: case_records and supervision in-process,
// each on its own throwaway PostgreSQL database, with case_records' real outbox relay delivering
// events to supervision (Sync()), a present tests can move (clock_offset_seconds), and helpers.
#pragma once

#include <google/protobuf/util/time_util.h>

#include <atomic>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "common/events.h"
#include "fs/supervision/v1/supervision.grpc.pb.h"
#include "gmock/gmock.h"
#include "services/case_records/case_records_integration_fixture.h"
#include "services/supervision/supervision_definition.h"

namespace fs::supervision {

namespace sv1 = ::fs::supervision::v1;
namespace cv1 = ::fs::cases::v1;
using ::fs::cases::Describe;
using ::fs::cases::InvalidNaming;
using ::fs::cases::kLead;
using ::fs::cases::kManager;
using ::fs::testing::As;
using ::fs::testing::ContextFor;
using ::fs::testing::TestServer;
using google::protobuf::util::TimeUtil;

inline const As kVictimWorker{"dav-1", "da_victim_worker", "team-a", ""};

// The service's present: the real time plus what a test adds.
inline std::atomic<int64_t> clock_offset_seconds{0};
inline absl::Time TestClock() { return absl::Now() + absl::Seconds(clock_offset_seconds.load()); }

inline google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

class SupervisionTest : public ::fs::cases::CaseRecordsTest {
 protected:
  SupervisionTest()
      : supervision_server_(SupervisionDefinition(TestClock)),
        supervision_(sv1::SupervisionService::NewStub(supervision_server_.channel())) {
    clock_offset_seconds = 0;
    OutboxRelay::Options options;
    options.producer = "case_records";
    relay_ = std::make_unique<OutboxRelay>(
        server_.pool(), Subscriber{"supervision", "in-process", {}}, supervision_server_.channel(),
        options, nullptr, [](grpc::ClientContext& context) {
          context.AddMetadata("x-fs-principal", "spiffe://fs.local/service/case_records");
        });
  }

  void Sync() {
    for (int i = 0; i < 100; ++i) {
      auto delivered = relay_->DeliverOnce();
      ASSERT_TRUE(delivered.ok()) << delivered.status();
      if (*delivered == 0) return;
    }
  }

  // A case on team-a with the lead and a DA victim worker; the manager chairs.
  cv1::Case NewFamily() {
    cv1::Case c = NewCase();
    EXPECT_TRUE(Allocate(kLead, c.name(), kVictimWorker.practitioner,
                         cv1::FAMILY_SAFEGUARDING_ROLE_DA_VICTIM_WORKER)
                    .ok());
    Sync();
    return c;
  }

  grpc::Status SetChairs(const As& who, const std::string& chair, sv1::TeamChairs* out) {
    sv1::UpdateTeamChairsRequest request;
    request.mutable_chairs()->set_name("teams/team-a/chairs");
    request.mutable_chairs()->set_chair(chair);
    request.mutable_chairs()->add_deputies("tm-deputy");
    return supervision_->UpdateTeamChairs(ContextFor(who).get(), request, out);
  }

  grpc::Status Plan(const As& who, absl::Time from, absl::Time to, sv1::PlanSessionsResponse* out) {
    sv1::PlanSessionsRequest request;
    request.set_team("team-a");
    *request.mutable_start_time() = Ts(from);
    *request.mutable_end_time() = Ts(to);
    return supervision_->PlanSessions(ContextFor(who).get(), request, out);
  }

  long long SupervisionCount(const std::string& sql) {
    pqxx::connection conn(supervision_server_.database().admin_url());
    pqxx::read_transaction tx(conn);
    return tx.exec1(sql)[0].as<long long>();
  }

  TestServer supervision_server_;
  std::unique_ptr<sv1::SupervisionService::Stub> supervision_;
  std::unique_ptr<OutboxRelay> relay_;
};

}  // namespace fs::supervision
