#include "common/db_pool.h"

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/metrics.h"

namespace fs {

std::string WithConnectTimeout(const std::string& url, int seconds) {
  if (url.find("connect_timeout") != std::string::npos) return url;
  if (url.find("://") == std::string::npos) {
    return absl::StrCat(url, " connect_timeout=", seconds);  // keyword=value form
  }
  return absl::StrCat(url, url.find('?') == std::string::npos ? "?" : "&",
                      "connect_timeout=", seconds);
}

bool DatabaseProbe::Check() {
  try {
    if (conn_ == nullptr || !conn_->is_open()) conn_ = std::make_unique<pqxx::connection>(url_);
    pqxx::nontransaction tx(*conn_);
    tx.exec("SELECT 1");
    return true;
  } catch (const std::exception&) {
    conn_.reset();
    return false;
  }
}

ConnectionPool::ConnectionPool(Options options, std::vector<PreparedStatement> statements,
                               PoolMetrics* metrics)
    : options_(std::move(options)), statements_(std::move(statements)), metrics_(metrics) {
  if (metrics_ != nullptr) metrics_->SetMaxConnections(options_.size);
}

ConnectionPool::~ConnectionPool() { Close(); }

void ConnectionPool::Close() {
  std::vector<std::unique_ptr<pqxx::connection>> to_close;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    to_close.swap(idle_);
    open_ -= static_cast<int>(to_close.size());
    UpdateGauges();
  }
  available_.notify_all();
  for (auto& conn : to_close) {
    try {
      conn->disconnect();
    } catch (const std::exception&) {
      // Already gone; nothing to release.
    }
  }
}

void ConnectionPool::UpdateGauges() {
  if (metrics_ == nullptr) return;
  metrics_->SetConnections(leased_, static_cast<int>(idle_.size()));
}

std::unique_ptr<pqxx::connection> ConnectionPool::Open() {
  auto conn = std::make_unique<pqxx::connection>(WithConnectTimeout(options_.url));
  {
    pqxx::nontransaction tx(*conn);
    if (!options_.schema.empty()) {
      tx.exec(absl::StrCat("SET search_path TO ", tx.quote_name(options_.schema)));
    }
    tx.exec(absl::StrCat("SET statement_timeout = ",
                         absl::ToInt64Milliseconds(options_.statement_timeout)));
  }
  for (const auto& statement : statements_) conn->prepare(statement.name, statement.sql);
  return conn;
}

absl::Status ConnectionPool::Acquire(std::unique_ptr<pqxx::connection>* out) {
  auto start = std::chrono::steady_clock::now();
  bool open_new = false;
  {
    std::unique_lock lock(mu_);
    auto deadline = start + absl::ToChronoNanoseconds(options_.acquire_timeout);
    while (!closed_ && idle_.empty() && open_ >= options_.size) {
      if (available_.wait_until(lock, deadline) == std::cv_status::timeout) {
        return absl::UnavailableError("database connection pool exhausted; try again");
      }
    }
    if (closed_) return absl::UnavailableError("server is shutting down");
    if (!idle_.empty()) {
      *out = std::move(idle_.back());
      idle_.pop_back();
    } else {
      ++open_;
      open_new = true;
    }
    ++leased_;
    UpdateGauges();
  }
  if (metrics_ != nullptr) {
    metrics_->ObserveWait(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  if (!open_new) return absl::OkStatus();
  try {
    *out = Open();
    return absl::OkStatus();
  } catch (const std::exception& e) {
    Release(nullptr, /*broken=*/true);
    return absl::UnavailableError(absl::StrCat("database unreachable: ", e.what()));
  }
}

void ConnectionPool::Release(std::unique_ptr<pqxx::connection> conn, bool broken) {
  {
    std::lock_guard lock(mu_);
    --leased_;
    if (broken || closed_ || conn == nullptr || !conn->is_open()) {
      --open_;
      if (broken) {
        // A lost connection usually means the server restarted: the idle ones are stale too.
        open_ -= static_cast<int>(idle_.size());
        idle_.clear();
      }
    } else {
      idle_.push_back(std::move(conn));
      conn = nullptr;
    }
    UpdateGauges();
  }
  // After a loss several slots may have come free at once.
  if (broken) {
    available_.notify_all();
  } else {
    available_.notify_one();
  }
}

absl::Status ConnectionPool::WithConnection(
    const std::function<absl::Status(pqxx::connection&)>& body) {
  std::unique_ptr<pqxx::connection> conn;
  if (auto status = Acquire(&conn); !status.ok()) return status;
  absl::Status result;
  bool broken = false;
  try {
    result = body(*conn);
  } catch (const pqxx::broken_connection& e) {
    broken = true;
    result = absl::UnavailableError(absl::StrCat("database connection lost: ", e.what()));
  } catch (const std::exception& e) {
    result = absl::InternalError(absl::StrCat("database error: ", e.what()));
  }
  Release(std::move(conn), broken);
  return result;
}

namespace {

// SQLSTATEs that say "not now" rather than "not this": a statement timeout or cancel, a server
// shutting down or starting, a read-only server (after a failover), a lock not available, or
// insufficient resources. Retrying later can succeed; the caller's request was not at fault.
bool Transient(const std::string& sqlstate) {
  static const char* const kTransient[] = {"57014", "57P01", "57P02", "57P03", "25006", "55P03"};
  for (const char* state : kTransient) {
    if (sqlstate == state) return true;
  }
  return sqlstate.rfind("53", 0) == 0;  // class 53: insufficient resources
}

}  // namespace

absl::Status ConnectionPool::Transact(const std::function<absl::Status(pqxx::work&)>& body) {
  absl::Status last;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    std::unique_ptr<pqxx::connection> conn;
    if (auto status = Acquire(&conn); !status.ok()) return status;
    bool broken = false;
    bool retry = false;
    try {
      pqxx::work tx(*conn);
      last = body(tx);
      if (last.ok()) tx.commit();
    } catch (const pqxx::in_doubt_error& e) {
      // The commit may or may not have happened: never retry blindly.
      broken = true;
      last = absl::UnavailableError(
          absl::StrCat("database connection lost during commit; outcome unknown: ", e.what()));
    } catch (const pqxx::broken_connection& e) {
      broken = true;
      retry = true;
      last = absl::UnavailableError(absl::StrCat("database connection lost: ", e.what()));
    } catch (const pqxx::serialization_failure& e) {
      retry = true;
      last = absl::AbortedError(absl::StrCat("concurrent update; try again: ", e.what()));
    } catch (const pqxx::deadlock_detected& e) {
      retry = true;
      last = absl::AbortedError(absl::StrCat("concurrent update; try again: ", e.what()));
    } catch (const pqxx::unique_violation& e) {
      // A constraint the store relies on caught a race the checks did not; the retry sees it.
      retry = true;
      last = absl::AbortedError(absl::StrCat("concurrent update; try again: ", e.what()));
    } catch (const pqxx::sql_error& e) {
      last = Transient(e.sqlstate())
                 ? absl::UnavailableError(absl::StrCat("database busy; try again: ", e.what()))
                 : absl::InternalError(absl::StrCat("database error: ", e.what()));
    } catch (const std::exception& e) {
      last = absl::InternalError(absl::StrCat("database error: ", e.what()));
    }
    Release(std::move(conn), broken);
    if (!retry) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(5 * attempt * attempt));
  }
  return last;
}

absl::Status ConnectionPool::Ping() {
  return WithConnection([](pqxx::connection& conn) {
    pqxx::nontransaction tx(conn);
    tx.exec("SELECT 1");
    return absl::OkStatus();
  });
}

}  // namespace fs
