#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "common/db_pool.h"
#include "common/pagination.h"
#include "fs/cases/v1/case_records.pb.h"

// The case-records repository: SQL through prepared statements, each method inside the RPC's
// one transaction. Records travel as the API's protobuf messages; no gRPC type enters here.
namespace fs::cases {

// A Family Safeguarding role as stored and published ("LEAD_SOCIAL_WORKER"), and back.
std::string RoleText(v1::FamilySafeguardingRole role);
v1::FamilySafeguardingRole RoleFromText(const std::string& text);

template <typename T>
struct Listed {
  std::vector<T> items;
  int64_t last_key = 0;
  bool more = false;
};

// A person found by "search before create".
struct PersonCandidate {
  std::string name;
  std::string case_id;
  std::string case_team;
  std::string given_name;
  std::string family_name;
  std::string birth_date;  // or the expected birth date
};

class CaseStore {
 public:
  static std::vector<PreparedStatement> Statements();

  // Cases. Ids are UUID text; a malformed id simply finds nothing.
  static std::optional<v1::Case> FindCase(pqxx::work& tx, const std::string& id, bool lock);
  static std::string InsertCase(pqxx::work& tx, const v1::Case& c, const std::string& by);
  static void UpdateCaseDetails(pqxx::work& tx, const v1::Case& c);
  static void ChangeState(pqxx::work& tx, const std::string& id, const std::string& from,
                          const std::string& to, const std::string& by);
  static void CloseCase(pqxx::work& tx, const std::string& id, const std::string& closure_date,
                        const std::string& reason, const std::string& from_state,
                        const std::string& by);
  static void ReopenCase(pqxx::work& tx, const std::string& id, const std::string& referral_date,
                         const std::string& referral_source, const std::string& by);
  static int CountOpenPlans(pqxx::work& tx, const std::string& case_id);
  // Open cases counted by (team, state).
  static std::map<std::pair<std::string, std::string>, long long> OpenCaseCounts(pqxx::work& tx);
  static int CountOpenEpisodes(pqxx::work& tx, const std::string& case_id);
  // Cases a practitioner is allocated to or whose team they manage.
  static Listed<v1::Case> ListCasesFor(pqxx::work& tx, const std::string& practitioner,
                                       const std::vector<std::string>& managed_teams,
                                       const std::string& state, const Page& page);

  // Allocations.
  static bool IsAllocated(pqxx::work& tx, const std::string& case_id,
                          const std::string& practitioner);
  static v1::Allocation InsertAllocation(pqxx::work& tx, const std::string& case_id,
                                         const std::string& practitioner, const std::string& role,
                                         const std::string& team);
  static std::optional<v1::Allocation> FindAllocation(pqxx::work& tx, const std::string& case_id,
                                                      const std::string& id);
  static std::optional<v1::Allocation> FindActiveAllocation(pqxx::work& tx,
                                                            const std::string& case_id,
                                                            const std::string& practitioner,
                                                            const std::string& role);
  static std::optional<v1::Allocation> ActiveLead(pqxx::work& tx, const std::string& case_id);
  // Waits for writers of the case (a lead handover holds it FOR UPDATE) and keeps it from
  // changing until commit.
  static void LockCaseShared(pqxx::work& tx, const std::string& case_id);
  static v1::Allocation EndAllocation(pqxx::work& tx, const std::string& id,
                                      const std::string& reason);
  // Ends every active allocation of the case and returns them as ended.
  static std::vector<v1::Allocation> EndAllAllocations(pqxx::work& tx, const std::string& case_id,
                                                       const std::string& reason);
  static Listed<v1::Allocation> ListAllocations(pqxx::work& tx, const std::string& case_id,
                                                bool include_ended, const Page& page);
  // The practitioner's active allocations; with `only_teams`, only those on cases of these teams.
  static Listed<v1::CaseloadItem> ListCaseload(
      pqxx::work& tx, const std::string& practitioner,
      const std::optional<std::vector<std::string>>& only_teams, const Page& page);

  // People.
  static std::string InsertPerson(pqxx::work& tx, const std::string& case_id,
                                  const v1::Person& person, const std::string& given_key,
                                  const std::string& family_key);
  static void UpdatePerson(pqxx::work& tx, const std::string& id, const v1::Person& person,
                           const std::string& given_key, const std::string& family_key);
  static void ReplaceRelationships(pqxx::work& tx, const std::string& adult_id,
                                   const v1::Person& person);
  static std::optional<v1::Person> FindPerson(pqxx::work& tx, const std::string& case_id,
                                              const std::string& id, bool lock);
  static Listed<v1::Person> ListPeople(pqxx::work& tx, const std::string& case_id,
                                       const Page& page);
  static std::vector<PersonCandidate> FindByNhsNumber(pqxx::work& tx, const std::string& nhs);
  // Candidates whose normalised given or family name is one of the keys, born on one of dates.
  static std::vector<PersonCandidate> FindByNameKeys(pqxx::work& tx,
                                                     const std::vector<std::string>& keys,
                                                     const std::vector<std::string>& dates,
                                                     int limit);

  // Child protection plans and looked-after episodes.
  static int CountPlans(pqxx::work& tx, const std::string& person_id);
  static v1::ChildProtectionPlan InsertPlan(pqxx::work& tx, const std::string& case_id,
                                            const std::string& person_id,
                                            const v1::ChildProtectionPlan& plan,
                                            int previous_plans);
  static std::optional<v1::ChildProtectionPlan> FindPlan(pqxx::work& tx,
                                                         const std::string& person_id,
                                                         const std::string& id);
  static bool HasOpenPlan(pqxx::work& tx, const std::string& person_id);
  static v1::ChildProtectionPlan UpdatePlan(pqxx::work& tx, const std::string& id,
                                            const v1::ChildProtectionPlan& plan);
  static v1::ChildProtectionPlan EndPlan(pqxx::work& tx, const std::string& id,
                                         const std::string& end_date);
  static std::vector<v1::ChildProtectionPlan> ListPlans(pqxx::work& tx,
                                                        const std::string& person_id);
  static bool HasOpenEpisode(pqxx::work& tx, const std::string& person_id);
  static v1::LookedAfterEpisode InsertEpisode(pqxx::work& tx, const std::string& case_id,
                                              const std::string& person_id,
                                              const v1::LookedAfterEpisode& episode);
  static std::optional<v1::LookedAfterEpisode> FindEpisode(pqxx::work& tx,
                                                           const std::string& person_id,
                                                           const std::string& id);
  static v1::LookedAfterEpisode EndEpisode(pqxx::work& tx, const std::string& id,
                                           const std::string& end_date, const std::string& reason);
  static std::vector<v1::LookedAfterEpisode> ListEpisodes(pqxx::work& tx,
                                                          const std::string& person_id);

  // Alerts.
  static void InsertAlert(pqxx::work& tx, const std::string& practitioner,
                          const std::string& case_id, const std::string& person_id,
                          const std::string& message);
  static Listed<v1::Alert> ListAlerts(pqxx::work& tx, const std::string& practitioner,
                                      bool include_acknowledged, const Page& page);
  static std::optional<v1::Alert> AcknowledgeAlert(pqxx::work& tx, const std::string& practitioner,
                                                   const std::string& id);

  // Break-glass accesses recorded in the audit log.
  static Listed<v1::BreakGlassAccess> ListBreakGlass(pqxx::work& tx, const Page& page);

  // NHS look-up.
  struct ChildStatus {
    std::string case_id;
    std::string person_id;
    bool unborn = false;
    bool has_plan = false;
    std::string plan_start;
    bool looked_after = false;
  };
  // The child with this NHS number on an open case, if any.
  static std::optional<ChildStatus> FindChildStatus(pqxx::work& tx, const std::string& nhs);
  static void RecordNhsAccess(pqxx::work& tx, const std::string& nhs,
                              const std::string& organisation);
  static std::vector<v1::NhsAccess> RecentNhsAccesses(pqxx::work& tx, const std::string& nhs,
                                                      int limit);
};

}  // namespace fs::cases
