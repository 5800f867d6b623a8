#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/db_pool.h"
#include "common/periodic.h"
#include "services/supervision/policy.h"

// What ops and managers watch: per team, the open cases and those whose GCS is overdue (the
// policy's due dates, counted in C++ as the API counts them), refreshed in the background.
namespace fs::supervision {

class OverdueGauges {
 public:
  OverdueGauges(ConnectionPool& pool, prometheus::Registry& registry, Policy policy,
                std::function<absl::Time()> clock);

  // Recounts now. A team that no longer has open cases reads 0.
  absl::Status Refresh();
  // Refreshes every `interval` on a thread until destroyed.
  void Start(absl::Duration interval);

 private:
  ConnectionPool& pool_;
  Policy policy_;
  std::function<absl::Time()> clock_;
  prometheus::Family<prometheus::Gauge>& open_;
  prometheus::Family<prometheus::Gauge>& overdue_;
  prometheus::Family<prometheus::Gauge>& oldest_overdue_days_;
  prometheus::Gauge& last_refresh_;
  std::map<std::string, bool> teams_seen_;
  std::mutex mu_;                        // guards teams_seen_ and the gauges' updates
  std::unique_ptr<Periodic> refresher_;  // last: stopped before the rest goes
};

}  // namespace fs::supervision
