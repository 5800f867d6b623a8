#include "common/metrics.h"

#include <chrono>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

namespace fs {
namespace {

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return *buckets;
}

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::OK:
      return "OK";
    case grpc::CANCELLED:
      return "Canceled";
    case grpc::UNKNOWN:
      return "Unknown";
    case grpc::INVALID_ARGUMENT:
      return "InvalidArgument";
    case grpc::DEADLINE_EXCEEDED:
      return "DeadlineExceeded";
    case grpc::NOT_FOUND:
      return "NotFound";
    case grpc::ALREADY_EXISTS:
      return "AlreadyExists";
    case grpc::PERMISSION_DENIED:
      return "PermissionDenied";
    case grpc::RESOURCE_EXHAUSTED:
      return "ResourceExhausted";
    case grpc::FAILED_PRECONDITION:
      return "FailedPrecondition";
    case grpc::ABORTED:
      return "Aborted";
    case grpc::OUT_OF_RANGE:
      return "OutOfRange";
    case grpc::UNIMPLEMENTED:
      return "Unimplemented";
    case grpc::INTERNAL:
      return "Internal";
    case grpc::UNAVAILABLE:
      return "Unavailable";
    case grpc::DATA_LOSS:
      return "DataLoss";
    case grpc::UNAUTHENTICATED:
      return "Unauthenticated";
    default:
      return "Unknown";
  }
}

// Splits "/pkg.Service/Method" into service and method.
std::pair<std::string, std::string> SplitMethod(absl::string_view full) {
  if (!full.empty() && full.front() == '/') full.remove_prefix(1);
  auto slash = full.find('/');
  if (slash == absl::string_view::npos) return {std::string(full), ""};
  return {std::string(full.substr(0, slash)), std::string(full.substr(slash + 1))};
}

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(Metrics* metrics, grpc::experimental::ServerRpcInfo* info)
      : metrics_(metrics), start_(std::chrono::steady_clock::now()) {
    std::tie(service_, method_) = SplitMethod(info->method());
    metrics_->started()
        .Add({{"grpc_service", service_}, {"grpc_method", method_}, {"grpc_type", Type(info)}})
        .Increment();
    type_ = Type(info);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      metrics_->handled()
          .Add({{"grpc_service", service_},
                {"grpc_method", method_},
                {"grpc_type", type_},
                {"grpc_code", CodeName(status.error_code())}})
          .Increment();
      metrics_->handling_seconds()
          .Add({{"grpc_service", service_}, {"grpc_method", method_}, {"grpc_type", type_}},
               LatencyBuckets())
          .Observe(seconds);
    }
    methods->Proceed();
  }

 private:
  static std::string Type(grpc::experimental::ServerRpcInfo* info) {
    using grpc::internal::RpcMethod;
    switch (info->type()) {
      case grpc::experimental::ServerRpcInfo::Type::UNARY:
        return "unary";
      case grpc::experimental::ServerRpcInfo::Type::CLIENT_STREAMING:
        return "client_stream";
      case grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING:
        return "server_stream";
      case grpc::experimental::ServerRpcInfo::Type::BIDI_STREAMING:
        return "bidi_stream";
    }
    return "unary";
  }

  Metrics* metrics_;
  std::chrono::steady_clock::time_point start_;
  std::string service_;
  std::string method_;
  std::string type_;
};

class MetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(Metrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, info);
  }

 private:
  Metrics* metrics_;
};

}  // namespace

PoolMetrics::PoolMetrics(prometheus::Registry& registry)
    : PoolMetrics(prometheus::BuildGauge()
                      .Name("fs_db_pool_connections")
                      .Help("PostgreSQL pool connections by state")
                      .Register(registry),
                  prometheus::BuildGauge()
                      .Name("fs_db_pool_max_connections")
                      .Help("PostgreSQL connections the pool may open (--pool_size)")
                      .Register(registry),
                  prometheus::BuildHistogram()
                      .Name("fs_db_pool_wait_seconds")
                      .Help("Time spent waiting for a pooled PostgreSQL connection")
                      .Register(registry)) {}

PoolMetrics::PoolMetrics(prometheus::Family<prometheus::Gauge>& connections,
                         prometheus::Family<prometheus::Gauge>& max,
                         prometheus::Family<prometheus::Histogram>& wait)
    : in_use_(connections.Add({{"state", "in_use"}})),
      idle_(connections.Add({{"state", "idle"}})),
      max_(max.Add({})),
      wait_seconds_(wait.Add({}, LatencyBuckets())) {}

void PoolMetrics::SetConnections(int in_use, int idle) {
  in_use_.Set(in_use);
  idle_.Set(idle);
}

void PoolMetrics::SetMaxConnections(int size) { max_.Set(size); }

void PoolMetrics::ObserveWait(double seconds) { wait_seconds_.Observe(seconds); }

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      started_(prometheus::BuildCounter()
                   .Name("grpc_server_started_total")
                   .Help("RPCs started on the server")
                   .Register(*registry_)),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("RPCs completed on the server, by status code")
                   .Register(*registry_)),
      handling_seconds_(prometheus::BuildHistogram()
                            .Name("grpc_server_handling_seconds")
                            .Help("Time from receiving an RPC to sending its status")
                            .Register(*registry_)),
      pool_(*registry_) {}

void Metrics::Expose(const std::string& address, int port) {
  if (port == 0) return;
  exposer_ = std::make_unique<prometheus::Exposer>(absl::StrCat(address, ":", port));
  exposer_->RegisterCollectable(registry_);
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
Metrics::InterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>(this);
}

}  // namespace fs
