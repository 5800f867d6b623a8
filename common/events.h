#pragma once

#include <grpcpp/grpcpp.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/db_pool.h"
#include "common/identity.h"
#include "common/metrics.h"
#include "fs/events/v1/events.grpc.pb.h"

// Events between services: the outbox and its relay (producer side) and the inbox behind
// fs.events.v1.EventSink (subscriber side). Delivery is at least once; the effect exactly once.
namespace fs {

namespace ev = ::fs::events::v1;

// Statements the outbox, relay and inbox use; add them to the pool's prepared statements.
std::vector<PreparedStatement> EventStatements();

// Writes `envelope` (payload set) to the outbox inside the caller's transaction, giving it an
// event id, the type, the next sequence of its case, the time and the producer. Returns it.
ev::EventEnvelope AppendEvent(pqxx::work& tx, const std::string& producer,
                              const std::string& case_name, ev::EventEnvelope envelope);

// The case id of an event ("cases/{case}" -> "{case}"); INVALID_ARGUMENT when malformed.
absl::StatusOr<std::string> EventCaseId(const ev::EventEnvelope& event);

// The payload's type name ("fs.events.v1.CaseOpened"), or "" when no payload is set.
std::string EventType(const ev::EventEnvelope& envelope);

// A subscriber of a producer: where its EventSink is and which event types it wants.
struct Subscriber {
  std::string name;
  std::string target;              // host:port
  std::vector<std::string> types;  // full type names; empty means every type
};

// "outcomes@127.0.0.1:50054=CaseOpened+CaseClosed,workbook@127.0.0.1:50052" (no "=": all
// types). Short type names get the "fs.events.v1." prefix.
absl::StatusOr<std::vector<Subscriber>> ParseSubscribers(absl::string_view spec);

// The relay's metrics, labelled by subscriber.
class RelayMetrics {
 public:
  explicit RelayMetrics(prometheus::Registry& registry);
  prometheus::Gauge& Depth(const std::string& subscriber);
  prometheus::Histogram& Lag(const std::string& subscriber);
  prometheus::Counter& Failures(const std::string& subscriber, const std::string& reason);
  prometheus::Gauge& Parked(const std::string& subscriber);
  prometheus::Gauge& OldestAge(const std::string& subscriber);

 private:
  prometheus::Family<prometheus::Gauge>& depth_;
  prometheus::Family<prometheus::Histogram>& lag_;
  prometheus::Family<prometheus::Counter>& failures_;
  prometheus::Family<prometheus::Gauge>& parked_;
  prometheus::Family<prometheus::Gauge>& oldest_age_;
};

// Delivers one producer's outbox to one subscriber: in order per case, in batches, retrying
// with exponential backoff and jitter while the subscriber is unreachable, resuming after a
// restart from what was acknowledged (outbox_progress). A rejected event parks its case for
// this subscriber (other cases go on); an operator clears outbox_progress.rejected_event after
// fixing the cause.
class OutboxRelay {
 public:
  struct Options {
    std::string producer;
    int batch_size = 200;
    absl::Duration poll_interval = absl::Milliseconds(200);
    absl::Duration min_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(10);
    absl::Duration rpc_deadline = absl::Seconds(10);
    // A case whose event the subscriber could not take yet waits this long before a retry.
    absl::Duration stalled_retry = absl::Seconds(2);
  };

  OutboxRelay(ConnectionPool& pool, Subscriber subscriber, std::shared_ptr<grpc::Channel> channel,
              Options options, RelayMetrics* metrics,
              std::function<void(grpc::ClientContext&)> authenticate = nullptr);
  ~OutboxRelay();

  void Start();
  void Stop();
  // One pass: sends up to a batch of pending events and records the results. Returns how many
  // were acknowledged; UNAVAILABLE when the subscriber could not be reached.
  absl::StatusOr<int> DeliverOnce();
  // Events of wanted types not yet acknowledged (and not behind a rejection).
  absl::StatusOr<long long> Depth();

 private:
  void Loop();

  ConnectionPool& pool_;
  Subscriber subscriber_;
  std::unique_ptr<ev::EventSink::Stub> stub_;
  Options options_;
  RelayMetrics* metrics_;
  std::function<void(grpc::ClientContext&)> authenticate_;
  std::string types_literal_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;                    // guarded by mu_
  grpc::ClientContext* inflight_ = nullptr;  // guarded by mu_
};

// Deletes outbox rows older than `retention` that every subscriber has acknowledged (at most
// 10,000 a call). Returns how many went.
absl::StatusOr<long long> PruneOutbox(ConnectionPool& pool,
                                      const std::vector<Subscriber>& subscribers,
                                      absl::Duration retention);

// Prunes the outbox once a minute (see PruneOutbox), on a thread of its own.
class OutboxJanitor {
 public:
  OutboxJanitor(ConnectionPool& pool, std::vector<Subscriber> subscribers,
                absl::Duration retention);
  ~OutboxJanitor();
  void Stop();

 private:
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

// Applies one event's effect inside the inbox transaction. INVALID_ARGUMENT or
// FAILED_PRECONDITION reject the event for good; other errors leave it to be redelivered.
using EventHandler = std::function<absl::Status(pqxx::work&, const ev::EventEnvelope&)>;

// fs.events.v1.EventSink: each event's effect and its inbox row commit in one transaction; a
// redelivery is acknowledged as DUPLICATE; an event ahead of a missing earlier one of the same
// case is OUT_OF_ORDER; a malformed or unknown event is REJECTED without blocking other cases.
class EventSinkService final : public ev::EventSink::Service {
 public:
  // `producers`: service names allowed to deliver (their principal is .../service/<name>).
  EventSinkService(ConnectionPool& pool, IdentityOptions identity,
                   std::vector<std::string> producers, EventHandler handler);

  grpc::Status Deliver(grpc::ServerContext* context, const ev::DeliverRequest* request,
                       ev::DeliverResponse* response) override;

 private:
  enum class Next { kContinue, kSkipCase, kStopBatch };
  // The event's result, or nullopt when it gets none now (see *next).
  std::optional<ev::DeliveryResult> Apply(const std::string& producer,
                                          const ev::EventEnvelope& event, Next* next);

  ConnectionPool& pool_;
  IdentityOptions identity_;
  std::vector<std::string> producers_;
  EventHandler handler_;
};

}  // namespace fs
