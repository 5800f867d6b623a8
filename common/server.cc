#include "common/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <signal.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/audit.h"
#include "common/dates.h"
#include "common/events.h"
#include "common/migrations.h"

namespace fs {
namespace {

constexpr char kLivenessService[] = "liveness";

// How often TLS files are re-read, as the certificate providers take it (validated >= 1 s).
unsigned int ReloadSeconds(const ServerConfig& config) {
  return static_cast<unsigned int>(absl::ToInt64Seconds(config.tls_reload_interval));
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeCredentials(
    const ServerConfig& config) {
  if (config.tls_cert.empty()) return grpc::InsecureServerCredentials();
  // Unreadable files stop the start here; afterwards the files are re-read when they change,
  // so that a certificate renewed in place (cert-manager, a mounted Secret) is served without
  // a restart.
  for (const std::string* path : {&config.tls_cert, &config.tls_key, &config.tls_ca}) {
    if (path->empty()) continue;
    if (auto read = ReadFile(*path); !read.ok()) return read.status();
  }
  unsigned int seconds = ReloadSeconds(config);
  std::shared_ptr<grpc::experimental::CertificateProviderInterface> provider;
  if (config.tls_ca.empty()) {
    provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        config.tls_key, config.tls_cert, seconds);
  } else {
    provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        config.tls_key, config.tls_cert, config.tls_ca, seconds);
  }
  grpc::experimental::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (!config.tls_ca.empty()) {
    options.watch_root_certs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  }
  return grpc::experimental::TlsServerCredentials(options);
}

}  // namespace

Server::Server(const ServerConfig& config, Metrics* metrics)
    : config_(config), probe_(config.db_url), metrics_(metrics) {}

Server::~Server() { Shutdown(); }

void Server::AddService(grpc::Service* service, std::string health_name) {
  services_.emplace_back(service, std::move(health_name));
}

absl::Status Server::Start() {
  auto credentials = MakeCredentials(config_);
  if (!credentials.ok()) return credentials.status();
  grpc::EnableDefaultHealthCheckService(true);
  // Built before the reflection plugin is registered (builders take the plugins registered
  // when they are constructed): the plaintext health port describes no API.
  std::unique_ptr<grpc::ServerBuilder> health_builder;
  if (config_.health_port != 0) health_builder = std::make_unique<grpc::ServerBuilder>();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat(config_.listen_address, ":", config_.grpc_port),
                           *credentials, &port_);
  for (auto& [service, name] : services_) builder.RegisterService(service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
  creators.push_back(metrics_->InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(creators));
  // Each sync RPC holds a thread while it waits for the database: bound them.
  grpc::ResourceQuota quota(config_.service_name);
  quota.SetMaxThreads(std::max(8, config_.pool_size * 4));
  builder.SetResourceQuota(quota);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config_.listen_address, ":", config_.grpc_port));
  }
  if (config_.health_port != 0) {
    // Only grpc.health.v1 in plaintext (Kubernetes probes do not speak TLS); it says what the
    // main server's health says.
    health_builder->AddListeningPort(absl::StrCat(config_.listen_address, ":", config_.health_port),
                                     grpc::InsecureServerCredentials(), &health_port_);
    health_server_ = health_builder->BuildAndStart();
    if (health_server_ == nullptr || health_port_ == 0) {
      server_->Shutdown();
      server_->Wait();
      server_.reset();
      return absl::UnavailableError(absl::StrCat("cannot listen for health checks on ",
                                                 config_.listen_address, ":", config_.health_port));
    }
  }
  // "liveness": the process answers, whatever the database does (a restart would not bring
  // the database back); NOT_SERVING only once shutting down. Kubernetes liveness probes ask it.
  for (grpc::Server* server : {server_.get(), health_server_.get()}) {
    if (server != nullptr)
      server->GetHealthCheckService()->SetServingStatus(kLivenessService, true);
  }
  // Every named service answers NOT_SERVING (not NOT_FOUND) until the first probe is done.
  SetServing(false);
  SetServing(probe_.Check());
  prober_ = std::thread([this] { ProbeLoop(); });
  return absl::OkStatus();
}

void Server::SetServing(bool serving) {
  for (grpc::Server* server : {server_.get(), health_server_.get()}) {
    if (server == nullptr) continue;
    auto* health = server->GetHealthCheckService();
    health->SetServingStatus("", serving);
    for (const auto& [service, name] : services_) health->SetServingStatus(name, serving);
  }
}

void Server::ProbeLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, absl::ToChronoMilliseconds(config_.health_check_interval));
    if (stopping_) break;
    lock.unlock();
    bool serving = probe_.Check();
    lock.lock();
    if (!stopping_) SetServing(serving);
  }
}

void Server::Shutdown() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || server_ == nullptr) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (prober_.joinable()) prober_.join();
  // Health says NOT_SERVING first so load balancers stop sending, then drain.
  server_->GetHealthCheckService()->Shutdown();
  if (health_server_ != nullptr) health_server_->GetHealthCheckService()->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() +
                    absl::ToChronoNanoseconds(config_.shutdown_grace));
  server_->Wait();
  if (health_server_ != nullptr) {
    health_server_->Shutdown(std::chrono::system_clock::now());
    health_server_->Wait();
  }
}

std::vector<PreparedStatement> WithCommonStatements(std::vector<PreparedStatement> statements) {
  for (auto& statement : AuditStatements()) statements.push_back(std::move(statement));
  for (auto& statement : EventStatements()) statements.push_back(std::move(statement));
  return statements;
}

namespace {

// Accepts a subscriber only when its certificate names the expected SPIFFE identity: events
// carry personal data, so being in our CA is not enough, it must be the subscriber we meant.
class SubscriberIdentityVerifier : public grpc::experimental::ExternalCertificateVerifier {
 public:
  explicit SubscriberIdentityVerifier(std::string expected) : expected_(std::move(expected)) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)>, grpc::Status* sync_status) override {
    for (const auto& uri : request->uri_names()) {
      if (absl::string_view(uri.data(), uri.size()) == expected_) {
        *sync_status = grpc::Status::OK;
        return true;
      }
    }
    *sync_status = grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                                absl::StrCat("the peer is not ", expected_));
    return true;
  }

  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {}

 private:
  std::string expected_;
};

// One relay per configured subscriber, talking with this service's own identity: under TLS its
// client certificate (re-read when the files change) towards a subscriber whose certificate
// must carry spiffe://<domain>/service/<subscriber>; in insecure dev mode its service
// principal in metadata.
absl::StatusOr<std::vector<std::unique_ptr<OutboxRelay>>> StartRelays(const ServerConfig& config,
                                                                      ConnectionPool& pool,
                                                                      RelayMetrics* metrics) {
  std::vector<std::unique_ptr<OutboxRelay>> relays;
  auto subscribers = ParseSubscribers(config.event_subscribers);
  if (!subscribers.ok()) return subscribers.status();
  std::function<void(grpc::ClientContext&)> authenticate;
  if (config.tls_cert.empty()) {
    std::string principal =
        absl::StrCat("spiffe://", config.trust_domain, "/service/", config.service_name);
    authenticate = [principal](grpc::ClientContext& context) {
      context.AddMetadata("x-fs-principal", principal);
    };
  }
  for (auto& subscriber : *subscribers) {
    std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
    if (!config.tls_cert.empty()) {
      grpc::experimental::TlsChannelCredentialsOptions tls;
      tls.set_certificate_provider(
          std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
              config.tls_key, config.tls_cert, config.tls_ca, ReloadSeconds(config)));
      tls.watch_root_certs();
      tls.watch_identity_key_cert_pairs();
      tls.set_certificate_verifier(
          grpc::experimental::ExternalCertificateVerifier::Create<SubscriberIdentityVerifier>(
              absl::StrCat("spiffe://", config.trust_domain, "/service/", subscriber.name)));
      // Identity is the URI SAN checked above; services' certificates need no DNS names.
      tls.set_check_call_host(false);
      credentials = grpc::experimental::TlsCredentials(tls);
    }
    auto channel = grpc::CreateChannel(subscriber.target, credentials);
    OutboxRelay::Options options;
    options.producer = config.service_name;
    relays.push_back(std::make_unique<OutboxRelay>(pool, std::move(subscriber), channel, options,
                                                   metrics, authenticate));
    relays.back()->Start();
  }
  return relays;
}

}  // namespace

int RunService(int argc, char** argv, const ServiceDefinition& definition) {
  // Block the stop signals before any thread starts; the main thread waits for them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  ServerConfig config = ParseServerConfig(argc, argv, definition.name, definition.default_grpc_port,
                                          definition.default_metrics_port);
  const std::string& name = definition.name;
  if (absl::Status zone = CheckEnglandZone(); !zone.ok()) {
    std::cerr << name << ": " << zone << "\n";
    return 1;
  }
  Metrics metrics;
  try {
    metrics.Expose(config.listen_address, config.migrate_only ? 0 : config.metrics_port);
  } catch (const std::exception& e) {
    std::cerr << name << ": cannot serve metrics on port " << config.metrics_port << ": "
              << e.what() << "\n";
    return 1;
  }
  ConnectionPool::Options pool_options;
  pool_options.url = config.db_url;
  pool_options.schema = name;
  pool_options.size = config.pool_size;
  pool_options.acquire_timeout = config.pool_acquire_timeout;
  ConnectionPool pool(pool_options, WithCommonStatements(definition.statements), &metrics.pool());

  if (auto status = config.migrate_on_start || config.migrate_only
                        ? MigrateForService(config.db_url, config.migration_db_url, name,
                                            definition.migrations)
                        : VerifyMigrations(config.db_url, name, definition.migrations);
      !status.ok()) {
    std::cerr << name << ": " << status << "\n";
    return 1;
  }
  if (config.migrate_only) {
    std::cerr << name << ": migrations applied\n";
    return 0;
  }

  auto services = definition.make_services(pool, config);
  Server server(config, &metrics);
  for (auto& [service, health_name] : services) server.AddService(service.get(), health_name);
  if (auto status = server.Start(); !status.ok()) {
    std::cerr << name << ": " << status << "\n";
    return 1;
  }
  RelayMetrics relay_metrics(metrics.registry());
  auto relays = StartRelays(config, pool, &relay_metrics);
  if (!relays.ok()) {
    std::cerr << name << ": " << relays.status() << "\n";
    server.Shutdown();
    return 1;
  }
  std::shared_ptr<void> background;
  if (definition.background) background = definition.background(pool, metrics.registry());
  std::unique_ptr<OutboxJanitor> janitor;
  if (!relays->empty()) {
    janitor = std::make_unique<OutboxJanitor>(pool, *ParseSubscribers(config.event_subscribers),
                                              config.outbox_retention);
  }
  std::cerr << name << ": serving gRPC on " << config.listen_address << ":" << server.port()
            << (config.insecure_dev_auth ? " (INSECURE dev auth)" : " (TLS)") << ", metrics on "
            << config.metrics_port;
  if (server.health_port() != 0) std::cerr << ", plaintext health on " << server.health_port();
  std::cerr << "\n";

  int received = 0;
  sigwait(&signals, &received);
  std::cerr << name << ": signal " << received << ", draining\n";
  // Relays first (cancelling a delivery in flight), then drain the server.
  for (auto& relay : *relays) relay->Stop();
  if (janitor) janitor->Stop();
  background.reset();
  server.Shutdown();
  pool.Close();
  std::cerr << name << ": stopped\n";
  return 0;
}

}  // namespace fs
