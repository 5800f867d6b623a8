#include "services/workbook/workbook_store.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/idempotency.h"
#include "common/resource_name.h"
#include "common/sql_values.h"
#include "services/workbook/entry_rules.h"

namespace fs::workbook {
namespace {

using google::protobuf::util::JsonStringToMessage;
using google::protobuf::util::MessageToJsonString;
using google::protobuf::util::TimeUtil;
namespace cv1 = ::fs::cases::v1;

std::string Micros(absl::string_view column) {
  return absl::StrCat("coalesce((extract(epoch FROM ", column, ") * 1000000)::bigint, 0)");
}

// Columns of an entry, in the order RowToEntry reads them.
const std::string& EntryColumns() {
  static const std::string columns = absl::StrCat(
      "e.entry_id::text, e.case_id, e.kind, e.state, e.visibility, "
      "array_to_string(e.sealed_roles, ','), e.author, ",
      Micros("e.occur_time"), ", ", Micros("e.record_time"),
      ", e.module, e.significant, array_to_string(e.subjects, ','), "
      "(SELECT coalesce(string_agg(s::text, E'\\n'), '') FROM jsonb_array_elements("
      "e.scaling_scores) s), e.title, e.body, e.revision, ",
      Micros("e.finalise_time"), ", coalesce(e.signed_off_by, ''), ", Micros("e.sign_off_time"),
      ", ", Micros("e.update_time"), ", e.version");
  return columns;
}
constexpr int kEntryColumnCount = 21;

// The visibility predicate for viewer $v, managed teams $m and perpetrator flag $p.
std::string Visible(int v, int m, int p) {
  return absl::StrCat("entry_visible(e.state, e.visibility, e.sealed_roles, e.author, $", v,
                      ", viewer_roles(e.case_id, $", v, ", $", m, "::text[]), $", p, ")");
}

google::protobuf::Timestamp FromMicros(int64_t micros) {
  return TimeUtil::MicrosecondsToTimestamp(micros);
}

int64_t ToMicros(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMicroseconds(t);
}

std::string RoleName(int role) {
  std::string name = cv1::FamilySafeguardingRole_Name(role);
  return name.substr(std::string("FAMILY_SAFEGUARDING_ROLE_").size());
}

cv1::FamilySafeguardingRole RoleFromName(absl::string_view name) {
  cv1::FamilySafeguardingRole role = cv1::FAMILY_SAFEGUARDING_ROLE_UNSPECIFIED;
  cv1::FamilySafeguardingRole_Parse(absl::StrCat("FAMILY_SAFEGUARDING_ROLE_", name), &role);
  return role;
}

std::string ScoresJson(const v1::Entry& entry) {
  std::vector<std::string> parts;
  for (const auto& score : entry.scaling_scores()) parts.push_back(ToJson(score));
  return absl::StrCat("[", absl::StrJoin(parts, ","), "]");
}

std::vector<std::string> SubjectIds(const v1::Entry& entry) {
  std::vector<std::string> ids;
  for (const auto& subject : entry.subjects()) ids.push_back(LastSegment(subject));
  return ids;
}

std::vector<std::string> SealedRoleNames(const v1::Entry& entry) {
  std::vector<std::string> names;
  for (int role : entry.sealed_for_roles()) names.push_back(RoleName(role));
  return names;
}

v1::Entry RowToEntry(const pqxx::row& r, int first = 0) {
  auto f = [&](int i) { return r[first + i]; };
  v1::Entry e;
  std::string case_id = f(1).as<std::string>();
  e.set_name(absl::StrCat("cases/", case_id, "/entries/", f(0).as<std::string>()));
  e.set_kind(KindFromName(f(2).as<std::string>()));
  e.set_state(StateFromName(f(3).as<std::string>()));
  e.set_visibility(VisibilityFromName(f(4).as<std::string>()));
  for (const auto& role : SplitCommas(f(5).as<std::string>()))
    e.add_sealed_for_roles(RoleFromName(role));
  e.set_author(f(6).as<std::string>());
  *e.mutable_occur_time() = FromMicros(f(7).as<int64_t>());
  *e.mutable_record_time() = FromMicros(f(8).as<int64_t>());
  e.set_module(f(9).as<int>());
  e.set_significant(f(10).as<bool>());
  for (const auto& person : SplitCommas(f(11).as<std::string>())) {
    e.add_subjects(absl::StrCat("cases/", case_id, "/people/", person));
  }
  std::string scores = f(12).as<std::string>();
  if (!scores.empty()) {
    for (absl::string_view line : absl::StrSplit(scores, '\n')) {
      *e.add_scaling_scores() = FromJson<v1::ScalingScore>(std::string(line));
    }
  }
  e.set_title(f(13).as<std::string>());
  e.set_text(f(14).as<std::string>());
  e.set_revision(f(15).as<int>());
  if (int64_t t = f(16).as<int64_t>()) *e.mutable_finalise_time() = FromMicros(t);
  e.set_signed_off_by(f(17).as<std::string>());
  if (int64_t t = f(18).as<int64_t>()) *e.mutable_sign_off_time() = FromMicros(t);
  *e.mutable_update_time() = FromMicros(f(19).as<int64_t>());
  e.set_etag(absl::StrCat("v", f(20).as<int64_t>()));
  return e;
}

// Entry filters of ListEntries: $5 kinds, $6 state, $7 module, $8 subject, $9 after, $10
// before, $11 author (viewer $2, managed teams $3, perpetrator flag $4, case $1).
const std::string& ListWhere() {
  static const std::string where =
      absl::StrCat("FROM entries e WHERE e.case_id = $1 AND ", Visible(2, 3, 4),
                   " AND ($5::text[] = '{}' OR e.kind = ANY ($5::text[]))"
                   " AND ($6 = '' OR e.state = $6)"
                   " AND ($7::integer = 0 OR e.module = $7)"
                   " AND ($8 = '' OR e.subjects @> ARRAY[$8]::text[])"
                   " AND ($9::bigint = 0 OR e.occur_time >= to_timestamp($9 / 1000000.0))"
                   " AND ($10::bigint = 0 OR e.occur_time < to_timestamp($10 / 1000000.0))"
                   " AND ($11 = '' OR e.author = $11)");
  return where;
}

// Search: $1 query, $2 viewer, $3 managed, $4 perpetrator flag, $5 case. Within one case, or
// across the caseload: the cases the viewer is allocated to or manages, found first by index.
std::string SearchWhere(bool caseload) {
  return absl::StrCat(
      "FROM entries e, websearch_to_tsquery('english', $1) q WHERE e.search @@ q AND ",
      caseload ? "$5 = '' AND e.case_id IN (SELECT a.case_id FROM allocations a WHERE "
                 "a.practitioner = $2 AND a.active UNION SELECT c.case_id FROM cases c WHERE "
                 "c.team = ANY ($3::text[]))"
               : "e.case_id = $5",
      " AND ", Visible(2, 3, 4));
}

std::string SearchSql(bool caseload) {
  return absl::StrCat("SELECT ", EntryColumns(),
                      ", ts_rank_cd(e.search, q), ts_headline('english', translate(e.title || "
                      "E'\\n' || e.body, '<>', U&'\\E000\\E001'), q, $6) ",
                      SearchWhere(caseload),
                      " ORDER BY ts_rank_cd(e.search, q) DESC, e.occur_time DESC, e.seq DESC "
                      "LIMIT $7 OFFSET $8");
}

// Chronology: $1 case, $2 viewer, $3 managed, $4 perpetrator, $5 person ("" family), $6 kinds,
// $7 entry kinds, $8 after, $9 before.
const std::string& ChronologyUnion() {
  static const std::string sql = absl::StrCat(
      "SELECT 'ENTRY' AS kind, e.kind AS entry_kind, e.entry_id::text AS entry_id, e.title, "
      "e.body AS text, array_to_string(e.subjects, ',') AS people, e.author AS recorded_by, ",
      Micros("e.occur_time"),
      " AS micros, false AS date_only, e.seq AS seq, 0 AS source "
      "FROM entries e WHERE e.case_id = $1 AND e.significant AND e.state <> 'DRAFT' AND ",
      Visible(2, 3, 4),
      " AND ($5 = '' OR e.subjects = '{}' OR e.subjects @> ARRAY[$5]::text[])"
      " AND ($6::text[] = '{}' OR 'ENTRY' = ANY ($6::text[]))"
      " AND ($7::text[] = '{}' OR e.kind = ANY ($7::text[]))"
      " AND ($8::bigint = 0 OR e.occur_time >= to_timestamp($8 / 1000000.0))"
      " AND ($9::bigint = 0 OR e.occur_time < to_timestamp($9 / 1000000.0))"
      " UNION ALL "
      "SELECT h.kind, '', '', '', h.summary, coalesce(h.person_id, ''), h.recorded_by, ",
      Micros("h.occur_time"),
      ", h.date_only, h.seq, 1 FROM case_history h WHERE h.case_id = $1"
      " AND ($5 = '' OR h.person_id IS NULL OR h.person_id = $5)"
      " AND ($6::text[] = '{}' OR h.kind = ANY ($6::text[]))"
      " AND ($8::bigint = 0 OR h.occur_time >= to_timestamp($8 / 1000000.0))"
      " AND ($9::bigint = 0 OR h.occur_time < to_timestamp($9 / 1000000.0))");
  return sql;
}

const std::string& AssessmentColumns() {
  static const std::string columns = absl::StrCat(
      "a.assessment_id::text, a.case_id, a.person_id, a.assessor, a.state, a.analysis, "
      "a.conclusion, a.revision, a.revision_reason, ",
      Micros("a.create_time"), ", ", Micros("a.update_time"), ", coalesce(a.signed_off_by, ''), ",
      Micros("a.sign_off_time"), ", a.version, a.seq");
  return columns;
}

v1::ParentingAssessment RowToAssessment(const pqxx::row& r) {
  v1::ParentingAssessment a;
  std::string case_id = r[1].as<std::string>();
  a.set_name(absl::StrCat("cases/", case_id, "/parentingAssessments/", r[0].as<std::string>()));
  a.set_person(absl::StrCat("cases/", case_id, "/people/", r[2].as<std::string>()));
  a.set_assessor(r[3].as<std::string>());
  a.set_state(r[4].as<std::string>() == "DRAFT" ? v1::ASSESSMENT_STATE_DRAFT
                                                : v1::ASSESSMENT_STATE_SIGNED_OFF);
  a.set_analysis(r[5].as<std::string>());
  a.set_conclusion(r[6].as<std::string>());
  a.set_revision(r[7].as<int>());
  a.set_revision_reason(r[8].as<std::string>());
  *a.mutable_create_time() = FromMicros(r[9].as<int64_t>());
  *a.mutable_update_time() = FromMicros(r[10].as<int64_t>());
  a.set_signed_off_by(r[11].as<std::string>());
  if (int64_t t = r[12].as<int64_t>()) *a.mutable_sign_off_time() = FromMicros(t);
  a.set_etag(absl::StrCat("v", r[13].as<int64_t>()));
  return a;
}

}  // namespace

std::vector<PreparedStatement> WorkbookStore::Statements() {
  std::vector<PreparedStatement> statements = CreateRequestStatements();
  std::vector<PreparedStatement> own = {
      // Projection.
      {"wb_find_case", "SELECT case_id, team, state FROM cases WHERE case_id = $1"},
      {"wb_find_case_for_update",
       "SELECT case_id, team, state FROM cases WHERE case_id = $1 FOR UPDATE"},
      {"wb_insert_case",
       "INSERT INTO cases (case_id, team, state) VALUES ($1, $2, 'REFERRAL') ON CONFLICT "
       "(case_id) DO NOTHING"},
      {"wb_set_case_state", "UPDATE cases SET state = $2, update_time = now() WHERE case_id = $1"},
      {"wb_set_case_team", "UPDATE cases SET team = $2, update_time = now() WHERE case_id = $1"},
      {"wb_start_allocation",
       "INSERT INTO allocations (allocation_id, case_id, practitioner, role) VALUES ($1, $2, $3, "
       "$4) ON CONFLICT (allocation_id) DO UPDATE SET active = true"},
      {"wb_end_allocation", "UPDATE allocations SET active = false WHERE allocation_id = $1"},
      {"wb_upsert_person",
       "INSERT INTO people (case_id, person_id, kind) VALUES ($1, $2, $3) ON CONFLICT (case_id, "
       "person_id) DO UPDATE SET kind = excluded.kind"},
      {"wb_insert_history",
       "INSERT INTO case_history (case_id, event_id, kind, occur_time, date_only, person_id, "
       "summary) VALUES ($1, $2, $3, to_timestamp($4 / 1000000.0), $5, nullif($6, ''), $7) ON "
       "CONFLICT (event_id) DO NOTHING"},
      {"wb_allocated_roles",
       "SELECT role FROM allocations WHERE case_id = $1 AND practitioner = $2 AND active ORDER BY "
       "role"},
      {"wb_ever_allocated",
       "SELECT 1 FROM allocations WHERE case_id = $1 AND practitioner = $2 LIMIT 1"},
      {"wb_people", "SELECT person_id, kind FROM people WHERE case_id = $1 ORDER BY person_id"},
      // Entries.
      {"wb_insert_entry",
       "INSERT INTO entries (case_id, kind, state, visibility, sealed_roles, author, occur_time, "
       "module, significant, subjects, scaling_scores, title, body) VALUES ($1, $2, 'DRAFT', $3, "
       "$4::text[], $5, to_timestamp($6 / 1000000.0), $7, $8, $9::text[], $10::jsonb, $11, $12) "
       "RETURNING entry_id::text"},
      {"wb_find_entry",
       absl::StrCat("SELECT ", EntryColumns(),
                    " FROM entries e WHERE e.case_id = $1 AND e.entry_id = $2::uuid")},
      {"wb_find_entry_for_update",
       absl::StrCat("SELECT ", EntryColumns(),
                    " FROM entries e WHERE e.case_id = $1 AND e.entry_id = $2::uuid FOR UPDATE")},
      {"wb_entry_visible",
       absl::StrCat("SELECT ", Visible(2, 3, 4), " FROM entries e WHERE e.entry_id = $1::uuid")},
      {"wb_update_draft",
       "UPDATE entries SET kind = $2, visibility = $3, sealed_roles = $4::text[], occur_time = "
       "to_timestamp($5 / 1000000.0), module = $6, significant = $7, subjects = $8::text[], "
       "scaling_scores = $9::jsonb, title = $10, body = $11, update_time = now(), version = "
       "version + 1 WHERE entry_id = $1::uuid AND state = 'DRAFT'"},
      {"wb_write_revision_entry",
       "UPDATE entries SET kind = $2, visibility = $3, sealed_roles = $4::text[], occur_time = "
       "to_timestamp($5 / 1000000.0), module = $6, significant = $7, subjects = $8::text[], "
       "scaling_scores = $9::jsonb, title = $10, body = $11, revision = $12, state = 'FINAL', "
       "finalise_time = coalesce(finalise_time, now()), signed_off_by = NULL, sign_off_time = "
       "NULL, update_time = now(), version = version + 1 WHERE entry_id = $1::uuid"},
      {"wb_insert_revision",
       "INSERT INTO entry_revisions (entry_id, revision, revised_by, reason, content) VALUES "
       "($1::uuid, $2, $3, $4, $5::jsonb)"},
      {"wb_sign_off_entry",
       "UPDATE entries SET state = 'SIGNED_OFF', signed_off_by = $3, sign_off_time = now(), "
       "update_time = now(), version = version + 1 WHERE entry_id = $1::uuid AND revision = $2"},
      {"wb_sign_off_revision",
       "UPDATE entry_revisions SET signed_off_by = $3, sign_off_time = now() WHERE entry_id = "
       "$1::uuid AND revision = $2"},
      // Each revision is shown only to whom its own visibility allows: a correction that
      // widened an entry's visibility must not disclose what the earlier revision held back.
      {"wb_history",
       absl::StrCat(
           "SELECT r.revision, r.revised_by, ", Micros("r.revise_time"),
           ", r.reason, r.content::text, coalesce(r.signed_off_by, ''), ",
           Micros("r.sign_off_time"),
           ", coalesce(entry_visible('FINAL', replace(r.content->>'visibility', 'VISIBILITY_', "
           "''), "
           "ARRAY(SELECT replace(role, 'FAMILY_SAFEGUARDING_ROLE_', '') FROM "
           "jsonb_array_elements_text(coalesce(r.content->'sealedForRoles', '[]')) role), "
           "e.author, $2, viewer_roles(e.case_id, $2, $3::text[]), $4), false) "
           "FROM entry_revisions r JOIN entries e USING (entry_id) WHERE r.entry_id = $1::uuid "
           "ORDER BY r.revision")},
      {"wb_list_entries", absl::StrCat("SELECT ", EntryColumns(), " ", ListWhere(),
                                       " ORDER BY e.occur_time DESC, e.seq DESC LIMIT $12 "
                                       "OFFSET $13")},
      {"wb_count_entries", absl::StrCat("SELECT count(*) ", ListWhere())},
      {"wb_search_case", SearchSql(false)},
      {"wb_search_caseload", SearchSql(true)},
      {"wb_count_search_case", absl::StrCat("SELECT count(*) ", SearchWhere(false))},
      {"wb_count_search_caseload", absl::StrCat("SELECT count(*) ", SearchWhere(true))},
      {"wb_chronology",
       absl::StrCat("SELECT * FROM (", ChronologyUnion(),
                    ") c ORDER BY c.micros, c.source, c.seq LIMIT $10 OFFSET $11")},
      {"wb_count_chronology", absl::StrCat("SELECT count(*) FROM (", ChronologyUnion(), ") c")},
      // Parenting assessments.
      {"wb_insert_assessment",
       "INSERT INTO parenting_assessments (case_id, person_id, assessor, state, analysis, "
       "conclusion) VALUES ($1, $2, $3, 'DRAFT', $4, $5) RETURNING assessment_id::text"},
      {"wb_has_draft_assessment",
       "SELECT 1 FROM parenting_assessments WHERE case_id = $1 AND person_id = $2 AND state = "
       "'DRAFT'"},
      {"wb_find_assessment",
       absl::StrCat("SELECT ", AssessmentColumns(),
                    " FROM parenting_assessments a WHERE a.case_id = $1 AND a.assessment_id = "
                    "$2::uuid")},
      {"wb_find_assessment_for_update",
       absl::StrCat("SELECT ", AssessmentColumns(),
                    " FROM parenting_assessments a WHERE a.case_id = $1 AND a.assessment_id = "
                    "$2::uuid FOR UPDATE")},
      {"wb_list_assessments",
       absl::StrCat("SELECT ", AssessmentColumns(),
                    " FROM parenting_assessments a WHERE a.case_id = $1 AND a.seq > $2 ORDER BY "
                    "a.seq LIMIT $3")},
      {"wb_update_assessment_text",
       "UPDATE parenting_assessments SET analysis = $2, conclusion = $3, update_time = now(), "
       "version = version + 1 WHERE assessment_id = $1::uuid AND state = 'DRAFT'"},
      {"wb_sign_off_assessment",
       "UPDATE parenting_assessments SET state = 'SIGNED_OFF', signed_off_by = $2, sign_off_time "
       "= now(), update_time = now(), version = version + 1 WHERE assessment_id = $1::uuid AND "
       "state = 'DRAFT' RETURNING " +
           Micros("sign_off_time")},
      {"wb_insert_assessment_revision",
       "INSERT INTO parenting_assessment_revisions (assessment_id, revision, content) VALUES "
       "($1::uuid, $2, $3::jsonb)"},
      {"wb_revise_assessment",
       "UPDATE parenting_assessments SET state = 'DRAFT', revision = revision + 1, "
       "revision_reason = $2, signed_off_by = NULL, sign_off_time = NULL, update_time = now(), "
       "version = version + 1 WHERE assessment_id = $1::uuid AND state = 'SIGNED_OFF'"},
      {"wb_assessment_history",
       "SELECT content::text FROM parenting_assessment_revisions WHERE assessment_id = $1::uuid "
       "ORDER BY revision"},
      {"wb_module_work",
       absl::StrCat("SELECT e.module, count(*), min(", Micros("e.occur_time"), "), max(",
                    Micros("e.occur_time"),
                    "), string_agg(e.entry_id::text, ',' ORDER BY e.occur_time, e.seq) FROM "
                    "entries e WHERE e.case_id = $1 AND e.kind = 'MODULE_SESSION' AND e.state <> "
                    "'DRAFT' AND e.visibility = 'NORMAL' AND e.module > 0 AND $2 = ANY "
                    "(e.subjects) GROUP BY e.module ORDER BY e.module")},
      {"wb_scores",
       absl::StrCat("SELECT ", Micros("e.occur_time"),
                    ", e.entry_id::text, s->'importance', s->'confidence', s->'readiness' FROM "
                    "entries e, jsonb_array_elements(e.scaling_scores) s WHERE e.case_id = $1 "
                    "AND e.state <> 'DRAFT' AND e.visibility = 'NORMAL' AND s->>'person' = $2 "
                    "ORDER BY e.occur_time, e.seq")},
  };
  statements.insert(statements.end(), own.begin(), own.end());
  return statements;
}

// ---- Projection ----

std::optional<CaseRow> WorkbookStore::FindCase(pqxx::work& tx, const std::string& id, bool lock) {
  auto rows = tx.exec_prepared(lock ? "wb_find_case_for_update" : "wb_find_case", id);
  if (rows.empty()) return std::nullopt;
  return CaseRow{rows[0][0].as<std::string>(), rows[0][1].as<std::string>(),
                 rows[0][2].as<std::string>()};
}

void WorkbookStore::InsertCase(pqxx::work& tx, const std::string& id, const std::string& team) {
  tx.exec_prepared0("wb_insert_case", id, team);
}

void WorkbookStore::SetCaseState(pqxx::work& tx, const std::string& id, const std::string& state) {
  tx.exec_prepared0("wb_set_case_state", id, state);
}

void WorkbookStore::SetCaseTeam(pqxx::work& tx, const std::string& id, const std::string& team) {
  tx.exec_prepared0("wb_set_case_team", id, team);
}

void WorkbookStore::StartAllocation(pqxx::work& tx, const std::string& allocation_id,
                                    const std::string& case_id, const std::string& practitioner,
                                    const std::string& role) {
  tx.exec_prepared0("wb_start_allocation", allocation_id, case_id, practitioner, role);
}

void WorkbookStore::EndAllocation(pqxx::work& tx, const std::string& allocation_id) {
  tx.exec_prepared0("wb_end_allocation", allocation_id);
}

void WorkbookStore::UpsertPerson(pqxx::work& tx, const std::string& case_id,
                                 const std::string& person_id, const std::string& kind) {
  tx.exec_prepared0("wb_upsert_person", case_id, person_id, kind);
}

void WorkbookStore::InsertHistory(pqxx::work& tx, const std::string& case_id,
                                  const std::string& event_id, const HistoryItem& item) {
  tx.exec_prepared0("wb_insert_history", case_id, event_id, ChronologyKindName(item.kind),
                    absl::ToUnixMicros(item.occur_time), item.date_only, item.person_id,
                    item.summary);
}

bool WorkbookStore::IsAllocated(pqxx::work& tx, const std::string& case_id,
                                const std::string& practitioner) {
  return !AllocatedRoles(tx, case_id, practitioner).empty();
}

bool WorkbookStore::WasEverAllocated(pqxx::work& tx, const std::string& case_id,
                                     const std::string& practitioner) {
  return !tx.exec_prepared("wb_ever_allocated", case_id, practitioner).empty();
}

std::vector<std::string> WorkbookStore::AllocatedRoles(pqxx::work& tx, const std::string& case_id,
                                                       const std::string& practitioner) {
  std::vector<std::string> roles;
  for (const auto& row : tx.exec_prepared("wb_allocated_roles", case_id, practitioner)) {
    roles.push_back(row[0].as<std::string>());
  }
  return roles;
}

std::vector<std::pair<std::string, std::string>> WorkbookStore::People(pqxx::work& tx,
                                                                       const std::string& case_id) {
  std::vector<std::pair<std::string, std::string>> people;
  for (const auto& row : tx.exec_prepared("wb_people", case_id)) {
    people.emplace_back(row[0].as<std::string>(), row[1].as<std::string>());
  }
  return people;
}

// ---- Entries ----

std::string WorkbookStore::InsertEntry(pqxx::work& tx, const std::string& case_id,
                                       const v1::Entry& e, const std::string& author) {
  auto row = tx.exec_prepared1("wb_insert_entry", case_id, KindName(e.kind()),
                               VisibilityName(e.visibility()), PgTextArray(SealedRoleNames(e)),
                               author, ToMicros(e.occur_time()), e.module(), e.significant(),
                               PgTextArray(SubjectIds(e)), ScoresJson(e), e.title(), e.text());
  return row[0].as<std::string>();
}

std::optional<v1::Entry> WorkbookStore::FindEntry(pqxx::work& tx, const std::string& case_id,
                                                  const std::string& entry_id, bool lock) {
  if (!IsUuid(entry_id)) return std::nullopt;
  auto rows =
      tx.exec_prepared(lock ? "wb_find_entry_for_update" : "wb_find_entry", case_id, entry_id);
  if (rows.empty()) return std::nullopt;
  return RowToEntry(rows[0]);
}

bool WorkbookStore::EntryVisible(pqxx::work& tx, const std::string& entry_id,
                                 const Viewer& viewer) {
  auto rows = tx.exec_prepared("wb_entry_visible", entry_id, viewer.id,
                               PgTextArray(viewer.managed_teams), viewer.perpetrator_worker);
  return !rows.empty() && rows[0][0].as<bool>();
}

void WorkbookStore::UpdateDraft(pqxx::work& tx, const v1::Entry& e) {
  tx.exec_prepared0("wb_update_draft", LastSegment(e.name()), KindName(e.kind()),
                    VisibilityName(e.visibility()), PgTextArray(SealedRoleNames(e)),
                    ToMicros(e.occur_time()), e.module(), e.significant(),
                    PgTextArray(SubjectIds(e)), ScoresJson(e), e.title(), e.text());
}

void WorkbookStore::WriteRevision(pqxx::work& tx, const v1::Entry& e, const std::string& revised_by,
                                  const std::string& reason) {
  std::string id = LastSegment(e.name());
  tx.exec_prepared0("wb_write_revision_entry", id, KindName(e.kind()),
                    VisibilityName(e.visibility()), PgTextArray(SealedRoleNames(e)),
                    ToMicros(e.occur_time()), e.module(), e.significant(),
                    PgTextArray(SubjectIds(e)), ScoresJson(e), e.title(), e.text(), e.revision());
  v1::EntryRevision content = RevisionOf(e, revised_by, reason);
  tx.exec_prepared0("wb_insert_revision", id, e.revision(), revised_by, reason, ToJson(content));
}

void WorkbookStore::SignOff(pqxx::work& tx, const std::string& entry_id, int revision,
                            const std::string& by) {
  tx.exec_prepared0("wb_sign_off_entry", entry_id, revision, by);
  tx.exec_prepared0("wb_sign_off_revision", entry_id, revision, by);
}

std::vector<v1::EntryRevision> WorkbookStore::History(pqxx::work& tx, const std::string& entry_id,
                                                      const Viewer& viewer) {
  std::vector<v1::EntryRevision> history;
  for (const auto& r :
       tx.exec_prepared("wb_history", entry_id, viewer.id, PgTextArray(viewer.managed_teams),
                        viewer.perpetrator_worker)) {
    v1::EntryRevision revision;
    if (r[7].as<bool>()) {
      revision = FromJson<v1::EntryRevision>(r[4].as<std::string>());
    } else {
      revision.set_withheld(true);
    }
    revision.set_revision(r[0].as<int>());
    revision.set_revised_by(r[1].as<std::string>());
    *revision.mutable_revise_time() = FromMicros(r[2].as<int64_t>());
    // A withheld revision's reason may describe what it held back.
    if (!revision.withheld()) revision.set_reason(r[3].as<std::string>());
    revision.set_signed_off_by(r[5].as<std::string>());
    if (int64_t t = r[6].as<int64_t>()) *revision.mutable_sign_off_time() = FromMicros(t);
    history.push_back(std::move(revision));
  }
  return history;
}

Counted<v1::Entry> WorkbookStore::ListEntries(pqxx::work& tx, const std::string& case_id,
                                              const Viewer& viewer, const EntryFilter& filter,
                                              int offset, int limit) {
  Counted<v1::Entry> out;
  std::string managed = PgTextArray(viewer.managed_teams);
  std::string kinds = PgTextArray(filter.kinds);
  for (const auto& row :
       tx.exec_prepared("wb_list_entries", case_id, viewer.id, managed, viewer.perpetrator_worker,
                        kinds, filter.state, filter.module, filter.subject, filter.after_micros,
                        filter.before_micros, filter.author, limit, offset)) {
    out.items.push_back(RowToEntry(row));
  }
  out.total =
      tx.exec_prepared1("wb_count_entries", case_id, viewer.id, managed, viewer.perpetrator_worker,
                        kinds, filter.state, filter.module, filter.subject, filter.after_micros,
                        filter.before_micros, filter.author)[0]
          .as<int>();
  return out;
}

Counted<WorkbookStore::SearchHit> WorkbookStore::Search(pqxx::work& tx, const std::string& case_id,
                                                        const Viewer& viewer,
                                                        const std::string& query, int offset,
                                                        int limit) {
  static const std::string kHeadline =
      "StartSel=\x01, StopSel=\x02, MaxWords=35, MinWords=12, MaxFragments=2, "
      "FragmentDelimiter=\" ... \"";
  Counted<SearchHit> out;
  std::string managed = PgTextArray(viewer.managed_teams);
  bool caseload = case_id.empty();
  for (const auto& row :
       tx.exec_prepared(caseload ? "wb_search_caseload" : "wb_search_case", query, viewer.id,
                        managed, viewer.perpetrator_worker, case_id, kHeadline, limit, offset)) {
    SearchHit hit;
    hit.entry = RowToEntry(row);
    hit.rank = row[kEntryColumnCount].as<float>();
    hit.headline = row[kEntryColumnCount + 1].as<std::string>();
    out.items.push_back(std::move(hit));
  }
  out.total = tx.exec_prepared1(caseload ? "wb_count_search_caseload" : "wb_count_search_case",
                                query, viewer.id, managed, viewer.perpetrator_worker, case_id)[0]
                  .as<int>();
  return out;
}

Counted<v1::ChronologyItem> WorkbookStore::Chronology(pqxx::work& tx, const std::string& case_id,
                                                      const Viewer& viewer,
                                                      const ChronologyFilter& filter, int offset,
                                                      int limit) {
  Counted<v1::ChronologyItem> out;
  std::string managed = PgTextArray(viewer.managed_teams);
  std::string kinds = PgTextArray(filter.kinds);
  std::string entry_kinds = PgTextArray(filter.entry_kinds);
  for (const auto& r : tx.exec_prepared(
           "wb_chronology", case_id, viewer.id, managed, viewer.perpetrator_worker, filter.person,
           kinds, entry_kinds, filter.after_micros, filter.before_micros, limit, offset)) {
    v1::ChronologyItem item;
    item.set_kind(ChronologyKindFromName(r[0].as<std::string>()));
    if (item.kind() == v1::CHRONOLOGY_ITEM_KIND_ENTRY) {
      item.set_entry_kind(KindFromName(r[1].as<std::string>()));
      item.set_entry(absl::StrCat("cases/", case_id, "/entries/", r[2].as<std::string>()));
    }
    item.set_title(r[3].as<std::string>());
    item.set_text(r[4].as<std::string>());
    for (const auto& person : SplitCommas(r[5].as<std::string>())) {
      item.add_people(absl::StrCat("cases/", case_id, "/people/", person));
    }
    item.set_recorded_by(r[6].as<std::string>());
    *item.mutable_occur_time() = FromMicros(r[7].as<int64_t>());
    item.set_date_only(r[8].as<bool>());
    out.items.push_back(std::move(item));
  }
  out.total = tx.exec_prepared1("wb_count_chronology", case_id, viewer.id, managed,
                                viewer.perpetrator_worker, filter.person, kinds, entry_kinds,
                                filter.after_micros, filter.before_micros)[0]
                  .as<int>();
  return out;
}

// ---- Parenting assessments ----

std::string WorkbookStore::InsertAssessment(pqxx::work& tx, const std::string& case_id,
                                            const std::string& person_id,
                                            const std::string& assessor,
                                            const v1::ParentingAssessment& assessment) {
  return tx
      .exec_prepared1("wb_insert_assessment", case_id, person_id, assessor, assessment.analysis(),
                      assessment.conclusion())[0]
      .as<std::string>();
}

bool WorkbookStore::HasDraftAssessment(pqxx::work& tx, const std::string& case_id,
                                       const std::string& person_id) {
  return !tx.exec_prepared("wb_has_draft_assessment", case_id, person_id).empty();
}

std::optional<v1::ParentingAssessment> WorkbookStore::FindAssessment(pqxx::work& tx,
                                                                     const std::string& case_id,
                                                                     const std::string& id,
                                                                     bool lock) {
  if (!IsUuid(id)) return std::nullopt;
  auto rows =
      tx.exec_prepared(lock ? "wb_find_assessment_for_update" : "wb_find_assessment", case_id, id);
  if (rows.empty()) return std::nullopt;
  return RowToAssessment(rows[0]);
}

std::vector<std::pair<v1::ParentingAssessment, int64_t>> WorkbookStore::ListAssessments(
    pqxx::work& tx, const std::string& case_id, int64_t after_seq, int limit) {
  std::vector<std::pair<v1::ParentingAssessment, int64_t>> out;
  for (const auto& row : tx.exec_prepared("wb_list_assessments", case_id, after_seq, limit)) {
    out.emplace_back(RowToAssessment(row), row[14].as<int64_t>());
  }
  return out;
}

void WorkbookStore::UpdateAssessmentText(pqxx::work& tx, const v1::ParentingAssessment& a) {
  tx.exec_prepared0("wb_update_assessment_text", LastSegment(a.name()), a.analysis(),
                    a.conclusion());
}

void WorkbookStore::SignOffAssessment(pqxx::work& tx, const v1::ParentingAssessment& signed_off,
                                      const std::string& by) {
  std::string id = LastSegment(signed_off.name());
  auto row = tx.exec_prepared1("wb_sign_off_assessment", id, by);
  v1::ParentingAssessment frozen = signed_off;
  frozen.clear_history();
  frozen.clear_etag();
  frozen.set_state(v1::ASSESSMENT_STATE_SIGNED_OFF);
  frozen.set_signed_off_by(by);
  *frozen.mutable_sign_off_time() = FromMicros(row[0].as<int64_t>());
  tx.exec_prepared0("wb_insert_assessment_revision", id, frozen.revision(), ToJson(frozen));
}

void WorkbookStore::ReviseAssessment(pqxx::work& tx, const std::string& id,
                                     const std::string& reason) {
  tx.exec_prepared0("wb_revise_assessment", id, reason);
}

std::vector<v1::ParentingAssessment> WorkbookStore::AssessmentHistory(pqxx::work& tx,
                                                                      const std::string& id) {
  std::vector<v1::ParentingAssessment> out;
  for (const auto& row : tx.exec_prepared("wb_assessment_history", id)) {
    out.push_back(FromJson<v1::ParentingAssessment>(row[0].as<std::string>()));
  }
  return out;
}

std::vector<v1::ModuleWork> WorkbookStore::ModuleWorkOf(pqxx::work& tx, const std::string& case_id,
                                                        const std::string& person_name) {
  std::vector<v1::ModuleWork> out;
  for (const auto& r : tx.exec_prepared("wb_module_work", case_id, LastSegment(person_name))) {
    v1::ModuleWork work;
    work.set_module(r[0].as<int>());
    work.set_sessions(r[1].as<int>());
    *work.mutable_first_session_time() = FromMicros(r[2].as<int64_t>());
    *work.mutable_last_session_time() = FromMicros(r[3].as<int64_t>());
    for (const auto& id : SplitCommas(r[4].as<std::string>())) {
      work.add_entries(absl::StrCat("cases/", case_id, "/entries/", id));
    }
    out.push_back(std::move(work));
  }
  return out;
}

std::vector<v1::ScorePoint> WorkbookStore::ScoresOf(pqxx::work& tx, const std::string& case_id,
                                                    const std::string& person_name) {
  std::vector<v1::ScorePoint> out;
  for (const auto& r : tx.exec_prepared("wb_scores", case_id, person_name)) {
    v1::ScorePoint point;
    *point.mutable_occur_time() = FromMicros(r[0].as<int64_t>());
    point.set_entry(absl::StrCat("cases/", case_id, "/entries/", r[1].as<std::string>()));
    if (!r[2].is_null()) point.set_importance(r[2].as<int>());
    if (!r[3].is_null()) point.set_confidence(r[3].as<int>());
    if (!r[4].is_null()) point.set_readiness(r[4].as<int>());
    out.push_back(std::move(point));
  }
  return out;
}

}  // namespace fs::workbook
