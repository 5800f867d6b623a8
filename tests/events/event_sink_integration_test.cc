// fs.events.v1.EventSink over real gRPC and a real PostgreSQL: the inbox's answers to
// duplicates, gaps, reused sequences, poison events and strangers.
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/events.h"
#include "tests/events/event_recorder.h"
#include "tests/support/test_server.h"

namespace fs::testing {
namespace {

class EventSinkTest : public ::testing::Test {
 protected:
  EventSinkTest()
      : server_(EventRecorderDefinition(),
                [](ServerConfig& config) { config.event_producers = {"case_records"}; }),
        stub_(ev::EventSink::NewStub(server_.channel())) {}

  static ev::EventEnvelope Event(const std::string& case_name, int64_t sequence, int64_t previous) {
    ev::EventEnvelope e;
    e.set_event_id(absl::StrCat("00000000-0000-4000-8000-", absl::StrFormat("%012d", next_id_++)));
    e.set_case_(case_name);
    e.set_sequence(sequence);
    e.set_previous_sequence(previous);
    e.set_producer("case_records");
    e.mutable_case_state_changed()->set_to_state("ASSESSMENT");
    e.set_type("fs.events.v1.CaseStateChanged");
    return e;
  }

  std::vector<ev::DeliveryOutcome> Deliver(const std::vector<ev::EventEnvelope>& events,
                                           const std::string& as = "service/case_records",
                                           grpc::Status* status = nullptr) {
    ev::DeliverRequest request;
    for (const auto& e : events) *request.add_events() = e;
    ev::DeliverResponse response;
    grpc::Status sent = stub_->Deliver(ContextForPrincipal(as).get(), request, &response);
    if (status != nullptr) *status = sent;
    std::vector<ev::DeliveryOutcome> outcomes;
    for (const auto& r : response.results()) outcomes.push_back(r.outcome());
    return outcomes;
  }

  long long Applied(const std::string& where = "true") {
    pqxx::connection conn(server_.database().admin_url());
    pqxx::read_transaction tx(conn);
    return tx.exec1("SELECT count(*) FROM event_recorder.applied_events WHERE " + where)[0]
        .as<long long>();
  }

  static inline int next_id_ = 1;
  TestServer server_;
  std::unique_ptr<ev::EventSink::Stub> stub_;
};

using O = ev::DeliveryOutcome;
constexpr O kApplied = ev::DELIVERY_OUTCOME_APPLIED;
constexpr O kDuplicate = ev::DELIVERY_OUTCOME_DUPLICATE;
constexpr O kOutOfOrder = ev::DELIVERY_OUTCOME_OUT_OF_ORDER;
constexpr O kRejected = ev::DELIVERY_OUTCOME_REJECTED;

TEST_F(EventSinkTest, AppliesInOrderAndAcknowledgesRedeliveriesWithoutASecondEffect) {
  auto e1 = Event("cases/a", 1, 0), e2 = Event("cases/a", 2, 1);
  EXPECT_EQ(Deliver({e1, e2}), (std::vector<O>{kApplied, kApplied}));
  EXPECT_EQ(Deliver({e1, e2}), (std::vector<O>{kDuplicate, kDuplicate}));
  EXPECT_EQ(Applied(), 2);
}

TEST_F(EventSinkTest, AnEventAheadOfAMissingOneWaitsAndTheRestOfItsCaseIsNotAnswered) {
  auto e1 = Event("cases/a", 1, 0), e2 = Event("cases/a", 2, 1), e3 = Event("cases/a", 3, 2);
  auto b1 = Event("cases/b", 1, 0);
  // e1 lost on the way: e2 must wait; e3 behind it gets no answer; case b is not held up.
  EXPECT_EQ(Deliver({e2, e3, b1}), (std::vector<O>{kOutOfOrder, kApplied}));
  EXPECT_EQ(Applied("case_key = 'cases/a'"), 0);
  EXPECT_EQ(Deliver({e1, e2, e3}), (std::vector<O>{kApplied, kApplied, kApplied}));
  EXPECT_EQ(Applied(), 4);
}

TEST_F(EventSinkTest, AReusedSequenceIsRejectedNotSwallowed) {
  EXPECT_EQ(Deliver({Event("cases/a", 1, 0)}), (std::vector<O>{kApplied}));
  // Another event claiming the same place (a producer restored from an old backup).
  EXPECT_EQ(Deliver({Event("cases/a", 1, 0)}), (std::vector<O>{kRejected}));
  EXPECT_EQ(Applied(), 1);
}

TEST_F(EventSinkTest, APoisonEventIsRejectedAndOnlyItsCaseWaits) {
  auto poison = Event("cases/poison", 1, 0);
  auto after = Event("cases/poison", 2, 1);
  auto other = Event("cases/b", 1, 0);
  EXPECT_EQ(Deliver({poison, after, other}), (std::vector<O>{kRejected, kApplied}));
  EXPECT_EQ(Applied("case_key = 'cases/b'"), 1);
  // The producer's operator skips the poison event: the next one names it as previous.
  EXPECT_EQ(Deliver({after}), (std::vector<O>{kRejected}))
      << "still poison: the handler fails for every event of this case";
  EXPECT_EQ(Applied("case_key = 'cases/poison'"), 0);
}

TEST_F(EventSinkTest, AfterARejectedEventIsSkippedTheNextOneApplies) {
  ev::EventEnvelope unknown = Event("cases/c", 1, 0);
  unknown.clear_case_state_changed();
  unknown.set_type("fs.events.v1.FromTheFuture");
  EXPECT_EQ(Deliver({unknown}), (std::vector<O>{kRejected}));
  // Not past the rejected event until the producer says it skipped it.
  EXPECT_EQ(Deliver({Event("cases/c", 2, 0)}), (std::vector<O>{kOutOfOrder}));
  EXPECT_EQ(Deliver({Event("cases/c", 2, 1)}), (std::vector<O>{kApplied}));
  EXPECT_EQ(Applied("case_key = 'cases/c'"), 1);
}

TEST_F(EventSinkTest, ARejectedEventSentAgainOnceUnderstoodIsApplied) {
  ev::EventEnvelope event = Event("cases/e", 1, 0);
  ev::EventEnvelope garbled = event;
  garbled.clear_case_state_changed();
  garbled.set_type("fs.events.v1.FromTheFuture");
  EXPECT_EQ(Deliver({garbled}), (std::vector<O>{kRejected}));
  EXPECT_EQ(Deliver({event}), (std::vector<O>{kApplied}));
}

TEST_F(EventSinkTest, MalformedEventsAreRejectedAndHoldUpOnlyTheirOwnCase) {
  auto bad_id = Event("cases/a", 1, 0);
  bad_id.set_event_id("not-a-uuid");
  auto bad_sequence = Event("cases/b", 1, 1);
  auto mismatch = Event("cases/c", 1, 0);
  mismatch.set_type("fs.events.v1.CaseOpened");
  auto behind_mismatch = Event("cases/c", 2, 1);
  auto fine = Event("cases/d", 1, 0);
  EXPECT_EQ(Deliver({bad_id, bad_sequence, mismatch, behind_mismatch, fine}),
            (std::vector<O>{kRejected, kRejected, kRejected, kApplied}));
  EXPECT_EQ(Applied(), 1);
  EXPECT_EQ(Applied("case_key = 'cases/d'"), 1);
}

TEST_F(EventSinkTest, OnlyConfiguredProducersMayDeliver) {
  grpc::Status status;
  Deliver({Event("cases/a", 1, 0)}, "service/workbook", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  Deliver({Event("cases/a", 1, 0)}, "partner/nhs/RXH", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Applied(), 0);
}

}  // namespace
}  // namespace fs::testing
