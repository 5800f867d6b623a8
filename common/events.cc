#include "common/events.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/audit.h"
#include "common/resource_name.h"
#include "common/sql_values.h"
#include "common/status.h"

namespace fs {
namespace {

using google::protobuf::util::TimeUtil;

constexpr char kTypePrefix[] = "fs.events.v1.";

// The pending events of wanted types for one subscriber: not acknowledged, not behind a
// rejection, not in a stalled case's back-off. $1 subscriber, $2 wanted types ('{}' = all).
constexpr char kPendingWhere[] =
    "FROM outbox o LEFT JOIN outbox_progress p ON p.subscriber = $1 AND p.case_key = o.case_key "
    "WHERE o.sequence > coalesce(p.acked_sequence, 0) AND p.rejected_event IS NULL AND "
    "(p.retry_after IS NULL OR p.retry_after <= now()) AND "
    "(cardinality($2::text[]) = 0 OR o.type = ANY($2::text[]))";

// At most this many events of one case per batch, so that one busy case never fills a batch.
constexpr int kPerCaseInBatch = 50;

// Whether `full_name` is one of the envelope's payload types (not just any message).
bool IsPayloadType(const std::string& full_name) {
  const auto* oneof = ev::EventEnvelope::descriptor()->FindOneofByName("payload");
  for (int i = 0; i < oneof->field_count(); ++i) {
    if (oneof->field(i)->message_type()->full_name() == full_name) return true;
  }
  return false;
}

ev::DeliveryResult Result(const std::string& id, ev::DeliveryOutcome outcome,
                          const std::string& detail = "") {
  ev::DeliveryResult result;
  result.set_event_id(id);
  result.set_outcome(outcome);
  result.set_detail(detail);
  return result;
}

}  // namespace

std::vector<PreparedStatement> EventStatements() {
  return {
      {"fs_outbox_next",
       "INSERT INTO outbox_sequences (case_key, last_sequence) VALUES ($1, 1) ON CONFLICT "
       "(case_key) DO UPDATE SET last_sequence = outbox_sequences.last_sequence + 1 RETURNING "
       "last_sequence, gen_random_uuid()::text, "
       "(extract(epoch FROM clock_timestamp()) * 1000000)::bigint"},
      {"fs_outbox_insert",
       "INSERT INTO outbox (event_id, case_key, sequence, type, envelope, occurred_at) VALUES "
       "($1::uuid, $2, $3, $4, decode($5, 'hex'), to_timestamp($6::double precision / 1e6))"},
      {"fs_outbox_pending",
       absl::StrCat("SELECT case_key, sequence, envelope, occurred_micros, acked, event_id, type "
                    "FROM (SELECT o.id, o.case_key, o.sequence, encode(o.envelope, 'hex') AS "
                    "envelope, (extract(epoch FROM o.occurred_at) * 1000000)::bigint AS "
                    "occurred_micros, coalesce(p.acked_sequence, 0) AS acked, o.event_id::text "
                    "AS event_id, o.type, row_number() OVER (PARTITION BY o.case_key ORDER BY "
                    "o.sequence) AS nth ",
                    kPendingWhere, ") t WHERE nth <= ", kPerCaseInBatch, " ORDER BY id LIMIT $3")},
      // One scan for both gauges: the depth counts what is due now; the oldest age also counts
      // what waits for a retry (still late). Parked cases are counted apart.
      {"fs_outbox_backlog",
       "SELECT count(*) FILTER (WHERE p.retry_after IS NULL OR p.retry_after <= now()), "
       "greatest(0, coalesce(extract(epoch FROM now() - min(o.occurred_at)), 0))::double "
       "precision FROM outbox o LEFT JOIN outbox_progress p ON p.subscriber = $1 AND "
       "p.case_key = o.case_key WHERE o.sequence > coalesce(p.acked_sequence, 0) AND "
       "p.rejected_event IS NULL AND (cardinality($2::text[]) = 0 OR o.type = ANY($2::text[]))"},
      {"fs_outbox_parked",
       "SELECT count(*) FROM outbox_progress WHERE subscriber = $1 AND rejected_event IS NOT "
       "NULL"},
      {"fs_outbox_stall",
       "INSERT INTO outbox_progress (subscriber, case_key, stalled_reason, retry_after) VALUES "
       "($1, $2, $3, now() + make_interval(secs => $4)) ON CONFLICT (subscriber, case_key) DO "
       "UPDATE SET stalled_reason = excluded.stalled_reason, retry_after = excluded.retry_after, "
       "update_time = now()"},
      {"fs_outbox_prune",
       "DELETE FROM outbox WHERE id IN (SELECT o.id FROM outbox o WHERE o.occurred_at < now() - "
       "make_interval(secs => $1) AND NOT EXISTS (SELECT 1 FROM unnest($2::text[]) AS s(name) "
       "WHERE NOT EXISTS (SELECT 1 FROM outbox_progress p WHERE p.subscriber = s.name AND "
       "p.case_key = o.case_key AND p.acked_sequence >= o.sequence)) LIMIT 10000)"},
      {"fs_outbox_ack",
       "INSERT INTO outbox_progress (subscriber, case_key, acked_sequence) VALUES ($1, $2, $3) "
       "ON CONFLICT (subscriber, case_key) DO UPDATE SET acked_sequence = "
       "greatest(outbox_progress.acked_sequence, excluded.acked_sequence), stalled_reason = '', "
       "retry_after = NULL, update_time = now()"},
      {"fs_outbox_reject",
       "INSERT INTO outbox_progress (subscriber, case_key, rejected_event, rejected_reason) "
       "VALUES ($1, $2, $3::uuid, $4) ON CONFLICT (subscriber, case_key) DO UPDATE SET "
       "rejected_event = excluded.rejected_event, rejected_reason = excluded.rejected_reason, "
       "update_time = now()"},
      {"fs_inbox_seen", "SELECT 1 FROM inbox WHERE event_id = $1::uuid"},
      {"fs_inbox_case_init",
       "INSERT INTO inbox_cases (producer, case_key, last_sequence) VALUES ($1, $2, 0) ON "
       "CONFLICT DO NOTHING"},
      {"fs_inbox_case_lock",
       "SELECT last_sequence, rejected_sequence FROM inbox_cases WHERE producer = $1 AND "
       "case_key = $2 FOR UPDATE"},
      {"fs_inbox_case_rejected",
       "INSERT INTO inbox_cases (producer, case_key, last_sequence, rejected_sequence) VALUES "
       "($1, $2, 0, $3) ON CONFLICT (producer, case_key) DO UPDATE SET rejected_sequence = "
       "greatest(inbox_cases.rejected_sequence, excluded.rejected_sequence)"},
      {"fs_inbox_record",
       "INSERT INTO inbox (event_id, producer, case_key, sequence, type) VALUES ($1::uuid, $2, "
       "$3, $4, $5)"},
      {"fs_inbox_case_advance",
       "UPDATE inbox_cases SET last_sequence = $3 WHERE producer = $1 AND case_key = $2"},
  };
}

absl::StatusOr<std::string> EventCaseId(const ev::EventEnvelope& event) {
  absl::string_view name = event.case_();
  if (!absl::ConsumePrefix(&name, "cases/") || name.empty() ||
      name.find('/') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("event case ", Quote(event.case_()), " malformed"));
  }
  return std::string(name);
}

std::string EventType(const ev::EventEnvelope& envelope) {
  const auto* descriptor = envelope.GetDescriptor();
  const auto* oneof = descriptor->FindOneofByName("payload");
  const auto* field = envelope.GetReflection()->GetOneofFieldDescriptor(envelope, oneof);
  if (field == nullptr) return "";
  return field->message_type()->full_name();
}

ev::EventEnvelope AppendEvent(pqxx::work& tx, const std::string& producer,
                              const std::string& case_name, ev::EventEnvelope envelope) {
  auto row = tx.exec_prepared1("fs_outbox_next", case_name);
  envelope.set_sequence(row[0].as<int64_t>());
  envelope.set_event_id(row[1].as<std::string>());
  *envelope.mutable_occurred_time() = TimeUtil::MicrosecondsToTimestamp(row[2].as<int64_t>());
  envelope.set_case_(case_name);
  envelope.set_producer(producer);
  envelope.set_type(EventType(envelope));
  envelope.clear_previous_sequence();
  tx.exec_prepared0("fs_outbox_insert", envelope.event_id(), case_name, envelope.sequence(),
                    envelope.type(), absl::BytesToHexString(envelope.SerializeAsString()),
                    row[2].as<int64_t>());
  return envelope;
}

absl::StatusOr<std::vector<Subscriber>> ParseSubscribers(absl::string_view spec) {
  std::vector<Subscriber> out;
  for (absl::string_view entry : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    std::pair<absl::string_view, absl::string_view> name_rest = absl::StrSplit(entry, '@');
    if (name_rest.first.empty() || name_rest.second.empty()) {
      return InvalidField("event_subscribers",
                          absl::StrCat(Quote(entry), " is not name@host:port[=types]"));
    }
    Subscriber subscriber;
    subscriber.name = std::string(name_rest.first);
    if (!std::all_of(subscriber.name.begin(), subscriber.name.end(), [](char c) {
          return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        })) {
      return InvalidField("event_subscribers",
                          absl::StrCat(Quote(subscriber.name), " is not a service name"));
    }
    std::pair<absl::string_view, absl::string_view> target_types =
        absl::StrSplit(name_rest.second, absl::MaxSplits('=', 1));
    subscriber.target = std::string(target_types.first);
    if (subscriber.target.find(':') == std::string::npos) {
      return InvalidField("event_subscribers",
                          absl::StrCat(Quote(subscriber.target), " is not host:port"));
    }
    for (absl::string_view type : absl::StrSplit(target_types.second, '+', absl::SkipEmpty())) {
      std::string full =
          absl::StartsWith(type, kTypePrefix) ? std::string(type) : absl::StrCat(kTypePrefix, type);
      if (!IsPayloadType(full)) {
        return InvalidField("event_subscribers", absl::StrCat("unknown event type ", Quote(type)));
      }
      subscriber.types.push_back(full);
    }
    out.push_back(std::move(subscriber));
  }
  return out;
}

RelayMetrics::RelayMetrics(prometheus::Registry& registry)
    : depth_(prometheus::BuildGauge()
                 .Name("fs_outbox_depth")
                 .Help("Events waiting in the outbox for a subscriber")
                 .Register(registry)),
      lag_(prometheus::BuildHistogram()
               .Name("fs_event_delivery_lag_seconds")
               .Help("From writing an event to the subscriber's acknowledgement")
               .Register(registry)),
      failures_(prometheus::BuildCounter()
                    .Name("fs_event_delivery_failures_total")
                    .Help("Failed deliveries by subscriber and reason")
                    .Register(registry)),
      parked_(prometheus::BuildGauge()
                  .Name("fs_outbox_parked_cases")
                  .Help("Cases whose delivery waits on a rejected event")
                  .Register(registry)),
      oldest_age_(prometheus::BuildGauge()
                      .Name("fs_outbox_oldest_event_age_seconds")
                      .Help("Age of the oldest event not yet delivered to a subscriber (parked "
                            "cases aside); 0 when none waits")
                      .Register(registry)) {}

prometheus::Gauge& RelayMetrics::OldestAge(const std::string& subscriber) {
  return oldest_age_.Add({{"subscriber", subscriber}});
}

prometheus::Gauge& RelayMetrics::Parked(const std::string& subscriber) {
  return parked_.Add({{"subscriber", subscriber}});
}

prometheus::Gauge& RelayMetrics::Depth(const std::string& subscriber) {
  return depth_.Add({{"subscriber", subscriber}});
}

prometheus::Histogram& RelayMetrics::Lag(const std::string& subscriber) {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600};
  return lag_.Add({{"subscriber", subscriber}}, *buckets);
}

prometheus::Counter& RelayMetrics::Failures(const std::string& subscriber,
                                            const std::string& reason) {
  return failures_.Add({{"subscriber", subscriber}, {"reason", reason}});
}

OutboxRelay::OutboxRelay(ConnectionPool& pool, Subscriber subscriber,
                         std::shared_ptr<grpc::Channel> channel, Options options,
                         RelayMetrics* metrics,
                         std::function<void(grpc::ClientContext&)> authenticate)
    : pool_(pool),
      subscriber_(std::move(subscriber)),
      stub_(ev::EventSink::NewStub(channel)),
      options_(std::move(options)),
      metrics_(metrics),
      authenticate_(std::move(authenticate)),
      types_literal_(PgTextArray(subscriber_.types)) {}

OutboxRelay::~OutboxRelay() { Stop(); }

void OutboxRelay::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void OutboxRelay::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    // A delivery in flight is abandoned: the subscriber answers DUPLICATE when it is resent.
    if (inflight_ != nullptr) inflight_->TryCancel();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

absl::StatusOr<long long> OutboxRelay::Depth() {
  long long depth = 0;
  long long parked = 0;
  double oldest_age = 0;
  auto status = pool_.Transact([&](pqxx::work& tx) {
    auto backlog = tx.exec_prepared1("fs_outbox_backlog", subscriber_.name, types_literal_);
    depth = backlog[0].as<long long>();
    oldest_age = backlog[1].as<double>();
    parked = tx.exec_prepared1("fs_outbox_parked", subscriber_.name)[0].as<long long>();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (metrics_ != nullptr) {
    metrics_->Depth(subscriber_.name).Set(static_cast<double>(depth));
    metrics_->Parked(subscriber_.name).Set(static_cast<double>(parked));
    metrics_->OldestAge(subscriber_.name).Set(oldest_age);
  }
  return depth;
}

absl::StatusOr<int> OutboxRelay::DeliverOnce() {
  struct Pending {
    std::string case_key;
    int64_t sequence;
    int64_t occurred_micros;
  };
  std::vector<Pending> pending;
  ev::DeliverRequest request;
  auto loaded = pool_.Transact([&](pqxx::work& tx) {
    pending.clear();
    request.Clear();
    std::map<std::string, int64_t> previous;
    for (const auto& row : tx.exec_prepared("fs_outbox_pending", subscriber_.name, types_literal_,
                                            options_.batch_size)) {
      std::string case_key = row[0].as<std::string>();
      int64_t sequence = row[1].as<int64_t>();
      ev::EventEnvelope envelope;
      // encode(..., 'hex') always yields valid hex.
      if (!envelope.ParseFromString(absl::HexStringToBytes(row[2].as<std::string>()))) {
        // Stored garbage still goes out, named from the outbox row: the subscriber rejects it,
        // records the rejection, and the case parks visibly here.
        envelope.Clear();
      }
      envelope.set_event_id(row[5].as<std::string>());
      envelope.set_case_(case_key);
      envelope.set_sequence(sequence);
      if (envelope.type().empty()) envelope.set_type(row[6].as<std::string>());
      auto [it, first] = previous.emplace(case_key, row[4].as<int64_t>());
      envelope.set_previous_sequence(it->second);
      it->second = sequence;
      pending.push_back({case_key, sequence, row[3].as<int64_t>()});
      *request.add_events() = std::move(envelope);
    }
    return absl::OkStatus();
  });
  if (!loaded.ok()) return loaded;
  if (pending.empty()) return 0;

  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoNanoseconds(options_.rpc_deadline));
  if (authenticate_) authenticate_(context);
  {
    std::lock_guard lock(mu_);
    if (stopping_) return 0;
    inflight_ = &context;
  }
  ev::DeliverResponse response;
  grpc::Status sent = stub_->Deliver(&context, request, &response);
  {
    std::lock_guard lock(mu_);
    inflight_ = nullptr;
  }
  if (!sent.ok()) {
    if (metrics_ != nullptr) {
      metrics_
          ->Failures(subscriber_.name, absl::AsciiStrToLower(absl::StatusCodeToString(
                                           static_cast<absl::StatusCode>(sent.error_code()))))
          .Increment();
    }
    return absl::UnavailableError(
        absl::StrCat("deliver to ", subscriber_.name, ": ", sent.error_message()));
  }

  std::map<std::string, const ev::DeliveryResult*> results;
  for (const auto& result : response.results()) results[result.event_id()] = &result;
  std::map<std::string, int64_t> acked;                                 // case -> sequence
  std::map<std::string, std::pair<std::string, std::string>> rejected;  // case -> id, why
  std::map<std::string, std::string> stalled;                           // case -> why
  std::map<std::string, bool> stopped;                                  // case held this pass
  int count = 0;
  int64_t now_micros = absl::ToUnixMicros(absl::Now());
  for (int i = 0; i < request.events_size(); ++i) {
    const auto& p = pending[i];
    if (stopped[p.case_key]) continue;
    auto it = results.find(request.events(i).event_id());
    auto outcome = it == results.end() ? ev::DELIVERY_OUTCOME_UNSPECIFIED : it->second->outcome();
    if (outcome == ev::DELIVERY_OUTCOME_APPLIED || outcome == ev::DELIVERY_OUTCOME_DUPLICATE) {
      acked[p.case_key] = p.sequence;
      ++count;
      // Lag once per event: a re-acknowledged duplicate was measured when first applied.
      if (metrics_ != nullptr && outcome == ev::DELIVERY_OUTCOME_APPLIED) {
        metrics_->Lag(subscriber_.name).Observe((now_micros - p.occurred_micros) / 1e6);
      }
      continue;
    }
    stopped[p.case_key] = true;
    if (outcome == ev::DELIVERY_OUTCOME_REJECTED) {
      rejected[p.case_key] = {request.events(i).event_id(), it->second->detail()};
      std::cerr << options_.producer << ": " << subscriber_.name << " rejected event "
                << request.events(i).event_id() << " (" << p.case_key << " #" << p.sequence
                << "): " << it->second->detail() << "; the case is parked for it\n";
      if (metrics_ != nullptr) metrics_->Failures(subscriber_.name, "rejected").Increment();
    } else if (outcome == ev::DELIVERY_OUTCOME_OUT_OF_ORDER) {
      // Not taken yet: retried after a pause; visible in outbox_progress.stalled_reason.
      stalled[p.case_key] = it->second->detail();
      if (metrics_ != nullptr) metrics_->Failures(subscriber_.name, "out_of_order").Increment();
    } else if (metrics_ != nullptr) {
      metrics_->Failures(subscriber_.name, "not_answered").Increment();
    }
  }
  auto recorded = pool_.Transact([&](pqxx::work& tx) {
    for (const auto& [case_key, sequence] : acked) {
      tx.exec_prepared0("fs_outbox_ack", subscriber_.name, case_key, sequence);
    }
    for (const auto& [case_key, why] : rejected) {
      tx.exec_prepared0("fs_outbox_reject", subscriber_.name, case_key, why.first, why.second);
    }
    for (const auto& [case_key, why] : stalled) {
      tx.exec_prepared0("fs_outbox_stall", subscriber_.name, case_key, why,
                        absl::ToDoubleSeconds(options_.stalled_retry));
    }
    return absl::OkStatus();
  });
  if (!recorded.ok()) return recorded;
  return count;
}

absl::StatusOr<long long> PruneOutbox(ConnectionPool& pool,
                                      const std::vector<Subscriber>& subscribers,
                                      absl::Duration retention) {
  std::vector<std::string> names;
  for (const auto& subscriber : subscribers) names.push_back(subscriber.name);
  long long pruned = 0;
  auto status = pool.Transact([&](pqxx::work& tx) {
    pruned =
        tx.exec_prepared0("fs_outbox_prune", absl::ToDoubleSeconds(retention), PgTextArray(names))
            .affected_rows();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return pruned;
}

OutboxJanitor::OutboxJanitor(ConnectionPool& pool, std::vector<Subscriber> subscribers,
                             absl::Duration retention) {
  thread_ = std::thread([this, &pool, subscribers = std::move(subscribers), retention] {
    std::unique_lock lock(mu_);
    while (!wake_.wait_for(lock, std::chrono::minutes(1), [this] { return stopping_; })) {
      lock.unlock();
      PruneOutbox(pool, subscribers, retention).IgnoreError();
      lock.lock();
    }
  });
}

OutboxJanitor::~OutboxJanitor() { Stop(); }

void OutboxJanitor::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void OutboxRelay::Loop() {
  std::mt19937 random(std::random_device{}());
  absl::Duration backoff = options_.min_backoff;
  while (true) {
    absl::Duration wait = options_.poll_interval;
    auto delivered = DeliverOnce();
    Depth().IgnoreError();
    if (!delivered.ok()) {
      // Full jitter: a random wait up to the current backoff, which doubles to the maximum.
      std::uniform_int_distribution<int64_t> jitter(0, absl::ToInt64Milliseconds(backoff));
      wait = absl::Milliseconds(jitter(random)) + options_.min_backoff;
      backoff = std::min(backoff * 2, options_.max_backoff);
    } else {
      backoff = options_.min_backoff;
      if (*delivered > 0) wait = absl::ZeroDuration();  // more may be waiting
    }
    std::unique_lock lock(mu_);
    if (stopping_) return;
    if (wait > absl::ZeroDuration()) {
      wake_.wait_for(lock, absl::ToChronoNanoseconds(wait), [this] { return stopping_; });
      if (stopping_) return;
    }
  }
}

EventSinkService::EventSinkService(ConnectionPool& pool, IdentityOptions identity,
                                   std::vector<std::string> producers, EventHandler handler)
    : pool_(pool),
      identity_(std::move(identity)),
      producers_(std::move(producers)),
      handler_(std::move(handler)) {}

std::optional<ev::DeliveryResult> EventSinkService::Apply(const std::string& producer,
                                                          const ev::EventEnvelope& event,
                                                          Next* next) {
  const std::string& id = event.event_id();
  if (!IsUuid(id)) {
    return Result(id, ev::DELIVERY_OUTCOME_REJECTED, "event_id: not a UUID");
  }
  if (event.case_().empty() || event.case_().size() > 256) {
    return Result(id, ev::DELIVERY_OUTCOME_REJECTED, "case: required");
  }
  if (event.sequence() < 1 || event.previous_sequence() < 0 ||
      event.previous_sequence() >= event.sequence()) {
    return Result(id, ev::DELIVERY_OUTCOME_REJECTED,
                  "sequence must be positive and after previous_sequence");
  }
  // From here the case is known: a rejection is remembered, so the producer may skip it.
  auto reject = [&](const std::string& why) {
    pool_
        .Transact([&](pqxx::work& tx) {
          tx.exec_prepared0("fs_inbox_case_rejected", producer, event.case_(), event.sequence());
          return absl::OkStatus();
        })
        .IgnoreError();
    return Result(id, ev::DELIVERY_OUTCOME_REJECTED, why);
  };
  std::string type = EventType(event);
  if (type.empty()) {
    return reject(absl::StrCat("unknown event type ", Quote(event.type()),
                               ": no payload this subscriber understands"));
  }
  if (event.type() != type) {
    return reject(absl::StrCat("type ", Quote(event.type()), " does not match the payload ", type));
  }
  ev::DeliveryResult result;
  bool reused = false;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) {
    reused = false;
    if (!tx.exec_prepared("fs_inbox_seen", id).empty()) {
      result = Result(id, ev::DELIVERY_OUTCOME_DUPLICATE);
      return absl::OkStatus();
    }
    tx.exec_prepared0("fs_inbox_case_init", producer, event.case_());
    auto row = tx.exec_prepared1("fs_inbox_case_lock", producer, event.case_());
    int64_t last = row[0].as<int64_t>();
    int64_t rejected = row[1].as<int64_t>();
    if (event.sequence() <= last) {
      // Not in the inbox, yet its place is taken: the producer reused a sequence.
      reused = true;
      return absl::OkStatus();
    }
    // In order: right after the last applied; beyond a rejected event only once the producer
    // has skipped it (the rejected event itself may come again, fixed).
    bool in_order = rejected > last && event.sequence() > rejected
                        ? event.previous_sequence() == rejected
                        : event.previous_sequence() == last;
    if (!in_order) {
      result = Result(id, ev::DELIVERY_OUTCOME_OUT_OF_ORDER,
                      absl::StrCat("waiting for sequence ", event.previous_sequence(), " of ",
                                   event.case_(), "; applied up to ", last));
      return absl::OkStatus();
    }
    if (absl::Status applied = handler_(tx, event); !applied.ok()) return applied;
    tx.exec_prepared0("fs_inbox_record", id, producer, event.case_(), event.sequence(), type);
    tx.exec_prepared0("fs_inbox_case_advance", producer, event.case_(), event.sequence());
    result = Result(id, ev::DELIVERY_OUTCOME_APPLIED);
    return absl::OkStatus();
  });
  if (status.ok()) {
    if (reused) {
      return reject(absl::StrCat("sequence ", event.sequence(), " of ", event.case_(),
                                 " was already applied for another event"));
    }
    return result;
  }
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      // Our database is away: stop; the producer resends the rest.
      *next = Next::kStopBatch;
      return std::nullopt;
    case absl::StatusCode::kAborted:
      // Contention that outlasted the retries: leave this case for the next delivery.
      *next = Next::kSkipCase;
      return std::nullopt;
    default:
      // The handler refused it, or the database did (a constraint, a bad value): resending the
      // same event will not help.
      return reject(std::string(status.message()));
  }
}

grpc::Status EventSinkService::Deliver(grpc::ServerContext* context,
                                       const ev::DeliverRequest* request,
                                       ev::DeliverResponse* response) {
  auto caller = ResolveCaller(*context, identity_);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  if (caller->principal.kind != PrincipalKind::kService ||
      std::find(producers_.begin(), producers_.end(), caller->principal.id) == producers_.end()) {
    AppendAuditAlone(pool_, *caller, {"Deliver", "events", "PERMISSION_DENIED", ""}).IgnoreError();
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "only the configured producers deliver events here");
  }
  int applied = 0;
  bool stopped = false;
  std::set<std::string> skipped;
  for (const auto& event : request->events()) {
    // A producer that gave up waiting resends anyway: stop working for nobody.
    if (context->IsCancelled()) break;
    if (skipped.count(event.case_()) > 0) continue;
    Next next = Next::kContinue;
    auto result = Apply(caller->principal.id, event, &next);
    if (next == Next::kStopBatch) {
      stopped = true;
      break;
    }
    if (next == Next::kSkipCase || !result.has_value()) {
      skipped.insert(event.case_());
      continue;
    }
    if (result->outcome() == ev::DELIVERY_OUTCOME_APPLIED) ++applied;
    if (result->outcome() != ev::DELIVERY_OUTCOME_APPLIED &&
        result->outcome() != ev::DELIVERY_OUTCOME_DUPLICATE) {
      skipped.insert(event.case_());  // what follows in this case cannot be in order now
    }
    *response->add_results() = std::move(*result);
  }
  AppendAuditAlone(pool_, *caller,
                   {"Deliver", absl::StrCat("events:", applied, "/", request->events_size()),
                    stopped ? "UNAVAILABLE" : "OK", ""})
      .IgnoreError();
  if (stopped && response->results_size() == 0) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the subscriber's database is unavailable");
  }
  return grpc::Status::OK;
}

}  // namespace fs
