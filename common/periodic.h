#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace fs {

// Runs `task` now and then every `interval` on a thread of its own until destroyed (the
// destructor wakes the thread and waits for a running task to finish).
class Periodic {
 public:
  Periodic(std::function<void()> task, absl::Duration interval);
  ~Periodic();
  Periodic(const Periodic&) = delete;
  Periodic& operator=(const Periodic&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

// A Periodic that runs `refresh` (e.g. recounting gauges from the database) and logs a failure
// as "<what> not refreshed: <status>" on standard error; the next run tries again.
std::unique_ptr<Periodic> RefreshPeriodically(std::function<absl::Status()> refresh,
                                              absl::Duration interval, std::string what);

}  // namespace fs
