#include "services/outcomes/outcomes_metrics.h"

#include "services/outcomes/outcomes_store.h"

namespace fs::outcomes {
namespace {

prometheus::Gauge& Gauge(prometheus::Registry& registry, const std::string& name,
                         const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

}  // namespace

FrontDoorGauges::FrontDoorGauges(ConnectionPool& pool, prometheus::Registry& registry,
                                 std::function<absl::Time()> clock)
    : pool_(pool),
      clock_(std::move(clock)),
      waiting_(Gauge(registry, "fs_front_door_waiting_incidents",
                     "Police incidents matching no open case, waiting for the front door")),
      overdue_(Gauge(registry, "fs_front_door_overdue_incidents",
                     "Waiting incidents past the start of the next working day after receipt")),
      last_refresh_(Gauge(registry, "fs_front_door_refresh_timestamp_seconds",
                          "When the front door gauges were last counted (Unix time)")) {}

absl::Status FrontDoorGauges::Refresh() {
  absl::Time now = clock_();
  std::pair<int, int> counts;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) {
    counts = OutcomesStore::FrontDoorCounts(tx, now);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  waiting_.Set(counts.first);
  overdue_.Set(counts.second);
  last_refresh_.Set(static_cast<double>(absl::ToUnixSeconds(now)));
  return absl::OkStatus();
}

void FrontDoorGauges::Start(absl::Duration interval) {
  refresher_ =
      RefreshPeriodically([this] { return Refresh(); }, interval, "outcomes: front door gauges");
}

}  // namespace fs::outcomes
