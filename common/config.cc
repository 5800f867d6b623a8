#include "common/config.h"

#include <cstdlib>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "common/name_match.h"

ABSL_FLAG(std::string, db_url, "", "PostgreSQL URL of this service's role (env FS_DB_URL)");
ABSL_FLAG(std::string, migration_db_url, "",
          "PostgreSQL URL of the schema owner, used only to migrate and to grant the runtime "
          "role; empty migrates with --db_url (env FS_MIGRATION_DB_URL)");
ABSL_FLAG(std::string, listen_address, "127.0.0.1", "gRPC listen address (env FS_LISTEN_ADDRESS)");
ABSL_FLAG(int, grpc_port, -1, "gRPC port; -1 means the service default (env FS_GRPC_PORT)");
ABSL_FLAG(int, metrics_port, -1,
          "Prometheus metrics port; -1 means the service default, 0 disables (env "
          "FS_METRICS_PORT)");
ABSL_FLAG(int, pool_size, 8, "PostgreSQL connections in the pool (env FS_POOL_SIZE)");
ABSL_FLAG(absl::Duration, health_check_interval, absl::Seconds(2),
          "How often the database is probed for the health service (env "
          "FS_HEALTH_CHECK_INTERVAL)");
ABSL_FLAG(bool, migrate_only, false, "Apply migrations and exit (env FS_MIGRATE_ONLY)");
ABSL_FLAG(bool, migrate_on_start, true,
          "Apply pending migrations before serving; false only checks that none is pending and "
          "refuses to serve otherwise, for deployments that migrate in a separate job with the "
          "schema owner's role (env FS_MIGRATE_ON_START)");
ABSL_FLAG(int, health_port, 0,
          "Also serve grpc.health.v1 alone, in plaintext, on this port (Kubernetes probes do not "
          "speak TLS); 0: none (env FS_HEALTH_PORT)");
ABSL_FLAG(bool, insecure_dev_auth, false,
          "Plaintext, identity read from x-fs-principal/x-fs-role metadata. Local development "
          "only; never set in production (env FS_INSECURE_DEV_AUTH)");
ABSL_FLAG(std::string, tls_cert, "", "Server certificate PEM file (env FS_TLS_CERT)");
ABSL_FLAG(std::string, tls_key, "", "Server private key PEM file (env FS_TLS_KEY)");
ABSL_FLAG(std::string, tls_ca, "",
          "CA bundle; when given, clients must present a certificate (env FS_TLS_CA)");
ABSL_FLAG(absl::Duration, tls_reload_interval, absl::Seconds(60),
          "How often the TLS files are checked for a renewed certificate or CA (env "
          "FS_TLS_RELOAD_INTERVAL)");
ABSL_FLAG(std::string, trust_domain, "fs.local", "SPIFFE trust domain (env FS_TRUST_DOMAIN)");
ABSL_FLAG(std::string, event_subscribers, "",
          "Where this service's events go: name@host:port[=Type+Type],... (env "
          "FS_EVENT_SUBSCRIBERS)");
ABSL_FLAG(absl::Duration, outbox_retention, absl::Hours(24 * 7),
          "How long events stay in the outbox after every subscriber acknowledged them (env "
          "FS_OUTBOX_RETENTION)");
ABSL_FLAG(std::string, event_producers, "",
          "Comma-separated services allowed to deliver events here (env FS_EVENT_PRODUCERS)");
ABSL_FLAG(std::string, trusted_frontends, "",
          "Comma-separated service names allowed to act for practitioners (env "
          "FS_TRUSTED_FRONTENDS)");

ABSL_FLAG(std::string, name_match_secret_file, "",
          "File holding the secret (32+ bytes) that keys name match keys, the same for "
          "case_records and outcomes; empty: no matching by name (env "
          "FS_NAME_MATCH_SECRET_FILE)");

ABSL_FLAG(std::string, extra_holidays, "",
          "Days off for everyone besides England and Wales bank holidays (ISO dates, commas; env "
          "FS_EXTRA_HOLIDAYS)");

namespace fs {
namespace {

// Sets every flag that has an FS_<NAME> variable in the environment; argv parsed later wins.
void ApplyEnvironmentFallbacks() {
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    std::string env = "FS_" + absl::AsciiStrToUpper(std::string(name));
    const char* value = std::getenv(env.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      std::cerr << "bad value in " << env << ": " << error << "\n";
      std::exit(2);
    }
  }
}

}  // namespace

ServerConfig ParseServerConfig(int argc, char** argv, const std::string& service_name,
                               int default_grpc_port, int default_metrics_port) {
  absl::SetProgramUsageMessage("Family Safeguarding Services: " + service_name);
  ApplyEnvironmentFallbacks();
  absl::ParseCommandLine(argc, argv);

  ServerConfig config;
  config.service_name = service_name;
  config.db_url = absl::GetFlag(FLAGS_db_url);
  config.migration_db_url = absl::GetFlag(FLAGS_migration_db_url);
  config.listen_address = absl::GetFlag(FLAGS_listen_address);
  int grpc_port = absl::GetFlag(FLAGS_grpc_port);
  config.grpc_port = grpc_port < 0 ? default_grpc_port : grpc_port;
  int metrics_port = absl::GetFlag(FLAGS_metrics_port);
  config.metrics_port = metrics_port < 0 ? default_metrics_port : metrics_port;
  config.pool_size = absl::GetFlag(FLAGS_pool_size);
  config.health_check_interval = absl::GetFlag(FLAGS_health_check_interval);
  config.migrate_only = absl::GetFlag(FLAGS_migrate_only);
  config.migrate_on_start = absl::GetFlag(FLAGS_migrate_on_start);
  config.health_port = absl::GetFlag(FLAGS_health_port);
  config.insecure_dev_auth = absl::GetFlag(FLAGS_insecure_dev_auth);
  config.tls_cert = absl::GetFlag(FLAGS_tls_cert);
  config.tls_key = absl::GetFlag(FLAGS_tls_key);
  config.tls_ca = absl::GetFlag(FLAGS_tls_ca);
  config.tls_reload_interval = absl::GetFlag(FLAGS_tls_reload_interval);
  config.trust_domain = absl::GetFlag(FLAGS_trust_domain);
  for (auto name :
       absl::StrSplit(absl::GetFlag(FLAGS_trusted_frontends), ',', absl::SkipWhitespace())) {
    config.trusted_frontends.emplace_back(absl::StripAsciiWhitespace(name));
  }

  config.extra_holidays = absl::GetFlag(FLAGS_extra_holidays);
  config.event_subscribers = absl::GetFlag(FLAGS_event_subscribers);
  config.outbox_retention = absl::GetFlag(FLAGS_outbox_retention);
  for (auto name :
       absl::StrSplit(absl::GetFlag(FLAGS_event_producers), ',', absl::SkipWhitespace())) {
    config.event_producers.emplace_back(absl::StripAsciiWhitespace(name));
  }

  std::string problem;
  auto secret = ReadMatchSecret(absl::GetFlag(FLAGS_name_match_secret_file));
  if (secret.ok()) {
    config.name_match_secret = *secret;
  } else {
    problem = std::string(secret.status().message());
  }
  if (config.db_url.empty()) problem = "--db_url (or FS_DB_URL) is required";
  if (config.pool_size < 1 || config.pool_size > 200) problem = "--pool_size must be 1..200";
  if (config.health_port < 0 || config.health_port > 65535) {
    problem = "--health_port must be 0..65535";
  } else if (config.health_port != 0 && (config.health_port == config.grpc_port ||
                                         config.health_port == config.metrics_port)) {
    problem = "--health_port must differ from the gRPC and metrics ports";
  }
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    problem = "--tls_cert and --tls_key go together";
  }
  if (!config.tls_ca.empty() && config.tls_cert.empty()) problem = "--tls_ca needs --tls_cert";
  if (config.tls_reload_interval < absl::Seconds(1)) {
    problem = "--tls_reload_interval must be at least 1s";
  }
  if (config.tls_cert.empty() && !config.insecure_dev_auth && !config.migrate_only) {
    problem = "either TLS (--tls_cert/--tls_key) or --insecure_dev_auth is required";
  }
  if (!config.tls_cert.empty() && config.tls_ca.empty() &&
      (!config.event_subscribers.empty() || !config.event_producers.empty())) {
    problem = "events between services need mutual TLS: give --tls_ca";
  }
  if (!config.tls_cert.empty() && config.insecure_dev_auth) {
    problem = "--insecure_dev_auth cannot be combined with TLS";
  }
  if (!problem.empty()) {
    std::cerr << service_name << ": " << problem << "\n";
    std::exit(2);
  }
  return config;
}

}  // namespace fs
