#include "services/case_records/case_store.h"

#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/idempotency.h"

namespace fs::cases {
namespace {

using google::protobuf::util::TimeUtil;

constexpr absl::string_view kRolePrefix = "FAMILY_SAFEGUARDING_ROLE_";

// Read from a row source aliased `c` (the active lead's subquery needs the alias).
constexpr const char* kCaseColumns =
    "id::text, council_reference, state, referral_date::text, referral_source, "
    "primary_need_code, team, coalesce(closure_date::text, ''), reason_for_closure, "
    "re_referral_count, version, (extract(epoch FROM create_time) * 1000000)::bigint, "
    "(extract(epoch FROM update_time) * 1000000)::bigint, seq, coalesce((SELECT l.practitioner "
    "FROM allocations l WHERE l.case_id = c.id AND l.role = 'LEAD_SOCIAL_WORKER' AND "
    "l.end_time IS NULL), '')";

constexpr const char* kPersonColumns =
    "id::text, case_id::text, kind, given_name, family_name, coalesce(nhs_number, ''), "
    "la_child_id, upn, coalesce(birth_date::text, ''), coalesce(expected_birth_date::text, ''), "
    "gender_current, array_to_string(assessment_factors, ','), version, "
    "(extract(epoch FROM create_time) * 1000000)::bigint, "
    "(extract(epoch FROM update_time) * 1000000)::bigint, seq";

constexpr const char* kAllocationColumns =
    "id::text, case_id::text, practitioner, role, team, "
    "(extract(epoch FROM start_time) * 1000000)::bigint, "
    "coalesce((extract(epoch FROM end_time) * 1000000)::bigint, 0), end_reason, seq";

constexpr const char* kPlanColumns =
    "id::text, case_id::text, person_id::text, start_date::text, coalesce(end_date::text, ''), "
    "initial_category, latest_category, coalesce(review_date::text, ''), "
    "number_of_previous_plans, version, seq";

constexpr const char* kEpisodeColumns =
    "id::text, case_id::text, person_id::text, start_date::text, legal_status, "
    "coalesce(end_date::text, ''), reason_ended, seq";

constexpr const char* kAlertColumns =
    "id::text, practitioner, coalesce(case_id::text, ''), coalesce(person_id::text, ''), "
    "message, (extract(epoch FROM create_time) * 1000000)::bigint, "
    "coalesce((extract(epoch FROM acknowledge_time) * 1000000)::bigint, 0), seq";

// $n as a uuid, or NULL when it is not one, so that a malformed id finds nothing instead of
// failing the cast.
std::string UuidOrNull(int n) {
  return absl::StrCat("(CASE WHEN $", n,
                      " ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN $",
                      n, "::uuid END)");
}

std::string Sql(absl::string_view head, absl::string_view columns, absl::string_view tail) {
  return absl::StrCat(head, " ", columns, " ", tail);
}

google::protobuf::Timestamp Micros(const pqxx::field& f) {
  return TimeUtil::MicrosecondsToTimestamp(f.as<int64_t>());
}

std::string CaseName(const std::string& id) { return absl::StrCat("cases/", id); }

v1::CaseState StateFromText(const std::string& text) {
  v1::CaseState state = v1::CASE_STATE_UNSPECIFIED;
  v1::CaseState_Parse(absl::StrCat("CASE_STATE_", text), &state);
  return state;
}

v1::Case RowToCase(const pqxx::row& r) {
  v1::Case c;
  c.set_name(CaseName(r[0].as<std::string>()));
  c.set_council_reference(r[1].as<std::string>());
  c.set_state(StateFromText(r[2].as<std::string>()));
  c.set_referral_date(r[3].as<std::string>());
  c.set_referral_source(r[4].as<std::string>());
  c.set_primary_need_code(r[5].as<std::string>());
  c.set_team(r[6].as<std::string>());
  c.set_closure_date(r[7].as<std::string>());
  c.set_reason_for_closure(r[8].as<std::string>());
  c.set_re_referral_count(r[9].as<int>());
  c.set_etag(absl::StrCat("v", r[10].as<int64_t>()));
  *c.mutable_create_time() = Micros(r[11]);
  *c.mutable_update_time() = Micros(r[12]);
  c.set_lead_social_worker(r[14].as<std::string>());
  return c;
}

v1::Person RowToPerson(const pqxx::row& r) {
  v1::Person p;
  p.set_name(absl::StrCat("cases/", r[1].as<std::string>(), "/people/", r[0].as<std::string>()));
  p.set_kind(r[2].as<std::string>() == "CHILD" ? v1::PERSON_KIND_CHILD : v1::PERSON_KIND_ADULT);
  p.set_given_name(r[3].as<std::string>());
  p.set_family_name(r[4].as<std::string>());
  p.set_nhs_number(r[5].as<std::string>());
  p.set_la_child_id(r[6].as<std::string>());
  p.set_upn(r[7].as<std::string>());
  p.set_birth_date(r[8].as<std::string>());
  p.set_expected_birth_date(r[9].as<std::string>());
  p.set_gender_current(r[10].as<int>());
  std::string factors = r[11].as<std::string>();
  if (!factors.empty()) {
    for (auto f : absl::StrSplit(factors, ',')) p.add_assessment_factors(std::string(f));
  }
  p.set_etag(absl::StrCat("v", r[12].as<int64_t>()));
  *p.mutable_create_time() = Micros(r[13]);
  *p.mutable_update_time() = Micros(r[14]);
  return p;
}

v1::Allocation RowToAllocation(const pqxx::row& r) {
  v1::Allocation a;
  a.set_name(
      absl::StrCat("cases/", r[1].as<std::string>(), "/allocations/", r[0].as<std::string>()));
  a.set_practitioner(r[2].as<std::string>());
  a.set_role(RoleFromText(r[3].as<std::string>()));
  a.set_team(r[4].as<std::string>());
  *a.mutable_start_time() = Micros(r[5]);
  if (r[6].as<int64_t>() != 0) *a.mutable_end_time() = Micros(r[6]);
  a.set_end_reason(r[7].as<std::string>());
  return a;
}

v1::ChildProtectionPlan RowToPlan(const pqxx::row& r) {
  v1::ChildProtectionPlan p;
  p.set_name(absl::StrCat("cases/", r[1].as<std::string>(), "/people/", r[2].as<std::string>(),
                          "/childProtectionPlans/", r[0].as<std::string>()));
  p.set_start_date(r[3].as<std::string>());
  p.set_end_date(r[4].as<std::string>());
  p.set_initial_category_of_abuse(r[5].as<std::string>());
  p.set_latest_category_of_abuse(r[6].as<std::string>());
  p.set_review_date(r[7].as<std::string>());
  p.set_number_of_previous_plans(r[8].as<int>());
  p.set_etag(absl::StrCat("v", r[9].as<int64_t>()));
  return p;
}

v1::LookedAfterEpisode RowToEpisode(const pqxx::row& r) {
  v1::LookedAfterEpisode e;
  e.set_name(absl::StrCat("cases/", r[1].as<std::string>(), "/people/", r[2].as<std::string>(),
                          "/lookedAfterEpisodes/", r[0].as<std::string>()));
  e.set_start_date(r[3].as<std::string>());
  e.set_legal_status(r[4].as<std::string>());
  e.set_end_date(r[5].as<std::string>());
  e.set_reason_ended(r[6].as<std::string>());
  return e;
}

v1::Alert RowToAlert(const pqxx::row& r) {
  v1::Alert a;
  a.set_name(
      absl::StrCat("practitioners/", r[1].as<std::string>(), "/alerts/", r[0].as<std::string>()));
  if (!r[2].as<std::string>().empty()) a.set_case_(CaseName(r[2].as<std::string>()));
  if (!r[3].as<std::string>().empty()) {
    a.set_person(
        absl::StrCat(CaseName(r[2].as<std::string>()), "/people/", r[3].as<std::string>()));
  }
  a.set_message(r[4].as<std::string>());
  *a.mutable_create_time() = Micros(r[5]);
  if (r[6].as<int64_t>() != 0) *a.mutable_acknowledge_time() = Micros(r[6]);
  return a;
}

// NULL for "", so optional dates store as NULL.
std::optional<std::string> OrNull(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

// A Postgres array literal of plain codes/keys (validated before they get here).
std::string ArrayLiteral(const std::vector<std::string>& items) {
  std::vector<std::string> quoted;
  for (const auto& item : items) {
    std::string q = "\"";
    for (char c : item) {
      if (c == '"' || c == '\\') q.push_back('\\');
      q.push_back(c);
    }
    quoted.push_back(q + "\"");
  }
  return absl::StrCat("{", absl::StrJoin(quoted, ","), "}");
}

template <typename T, typename F>
Listed<T> ToListed(const pqxx::result& rows, const Page& page, int key_column, F convert) {
  Listed<T> out;
  for (const auto& row : rows) {
    if (static_cast<int>(out.items.size()) == page.size) {
      out.more = true;
      break;
    }
    out.items.push_back(convert(row));
    out.last_key = row[key_column].template as<int64_t>();
  }
  return out;
}

}  // namespace

std::string RoleText(v1::FamilySafeguardingRole role) {
  return v1::FamilySafeguardingRole_Name(role).substr(kRolePrefix.size());
}

v1::FamilySafeguardingRole RoleFromText(const std::string& text) {
  v1::FamilySafeguardingRole role = v1::FAMILY_SAFEGUARDING_ROLE_UNSPECIFIED;
  v1::FamilySafeguardingRole_Parse(absl::StrCat(kRolePrefix, text), &role);
  return role;
}

std::vector<PreparedStatement> CaseStore::Statements() {
  std::string uuid1 = UuidOrNull(1);
  std::vector<PreparedStatement> statements = CreateRequestStatements();
  std::vector<PreparedStatement> own = {
      {"open_case_counts",
       "SELECT team, state, count(*) FROM cases WHERE state <> 'CLOSED' GROUP BY team, state"},
      {"find_case", Sql("SELECT", kCaseColumns, absl::StrCat("FROM cases c WHERE id = ", uuid1))},
      {"find_case_for_update",
       Sql("SELECT", kCaseColumns, absl::StrCat("FROM cases c WHERE id = ", uuid1, " FOR UPDATE"))},
      {"insert_case",
       "INSERT INTO cases (council_reference, state, referral_date, referral_source, "
       "primary_need_code, team) VALUES ($1, 'REFERRAL', $2, $3, $4, $5) RETURNING id::text"},
      {"insert_referral",
       "INSERT INTO case_referrals (case_id, referral_number, referral_date, referral_source) "
       "SELECT $1::uuid, coalesce(max(referral_number), 0) + 1, $2, $3 FROM case_referrals WHERE "
       "case_id = $1::uuid"},
      {"insert_state_change",
       "INSERT INTO case_state_changes (case_id, from_state, to_state, changed_by) VALUES "
       "($1::uuid, $2, $3, $4)"},
      {"update_case_details",
       "UPDATE cases SET council_reference = $2, primary_need_code = $3, team = $4, version = "
       "version + 1, update_time = now() WHERE id = $1::uuid"},
      {"set_case_state",
       "UPDATE cases SET state = $2, version = version + 1, update_time = now() WHERE id = "
       "$1::uuid"},
      {"close_case",
       "UPDATE cases SET state = 'CLOSED', closure_date = $2, reason_for_closure = $3, version = "
       "version + 1, update_time = now() WHERE id = $1::uuid"},
      {"close_referral",
       "UPDATE case_referrals SET closure_date = $2, reason_for_closure = $3 WHERE case_id = "
       "$1::uuid AND closure_date IS NULL"},
      {"reopen_case",
       "UPDATE cases SET state = 'REFERRAL', referral_date = $2, referral_source = $3, "
       "closure_date = NULL, reason_for_closure = '', re_referral_count = re_referral_count + 1, "
       "version = version + 1, update_time = now() WHERE id = $1::uuid"},
      {"count_open_plans",
       "SELECT count(*) FROM child_protection_plans WHERE case_id = $1::uuid AND end_date IS "
       "NULL"},
      {"count_open_episodes",
       "SELECT count(*) FROM looked_after_episodes WHERE case_id = $1::uuid AND end_date IS NULL"},
      {"list_cases_for",
       Sql("SELECT", kCaseColumns,
           "FROM cases c WHERE c.seq > $1 AND ($4 = '' OR c.state = $4) AND (c.team = "
           "ANY($3::text[]) "
           "OR EXISTS (SELECT 1 FROM allocations a WHERE a.case_id = c.id AND a.practitioner = $2 "
           "AND a.end_time IS NULL)) ORDER BY c.seq LIMIT $5")},
      {"is_allocated",
       "SELECT EXISTS (SELECT 1 FROM allocations WHERE case_id = $1::uuid AND practitioner = $2 "
       "AND end_time IS NULL)"},
      {"insert_allocation",
       Sql("INSERT INTO allocations (case_id, practitioner, role, team) VALUES ($1::uuid, $2, $3, "
           "$4) RETURNING",
           kAllocationColumns, "")},
      {"find_allocation", Sql("SELECT", kAllocationColumns,
                              absl::StrCat("FROM allocations WHERE case_id = $2::uuid AND id = ",
                                           uuid1, " FOR UPDATE"))},
      {"find_active_allocation",
       Sql("SELECT", kAllocationColumns,
           "FROM allocations WHERE case_id = $1::uuid AND practitioner = $2 AND role = $3 AND "
           "end_time IS NULL")},
      {"active_lead",
       Sql("SELECT", kAllocationColumns,
           "FROM allocations WHERE case_id = $1::uuid AND role = 'LEAD_SOCIAL_WORKER' AND end_time "
           "IS NULL")},
      {"lock_case_shared", "SELECT 1 FROM cases WHERE id = $1::uuid FOR SHARE"},
      {"end_allocation",
       Sql("UPDATE allocations SET end_time = now(), end_reason = $2 WHERE id = $1::uuid "
           "RETURNING",
           kAllocationColumns, "")},
      {"end_all_allocations",
       Sql("UPDATE allocations SET end_time = now(), end_reason = $2 WHERE case_id = $1::uuid AND "
           "end_time IS NULL RETURNING",
           kAllocationColumns, "")},
      {"list_allocations",
       Sql("SELECT", kAllocationColumns,
           "FROM allocations WHERE case_id = $1::uuid AND seq > $2 AND ($3 OR end_time IS NULL) "
           "ORDER BY seq LIMIT $4")},
      // The case columns are unqualified, so the join is wrapped: cases and allocations share
      // id and seq. $4 NULL: the practitioner's own caseload; otherwise only cases of these teams.
      {"list_caseload",
       Sql("SELECT", kCaseColumns,
           ", role, allocation_id, allocation_seq FROM (SELECT c.*, a.role, a.id::text AS "
           "allocation_id, a.seq AS allocation_seq FROM allocations a JOIN cases c ON c.id = "
           "a.case_id WHERE a.practitioner = $1 AND a.end_time IS NULL AND a.seq > $2 AND "
           "($4::text[] IS NULL OR c.team = ANY($4::text[]))) AS c ORDER BY "
           "allocation_seq LIMIT $3")},
      {"insert_person",
       "INSERT INTO people (case_id, kind, given_name, family_name, given_key, family_key, "
       "nhs_number, la_child_id, upn, birth_date, expected_birth_date, gender_current, "
       "assessment_factors) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
       "$13::text[]) RETURNING id::text"},
      {"update_person",
       "UPDATE people SET given_name = $2, family_name = $3, given_key = $4, family_key = $5, "
       "nhs_number = $6, la_child_id = $7, upn = $8, birth_date = $9, expected_birth_date = $10, "
       "gender_current = $11, assessment_factors = $12::text[], version = version + 1, "
       "update_time = now() WHERE id = $1::uuid"},
      {"delete_relationships", "DELETE FROM person_relationships WHERE adult_id = $1::uuid"},
      {"insert_relationship",
       "INSERT INTO person_relationships (adult_id, child_id, relationship, "
       "parental_responsibility, ordinal) VALUES ($1::uuid, $2::uuid, $3, $4, $5)"},
      {"list_relationships",
       "SELECT r.child_id::text, r.relationship, r.parental_responsibility, p.case_id::text FROM "
       "person_relationships r JOIN people p ON p.id = r.child_id WHERE r.adult_id = $1::uuid "
       "ORDER BY r.ordinal"},
      {"find_person", Sql("SELECT", kPersonColumns,
                          absl::StrCat("FROM people WHERE case_id = $2::uuid AND id = ", uuid1))},
      {"find_person_for_update",
       Sql("SELECT", kPersonColumns,
           absl::StrCat("FROM people WHERE case_id = $2::uuid AND id = ", uuid1, " FOR UPDATE"))},
      {"list_people",
       Sql("SELECT", kPersonColumns,
           "FROM people WHERE case_id = $1::uuid AND seq > $2 ORDER BY seq LIMIT $3")},
      {"find_by_nhs_number",
       "SELECT p.case_id::text, p.id::text, p.given_name, p.family_name, coalesce(p.birth_date, "
       "p.expected_birth_date)::text, c.team FROM people p JOIN cases c ON c.id = p.case_id "
       "WHERE p.nhs_number = $1 ORDER BY p.seq LIMIT 50"},
      {"find_by_name_keys",
       "SELECT p.case_id::text, p.id::text, p.given_name, p.family_name, coalesce(p.birth_date, "
       "p.expected_birth_date)::text, c.team FROM people p JOIN cases c ON c.id = p.case_id "
       "WHERE (p.family_key = ANY($1::text[]) OR p.given_key = ANY($1::text[])) AND "
       "coalesce(p.birth_date, p.expected_birth_date) = ANY($2::date[]) ORDER BY p.seq LIMIT $3"},
      {"count_plans", "SELECT count(*) FROM child_protection_plans WHERE person_id = $1::uuid"},
      {"has_open_plan",
       "SELECT EXISTS (SELECT 1 FROM child_protection_plans WHERE person_id = $1::uuid AND "
       "end_date IS NULL)"},
      {"insert_plan",
       Sql("INSERT INTO child_protection_plans (case_id, person_id, start_date, initial_category, "
           "latest_category, review_date, number_of_previous_plans) VALUES ($1::uuid, $2::uuid, "
           "$3, $4, $4, $5, $6) RETURNING",
           kPlanColumns, "")},
      {"find_plan",
       Sql("SELECT", kPlanColumns,
           absl::StrCat("FROM child_protection_plans WHERE person_id = $2::uuid AND id = ", uuid1,
                        " FOR UPDATE"))},
      {"update_plan",
       Sql("UPDATE child_protection_plans SET latest_category = $2, review_date = $3, version = "
           "version + 1 WHERE id = $1::uuid RETURNING",
           kPlanColumns, "")},
      {"end_plan",
       Sql("UPDATE child_protection_plans SET end_date = $2, version = version + 1 WHERE id = "
           "$1::uuid RETURNING",
           kPlanColumns, "")},
      {"list_plans", Sql("SELECT", kPlanColumns,
                         "FROM child_protection_plans WHERE person_id = $1::uuid ORDER BY seq")},
      {"has_open_episode",
       "SELECT EXISTS (SELECT 1 FROM looked_after_episodes WHERE person_id = $1::uuid AND "
       "end_date IS NULL)"},
      {"insert_episode",
       Sql("INSERT INTO looked_after_episodes (case_id, person_id, start_date, legal_status) "
           "VALUES ($1::uuid, $2::uuid, $3, $4) RETURNING",
           kEpisodeColumns, "")},
      {"find_episode",
       Sql("SELECT", kEpisodeColumns,
           absl::StrCat("FROM looked_after_episodes WHERE person_id = $2::uuid AND id = ", uuid1,
                        " FOR UPDATE"))},
      {"end_episode",
       Sql("UPDATE looked_after_episodes SET end_date = $2, reason_ended = $3 WHERE id = $1::uuid "
           "RETURNING",
           kEpisodeColumns, "")},
      {"list_episodes", Sql("SELECT", kEpisodeColumns,
                            "FROM looked_after_episodes WHERE person_id = $1::uuid ORDER BY seq")},
      {"insert_alert",
       "INSERT INTO alerts (practitioner, case_id, person_id, message) VALUES ($1, $2::uuid, "
       "$3::uuid, $4)"},
      {"list_alerts",
       Sql("SELECT", kAlertColumns,
           "FROM alerts WHERE practitioner = $1 AND ($2 OR acknowledge_time IS NULL) AND "
           "($3 = 0 OR seq < $3) ORDER BY seq DESC LIMIT $4")},
      {"acknowledge_alert",
       Sql("UPDATE alerts SET acknowledge_time = coalesce(acknowledge_time, now()) WHERE "
           "practitioner = $2 AND id = " +
               UuidOrNull(1) + " RETURNING",
           kAlertColumns, "")},
      {"list_break_glass",
       "SELECT id, (extract(epoch FROM occurred_at) * 1000000)::bigint, principal, role, action, "
       "resource, break_glass_reason FROM audit_log WHERE break_glass_reason <> '' AND ($1 = 0 "
       "OR id < $1) ORDER BY id DESC LIMIT $2"},
      {"find_child_status",
       "SELECT p.case_id::text, p.id::text, p.birth_date IS NULL, cp.start_date::text, "
       "EXISTS (SELECT 1 FROM looked_after_episodes e WHERE e.person_id = p.id AND e.end_date IS "
       "NULL) FROM people p JOIN cases c ON c.id = p.case_id LEFT JOIN child_protection_plans cp "
       "ON cp.person_id = p.id AND cp.end_date IS NULL WHERE p.nhs_number = $1 AND p.kind = "
       "'CHILD' AND c.state <> 'CLOSED' ORDER BY (cp.id IS NOT NULL) DESC, p.seq LIMIT 1"},
      {"record_nhs_access", "INSERT INTO nhs_accesses (nhs_number, organisation) VALUES ($1, $2)"},
      {"recent_nhs_accesses",
       "SELECT organisation, (extract(epoch FROM access_time) * 1000000)::bigint FROM "
       "nhs_accesses WHERE nhs_number = $1 ORDER BY seq DESC LIMIT $2"},
  };
  statements.insert(statements.end(), own.begin(), own.end());
  return statements;
}

std::optional<v1::Case> CaseStore::FindCase(pqxx::work& tx, const std::string& id, bool lock) {
  auto rows = tx.exec_prepared(lock ? "find_case_for_update" : "find_case", id);
  if (rows.empty()) return std::nullopt;
  return RowToCase(rows[0]);
}

std::string CaseStore::InsertCase(pqxx::work& tx, const v1::Case& c, const std::string& by) {
  std::string id = tx.exec_prepared1("insert_case", c.council_reference(), c.referral_date(),
                                     c.referral_source(), c.primary_need_code(), c.team())[0]
                       .as<std::string>();
  tx.exec_prepared0("insert_referral", id, c.referral_date(), c.referral_source());
  tx.exec_prepared0("insert_state_change", id, std::optional<std::string>(), "REFERRAL", by);
  return id;
}

void CaseStore::UpdateCaseDetails(pqxx::work& tx, const v1::Case& c) {
  std::string id(c.name().substr(absl::string_view("cases/").size()));
  tx.exec_prepared0("update_case_details", id, c.council_reference(), c.primary_need_code(),
                    c.team());
}

void CaseStore::ChangeState(pqxx::work& tx, const std::string& id, const std::string& from,
                            const std::string& to, const std::string& by) {
  tx.exec_prepared0("set_case_state", id, to);
  tx.exec_prepared0("insert_state_change", id, from, to, by);
}

void CaseStore::CloseCase(pqxx::work& tx, const std::string& id, const std::string& closure_date,
                          const std::string& reason, const std::string& from_state,
                          const std::string& by) {
  tx.exec_prepared0("close_case", id, closure_date, reason);
  tx.exec_prepared0("close_referral", id, closure_date, reason);
  tx.exec_prepared0("insert_state_change", id, from_state, "CLOSED", by);
}

void CaseStore::ReopenCase(pqxx::work& tx, const std::string& id, const std::string& referral_date,
                           const std::string& referral_source, const std::string& by) {
  tx.exec_prepared0("reopen_case", id, referral_date, referral_source);
  tx.exec_prepared0("insert_referral", id, referral_date, referral_source);
  tx.exec_prepared0("insert_state_change", id, "CLOSED", "REFERRAL", by);
}

std::map<std::pair<std::string, std::string>, long long> CaseStore::OpenCaseCounts(pqxx::work& tx) {
  std::map<std::pair<std::string, std::string>, long long> counts;
  for (const auto& row : tx.exec_prepared("open_case_counts")) {
    counts[{row[0].as<std::string>(), row[1].as<std::string>()}] = row[2].as<long long>();
  }
  return counts;
}

int CaseStore::CountOpenPlans(pqxx::work& tx, const std::string& case_id) {
  return tx.exec_prepared1("count_open_plans", case_id)[0].as<int>();
}

int CaseStore::CountOpenEpisodes(pqxx::work& tx, const std::string& case_id) {
  return tx.exec_prepared1("count_open_episodes", case_id)[0].as<int>();
}

Listed<v1::Case> CaseStore::ListCasesFor(pqxx::work& tx, const std::string& practitioner,
                                         const std::vector<std::string>& managed_teams,
                                         const std::string& state, const Page& page) {
  auto rows = tx.exec_prepared("list_cases_for", page.after, practitioner,
                               ArrayLiteral(managed_teams), state, page.size + 1);
  return ToListed<v1::Case>(rows, page, 13, RowToCase);
}

bool CaseStore::IsAllocated(pqxx::work& tx, const std::string& case_id,
                            const std::string& practitioner) {
  return tx.exec_prepared1("is_allocated", case_id, practitioner)[0].as<bool>();
}

v1::Allocation CaseStore::InsertAllocation(pqxx::work& tx, const std::string& case_id,
                                           const std::string& practitioner, const std::string& role,
                                           const std::string& team) {
  return RowToAllocation(tx.exec_prepared1("insert_allocation", case_id, practitioner, role, team));
}

std::optional<v1::Allocation> CaseStore::FindAllocation(pqxx::work& tx, const std::string& case_id,
                                                        const std::string& id) {
  auto rows = tx.exec_prepared("find_allocation", id, case_id);
  if (rows.empty()) return std::nullopt;
  return RowToAllocation(rows[0]);
}

std::optional<v1::Allocation> CaseStore::FindActiveAllocation(pqxx::work& tx,
                                                              const std::string& case_id,
                                                              const std::string& practitioner,
                                                              const std::string& role) {
  auto rows = tx.exec_prepared("find_active_allocation", case_id, practitioner, role);
  if (rows.empty()) return std::nullopt;
  return RowToAllocation(rows[0]);
}

void CaseStore::LockCaseShared(pqxx::work& tx, const std::string& case_id) {
  tx.exec_prepared("lock_case_shared", case_id);
}

std::optional<v1::Allocation> CaseStore::ActiveLead(pqxx::work& tx, const std::string& case_id) {
  auto rows = tx.exec_prepared("active_lead", case_id);
  if (rows.empty()) return std::nullopt;
  return RowToAllocation(rows[0]);
}

v1::Allocation CaseStore::EndAllocation(pqxx::work& tx, const std::string& id,
                                        const std::string& reason) {
  return RowToAllocation(tx.exec_prepared1("end_allocation", id, reason));
}

std::vector<v1::Allocation> CaseStore::EndAllAllocations(pqxx::work& tx, const std::string& case_id,
                                                         const std::string& reason) {
  std::vector<v1::Allocation> ended;
  for (const auto& row : tx.exec_prepared("end_all_allocations", case_id, reason)) {
    ended.push_back(RowToAllocation(row));
  }
  return ended;
}

Listed<v1::Allocation> CaseStore::ListAllocations(pqxx::work& tx, const std::string& case_id,
                                                  bool include_ended, const Page& page) {
  auto rows =
      tx.exec_prepared("list_allocations", case_id, page.after, include_ended, page.size + 1);
  return ToListed<v1::Allocation>(rows, page, 8, RowToAllocation);
}

Listed<v1::CaseloadItem> CaseStore::ListCaseload(
    pqxx::work& tx, const std::string& practitioner,
    const std::optional<std::vector<std::string>>& only_teams, const Page& page) {
  std::optional<std::string> teams;
  if (only_teams) teams = ArrayLiteral(*only_teams);
  auto rows = tx.exec_prepared("list_caseload", practitioner, page.after, page.size + 1, teams);
  return ToListed<v1::CaseloadItem>(rows, page, 17, [](const pqxx::row& r) {
    v1::CaseloadItem item;
    *item.mutable_case_() = RowToCase(r);
    item.set_role(RoleFromText(r[15].as<std::string>()));
    item.set_allocation(
        absl::StrCat(item.case_().name(), "/allocations/", r[16].as<std::string>()));
    return item;
  });
}

std::string CaseStore::InsertPerson(pqxx::work& tx, const std::string& case_id, const v1::Person& p,
                                    const std::string& given_key, const std::string& family_key) {
  std::vector<std::string> factors(p.assessment_factors().begin(), p.assessment_factors().end());
  return tx
      .exec_prepared1("insert_person", case_id,
                      p.kind() == v1::PERSON_KIND_CHILD ? "CHILD" : "ADULT", p.given_name(),
                      p.family_name(), given_key, family_key, OrNull(p.nhs_number()),
                      p.la_child_id(), p.upn(), OrNull(p.birth_date()),
                      OrNull(p.expected_birth_date()), p.gender_current(), ArrayLiteral(factors))[0]
      .as<std::string>();
}

void CaseStore::UpdatePerson(pqxx::work& tx, const std::string& id, const v1::Person& p,
                             const std::string& given_key, const std::string& family_key) {
  std::vector<std::string> factors(p.assessment_factors().begin(), p.assessment_factors().end());
  tx.exec_prepared0("update_person", id, p.given_name(), p.family_name(), given_key, family_key,
                    OrNull(p.nhs_number()), p.la_child_id(), p.upn(), OrNull(p.birth_date()),
                    OrNull(p.expected_birth_date()), p.gender_current(), ArrayLiteral(factors));
}

void CaseStore::ReplaceRelationships(pqxx::work& tx, const std::string& adult_id,
                                     const v1::Person& person) {
  tx.exec_prepared0("delete_relationships", adult_id);
  int ordinal = 0;
  for (const auto& rel : person.relationships()) {
    std::string child_id(rel.child().substr(rel.child().rfind('/') + 1));
    tx.exec_prepared0("insert_relationship", adult_id, child_id,
                      v1::Relationship_Name(rel.relationship()), rel.parental_responsibility(),
                      ordinal++);
  }
}

std::optional<v1::Person> CaseStore::FindPerson(pqxx::work& tx, const std::string& case_id,
                                                const std::string& id, bool lock) {
  auto rows = tx.exec_prepared(lock ? "find_person_for_update" : "find_person", id, case_id);
  if (rows.empty()) return std::nullopt;
  v1::Person person = RowToPerson(rows[0]);
  for (const auto& r : tx.exec_prepared("list_relationships", id)) {
    auto* rel = person.add_relationships();
    rel->set_child(
        absl::StrCat("cases/", r[3].as<std::string>(), "/people/", r[0].as<std::string>()));
    v1::Relationship kind = v1::RELATIONSHIP_UNSPECIFIED;
    v1::Relationship_Parse(r[1].as<std::string>(), &kind);
    rel->set_relationship(kind);
    rel->set_parental_responsibility(r[2].as<bool>());
  }
  return person;
}

Listed<v1::Person> CaseStore::ListPeople(pqxx::work& tx, const std::string& case_id,
                                         const Page& page) {
  auto rows = tx.exec_prepared("list_people", case_id, page.after, page.size + 1);
  Listed<v1::Person> listed = ToListed<v1::Person>(rows, page, 15, RowToPerson);
  // Relationships are few per adult: fetch them per listed adult.
  for (auto& person : listed.items) {
    if (person.kind() != v1::PERSON_KIND_ADULT) continue;
    std::string id(person.name().substr(person.name().rfind('/') + 1));
    auto full = FindPerson(tx, case_id, id, false);
    if (full) person = *full;
  }
  return listed;
}

namespace {
std::vector<PersonCandidate> ToCandidates(const pqxx::result& rows) {
  std::vector<PersonCandidate> out;
  for (const auto& r : rows) {
    PersonCandidate candidate;
    candidate.case_id = r[0].as<std::string>();
    candidate.name = absl::StrCat("cases/", candidate.case_id, "/people/", r[1].as<std::string>());
    candidate.given_name = r[2].as<std::string>();
    candidate.family_name = r[3].as<std::string>();
    candidate.birth_date = r[4].is_null() ? "" : r[4].as<std::string>();
    candidate.case_team = r[5].as<std::string>();
    out.push_back(std::move(candidate));
  }
  return out;
}
}  // namespace

std::vector<PersonCandidate> CaseStore::FindByNhsNumber(pqxx::work& tx, const std::string& nhs) {
  return ToCandidates(tx.exec_prepared("find_by_nhs_number", nhs));
}

std::vector<PersonCandidate> CaseStore::FindByNameKeys(pqxx::work& tx,
                                                       const std::vector<std::string>& keys,
                                                       const std::vector<std::string>& dates,
                                                       int limit) {
  return ToCandidates(
      tx.exec_prepared("find_by_name_keys", ArrayLiteral(keys), ArrayLiteral(dates), limit));
}

int CaseStore::CountPlans(pqxx::work& tx, const std::string& person_id) {
  return tx.exec_prepared1("count_plans", person_id)[0].as<int>();
}

v1::ChildProtectionPlan CaseStore::InsertPlan(pqxx::work& tx, const std::string& case_id,
                                              const std::string& person_id,
                                              const v1::ChildProtectionPlan& plan,
                                              int previous_plans) {
  return RowToPlan(tx.exec_prepared1("insert_plan", case_id, person_id, plan.start_date(),
                                     plan.initial_category_of_abuse(), OrNull(plan.review_date()),
                                     previous_plans));
}

std::optional<v1::ChildProtectionPlan> CaseStore::FindPlan(pqxx::work& tx,
                                                           const std::string& person_id,
                                                           const std::string& id) {
  auto rows = tx.exec_prepared("find_plan", id, person_id);
  if (rows.empty()) return std::nullopt;
  return RowToPlan(rows[0]);
}

bool CaseStore::HasOpenPlan(pqxx::work& tx, const std::string& person_id) {
  return tx.exec_prepared1("has_open_plan", person_id)[0].as<bool>();
}

v1::ChildProtectionPlan CaseStore::UpdatePlan(pqxx::work& tx, const std::string& id,
                                              const v1::ChildProtectionPlan& plan) {
  return RowToPlan(tx.exec_prepared1("update_plan", id, plan.latest_category_of_abuse(),
                                     OrNull(plan.review_date())));
}

v1::ChildProtectionPlan CaseStore::EndPlan(pqxx::work& tx, const std::string& id,
                                           const std::string& end_date) {
  return RowToPlan(tx.exec_prepared1("end_plan", id, end_date));
}

std::vector<v1::ChildProtectionPlan> CaseStore::ListPlans(pqxx::work& tx,
                                                          const std::string& person_id) {
  std::vector<v1::ChildProtectionPlan> out;
  for (const auto& r : tx.exec_prepared("list_plans", person_id)) out.push_back(RowToPlan(r));
  return out;
}

bool CaseStore::HasOpenEpisode(pqxx::work& tx, const std::string& person_id) {
  return tx.exec_prepared1("has_open_episode", person_id)[0].as<bool>();
}

v1::LookedAfterEpisode CaseStore::InsertEpisode(pqxx::work& tx, const std::string& case_id,
                                                const std::string& person_id,
                                                const v1::LookedAfterEpisode& episode) {
  return RowToEpisode(tx.exec_prepared1("insert_episode", case_id, person_id, episode.start_date(),
                                        episode.legal_status()));
}

std::optional<v1::LookedAfterEpisode> CaseStore::FindEpisode(pqxx::work& tx,
                                                             const std::string& person_id,
                                                             const std::string& id) {
  auto rows = tx.exec_prepared("find_episode", id, person_id);
  if (rows.empty()) return std::nullopt;
  return RowToEpisode(rows[0]);
}

v1::LookedAfterEpisode CaseStore::EndEpisode(pqxx::work& tx, const std::string& id,
                                             const std::string& end_date,
                                             const std::string& reason) {
  return RowToEpisode(tx.exec_prepared1("end_episode", id, end_date, reason));
}

std::vector<v1::LookedAfterEpisode> CaseStore::ListEpisodes(pqxx::work& tx,
                                                            const std::string& person_id) {
  std::vector<v1::LookedAfterEpisode> out;
  for (const auto& r : tx.exec_prepared("list_episodes", person_id)) {
    out.push_back(RowToEpisode(r));
  }
  return out;
}

void CaseStore::InsertAlert(pqxx::work& tx, const std::string& practitioner,
                            const std::string& case_id, const std::string& person_id,
                            const std::string& message) {
  tx.exec_prepared0("insert_alert", practitioner, OrNull(case_id), OrNull(person_id), message);
}

Listed<v1::Alert> CaseStore::ListAlerts(pqxx::work& tx, const std::string& practitioner,
                                        bool include_acknowledged, const Page& page) {
  auto rows = tx.exec_prepared("list_alerts", practitioner, include_acknowledged, page.after,
                               page.size + 1);
  return ToListed<v1::Alert>(rows, page, 7, RowToAlert);
}

std::optional<v1::Alert> CaseStore::AcknowledgeAlert(pqxx::work& tx,
                                                     const std::string& practitioner,
                                                     const std::string& id) {
  auto rows = tx.exec_prepared("acknowledge_alert", id, practitioner);
  if (rows.empty()) return std::nullopt;
  return RowToAlert(rows[0]);
}

Listed<v1::BreakGlassAccess> CaseStore::ListBreakGlass(pqxx::work& tx, const Page& page) {
  auto rows = tx.exec_prepared("list_break_glass", page.after, page.size + 1);
  return ToListed<v1::BreakGlassAccess>(rows, page, 0, [](const pqxx::row& r) {
    v1::BreakGlassAccess access;
    access.set_audit_id(r[0].as<int64_t>());
    *access.mutable_time() = Micros(r[1]);
    access.set_principal(r[2].as<std::string>());
    access.set_role(r[3].as<std::string>());
    access.set_action(r[4].as<std::string>());
    access.set_resource(r[5].as<std::string>());
    access.set_reason(r[6].as<std::string>());
    return access;
  });
}

std::optional<CaseStore::ChildStatus> CaseStore::FindChildStatus(pqxx::work& tx,
                                                                 const std::string& nhs) {
  auto rows = tx.exec_prepared("find_child_status", nhs);
  if (rows.empty()) return std::nullopt;
  const auto& r = rows[0];
  ChildStatus status;
  status.case_id = r[0].as<std::string>();
  status.person_id = r[1].as<std::string>();
  status.unborn = r[2].as<bool>();
  status.has_plan = !r[3].is_null();
  if (status.has_plan) status.plan_start = r[3].as<std::string>();
  status.looked_after = r[4].as<bool>();
  return status;
}

void CaseStore::RecordNhsAccess(pqxx::work& tx, const std::string& nhs,
                                const std::string& organisation) {
  tx.exec_prepared0("record_nhs_access", nhs, organisation);
}

std::vector<v1::NhsAccess> CaseStore::RecentNhsAccesses(pqxx::work& tx, const std::string& nhs,
                                                        int limit) {
  std::vector<v1::NhsAccess> out;
  for (const auto& r : tx.exec_prepared("recent_nhs_accesses", nhs, limit)) {
    v1::NhsAccess access;
    access.set_organisation(r[0].as<std::string>());
    *access.mutable_time() = Micros(r[1]);
    out.push_back(std::move(access));
  }
  return out;
}

}  // namespace fs::cases
