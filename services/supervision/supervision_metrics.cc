#include "services/supervision/supervision_metrics.h"

#include "common/dates.h"
#include "services/supervision/supervision_store.h"

namespace fs::supervision {

OverdueGauges::OverdueGauges(ConnectionPool& pool, prometheus::Registry& registry, Policy policy,
                             std::function<absl::Time()> clock)
    : pool_(pool),
      policy_(std::move(policy)),
      clock_(std::move(clock)),
      open_(prometheus::BuildGauge()
                .Name("fs_gcs_open_cases")
                .Help("Open cases of the team that Group Case Supervision covers")
                .Register(registry)),
      overdue_(prometheus::BuildGauge()
                   .Name("fs_gcs_overdue_cases")
                   .Help("Open cases of the team whose Group Case Supervision is overdue")
                   .Register(registry)),
      oldest_overdue_days_(prometheus::BuildGauge()
                               .Name("fs_gcs_oldest_overdue_days")
                               .Help("Days the team's most overdue case is past its due date")
                               .Register(registry)),
      last_refresh_(prometheus::BuildGauge()
                        .Name("fs_gcs_status_refresh_timestamp_seconds")
                        .Help("When the GCS gauges were last counted (Unix time)")
                        .Register(registry)
                        .Add({})) {}

absl::Status OverdueGauges::Refresh() {
  absl::Time now = clock_();
  struct Count {
    int open = 0;
    int overdue = 0;
    double oldest_days = 0;
  };
  std::map<std::string, Count> counts;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) {
    counts.clear();
    for (const auto& c : SupervisionStore::AllOpenCases(tx)) {
      Count& count = counts[c.team];
      ++count.open;
      auto due = DueTime(policy_, c.times, EnglandZone());
      if (due && *due < now) {
        ++count.overdue;
        count.oldest_days = std::max(count.oldest_days, absl::ToDoubleHours(now - *due) / 24);
      }
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  std::lock_guard lock(mu_);
  for (auto& [team, seen] : teams_seen_) seen = false;
  for (const auto& [team, count] : counts) teams_seen_[team] = true;
  for (const auto& [team, seen] : teams_seen_) {
    Count count = seen ? counts[team] : Count{};
    open_.Add({{"team", team}}).Set(count.open);
    overdue_.Add({{"team", team}}).Set(count.overdue);
    oldest_overdue_days_.Add({{"team", team}}).Set(count.oldest_days);
  }
  last_refresh_.Set(static_cast<double>(absl::ToUnixSeconds(now)));
  return absl::OkStatus();
}

void OverdueGauges::Start(absl::Duration interval) {
  refresher_ =
      RefreshPeriodically([this] { return Refresh(); }, interval, "supervision: GCS gauges");
}

}  // namespace fs::supervision
