#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/db_pool.h"
#include "common/periodic.h"

// What ops watch of the caseload: open cases by team and state, recounted in the background.
namespace fs::cases {

class OpenCaseGauges {
 public:
  OpenCaseGauges(ConnectionPool& pool, prometheus::Registry& registry);

  // Recounts now. A team and state seen before and now empty reads 0, not its old count.
  absl::Status Refresh();
  // Refreshes every `interval` until destroyed.
  void Start(absl::Duration interval);

 private:
  ConnectionPool& pool_;
  prometheus::Family<prometheus::Gauge>& open_;
  prometheus::Gauge& last_refresh_;
  std::mutex mu_;
  std::map<std::pair<std::string, std::string>, prometheus::Gauge*> seen_;
  std::unique_ptr<Periodic> refresher_;
};

}  // namespace fs::cases
