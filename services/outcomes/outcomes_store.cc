#include "services/outcomes/outcomes_store.h"

#include <google/protobuf/util/time_util.h>

#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "common/dates.h"
#include "common/sql_values.h"

namespace fs::outcomes {
namespace {

using google::protobuf::util::TimeUtil;

constexpr char kOpenOnDayOrNow[] =
    "(c.open OR EXISTS (SELECT 1 FROM case_periods cp WHERE cp.case_id = p.case_id AND "
    "cp.referral_date <= $2::date AND (cp.closure_date IS NULL OR cp.closure_date >= $2::date)))";

constexpr char kMicros[] = "(extract(epoch FROM $T) * 1000000)::bigint";

std::string Micros(const std::string& column) {
  std::string sql = kMicros;
  return sql.replace(sql.find("$T"), 2, column);
}

google::protobuf::Timestamp Ts(int64_t micros) { return TimeUtil::MicrosecondsToTimestamp(micros); }

std::optional<absl::CivilDay> Day(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  auto day = ParseDate(f.as<std::string>(), "date");
  if (!day.ok()) return std::nullopt;
  return *day;
}

std::string IncidentAckColumns() {
  return absl::StrCat("incident_id::text, police_reference, force, ", Micros("receive_time"),
                      ", children, content_hash, seq");
}

std::string AdmissionAckColumns() {
  return absl::StrCat("admission_id::text, episode_reference, organisation, ",
                      Micros("receive_time"), ", people, content_hash, seq");
}

StoredReport ReportRow(const pqxx::row& r, const char* collection) {
  StoredReport report;
  report.id = r[0].as<std::string>();
  auto& ack = report.acknowledgement;
  ack.set_name(absl::StrCat(collection, "/", report.id));
  ack.set_reference(r[1].as<std::string>());
  ack.set_organisation(r[2].as<std::string>());
  *ack.mutable_receive_time() = Ts(r[3].as<int64_t>());
  ack.set_people(r[4].as<int>());
  report.content_hash = r[5].as<std::string>();
  return report;
}

// A page of acknowledgements (newest first); *last_key is where the next page starts, 0 when
// this is the last.
std::vector<v1::IntakeAcknowledgement> Acknowledgements(const pqxx::result& rows,
                                                        const char* collection, int size,
                                                        int64_t* last_key) {
  std::vector<v1::IntakeAcknowledgement> acks;
  *last_key = 0;
  for (int i = 0; i < static_cast<int>(rows.size()); ++i) {
    if (i == size) {
      *last_key = rows[i - 1][6].as<int64_t>();
      break;
    }
    acks.push_back(ReportRow(rows[i], collection).acknowledgement);
  }
  return acks;
}

std::string FrontDoorColumns() {
  return absl::StrCat("f.item_id::text, f.incident_id::text, i.force, i.report::text, ",
                      Micros("i.receive_time"), ", ", Micros("i.respond_by"),
                      ", f.state, f.linked_person, f.resolution_reason, f.resolved_by, ",
                      "coalesce(", Micros("f.resolve_time"), ", 0), f.version, f.seq");
}

v1::FrontDoorItem FrontDoorRow(const pqxx::row& r) {
  v1::FrontDoorItem item;
  item.set_name(absl::StrCat("frontDoorItems/", r[0].as<std::string>()));
  item.set_incident(absl::StrCat("incidents/", r[1].as<std::string>()));
  item.set_force(r[2].as<std::string>());
  auto report = FromJson<v1::ReportDomesticAbuseIncidentRequest>(r[3].as<std::string>());
  item.set_police_reference(report.police_reference());
  *item.mutable_incident_time() = report.incident_time();
  item.set_place(report.place());
  *item.mutable_children() = report.children();
  *item.mutable_adults() = report.adults();
  item.set_circumstances(report.circumstances());
  item.set_officer(report.officer());
  *item.mutable_receive_time() = Ts(r[4].as<int64_t>());
  *item.mutable_respond_by() = Ts(r[5].as<int64_t>());
  v1::FrontDoorState state = v1::FRONT_DOOR_STATE_WAITING;
  v1::FrontDoorState_Parse(absl::StrCat("FRONT_DOOR_STATE_", r[6].as<std::string>()), &state);
  item.set_state(state);
  item.set_linked_person(r[7].as<std::string>());
  item.set_resolution_reason(r[8].as<std::string>());
  item.set_resolved_by(r[9].as<std::string>());
  if (int64_t t = r[10].as<int64_t>(); t != 0) *item.mutable_resolve_time() = Ts(t);
  item.set_etag(absl::StrCat("v", r[11].as<int>()));
  return item;
}

std::vector<Match> Matches(const pqxx::result& rows) {
  std::vector<Match> matches;
  for (const auto& r : rows) {
    matches.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                       r[3].as<bool>(), r[4].as<std::string>()});
  }
  return matches;
}

}  // namespace

std::vector<PreparedStatement> OutcomesStore::Statements() {
  return {
      // Projection.
      {"oc_case_exists", "SELECT 1 FROM cases WHERE case_id = $1 FOR UPDATE"},
      {"oc_open_case",
       "INSERT INTO cases (case_id) VALUES ($1) ON CONFLICT (case_id) DO NOTHING RETURNING 1"},
      {"oc_first_period",
       "INSERT INTO case_periods (case_id, period, referral_date) VALUES ($1, 1, $2::date)"},
      {"oc_team",
       "INSERT INTO case_teams (case_id, from_time, team) VALUES ($1, to_timestamp($2 / "
       "1000000.0), $3) ON CONFLICT DO NOTHING"},
      {"oc_close",
       "UPDATE case_periods SET closure_date = $2::date WHERE case_id = $1 AND period = (SELECT "
       "max(period) FROM case_periods WHERE case_id = $1)"},
      {"oc_close_case", "UPDATE cases SET open = false, update_time = now() WHERE case_id = $1"},
      {"oc_reopen",
       "INSERT INTO case_periods (case_id, period, referral_date) SELECT $1, max(period) + 1, "
       "$2::date FROM case_periods WHERE case_id = $1"},
      {"oc_reopen_case", "UPDATE cases SET open = true, update_time = now() WHERE case_id = $1"},
      {"oc_upsert_person",
       "INSERT INTO people (person_id, case_id, kind, nhs_number, birth_date, name_match_key, "
       "factors) VALUES ($2, $1, $3, $4, NULLIF($5, '')::date, $6, $7::text[]) ON CONFLICT "
       "(person_id) DO UPDATE SET kind = $3, nhs_number = $4, birth_date = NULLIF($5, "
       "'')::date, name_match_key = $6, factors = $7::text[]"},
      {"oc_start_allocation",
       "INSERT INTO allocations (allocation_id, case_id, practitioner, role) VALUES ($1, $2, $3, "
       "$4) ON CONFLICT (allocation_id) DO UPDATE SET active = true"},
      {"oc_end_allocation", "UPDATE allocations SET active = false WHERE allocation_id = $1"},
      {"oc_allocated_as",
       "SELECT 1 FROM allocations WHERE case_id = $1 AND practitioner = $2 AND active AND role = "
       "ANY ($3::text[])"},
      {"oc_current_team",
       "SELECT team FROM case_teams WHERE case_id = $1 ORDER BY from_time DESC LIMIT 1"},
      {"oc_incident_by_id",
       absl::StrCat("SELECT force, report::text, ", Micros("receive_time"), ", ",
                    Micros("respond_by"), " FROM incidents WHERE incident_id = $1::uuid")},
      {"oc_incident_matches",
       "SELECT case_id, person_id, matched_by FROM incident_matches WHERE incident_id = $1::uuid "
       "ORDER BY case_id, person_id"},
      {"oc_upsert_plan",
       "INSERT INTO cp_plans (plan_id, case_id, person_id, start_date, end_date) VALUES ($1, $2, "
       "$3, $4::date, NULLIF($5, '')::date) ON CONFLICT (plan_id) DO UPDATE SET start_date = "
       "$4::date, end_date = NULLIF($5, '')::date"},
      {"oc_upsert_episode",
       "INSERT INTO looked_after_episodes (episode_id, case_id, person_id, start_date, end_date) "
       "VALUES ($1, $2, $3, $4::date, NULLIF($5, '')::date) ON CONFLICT (episode_id) DO UPDATE "
       "SET start_date = $4::date, end_date = NULLIF($5, '')::date"},
      {"oc_upsert_module",
       "INSERT INTO module_sessions (entry, case_id, module, occur_time, revision) VALUES ($1, $2, "
       "$3, to_timestamp($4 / 1000000.0), $5) ON CONFLICT (entry) DO UPDATE SET module = $3, "
       "occur_time = to_timestamp($4 / 1000000.0), revision = $5, removed = false WHERE "
       "module_sessions.revision < $5 OR (module_sessions.revision = $5 AND NOT "
       "module_sessions.removed)"},
      // Only entries that were module sessions are remembered (every note is not); events of a
      // case arrive in order, so a removal never comes before the session it removes.
      {"oc_remove_module",
       "UPDATE module_sessions SET removed = true, revision = $2 WHERE entry = $1 AND revision <= "
       "$2"},
      {"oc_gcs_held",
       "INSERT INTO gcs_held (case_id, session, held_time, on_time) VALUES ($1, $2, "
       "to_timestamp($3 / 1000000.0), $4) ON CONFLICT DO NOTHING"},
      // Matching: people of open cases only.
      // People of cases open on the day it happened (the closure day included) or open now:
      // a report may arrive after the case closed, and still counts for the day it happened.
      {"oc_match_nhs",
       absl::StrCat(
           "SELECT p.case_id, p.person_id, p.kind, c.open, p.nhs_number FROM people p JOIN "
           "cases c USING (case_id) WHERE p.nhs_number = $1 AND ",
           kOpenOnDayOrNow, " ORDER BY p.case_id, p.person_id")},
      {"oc_match_keys",
       absl::StrCat(
           "SELECT p.case_id, p.person_id, p.kind, c.open, p.nhs_number FROM people p JOIN "
           "cases c USING (case_id) WHERE p.name_match_key = ANY ($1::text[]) AND ",
           kOpenOnDayOrNow, " ORDER BY p.case_id, p.person_id")},
      {"oc_person_of_open_case",
       "SELECT p.kind FROM people p JOIN cases c USING (case_id) WHERE p.person_id = $2 AND "
       "p.case_id = $1 AND c.open"},
      // Police incidents.
      {"oc_find_incident",
       absl::StrCat("SELECT ", IncidentAckColumns(),
                    " FROM incidents WHERE force = $1 AND police_reference = $2")},
      {"oc_insert_incident",
       absl::StrCat("INSERT INTO incidents (force, police_reference, content_hash, report, "
                    "incident_time, children, respond_by) VALUES ($1, $2, $3, $4::jsonb, "
                    "to_timestamp($5 / 1000000.0), $6, to_timestamp($7 / 1000000.0)) ON CONFLICT "
                    "(force, police_reference) DO NOTHING RETURNING ",
                    IncidentAckColumns())},
      {"oc_incident_match",
       "INSERT INTO incident_matches (incident_id, case_id, person_id, matched_by, incident_day) "
       "VALUES ($1::uuid, $2, $3, $4, $5::date) ON CONFLICT DO NOTHING"},
      {"oc_list_incidents",
       absl::StrCat("SELECT ", IncidentAckColumns(),
                    " FROM incidents WHERE force = $1 AND ($2 = 0 OR seq < $2) ORDER BY seq DESC "
                    "LIMIT $3")},
      // NHS admissions.
      {"oc_find_admission",
       absl::StrCat("SELECT ", AdmissionAckColumns(),
                    " FROM admissions WHERE organisation = $1 AND episode_reference = $2")},
      {"oc_insert_admission",
       absl::StrCat("INSERT INTO admissions (organisation, episode_reference, content_hash, "
                    "admission_date, kind, reason, people) VALUES ($1, $2, $3, $4::date, $5, $6, "
                    "$7) ON CONFLICT (organisation, episode_reference) DO NOTHING RETURNING ",
                    AdmissionAckColumns())},
      {"oc_admission_match",
       "INSERT INTO admission_matches (admission_id, case_id, person_id, admission_date) VALUES "
       "($1::uuid, $2, $3, $4::date) ON CONFLICT DO NOTHING"},
      {"oc_list_admissions",
       absl::StrCat("SELECT ", AdmissionAckColumns(),
                    " FROM admissions WHERE organisation = $1 AND ($2 = 0 OR seq < $2) ORDER BY "
                    "seq DESC LIMIT $3")},
      // Front door.
      {"oc_insert_front_door", "INSERT INTO front_door_items (incident_id) VALUES ($1::uuid)"},
      {"oc_ensure_front_door",
       "INSERT INTO front_door_items (incident_id) SELECT incident_id FROM incidents WHERE "
       "incident_id = $1::uuid ON CONFLICT (incident_id) DO NOTHING"},
      {"oc_find_front_door",
       absl::StrCat("SELECT ", FrontDoorColumns(),
                    " FROM front_door_items f JOIN incidents i USING (incident_id) WHERE "
                    "f.item_id = $1::uuid")},
      {"oc_lock_front_door", "SELECT 1 FROM front_door_items WHERE item_id = $1::uuid FOR UPDATE"},
      // Waiting items first (oldest first), then resolved ones; the key orders both.
      {"oc_list_front_door",
       absl::StrCat("SELECT ", FrontDoorColumns(),
                    " FROM front_door_items f JOIN incidents i USING (incident_id) WHERE ($1 OR "
                    "f.state = 'WAITING') AND f.seq > $2 ORDER BY f.seq LIMIT $3")},
      {"oc_front_door_counts",
       "SELECT count(*), count(*) FILTER (WHERE i.respond_by < to_timestamp($1 / 1000000.0)) FROM "
       "front_door_items f JOIN incidents i USING (incident_id) WHERE f.state = 'WAITING'"},
      {"oc_resolve_front_door",
       "UPDATE front_door_items SET state = $2, linked_person = $3, resolution_reason = $4, "
       "resolved_by = $5, resolve_time = now(), version = version + 1 WHERE item_id = $1::uuid"},
      // Indicators.
      {"oc_load_cases",
       "SELECT c.case_id, coalesce((SELECT string_agg(to_char(t.from_time AT TIME ZONE "
       "'Europe/London', 'YYYY-MM-DD') || '=' || t.team, ',' ORDER BY t.from_time) FROM "
       "case_teams t WHERE t.case_id = c.case_id), ''), coalesce((SELECT "
       "string_agg(to_char(p.referral_date, 'YYYY-MM-DD') "
       "|| '/' || coalesce(to_char(p.closure_date, 'YYYY-MM-DD'), ''), ',' ORDER BY p.period) FROM "
       "case_periods p "
       "WHERE p.case_id = c.case_id), ''), coalesce((SELECT array_to_string(array_agg(DISTINCT f), "
       "',') FROM people pp, unnest(pp.factors) f WHERE pp.case_id = c.case_id), '') FROM cases c"},
      {"oc_load_people",
       "SELECT person_id, case_id, kind, to_char(birth_date, 'YYYY-MM-DD') FROM people"},
      {"oc_load_plans",
       "SELECT plan_id, case_id, person_id, to_char(start_date, 'YYYY-MM-DD'), to_char(end_date, "
       "'YYYY-MM-DD') FROM cp_plans"},
      {"oc_load_episodes",
       "SELECT episode_id, case_id, person_id, to_char(start_date, 'YYYY-MM-DD'), "
       "to_char(end_date, 'YYYY-MM-DD') FROM "
       "looked_after_episodes"},
      {"oc_load_incidents",
       "SELECT DISTINCT incident_id::text, case_id, to_char(incident_day, 'YYYY-MM-DD') FROM "
       "incident_matches"},
      {"oc_load_admissions",
       "SELECT DISTINCT m.admission_id::text, m.case_id, to_char(m.admission_date, 'YYYY-MM-DD') "
       "FROM "
       "admission_matches m JOIN people p USING (person_id) WHERE p.kind = 'ADULT'"},
      {"oc_load_gcs",
       "SELECT session, case_id, to_char(held_time AT TIME ZONE 'Europe/London', 'YYYY-MM-DD'), "
       "on_time "
       "FROM gcs_held"},
      {"oc_load_modules",
       "SELECT entry, case_id, to_char(occur_time AT TIME ZONE 'Europe/London', 'YYYY-MM-DD'), "
       "module FROM "
       "module_sessions WHERE NOT removed"},
      {"oc_data_as_of", absl::StrCat("SELECT ", Micros("max(applied_at)"), " FROM inbox")},
      {"oc_team_known", "SELECT 1 FROM case_teams WHERE team = $1 LIMIT 1"},
  };
}

// ---- Projection ----

bool OutcomesStore::CaseExists(pqxx::work& tx, const std::string& case_id) {
  return !tx.exec_prepared("oc_case_exists", case_id).empty();
}

void OutcomesStore::OpenCase(pqxx::work& tx, const std::string& case_id, const std::string& team,
                             const std::string& referral_date, absl::Time when) {
  if (tx.exec_prepared("oc_open_case", case_id).empty()) return;  // opened before
  tx.exec_prepared0("oc_first_period", case_id, referral_date);
  tx.exec_prepared0("oc_team", case_id, absl::ToUnixMicros(when), team);
}

void OutcomesStore::ChangeTeam(pqxx::work& tx, const std::string& case_id, const std::string& team,
                               absl::Time when) {
  tx.exec_prepared0("oc_team", case_id, absl::ToUnixMicros(when), team);
}

void OutcomesStore::CloseCase(pqxx::work& tx, const std::string& case_id,
                              const std::string& closure_date) {
  tx.exec_prepared0("oc_close", case_id, closure_date);
  tx.exec_prepared0("oc_close_case", case_id);
}

void OutcomesStore::ReopenCase(pqxx::work& tx, const std::string& case_id,
                               const std::string& referral_date) {
  tx.exec_prepared0("oc_reopen", case_id, referral_date);
  tx.exec_prepared0("oc_reopen_case", case_id);
}

void OutcomesStore::UpsertPerson(pqxx::work& tx, const std::string& case_id,
                                 const std::string& person_id, const ev::PersonFacts& facts) {
  std::vector<std::string> factors(facts.assessment_factors().begin(),
                                   facts.assessment_factors().end());
  tx.exec_prepared0("oc_upsert_person", case_id, person_id, facts.kind(), facts.nhs_number(),
                    facts.birth_date(), facts.name_match_key(), PgTextArray(factors));
}

void OutcomesStore::StartAllocation(pqxx::work& tx, const std::string& allocation_id,
                                    const std::string& case_id, const std::string& practitioner,
                                    const std::string& role) {
  tx.exec_prepared0("oc_start_allocation", allocation_id, case_id, practitioner, role);
}

void OutcomesStore::EndAllocation(pqxx::work& tx, const std::string& allocation_id) {
  tx.exec_prepared0("oc_end_allocation", allocation_id);
}

void OutcomesStore::UpsertPlan(pqxx::work& tx, const std::string& plan_id,
                               const std::string& case_id, const std::string& person_id,
                               const std::string& start, const std::string& end) {
  tx.exec_prepared0("oc_upsert_plan", plan_id, case_id, person_id, start, end);
}

void OutcomesStore::UpsertEpisode(pqxx::work& tx, const std::string& episode_id,
                                  const std::string& case_id, const std::string& person_id,
                                  const std::string& start, const std::string& end) {
  tx.exec_prepared0("oc_upsert_episode", episode_id, case_id, person_id, start, end);
}

void OutcomesStore::UpsertModuleSession(pqxx::work& tx, const std::string& entry,
                                        const std::string& case_id, int module, absl::Time occur,
                                        int revision) {
  tx.exec_prepared0("oc_upsert_module", entry, case_id, module, absl::ToUnixMicros(occur),
                    revision);
}

void OutcomesStore::RemoveModuleSession(pqxx::work& tx, const std::string& entry, int revision) {
  tx.exec_prepared0("oc_remove_module", entry, revision);
}

void OutcomesStore::InsertGcsHeld(pqxx::work& tx, const std::string& case_id,
                                  const std::string& session, absl::Time held, bool on_time) {
  tx.exec_prepared0("oc_gcs_held", case_id, session, absl::ToUnixMicros(held), on_time);
}

// ---- Matching ----

std::vector<Match> OutcomesStore::MatchNhsNumber(pqxx::work& tx, const std::string& nhs_number,
                                                 absl::CivilDay day) {
  return Matches(tx.exec_prepared("oc_match_nhs", nhs_number, FormatDate(day)));
}

std::vector<Match> OutcomesStore::MatchNameKeys(pqxx::work& tx,
                                                const std::vector<std::string>& keys,
                                                absl::CivilDay day) {
  if (keys.empty()) return {};
  return Matches(tx.exec_prepared("oc_match_keys", PgTextArray(keys), FormatDate(day)));
}

std::optional<Match> OutcomesStore::PersonOfOpenCase(pqxx::work& tx, const std::string& case_id,
                                                     const std::string& person_id) {
  auto rows = tx.exec_prepared("oc_person_of_open_case", case_id, person_id);
  if (rows.empty()) return std::nullopt;
  return Match{case_id, person_id, rows[0][0].as<std::string>(), true, ""};
}

// ---- Police incidents ----

std::optional<StoredReport> OutcomesStore::FindIncident(pqxx::work& tx, const std::string& force,
                                                        const std::string& reference) {
  auto rows = tx.exec_prepared("oc_find_incident", force, reference);
  if (rows.empty()) return std::nullopt;
  return ReportRow(rows[0], "incidents");
}

std::optional<StoredReport> OutcomesStore::InsertIncident(
    pqxx::work& tx, const std::string& force, const v1::ReportDomesticAbuseIncidentRequest& r,
    const std::string& content_hash, absl::Time respond_by) {
  auto rows = tx.exec_prepared("oc_insert_incident", force, r.police_reference(), content_hash,
                               ToJson(r), TimeUtil::TimestampToMicroseconds(r.incident_time()),
                               r.children_size(), absl::ToUnixMicros(respond_by));
  if (rows.empty()) return std::nullopt;
  return ReportRow(rows[0], "incidents");
}

void OutcomesStore::InsertIncidentMatch(pqxx::work& tx, const std::string& incident_id,
                                        const Match& match, const std::string& matched_by,
                                        absl::CivilDay incident_day) {
  tx.exec_prepared0("oc_incident_match", incident_id, match.case_id, match.person_id, matched_by,
                    FormatDate(incident_day));
}

std::vector<v1::IntakeAcknowledgement> OutcomesStore::ListIncidentAcknowledgements(
    pqxx::work& tx, const std::string& force, const Page& page, int64_t* last_key) {
  return Acknowledgements(tx.exec_prepared("oc_list_incidents", force, page.after, page.size + 1),
                          "incidents", page.size, last_key);
}

std::optional<v1::Incident> OutcomesStore::FindIncidentById(pqxx::work& tx, const std::string& id) {
  auto rows = tx.exec_prepared("oc_incident_by_id", id);
  if (rows.empty()) return std::nullopt;
  const auto& r = rows[0];
  auto report = FromJson<v1::ReportDomesticAbuseIncidentRequest>(r[1].as<std::string>());
  v1::Incident incident;
  incident.set_name(absl::StrCat("incidents/", id));
  incident.set_police_reference(report.police_reference());
  incident.set_force(r[0].as<std::string>());
  *incident.mutable_incident_time() = report.incident_time();
  incident.set_place(report.place());
  *incident.mutable_children() = report.children();
  *incident.mutable_adults() = report.adults();
  incident.set_circumstances(report.circumstances());
  incident.set_officer(report.officer());
  *incident.mutable_receive_time() = Ts(r[2].as<int64_t>());
  *incident.mutable_respond_by() = Ts(r[3].as<int64_t>());
  for (const auto& m : tx.exec_prepared("oc_incident_matches", id)) {
    auto* match = incident.add_matches();
    match->set_person(
        absl::StrCat("cases/", m[0].as<std::string>(), "/people/", m[1].as<std::string>()));
    match->set_matched_by(m[2].as<std::string>());
  }
  return incident;
}

bool OutcomesStore::AllocatedAs(pqxx::work& tx, const std::string& case_id,
                                const std::string& practitioner,
                                const std::vector<std::string>& roles) {
  return !tx.exec_prepared("oc_allocated_as", case_id, practitioner, PgTextArray(roles)).empty();
}

std::string OutcomesStore::CurrentTeam(pqxx::work& tx, const std::string& case_id) {
  auto rows = tx.exec_prepared("oc_current_team", case_id);
  return rows.empty() ? "" : rows[0][0].as<std::string>();
}

// ---- NHS admissions ----

std::optional<StoredReport> OutcomesStore::FindAdmission(pqxx::work& tx, const std::string& org,
                                                         const std::string& reference) {
  auto rows = tx.exec_prepared("oc_find_admission", org, reference);
  if (rows.empty()) return std::nullopt;
  return ReportRow(rows[0], "admissions");
}

std::optional<StoredReport> OutcomesStore::InsertAdmission(
    pqxx::work& tx, const std::string& org, const v1::ReportEmergencyAdmissionRequest& r,
    const std::string& content_hash, int people) {
  auto rows = tx.exec_prepared("oc_insert_admission", org, r.episode_reference(), content_hash,
                               r.date(), v1::AdmissionKind_Name(r.kind()),
                               v1::ReasonCategory_Name(r.reason()), people);
  if (rows.empty()) return std::nullopt;
  return ReportRow(rows[0], "admissions");
}

void OutcomesStore::InsertAdmissionMatch(pqxx::work& tx, const std::string& admission_id,
                                         const Match& match, const std::string& date) {
  tx.exec_prepared0("oc_admission_match", admission_id, match.case_id, match.person_id, date);
}

std::vector<v1::IntakeAcknowledgement> OutcomesStore::ListAdmissionAcknowledgements(
    pqxx::work& tx, const std::string& org, const Page& page, int64_t* last_key) {
  return Acknowledgements(tx.exec_prepared("oc_list_admissions", org, page.after, page.size + 1),
                          "admissions", page.size, last_key);
}

// ---- Front door ----

void OutcomesStore::InsertFrontDoorItem(pqxx::work& tx, const std::string& incident_id) {
  tx.exec_prepared0("oc_insert_front_door", incident_id);
}

void OutcomesStore::EnsureFrontDoorItem(pqxx::work& tx, const std::string& incident_id) {
  tx.exec_prepared0("oc_ensure_front_door", incident_id);
}

std::optional<v1::FrontDoorItem> OutcomesStore::FindFrontDoorItem(pqxx::work& tx,
                                                                  const std::string& id,
                                                                  bool lock) {
  if (lock && tx.exec_prepared("oc_lock_front_door", id).empty()) return std::nullopt;
  auto rows = tx.exec_prepared("oc_find_front_door", id);
  if (rows.empty()) return std::nullopt;
  return FrontDoorRow(rows[0]);
}

FrontDoorPage OutcomesStore::ListFrontDoorItems(pqxx::work& tx, bool include_resolved,
                                                const Page& page, absl::Time now) {
  FrontDoorPage out;
  for (const auto& r :
       tx.exec_prepared("oc_list_front_door", include_resolved, page.after, page.size + 1)) {
    if (static_cast<int>(out.items.size()) == page.size) {
      out.more = true;
      break;
    }
    out.items.push_back(FrontDoorRow(r));
    out.last_key = r[12].as<int64_t>();
  }
  auto [waiting, overdue] = FrontDoorCounts(tx, now);
  out.waiting = waiting;
  out.overdue = overdue;
  return out;
}

void OutcomesStore::ResolveFrontDoorItem(pqxx::work& tx, const std::string& id,
                                         const std::string& state, const std::string& linked_case,
                                         const std::string& reason, const std::string& by) {
  tx.exec_prepared0("oc_resolve_front_door", id, state, linked_case, reason, by);
}

std::pair<int, int> OutcomesStore::FrontDoorCounts(pqxx::work& tx, absl::Time now) {
  auto r = tx.exec_prepared1("oc_front_door_counts", absl::ToUnixMicros(now));
  return {r[0].as<int>(), r[1].as<int>()};
}

// ---- Indicators ----

Dataset OutcomesStore::LoadDataset(pqxx::work& tx) {
  Dataset data;
  auto day = [](const std::string& text) { return ParseDate(text, "date"); };
  for (const auto& r : tx.exec_prepared("oc_load_cases")) {
    CaseFacts c;
    c.id = r[0].as<std::string>();
    for (const auto& part : SplitCommas(r[1].as<std::string>())) {
      auto eq = part.find('=');
      auto from = day(part.substr(0, eq));
      if (eq != std::string::npos && from.ok()) c.teams.emplace_back(*from, part.substr(eq + 1));
    }
    for (const auto& part : SplitCommas(r[2].as<std::string>())) {
      auto slash = part.find('/');
      auto start = day(part.substr(0, slash));
      if (slash == std::string::npos || !start.ok()) continue;
      CasePeriod period{*start, std::nullopt};
      if (auto end = day(part.substr(slash + 1)); end.ok()) period.end = *end;
      c.periods.push_back(period);
    }
    for (const auto& factor : SplitCommas(r[3].as<std::string>())) {
      if (factor == "3A" || factor == "3B" || factor == "3C") c.domestic_abuse = true;
      if (factor == "1B" || factor == "2B") c.substance_misuse = true;
      if (factor == "4B") c.mental_health = true;
    }
    data.cases.push_back(std::move(c));
  }
  for (const auto& r : tx.exec_prepared("oc_load_people")) {
    PersonFacts p{r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>() == "CHILD",
                  Day(r[3])};
    data.people.push_back(std::move(p));
  }
  auto spells = [&](const char* statement, std::vector<Spell>& out) {
    for (const auto& r : tx.exec_prepared(statement)) {
      auto start = Day(r[3]);
      if (!start) continue;
      out.push_back({r[1].as<std::string>(), r[2].as<std::string>(), *start, Day(r[4])});
    }
  };
  spells("oc_load_plans", data.cp_plans);
  spells("oc_load_episodes", data.looked_after);
  auto happenings = [&](const char* statement, std::vector<Happening>& out, bool flag,
                        bool module) {
    for (const auto& r : tx.exec_prepared(statement)) {
      auto when = Day(r[2]);
      if (!when) continue;
      Happening h{r[0].as<std::string>(), r[1].as<std::string>(), *when};
      if (flag) h.flag = r[3].as<bool>();
      if (module) h.module = r[3].as<int>();
      out.push_back(std::move(h));
    }
  };
  happenings("oc_load_incidents", data.da_incidents, false, false);
  happenings("oc_load_admissions", data.adult_admissions, false, false);
  happenings("oc_load_gcs", data.gcs_held, true, false);
  happenings("oc_load_modules", data.module_sessions, false, true);
  return data;
}

std::optional<absl::Time> OutcomesStore::DataAsOf(pqxx::work& tx) {
  auto r = tx.exec_prepared1("oc_data_as_of");
  if (r[0].is_null()) return std::nullopt;
  return absl::FromUnixMicros(r[0].as<int64_t>());
}

bool OutcomesStore::TeamKnown(pqxx::work& tx, const std::string& team) {
  return !tx.exec_prepared("oc_team_known", team).empty();
}

}  // namespace fs::outcomes
