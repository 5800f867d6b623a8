#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace fs {

// What every service process is configured with. Flags win over FS_* environment variables,
// which win over the defaults.
struct ServerConfig {
  std::string service_name;
  // The runtime role's URL: reads and writes data, owns nothing.
  std::string db_url;
  // The schema owner's URL for migrations; empty means migrate with db_url (one role).
  std::string migration_db_url;
  std::string listen_address = "127.0.0.1";
  int grpc_port = 0;
  int metrics_port = 0;
  int pool_size = 8;
  absl::Duration pool_acquire_timeout = absl::Seconds(5);
  absl::Duration health_check_interval = absl::Seconds(2);
  absl::Duration shutdown_grace = absl::Seconds(10);
  bool migrate_only = false;
  // False: migrations run elsewhere (a Job); the service only checks none is pending.
  bool migrate_on_start = true;
  // Plaintext grpc.health.v1 alone on this port when not 0 (for Kubernetes probes under TLS).
  int health_port = 0;
  bool insecure_dev_auth = false;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  // How often the TLS files are re-read (renewed certificates are served without a restart).
  absl::Duration tls_reload_interval = absl::Seconds(60);
  std::string trust_domain = "fs.local";
  // Service names (".../service/<name>") allowed to act for a practitioner.
  std::vector<std::string> trusted_frontends;
  // Producer side: where this service's events go (see ParseSubscribers in events.h).
  std::string event_subscribers;
  // Acknowledged outbox rows are deleted after this long.
  absl::Duration outbox_retention = absl::Hours(24 * 7);
  // Subscriber side: the services allowed to deliver events to this one.
  std::vector<std::string> event_producers;
  // Days off besides England and Wales bank holidays (see HolidayCalendar::Create).
  std::string extra_holidays;
  // Keys name match keys (common/name_match.h); empty when not configured.
  std::string name_match_secret;
};

// Parses argv (absl flags) after applying FS_<FLAG> environment fallbacks, and returns the
// common configuration. Service-specific flags are declared by the service and read by it after
// this call. Exits the process with a message on bad flags.
ServerConfig ParseServerConfig(int argc, char** argv, const std::string& service_name,
                               int default_grpc_port, int default_metrics_port);

}  // namespace fs
