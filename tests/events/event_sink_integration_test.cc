// fs.events.v1.EventSink over real gRPC and a real PostgreSQL: the inbox's answers to
// duplicates, gaps, reused sequences, poison events and strangers.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <chrono>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/db_pool.h"
#include "common/events.h"
#include "common/metrics.h"
#include "common/migrations.h"
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

// The value of the gauge `name` whose labels include `labels`; nullopt when there is none.
std::optional<double> GaugeValue(prometheus::Registry& registry, const std::string& name,
                                 const std::map<std::string, std::string>& labels = {}) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      std::map<std::string, std::string> has;
      for (const auto& label : metric.label) has[label.name] = label.value;
      bool match = true;
      for (const auto& [k, v] : labels) match = match && has.count(k) > 0 && has[k] == v;
      if (match) return metric.gauge.value;
    }
  }
  return std::nullopt;
}

// The relay side of delivery into this recorder: a producer's outbox (case_records' schema in a
// database of its own) relayed by OutboxRelay, whose gauges ops alert on.
class RelayGaugesTest : public EventSinkTest {
 protected:
  RelayGaugesTest()
      : producer_("case_records"),
        migrated_(MigrateForService(producer_.service_url(), producer_.owner_url(), "case_records",
                                    EmbeddedMigrations())),
        pool_metrics_(registry_),
        relay_metrics_(registry_),
        pool_(PoolOptions(), EventStatements(), &pool_metrics_) {}

  ConnectionPool::Options PoolOptions() {
    ConnectionPool::Options options;
    options.url = producer_.service_url();
    options.schema = "case_records";
    options.size = 3;
    options.acquire_timeout = absl::Seconds(2);
    return options;
  }

  std::unique_ptr<OutboxRelay> Relay(std::shared_ptr<grpc::Channel> channel) {
    OutboxRelay::Options options;
    options.producer = "case_records";
    options.rpc_deadline = absl::Seconds(3);
    return std::make_unique<OutboxRelay>(
        pool_, Subscriber{"recorder", "127.0.0.1:0", {}}, std::move(channel), options,
        &relay_metrics_, [](grpc::ClientContext& context) {
          context.AddMetadata("x-fs-principal", "spiffe://fs.local/service/case_records");
        });
  }

  void Append(const std::string& case_name, int n) {
    ASSERT_TRUE(pool_
                    .Transact([&](pqxx::work& tx) {
                      for (int i = 0; i < n; ++i) {
                        ev::EventEnvelope envelope;
                        envelope.mutable_case_state_changed()->set_to_state("ASSESSMENT");
                        AppendEvent(tx, "case_records", case_name, envelope);
                      }
                      return absl::OkStatus();
                    })
                    .ok());
  }

  // Runs `sql` as the superuser in the producer's database.
  void Admin(const std::string& sql) {
    pqxx::connection conn(producer_.admin_url());
    pqxx::work tx(conn);
    tx.exec(sql);
    tx.commit();
  }

  double OldestAge() {
    auto value =
        GaugeValue(registry_, "fs_outbox_oldest_event_age_seconds", {{"subscriber", "recorder"}});
    EXPECT_TRUE(value.has_value()) << "no fs_outbox_oldest_event_age_seconds{subscriber=recorder}";
    return value.value_or(-1);
  }

  TestDatabase producer_;
  absl::Status migrated_;
  prometheus::Registry registry_;
  PoolMetrics pool_metrics_;
  RelayMetrics relay_metrics_;
  ConnectionPool pool_;
};

TEST_F(RelayGaugesTest, PoolGaugeShowsItsConfiguredSize) {
  ASSERT_TRUE(migrated_.ok()) << migrated_;
  EXPECT_EQ(GaugeValue(registry_, "fs_db_pool_max_connections"), 3.0);
  // Another pool on another registry says its own size.
  prometheus::Registry other;
  PoolMetrics other_metrics(other);
  ConnectionPool::Options options = PoolOptions();
  options.size = 7;
  ConnectionPool bigger(options, {}, &other_metrics);
  EXPECT_EQ(GaugeValue(other, "fs_db_pool_max_connections"), 7.0);
  EXPECT_EQ(GaugeValue(registry_, "fs_db_pool_max_connections"), 3.0);
}

TEST_F(RelayGaugesTest, OldestEventAgeCountsWhatWaitsForTheSubscriberButNotParkedCases) {
  ASSERT_TRUE(migrated_.ok()) << migrated_;
  Append("cases/late", 2);
  Append("cases/poison", 1);  // the recorder fails on this case: it will be parked
  Append("cases/fresh", 1);
  Admin(
      "UPDATE case_records.outbox SET occurred_at = now() - interval '1 hour' WHERE "
      "case_key = 'cases/late'");
  Admin(
      "UPDATE case_records.outbox SET occurred_at = now() - interval '2 hours' WHERE "
      "case_key = 'cases/poison'");

  // Nothing listens on port 1: every pass fails and everything still waits.
  auto unreachable = Relay(grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()));
  EXPECT_EQ(unreachable->DeliverOnce().status().code(), absl::StatusCode::kUnavailable);
  auto depth = unreachable->Depth();
  ASSERT_TRUE(depth.ok()) << depth.status();
  EXPECT_EQ(*depth, 4);
  EXPECT_GE(OldestAge(), 2 * 3600.0);
  EXPECT_LT(OldestAge(), 3 * 3600.0);

  // A case waiting for a retry (its event came too early for the subscriber) is still late,
  // though it is not pending delivery right now.
  Admin(
      "INSERT INTO case_records.outbox_progress (subscriber, case_key, stalled_reason, "
      "retry_after) VALUES ('recorder', 'cases/poison', 'gap', now() + interval '1 hour')");
  depth = unreachable->Depth();
  ASSERT_TRUE(depth.ok()) << depth.status();
  EXPECT_EQ(*depth, 3);
  EXPECT_GE(OldestAge(), 2 * 3600.0);
  Admin(
      "UPDATE case_records.outbox_progress SET retry_after = NULL WHERE case_key = "
      "'cases/poison'");

  // The subscriber is back: all but the poison case is delivered and acknowledged.
  auto relay = Relay(server_.channel());
  for (int pass = 0; pass < 5; ++pass) {
    auto sent = relay->DeliverOnce();
    ASSERT_TRUE(sent.ok()) << sent.status();
    if (*sent == 0) break;
  }
  EXPECT_EQ(Applied(), 3);
  depth = relay->Depth();
  ASSERT_TRUE(depth.ok()) << depth.status();
  EXPECT_EQ(*depth, 0);
  EXPECT_EQ(GaugeValue(registry_, "fs_outbox_parked_cases", {{"subscriber", "recorder"}}), 1.0);
  // The two-hour-old poison event is still unacknowledged, but parked: it is not "late".
  EXPECT_EQ(OldestAge(), 0.0);

  // Once the operator releases the parked case, its event counts again.
  Admin(
      "UPDATE case_records.outbox_progress SET rejected_event = NULL WHERE case_key = "
      "'cases/poison'");
  ASSERT_TRUE(relay->Depth().ok());
  EXPECT_GE(OldestAge(), 2 * 3600.0);
}

TEST_F(RelayGaugesTest, OldestEventAgeReturnsToZeroOnceEverythingIsAcknowledged) {
  ASSERT_TRUE(migrated_.ok()) << migrated_;
  auto relay = Relay(server_.channel());
  ASSERT_TRUE(relay->Depth().ok());
  EXPECT_EQ(OldestAge(), 0.0) << "nothing written yet";
  Append("cases/a", 3);
  Admin("UPDATE case_records.outbox SET occurred_at = now() - interval '10 minutes'");
  ASSERT_TRUE(relay->Depth().ok());
  EXPECT_GE(OldestAge(), 600.0);
  // Delivered by the relay's own loop this time.
  relay->Start();
  for (int i = 0; i < 200; ++i) {
    auto depth = relay->Depth();
    if (depth.ok() && *depth == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  relay->Stop();
  ASSERT_EQ(Applied(), 3);
  ASSERT_TRUE(relay->Depth().ok());
  EXPECT_EQ(OldestAge(), 0.0);
  EXPECT_EQ(GaugeValue(registry_, "fs_outbox_depth", {{"subscriber", "recorder"}}), 0.0);
}

}  // namespace
}  // namespace fs::testing
