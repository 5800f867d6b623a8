#pragma once

#include <string>

namespace fs::testing {

// A throwaway database on the test cluster (FS_TEST_DB_URL, a superuser URL that
// scripts/test.sh exports) set up as scripts/db-init.sql sets up the real one: the service's
// schema owned by fs_<service>, and a runtime role fs_<service>_app. Dropped on destruction.
class TestDatabase {
 public:
  explicit TestDatabase(const std::string& service);
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  // The runtime role's URL (what --db_url gets in production).
  const std::string& service_url() const { return service_url_; }
  // The schema owner's URL (what --migration_db_url gets).
  const std::string& owner_url() const { return owner_url_; }
  // The superuser URL for the same database (for assertions the service role cannot make).
  const std::string& admin_url() const { return admin_url_; }
  const std::string& name() const { return name_; }

 private:
  std::string server_admin_url_;
  std::string admin_url_;
  std::string service_url_;
  std::string owner_url_;
  std::string name_;
};

// The superuser URL of the test cluster; aborts the test binary when FS_TEST_DB_URL is unset,
// since integration tests must never pass without a database.
std::string TestClusterUrl();

}  // namespace fs::testing
