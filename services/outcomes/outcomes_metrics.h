#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/db_pool.h"
#include "common/periodic.h"

// What ops watch: police incidents waiting at the front door, and those past their respond-by
// time (the start of the next working day), recounted in the background.
namespace fs::outcomes {

class FrontDoorGauges {
 public:
  FrontDoorGauges(ConnectionPool& pool, prometheus::Registry& registry,
                  std::function<absl::Time()> clock);

  // Recounts now.
  absl::Status Refresh();
  // Refreshes every `interval` until destroyed.
  void Start(absl::Duration interval);

 private:
  ConnectionPool& pool_;
  std::function<absl::Time()> clock_;
  prometheus::Gauge& waiting_;
  prometheus::Gauge& overdue_;
  prometheus::Gauge& last_refresh_;
  std::unique_ptr<Periodic> refresher_;
};

}  // namespace fs::outcomes
