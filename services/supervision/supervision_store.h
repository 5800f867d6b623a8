#pragma once

#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/db_pool.h"
#include "fs/supervision/v1/supervision.pb.h"
#include "services/supervision/policy.h"
#include "services/supervision/scheduler.h"

// supervision's SQL: the projection of case_records events, chairs, availability, sessions.
namespace fs::supervision {

namespace v1 = ::fs::supervision::v1;

struct CaseRow {
  std::string id;
  std::string team;
  bool open = true;
  CaseTimes times;
  std::multimap<std::string, std::string> allocations;  // practitioner -> role (active)
};

class SupervisionStore {
 public:
  static std::vector<PreparedStatement> Statements();

  // ---- Projection ----
  static bool CaseExists(pqxx::work& tx, const std::string& case_id);
  static void InsertCase(pqxx::work& tx, const std::string& case_id, const std::string& team);
  static void SetTeam(pqxx::work& tx, const std::string& case_id, const std::string& team);
  static void Close(pqxx::work& tx, const std::string& case_id);
  // Open again with a clean slate: the first GCS is due M days after the next allocation.
  static void Reopen(pqxx::work& tx, const std::string& case_id);
  static void StartAllocation(pqxx::work& tx, const std::string& allocation_id,
                              const std::string& case_id, const std::string& practitioner,
                              const std::string& role, absl::Time when);
  static void EndAllocation(pqxx::work& tx, const std::string& allocation_id);

  // ---- Cases ----
  static std::optional<CaseRow> FindCase(pqxx::work& tx, const std::string& case_id);
  // Open cases of these teams, with their active allocations.
  static std::vector<CaseRow> OpenCases(pqxx::work& tx, const std::vector<std::string>& teams);
  // Whether a session of this service has held a GCS for the case.
  static bool HasHeldRecord(pqxx::work& tx, const std::string& case_id);
  // Every open case of every team (the overdue gauges).
  static std::vector<CaseRow> AllOpenCases(pqxx::work& tx);
  // The next PROPOSED or CONFIRMED session of the case from `after`, if any.
  static std::string PlannedSession(pqxx::work& tx, const std::string& case_id, absl::Time after);
  static void RecordHeld(pqxx::work& tx, const std::string& case_id, absl::Time held,
                         const std::string& next_due_date);

  // ---- Chairs ----
  static std::optional<v1::TeamChairs> FindChairs(pqxx::work& tx, const std::string& team);
  // false when the chairs changed since `read_etag` was read ("" when there were none).
  static bool UpsertChairs(pqxx::work& tx, const std::string& team, const v1::TeamChairs& chairs,
                           const std::string& read_etag);

  // ---- Availability ----
  static std::optional<v1::WorkingHours> FindWorkingHours(pqxx::work& tx,
                                                          const std::string& practitioner);
  // false when the hours changed since `read_etag` was read ("" when never set).
  static bool UpsertWorkingHours(pqxx::work& tx, const std::string& practitioner,
                                 const v1::WorkingHours& hours, const std::string& read_etag);
  static std::string InsertLeave(pqxx::work& tx, const std::string& practitioner,
                                 const v1::Leave& leave);
  static std::optional<v1::Leave> FindLeave(pqxx::work& tx, const std::string& practitioner,
                                            const std::string& id);
  static void DeleteLeave(pqxx::work& tx, const std::string& id);
  static std::vector<v1::Leave> ListLeave(pqxx::work& tx, const std::string& practitioner);
  static std::string InsertBusy(pqxx::work& tx, const std::string& practitioner, absl::Time start,
                                absl::Time end, const std::string& source);
  static std::optional<v1::BusyBlock> FindBusy(pqxx::work& tx, const std::string& practitioner,
                                               const std::string& id);
  static void DeleteBusy(pqxx::work& tx, const std::string& id);
  // Imported (ical) busy time overlapping [start, end) is removed.
  static void DeleteImportedBusy(pqxx::work& tx, const std::string& practitioner, absl::Time start,
                                 absl::Time end);
  static std::vector<v1::BusyBlock> ListBusy(pqxx::work& tx, const std::string& practitioner,
                                             absl::Time start, absl::Time end);
  // Everything the scheduler needs to know of these people's time in [start, end).
  static std::map<std::string, Availability> LoadAvailability(
      pqxx::work& tx, const std::vector<std::string>& practitioners, absl::Time start,
      absl::Time end);

  // ---- Sessions ----
  static std::optional<v1::Session> FindSession(pqxx::work& tx, const std::string& id, bool lock);
  // Sessions overlapping [start, end), optionally of one team / attended or chaired by one
  // practitioner / in one state ("" for any), by start time.
  static std::vector<v1::Session> ListSessions(pqxx::work& tx, const std::string& team,
                                               const std::string& practitioner, absl::Time start,
                                               absl::Time end, const std::string& state,
                                               int64_t after_seq, int limit, int64_t* last_seq);
  static void DeleteProposed(pqxx::work& tx, const std::string& team, absl::Time start,
                             absl::Time end);
  static std::string InsertSession(pqxx::work& tx, const v1::Session& session);
  static void RemoveCase(pqxx::work& tx, const std::string& session_id, const std::string& case_id);
  static void SetState(pqxx::work& tx, const std::string& session_id, const std::string& state,
                       const std::string& cancel_reason, bool bump_sequence);
  static void RecordSession(pqxx::work& tx, const std::string& session_id,
                            const std::vector<std::string>& attended,
                            const std::map<std::string, v1::CaseRecord>& records);
};

}  // namespace fs::supervision
