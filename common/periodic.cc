#include "common/periodic.h"

#include <chrono>

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

}  // namespace fs
