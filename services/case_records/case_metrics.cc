#include "services/case_records/case_metrics.h"

#include "services/case_records/case_store.h"

namespace fs::cases {

OpenCaseGauges::OpenCaseGauges(ConnectionPool& pool, prometheus::Registry& registry)
    : pool_(pool),
      open_(prometheus::BuildGauge()
                .Name("fs_open_cases")
                .Help("Open cases by team and state (REFERRAL .. LOOKED_AFTER)")
                .Register(registry)),
      last_refresh_(prometheus::BuildGauge()
                        .Name("fs_open_cases_refresh_timestamp_seconds")
                        .Help("When the open case gauges were last counted (Unix time)")
                        .Register(registry)
                        .Add({})) {}

absl::Status OpenCaseGauges::Refresh() {
  std::map<std::pair<std::string, std::string>, long long> counts;
  absl::Status status = pool_.Transact([&](pqxx::work& tx) {
    counts = CaseStore::OpenCaseCounts(tx);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  std::lock_guard lock(mu_);
  // Only what emptied goes to 0: zeroing all first would let a scrape in between see every
  // occupied team and state at 0.
  for (auto& [key, gauge] : seen_) {
    if (counts.find(key) == counts.end()) gauge->Set(0);
  }
  for (const auto& [key, count] : counts) {
    auto [it, added] = seen_.try_emplace(key, nullptr);
    if (added) it->second = &open_.Add({{"team", key.first}, {"state", key.second}});
    it->second->Set(static_cast<double>(count));
  }
  last_refresh_.Set(static_cast<double>(absl::ToUnixSeconds(absl::Now())));
  return absl::OkStatus();
}

void OpenCaseGauges::Start(absl::Duration interval) {
  refresher_ =
      RefreshPeriodically([this] { return Refresh(); }, interval, "case_records: open case gauges");
}

}  // namespace fs::cases
