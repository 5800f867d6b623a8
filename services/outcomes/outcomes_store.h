#pragma once

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/db_pool.h"
#include "common/pagination.h"
#include "fs/events/v1/events.pb.h"
#include "fs/outcomes/v1/outcomes.pb.h"
#include "services/outcomes/indicators.h"

// outcomes' SQL: the projection of the services' events, the partners' reports, the front door.
namespace fs::outcomes {

namespace ev = ::fs::events::v1;

// A person of a case a report names: open on the day it happened, or open now.
struct Match {
  std::string case_id;
  std::string person_id;
  std::string kind;  // "CHILD" or "ADULT"
  bool open_now = false;
  std::string nhs_number;  // as recorded ("" when not)
};

// A stored report: its id, what it was sent with, and the acknowledgement it got.
struct StoredReport {
  std::string id;
  std::string content_hash;
  v1::IntakeAcknowledgement acknowledgement;
};

struct FrontDoorPage {
  std::vector<v1::FrontDoorItem> items;
  int64_t last_key = 0;
  bool more = false;
  int waiting = 0;
  int overdue = 0;
};

class OutcomesStore {
 public:
  static std::vector<PreparedStatement> Statements();

  // ---- Projection (each call inside the inbox transaction) ----
  static bool CaseExists(pqxx::work& tx, const std::string& case_id);
  static void OpenCase(pqxx::work& tx, const std::string& case_id, const std::string& team,
                       const std::string& referral_date, absl::Time when);
  static void ChangeTeam(pqxx::work& tx, const std::string& case_id, const std::string& team,
                         absl::Time when);
  static void CloseCase(pqxx::work& tx, const std::string& case_id,
                        const std::string& closure_date);
  static void ReopenCase(pqxx::work& tx, const std::string& case_id,
                         const std::string& referral_date);
  static void UpsertPerson(pqxx::work& tx, const std::string& case_id, const std::string& person_id,
                           const ev::PersonFacts& facts);
  static void StartAllocation(pqxx::work& tx, const std::string& allocation_id,
                              const std::string& case_id, const std::string& practitioner,
                              const std::string& role);
  static void EndAllocation(pqxx::work& tx, const std::string& allocation_id);
  // A CP plan or looked-after episode, started or ended ("" end: running).
  static void UpsertPlan(pqxx::work& tx, const std::string& plan_id, const std::string& case_id,
                         const std::string& person_id, const std::string& start,
                         const std::string& end);
  static void UpsertEpisode(pqxx::work& tx, const std::string& episode_id,
                            const std::string& case_id, const std::string& person_id,
                            const std::string& start, const std::string& end);
  // The latest revision of a module session entry wins; an older one changes nothing.
  static void UpsertModuleSession(pqxx::work& tx, const std::string& entry,
                                  const std::string& case_id, int module, absl::Time occur,
                                  int revision);
  // A revision of the entry that is no longer a module session: remembered, so that an older
  // revision arriving later changes nothing.
  static void RemoveModuleSession(pqxx::work& tx, const std::string& entry, int revision);
  static void InsertGcsHeld(pqxx::work& tx, const std::string& case_id, const std::string& session,
                            absl::Time held, bool on_time);

  // ---- Matching: people of cases open on `day` (the closure day included) or now ----
  static std::vector<Match> MatchNhsNumber(pqxx::work& tx, const std::string& nhs_number,
                                           absl::CivilDay day);
  static std::vector<Match> MatchNameKeys(pqxx::work& tx, const std::vector<std::string>& keys,
                                          absl::CivilDay day);
  static std::optional<Match> PersonOfOpenCase(pqxx::work& tx, const std::string& case_id,
                                               const std::string& person_id);

  // ---- Police incidents ----
  // The incident already reported under (force, reference), waiting for a concurrent insert of
  // it to commit.
  static std::optional<StoredReport> FindIncident(pqxx::work& tx, const std::string& force,
                                                  const std::string& reference);
  // Inserts unless (force, reference) exists; nullopt then (the caller reads the first).
  static std::optional<StoredReport> InsertIncident(pqxx::work& tx, const std::string& force,
                                                    const v1::ReportDomesticAbuseIncidentRequest& r,
                                                    const std::string& content_hash,
                                                    absl::Time respond_by);
  static void InsertIncidentMatch(pqxx::work& tx, const std::string& incident_id,
                                  const Match& match, const std::string& matched_by,
                                  absl::CivilDay incident_day);
  static std::vector<v1::IntakeAcknowledgement> ListIncidentAcknowledgements(
      pqxx::work& tx, const std::string& force, const Page& page, int64_t* last_key);

  // The full report, its receipt, respond-by time and matches (nullopt when unknown).
  static std::optional<v1::Incident> FindIncidentById(pqxx::work& tx, const std::string& id);
  // Whether `practitioner` is allocated (now) to `case_id` in one of `roles`.
  static bool AllocatedAs(pqxx::work& tx, const std::string& case_id,
                          const std::string& practitioner, const std::vector<std::string>& roles);
  // The case's team now.
  static std::string CurrentTeam(pqxx::work& tx, const std::string& case_id);

  // ---- NHS admissions ----
  static std::optional<StoredReport> FindAdmission(pqxx::work& tx, const std::string& org,
                                                   const std::string& reference);
  static std::optional<StoredReport> InsertAdmission(pqxx::work& tx, const std::string& org,
                                                     const v1::ReportEmergencyAdmissionRequest& r,
                                                     const std::string& content_hash, int people);
  static void InsertAdmissionMatch(pqxx::work& tx, const std::string& admission_id,
                                   const Match& match, const std::string& date);
  static std::vector<v1::IntakeAcknowledgement> ListAdmissionAcknowledgements(
      pqxx::work& tx, const std::string& org, const Page& page, int64_t* last_key);

  // ---- Front door ----
  static void InsertFrontDoorItem(pqxx::work& tx, const std::string& incident_id);
  // The incident waits for the front door unless it already has an item (or is unknown here).
  static void EnsureFrontDoorItem(pqxx::work& tx, const std::string& incident_id);
  static std::optional<v1::FrontDoorItem> FindFrontDoorItem(pqxx::work& tx, const std::string& id,
                                                            bool lock);
  static FrontDoorPage ListFrontDoorItems(pqxx::work& tx, bool include_resolved, const Page& page,
                                          absl::Time now);
  static void ResolveFrontDoorItem(pqxx::work& tx, const std::string& id, const std::string& state,
                                   const std::string& linked_person, const std::string& reason,
                                   const std::string& by);
  // Waiting items, and those of them past their respond-by time (the ops gauges).
  static std::pair<int, int> FrontDoorCounts(pqxx::work& tx, absl::Time now);

  // ---- Indicators ----
  static Dataset LoadDataset(pqxx::work& tx);
  // When the newest event was applied (nullopt before the first).
  static std::optional<absl::Time> DataAsOf(pqxx::work& tx);
  // Whether any case was ever of the team (so an unknown team is NOT_FOUND, not zeros).
  static bool TeamKnown(pqxx::work& tx, const std::string& team);
};

}  // namespace fs::outcomes
