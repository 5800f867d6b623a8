#include "tests/support/test_database.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <pqxx/pqxx>
#include <random>
#include <regex>

#include "absl/strings/str_cat.h"

namespace fs::testing {
namespace {

struct UrlParts {
  std::string user;
  std::string host;
  std::string database;
};

UrlParts SplitUrl(const std::string& url) {
  static const std::regex kUrl("^postgres(?:ql)?://([^@/]+)@([^/]+)/([^?]+)$");
  std::smatch m;
  if (!std::regex_match(url, m, kUrl)) {
    std::cerr << "FS_TEST_DB_URL must look like postgresql://user@host:port/db, got " << url
              << "\n";
    std::abort();
  }
  return {m[1], m[2], m[3]};
}

}  // namespace

std::string TestClusterUrl() {
  const char* url = std::getenv("FS_TEST_DB_URL");
  if (url == nullptr || *url == '\0') {
    std::cerr << "FS_TEST_DB_URL is not set: run integration tests through `make test`\n";
    std::abort();
  }
  return url;
}

TestDatabase::TestDatabase(const std::string& service) {
  server_admin_url_ = TestClusterUrl();
  UrlParts parts = SplitUrl(server_admin_url_);
  static std::atomic<int> counter{0};
  std::random_device random;
  name_ = absl::StrCat("t_", service, "_", getpid(), "_", counter++, "_", random() % 100000);
  std::string role = absl::StrCat("fs_", service);
  {
    pqxx::connection conn(server_admin_url_);
    // Roles are cluster-wide: make sure the service's roles exist even on a bare cluster. Two
    // tests creating one at once race on the catalog: serialise with an advisory lock.
    pqxx::work roles(conn);
    roles.exec("SELECT pg_advisory_xact_lock(hashtext('fs_test_roles'))");
    for (const std::string& name : {role, role + "_app"}) {
      roles.exec(absl::StrCat(
          "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ", roles.quote(name),
          ") THEN CREATE ROLE ", roles.quote_name(name), " LOGIN; END IF; END $$"));
    }
    roles.commit();
    pqxx::nontransaction tx(conn);
    tx.exec(absl::StrCat("CREATE DATABASE ", tx.quote_name(name_)));
  }
  admin_url_ = absl::StrCat("postgresql://", parts.user, "@", parts.host, "/", name_);
  owner_url_ = absl::StrCat("postgresql://", role, "@", parts.host, "/", name_);
  service_url_ = absl::StrCat("postgresql://", role, "_app@", parts.host, "/", name_);
  pqxx::connection conn(admin_url_);
  pqxx::nontransaction tx(conn);
  tx.exec("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
  tx.exec(absl::StrCat("CREATE SCHEMA ", tx.quote_name(service), " AUTHORIZATION ",
                       tx.quote_name(role)));
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection conn(server_admin_url_);
    pqxx::nontransaction tx(conn);
    tx.exec(absl::StrCat("DROP DATABASE IF EXISTS ", tx.quote_name(name_), " WITH (FORCE)"));
  } catch (const std::exception& e) {
    std::cerr << "could not drop test database " << name_ << ": " << e.what() << "\n";
  }
}

}  // namespace fs::testing
