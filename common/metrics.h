#pragma once

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

namespace fs {

// Pool gauges and the acquire wait-time histogram.
class PoolMetrics {
 public:
  explicit PoolMetrics(prometheus::Registry& registry);
  void SetConnections(int in_use, int idle);
  // The pool's configured size: in_use reaching it means callers wait for a connection.
  void SetMaxConnections(int size);
  void ObserveWait(double seconds);

 private:
  PoolMetrics(prometheus::Family<prometheus::Gauge>& connections,
              prometheus::Family<prometheus::Gauge>& max,
              prometheus::Family<prometheus::Histogram>& wait);

  prometheus::Gauge& in_use_;
  prometheus::Gauge& idle_;
  prometheus::Gauge& max_;
  prometheus::Histogram& wait_seconds_;
};

// The process's metrics: one registry, exposed on its own port (when the port is not 0).
class Metrics {
 public:
  Metrics();
  // Starts the HTTP exposer on address:port; port 0 keeps metrics in-process only.
  void Expose(const std::string& address, int port);
  prometheus::Registry& registry() { return *registry_; }
  PoolMetrics& pool() { return pool_; }
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

  // Counters read by the interceptor.
  prometheus::Family<prometheus::Counter>& started() { return started_; }
  prometheus::Family<prometheus::Counter>& handled() { return handled_; }
  prometheus::Family<prometheus::Histogram>& handling_seconds() { return handling_seconds_; }

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
  PoolMetrics pool_;
};

}  // namespace fs
