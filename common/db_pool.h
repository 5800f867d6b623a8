#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace fs {

class PoolMetrics;

// A named SQL statement, prepared on every connection the pool opens.
struct PreparedStatement {
  std::string name;
  std::string sql;
};

// The URL with a connect timeout added (unless it has one), so that an unreachable host fails
// in seconds instead of the TCP default of minutes.
std::string WithConnectTimeout(const std::string& url, int seconds = 5);

// A connection of its own for health checks, so that a busy pool never looks like a dead
// database. Reconnects when needed.
class DatabaseProbe {
 public:
  explicit DatabaseProbe(std::string url) : url_(WithConnectTimeout(url)) {}
  // SELECT 1 answered.
  bool Check();

 private:
  std::string url_;
  std::unique_ptr<pqxx::connection> conn_;
};

// A bounded PostgreSQL connection pool (libpqxx 6.4 has none). Connections are opened lazily,
// with search_path set to the service's schema and every statement prepared; a connection found
// broken is dropped and replaced on the next acquire.
class ConnectionPool {
 public:
  struct Options {
    std::string url;
    std::string schema;
    int size = 8;
    absl::Duration acquire_timeout = absl::Seconds(5);
    // Attempts for a transaction that hits a serialization failure, deadlock or lost connection.
    int max_attempts = 5;
    // No statement runs longer than this (a stuck query must not hold a connection forever).
    absl::Duration statement_timeout = absl::Seconds(30);
  };

  ConnectionPool(Options options, std::vector<PreparedStatement> statements,
                 PoolMetrics* metrics = nullptr);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Runs `body` in one READ COMMITTED transaction and commits it when `body` returns OK; a
  // non-OK status rolls back and is returned as is. Serialization failures, deadlocks and a
  // connection lost before commit are retried with the whole body. Database errors the caller
  // cannot fix become UNAVAILABLE or INTERNAL.
  absl::Status Transact(const std::function<absl::Status(pqxx::work&)>& body);

  // Runs `body` on a connection outside any transaction (migrations, health probes).
  absl::Status WithConnection(const std::function<absl::Status(pqxx::connection&)>& body);

  // SELECT 1 on a pooled connection.
  absl::Status Ping();

  // Closes idle connections and refuses further acquires.
  void Close();

  const Options& options() const { return options_; }

 private:
  class Lease;
  absl::Status Acquire(std::unique_ptr<pqxx::connection>* out);
  void Release(std::unique_ptr<pqxx::connection> conn, bool broken);
  std::unique_ptr<pqxx::connection> Open();
  void UpdateGauges();  // mu_ held

  Options options_;
  std::vector<PreparedStatement> statements_;
  PoolMetrics* metrics_;
  std::mutex mu_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;    // connections that exist (idle or leased), guarded by mu_
  int leased_ = 0;  // guarded by mu_
  bool closed_ = false;
};

}  // namespace fs
