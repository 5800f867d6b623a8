#include "common/periodic.h"

#include <chrono>
#include <iostream>

namespace fs {

Periodic::Periodic(std::function<void()> task, absl::Duration interval)
    : thread_([this, task = std::move(task), interval] {
        std::unique_lock lock(mu_);
        while (!stopping_) {
          lock.unlock();
          task();
          lock.lock();
          cv_.wait_for(lock, absl::ToChronoNanoseconds(interval), [this] { return stopping_; });
        }
      }) {}

Periodic::~Periodic() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::unique_ptr<Periodic> RefreshPeriodically(std::function<absl::Status()> refresh,
                                              absl::Duration interval, std::string what) {
  return std::make_unique<Periodic>(
      [refresh = std::move(refresh), what = std::move(what)] {
        if (absl::Status status = refresh(); !status.ok()) {
          std::cerr << what << " not refreshed: " << status << "\n";
        }
      },
      interval);
}

}  // namespace fs
