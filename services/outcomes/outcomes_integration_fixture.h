// The fixture the outcomes integration tests share: case_records and outcomes in-process, each on
// its own throwaway PostgreSQL database and both holding the same name match secret, with the
// real outbox relays both ways (case_records -> outcomes for the projection, outcomes ->
// case_records for the lead worker's alert), a present tests can move, and helpers.
#pragma once

#include <google/protobuf/util/time_util.h>

#include <atomic>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "absl/flags/flag.h"
#include "common/events.h"
#include "fs/outcomes/v1/outcomes.grpc.pb.h"
#include "gmock/gmock.h"
#include "services/case_records/case_records_integration_fixture.h"
#include "services/outcomes/outcomes_definition.h"

namespace fs::outcomes {

namespace ov1 = ::fs::outcomes::v1;
namespace cv1 = ::fs::cases::v1;
using ::fs::cases::Describe;
using ::fs::cases::InvalidNaming;
using ::fs::cases::kLead;
using ::fs::cases::kManager;
using ::fs::cases::kNhs1;
using ::fs::cases::kNhs2;
using ::fs::cases::kNhs3;
using ::fs::cases::kNhs4;
using ::fs::cases::kNhs5;
using ::fs::cases::kOtherManager;
using ::fs::cases::kStranger;
using ::fs::testing::As;
using ::fs::testing::ContextFor;
using ::fs::testing::ContextForPrincipal;
using ::fs::testing::TestServer;
using google::protobuf::util::TimeUtil;

inline constexpr char kSecret[] = "a test secret of at least thirty-two bytes";
inline constexpr char kPolice[] = "partner/police/HERTS";
inline constexpr char kOtherPolice[] = "partner/police/BEDS";
inline constexpr char kNhs[] = "partner/nhs/RWH";
inline constexpr char kOtherNhs[] = "partner/nhs/RXH";
inline const As kFrontDoor{"fd-1", "social_worker", "front-door", ""};
inline const As kAdministrator{"admin-1", "administrator", "council", ""};

// The service's present: the real time plus what a test adds.
inline std::atomic<int64_t> clock_offset_seconds{0};
inline absl::Time TestClock() { return absl::Now() + absl::Seconds(clock_offset_seconds.load()); }

inline google::protobuf::Timestamp Ts(absl::Time t) {
  return TimeUtil::MicrosecondsToTimestamp(absl::ToUnixMicros(t));
}

inline void WithSecret(ServerConfig& config) { config.name_match_secret = kSecret; }

class OutcomesTest : public ::fs::cases::CaseRecordsTest {
 protected:
  OutcomesTest()
      : CaseRecordsTest(WithSecret),
        outcomes_server_(OutcomesDefinition(TestClock), WithSecret),
        intake_(ov1::PartnerIntakeService::NewStub(outcomes_server_.channel())),
        outcomes_(ov1::OutcomesService::NewStub(outcomes_server_.channel())),
        sink_(ev::EventSink::NewStub(outcomes_server_.channel())) {
    clock_offset_seconds = 0;
    OutboxRelay::Options to_outcomes;
    to_outcomes.producer = "case_records";
    relay_ = std::make_unique<OutboxRelay>(
        server_.pool(), Subscriber{"outcomes", "in-process", {}}, outcomes_server_.channel(),
        to_outcomes, nullptr, [](grpc::ClientContext& context) {
          context.AddMetadata("x-fs-principal", "spiffe://fs.local/service/case_records");
        });
    OutboxRelay::Options to_cases;
    to_cases.producer = "outcomes";
    back_relay_ = std::make_unique<OutboxRelay>(
        outcomes_server_.pool(), Subscriber{"case_records", "in-process", {}}, server_.channel(),
        to_cases, nullptr, [](grpc::ClientContext& context) {
          context.AddMetadata("x-fs-principal", "spiffe://fs.local/service/outcomes");
        });
  }

  // Delivers case_records' pending events to outcomes.
  void Sync() { Drain(*relay_); }
  // Delivers outcomes' pending events (incident matches) to case_records.
  void SyncBack() { Drain(*back_relay_); }

  static void Drain(OutboxRelay& relay) {
    for (int i = 0; i < 100; ++i) {
      auto delivered = relay.DeliverOnce();
      ASSERT_TRUE(delivered.ok()) << delivered.status();
      if (*delivered == 0) return;
    }
  }

  // A police report of one child.
  static ov1::ReportDomesticAbuseIncidentRequest Incident(const std::string& reference,
                                                          const std::string& given,
                                                          const std::string& family,
                                                          const std::string& born,
                                                          const std::string& nhs = "") {
    ov1::ReportDomesticAbuseIncidentRequest r;
    r.set_police_reference(reference);
    *r.mutable_incident_time() = Ts(absl::Now() - absl::Hours(3));
    r.set_place("12 Example Road, Hertford");
    auto* child = r.add_children();
    child->set_given_name(given);
    child->set_family_name(family);
    child->set_birth_date(born);
    child->set_nhs_number(nhs);
    child->set_present(true);
    child->set_child_said("I hid upstairs");
    auto* adult = r.add_adults();
    adult->set_given_name("Sam");
    adult->set_family_name("Example");
    adult->set_role(ov1::ADULT_ROLE_PERPETRATOR);
    r.set_circumstances("Neighbours called 999 about shouting");
    r.set_officer("PC 1234 Smith");
    return r;
  }

  grpc::Status Report(const std::string& principal,
                      const ov1::ReportDomesticAbuseIncidentRequest& r,
                      ov1::IntakeAcknowledgement* out = nullptr) {
    ov1::IntakeAcknowledgement ignored;
    return intake_->ReportDomesticAbuseIncident(ContextForPrincipal(principal).get(), r,
                                                out ? out : &ignored);
  }

  static ov1::ReportEmergencyAdmissionRequest Admission(const std::string& episode,
                                                        const std::string& nhs,
                                                        const std::string& date) {
    ov1::ReportEmergencyAdmissionRequest r;
    r.set_episode_reference(episode);
    r.set_nhs_number(nhs);
    r.set_date(date);
    r.set_kind(ov1::ADMISSION_KIND_AE_ATTENDANCE);
    r.set_reason(ov1::REASON_CATEGORY_ALCOHOL);
    return r;
  }

  grpc::Status Admit(const std::string& principal, const ov1::ReportEmergencyAdmissionRequest& r,
                     ov1::IntakeAcknowledgement* out = nullptr) {
    ov1::IntakeAcknowledgement ignored;
    return intake_->ReportEmergencyAdmission(ContextForPrincipal(principal).get(), r,
                                             out ? out : &ignored);
  }

  // Delivers hand-made events to outcomes as `producer` would (workbook, supervision...).
  ev::DeliverResponse Deliver(const std::string& producer,
                              const std::vector<ev::EventEnvelope>& events) {
    ev::DeliverRequest request;
    for (const auto& e : events) *request.add_events() = e;
    ev::DeliverResponse response;
    auto context = ContextForPrincipal("service/" + producer);
    auto status = sink_->Deliver(context.get(), request, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    return response;
  }

  // The first column of the first row of `sql` on outcomes' database (tables as outcomes.<t>).
  long long OutcomesCount(const std::string& sql) {
    pqxx::connection conn(outcomes_server_.database().admin_url());
    pqxx::read_transaction tx(conn);
    return tx.exec1(sql)[0].as<long long>();
  }

  TestServer outcomes_server_;
  std::unique_ptr<ov1::PartnerIntakeService::Stub> intake_;
  std::unique_ptr<ov1::OutcomesService::Stub> outcomes_;
  std::unique_ptr<ev::EventSink::Stub> sink_;
  std::unique_ptr<OutboxRelay> relay_;
  std::unique_ptr<OutboxRelay> back_relay_;
};

}  // namespace fs::outcomes
