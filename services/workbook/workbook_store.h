#pragma once

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "common/db_pool.h"
#include "fs/workbook/v1/workbook.pb.h"
#include "services/workbook/chronology.h"

// The workbook's SQL: the projection of case_records events, entries with their revisions,
// search, chronology and parenting assessments. Every read of entries for a practitioner goes
// through one visibility predicate (the entry_visible() function of the schema).
namespace fs::workbook {

// Whose eyes a query is for.
struct Viewer {
  std::string id;                          // practitioner id
  std::vector<std::string> managed_teams;  // teams the caller manages (team managers only)
  bool perpetrator_worker = false;         // the caller's role is DA perpetrator worker
};

struct CaseRow {
  std::string id;
  std::string team;
  std::string state;
};

struct EntryFilter {
  std::vector<std::string> kinds;  // storage names; empty: all
  std::string state;               // "" all
  int module = 0;                  // 0 all
  std::string subject;             // person id; "" all
  int64_t after_micros = 0;        // 0: no bound
  int64_t before_micros = 0;
  std::string author;
};

struct ChronologyFilter {
  std::string person;                    // person id; "" the whole family
  std::vector<std::string> kinds;        // chronology kind names; empty: all
  std::vector<std::string> entry_kinds;  // entry kind names; empty: all
  int64_t after_micros = 0;
  int64_t before_micros = 0;
};

template <typename T>
struct Counted {
  std::vector<T> items;
  int total = 0;
};

class WorkbookStore {
 public:
  static std::vector<PreparedStatement> Statements();

  // ---- Projection (written by the event handler) ----
  static std::optional<CaseRow> FindCase(pqxx::work& tx, const std::string& id, bool lock);
  static void InsertCase(pqxx::work& tx, const std::string& id, const std::string& team);
  static void SetCaseState(pqxx::work& tx, const std::string& id, const std::string& state);
  static void SetCaseTeam(pqxx::work& tx, const std::string& id, const std::string& team);
  static void StartAllocation(pqxx::work& tx, const std::string& allocation_id,
                              const std::string& case_id, const std::string& practitioner,
                              const std::string& role);
  static void EndAllocation(pqxx::work& tx, const std::string& allocation_id);
  static void UpsertPerson(pqxx::work& tx, const std::string& case_id, const std::string& person_id,
                           const std::string& kind);
  static void InsertHistory(pqxx::work& tx, const std::string& case_id, const std::string& event_id,
                            const HistoryItem& item);

  static bool IsAllocated(pqxx::work& tx, const std::string& case_id,
                          const std::string& practitioner);
  static bool WasEverAllocated(pqxx::work& tx, const std::string& case_id,
                               const std::string& practitioner);
  // The practitioner's active MDT roles on the case (storage names).
  static std::vector<std::string> AllocatedRoles(pqxx::work& tx, const std::string& case_id,
                                                 const std::string& practitioner);
  // person id -> "CHILD" / "ADULT".
  static std::vector<std::pair<std::string, std::string>> People(pqxx::work& tx,
                                                                 const std::string& case_id);

  // ---- Entries ----
  // Inserts a draft; returns its id.
  static std::string InsertEntry(pqxx::work& tx, const std::string& case_id, const v1::Entry& entry,
                                 const std::string& author);
  // The entry whatever its visibility (callers decide with EntryVisible).
  static std::optional<v1::Entry> FindEntry(pqxx::work& tx, const std::string& case_id,
                                            const std::string& entry_id, bool lock);
  static bool EntryVisible(pqxx::work& tx, const std::string& entry_id, const Viewer& viewer);
  // Writes the content of a draft (still DRAFT).
  static void UpdateDraft(pqxx::work& tx, const v1::Entry& entry);
  // Makes the content final as `entry.revision()` (1 on finalisation, +1 on a correction),
  // adding its revision row.
  static void WriteRevision(pqxx::work& tx, const v1::Entry& entry, const std::string& revised_by,
                            const std::string& reason);
  static void SignOff(pqxx::work& tx, const std::string& entry_id, int revision,
                      const std::string& by);
  // Revisions oldest first; the content of one the viewer may not see is withheld.
  static std::vector<v1::EntryRevision> History(pqxx::work& tx, const std::string& entry_id,
                                                const Viewer& viewer);

  static Counted<v1::Entry> ListEntries(pqxx::work& tx, const std::string& case_id,
                                        const Viewer& viewer, const EntryFilter& filter, int offset,
                                        int limit);

  struct SearchHit {
    v1::Entry entry;
    float rank = 0;
    std::string headline;
  };
  // Within one case (case_id given) or every case the viewer is allocated to or manages.
  static Counted<SearchHit> Search(pqxx::work& tx, const std::string& case_id, const Viewer& viewer,
                                   const std::string& query, int offset, int limit);

  static Counted<v1::ChronologyItem> Chronology(pqxx::work& tx, const std::string& case_id,
                                                const Viewer& viewer,
                                                const ChronologyFilter& filter, int offset,
                                                int limit);

  // ---- Parenting assessments ----
  static std::string InsertAssessment(pqxx::work& tx, const std::string& case_id,
                                      const std::string& person_id, const std::string& assessor,
                                      const v1::ParentingAssessment& assessment);
  static bool HasDraftAssessment(pqxx::work& tx, const std::string& case_id,
                                 const std::string& person_id);
  static std::optional<v1::ParentingAssessment> FindAssessment(pqxx::work& tx,
                                                               const std::string& case_id,
                                                               const std::string& id, bool lock);
  // With each its list key (page after it).
  static std::vector<std::pair<v1::ParentingAssessment, int64_t>> ListAssessments(
      pqxx::work& tx, const std::string& case_id, int64_t after_seq, int limit);
  static void UpdateAssessmentText(pqxx::work& tx, const v1::ParentingAssessment& assessment);
  // Freezes `signed` (with its compiled evidence) as the signed-off revision.
  static void SignOffAssessment(pqxx::work& tx, const v1::ParentingAssessment& signed_off,
                                const std::string& by);
  static void ReviseAssessment(pqxx::work& tx, const std::string& id, const std::string& reason);
  static std::vector<v1::ParentingAssessment> AssessmentHistory(pqxx::work& tx,
                                                                const std::string& id);
  // The evidence compiled for a parent from finalised NORMAL entries.
  static std::vector<v1::ModuleWork> ModuleWorkOf(pqxx::work& tx, const std::string& case_id,
                                                  const std::string& person_name);
  static std::vector<v1::ScorePoint> ScoresOf(pqxx::work& tx, const std::string& case_id,
                                              const std::string& person_name);
};

}  // namespace fs::workbook
