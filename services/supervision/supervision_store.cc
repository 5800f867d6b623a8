#include "services/supervision/supervision_store.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/dates.h"
#include "common/idempotency.h"
#include "common/resource_name.h"
#include "common/sql_values.h"
#include "common/timestamps.h"

namespace fs::supervision {
namespace {

using google::protobuf::util::TimeUtil;

std::string Micros(absl::string_view column) {
  return absl::StrCat("coalesce((extract(epoch FROM ", column, ") * 1000000)::bigint, 0)");
}

absl::Time FromMicros(int64_t micros) { return absl::FromUnixMicros(micros); }

const std::string& SessionColumns() {
  static const std::string columns = absl::StrCat(
      "s.session_id::text, s.team, s.chair, ", Micros("s.start_time"), ", ", Micros("s.end_time"),
      ", s.state, array_to_string(s.attended, ','), s.cancel_reason, s.sequence, s.version, "
      "s.seq");
  return columns;
}

v1::SessionState StateFromName(const std::string& name) {
  v1::SessionState state = v1::SESSION_STATE_UNSPECIFIED;
  v1::SessionState_Parse(absl::StrCat("SESSION_STATE_", name), &state);
  return state;
}

v1::Session RowToSession(const pqxx::row& r) {
  v1::Session s;
  s.set_name(absl::StrCat("sessions/", r[0].as<std::string>()));
  s.set_team(r[1].as<std::string>());
  s.set_chair(r[2].as<std::string>());
  *s.mutable_start_time() = ToTimestamp(FromMicros(r[3].as<int64_t>()));
  *s.mutable_end_time() = ToTimestamp(FromMicros(r[4].as<int64_t>()));
  s.set_state(StateFromName(r[5].as<std::string>()));
  for (const auto& who : SplitCommas(r[6].as<std::string>())) s.add_attended(who);
  s.set_cancel_reason(r[7].as<std::string>());
  s.set_sequence(r[8].as<int>());
  s.set_etag(absl::StrCat("v", r[9].as<int64_t>()));
  return s;
}

void LoadCases(pqxx::work& tx, v1::Session& session) {
  std::string id = LastSegment(session.name());
  for (const auto& r : tx.exec_prepared("sv_session_cases", id)) {
    auto* c = session.add_cases();
    c->set_case_(absl::StrCat("cases/", r[0].as<std::string>()));
    *c->mutable_start_time() = ToTimestamp(FromMicros(r[1].as<int64_t>()));
    *c->mutable_end_time() = ToTimestamp(FromMicros(r[2].as<int64_t>()));
    for (const auto& who : SplitCommas(r[3].as<std::string>())) c->add_attendees(who);
    if (!r[4].is_null()) *c->mutable_record() = FromJson<v1::CaseRecord>(r[4].as<std::string>());
  }
}

CaseRow RowToCase(const pqxx::row& r) {
  CaseRow c;
  c.id = r[0].as<std::string>();
  c.team = r[1].as<std::string>();
  c.open = r[2].as<bool>();
  if (int64_t t = r[3].as<int64_t>()) c.times.first_allocation = FromMicros(t);
  if (int64_t t = r[4].as<int64_t>()) c.times.last_held = FromMicros(t);
  if (!r[5].is_null()) {
    auto day = ParseDate(r[5].as<std::string>(), "next_due_date");
    if (day.ok()) c.times.next_due_date = *day;
  }
  for (const auto& pair : SplitCommas(r[6].as<std::string>())) {
    auto colon = pair.find(':');
    if (colon != std::string::npos)
      c.allocations.emplace(pair.substr(0, colon), pair.substr(colon + 1));
  }
  c.times.anyone_allocated = !c.allocations.empty();
  return c;
}

const std::string& CaseColumns() {
  static const std::string columns = absl::StrCat(
      "c.case_id, c.team, c.open, ", Micros("c.first_allocation_time"), ", ",
      Micros("c.last_held_time"),
      ", c.next_due_date::text, coalesce((SELECT string_agg(a.practitioner || ':' || a.role, ',' "
      "ORDER BY a.practitioner, a.role) FROM allocations a WHERE a.case_id = c.case_id AND "
      "a.active), '')");
  return columns;
}

}  // namespace

std::vector<PreparedStatement> SupervisionStore::Statements() {
  std::vector<PreparedStatement> statements = CreateRequestStatements();
  std::vector<PreparedStatement> own = {
      // Projection.
      {"sv_case_exists", "SELECT 1 FROM cases WHERE case_id = $1 FOR UPDATE"},
      {"sv_insert_case",
       "INSERT INTO cases (case_id, team) VALUES ($1, $2) ON CONFLICT (case_id) DO NOTHING"},
      {"sv_set_team", "UPDATE cases SET team = $2, update_time = now() WHERE case_id = $1"},
      {"sv_close", "UPDATE cases SET open = false, update_time = now() WHERE case_id = $1"},
      {"sv_reopen",
       "UPDATE cases SET open = true, first_allocation_time = NULL, last_held_time = NULL, "
       "next_due_date = NULL, update_time = now() WHERE case_id = $1"},
      {"sv_start_allocation",
       "INSERT INTO allocations (allocation_id, case_id, practitioner, role) VALUES ($1, $2, $3, "
       "$4) ON CONFLICT (allocation_id) DO UPDATE SET active = true"},
      {"sv_first_allocation",
       "UPDATE cases SET first_allocation_time = coalesce(first_allocation_time, "
       "to_timestamp($2 / 1000000.0)) WHERE case_id = $1"},
      {"sv_end_allocation", "UPDATE allocations SET active = false WHERE allocation_id = $1"},
      // Cases.
      {"sv_find_case",
       absl::StrCat("SELECT ", CaseColumns(), " FROM cases c WHERE c.case_id = $1")},
      {"sv_open_cases",
       absl::StrCat("SELECT ", CaseColumns(),
                    " FROM cases c WHERE c.open AND c.team = ANY ($1::text[]) ORDER BY c.case_id")},
      {"sv_all_open_cases",
       absl::StrCat("SELECT ", CaseColumns(), " FROM cases c WHERE c.open ORDER BY c.case_id")},
      {"sv_has_held_record",
       "SELECT 1 FROM session_cases sc JOIN sessions s USING (session_id) WHERE sc.case_id = $1 "
       "AND s.state = 'HELD' LIMIT 1"},
      {"sv_planned_session",
       "SELECT s.session_id::text FROM session_cases sc JOIN sessions s USING (session_id) WHERE "
       "sc.case_id = $1 AND s.state IN ('PROPOSED', 'CONFIRMED') AND sc.end_time > "
       "to_timestamp($2 / 1000000.0) ORDER BY sc.start_time LIMIT 1"},
      {"sv_record_held",
       "UPDATE cases SET last_held_time = greatest(coalesce(last_held_time, '-infinity'), "
       "to_timestamp($2 / 1000000.0)), next_due_date = nullif($3, '')::date, update_time = now() "
       "WHERE case_id = $1"},
      // Chairs.
      {"sv_find_chairs",
       "SELECT chair, array_to_string(deputies, ','), version FROM team_chairs WHERE team = $1"},
      {"sv_upsert_chairs",
       "INSERT INTO team_chairs (team, chair, deputies) VALUES ($1, $2, $3::text[]) ON CONFLICT "
       "(team) DO UPDATE SET chair = excluded.chair, deputies = excluded.deputies, version = "
       "team_chairs.version + 1, update_time = now() WHERE 'v' || team_chairs.version = $4"},
      // Availability.
      {"sv_find_hours", "SELECT pattern::text, version FROM working_hours WHERE practitioner = $1"},
      {"sv_upsert_hours",
       "INSERT INTO working_hours (practitioner, pattern) VALUES ($1, $2::jsonb) ON CONFLICT "
       "(practitioner) DO UPDATE SET pattern = excluded.pattern, version = working_hours.version "
       "+ 1, update_time = now() WHERE 'v' || working_hours.version = $3"},
      {"sv_insert_leave",
       "INSERT INTO leave (practitioner, first_day, last_day, note) VALUES ($1, $2::date, "
       "$3::date, $4) RETURNING leave_id::text"},
      {"sv_find_leave",
       "SELECT leave_id::text, first_day::text, last_day::text, note FROM leave WHERE "
       "practitioner = $1 AND leave_id = $2::uuid AND NOT deleted"},
      {"sv_delete_leave", "UPDATE leave SET deleted = true WHERE leave_id = $1::uuid"},
      {"sv_list_leave",
       "SELECT leave_id::text, first_day::text, last_day::text, note FROM leave WHERE "
       "practitioner = $1 AND NOT deleted ORDER BY first_day, leave_id"},
      {"sv_insert_busy",
       "INSERT INTO busy_blocks (practitioner, start_time, end_time, source) VALUES ($1, "
       "to_timestamp($2 / 1000000.0), to_timestamp($3 / 1000000.0), $4) RETURNING "
       "block_id::text"},
      {"sv_find_busy",
       absl::StrCat("SELECT block_id::text, ", Micros("start_time"), ", ", Micros("end_time"),
                    ", source FROM busy_blocks WHERE practitioner = $1 AND block_id = $2::uuid "
                    "AND NOT deleted")},
      {"sv_delete_busy", "UPDATE busy_blocks SET deleted = true WHERE block_id = $1::uuid"},
      {"sv_delete_imported_busy",
       "UPDATE busy_blocks SET deleted = true WHERE practitioner = $1 AND source = 'ical' AND NOT "
       "deleted AND end_time > to_timestamp($2 / 1000000.0) AND start_time < to_timestamp($3 / "
       "1000000.0)"},
      {"sv_list_busy",
       absl::StrCat("SELECT block_id::text, ", Micros("start_time"), ", ", Micros("end_time"),
                    ", source FROM busy_blocks WHERE practitioner = $1 AND NOT deleted AND "
                    "end_time > to_timestamp($2 / 1000000.0) AND start_time < to_timestamp($3 / "
                    "1000000.0) ORDER BY start_time, block_id")},
      {"sv_hours_of",
       "SELECT practitioner, pattern::text FROM working_hours WHERE practitioner = ANY "
       "($1::text[])"},
      {"sv_leave_of",
       "SELECT practitioner, first_day::text, last_day::text FROM leave WHERE practitioner = ANY "
       "($1::text[]) AND NOT deleted AND last_day >= $2::date AND first_day <= $3::date"},
      {"sv_busy_of",
       absl::StrCat("SELECT practitioner, ", Micros("start_time"), ", ", Micros("end_time"),
                    " FROM busy_blocks WHERE practitioner = ANY ($1::text[]) AND NOT deleted AND "
                    "end_time > to_timestamp($2 / 1000000.0) AND start_time < to_timestamp($3 / "
                    "1000000.0)")},
      // Sessions.
      {"sv_find_session",
       absl::StrCat("SELECT ", SessionColumns(), " FROM sessions s WHERE s.session_id = $1::uuid")},
      {"sv_find_session_for_update",
       absl::StrCat("SELECT ", SessionColumns(),
                    " FROM sessions s WHERE s.session_id = $1::uuid FOR UPDATE")},
      {"sv_session_cases",
       absl::StrCat("SELECT case_id, ", Micros("start_time"), ", ", Micros("end_time"),
                    ", array_to_string(attendees, ','), record::text FROM session_cases WHERE "
                    "session_id = $1::uuid ORDER BY start_time, case_id")},
      {"sv_list_sessions",
       absl::StrCat(
           "SELECT ", SessionColumns(),
           " FROM sessions s WHERE ($1 = '' OR s.team = $1) AND ($2 = '' OR s.chair = $2 OR "
           "EXISTS (SELECT 1 FROM session_cases sc WHERE sc.session_id = s.session_id AND "
           "sc.attendees @> ARRAY[$2]::text[])) AND s.end_time > to_timestamp($3 / 1000000.0) AND "
           "s.start_time < to_timestamp($4 / 1000000.0) AND ($5 = '' OR s.state = $5) AND s.seq > "
           "$6 ORDER BY s.seq LIMIT $7")},
      {"sv_delete_proposed_cases",
       "DELETE FROM session_cases WHERE session_id IN (SELECT session_id FROM sessions WHERE team "
       "= $1 AND state = 'PROPOSED' AND end_time > to_timestamp($2 / 1000000.0) AND start_time < "
       "to_timestamp($3 / 1000000.0))"},
      {"sv_delete_proposed",
       "DELETE FROM sessions WHERE team = $1 AND state = 'PROPOSED' AND end_time > "
       "to_timestamp($2 / 1000000.0) AND start_time < to_timestamp($3 / 1000000.0)"},
      {"sv_insert_session",
       "INSERT INTO sessions (team, chair, start_time, end_time, state) VALUES ($1, $2, "
       "to_timestamp($3 / 1000000.0), to_timestamp($4 / 1000000.0), $5) RETURNING "
       "session_id::text"},
      {"sv_insert_session_case",
       "INSERT INTO session_cases (session_id, case_id, start_time, end_time, attendees) VALUES "
       "($1::uuid, $2, to_timestamp($3 / 1000000.0), to_timestamp($4 / 1000000.0), $5::text[])"},
      {"sv_remove_case", "DELETE FROM session_cases WHERE session_id = $1::uuid AND case_id = $2"},
      {"sv_touch_session",
       "UPDATE sessions SET sequence = sequence + 1, version = version + 1, update_time = now() "
       "WHERE session_id = $1::uuid"},
      {"sv_set_state",
       "UPDATE sessions SET state = $2, cancel_reason = $3, sequence = sequence + $4, version = "
       "version + 1, update_time = now() WHERE session_id = $1::uuid"},
      {"sv_record_session",
       "UPDATE sessions SET state = 'HELD', attended = $2::text[], version = version + 1, "
       "update_time = now() WHERE session_id = $1::uuid"},
      {"sv_record_case",
       "UPDATE session_cases SET record = $3::jsonb WHERE session_id = $1::uuid AND case_id = $2"},
  };
  statements.insert(statements.end(), own.begin(), own.end());
  return statements;
}

// ---- Projection ----

bool SupervisionStore::CaseExists(pqxx::work& tx, const std::string& case_id) {
  return !tx.exec_prepared("sv_case_exists", case_id).empty();
}
void SupervisionStore::InsertCase(pqxx::work& tx, const std::string& case_id,
                                  const std::string& team) {
  tx.exec_prepared0("sv_insert_case", case_id, team);
}
void SupervisionStore::SetTeam(pqxx::work& tx, const std::string& case_id,
                               const std::string& team) {
  tx.exec_prepared0("sv_set_team", case_id, team);
}
void SupervisionStore::Close(pqxx::work& tx, const std::string& case_id) {
  tx.exec_prepared0("sv_close", case_id);
}
void SupervisionStore::Reopen(pqxx::work& tx, const std::string& case_id) {
  tx.exec_prepared0("sv_reopen", case_id);
}
void SupervisionStore::StartAllocation(pqxx::work& tx, const std::string& allocation_id,
                                       const std::string& case_id, const std::string& practitioner,
                                       const std::string& role, absl::Time when) {
  tx.exec_prepared0("sv_start_allocation", allocation_id, case_id, practitioner, role);
  tx.exec_prepared0("sv_first_allocation", case_id, absl::ToUnixMicros(when));
}
void SupervisionStore::EndAllocation(pqxx::work& tx, const std::string& allocation_id) {
  tx.exec_prepared0("sv_end_allocation", allocation_id);
}

// ---- Cases ----

std::optional<CaseRow> SupervisionStore::FindCase(pqxx::work& tx, const std::string& case_id) {
  auto rows = tx.exec_prepared("sv_find_case", case_id);
  if (rows.empty()) return std::nullopt;
  return RowToCase(rows[0]);
}

std::vector<CaseRow> SupervisionStore::OpenCases(pqxx::work& tx,
                                                 const std::vector<std::string>& teams) {
  std::vector<CaseRow> out;
  for (const auto& row : tx.exec_prepared("sv_open_cases", PgTextArray(teams))) {
    out.push_back(RowToCase(row));
  }
  return out;
}

std::vector<CaseRow> SupervisionStore::AllOpenCases(pqxx::work& tx) {
  std::vector<CaseRow> out;
  for (const auto& row : tx.exec_prepared("sv_all_open_cases")) out.push_back(RowToCase(row));
  return out;
}

bool SupervisionStore::HasHeldRecord(pqxx::work& tx, const std::string& case_id) {
  return !tx.exec_prepared("sv_has_held_record", case_id).empty();
}

std::string SupervisionStore::PlannedSession(pqxx::work& tx, const std::string& case_id,
                                             absl::Time after) {
  auto rows = tx.exec_prepared("sv_planned_session", case_id, absl::ToUnixMicros(after));
  return rows.empty() ? "" : absl::StrCat("sessions/", rows[0][0].as<std::string>());
}

void SupervisionStore::RecordHeld(pqxx::work& tx, const std::string& case_id, absl::Time held,
                                  const std::string& next_due_date) {
  tx.exec_prepared0("sv_record_held", case_id, absl::ToUnixMicros(held), next_due_date);
}

// ---- Chairs ----

std::optional<v1::TeamChairs> SupervisionStore::FindChairs(pqxx::work& tx,
                                                           const std::string& team) {
  auto rows = tx.exec_prepared("sv_find_chairs", team);
  if (rows.empty()) return std::nullopt;
  v1::TeamChairs chairs;
  chairs.set_name(absl::StrCat("teams/", team, "/chairs"));
  chairs.set_chair(rows[0][0].as<std::string>());
  for (const auto& d : SplitCommas(rows[0][1].as<std::string>())) chairs.add_deputies(d);
  chairs.set_etag(absl::StrCat("v", rows[0][2].as<int64_t>()));
  return chairs;
}

bool SupervisionStore::UpsertChairs(pqxx::work& tx, const std::string& team,
                                    const v1::TeamChairs& chairs, const std::string& read_etag) {
  return tx.exec_prepared("sv_upsert_chairs", team, chairs.chair(),
                          PgTextArray(std::vector<std::string>(chairs.deputies().begin(),
                                                               chairs.deputies().end())),
                          read_etag)
             .affected_rows() == 1;
}

// ---- Availability ----

std::optional<v1::WorkingHours> SupervisionStore::FindWorkingHours(
    pqxx::work& tx, const std::string& practitioner) {
  auto rows = tx.exec_prepared("sv_find_hours", practitioner);
  if (rows.empty()) return std::nullopt;
  v1::WorkingHours hours = FromJson<v1::WorkingHours>(rows[0][0].as<std::string>());
  hours.set_name(absl::StrCat("practitioners/", practitioner, "/workingHours"));
  hours.set_etag(absl::StrCat("v", rows[0][1].as<int64_t>()));
  return hours;
}

bool SupervisionStore::UpsertWorkingHours(pqxx::work& tx, const std::string& practitioner,
                                          const v1::WorkingHours& hours,
                                          const std::string& read_etag) {
  v1::WorkingHours pattern;
  *pattern.mutable_days() = hours.days();
  return tx.exec_prepared("sv_upsert_hours", practitioner, ToJson(pattern), read_etag)
             .affected_rows() == 1;
}

namespace {
v1::Leave RowToLeave(const std::string& practitioner, const pqxx::row& r) {
  v1::Leave leave;
  leave.set_name(absl::StrCat("practitioners/", practitioner, "/leave/", r[0].as<std::string>()));
  leave.set_first_day(r[1].as<std::string>());
  leave.set_last_day(r[2].as<std::string>());
  leave.set_note(r[3].as<std::string>());
  return leave;
}
v1::BusyBlock RowToBusy(const std::string& practitioner, const pqxx::row& r) {
  v1::BusyBlock block;
  block.set_name(
      absl::StrCat("practitioners/", practitioner, "/busyBlocks/", r[0].as<std::string>()));
  *block.mutable_start_time() = ToTimestamp(FromMicros(r[1].as<int64_t>()));
  *block.mutable_end_time() = ToTimestamp(FromMicros(r[2].as<int64_t>()));
  block.set_source(r[3].as<std::string>());
  return block;
}
}  // namespace

std::string SupervisionStore::InsertLeave(pqxx::work& tx, const std::string& practitioner,
                                          const v1::Leave& leave) {
  return tx
      .exec_prepared1("sv_insert_leave", practitioner, leave.first_day(), leave.last_day(),
                      leave.note())[0]
      .as<std::string>();
}

std::optional<v1::Leave> SupervisionStore::FindLeave(pqxx::work& tx,
                                                     const std::string& practitioner,
                                                     const std::string& id) {
  if (!IsUuid(id)) return std::nullopt;
  auto rows = tx.exec_prepared("sv_find_leave", practitioner, id);
  if (rows.empty()) return std::nullopt;
  return RowToLeave(practitioner, rows[0]);
}

void SupervisionStore::DeleteLeave(pqxx::work& tx, const std::string& id) {
  tx.exec_prepared0("sv_delete_leave", id);
}

std::vector<v1::Leave> SupervisionStore::ListLeave(pqxx::work& tx,
                                                   const std::string& practitioner) {
  std::vector<v1::Leave> out;
  for (const auto& r : tx.exec_prepared("sv_list_leave", practitioner)) {
    out.push_back(RowToLeave(practitioner, r));
  }
  return out;
}

std::string SupervisionStore::InsertBusy(pqxx::work& tx, const std::string& practitioner,
                                         absl::Time start, absl::Time end,
                                         const std::string& source) {
  return tx
      .exec_prepared1("sv_insert_busy", practitioner, absl::ToUnixMicros(start),
                      absl::ToUnixMicros(end), source)[0]
      .as<std::string>();
}

std::optional<v1::BusyBlock> SupervisionStore::FindBusy(pqxx::work& tx,
                                                        const std::string& practitioner,
                                                        const std::string& id) {
  if (!IsUuid(id)) return std::nullopt;
  auto rows = tx.exec_prepared("sv_find_busy", practitioner, id);
  if (rows.empty()) return std::nullopt;
  return RowToBusy(practitioner, rows[0]);
}

void SupervisionStore::DeleteBusy(pqxx::work& tx, const std::string& id) {
  tx.exec_prepared0("sv_delete_busy", id);
}

void SupervisionStore::DeleteImportedBusy(pqxx::work& tx, const std::string& practitioner,
                                          absl::Time start, absl::Time end) {
  tx.exec_prepared0("sv_delete_imported_busy", practitioner, absl::ToUnixMicros(start),
                    absl::ToUnixMicros(end));
}

std::vector<v1::BusyBlock> SupervisionStore::ListBusy(pqxx::work& tx,
                                                      const std::string& practitioner,
                                                      absl::Time start, absl::Time end) {
  std::vector<v1::BusyBlock> out;
  for (const auto& r : tx.exec_prepared("sv_list_busy", practitioner, absl::ToUnixMicros(start),
                                        absl::ToUnixMicros(end))) {
    out.push_back(RowToBusy(practitioner, r));
  }
  return out;
}

std::map<std::string, Availability> SupervisionStore::LoadAvailability(
    pqxx::work& tx, const std::vector<std::string>& practitioners, absl::Time start,
    absl::Time end) {
  std::map<std::string, Availability> out;
  for (const auto& p : practitioners) out[p] = Availability{};
  std::string people = PgTextArray(practitioners);
  for (const auto& r : tx.exec_prepared("sv_hours_of", people)) {
    auto pattern = FromJson<v1::WorkingHours>(r[1].as<std::string>());
    WorkingHours hours;
    for (const auto& day : pattern.days()) {
      if (day.weekday() < 1 || day.weekday() > 7) continue;
      for (const auto& range : day.ranges()) {
        hours.days[day.weekday() - 1].emplace_back(range.start_minute(), range.end_minute());
      }
    }
    out[r[0].as<std::string>()].hours = hours;
  }
  absl::TimeZone utc = absl::UTCTimeZone();
  std::string first = FormatDate(absl::ToCivilDay(start, utc) - 1);
  std::string last = FormatDate(absl::ToCivilDay(end, utc) + 1);
  for (const auto& r : tx.exec_prepared("sv_leave_of", people, first, last)) {
    auto from = ParseDate(r[1].as<std::string>(), "first_day");
    auto to = ParseDate(r[2].as<std::string>(), "last_day");
    if (from.ok() && to.ok()) out[r[0].as<std::string>()].leave.emplace_back(*from, *to);
  }
  for (const auto& r :
       tx.exec_prepared("sv_busy_of", people, absl::ToUnixMicros(start), absl::ToUnixMicros(end))) {
    out[r[0].as<std::string>()].busy.emplace_back(FromMicros(r[1].as<int64_t>()),
                                                  FromMicros(r[2].as<int64_t>()));
  }
  return out;
}

// ---- Sessions ----

std::optional<v1::Session> SupervisionStore::FindSession(pqxx::work& tx, const std::string& id,
                                                         bool lock) {
  if (!IsUuid(id)) return std::nullopt;
  auto rows = tx.exec_prepared(lock ? "sv_find_session_for_update" : "sv_find_session", id);
  if (rows.empty()) return std::nullopt;
  v1::Session session = RowToSession(rows[0]);
  LoadCases(tx, session);
  return session;
}

std::vector<v1::Session> SupervisionStore::ListSessions(pqxx::work& tx, const std::string& team,
                                                        const std::string& practitioner,
                                                        absl::Time start, absl::Time end,
                                                        const std::string& state, int64_t after_seq,
                                                        int limit, int64_t* last_seq) {
  std::vector<v1::Session> out;
  for (const auto& r :
       tx.exec_prepared("sv_list_sessions", team, practitioner, absl::ToUnixMicros(start),
                        absl::ToUnixMicros(end), state, after_seq, limit)) {
    v1::Session session = RowToSession(r);
    LoadCases(tx, session);
    out.push_back(std::move(session));
    *last_seq = r[10].as<int64_t>();
  }
  return out;
}

void SupervisionStore::DeleteProposed(pqxx::work& tx, const std::string& team, absl::Time start,
                                      absl::Time end) {
  tx.exec_prepared0("sv_delete_proposed_cases", team, absl::ToUnixMicros(start),
                    absl::ToUnixMicros(end));
  tx.exec_prepared0("sv_delete_proposed", team, absl::ToUnixMicros(start), absl::ToUnixMicros(end));
}

std::string SupervisionStore::InsertSession(pqxx::work& tx, const v1::Session& session) {
  std::string state =
      v1::SessionState_Name(session.state()).substr(std::string("SESSION_STATE_").size());
  std::string id =
      tx.exec_prepared1("sv_insert_session", session.team(), session.chair(),
                        TimeUtil::TimestampToMicroseconds(session.start_time()),
                        TimeUtil::TimestampToMicroseconds(session.end_time()), state)[0]
          .as<std::string>();
  for (const auto& c : session.cases()) {
    tx.exec_prepared0(
        "sv_insert_session_case", id, LastSegment(c.case_()),
        TimeUtil::TimestampToMicroseconds(c.start_time()),
        TimeUtil::TimestampToMicroseconds(c.end_time()),
        PgTextArray(std::vector<std::string>(c.attendees().begin(), c.attendees().end())));
  }
  return id;
}

void SupervisionStore::RemoveCase(pqxx::work& tx, const std::string& session_id,
                                  const std::string& case_id) {
  tx.exec_prepared0("sv_remove_case", session_id, case_id);
  tx.exec_prepared0("sv_touch_session", session_id);
}

void SupervisionStore::SetState(pqxx::work& tx, const std::string& session_id,
                                const std::string& state, const std::string& cancel_reason,
                                bool bump_sequence) {
  tx.exec_prepared0("sv_set_state", session_id, state, cancel_reason, bump_sequence ? 1 : 0);
}

void SupervisionStore::RecordSession(pqxx::work& tx, const std::string& session_id,
                                     const std::vector<std::string>& attended,
                                     const std::map<std::string, v1::CaseRecord>& records) {
  tx.exec_prepared0("sv_record_session", session_id, PgTextArray(attended));
  for (const auto& [case_id, record] : records) {
    tx.exec_prepared0("sv_record_case", session_id, case_id, ToJson(record));
  }
}

}  // namespace fs::supervision
